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
import math
import os
import threading
import time
from collections.abc import Callable
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from ..functions import CODES, LOSS_CODES
from ..optim import SGD, Adam, Optimizer
from .blas import LOOP_WORK

if TYPE_CHECKING:  # pragma: no cover
    from ..network import MLP

Array = np.ndarray

#: What a NumPy step costs beyond the compiled one, per weight layer, by optimiser: the
#: NumPy calls' overhead (measured on the 2-core development machine: digits 64-128-10,
#: 2-16-16-1, 4-16-3, 10-8-1 at their usual batch sizes; for large layers BLAS dominates
#: both paths and the saving is about this constant too).
NUMPY_EXTRA_PER_LAYER = {"sgd": 6e-6, "momentum": 9e-6, "adam": 15e-6}
#: Loading numba and the cached kernel in a fresh process; loading one more dtype once
#: the kernel is loaded; compiling it when nothing is cached (per dtype and per form --
#: with BLAS or, for networks whose products are all tiny, without: measured 25-37 s each
#: on the 2-core machine, the one kernel with every activation of the table inlined).
LOAD_SECONDS = 0.45
EXTRA_DTYPE_SECONDS = 0.02
COMPILE_SECONDS = 30.0

#: The per-call passes (``MLP.gradients``, ``predict``, ``loss``, ``forward``) run compiled
#: while their work space has at most this many elements (a 64-128-10 network: ~400 rows);
#: past that NumPy's per-call overhead is a small part of the work, and NumPy takes the call.
PER_CALL_WORK = 1 << 18
#: ``rule[BATCH]`` of the per-call passes: every row of X in one batch.
ONE_BATCH = 1 << 62

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


