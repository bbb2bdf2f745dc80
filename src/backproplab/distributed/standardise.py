"""Feature standardisation fitted by one distributed pass: per-chunk moments, merged in order.

Each chunk returns (rows, mean, M2) per column in float64, M2 being the sum of squared
deviations from the chunk's mean; pairs merge by Chan et al.'s update
(mean = mean_a + d n_b / n, M2 = M2_a + M2_b + d^2 n_a n_b / n, with d = mean_b - mean_a),
which stays accurate where the naive sum of squares cancels. The result is the same
:class:`~backproplab.train.preprocessing.Standardizer` that in-memory training saves (the
population standard deviation, scale 1 for a constant column).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from ..engine.errors import InputError
from ..train.preprocessing import Standardizer
from . import data, reduce

Moments = tuple[int, np.ndarray, np.ndarray]


def chunk_moments(block: Any) -> Moments:
    arr = np.asarray(data.to_numpy(block), dtype=np.float64)
    if arr.ndim == 1:
        arr = arr.reshape(-1, 1)
    if arr.shape[0] == 0:
        return 0, np.zeros(arr.shape[1]), np.zeros(arr.shape[1])
    mean = arr.mean(axis=0)
    return arr.shape[0], mean, ((arr - mean) ** 2).sum(axis=0)


def merge(a: Moments, b: Moments) -> Moments:
    na, ma, sa = a
    nb, mb, sb = b
    n = na + nb
    if n == 0:
        return a
    d = mb - ma
    return n, ma + d * (nb / n), sa + sb + d * d * (na * nb / n)


def fit_standardizer(X: Any, client: Any = None) -> Standardizer:
    """A Standardizer fitted on every row of the dask collection ``X``."""
    import dask

    parts = [dask.delayed(chunk_moments, pure=False)(b) for b in data.blocks_of(X)]
    root = reduce.tree(parts, dask.delayed(merge, pure=False))
    n, mean, m2 = client.compute(root).result() if client is not None else dask.compute(root)[0]
    if n == 0:
        raise InputError("cannot fit a standardisation on zero rows")
    std = np.sqrt(m2 / n)
    return Standardizer(mean=mean, scale=np.where(std > 0, std, 1.0))
