"""From dask arrays and frames to aligned (X, y) row blocks, checked on the workers.

A block is one chunk of rows of X and the same rows of y. X's columns are merged into one
chunk (a block must hold whole rows); y is rechunked to X's row chunks when both sizes are
known, else the two must have the same number of blocks, and each block checks that its X and
y hold the same number of rows. The network's own ``check_X``/``check_Y`` validate every block
where it lives, so bad data fails with the engine's message, naming the chunk.
"""

from __future__ import annotations

import math
import sys
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np

from ..engine.errors import InputError

if TYPE_CHECKING:
    from ..engine.network import MLP

Array = np.ndarray


def is_dask_collection(obj: Any) -> bool:
    """True for a dask array, frame, series or delayed value (without importing dask)."""
    if "dask" not in sys.modules:
        return False
    import dask

    return dask.is_dask_collection(obj)


@dataclass
class Shard:
    """One block's rows, checked and in the network's dtype; ``Xv``/``Yv`` its held-out rows."""

    index: int
    X: Array
    Y: Array
    Xv: Array
    Yv: Array

    def counts(self) -> tuple[int, int]:
        """(training rows, validation rows)."""
        return len(self.X), len(self.Xv)


def row_blocks(X: Any, Y: Any) -> list[tuple[Any, Any]]:
    """Pairs (X block, y block) as dask Delayed values (or plain arrays for an in-memory y)."""
    frames = _frame_pair(X, Y)
    if frames is not None:
        return frames
    xs, x_sizes = _blocks(X, "X")
    if is_dask_collection(Y) or _delayed_list(Y):
        ys, y_sizes = _blocks(Y, "y", rows_like=x_sizes)
        if len(ys) != len(xs):
            raise InputError(
                f"X has {len(xs)} row chunks and y {len(ys)}: give y the chunks of X "
                "(e.g. both columns of one dask frame)"
            )
        return list(zip(xs, ys, strict=True))
    if any(math.isnan(s) for s in x_sizes):
        raise InputError(
            "y is in memory but X's chunk sizes are unknown; give y as a dask collection "
            "from the same frame, or X with known chunks (to_dask_array(lengths=True))"
        )
    Yarr = np.asarray(Y)
    if Yarr.shape[0] != int(sum(x_sizes)):
        raise InputError(f"X has {int(sum(x_sizes))} rows but y has {Yarr.shape[0]}")
    edges = np.cumsum([0, *[int(s) for s in x_sizes]])
    return [(x, Yarr[lo:hi]) for x, lo, hi in zip(xs, edges[:-1], edges[1:], strict=True)]


def _frame_pair(X: Any, Y: Any) -> list[tuple[Any, Any]] | None:
    """X and y as columns of one dask frame, split by partition of that frame.

    Dask may regroup the partitions of a narrow projection (one column read from Parquet
    becomes fewer, larger partitions), so X's and y's own partitions need not match; the
    partitions of the frame holding both always do.
    """
    if "dask" not in sys.modules:
        return None
    import dask
    import dask.dataframe as dd

    if not (isinstance(X, dd.DataFrame | dd.Series) and isinstance(Y, dd.DataFrame | dd.Series)):
        return None
    x_cols = list(X.columns) if isinstance(X, dd.DataFrame) else [X.name]
    y_frame = Y.to_frame() if isinstance(Y, dd.Series) else Y
    renamed = {c: f"__y{i}__" for i, c in enumerate(y_frame.columns)}
    try:
        both = X.to_frame() if isinstance(X, dd.Series) else X
        both = both.assign(**{renamed[c]: y_frame[c] for c in y_frame.columns})
    except Exception as exc:  # frames that dask cannot align
        raise InputError(f"X and y cannot be aligned as one frame: {exc}") from None
    y_cols = list(renamed.values())
    take = dask.delayed(_columns, pure=True)
    parts = both.to_delayed()
    single = isinstance(Y, dd.Series)
    return [(take(p, x_cols, False), take(p, y_cols, single)) for p in parts]


def _columns(frame: Any, columns: list[Any], single: bool) -> Array:
    block = frame[columns].to_numpy()
    return block[:, 0] if single else block


def blocks_of(obj: Any) -> list[Any]:
    """The row blocks of a dask array (whole rows each) or the partitions of a frame."""
    return _blocks(obj, "X")[0]


