"""``backproplab train 'data/*.parquet' --target y --scheduler local:4``: the cluster pipeline.

The same steps as :mod:`backproplab.train.pipeline`, each a pass over the chunks: read the
Parquet or CSV glob as a dask frame; decide the task and the classes from the target column;
hold out the test rows (dask's seeded per-partition ``random_split``); fit the standardisation
on the training rows by a distributed moments pass; train with :func:`.fit`; measure the test
loss and accuracy with one more pass; save the model with its preprocessing as today.
"""

from __future__ import annotations

import glob
import time
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import numpy as np

from ..engine.errors import InputError
from ..engine.fit import Callback
from ..train.csv import MAX_AUTO_CLASSES
from ..train.pipeline import TrainSettings, build_network
from ..train.preprocessing import Preprocessing
from .cluster import connect
from .data import distinct_values
from .fit import Runner, fit
from .standardise import fit_standardizer


def read_frame(pattern: str) -> Any:
    """A dask frame from a glob of Parquet or CSV files."""
    import dask.dataframe as dd

    files = sorted(glob.glob(pattern)) or ([pattern] if Path(pattern).is_dir() else [])
    if not files:
        raise InputError(f"{pattern!r} matches no file")
    suffix = Path(files[0]).suffix.lower()
    if Path(files[0]).is_dir() or suffix in (".parquet", ".pq"):
        return dd.read_parquet(files if len(files) > 1 else files[0])
    if suffix in (".csv", ".txt", ".tsv"):
        return dd.read_csv(files, sep="\t" if suffix == ".tsv" else ",")
    raise InputError(f"{files[0]}: with --scheduler the data must be Parquet or CSV files")


class RateCallback(Callback):
    """Feeds a Rich progress bar: loss, and rows per second across the cluster."""

    def __init__(self, progress: Any) -> None:
        self.progress = progress
        self.rows = 0

    def on_train_begin(self, net: Any, info: dict[str, Any]) -> None:
        self.rows = info["n_samples"]
        self.task = self.progress.add_task("training", total=self.epochs, metrics="")

    def on_epoch_end(self, epoch: int, logs: dict[str, float]) -> None:
        rate = self.rows * epoch / max(logs["time"], 1e-9)
        shown = f"loss {logs['loss']:.4g}  {rate:,.0f} rows/s"
        if "val_loss" in logs:
            shown += f"  val loss {logs['val_loss']:.4g}"
        self.progress.update(self.task, completed=epoch, metrics=shown)


