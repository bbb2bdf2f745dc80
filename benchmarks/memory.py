"""Does a training step allocate after warm-up? tracemalloc's answer.

NumPy reports its array buffers to tracemalloc, so the peak traced memory during a step,
above what was traced before it, is what the step allocates (temporaries included). The
compiled loop's own allocations (its work buffers, once per call) are counted by numba's
runtime instead."""

from __future__ import annotations

import tracemalloc
from typing import Any

import numpy as np

import backproplab as bp
from backproplab.engine.optim import make_optimizer


def step_allocation(net: bp.MLP, batch: int, steps: int = 10, **optim: Any) -> dict[str, Any]:
    """Peak bytes (tracemalloc) allocated by one training step as ``fit`` takes it (the
    compiled loop, one step per call: the Python side of a call), after 3 warm-up steps."""
    from backproplab.engine.compiled import runner

    rng = np.random.default_rng(0)
    X = net.check_X(rng.standard_normal((batch, net.n_inputs)))
    Y = net.check_Y(rng.integers(0, net.n_outputs, batch), batch)
    opt = make_optimizer(optim.pop("optimizer", "sgd"), list(net.parameters()), **optim)
    run = runner.Run(net, opt, batch)
    lrs = np.array([opt.lr])

    def one_step() -> None:
        run.epochs(X, Y, lrs, None)

    for _ in range(3):
        one_step()
    tracemalloc.start()
    try:
        worst = 0
        for _ in range(steps):
            base = tracemalloc.get_traced_memory()[0]
            tracemalloc.reset_peak()
            one_step()
            worst = max(worst, tracemalloc.get_traced_memory()[1] - base)
    finally:
        tracemalloc.stop()
    param_bytes = sum(p.nbytes for p in net.parameters())
    batch_bytes = batch * max(net.layer_sizes) * net.dtype.itemsize
    return {
        "network": "-".join(map(str, net.layer_sizes)),
        "dtype": net.dtype.name,
        "batch": batch,
        "optimizer": repr(opt),
        "peak_bytes_per_step": worst,
        "parameter_bytes": param_bytes,
        "one_layer_batch_bytes": batch_bytes,
    }


def epoch_allocation(net: bp.MLP, batch: int, steps: int, **optim: Any) -> dict[str, Any]:
    """What the compiled epoch (engine/compiled/kernel.py, the path ``fit`` takes)
    allocates after a warm-up call: Python-side bytes at peak (tracemalloc), and the
    allocations made by compiled code (numba's runtime counts them; tracemalloc does not
    see them), for an epoch of ``steps`` steps and one of 10x as many. numba makes one small
    record per array argument when a call starts; what grows with the steps would be the
    per-step allocations."""
    from numba.core.runtime import _nrt_python, rtsys

    from backproplab.engine.compiled import runner

    rng = np.random.default_rng(0)
    n = 10 * steps * batch
    X = net.check_X(rng.standard_normal((n, net.n_inputs)))
    Y = net.check_Y(rng.integers(0, net.n_outputs, n), n)
    opt = make_optimizer("sgd", list(net.parameters()), **optim)
    run = runner.Run(net, opt, batch)
    lrs = np.array([opt.lr])
    _nrt_python.memsys_enable_stats()
    counts, peak = [], 0
    for rows in (steps * batch, n):
        run.epochs(X[:rows], Y[:rows], lrs, None)
        before = rtsys.get_allocation_stats().alloc
        tracemalloc.start()
        try:
            base = tracemalloc.get_traced_memory()[0]
            run.epochs(X[:rows], Y[:rows], lrs, None)
            peak = max(peak, tracemalloc.get_traced_memory()[1] - base)
        finally:
            tracemalloc.stop()
        counts.append(rtsys.get_allocation_stats().alloc - before)
    return {
        "network": "-".join(map(str, net.layer_sizes)),
        "dtype": net.dtype.name,
        "batch": batch,
        "optimizer": repr(opt),
        "peak_bytes_per_epoch": peak,
        "compiled_allocations_per_call": counts[0],
        "compiled_allocations_per_step": (counts[1] - counts[0]) / (9 * steps),
        "parameter_bytes": sum(p.nbytes for p in net.parameters()),
    }


def report() -> list[dict[str, Any]]:
    digits = lambda: bp.MLP([64, 128, 10], hidden="relu", loss="cross_entropy",  # noqa: E731
                            dtype=np.float32, seed=0)  # fmt: skip
    wide = lambda: bp.MLP([784, 512, 512, 10], hidden="relu", loss="cross_entropy",  # noqa: E731
                          dtype=np.float32, seed=0)  # fmt: skip
    return [
        epoch_allocation(digits(), 32, 5, lr=0.01, momentum=0.9),
        epoch_allocation(wide(), 128, 2, lr=0.01),
        step_allocation(digits(), 32, lr=0.01, momentum=0.9),
        step_allocation(digits(), 256, lr=0.01, momentum=0.9),
        step_allocation(wide(), 128, lr=0.01),
        step_allocation(bp.MLP([2, 16, 16, 1], hidden="tanh", seed=0), 1, lr=0.01),
    ]