def _blocks(obj: Any, name: str, rows_like: list[float] | None = None) -> tuple[list, list]:
    import dask.array as da
    import dask.dataframe as dd

    if _delayed_list(obj):  # blocks already split, one Delayed value per chunk
        return list(obj), [math.nan] * len(obj)
    if isinstance(obj, dd.DataFrame | dd.Series):
        parts = list(obj.to_delayed())
        return parts, [math.nan] * len(parts)
    if isinstance(obj, da.Array):
        if obj.ndim not in (1, 2):
            raise InputError(f"{name} must be a 1-D or 2-D dask array, got {obj.ndim}-D")
        if obj.ndim == 2 and obj.numblocks[1] > 1:
            obj = obj.rechunk({1: -1})  # a block must hold whole rows
        sizes = [float(s) for s in obj.chunks[0]]
        known = rows_like is not None and not any(math.isnan(s) for s in rows_like + sizes)
        if known and sizes != rows_like:
            obj = obj.rechunk({0: tuple(int(s) for s in rows_like)})
            sizes = list(rows_like)
        delayed = obj.to_delayed()
        return list(delayed[:, 0] if obj.ndim == 2 else delayed), sizes
    raise InputError(f"{name} must be a dask array, frame or series, got {type(obj).__name__}")


def _delayed_list(obj: Any) -> bool:
    if not isinstance(obj, list | tuple) or not obj or "dask" not in sys.modules:
        return False
    from dask.delayed import Delayed

    return all(isinstance(b, Delayed) for b in obj)


def distinct_values(obj: Any, client: Any = None) -> Array:
    """The sorted distinct values of a dask array, frame or series (every column together).

    Each block finds its own (``np.unique``) where it lies; only those come back, to be merged
    here, so no shuffle runs and the data stays in the workers."""
    import dask

    unique = dask.delayed(_block_unique, pure=False)
    parts = [unique(b) for b in blocks_of(obj)]
    got = client.compute(parts, sync=True) if client is not None else dask.compute(*parts)
    return np.unique(np.concatenate(list(got))) if got else np.empty(0)


def _block_unique(block: Any) -> Array:
    return np.unique(to_numpy(block).ravel())


def to_numpy(block: Any) -> Array:
    """A pandas frame/series or array-like block as a NumPy array."""
    to_numpy = getattr(block, "to_numpy", None)
    return to_numpy() if callable(to_numpy) else np.asarray(block)


def load_shard(
    x: Any, y: Any, template: MLP, index: int, val_split: float, seed: int | None
) -> Shard:
    """Runs on a worker: check one block with the engine and hold out its validation rows.

    The validation rows of each block are drawn from a stream seeded by (seed, 1, block), so
    the split is the same on every run and does not depend on which worker holds the block.
    """
    Xr, Yr = to_numpy(x), to_numpy(y)
    if Xr.shape[0] != Yr.shape[0]:
        raise InputError(
            f"chunk {index}: X has {Xr.shape[0]} rows but y {Yr.shape[0]}; "
            "X and y must be chunked alike"
        )
    empty_x = np.empty((0, template.n_inputs), template.dtype)
    empty_y = np.empty((0, template.n_outputs), template.dtype)
    if Xr.shape[0] == 0:
        return Shard(index, empty_x, empty_y, empty_x, empty_y)
    try:
        Xc = template.check_X(Xr)
        Yc = template.check_Y(Yr, Xc.shape[0])
    except InputError as exc:
        raise InputError(f"chunk {index}: {exc}") from None
    n_val = round(Xc.shape[0] * val_split)
    if n_val == 0:
        return Shard(index, Xc, Yc, empty_x, empty_y)
    perm = np.random.default_rng([0 if seed is None else seed, 1, index]).permutation(len(Xc))
    val, train = np.sort(perm[:n_val]), np.sort(perm[n_val:])
    return Shard(index, Xc[train], Yc[train], Xc[val], Yc[val])


def estimated_bytes(X: Any, Y: Any) -> float | None:
    """The data's size in memory when dask knows it (arrays with known shapes), else None."""
    total = 0.0
    for obj in (X, Y):
        if _delayed_list(obj):
            return None
        try:
            nbytes = getattr(obj, "nbytes", None)
        except Exception:  # dask raises for chunks of unknown size
            return None
        if nbytes is None or (isinstance(nbytes, float) and math.isnan(nbytes)):
            if not is_dask_collection(obj):
                total += np.asarray(obj).nbytes
                continue
            return None
        total += float(nbytes)
    return total
