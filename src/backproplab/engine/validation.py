"""Input checks shared by the engine: shapes, dtypes and finiteness.

Each check turns bad input into an :class:`InputError` naming the argument, the
expected shape or value and what was actually given.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from .errors import InputError


def _as_float_array(value: Any, name: str, dtype: np.dtype) -> np.ndarray:
    try:
        arr = np.asarray(value)
    except Exception as exc:  # ragged nested lists and the like
        raise InputError(f"{name} could not be read as an array: {exc}") from None
    if arr.dtype == object or not (
        np.issubdtype(arr.dtype, np.number) or np.issubdtype(arr.dtype, np.bool_)
    ):
        raise InputError(f"{name} must be numeric, got an array of dtype {arr.dtype}")
    if np.iscomplexobj(arr):
        raise InputError(f"{name} must be real, got complex values")
    return arr.astype(dtype, copy=False)


def _check_finite(arr: np.ndarray, name: str) -> None:
    if not np.isfinite(arr).all():
        bad = np.argwhere(~np.isfinite(arr))[0]
        where = ", ".join(str(int(i)) for i in bad)
        raise InputError(
            f"{name} contains NaN or inf (first at index [{where}]: {arr[tuple(bad)]})"
        )


def is_plain(arr: Any, dtype: np.dtype, width: int) -> bool:
    """A C-ordered (n >= 1, width) array of ``dtype`` (its values not looked at). Cheap for
    the small arrays of a per-call loop (the per-call cost is what it saves)."""
    if (
        type(arr) is not np.ndarray
        or arr.ndim != 2
        or (arr.dtype is not dtype and arr.dtype != dtype)
    ):
        return False
    rows, cols = arr.shape
    # (the strides test is C order, cheaper than arr.flags)
    return cols == width and rows != 0 and arr.strides == (cols * arr.itemsize, arr.itemsize)


def _ready(arr: Any, dtype: np.dtype, width: int) -> bool:
    """A C-ordered, finite (n >= 1, width) array of ``dtype``: nothing to convert or report."""
    if not is_plain(arr, dtype, width):
        return False
    if arr.size <= 32:
        return all(map(math.isfinite, arr.ravel().tolist()))
    return bool(np.isfinite(arr).all())


def check_inputs(X: Any, n_in: int, dtype: np.dtype, name: str = "X") -> np.ndarray:
    """X as a C-contiguous (n_samples, n_in) array of ``dtype``.

    A 1-D X is taken as *one* sample and must have length n_in (for n samples of a
    single feature pass ``X.reshape(-1, 1)``).
    """
    if _ready(X, dtype, n_in):
        return X  # already what is asked for (the per-call path of MLP.step, fit's batches)
    arr = _as_float_array(X, name, dtype)
    if arr.ndim == 1:
        if arr.shape[0] != n_in:
            raise InputError(
                f"{name}: a 1-D input is one sample and needs {n_in} values, got {arr.shape[0]}"
                + (" (for n samples of one feature pass X.reshape(-1, 1))" if n_in == 1 else "")
            )
        arr = arr.reshape(1, n_in)
    _check_shape(arr, name, None, n_in, f"features per sample but the network expects {n_in}")
    if arr.shape[0] == 0:
        raise InputError(f"{name} has no samples (shape {arr.shape})")
    _check_finite(arr, name)
    return np.ascontiguousarray(arr)


def _check_shape(arr: np.ndarray, name: str, n_rows: int | None, n_cols: int, columns: str) -> None:
    """``arr`` must be 2-D with ``n_cols`` columns and, unless ``n_rows`` is None, that many
    rows; ``columns`` says what a wrong column count means (after "X has 3 ...")."""
    expected = f"({'n_samples' if n_rows is None else n_rows}, {n_cols})"
    if arr.ndim != 2:
        raise InputError(f"{name} must be 2-D {expected}, got shape {arr.shape}")
    if n_rows is not None and arr.shape[0] != n_rows:
        raise InputError(
            f"{name} has {arr.shape[0]} rows but X has {n_rows} samples "
            f"(expected shape {expected}, got {arr.shape})"
        )
    if arr.shape[1] != n_cols:
        raise InputError(
            f"{name} has {arr.shape[1]} {columns} (expected shape {expected}, got {arr.shape})"
        )


def check_targets(
    Y: Any, n_samples: int, n_out: int, loss: str, dtype: np.dtype, name: str = "Y"
) -> np.ndarray:
    """Targets as an (n_samples, n_out) array of ``dtype``.

    For ``cross_entropy``, integer class labels of shape (n,) are one-hot encoded.
    For a single output, a 1-D Y of length n is accepted as a column.
    """
    if loss == "mse" and _ready(Y, dtype, n_out) and Y.shape[0] == n_samples:
        return Y
    raw = np.asarray(Y) if not isinstance(Y, np.ndarray) else Y
    if loss == "cross_entropy" and raw.ndim == 1 and n_out > 1:
        return _one_hot_labels(raw, n_samples, n_out, dtype, name)
    arr = _as_float_array(raw, name, dtype)
    if arr.ndim == 0:
        arr = arr.reshape(1, 1)
    if arr.ndim == 1:
        if n_out == 1:
            arr = arr.reshape(-1, 1)
        elif n_samples == 1 and arr.shape[0] == n_out:
            arr = arr.reshape(1, n_out)
        else:
            raise InputError(
                f"{name} must have shape ({n_samples}, {n_out}) for a network with {n_out} "
                f"outputs, got shape {arr.shape}"
            )
    _check_shape(arr, name, n_samples, n_out, f"columns but the network has {n_out} outputs")
    _check_finite(arr, name)
    if loss == "bce" and ((arr < 0).any() or (arr > 1).any()):
        raise InputError(f"{name}: loss='bce' needs targets in [0, 1], got values outside it")
    if loss == "poisson" and (arr < 0).any():
        raise InputError(f"{name}: loss='poisson' needs targets >= 0 (counts or rates)")
    if loss == "cross_entropy" and ((arr < 0).any() or not np.allclose(arr.sum(axis=1), 1.0)):
        raise InputError(
            f"{name}: loss='cross_entropy' needs one-hot (or probability) rows summing to 1, "
            "or integer class labels of shape (n,)"
        )
    return np.ascontiguousarray(arr)


def _one_hot_labels(
    raw: np.ndarray, n_samples: int, n_classes: int, dtype: np.dtype, name: str
) -> np.ndarray:
    if raw.shape[0] != n_samples:
        raise InputError(
            f"{name} has {raw.shape[0]} labels but X has {n_samples} samples "
            f"(expected shape ({n_samples},), got {raw.shape})"
        )
    if not np.issubdtype(raw.dtype, np.number) or np.issubdtype(raw.dtype, np.complexfloating):
        raise InputError(f"{name}: class labels must be integers, got dtype {raw.dtype}")
    if np.issubdtype(raw.dtype, np.floating) and (
        not np.isfinite(raw).all() or not np.all(raw == np.round(raw))
    ):
        raise InputError(f"{name}: class labels must be whole numbers, got {raw[:5]}...")
    labels = raw.astype(np.int64)
    if labels.min() < 0 or labels.max() >= n_classes:
        raise InputError(
            f"{name}: class labels must lie in 0..{n_classes - 1} for {n_classes} outputs, "
            f"got values from {labels.min()} to {labels.max()}"
        )
    onehot = np.zeros((n_samples, n_classes), dtype=dtype)
    onehot[np.arange(n_samples), labels] = 1
    return onehot


def check_learning_rate(lr: Any) -> float:
    if type(lr) is float and 0.0 <= lr < math.inf:  # the per-call path: nothing to convert
        return lr
    try:
        value = float(lr)
    except (TypeError, ValueError):
        raise InputError(f"lr must be a number, got {lr!r}") from None
    if not np.isfinite(value) or value < 0:
        raise InputError(f"lr must be a finite number >= 0, got {lr!r}")
    return value


def check_sample_weight(sample_weight: Any, n_samples: int) -> np.ndarray | None:
    """Per-sample weights as a float64 vector of length n (None stays None).

    Weights must be finite and >= 0 with a positive sum; L becomes the weighted mean of
    the samples' losses, sum_i w_i l_i / sum_i w_i (all ones: the plain mean)."""
    if sample_weight is None:
        return None
    arr = _as_float_array(sample_weight, "sample_weight", np.dtype(np.float64))
    if arr.ndim == 0:
        arr = np.full(n_samples, float(arr))
    if arr.ndim != 1 or arr.shape[0] != n_samples:
        raise InputError(
            f"sample_weight must have shape ({n_samples},), one weight per sample, "
            f"got shape {arr.shape}"
        )
    _check_finite(arr, "sample_weight")
    if (arr < 0).any():
        raise InputError("sample_weight must be >= 0")
    if not arr.sum() > 0:
        raise InputError("sample_weight must have a positive sum")
    return arr


def check_fraction(value: Any, name: str) -> float:
    """A fraction of the rows to hold out, in [0, 1)."""
    try:
        fraction = float(value)
    except (TypeError, ValueError):
        raise InputError(f"{name} must be a number, got {value!r}") from None
    if not 0.0 <= fraction < 1.0:
        raise InputError(f"{name} must lie in [0, 1), got {fraction}")
    return fraction
