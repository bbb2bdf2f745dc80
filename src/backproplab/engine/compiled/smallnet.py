"""A compiled SGD loop for small networks: the same maths as network.py, minus the overhead.

Why this exists: for the slides' 2-2-1 network one full-batch epoch is ~100 floating-point
operations, but the vectorised NumPy path spends ~25 NumPy calls on it at ~1 microsecond each,
which makes it slower than the slide formulas typed out in plain Python. Here the whole loop
(forward, loss, backward, the slides' update w <- w - eta dL/dw, for many steps) runs inside
one function compiled by numba, so a step costs what its arithmetic costs.

It computes exactly what ``MLP._train_gradients`` followed by the SGD update computes, in the
same order of operations per element; tests check the two agree to 1e-12 for every
activation and loss. Only float64 networks use it (numba would silently widen float32
arithmetic to float64, and the general path keeps float32 end to end); ``applies`` says
when it is used.

Parameters live here in one flat vector: for layer l, W^l row-major (n_in, n_out) at
``w_off[l]`` and b^l at ``b_off[l]``; :func:`pack` / :func:`unpack` move them to and
from the network's arrays.
"""

from __future__ import annotations

import importlib.util
import math
import time
from functools import cache
from typing import TYPE_CHECKING, Any

import numpy as np

if TYPE_CHECKING:  # pragma: no cover
    from ..network import MLP

Array = np.ndarray

# Activation codes (one per layer) understood by the kernel.
_CODES = {"identity": 0, "sigmoid": 1, "tanh": 2, "relu": 3, "leaky_relu": 4, "softmax": 5}
# Loss codes.
_LOSS_CODES = {"mse": 0, "bce": 1, "cross_entropy": 2}

#: Below this many multiply-adds per step (batch rows x parameters) the compiled loop beats
#: NumPy's per-call overhead; above it BLAS wins (measured with benchmarks, see README "Speed").
SMALL_WORK = 20_000


def available() -> bool:
    """True when numba can be imported (a declared dependency, imported only when used)."""
    return importlib.util.find_spec("numba") is not None


def applies(net: MLP, batch_rows: int) -> bool:
    """Whether the compiled loop serves ``net`` for batches of ``batch_rows`` samples."""
    return (
        available()
        and net.dtype == np.float64
        and all(name in _CODES for name in net.activations)
        and net.loss_name in _LOSS_CODES
        and batch_rows * net.n_parameters <= SMALL_WORK
    )


def layout(net: MLP) -> tuple[Array, Array, Array]:
    """sizes, w_off, b_off of the flat parameter vector (int64 arrays)."""
    sizes = np.asarray(net.layer_sizes, dtype=np.int64)
    w_off = np.zeros(len(sizes) - 1, dtype=np.int64)
    b_off = np.zeros(len(sizes) - 1, dtype=np.int64)
    pos = 0
    for l in range(len(sizes) - 1):
        w_off[l] = pos
        pos += sizes[l] * sizes[l + 1]
        b_off[l] = pos
        pos += sizes[l + 1]
    return sizes, w_off, b_off


def pack(net: MLP) -> Array:
    """The network's parameters as one float64 vector W1, b1, W2, b2, ... (a copy)."""
    return np.concatenate([p.reshape(-1) for p in net.parameters()])


def unpack(net: MLP, flat: Array) -> None:
    """Write a flat vector back into the network's parameter arrays, in place."""
    unpack_into(list(net.parameters()), flat)


def step(net: MLP, X: Array, Y: Array, lr: float) -> float | None:
    """One full-batch update of ``MLP.step``, compiled; None if the loss is not finite
    (the parameters are then unchanged)."""
    losses, done = sgd_steps(net, X, Y, lr, np.arange(X.shape[0])[None, :], X.shape[0], 1)
    return float(losses[0]) if done else None


