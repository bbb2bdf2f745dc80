"""A compiled mini-batch epoch for SGD: BLAS for the products, one fused loop for the rest.

Why this exists: a training step of the NumPy path (``MLP._train_gradients`` then
``SGD.step``) is ~50 NumPy calls. For digits' 64-128-10 network at batch 32 each call costs
about as much as its arithmetic, and for the 784-512-512-10 network the element-wise calls
(bias, ReLU, its derivative, the update) each make one more pass over memory beside the
matrix products. Here one numba-compiled function runs a whole epoch: the matrix products go
to BLAS (``np.dot``), and between them bias + activation, loss + output delta, the
derivative and the SGD update (with momentum, Nesterov and weight decay) are each one loop.

Same maths as the NumPy path, operation for operation and in the network's dtype (float32
stays float32); tests/engine/test_batchloop.py holds the two to float rounding. ``fit``
calls :func:`sgd_epoch` for each epoch when :func:`applies`; the epoch loop (shuffling,
schedules, validation, callbacks, early stopping) stays in Python.
"""

from __future__ import annotations

from functools import cache
from typing import TYPE_CHECKING

import numpy as np

from ..optim import SGD, Optimizer
from . import blas
from .smallnet import available

if TYPE_CHECKING:  # pragma: no cover
    from ..network import MLP

Array = np.ndarray

_CODES = {"identity": 0, "sigmoid": 1, "tanh": 2, "relu": 3, "leaky_relu": 4, "softmax": 5}
_LOSS_CODES = {"mse": 0, "bce": 1, "cross_entropy": 2}


def applies(net: MLP, opt: Optimizer) -> bool:
    """Whether the compiled epoch can stand in for the NumPy loop with this optimiser."""
    return (
        available()
        and blas.gemm(net.dtype) is not None
        and type(opt) is SGD
        and net.loss_name in _LOSS_CODES
        and all(name in _CODES for name in net.activations)
        # fit decays the weights and not the biases; another mask keeps the NumPy path
        and (
            opt.weight_decay == 0 or opt.decay_mask == [i % 2 == 0 for i in range(len(opt.params))]
        )
        and all(a is b for a, b in zip(opt.params, net.parameters(), strict=True))
    )


class Workspace:
    """The work arrays of :func:`sgd_epoch` for batches of ``batch_size`` rows, made once."""

    def __init__(self, net: MLP, opt: SGD, batch_size: int, n_rows: int) -> None:
        dt = net.dtype
        units = net.layer_sizes[1:]
        self.batch_size = batch_size
        self.z = tuple(np.empty((batch_size, k), dt) for k in units)
        self.a = tuple(np.empty((batch_size, k), dt) for k in units)
        self.delta = tuple(np.empty((batch_size, k), dt) for k in units)
        # dL/da of each layer's inputs; layer 1's (the data's) is never needed.
        self.grad_a = (np.empty((1, 1), dt),) + tuple(
            np.empty((batch_size, k), dt) for k in net.layer_sizes[1:-1]
        )
        self.update_mode = _update_mode(opt)
        if self.update_mode == GENERAL:
            self.grad_w = tuple(np.empty_like(W) for W in net.weights)
        else:  # the update is folded into the product: no gradient array for W is needed
            self.grad_w = tuple(np.empty((1, 1), dt) for _ in net.weights)
        self.grad_b = tuple(np.empty_like(b) for b in net.biases)
        self.acts = np.asarray([_CODES[a] for a in net.activations], dtype=np.int64)
        self.slopes = np.asarray(
            [getattr(f, "negative_slope", 0.0) for f in net.activation_functions], dtype=dt
        )
        self.loss_code = _LOSS_CODES[net.loss_name]
        self.consts = np.zeros(6, dtype=dt)
        self.losses = np.empty(-(-n_rows // batch_size), dtype=np.float64)
        self.rows = np.full(self.losses.shape[0], batch_size, dtype=np.float64)
        self.rows[-1] = n_rows - batch_size * (self.losses.shape[0] - 1)
        if opt.momentum:  # the optimiser's own velocity arrays, so its state stays its own
            velocity = opt.state_arrays()["velocity"]
            self.vel_w, self.vel_b = tuple(velocity[0::2]), tuple(velocity[1::2])
        else:  # never read without momentum; any arrays of the right type will do
            self.vel_w, self.vel_b = self.grad_w, self.grad_b


# The kernel's update modes (batchloop_kernel.py); kept here so that this module can say
# which applies without importing numba.
GENERAL, PLAIN_IN_GEMM, MOMENTUM_IN_GEMM = 0, 1, 2


def _update_mode(opt: SGD) -> int:
    if opt.weight_decay != 0 or opt.nesterov:
        return GENERAL  # both need the gradient on its own
    return MOMENTUM_IN_GEMM if opt.momentum else PLAIN_IN_GEMM


def sgd_epoch(net: MLP, opt: SGD, X: Array, Y: Array, work: Workspace) -> tuple[float, int]:
    """One epoch of ``opt`` over the rows of X, Y in order (already checked, contiguous).

    Returns (the sum over batches of loss x rows, the number of updates made). When fewer
    updates than batches were made, batch ``done`` gave a non-finite loss
    (``work.losses[done]``) and was not applied.
    """
    k = _kernels()
    c = work.consts
    c[k.LR], c[k.MOMENTUM], c[k.WEIGHT_DECAY] = opt.lr, opt.momentum, opt.weight_decay
    c[k.ZERO], c[k.ONE] = 0.0, 1.0
    done = k.sgd_epoch(
        blas.gemm(net.dtype), work.update_mode, tuple(net.weights), tuple(net.biases),
        work.vel_w, work.vel_b, work.acts, work.slopes,
        work.loss_code, X, Y, work.batch_size, c, opt.nesterov, opt.weight_decay != 0,
        work.z, work.a, work.delta, work.grad_a, work.grad_w, work.grad_b, work.losses,
    )  # fmt: skip
    opt.steps += done
    total = float(work.losses[:done] @ work.rows[:done])
    return total, done


@cache
def _kernels():
    # Imported on first use, as smallnet's kernel: numba's import and loading the cached
    # machine code cost ~0.5 s that code which never trains should not pay.
    from . import batchloop_kernel

    return batchloop_kernel
