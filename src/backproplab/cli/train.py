"""``backproplab train``: train an MLP on a built-in data set or a CSV file.

Progress (loss, validation metric, ETA) is a Rich progress bar fed by a fit-loop callback;
the summary table goes to stdout. All the work is done by ``train.pipeline`` and the engine.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Annotated, Any

import typer
from click.core import ParameterSource
from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    TextColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
)
from rich.table import Table

from ..engine.errors import DivergenceError, InputError
from ..engine.fit import Callback
from ..engine.network import MLP
from ..io import ModelFile, atomic_write_text, json_text, load_model_file
from ..limits import check_network
from ..outputs import check_outputs, save_with_fallback
from ..train.pipeline import RUN_OPTIONS, TrainResult, TrainSettings, load_data, train
from .app import app, fail
from .messages import check_run_options, cli_words, is_builtin, make_warner
from .run_safety import InterruptCallback, RunSaver, file_sha256


class ProgressCallback(Callback):
    """Advances a Rich progress bar once per epoch, showing the latest metrics."""

    def __init__(self, progress: Progress) -> None:
        self.progress = progress
        self.task: Any = None

    def on_train_begin(self, net: MLP, info: dict[str, Any]) -> None:
        self.task = self.progress.add_task("training", total=info["epochs"], metrics="")

    def on_epoch_end(self, epoch: int, logs: dict[str, float]) -> None:
        shown = f"loss {logs['loss']:.4g}"
        if "val_accuracy" in logs:
            shown += f"  val acc {logs['val_accuracy']:.3f}"
        elif "val_loss" in logs:
            shown += f"  val loss {logs['val_loss']:.4g}"
        self.progress.update(self.task, completed=epoch, metrics=shown)


def parse_layers(text: str | None, option: str = "--layers") -> list[int] | None:
    """'2,16,16,2' -> [2, 16, 16, 2]; strict: '4,,3', '4,3,' and '4,-3' are errors."""
    if text is None:
        return None
    parts = text.replace(" ", "").split(",")
    if any(p == "" for p in parts):
        raise InputError(
            f"{option} must be sizes separated by single commas, e.g. 2,16,2; got {text!r} "
            "(an empty size)"
        )
    if not all(p.isdigit() for p in parts):
        bad = next(p for p in parts if not p.isdigit())
        raise InputError(
            f"{option} must be positive whole numbers separated by commas, e.g. 2,16,2; "
            f"{bad!r} in {text!r} is not one"
        )
    sizes = [int(p) for p in parts]
    if len(sizes) < 2 or min(sizes) < 1:
        raise InputError(f"{option} needs at least two positive sizes, e.g. 2,16,2; got {text!r}")
    return check_network(sizes, option)


def _option(name: str) -> str:
    return "--" + name.replace("_", "-")


@app.command("train")
def train_command(
    ctx: typer.Context,
    data: Annotated[
        str | None,
        typer.Argument(
            help="A built-in data set (moons, digits, ...) or a CSV (not with --resume)."
        ),
    ] = None,
    layers: Annotated[
        str | None, typer.Option(help="Layer sizes, input first, e.g. 2,16,16,2.")
    ] = None,
    hidden: Annotated[str, typer.Option(help="Activation of the hidden layers.")] = "tanh",
    output: Annotated[
        str | None, typer.Option(help="Output activation (default: by loss).")
    ] = None,
    loss: Annotated[
        str | None, typer.Option(help="mse, bce or cross_entropy (default: by task).")
    ] = None,
    epochs: Annotated[int, typer.Option(min=1, help="Passes over the training data.")] = 300,
    lr: Annotated[float | None, typer.Option(help="Learning rate (default: by optimizer).")] = None,
    batch_size: Annotated[
        int | None, typer.Option(min=1, help="Mini-batch size (default: full batch).")
    ] = None,
    optimizer: Annotated[str, typer.Option(help="sgd, momentum, nesterov or adam.")] = "sgd",
    momentum: Annotated[float | None, typer.Option(help="Momentum for SGD.")] = None,
    weight_decay: Annotated[float, typer.Option(help="L2 weight decay lambda.")] = 0.0,
    schedule: Annotated[
        str | None, typer.Option(help="constant, step, exponential, cosine, inverse_time.")
    ] = None,
    seed: Annotated[int, typer.Option(min=0, help="Seed of the weights and the batch order.")] = 0,
    split_seed: Annotated[
        int | None, typer.Option(min=0, help="Seed of the test split (default: --seed).")
    ] = None,
    test_split: Annotated[float, typer.Option(help="Fraction held out for testing.")] = 0.2,
    val_split: Annotated[
        float, typer.Option(help="Fraction of the training part for validation.")
    ] = 0.0,
    patience: Annotated[
        int | None, typer.Option(min=1, help="Early stopping after N epochs w/o improvement.")
    ] = None,
    target: Annotated[str | None, typer.Option(help="CSV: the target column.")] = None,
    task: Annotated[str, typer.Option(help="CSV: auto, classification, regression.")] = "auto",
    samples: Annotated[
        int | None, typer.Option(min=1, help="Generated data: number of samples.")
    ] = None,
    noise: Annotated[float | None, typer.Option(help="Generated data: noise level.")] = None,
    standardize: Annotated[
        bool, typer.Option(help="Standardise features (fitted on the training part).")
    ] = True,
    out: Annotated[Path | None, typer.Option(help="Write the model file here.")] = None,
    plot: Annotated[Path | None, typer.Option(help="Write PNG figures to this directory.")] = None,
    metrics: Annotated[Path | None, typer.Option(help="Write the metrics as JSON here.")] = None,
    checkpoint_every: Annotated[
        int | None,
        typer.Option(min=1, help="Save the model (resumable) to --out every N epochs."),
    ] = None,
    resume: Annotated[
        Path | None,
        typer.Option(help="Continue the interrupted run saved in this model file."),
    ] = None,
    quiet: Annotated[bool, typer.Option(help="No progress bar.")] = False,
    scheduler: Annotated[
        str | None,
        typer.Option(help="Dask: local:N or tcp://host:8786; DATA is a Parquet/CSV glob."),
    ] = None,
) -> None:
    """Train an MLP; e.g. backproplab train moons --layers 2,16,16,2 --out moons.bpl.

    Ctrl-C (or SIGTERM) stops at the end of the current epoch and saves the model so far
    to --out, resumable with --resume; --checkpoint-every N saves it as training goes.
    With --scheduler, DATA is a Parquet/CSV glob trained on a Dask cluster.
    """
    # The run's options, as the command line gave them (click keeps every parameter's value
    # in ctx.params), become one TrainSettings that travels whole to the fit loop.
    run = {name: ctx.params[name] for name in RUN_OPTIONS}
    run["layers"] = parse_layers(layers)
    if scheduler is not None:  # data past one machine: backproplab.distributed
        from ..distributed.command import print_summary, train_on_cluster

        if data is None:
            raise fail("--scheduler needs the data to train on (a Parquet or CSV glob)")
        settings = TrainSettings.from_options(**run)
        print_summary(
            train_on_cluster(data, settings, scheduler=scheduler, out=out, quiet=quiet), out
        )
        return
    err = Console(stderr=True)
    warn = make_warner()
    given = {
        name for name in RUN_OPTIONS
        if ctx.get_parameter_source(name) is ParameterSource.COMMANDLINE
    }  # fmt: skip
    resumed = None
    if resume is not None:
        resumed = _load_resumable(resume)
        saved = resumed.extra["settings"]
        source = str(saved["source"])
        if data is not None and data != source:
            raise fail(f"--resume {resume} was trained on {source!r}, not on {data!r}")
        for name in sorted(given):
            warn(f"{_option(name)} is ignored with --resume (the run keeps its own settings)")
        run = {k: saved[k] for k in RUN_OPTIONS if k in saved}
        run["layers"] = resumed.net.layer_sizes
        data = source
        if out is None:
            out = resume
    else:
        if data is None:
            raise fail("give the data to train on (a data set name or a CSV), or --resume MODEL")
        check_run_options(run, warn)
    settings = TrainSettings.from_options(**run)
    if checkpoint_every is not None and out is None:
        raise fail("--checkpoint-every needs --out (the file the checkpoints are written to)")
    data_path = Path(data) if not is_builtin(data) else None
    check_outputs(
        [("--out", out), ("--metrics", metrics)],
        inputs=[data_path, resume],
        directories=[("--plot", plot)],
        allow_same=[resume] if resume is not None and out == resume else [],
    )
    dataset = load_data(data, target=settings.target, task=settings.task,
                        n_samples=settings.samples, noise=settings.noise,
                        seed=settings.fit.seed or 0)  # fmt: skip
    progress = Progress(
        TextColumn("[bold]{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TextColumn("{task.fields[metrics]}"),
        TimeElapsedColumn(),
        TextColumn("ETA"),
        TimeRemainingColumn(),
        console=err,
        disable=quiet,
    )
    settings_out = {**settings.record(), "source": data}
    if data_path is not None:
        settings_out["source_sha256"] = file_sha256(data_path)
    interrupt = InterruptCallback(
        lambda: err.print("stopping at the end of this epoch..."),
        on_begin=None if quiet else lambda: err.print(
            "training (Ctrl-C stops at the end of the current epoch and saves the model)"
        ),
    )  # fmt: skip
    saver = RunSaver(dataset_name=dataset.name, out=out, warn=warn)
    loop: dict[str, Any] = {"callbacks": [ProgressCallback(progress), interrupt, saver]}
    if resumed is not None:
        loop["resume"] = resumed.training_state
    if checkpoint_every is not None:
        loop.update(checkpoint_every=checkpoint_every, on_checkpoint=saver.checkpoint)
    try:
        with progress, interrupt.installed():
            result = train(
                dataset,
                settings.replace(**loop),
                net=None if resumed is None else resumed.net,
                on_prepared=lambda prepared, net: saver.prepared(prepared, net, settings_out),
            )
    except DivergenceError as exc:
        raise fail(saver.diverged(exc, settings_out)) from None
    except InputError as exc:
        raise fail(cli_words(str(exc))) from None
    summary = _summary(result)
    interrupted = interrupt.fired and result.history.stop_reason == "callback"
    state_name = "interrupted" if interrupted else result.history.stop_reason
    extra = {"settings": {**settings_out, **result.settings}, "metrics": summary}
    saved = saver.save_final(result, extra, state_name, rescue=interrupted)
    figures = _figures(result, plot, warn) if plot is not None else []
    if metrics is not None:
        save_with_fallback(
            lambda p: atomic_write_text(p, json_text(summary, indent=2) + "\n"),
            metrics, "metrics", warn,
        )  # fmt: skip
    _print_summary(result, summary, saved, figures)
    if interrupted:
        last = result.history.epochs[-1] if result.history.epochs else 0
        where = f"saved {saved} (resume with --resume {saved})" if saved else "nothing saved"
        typer.echo(f"interrupted at epoch {last} of {settings.fit.epochs}; {where}", err=True)
        raise typer.Exit(130)
    if saver.rescued:
        raise typer.Exit(1)


def _load_resumable(path: Path) -> ModelFile:
    mf = load_model_file(path, training_state=True)
    if not isinstance(mf.extra.get("settings"), dict) or "source" not in mf.extra["settings"]:
        raise fail(f"--resume {path}: the model file does not record how it was trained")
    state = mf.status.get("state")
    if state not in ("interrupted", "checkpoint"):
        raise fail(f"--resume {path}: this run ended ({state}); only an interrupted run or a "
                   "checkpoint can be resumed")  # fmt: skip
    if mf.training_state_parts is None:
        raise fail(f"--resume {path}: the model file holds no training state")
    return mf


def _summary(result: TrainResult) -> dict[str, Any]:
    h = result.history
    out: dict[str, Any] = {
        "dataset": result.prepared.dataset.name,
        "task": result.prepared.dataset.task,
        "layers": result.net.layer_sizes,
        "activations": result.net.activations,
        "loss_function": result.net.loss_name,
        "epochs_run": len(h),
        "stop_reason": h.stop_reason,
        "best_epoch": h.best_epoch,
        "final_loss": h.loss[-1],
        "train": result.train_metrics,
        "test": result.test_metrics,
        "n_train": int(len(result.prepared.train_idx)),
        "n_test": int(len(result.prepared.test_idx)),
        "seconds": h["time"][-1],
    }
    for key in ("val_loss", "val_accuracy"):
        if key in h:
            out[key] = h[key][-1]
    return out


def _figures(result: TrainResult, directory: Path, warn: Callable[[str], None]) -> list[Path]:
    from ..plots import plot_decision_boundary, plot_loss

    ds = result.prepared.dataset
    try:
        directory.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        warn(f"--plot {directory}: cannot create the directory ({exc.strerror}); no figures")
        return []
    paths = [
        save_with_fallback(
            lambda p: plot_loss(result.history, p, title=f"{ds.name}: loss per epoch"),
            directory / "loss.png", "loss figure", warn,
        )
    ]  # fmt: skip
    if ds.n_features == 2 and ds.is_classification:
        paths.append(
            save_with_fallback(
                lambda p: plot_decision_boundary(
                    result.net, ds.X, ds.y, p,
                    transform=result.prepared.preprocessing.transform_X,
                    class_names=ds.class_names, title=f"{ds.name}: decision boundary",
                ),
                directory / "decision_boundary.png", "decision-boundary figure", warn,
            )
        )  # fmt: skip
    return paths


def _print_summary(
    result: TrainResult, summary: dict[str, Any], out: Path | None, figures: list[Path]
) -> None:
    console = Console()
    net = result.net
    table = Table(title=f"Trained on {summary['dataset']} ({summary['task']})")
    table.add_column("", style="bold")
    table.add_column("value")
    table.add_row(
        "network", "-".join(map(str, net.layer_sizes)) + f"  {', '.join(net.activations)}"
    )
    table.add_row("loss function", net.loss_name)
    s = result.settings
    table.add_row(
        "optimizer",
        f"{s['optimizer']} lr={s['lr']:g} batch={s['batch_size'] or 'full'}"
        + (f" weight_decay={s['weight_decay']:g}" if s["weight_decay"] else ""),
    )
    table.add_row("epochs", f"{summary['epochs_run']} ({summary['stop_reason']})")
    held = " (incl. validation)" if result.settings["val_split"] else ""
    table.add_row("rows", f"{summary['n_train']} train{held}, {summary['n_test']} test")
    table.add_row("final training loss", f"{summary['final_loss']:.6g}")
    if "val_accuracy" in summary:
        table.add_row("validation accuracy", f"{summary['val_accuracy']:.4f}")
    elif "val_loss" in summary:
        table.add_row("validation loss", f"{summary['val_loss']:.6g}")
    for part in ("train", "test"):
        m = summary[part]
        if m is None:
            continue
        if "accuracy" in m:
            table.add_row(f"{part} accuracy", f"{m['accuracy']:.4f}")
        else:
            table.add_row(f"{part} R²", f"{m['r2']:.4f}")
            table.add_row(f"{part} RMSE", f"{m['rmse']:.4g}")
    table.add_row("time", f"{summary['seconds']:.2f} s")
    if out is not None:
        table.add_row("model file", str(out))
    for path in figures:
        table.add_row("figure", str(path))
    console.print(table)