def worth_it(net: MLP, steps: int, opt: Optimizer | None = None) -> bool:
    """The cost model: compiled when the time it saves exceeds what loading (or compiling)
    it costs now. ``steps`` is the number of optimiser steps the work will take."""
    kind = "sgd"
    if isinstance(opt, Adam):
        kind = "adam"
    elif isinstance(opt, SGD) and opt.momentum:
        kind = "momentum"
    saving = steps * NUMPY_EXTRA_PER_LAYER[kind] * net.n_layers
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
    """Everything the kernel needs for one network, optimiser and batch size, made once.

    With no optimiser (``opt`` None) a Run serves the per-call passes (:meth:`gradients`,
    :meth:`forward`), which update nothing; ``batch_rows`` then only says whether the
    products are large enough to call BLAS."""

    def __init__(self, net: MLP, opt: Optimizer | None, batch_rows: int) -> None:
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
        if largest * batch_rows < LOOP_WORK:
            # Every product runs as loops: leave BLAS out, whose function pointer alone
            # costs ~1 us to hand to compiled code (most of a small network's step).
            self.gemm = None
        self.P = net._flat
        # The per-call passes keep no snapshots and make their work space per call.
        training = opt is not None
        self.snap = np.empty((2, self.P.size if training else 0), dt)
        if training:
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
        self.rule = np.zeros(k.MODE + 1, np.int64)
        self.rule[k.LOSS] = LOSS_CODES[net.loss_name]
        self.rule[k.BATCH] = batch_rows
        empty = np.zeros(1, dt)
        if isinstance(opt, Adam):
            self.rule[k.OPT] = k.ADAM
            self.S1, self.S2 = opt._flat_m, opt._flat_v
            self.c[k.BETA1], self.c[k.ONE_MINUS_BETA1] = opt.beta1, 1.0 - opt.beta1
            self.c[k.BETA2], self.c[k.ONE_MINUS_BETA2] = opt.beta2, 1.0 - opt.beta2
            self.c[k.EPS] = opt.eps
        elif opt is None:  # the per-call passes: no update, no optimiser state
            self.rule[k.OPT] = k.SGD
            self.S1 = self.S2 = empty
        else:
            assert isinstance(opt, SGD)
            self.rule[k.OPT], self.rule[k.NESTEROV] = k.SGD, opt.nesterov
            self.S1 = opt._flat_velocity if opt.momentum else empty
            self.S2 = empty
            self.c[k.MOMENTUM] = opt.momentum
        if opt is not None:
            self.c[k.WEIGHT_DECAY] = opt.weight_decay
            self.rule[k.DECAY] = opt.weight_decay != 0
        self.batch_rows = batch_rows
        self.work = np.empty(k.work_size(net.layer_sizes, batch_rows) if training else 0, dt)
        self._no_order = np.zeros((0, 1), np.int64)  # no rows: visit the rows in order
        self._no_stats = np.zeros((0, 3), np.float64)  # no rows: record no health figures
        self._entry: Any = None
        self._one: tuple | None = None
        if not training:  # the per-call passes
            self._fused = LOSS_CODES[net.loss_name] != LOSS_CODES["mse"]  # no dL/dy-hat
            self._no_y = np.empty((0, net.n_outputs), dt)  # FORWARD without targets
            self._spans: dict[int, tuple] = {}  # rows -> where each part lies in work
            self._gradients_args = self._pass_args(k.GRADIENTS)
            self._forward_args = self._pass_args(k.FORWARD)
            self._local = threading.local()  # each thread's loss and work space

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

    # ---- the per-call passes: one batch of all of X, nothing updated
    def gradients(self, X: Array, Y: Array) -> tuple | None:
        """``MLP.gradients`` compiled: (dL/dW list, dL/db list, loss, deltas, dL/da list),
        each array a view of a work space made for this call (so the caller's to keep), or
        None when X or Y holds a NaN or inf (or targets the loss refuses)."""
        spans = self._spans.get(X.shape[0]) or self._spans_for(X.shape[0])
        rows = np.empty((1, spans[-1]), self.P.dtype)  # the work space, as one row
        work = rows[0]
        loss = self._pass(self._gradients_args, work, X, Y)
        if loss is None:
            return None
        weights, biases, _, _, deltas, grads, _ = spans
        act_grads = _blocks(rows, work, grads)
        if self._fused:  # the loss is fused with its activation: no dL/dy-hat
            act_grads[-1] = None
        return (
            [work[at].reshape(shape) for at, shape in weights],
            [work[at] for at in biases],
            loss,
            _blocks(rows, work, deltas),
            act_grads,
        )

    def forward(self, X: Array, Y: Array | None = None, keep: bool = False) -> Any:
        """The forward pass compiled, or None when X or Y holds a NaN or inf (or targets the
        loss refuses). With ``Y`` the loss (a float); with ``keep`` (z list, a list) over a
        work space made for this call (the caller's to keep); otherwise a copy of the
        output y-hat (not a view: the work space is this thread's, for its next call)."""
        spans = self._spans.get(X.shape[0]) or self._spans_for(X.shape[0])
        # Made for this call when the caller keeps views of it; else this thread's own.
        rows = np.empty((1, spans[-1]), self.P.dtype) if keep else self._scratch(spans[-1])
        work = rows[0]
        loss = self._pass(self._forward_args, work, X, self._no_y if Y is None else Y)
        if loss is None:
            return None
        if Y is not None:
            return loss
        if keep:
            return _blocks(rows, work, spans[2]), _blocks(rows, work, spans[3])
        return _blocks(rows, work, spans[3][-1:])[0].copy()

    def _pass(self, fixed: tuple, work: Array, X: Array, Y: Array) -> float | None:
        """One pass over all of X into ``work``: its loss (NaN when Y has no rows), or None
        when the batch was refused. The loss's one-element array is this thread's: calls
        from several threads at once (dask's blocks of one ``predict``; the kernel releases
        the GIL) share nothing they write."""
        local = self._local
        try:
            loss = local.loss
        except AttributeError:
            loss = local.loss = np.empty(1)
        head, mid, tail = fixed
        args = (*head, work, *mid, X, Y, *tail, loss, self._no_stats)
        done = self._entry(*args) if self._entry is not None else self._call(args)
        return None if done < 0 else float(loss[0]) if done else math.nan

    def _scratch(self, size: int) -> Array:
        """This thread's work space (as one row), for passes that hand none of it out."""
        local = self._local
        rows = getattr(local, "rows", None)
        if rows is None or rows.shape[1] < size:
            rows = local.rows = np.empty((1, size), self.P.dtype)
        return rows

    def _spans_for(self, n: int) -> tuple:
        """Where each layer's parts lie in a work space for ``n`` rows: (slice, shape) of
        W's gradient, the slice of b's, the z, a, delta and dL/da blocks (for
        :func:`_blocks`), and the work space's size."""
        if len(self._spans) >= 8:  # a few batch sizes are kept, not every one seen
            self._spans.clear()
        sizes, k = self.net.layer_sizes, self.k
        block = n * sum(sizes[1:])
        parts: list[list] = [[] for _ in range(6)]
        for n_in, n_o, wo, bo, _, u0 in self.layout.tolist():
            parts[0].append((slice(wo, wo + n_in * n_o), (n_in, n_o)))
            parts[1].append(slice(bo, bo + n_o))
            for i in range(4):  # Z, A, D, GA: kernel.train's order
                lo = self.P.shape[0] + i * block + n * u0
                at = slice(lo, lo + n * n_o)
                # One row: the block is columns of the work space as a (1, size) array.
                parts[2 + i].append((ALL, at) if n == 1 else (at, (n, n_o)))
        found = self._spans[n] = (*parts, k.work_size(sizes, n))
        return found

    def _pass_args(self, mode: int) -> tuple:
        """The fixed arguments of a per-call pass in ``mode``: all but the work space, X, Y
        and the loss."""
        k = self.k
        rule = self.rule.copy()
        rule[k.MODE], rule[k.CHECK], rule[k.BATCH] = mode, 1, ONE_BATCH
        return (
            (self.gemm, self.P, self.S1, self.S2, np.empty((2, 0), self.P.dtype)),
            (self.layout, rule, self.c, 0),
            (self._no_order, np.zeros(1)),
        )

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
        ready = loaded() and _compiled_dtypes.get(net.dtype.name)
        if not ready and _numpy_seconds < (LOAD_SECONDS if _cached_on_disk() else COMPILE_SECONDS):
            return None
        if opt is None:
            opt = net.__dict__["_step_sgd"] = SGD(list(net.parameters()), lr)
        run = run_for(net, opt, X.shape[0])
    opt.lr = lr
    return run.step(X, Y, lr)


