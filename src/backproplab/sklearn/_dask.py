"""The estimators on dask arrays and frames: the data stays in the workers.

``fit`` checks what the collections' metadata tells (2-D, the number of features, the
column names, numeric dtypes) and leaves the rest to the pass that loads the chunks, where
the engine's own checks (finite values, the targets' range) run on every chunk and name it.
The classes come from a distributed ``np.unique`` (one small array per chunk); the targets
are binarised chunk by chunk with the very ``LabelBinarizer`` the in-memory path uses, so
both train on the same numbers. Training is backproplab.distributed's: for 'lbfgs'
scikit-learn's objective is evaluated on the Runner's per-chunk sums (the engine's backward
pass on each chunk, the fixed-order float64 tree), for 'sgd' and 'adam' ``net_.fit`` runs its
synchronous data-parallel steps on the collections. ``predict`` and its kin map the network
over the chunks and return dask arrays.
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Callable
from functools import partial
from typing import TYPE_CHECKING, Any

import numpy as np
from sklearn.exceptions import DataConversionWarning
from sklearn.utils.multiclass import unique_labels
from sklearn.utils.validation import _check_feature_names, _check_n_features

from ..distributed import data, reduce
from ..distributed.cluster import active_client

if TYPE_CHECKING:
    from ..engine.network import MLP
    from ._base import BaseMLP

Array = np.ndarray
COMPUTE = "compute the data first (X.compute(), y.compute()) to fit in memory"


def refuse_unsupported(est: BaseMLP, sample_weight: Any, incremental: bool) -> None:
    """A one-line ValueError for what dask input does not support (nothing is gathered)."""
    if incremental:
        raise ValueError(
            "partial_fit is not supported on dask input; use fit (its epochs run on the "
            f"cluster), or {COMPUTE}"
        )
    if sample_weight is not None:
        raise ValueError(f"sample_weight is not supported on dask input; {COMPUTE}")
    if getattr(est, "class_weight", None) is not None:
        raise ValueError(f"class_weight is not supported on dask input; {COMPUTE}")
    if est.early_stopping and est.solver in ("sgd", "adam"):
        raise ValueError(
            "early_stopping=True is not supported on dask input; use early_stopping=False "
            f"(tol and n_iter_no_change still stop on the training loss), or {COMPUTE}"
        )


def check_features(est: BaseMLP, X: Any, reset: bool) -> tuple[Any, np.dtype]:
    """X unchanged, and the dtype scikit-learn would convert it to (float32 stays float32,
    any other numeric dtype becomes float64); sets or checks ``n_features_in_`` and
    ``feature_names_in_`` as ``validate_data`` does, from the metadata alone."""
    import dask.array as da
    import dask.dataframe as dd
    import pandas as pd

    if isinstance(X, dd.DataFrame):
        dtypes = [_numpy_dtype(t) for t in X.dtypes]
        bad = [c for c, t in zip(X.columns, dtypes, strict=True) if t is None]
        if bad:
            raise ValueError(
                f"X has non-numeric columns {bad}; the estimators take numeric features "
                "(convert them, e.g. with astype or a one-hot encoding)"
            )
        float32 = bool(dtypes) and np.result_type(*dtypes) == np.float32  # as validate_data
        stub: Any = pd.DataFrame(np.empty((0, len(X.columns))), columns=X.columns)
    elif isinstance(X, da.Array):
        if X.ndim != 2:
            raise ValueError(
                f"Expected a 2-D dask array (n_samples, n_features), got {X.ndim}-D; reshape "
                "it, e.g. X.reshape(-1, 1) for a single feature"
            )
        if not isinstance(X._meta, np.ndarray):
            raise ValueError(
                f"X's chunks are {type(X._meta).__name__}, not NumPy arrays; give dense chunks "
                "(e.g. X.map_blocks(lambda b: b.toarray()))"
            )
        if _numpy_dtype(X.dtype) is None:
            raise ValueError(f"X has dtype {X.dtype}; the estimators take numeric features")
        float32 = X.dtype == np.float32
        stub = np.empty((0, X.shape[1]))
    else:
        raise ValueError(
            f"X must be a dask array or dask DataFrame, got {type(X).__name__} (use X.to_frame() "
            "for a single column)"
        )
    if stub.shape[1] == 0:
        raise ValueError(
            f"Found array with 0 feature(s) while a minimum of 1 is required by "
            f"{type(est).__name__}."
        )
    _check_n_features(est, stub, reset=reset)
    _check_feature_names(est, stub, reset=reset)
    return X, np.dtype(np.float32 if float32 else np.float64)


def _numpy_dtype(dtype: Any) -> np.dtype | None:
    """A numeric (or boolean) column's NumPy dtype; None for anything else."""
    from pandas.api.types import is_complex_dtype, is_numeric_dtype

    if not is_numeric_dtype(dtype) or is_complex_dtype(dtype):
        return None
    numpy_dtype = getattr(dtype, "numpy_dtype", dtype)  # pandas' nullable Int64, Float32, ...
    try:
        return np.dtype(numpy_dtype)
    except TypeError:
        return np.dtype(np.float64)


