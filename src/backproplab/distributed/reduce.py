"""Per-chunk sums with the engine's backward pass, and their reduction in a fixed order.

``chunk_sums`` runs on a worker: ``net.gradients`` gives the gradient of the chunk's *mean*
loss, so times the chunk's row count it is the chunk's gradient *sum*, which is what adds up
across chunks. ``tree`` pairs the chunks' sums by position (0+1, 2+3, ..., then the pairs'
sums, ...), never by which finishes first, and adds them in float64: the same chunking gives
the same bits on any number of workers, and the mean differs from the in-memory gradient by
rounding alone.
"""

from __future__ import annotations

from collections import OrderedDict
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np

from ..engine.fit import accuracy

if TYPE_CHECKING:
    from ..engine.network import MLP
    from .data import Shard

Array = np.ndarray


@dataclass
class Sums:
    """Sums over some rows: gradient arrays (parameter order), loss, rows; validation part."""

    grads: list[Array] = field(default_factory=list)
    loss: float = 0.0
    rows: int = 0
    val_loss: float = 0.0
    val_correct: float = 0.0
    val_rows: int = 0

    def __add__(self, other: Sums) -> Sums:
        if not self.grads:
            grads = other.grads
        elif not other.grads:
            grads = self.grads
        else:
            grads = [a + b for a, b in zip(self.grads, other.grads, strict=True)]
        return Sums(
            grads,
            self.loss + other.loss,
            self.rows + other.rows,
            self.val_loss + other.val_loss,
            self.val_correct + other.val_correct,
            self.val_rows + other.val_rows,
        )


def with_parameters(template: MLP, params: list[Array]) -> MLP:
    """A copy of ``template`` holding ``params`` (W1, b1, W2, ...): the worker's network."""
    net = template.copy()
    net.weights = params[0::2]
    net.biases = params[1::2]
    return net


#: Each worker keeps the last few per-epoch row orders (a mini-batch epoch reads one slice
#: per step; drawing the permutation again at every step would cost O(rows) each time).
_ORDERS: OrderedDict[tuple, Array] = OrderedDict()


def _order(index: int, rows: int, seed: int | None, epoch: int) -> Array:
    key = (index, rows, seed, epoch)
    order = _ORDERS.get(key)
    if order is None:
        order = np.random.default_rng([0 if seed is None else seed, 2, epoch, index])
        order = order.permutation(rows)
        _ORDERS[key] = order
        while len(_ORDERS) > 64:
            _ORDERS.popitem(last=False)
    return order


def chunk_sums(
    template: MLP,
    params: list[Array],
    shard: Shard,
    *,
    train: bool = True,
    val: bool = False,
    batch: tuple[int, int, int, bool, int | None] | None = None,
) -> Sums:
    """The chunk's gradient sum and loss sum at ``params`` (and its validation loss/correct).

    ``batch`` = (epoch, step, steps per epoch, shuffle, seed) takes this chunk's share of one
    synchronous mini-batch step: rows [step*n/steps, (step+1)*n/steps) of its epoch order.
    """
    net = with_parameters(template, params)
    out = Sums()
    rows, val_rows = shard.counts()
    if train and rows:
        X, Y = shard.X, shard.Y
        if batch is not None:
            epoch, step, steps, shuffle, seed = batch
            n = rows
            lo, hi = step * n // steps, (step + 1) * n // steps
            if shuffle:
                rows = _order(shard.index, n, seed, epoch)[lo:hi]
                X, Y = X[rows], Y[rows]
            else:
                X, Y = X[lo:hi], Y[lo:hi]
        if X.shape[0]:
            with np.errstate(over="ignore", invalid="ignore", divide="ignore", under="ignore"):
                g = net.gradients(X, Y)  # the engine's forward and backward pass, mean loss
            k = X.shape[0]
            # mean * rows = sum over the chunk's rows, accumulated from here on in float64.
            out.grads = [np.asarray(a, dtype=np.float64) * k for a in g]
            out.loss = float(g.loss) * k
            out.rows = k
    if val and val_rows:
        with np.errstate(over="ignore", invalid="ignore", divide="ignore", under="ignore"):
            trace = net.forward(shard.Xv)
            k = val_rows
            loss = net.loss_function.value(trace.z[-1], trace.output, shard.Yv)
            out.val_loss = float(loss) * k
            if net.loss_name in ("bce", "cross_entropy"):
                out.val_correct = accuracy(trace.output, shard.Yv) * k
        out.val_rows = val_rows
    return out


def mean_gradients(s: Sums, params: list[Array]) -> list[Array]:
    """The gradient of the mean loss over the rows summed in ``s`` (parameter order), in the
    parameters' dtypes: what the optimiser steps on and L-BFGS minimises with."""
    return [(g / s.rows).astype(p.dtype) for g, p in zip(s.grads, params, strict=True)]


def add(a: Sums, b: Sums) -> Sums:
    return a + b


def tree(parts: list[Any], combine: Any) -> Any:
    """Pairwise reduction by position: ``combine(parts[0], parts[1])``, ... level by level.

    ``combine`` builds the lazy addition (a dask.delayed function); the tree has
    ceil(log2(chunks)) levels (costs.depth), and its shape depends only on the number of chunks.
    """
    if not parts:
        raise ValueError("nothing to reduce")
    level = list(parts)
    while len(level) > 1:
        paired = [combine(level[i], level[i + 1]) for i in range(0, len(level) - 1, 2)]
        if len(level) % 2:
            paired.append(level[-1])
        level = paired
    return level[0]
