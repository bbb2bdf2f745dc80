"""Your own data in the lab: a CSV file, read by the CLI's own reader (``train/csv.py``).

The page sends the file's bytes as they are (``POST /api/data?name=...&target=...``), so
an upload meets exactly the rules and messages of ``backproplab train --data FILE.csv``:
UTF-8, a header or none, numeric features, no missing values, a target column. On top of
those, the lab's own limits (a page draws every neuron and point): at most
:data:`MAX_UPLOAD_BYTES` bytes -- refused from the Content-Length before the body is read,
and counted as it streams in otherwise (guards.BodyLimit) -- :data:`MAX_SAMPLES` rows and
:data:`MAX_FEATURES` features. The features, and a numeric target, are standardised as
``backproplab train`` does (train/preprocessing.py).
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs

import numpy as np

from ..engine.errors import InputError
from ..limits import check_size
from ..train.csv import DataError, load_csv_bytes
from ..train.datasets import Dataset
from ..train.pipeline import predict_classes
from ..train.preprocessing import fit_preprocessing
from .data import LabData, from_dataset
from .models import MAX_SAMPLES, MAX_UNITS, MIN_SAMPLES, LabConfig
from .session import LabSession

#: Largest CSV the page may upload (``backproplab train`` reads files up to 100 MiB).
MAX_UPLOAD_BYTES = 1024 * 1024
#: Feature columns (input units) and classes (output units) the lab draws at most.
MAX_FEATURES = MAX_UNITS
MAX_CLASSES = MAX_UNITS
#: The path the page uploads to.
UPLOAD_PATH = "/api/data"
WHAT = "CSV file in the lab"


def upload_limits() -> dict[str, int]:
    """The limits, as the page states them."""
    return {
        "max_bytes": MAX_UPLOAD_BYTES,
        "max_rows": MAX_SAMPLES,
        "min_rows": MIN_SAMPLES,
        "max_features": MAX_FEATURES,
        "max_classes": MAX_CLASSES,
    }


def file_name(name: str | None) -> str:
    """The uploaded file's own name (no folders, printable), as errors name it."""
    base = Path(str(name or "")).name.strip()
    base = re.sub(r"[^\w.\- ()]", "_", base)[:80]
    return base or "upload.csv"


def too_large(scope: dict[str, Any], size: int | None) -> str:
    """The CLI's 'too large' line, for guards.BodyLimit (``size`` None: counted past it)."""
    query = parse_qs(scope.get("query_string", b"").decode("latin-1"))
    name = file_name((query.get("name") or [""])[0])
    try:
        check_size(name, size, WHAT, MAX_UPLOAD_BYTES)
    except InputError as exc:
        return str(exc)
    return f"{name}: the request body is too large"


def lab_data_from_csv(
    data: bytes, name: str, *, target: str | None = None, task: str = "auto"
) -> LabData:
    """An uploaded CSV as the lab's data (the CLI's reader, then the lab's limits)."""
    name = file_name(name)
    check_size(name, len(data), WHAT, MAX_UPLOAD_BYTES)
    ds = load_csv_bytes(data, name, target=target or None, task=task)
    return lab_data_from_dataset(ds, name)


def lab_data_from_dataset(ds: Dataset, name: str) -> LabData:
    """A data set read from a CSV, checked against the lab's limits and standardised."""
    if not MIN_SAMPLES <= ds.n_samples <= MAX_SAMPLES:
        raise DataError(
            f"{name}: {ds.n_samples:,} data rows; the lab takes {MIN_SAMPLES} to {MAX_SAMPLES:,} "
            "(backproplab train takes larger files)"
        )
    if not 2 <= ds.n_features <= MAX_FEATURES:
        raise DataError(
            f"{name}: {ds.n_features} feature column(s); the lab draws 2 to {MAX_FEATURES} "
            "inputs (backproplab train takes any number)"
        )
    if ds.n_classes > MAX_CLASSES:
        raise DataError(
            f"{name}: {ds.n_classes} classes in {ds.target_name!r}; the lab draws at most "
            f"{MAX_CLASSES} output units"
        )
    regression = ds.task == "regression"
    prep = fit_preprocessing(
        ds.X, ds.y, regression=regression, feature_names=ds.feature_names,
        target_name=ds.target_name,
    )  # fmt: skip
    X = prep.transform_X(ds.X)
    labels = prep.transform_y(ds.y) if regression else np.asarray(ds.y, dtype=np.int64)
    note = "features standardised (mean 0, sd 1)" + (
        f", and the target {ds.target_name!r} too" if regression else ""
    )
    note = f"{name}: {ds.n_samples} rows, target {ds.target_name!r}; {note}"
    return from_dataset(ds, name, X, labels, feature_names=tuple(ds.feature_names), note=note)


def config_for(config: LabConfig, data: LabData) -> LabConfig:
    """The tab's configuration switched to its CSV, with a loss that fits the data."""
    if data.task == "regression":
        loss, output = "mse", "identity"
    else:
        loss, output = ("bce" if data.n_classes == 2 else "cross_entropy"), config.output
    return config.model_copy(
        update={"data": "csv", "n_samples": None, "noise": None, "loss": loss, "output": output}
    )


def use_data(session: LabSession, data: LabData) -> None:
    """Make ``data`` the tab's CSV and start a fresh network on it (nothing changes on error)."""
    previous = session.uploaded
    session.uploaded = data
    try:
        session.configure(config_for(session.config, data))
    except Exception:
        session.uploaded = previous
        raise


def set_view(session: LabSession, x: int, y: int) -> None:
    """Plot the data (and the projected prediction) against features x and y."""
    d = session.data.n_features
    if x == y or not (0 <= x < d and 0 <= y < d):
        raise InputError(f"the projection needs two different features, 0 to {d - 1}; got {x}, {y}")
    session.data = session.data.with_view(x, y)
    if session.config.data == "csv" and session.uploaded is not None:
        session.uploaded = session.data


def fit_view(session: LabSession) -> dict[str, Any] | None:
    """For data of more than two features: a confusion matrix or the residuals.

    The predictions are the engine's (``net.predict``; classes as ``backproplab train``
    takes them); this counts and subtracts.
    """
    data = session.data
    if data.n_features <= 2:
        return None
    with np.errstate(all="ignore"):
        if data.task == "classification":
            k = max(data.n_classes, 2)
            predicted = predict_classes(session.net, session.X)
            matrix = np.zeros((k, k), dtype=np.int64)
            np.add.at(matrix, (data.labels.astype(np.int64), np.clip(predicted, 0, k - 1)), 1)
            return {
                "kind": "confusion",
                "classes": list(data.class_names),
                "matrix": matrix.tolist(),
                "accuracy": float(np.trace(matrix) / max(1, matrix.sum())),
            }
        predicted = session.net.predict(session.X)[:, 0]
        residual = data.labels - predicted
    finite = np.isfinite(predicted) & np.isfinite(residual)
    return {
        "kind": "residuals",
        "predicted": [
            float(f"{v:.4g}") if ok else None for v, ok in zip(predicted, finite, strict=True)
        ],
        "residual": [
            float(f"{v:.4g}") if ok else None for v, ok in zip(residual, finite, strict=True)
        ],
    }