def align_targets(X: Any, y: Any) -> Any:
    """y as a dask collection with X's row chunks (an in-memory y is split like X)."""
    import dask.array as da

    if data.is_dask_collection(y):
        return y
    if not isinstance(X, da.Array) or any(math.isnan(c) for c in X.chunks[0]):
        raise ValueError(
            "y is in memory but X's chunk sizes are unknown; pass y as a dask collection with "
            "X's partitions (e.g. both columns of one dask frame)"
        )
    y = np.asarray(y)
    if y.ndim == 0 or y.shape[0] != X.shape[0]:
        raise ValueError(
            f"Found input variables with inconsistent numbers of samples: [{X.shape[0]}, "
            f"{y.shape[0] if y.ndim else 0}]"
        )
    return da.from_array(y, chunks=(X.chunks[0], *y.shape[1:]))


def n_rows(X: Any) -> int:
    """X's number of rows: from the metadata when dask knows it, else one counting pass."""
    import dask

    shape = getattr(X, "shape", None)
    if shape is not None and isinstance(shape[0], int | np.integer):
        return int(shape[0])
    counts = dask.compute(*[dask.delayed(len)(b) for b in data.blocks_of(X)])
    return int(sum(counts))


def _columns(y: Any) -> tuple[Any, int]:
    """y as a 1-D collection (a column vector warns as scikit-learn does) or a 2-D one, and
    its number of columns (0 for 1-D)."""
    import dask.array as da
    import dask.dataframe as dd

    if isinstance(y, dd.Series):
        return y, 0
    if isinstance(y, dd.DataFrame):
        width = len(y.columns)
        if width == 1:
            _column_warning()
            return y[y.columns[0]], 0
        return y, width
    if isinstance(y, da.Array):
        if y.ndim == 1:
            return y, 0
        if y.ndim == 2 and y.shape[1] == 1:
            _column_warning()
            return y[:, 0], 0
        if y.ndim == 2:
            return y.rechunk({1: -1}), int(y.shape[1])
        raise ValueError(f"y must be 1-D or 2-D, got a {y.ndim}-D dask array")
    raise ValueError(f"y must be a dask array, series or frame, got {type(y).__name__}")


def _column_warning() -> None:
    warnings.warn(
        "A column-vector y was passed when a 1d array was expected. Please change the shape "
        "of y to (n_samples, ), for example using ravel().",
        DataConversionWarning,
        stacklevel=6,
    )


def classifier_targets(est: Any, y: Any, dtype: np.dtype, reset: bool) -> Any:
    """The binarised targets (n, outputs) as a dask collection with y's chunks; fits
    ``_label_binarizer`` and ``classes_`` from the distinct labels when ``reset``."""
    from sklearn.preprocessing import LabelBinarizer

    y, width = _columns(y)
    values = data.distinct_values(y, active_client())
    if values.size == 0:
        raise ValueError("y has 0 samples")
    # The distinct labels in y's shape: LabelBinarizer decides the target type (binary,
    # multiclass, multilabel-indicator) and the sorted classes from them as from all of y.
    stub = values if width == 0 else np.repeat(values[:, None], width, axis=1)
    if reset:
        est._label_binarizer = LabelBinarizer().fit(stub)
        est.classes_ = est._label_binarizer.classes_
    elif set(unique_labels(stub)) != set(est.classes_):
        raise ValueError(
            "warm_start can only be used where `y` has the same classes as in the previous "
            f"call to fit. Previously got {est.classes_}, `y` has {unique_labels(stub)}"
        )
    binarizer = est._label_binarizer
    outputs = binarizer.transform(stub[:1]).shape[1]
    return _map_targets(y, partial(_binarize, binarizer, dtype, outputs), dtype, outputs)