ALL = slice(None)


def _blocks(rows: Array, work: Array, spans: list) -> list[Array]:
    """The (n, units) blocks at ``spans`` of a work space (``rows``: it as a (1, size)
    array, ``work``: flat), as views: for one row a column slice, which is one view
    where slicing and reshaping would be two (a third of a small network's gradients)."""
    if spans and spans[0][0] is ALL:
        return [rows[at] for at in spans]
    return [work[at].reshape(shape) for at, shape in spans]


class PerCall:
    """A network's Runs for the per-call passes: one for batches small enough that every
    product runs as loops, one that calls BLAS for the larger ones (each made when needed)."""

    def __init__(self, net: MLP) -> None:
        sizes = net.layer_sizes
        largest = max(a * b for a, b in zip(sizes[:-1], sizes[1:], strict=True))
        n_params = sum(a * b + b for a, b in zip(sizes[:-1], sizes[1:], strict=True))
        per_row = 4 * sum(sizes[1:]) + sizes[0] + sizes[-1]  # kernel.work_size, per row
        #: The most rows whose work space fits in PER_CALL_WORK; the fewest that use BLAS.
        self.max_rows = (PER_CALL_WORK - n_params) // per_row
        self.blas_rows = -(-LOOP_WORK // largest)
        self.loops: Run | None = None
        self.blas: Run | None = None


def per_call(net: MLP, rows: int) -> Run | None:
    """The network's Run for the per-call passes on ``rows`` rows, or None when the NumPy
    path should take the call: the kernel does not support the network, the batch is
    large (:data:`PER_CALL_WORK`), or the compiled code is not loaded and has not yet paid
    for loading (the gating of :func:`step`)."""
    runs = net.__dict__.get("_per_call")
    if runs is None:
        runs = net.__dict__["_per_call"] = PerCall(net)
    if rows > runs.max_rows:
        return None
    blas = rows >= runs.blas_rows
    run = runs.blas if blas else runs.loops
    if run is not None:
        return run
    if not supports(net):
        return None
    ready = loaded() and _compiled_dtypes.get(net.dtype.name)
    if not ready and _numpy_seconds < (LOAD_SECONDS if _cached_on_disk() else COMPILE_SECONDS):
        return None
    run = Run(net, None, rows)
    if blas:
        runs.blas = run
    else:
        runs.loops = run
    return run


def numpy_pass(net: MLP, X: Array, work: Callable[..., Any], *args: Any) -> Any:
    """``work(*args)``: a per-call pass on X on the NumPy path, after :func:`per_call` said
    None. Its time counts for the cost model when the compiled passes would take this
    batch once loaded (so a loop of small calls soon pays for loading them, as a loop of
    ``MLP.step`` does; a large batch's time is not what compiling would save)."""
    started = clock()
    result = work(*args)
    if X.shape[0] <= net.__dict__["_per_call"].max_rows:
        spent_in_numpy(clock() - started)
    return result


def compile_now(dtype: Any = np.float64) -> None:
    """Load (or compile) the kernel for ``dtype`` now, e.g. before timing a loop: both its
    forms, for networks small enough to need no BLAS and for the others."""
    from ..network import MLP

    for width, rows in ((1, 1), (64, 64)):
        net = MLP([width, 1], activations=["identity"], dtype=dtype)
        x = np.zeros((rows, width), net.dtype)
        y = np.zeros((rows, 1), net.dtype)
        Run(net, SGD(list(net.parameters()), 0.0), rows).epochs(x, y, np.zeros(1), None)
