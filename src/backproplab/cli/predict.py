"""``backproplab predict`` and ``backproplab evaluate``: use a saved model on new rows."""

from __future__ import annotations

import csv
import io
from pathlib import Path
from typing import Annotated, Any

import numpy as np
import typer
from rich.console import Console
from rich.table import Table

from ..engine.errors import InputError
from ..io import ModelFile, atomic_write_text, json_text, load_model_file
from ..outputs import check_outputs, save_with_fallback
from ..train.csv import encode_with_classes, load_features_csv
from ..train.datasets import ALIASES, DATASET_NAMES, load_dataset
from ..train.pipeline import class_probabilities, metrics, predict_classes
from ..train.preprocessing import Preprocessing
from ..train.splits import split_indices
from .app import app, fail
from .messages import make_warner
from .run_safety import file_sha256


def _is_builtin(name: str) -> bool:
    key = name.lower()
    return key in DATASET_NAMES or key in ALIASES


def _features(model: ModelFile, source: str) -> tuple[np.ndarray, list[str] | None]:
    """Raw feature rows from a CSV file or a built-in data set, and the target cells."""
    pre = model.preprocessing or Preprocessing()
    if _is_builtin(source):
        ds = _builtin_dataset(model, source)
        _check_width(ds.X.shape[1], model, source)
        y = ds.y
        labels = (
            [ds.class_names[k] for k in y] if ds.is_classification else [repr(float(v)) for v in y]
        )
        return ds.X, labels
    names = list(pre.feature_names)
    X, target_cells, _ = load_features_csv(Path(source), names, target=pre.target_name)
    _check_width(X.shape[1], model, source)
    return X, target_cells


def _settings(model: ModelFile) -> dict[str, Any]:
    settings = model.extra.get("settings")
    return settings if isinstance(settings, dict) else {}


def _builtin_dataset(model: ModelFile, name: str) -> Any:
    """The data set by name; generated exactly as in training when the model was trained on it."""
    s = _settings(model)
    if str(s.get("source", "")).lower() == name.lower():
        return load_dataset(name, n_samples=s.get("samples"), noise=s.get("noise"),
                            seed=int(s.get("seed", 0)))  # fmt: skip
    return load_dataset(name)


def _check_width(width: int, model: ModelFile, source: str) -> None:
    if width != model.net.n_inputs:
        raise InputError(
            f"{source}: {width} feature columns, but the model takes {model.net.n_inputs}"
        )


def _probability_outputs(model: ModelFile) -> bool:
    return model.net.activations[-1] in ("sigmoid", "softmax")


@app.command()
def predict(
    model: Annotated[Path, typer.Argument(help="A model file written by backproplab train.")],
    data: Annotated[str, typer.Argument(help="A CSV file of feature rows (or a data set name).")],
    out: Annotated[Path | None, typer.Option(help="Write the predictions CSV here.")] = None,
) -> None:
    """Predict each row of a CSV: the class (and class probabilities) or the value."""
    check_outputs([("--out", out)], inputs=[model, None if _is_builtin(data) else Path(data)])
    mf = load_model_file(model)
    X_raw, _ = _features(mf, data)
    pre = mf.preprocessing or Preprocessing()
    X = pre.transform_X(X_raw)
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    if mf.classes is not None:
        classes = [str(c) for c in mf.classes]
        with_probs = _probability_outputs(mf)
        writer.writerow(["prediction"] + ([f"p_{c}" for c in classes] if with_probs else []))
        probs = class_probabilities(mf.net, X)
        for k, cls in enumerate(predict_classes(mf.net, X)):
            row: list[Any] = [classes[cls]]
            if with_probs:
                row += [f"{p:.6g}" for p in probs[k]]
            writer.writerow(row)
    else:
        values = pre.inverse_y(mf.net.predict(X)).reshape(X.shape[0], -1)
        writer.writerow(["prediction"] if values.shape[1] == 1 else
                        [f"prediction_{j + 1}" for j in range(values.shape[1])])  # fmt: skip
        for row in values:
            writer.writerow([repr(float(v)) for v in row])
    if out is None:
        typer.echo(buffer.getvalue(), nl=False)
    else:
        warn = make_warner()
        written = save_with_fallback(
            lambda p: atomic_write_text(p, buffer.getvalue()), out, "predictions", warn
        )
        Console(stderr=True).print(f"wrote {X.shape[0]} predictions to {written}")
        if written != out:
            raise typer.Exit(1)