def sgd_steps(
    net: MLP,
    X: Array,
    Y: Array,
    lr: float,
    orders: Array,
    batch_size: int,
    epochs: int,
    previous: Array | None = None,
) -> tuple[Array, int]:
    """Run ``epochs`` epochs of SGD in place on ``net`` (X, Y already checked, float64).

    Epoch e visits the rows ``orders[e % len(orders)]`` in batches of ``batch_size``
    (the last batch may be smaller). Returns the per-step losses (each before its update)
    and the number of steps done: fewer than planned when a loss came out NaN or inf, in
    which case that step's update was not applied. ``previous`` (a flat vector of
    ``net.n_parameters``, kept by the caller across calls) receives the parameters as
    they were before each update, so a caller can go back one step after a divergence.
    """
    plan = net.__dict__.get("_small_plan")
    if plan is None:  # the architecture never changes, so this is computed once per network
        sizes, w_off, b_off = layout(net)
        acts = np.asarray([_CODES[a] for a in net.activations], dtype=np.int64)
        slopes = np.asarray(
            [getattr(f, "negative_slope", 0.0) for f in net.activation_functions],
            dtype=np.float64,
        )
        plan = net.__dict__["_small_plan"] = (sizes, w_off, b_off, acts, slopes)
    sizes, w_off, b_off, acts, slopes = plan
    n = X.shape[0]
    steps_per_epoch = -(-n // batch_size)
    losses = np.empty(epochs * steps_per_epoch, dtype=np.float64)
    params = pack(net)
    if previous is None:
        previous = np.empty_like(params)
    done = _kernels()._sgd_loop(
        params,
        sizes,
        w_off,
        b_off,
        acts,
        slopes,
        _LOSS_CODES[net.loss_name],
        X,
        Y,
        np.ascontiguousarray(orders, dtype=np.int64),
        batch_size,
        epochs,
        float(lr),
        losses,
        previous,
    )
    unpack(net, params)
    return losses[:done], done


@cache
def _kernels():
    # Imported on first use: numba's import and the cached machine code cost ~0.5 s, which
    # the CLI and the tests that never train a small network should not pay.
    from . import smallnet_kernel

    return smallnet_kernel


def fit_small(
    net: MLP,
    X: Array,
    Y: Array,
    *,
    epochs: int,
    lr: float,
    batch_size: int,
    shuffle: bool,
    rng: np.random.Generator,
    history: Any,
) -> Any:
    """:func:`backproplab.engine.fit.fit`'s loop for plain SGD on a small network, compiled.

    Called by ``fit`` when nothing needs Python between epochs (no callbacks, validation,
    early stopping or schedule). It draws the same shuffles from ``rng`` as the NumPy loop,
    records the same History (``time`` is measured per block of epochs) and reports a
    divergence the same way, restoring the last parameters with a finite loss.
    """
    from ..fit import _diverged  # imported here: fit imports this module

    n = X.shape[0]
    minibatch = batch_size < n
    steps_per_epoch = -(-n // batch_size)
    rows = np.full(steps_per_epoch, batch_size, dtype=np.float64)
    rows[-1] = n - batch_size * (steps_per_epoch - 1)
    order = np.arange(n)
    previous = np.empty(net.n_parameters, dtype=np.float64)
    # Blocks of epochs keep the index array small and the History's clock honest.
    block = max(1, min(epochs, 1_000_000 // n))
    start = time.perf_counter()
    done_epochs = 0
    stepped = False
    while done_epochs < epochs:
        count = min(block, epochs - done_epochs)
        if minibatch and shuffle:
            orders = np.empty((count, n), dtype=np.int64)
            for e in range(count):
                rng.shuffle(order)
                orders[e] = order
        else:
            orders = order[None, :]
        losses, done = sgd_steps(net, X, Y, lr, orders, batch_size, count, previous)
        elapsed = time.perf_counter() - start
        full = done // steps_per_epoch
        per_epoch = losses[: full * steps_per_epoch].reshape(full, steps_per_epoch) @ rows / n
        for e in range(full):
            history.record(done_epochs + e + 1, {"loss": per_epoch[e], "lr": lr, "time": elapsed})
        if done < count * steps_per_epoch:
            stepped = stepped or done > 0
            params = list(net.parameters())
            kept = [np.empty_like(p) for p in params]
            unpack_into(kept, previous)
            bad = _first_bad_loss(
                net, X, Y, orders[full % len(orders)], batch_size, done % steps_per_epoch
            )
            _diverged(net, params, None, done_epochs + full + 1, done % steps_per_epoch,
                      n, batch_size, bad, lr, history, kept=kept if stepped else None)  # fmt: skip
        stepped = True
        done_epochs += count
    params = list(net.parameters())
    if not all(np.isfinite(p).all() for p in params):  # the very last update overflowed
        kept = [np.empty_like(p) for p in params]
        unpack_into(kept, previous)
        _diverged(net, params, None, epochs, None, n, batch_size, math.nan, lr, history, kept=kept)
    return history


def unpack_into(arrays: list[Array], flat: Array) -> None:
    """Fill ``arrays`` (shaped like the parameters, in order) from a flat vector."""
    pos = 0
    for p in arrays:
        p.reshape(-1)[...] = flat[pos : pos + p.size]
        pos += p.size


def _first_bad_loss(
    net: MLP, X: Array, Y: Array, order: Array, batch_size: int, batch: int
) -> float:
    # The kernel stops at the first non-finite loss without recording it; recompute it
    # (the parameters are those that produced it) for the error message.
    rows = order[batch * batch_size : (batch + 1) * batch_size]
    with np.errstate(all="ignore"):
        return net._train_gradients(X[rows], Y[rows]).loss
