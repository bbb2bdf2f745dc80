"""When the engine runs compiled, and the one contract by which it does.

``fit`` (and ``MLP.step``) hand the compiled loop a block of work -- "run these epochs with
these learning rates over the rows in these orders" -- and get back the step losses, how many
steps finished, and each epoch's gradient-health figures. Everything else (shuffling,
schedules, validation, callbacks, early stopping, divergence handling, the History) stays in
``fit``, the one training loop.

Compiled code has a price NumPy does not: importing numba and loading the cached machine
code (~0.4 s per process), or compiling it on first use (seconds). :func:`worth_it` is the
cost model that decides: the compiled loop is used when the time it would save on this work
exceeds what loading it costs, or when it is loaded already. The constants are measurements
on the 2-core development machine (benchmarks, README "Speed").
"""

from __future__ import annotations

import importlib.util
import os
import time
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from ..functions import CODES, LOSS_CODES
from ..optim import SGD, Adam, Optimizer

if TYPE_CHECKING:  # pragma: no cover
    from ..network import MLP

Array = np.ndarray

#: What a NumPy step costs beyond the compiled one, per weight layer, by optimiser: the
#: NumPy calls' overhead (measured on the 2-core development machine: digits 64-128-10,
#: 2-16-16-1, 4-16-3, 10-8-1 at their usual batch sizes; for large layers BLAS dominates
#: both paths and the saving is about this constant too).
NUMPY_EXTRA_PER_LAYER = {"sgd": 6e-6, "momentum": 9e-6, "adam": 15e-6}
#: ... plus what its element-wise passes cost beyond the kernel's fused loops, per batch row
#: and unit per step (measured 4.9-14 ns at batches of 32-200: digits 64-100-10 and
#: 64-128-10, a 20-100-3 tabular set, 64-256-256-10), and what the optimiser's NumPy update
#: costs per parameter (Adam 4.4-5 ns; SGD's update is one pass, in the per-layer figure).
#: Each is the lowest of its measurements: the model may keep NumPy where compiled would have
#: paid, never the other way round.
NUMPY_EXTRA_PER_ELEMENT = 4e-9
NUMPY_EXTRA_PER_PARAMETER = {"sgd": 0.0, "momentum": 1e-9, "adam": 3e-9}
#: Loading numba and the cached kernel in a fresh process; loading one more dtype once
#: the kernel is loaded; compiling it when nothing is cached (per dtype and per form --
#: with BLAS or, for networks whose products are all tiny, without: measured 25-37 s each
#: on the 2-core machine, the one kernel with every activation of the table inlined).
LOAD_SECONDS = 0.45
EXTRA_DTYPE_SECONDS = 0.02
COMPILE_SECONDS = 30.0

_numpy_seconds = 0.0  # time this process spent in NumPy steps that could have run compiled
clock = time.perf_counter


def available() -> bool:
    """numba is installed (a dependency; imported only when the work repays it)."""
    return _numba_installed() and os.environ.get("BACKPROPLAB_NO_COMPILE", "") in ("", "0")


@cache
def _numba_installed() -> bool:
    return importlib.util.find_spec("numba") is not None


def loaded() -> bool:
    return _kernel_module.cache_info().currsize > 0


def supports(net: MLP, opt: Optimizer | None = None) -> bool:
    """Whether the compiled loop computes exactly what the NumPy path would."""
    if not available() or net.loss_name not in LOSS_CODES:
        return False
    if any(name not in CODES for name in net.activations):
        return False
    if opt is None:
        return True
    if type(opt) not in (SGD, Adam):
        return False
    weights_only = [i % 2 == 0 for i in range(len(opt.params))]
    if opt.weight_decay and opt.decay_mask != weights_only:
        return False  # fit decays weights, not biases; another mask keeps the NumPy path
    return all(a is b for a, b in zip(opt.params, net.parameters(), strict=True))


def worth_it(net: MLP, steps: int, opt: Optimizer | None = None, batch_rows: int = 1) -> bool:
    """The cost model: compiled when the time it saves exceeds what loading (or compiling)
    it costs now. ``steps`` is the number of optimiser steps the work will take, of
    ``batch_rows`` rows each."""
    kind = "sgd"
    if isinstance(opt, Adam):
        kind = "adam"
    elif isinstance(opt, SGD) and opt.momentum:
        kind = "momentum"
    per_step = (
        NUMPY_EXTRA_PER_LAYER[kind] * net.n_layers
        + NUMPY_EXTRA_PER_ELEMENT * batch_rows * sum(net.layer_sizes[1:])
        + NUMPY_EXTRA_PER_PARAMETER[kind] * net.n_parameters
    )
    saving = steps * per_step
    cost = load_cost(net.dtype)
    # Ski rental: once this process has spent as long in NumPy work that could have run
    # compiled as loading costs, load it (a process never pays more than twice the best).
    return saving > cost or (cost < COMPILE_SECONDS and _numpy_seconds >= cost)