@app.command()
def evaluate(
    model: Annotated[Path, typer.Argument(help="A model file written by backproplab train.")],
    data: Annotated[str, typer.Argument(help="A CSV file with the target column, or a data set.")],
    split: Annotated[
        str, typer.Option(help="Built-in data: all, or the train/test part used in training.")
    ] = "all",
    as_json: Annotated[bool, typer.Option("--json", help="Print the metrics as JSON.")] = False,
) -> None:
    """Measure a saved model on labelled data: loss and accuracy, or R² and RMSE."""
    labels: Any = None
    if split not in ("all", "train", "test"):
        raise fail(f"--split must be all, train or test, got {split!r}")
    mf = load_model_file(model)
    pre = mf.preprocessing or Preprocessing()
    X_raw, target_cells = _features(mf, data)
    if target_cells is None:
        raise fail(f"{data}: no target column {pre.target_name!r} to evaluate against")
    if mf.classes is not None:
        labels = encode_with_classes(target_cells, [str(c) for c in mf.classes], data)
    rows = _split_rows(mf, data, split, len(target_cells), labels if mf.classes else None)
    X_raw = X_raw[rows]
    target_cells = [target_cells[k] for k in rows]
    if mf.classes is not None:
        task = "classification"
        y = labels[rows]
        if mf.net.n_outputs == 1:
            targets: Any = y.astype(np.float64).reshape(-1, 1)
        elif mf.net.loss_name == "cross_entropy":
            targets = y
        else:
            targets = np.eye(mf.net.n_outputs)[y]
    else:
        task = "regression"
        try:
            y = np.array([float(c) for c in target_cells])
        except ValueError:
            raise fail(
                f"{data}: the target column holds text, the model predicts numbers"
            ) from None
        targets = pre.transform_y(y).reshape(-1, 1)
    result = metrics(mf.net, pre, task, X_raw, y, net_targets=targets)
    result["n"] = int(len(y))
    if as_json:
        typer.echo(json_text(result))
        return
    table = Table(title=f"{model.name} on {data} ({split})")
    table.add_column("metric", style="bold")
    table.add_column("value", justify="right")
    for key, value in result.items():
        table.add_row(key, f"{value:.6g}" if isinstance(value, float) else str(value))
    Console().print(table)


def _same_data(settings: dict[str, Any], data: str) -> bool:
    """Is ``data`` what the model was trained on? (A CSV: the same bytes, by SHA-256.)"""
    source = str(settings.get("source", ""))
    if _is_builtin(data):
        return source.lower() == data.lower()
    recorded = settings.get("source_sha256")
    if recorded:
        return file_sha256(Path(data)) == recorded
    return Path(source).resolve() == Path(data).resolve()


def _split_rows(
    mf: ModelFile, data: str, split: str, n: int, labels: np.ndarray | None
) -> np.ndarray:
    """All rows, or the training/test rows of the split the model was trained with."""
    if split == "all":
        return np.arange(n)
    settings = _settings(mf)
    if "test_split" not in settings or not _same_data(settings, data):
        raise InputError(
            f"--split {split} needs the data the model was trained on "
            f"(this model: {settings.get('source', 'unknown')!r}; a CSV must be unchanged)"
        )
    if _is_builtin(data):
        ds = _builtin_dataset(mf, data)
        labels = ds.y if ds.is_classification else None
    seed = settings.get("split_seed")
    seed = settings.get("seed", 0) if seed is None else seed
    train_rows, test_rows = split_indices(n, settings["test_split"], seed=seed, stratify=labels)
    return train_rows if split == "train" else test_rows
