"""``backproplab train``: train an MLP on a built-in data set or a CSV file.

Progress (loss, validation metric, ETA) is a Rich progress bar fed by a fit-loop callback;
the summary table goes to stdout. All the work is done by ``train.pipeline`` and the engine.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated, Any

import typer
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

from ..engine.errors import InputError
from ..engine.fit import Callback
from ..engine.network import MLP
from ..io import atomic_write_text, save_model
from ..train.pipeline import TrainResult, load_data, train
from .app import app, fail


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


def parse_layers(text: str | None) -> list[int] | None:
    """'2,16,16,2' -> [2, 16, 16, 2]."""
    if text is None:
        return None
    try:
        sizes = [int(part) for part in text.replace(" ", "").split(",") if part]
    except ValueError:
        raise InputError(
            f"--layers must be sizes separated by commas, e.g. 2,16,2; got {text!r}"
        ) from None
    if len(sizes) < 2 or min(sizes) < 1:
        raise InputError(f"--layers needs at least two positive sizes, e.g. 2,16,2; got {text!r}")
    return sizes


@app.command("train")
def train_command(
    data: Annotated[str, typer.Argument(help="A built-in data set (moons, digits, ...) or a CSV.")],
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
    seed: Annotated[int, typer.Option(help="Seed of the weights and the batch order.")] = 0,
    split_seed: Annotated[
        int | None, typer.Option(help="Seed of the test split (default: --seed).")
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
    quiet: Annotated[bool, typer.Option(help="No progress bar.")] = False,
    scheduler: Annotated[
        str | None,
        typer.Option(help="Dask: local:N or tcp://host:8786; DATA is a Parquet/CSV glob."),
    ] = None,
) -> None:
    """Train an MLP; e.g. backproplab train moons --layers 2,16,16,2 --out moons.bpl."""
    if scheduler is not None:  # data past one machine: backproplab.distributed
        from ..distributed.command import print_summary, train_on_cluster

        print_summary(train_on_cluster(
            data, scheduler=scheduler, target=target, task=task, layers=parse_layers(layers),
            hidden=hidden, output=output, loss=loss, epochs=epochs, lr=lr,
            batch_size=batch_size, optimizer=optimizer, momentum=momentum,
            weight_decay=weight_decay, schedule=schedule, seed=seed, split_seed=split_seed,
            test_split=test_split, val_split=val_split, patience=patience,
            standardize=standardize, out=out, quiet=quiet,
        ), out)  # fmt: skip
        return
    dataset = load_data(
        data, target=target, task=task, n_samples=samples, noise=noise, seed=seed
    )  # fmt: skip
    if plot is not None and plot.exists() and not plot.is_dir():
        raise fail(f"--plot {plot} exists and is not a directory")
    if out is not None and not out.parent.is_dir():
        raise fail(f"--out {out}: the directory {out.parent} does not exist")
    err = Console(stderr=True)
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
    with progress:
        result = train(
            dataset,
            layers=parse_layers(layers),
            hidden=hidden,
            output=output,
            loss=loss,
            epochs=epochs,
            lr=lr,
            batch_size=batch_size,
            optimizer=optimizer,
            momentum=momentum,
            weight_decay=weight_decay,
            schedule=schedule,
            seed=seed,
            split_seed=split_seed,
            test_split=test_split,
            val_split=val_split,
            patience=patience,
            standardize=standardize,
            callbacks=[ProgressCallback(progress)],
        )
    summary = _summary(result)
    extra = {
        "settings": {**result.settings, "samples": samples, "noise": noise, "source": data},
        "metrics": summary,
    }
    if out is not None:
        save_model(
            result.net, out, preprocessing=result.prepared.preprocessing,
            classes=result.classes, extra=extra,
        )  # fmt: skip
    figures = _figures(result, plot) if plot is not None else []
    if metrics is not None:
        atomic_write_text(metrics, json.dumps(summary, indent=2) + "\n")
    _print_summary(result, summary, out, figures)


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


def _figures(result: TrainResult, directory: Path) -> list[Path]:
    from ..plots import plot_decision_boundary, plot_loss

    directory.mkdir(parents=True, exist_ok=True)
    ds = result.prepared.dataset
    paths = [plot_loss(result.history, directory / "loss.png", title=f"{ds.name}: loss per epoch")]
    if ds.n_features == 2 and ds.is_classification:
        paths.append(
            plot_decision_boundary(
                result.net, ds.X, ds.y, directory / "decision_boundary.png",
                transform=result.prepared.preprocessing.transform_X,
                class_names=ds.class_names, title=f"{ds.name}: decision boundary",
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
