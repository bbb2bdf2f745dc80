"""Does a training step allocate after warm-up? tracemalloc's answer.

NumPy reports its array buffers to tracemalloc, so the peak traced memory during a step,
above what was traced before it, is what the step allocates (temporaries included)."""

from __future__ import annotations

import tracemalloc
from typing import Any

import numpy as np

import backproplab as bp
from backproplab.engine.optim import make_optimizer


def step_allocation(net: bp.MLP, batch: int, steps: int = 10, **optim: Any) -> dict[str, Any]:
    """Peak bytes allocated by one `_train_gradients` + optimiser step, after 3 warm-up steps."""
    rng = np.random.default_rng(0)
    X = net.check_X(rng.standard_normal((batch, net.n_inputs)))
    Y = net.check_Y(rng.integers(0, net.n_outputs, batch), batch)
    opt = make_optimizer(optim.pop("optimizer", "sgd"), list(net.parameters()), **optim)

    def one_step() -> None:
        opt.step(net._train_gradients(X, Y))

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


def report() -> list[dict[str, Any]]:
    digits = lambda: bp.MLP([64, 128, 10], hidden="relu", loss="cross_entropy",  # noqa: E731
                            dtype=np.float32, seed=0)  # fmt: skip
    wide = lambda: bp.MLP([784, 512, 512, 10], hidden="relu", loss="cross_entropy",  # noqa: E731
                          dtype=np.float32, seed=0)  # fmt: skip
    return [
        step_allocation(digits(), 32, lr=0.01, momentum=0.9),
        step_allocation(digits(), 256, lr=0.01, momentum=0.9),
        step_allocation(wide(), 128, lr=0.01),
        step_allocation(bp.MLP([2, 16, 16, 1], hidden="tanh", seed=0), 1, lr=0.01),
    ]