def train_on_cluster(
    data: str, settings: TrainSettings, *, scheduler: str, out: Path | None, quiet: bool
) -> dict[str, Any]:
    """Run the pipeline on the cluster; returns the summary (printed by the caller).

    ``settings`` are those of :func:`backproplab.train.pipeline.train` (the data, network,
    split and fit options); ``samples`` and ``noise`` do not apply to files.
    """
    from rich.console import Console
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn

    from ..io import save_model

    s, task = settings, settings.task
    frame = read_frame(data)
    columns = list(frame.columns)
    target = s.target or columns[-1]
    if target not in columns:
        raise InputError(f"--target {target!r} is not a column of {data} ({', '.join(columns)})")
    features = [c for c in columns if c != target]
    if task not in ("auto", "classification", "regression"):
        raise InputError(f"--task must be auto, classification or regression, got {task!r}")
    with connect(scheduler) as client:
        started = time.perf_counter()
        column = frame[target]
        from pandas.api.types import is_bool_dtype, is_numeric_dtype

        numeric = is_numeric_dtype(column.dtype) and not is_bool_dtype(column.dtype)
        classes: list[Any] | None = None
        if task == "auto" or task == "classification":
            # Distinct values per partition, merged here (a global drop_duplicates shuffles).
            values = distinct_values(column, client)
            whole = numeric and np.all(values == np.round(values))
            if (
                task == "classification"
                or not numeric
                or (whole and len(values) <= MAX_AUTO_CLASSES)
            ):
                classes = sorted(values.tolist())
        if classes is not None and len(classes) < 2:
            raise InputError(f"the target {target!r} holds a single class; use more data")
        split = s.test_split
        parts = frame.random_split([1 - split, split], random_state=s.test_seed)
        train_part, test_part = parts if split > 0 else (frame, None)
        X = train_part[features].astype("float64")
        feats = fit_standardizer(X, client) if s.standardize else None
        y_std = None
        if classes is None:
            y_raw = train_part[[target]].astype("float64")
            y_std = fit_standardizer(y_raw, client)
        shape = SimpleNamespace(name=data, n_features=len(features), n_classes=len(classes or []),
                                is_classification=classes is not None)  # fmt: skip
        net = build_network(shape, s.layers, hidden=s.hidden, output=s.output, loss=s.loss,
                            seed=s.fit.seed)  # fmt: skip
        pre = Preprocessing(features=feats, target=y_std, feature_names=tuple(features),
                            target_name=target)  # fmt: skip
        Xs, ys = _network_inputs(train_part, features, target, pre, classes, net)
        progress = Progress(TextColumn("[bold]{task.description}"), BarColumn(),
                            MofNCompleteColumn(), TextColumn("{task.fields[metrics]}"),
                            console=Console(stderr=True), disable=quiet)  # fmt: skip
        rate = RateCallback(progress)
        rate.epochs = s.fit.epochs
        with progress:
            history = fit(net, Xs, ys, client=client, **s.fit.replace(callbacks=[rate]).changes())
        summary: dict[str, Any] = {
            "dataset": data, "task": "classification" if classes else "regression",
            "layers": net.layer_sizes, "activations": net.activations,
            "loss_function": net.loss_name, "epochs_run": len(history),
            "stop_reason": history.stop_reason, "final_loss": history.loss[-1],
            "n_train": rate.rows, "workers": len(client.scheduler_info()["workers"]),
            "rows_per_s": rate.rows * len(history) / max(history["time"][-1], 1e-9),
        }  # fmt: skip
        if test_part is not None:
            Xt, yt = _network_inputs(test_part, features, target, pre, classes, net)
            test = Runner(net, Xt, yt, client=client, val_split=1.0, seed=s.fit.seed,
                          persist=False)  # fmt: skip
            sums = test.sums(list(net.parameters()), train=False, val=True)
            summary["n_test"] = sums.val_rows
            if sums.val_rows:
                summary["test"] = {"loss": sums.val_loss / sums.val_rows}
                if classes is not None:
                    summary["test"]["accuracy"] = sums.val_correct / sums.val_rows
        summary["seconds"] = time.perf_counter() - started
    if out is not None:
        save_model(net, out, preprocessing=pre,
                   classes=[str(c) for c in classes] if classes else None,
                   extra={"settings": {"source": data, "scheduler": scheduler,
                                       "epochs": s.fit.epochs, "optimizer": s.fit.optimizer,
                                       "seed": s.fit.seed},
                          "metrics": summary})  # fmt: skip
    return summary


def _network_inputs(part: Any, features: list[str], target: str, pre: Preprocessing,
                    classes: list[Any] | None, net: Any) -> tuple[Any, Any]:  # fmt: skip
    """Standardised features and the targets in the form the network's loss takes, lazily."""
    feats, tgt = pre.features, pre.target

    def x_block(df: Any) -> Any:
        arr = df[features].to_numpy(dtype=np.float64)
        return feats.transform(arr) if feats is not None else arr

    def y_block(df: Any) -> Any:
        s = df[target]
        if classes is None:
            return tgt.transform(s.to_numpy(dtype=np.float64).reshape(-1, 1))
        labels = np.searchsorted(np.asarray(classes), s.to_numpy())
        return labels.reshape(-1, 1).astype(np.float64) if net.n_outputs == 1 else labels

    import dask

    # X and y from the same partition object, so that their rows are the same by construction.
    blocks = part[[*features, target]].to_delayed()
    xs = [dask.delayed(x_block, pure=False)(p) for p in blocks]
    ys = [dask.delayed(y_block, pure=False)(p) for p in blocks]
    return xs, ys


def print_summary(summary: dict[str, Any], out: Path | None) -> None:
    from rich.console import Console
    from rich.table import Table

    table = Table(title=f"Trained on {summary['dataset']} ({summary['task']}), on the cluster")
    table.add_column("", style="bold")
    table.add_column("value")
    table.add_row("network", "-".join(map(str, summary["layers"]))
                  + f"  {', '.join(summary['activations'])}")  # fmt: skip
    table.add_row("loss function", summary["loss_function"])
    table.add_row("epochs", f"{summary['epochs_run']} ({summary['stop_reason']})")
    table.add_row("rows", f"{summary['n_train']} train, {summary.get('n_test', 0)} test")
    table.add_row("workers", str(summary["workers"]))
    table.add_row("rows/s", f"{summary['rows_per_s']:,.0f}")
    table.add_row("final training loss", f"{summary['final_loss']:.6g}")
    for key, value in (summary.get("test") or {}).items():
        table.add_row(f"test {key}", f"{value:.4f}")
    table.add_row("time", f"{summary['seconds']:.2f} s")
    if out is not None:
        table.add_row("model file", str(out))
    Console().print(table)