def _binarize(binarizer: Any, dtype: np.dtype, outputs: int, block: Array) -> Array:
    if len(block) == 0:
        return np.empty((0, outputs), dtype)
    return binarizer.transform(block).astype(dtype)


def regressor_targets(y: Any, dtype: np.dtype) -> Any:
    """The numeric targets as an (n, outputs) dask collection with y's chunks."""
    import dask.dataframe as dd

    y, width = _columns(y)
    kinds = list(y.dtypes) if isinstance(y, dd.DataFrame) else [y.dtype]
    if any(_numpy_dtype(t) is None for t in kinds):
        raise ValueError(f"y must be numeric for a regressor, got dtype(s) {kinds}")
    return _map_targets(y, partial(_as_float, dtype), dtype, max(width, 1))


def _as_float(dtype: np.dtype, block: Array) -> Array:
    block = np.asarray(block, dtype=dtype)
    return block.reshape(-1, 1) if block.ndim == 1 else block


def _map_targets(y: Any, fn: Callable[[Array], Array], dtype: np.dtype, outputs: int) -> Any:
    """``fn`` over y's blocks, as a dask array (from an array) or frame (from a frame, with
    its index, so that it stays aligned with X's columns of the same frame)."""
    import dask.array as da
    import pandas as pd

    if isinstance(y, da.Array):
        extra = {"new_axis": 1} if y.ndim == 1 else {}
        return y.map_blocks(fn, dtype=dtype, chunks=(y.chunks[0], (outputs,)), **extra)
    meta = pd.DataFrame(np.empty((0, outputs), dtype))
    return y.map_partitions(_frame_block, fn, meta=meta)


def _frame_block(part: Any, fn: Callable[[Array], Array]) -> Any:
    import pandas as pd

    return pd.DataFrame(fn(data.to_numpy(part)), index=part.index)


def full_batch(net: MLP, X: Any, Y: Any) -> tuple[Callable[[], tuple[float, list[Array]]], int]:
    """The engine's mean loss and its gradient (parameter order) over every row of the dask
    pair at the network's current parameters, and the number of rows: each evaluation is one
    pass of the distributed Runner (per-chunk sums, the fixed-order float64 tree)."""
    from ..distributed.fit import Runner

    runner = Runner(net, X, Y, client=active_client(), val_split=0.0, seed=None, persist="auto")
    rows = sum(train for train, _ in runner.row_counts())
    if rows == 0:
        raise ValueError("X has no rows")

    def mean() -> tuple[float, list[Array]]:
        params = list(net.parameters())
        s = runner.sums(params)
        return s.loss / s.rows, reduce.mean_gradients(s, params)

    return mean, rows


def map_rows(out: Any, fn: Callable[[Array], Array]) -> Any:
    """``fn`` (rows of the network's output to rows of a result) over a dask array's blocks."""
    sample = fn(np.zeros((1, out.shape[1]), out.dtype))
    empty = np.empty((0, *sample.shape[1:]), sample.dtype)
    block = partial(_rows_block, fn, empty)
    if sample.ndim == 1:
        return out.map_blocks(block, dtype=sample.dtype, drop_axis=1, chunks=(out.chunks[0],))
    return out.map_blocks(block, dtype=sample.dtype, chunks=(out.chunks[0], (sample.shape[1],)))


def _rows_block(fn: Callable[[Array], Array], empty: Array, block: Array) -> Array:
    return empty if block.shape[0] == 0 else fn(block)


def score(est: Any, X: Any, y: Any, sample_weight: Any) -> float:
    """scikit-learn's score: the predictions and the targets (a column each) are computed,
    then the metric is scikit-learn's own."""
    import dask

    # One collection per compute: dask warns when arrays and frames are computed together.
    y_pred, y_true, weights = (dask.compute(v)[0] for v in (est.predict(X), y, sample_weight))
    return float(est._score_function(y_true, y_pred, sample_weight=weights))