def load_cost(dtype: Any) -> float:
    """Seconds it would take now before the compiled loop can run for ``dtype``."""
    if loaded():
        if _compiled_dtypes.get(np.dtype(dtype).name):
            return 0.0
        return EXTRA_DTYPE_SECONDS if _cached_on_disk() else COMPILE_SECONDS
    return LOAD_SECONDS if _cached_on_disk() else COMPILE_SECONDS


def spent_in_numpy(seconds: float) -> None:
    """Count NumPy steps; once they add up to the loading cost, later ones run compiled
    (so a loop of ``net.step`` is never much slower than NumPy alone, and soon faster)."""
    global _numpy_seconds
    _numpy_seconds += seconds


_compiled_dtypes: dict[str, bool] = {}


@cache
def _cached_on_disk() -> bool:
    here = Path(__file__).with_name("__pycache__")
    roots = [here]
    if os.environ.get("NUMBA_CACHE_DIR"):
        roots = [Path(os.environ["NUMBA_CACHE_DIR"])]
    return any(any(root.rglob("kernel.train-*.nbi")) for root in roots if root.is_dir())


@cache
def _kernel_module():
    from . import dispatch, kernel

    dispatch.fresh(kernel.train)
    return kernel


class Run:
    """Everything the kernel needs for one network, optimiser and batch size, made once."""

    def __init__(self, net: MLP, opt: Optimizer, batch_rows: int) -> None:
        from . import blas

        k = _kernel_module()
        self.k = k
        self.net, self.opt = net, opt
        dt = net.dtype
        self.gemm = blas.gemm(dt)
        if self.gemm is None:  # pragma: no cover - NumPy built on another BLAS
            raise RuntimeError("NumPy's BLAS does not export cblas_gemm")
        sizes = net.layer_sizes
        largest = max(a * b for a, b in zip(sizes[:-1], sizes[1:], strict=True))
        if largest * batch_rows < k.LOOP_WORK:
            # Every product runs as loops: leave BLAS out, whose function pointer alone
            # costs ~1 us to hand to compiled code (most of a small network's step).
            self.gemm = None
        self.P = net._flat
        self.snap = np.empty((2, self.P.size), dt)
        self.snap[0] = self.P
        # One row per weight layer (kernel.N_IN ... kernel.U_OFF): widths, where W and b
        # start in the flat parameters, the activation's code, where its units start.
        layout, pos, units = [], 0, 0
        for a, b, act in zip(sizes[:-1], sizes[1:], net.activations, strict=True):
            layout.append((a, b, pos, pos + a * b, CODES[act], units))
            pos, units = pos + a * b + b, units + b
        self.layout = np.asarray(layout, np.int64)
        self.c = np.zeros(k.PARAMS + net.n_layers, dt)
        self.c[k.PARAMS :] = [f.param for f in net.activation_functions]
        self.rule = np.zeros(k.CHECK + 1, np.int64)  # one slot per kernel.LOSS ... CHECK
        self.rule[k.LOSS] = LOSS_CODES[net.loss_name]
        self.rule[k.BATCH] = batch_rows
        empty = np.zeros(1, dt)
        if isinstance(opt, Adam):
            self.rule[k.OPT] = k.ADAM
            self.S1, self.S2 = opt._flat_m, opt._flat_v
            self.c[k.BETA1], self.c[k.ONE_MINUS_BETA1] = opt.beta1, 1.0 - opt.beta1
            self.c[k.BETA2], self.c[k.ONE_MINUS_BETA2] = opt.beta2, 1.0 - opt.beta2
            self.c[k.EPS] = opt.eps
        else:
            assert isinstance(opt, SGD)
            self.rule[k.OPT], self.rule[k.NESTEROV] = k.SGD, opt.nesterov
            self.S1 = opt._flat_velocity if opt.momentum else empty
            self.S2 = empty
            self.c[k.MOMENTUM] = opt.momentum
        self.c[k.WEIGHT_DECAY] = opt.weight_decay
        self.rule[k.DECAY] = opt.weight_decay != 0
        self.batch_rows = batch_rows
        self.work = np.empty(k.work_size(net.layer_sizes, batch_rows), dt)
        self._no_order = np.zeros((0, 1), np.int64)  # no rows: visit the rows in order
        self._no_stats = np.zeros((0, 3), np.float64)  # no rows: record no health figures
        self._entry: Any = None
        self._one: tuple | None = None

    def epochs(
        self, X: Array, Y: Array, lrs: Array, orders: Array | None, health: bool = True
    ) -> tuple[Array, int, Array]:
        """Run ``len(lrs)`` epochs; returns (step losses, steps done, stats (E, L, 3)).

        X, Y: C-contiguous arrays of the network's dtype (``check_X``/``check_Y``); lrs and
        orders: float64 and int64 arrays."""
        n = X.shape[0]
        per_epoch = -(-n // self.batch_rows)
        losses = np.empty(len(lrs) * per_epoch, np.float64)
        stats = np.zeros((len(lrs) * self.net.n_layers, 3), np.float64)
        args = (
            self.gemm, self.P, self.S1, self.S2, self.snap, self.work, self.layout, self.rule,
            self.c, self.opt.steps, X, Y, self._no_order if orders is None else orders, lrs,
            losses, stats if health else self._no_stats,
        )  # fmt: skip
        done = self._call(args)
        self.opt.steps += done
        return losses[: min(done + 1, losses.shape[0])], done, stats.reshape(len(lrs), -1, 3)

    def step(self, X: Array, Y: Array, lr: float) -> float | None:
        """One step on all of X, Y (``MLP.step``): the epochs call with its per-call
        overhead taken out (the arrays of a one-step call are made once). X and Y need not
        have been checked for NaN or inf: the kernel does that, and None means they hold
        one (nothing was changed)."""
        if self._one is None:
            lrs, losses = np.empty(1), np.empty(1)
            no_snap = np.empty((2, 0), self.P.dtype)  # a step that diverges is not applied
            checked = self.rule.copy()
            checked[self.k.CHECK] = 1
            self._one = (
                (self.gemm, self.P, self.S1, self.S2, no_snap, self.work, self.layout,
                 checked, self.c),
                (self._no_order, lrs, losses, self._no_stats),
                lrs, losses,
            )  # fmt: skip
        head, tail, lrs, losses = self._one
        lrs[0] = lr
        done = self._call((*head, self.opt.steps, X, Y, *tail))
        if done < 0:
            return None
        self.opt.steps += done
        return float(losses[0])

    def _call(self, args: tuple) -> int:
        # Every call of a Run passes arguments of the same types, so after the first call
        # the compiled function is called directly: numba's dispatcher would otherwise
        # work out all 16 argument types again each time (~4 us, most of a small step).
        if self._entry is None:
            done = self.k.train(*args)
            _compiled_dtypes[self.net.dtype.name] = True
            types = tuple(self.k.train.typeof_pyval(a) for a in args)
            found = self.k.train.overloads.get(types)
            self._entry = found.entry_point if found is not None else self.k.train
            return done
        return self._entry(*args)


def run_for(net: MLP, opt: Optimizer, batch_rows: int) -> Run:
    """The network's Run for this optimiser and batch size (kept while they stay the same)."""
    cached = net.__dict__.get("_compiled")
    if cached is None or cached.opt is not opt or cached.batch_rows != batch_rows:
        cached = net.__dict__["_compiled"] = Run(net, opt, batch_rows)
    return cached


def step(net: MLP, X: Array, Y: Array, lr: float) -> float | None:
    """``MLP.step`` compiled: the loss before the update (the update is skipped when it is
    not finite), or None when the NumPy path should take this step (or X or Y holds a NaN
    or inf: then the NumPy path's checks say so).

    X and Y are C-ordered arrays of the network's dtype and shape, not yet checked for
    finite values."""
    run = net.__dict__.get("_compiled")
    opt = net.__dict__.get("_step_sgd")
    if run is None or run.opt is not opt or run.batch_rows != X.shape[0]:
        if not supports(net):
            return None
        if not (X.flags.writeable and Y.flags.writeable):
            # A Run's first call fixes its compiled form: read-only arrays would make numba
            # compile a form of their own (~30 s). Later calls of the Run take either kind.
            return None
        ready = loaded() and _compiled_dtypes.get(net.dtype.name)
        if not ready and _numpy_seconds < (LOAD_SECONDS if _cached_on_disk() else COMPILE_SECONDS):
            return None
        if opt is None:
            opt = net.__dict__["_step_sgd"] = SGD(list(net.parameters()), lr)
        run = run_for(net, opt, X.shape[0])
    opt.lr = lr
    return run.step(X, Y, lr)


def compile_now(dtype: Any = np.float64) -> None:
    """Load (or compile) the kernel for ``dtype`` now, e.g. before timing a loop: both its
    forms, for networks small enough to need no BLAS and for the others."""
    from ..network import MLP

    for width, rows in ((1, 1), (64, 64)):
        net = MLP([width, 1], activations=["identity"], dtype=dtype)
        x = np.zeros((rows, width), net.dtype)
        y = np.zeros((rows, 1), net.dtype)
        Run(net, SGD(list(net.parameters()), 0.0), rows).epochs(x, y, np.zeros(1), None)
