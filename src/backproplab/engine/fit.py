"""The training loop: epochs of backpropagation and optimiser steps, with a History.

By default it is the slides' procedure: every epoch computes the gradient of the mean loss
over *all* n samples (full batch) and applies w(new) = w - eta dL/dw to every parameter.
Optional: mini-batches reshuffled every epoch (seeded), momentum/Nesterov/Adam, L2 weight
decay, a learning-rate schedule, a validation set, early stopping, callbacks, sample
weights, checkpoints and resuming.

This is the one loop. The steps of an epoch run either through the NumPy reference
(``MLP._backward`` + the optimiser) or through the compiled kernel, which plugs in behind
one contract (compiled/runner.py: run these epochs, report the step losses, how many steps
finished and the gradient-health figures); the cost model there chooses. Everything else
-- shuffling, schedules, validation, callbacks, early stopping, divergence handling and its
diagnosis, the History -- is here, once.

Nothing here prints or writes files: progress display and checkpoint files are callbacks
supplied by the caller (the CLI passes a Rich progress bar).
"""

from __future__ import annotations

import math
import time
import warnings
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, fields
from typing import TYPE_CHECKING, Any

import numpy as np

from .compiled import runner
from .compiled.threads import blas_threads_for
from .errors import DivergenceError, InputError, VanishingGradientWarning
from .optim import SGD, Adam, ConstantLR, Optimizer, make_optimizer, make_schedule
from .state import TrainingState
from .validation import check_fraction, check_sample_weight

if TYPE_CHECKING:
    from .network import MLP

Array = np.ndarray

#: Why training ended (``History.stop_reason``).
STOP_REASONS = ("completed", "early_stopping", "callback", "diverged")
#: A hidden layer whose gradient norm is below this fraction of the output layer's is
#: reported as vanishing (a deep sigmoid stack: each sigma' <= 1/4).
VANISHING_RATIO = 1e-3
#: A layer whose gradient norm grows past this many times its first value is exploding.
EXPLODING_GROWTH = 10.0
#: Epochs per compiled call when nothing needs Python between epochs (bounded by rows).
BLOCK_ROWS = 1_000_000


@dataclass
class History:
    """Per-epoch metrics of one call to :func:`fit`.

    ``metrics["loss"][k]`` is the mean training loss of epoch ``epochs[k]`` (the loss of
    each batch before its update, averaged over the samples; for full batch, the loss at
    the start of the epoch, as ``MLP.step`` returns it). ``val_loss`` and, for the
    classification losses, ``val_accuracy`` are measured at the end of each epoch; ``lr``
    is the learning rate used in the epoch and ``time`` the seconds since training began.

    Gradient health, in ``health`` (one row per epoch, one value per layer l = 1..L, at
    the first step of each epoch): ``health["grad_norm"]`` = ||(dL/dW^l, dL/db^l)|| and
    ``health["update_ratio"]`` = ||update of layer l|| / ||its parameters|| (what the
    optimiser actually changed, not eta g). ``history["grad_norm_2"]`` reads one layer's.
    """

    epochs: list[int] = field(default_factory=list)
    metrics: dict[str, list[float]] = field(default_factory=dict)
    stop_reason: str = "completed"
    #: The epoch whose parameters the network holds at the end when the best ones were
    #: restored by early stopping (else the last epoch).
    best_epoch: int | None = None
    #: Where the run stands: pass it to ``fit(..., resume=...)`` to go on.
    state: TrainingState | None = None
    #: "numpy" or "compiled": the path the steps took.
    path: str = "numpy"
    health: dict[str, list[list[float]]] = field(default_factory=dict)

    def record(self, epoch: int, logs: dict[str, float]) -> None:
        self.epochs.append(epoch)
        for key, value in logs.items():
            self.metrics.setdefault(key, []).append(float(value))

    def record_health(self, name: str, per_layer: list[float]) -> None:
        self.health.setdefault(name, []).append([float(v) for v in per_layer])

    def __getitem__(self, key: str) -> list[float]:
        if key in self.metrics:
            return self.metrics[key]
        name, _, layer = key.rpartition("_")
        if name in self.health and layer.isdigit() and 1 <= int(layer) <= len(self.health[name][0]):
            return [row[int(layer) - 1] for row in self.health[name]]
        known = ", ".join(self.metrics) or "none yet"
        raise KeyError(f"no metric {key!r} in this History (recorded: {known})")

    def __contains__(self, key: object) -> bool:
        if key in self.metrics:
            return True
        try:
            self[str(key)]
        except KeyError:
            return False
        return True

    def __len__(self) -> int:
        return len(self.epochs)

    @property
    def loss(self) -> list[float]:
        return self.metrics.get("loss", [])

    @property
    def final(self) -> dict[str, float]:
        """The metrics of the last epoch."""
        return {k: v[-1] for k, v in self.metrics.items() if v}

    def layer_metric(self, name: str, n_layers: int) -> np.ndarray:
        """``grad_norm`` or ``update_ratio`` as an (epochs, layers) array."""
        rows = self.health.get(name, [])
        return np.array(rows, dtype=float).reshape(len(rows), n_layers)

    def to_dict(self) -> dict[str, Any]:
        return {
            "epochs": list(self.epochs),
            "metrics": {k: list(v) for k, v in self.metrics.items()},
            "stop_reason": self.stop_reason,
            "best_epoch": self.best_epoch,
            "health": {k: [list(r) for r in v] for k, v in self.health.items()},
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> History:
        h = cls(
            epochs=[int(e) for e in data.get("epochs", [])],
            metrics={
                str(k): [math.nan if x is None else float(x) for x in v]
                for k, v in data.get("metrics", {}).items()
            },
            stop_reason=str(data.get("stop_reason", "completed")),
            best_epoch=data.get("best_epoch"),
        )
        h.health = {
            str(k): [[math.nan if x is None else float(x) for x in row] for row in v]
            for k, v in data.get("health", {}).items()
        }
        return h


class Callback:
    """Hooks into :func:`fit`. Override any of them; ``on_epoch_end`` returning True stops."""

    def on_train_begin(self, net: MLP, info: dict[str, Any]) -> None:
        """``info``: epochs, n_samples, n_val, batch_size, batches_per_epoch, optimizer,
        start_epoch (0, or the epochs done before a resume), path."""

    def on_epoch_end(self, epoch: int, logs: dict[str, float]) -> bool | None:
        return None

    def on_train_end(self, history: History) -> None:
        """Called when training ends normally (not on divergence)."""


class _FunctionCallback(Callback):
    def __init__(self, fn: Callable[[int, dict[str, float]], Any]) -> None:
        self.fn = fn

    def on_epoch_end(self, epoch: int, logs: dict[str, float]) -> bool | None:
        return self.fn(epoch, logs) is True


@dataclass
class FitSettings:
    """Every setting of :func:`fit` in one object, which the CLI, the train pipeline, the
    estimators and the lab pass along instead of relaying each keyword."""

    epochs: int = 100
    lr: float = 0.1
    batch_size: int | None = None
    optimizer: str | Optimizer = "sgd"
    momentum: float | None = None
    nesterov: bool | None = None
    beta1: float = 0.9
    beta2: float = 0.999
    eps: float = 1e-8
    weight_decay: float = 0.0
    schedule: Any = None
    shuffle: bool = True
    seed: int | None = 0
    validation_split: float = 0.0
    validation_data: tuple[Any, Any] | None = None
    patience: int | None = None
    min_delta: float = 0.0
    restore_best: bool = True
    callbacks: Sequence[Callback | Callable[[int, dict[str, float]], Any]] = ()
    sample_weight: Any = None
    resume: TrainingState | None = None
    checkpoint_every: int | None = None
    on_checkpoint: Callable[[TrainingState], Any] | None = None
    #: "auto" (the cost model), "numpy" or "compiled".
    path: str = "auto"

    def replace(self, **changes: Any) -> FitSettings:
        return FitSettings(**{**self.as_dict(), **changes})

    def as_dict(self) -> dict[str, Any]:
        return {f.name: getattr(self, f.name) for f in fields(self)}

    def changes(self) -> dict[str, Any]:
        """The fields that differ from the defaults, as keywords: what a loop that takes
        only some of the settings (the cluster's) is asked for; one it lacks is an error
        there rather than silently dropped here."""
        default = FitSettings()
        return {k: v for k, v in self.as_dict().items() if _differs(v, getattr(default, k))}

    def make_optimizer(self, params: Sequence[Array]) -> Optimizer:
        """The optimiser these settings name, on ``params`` (a network's arrays in its order
        W1, b1, W2, b2, ...; weight decay applies to the weights, not the biases). An
        :class:`~.optim.Optimizer` given as ``optimizer`` is returned after checking that it
        was built on those very arrays."""
        params = list(params)
        if isinstance(self.optimizer, Optimizer):
            opt = self.optimizer
            if len(opt.params) != len(params) or any(
                a is not b for a, b in zip(opt.params, params, strict=True)
            ):
                raise InputError("the optimizer was built on other arrays than this network's")
            return opt
        return make_optimizer(
            self.optimizer, params, lr=self.lr, momentum=self.momentum, nesterov=self.nesterov,
            beta1=self.beta1, beta2=self.beta2, eps=self.eps, weight_decay=self.weight_decay,
            decay_mask=[i % 2 == 0 for i in range(len(params))],
        )  # fmt: skip


def _differs(value: Any, default: Any) -> bool:
    # `is` first: a callback list or an array compared with == would not give one bool.
    if value is default:
        return False
    try:
        return bool(value != default)
    except (TypeError, ValueError):
        return True


def fit(net: MLP, X: Any, Y: Any, settings: FitSettings | None = None, **options: Any) -> History:
    """Train ``net`` in place on (X, Y) and return the :class:`History`.

    Settings (a :class:`FitSettings`, or its fields as keywords, which override it):
    ``batch_size=None`` is full batch, as in the slides. ``optimizer`` is a name
    ('sgd', 'momentum', 'nesterov', 'adam') or an :class:`~.optim.Optimizer` built on
    ``list(net.parameters())`` (to carry its state across calls). ``weight_decay`` applies
    to the weights, not the biases. ``schedule`` scales ``lr`` per epoch (a name, a
    Schedule or a callable epoch -> factor). ``validation_split`` holds out that fraction
    of the rows (chosen with ``seed``) unless ``validation_data`` is given. With
    ``patience``, training stops after that many epochs without an improvement of more
    than ``min_delta`` in ``val_loss`` (or ``loss`` with no validation set), and with
    ``restore_best`` the best parameters are put back. ``sample_weight`` makes L the
    weighted mean of the samples' losses. ``checkpoint_every=N`` calls
    ``on_checkpoint(state)`` every N epochs; ``resume=state`` (a :class:`TrainingState`
    from ``History.state``, a checkpoint or a model file) goes on from it: called with the
    same arguments, the run ends with the same parameters, bit for bit, as one that never
    stopped.

    If the loss becomes NaN or infinite, training stops with a :class:`DivergenceError`
    naming the epoch (and batch), the layer whose gradients exploded first and a learning
    rate that would not have diverged; it carries ``.epoch``, ``.step``, ``.layer``,
    ``.suggested_lr``, ``.history`` and ``.state``. The network is put back to parameters
    whose loss was finite: with full batch, the last such parameters; with mini-batches,
    those of the start of the diverging epoch (or of the epoch before, when its first batch
    diverged), since a copy is kept once per epoch rather than before every step.

    X and Y may be dask collections: the run then goes to :mod:`backproplab.distributed`.
    """
    unknown = set(options) - {f.name for f in fields(FitSettings)}
    if unknown:
        raise TypeError(f"fit() got unexpected keyword argument(s): {', '.join(sorted(unknown))}")
    s = (settings or FitSettings()).replace(**options) if options else (settings or FitSettings())
    if _is_dask(X) or _is_dask(Y):
        from ..distributed import fit as distributed_fit

        return distributed_fit(net, X, Y, **s.changes())
    return _Loop(net, X, Y, s).run()


class _Loop:
    """One call of :func:`fit`: set-up, then epochs until done."""

    def __init__(self, net: MLP, X: Any, Y: Any, s: FitSettings) -> None:
        self.net, self.s = net, s
        self.epochs = _positive_int(s.epochs, "epochs")
        self._set_data(X, Y)
        n = self.n
        batch_size = None if s.batch_size is None else _positive_int(s.batch_size, "batch_size")
        self.bs = n if batch_size is None else min(batch_size, n)
        self.per_epoch = math.ceil(n / self.bs)
        self.patience = None if s.patience is None else _positive_int(s.patience, "patience")
        self.checkpoint_every = (
            None
            if s.checkpoint_every is None
            else _positive_int(s.checkpoint_every, "checkpoint_every")
        )
        self.params = list(net.parameters())
        self.opt = s.make_optimizer(self.params)
        self.base_lr = self.opt.lr if isinstance(s.optimizer, Optimizer) else float(s.lr)
        self.sched = make_schedule(s.schedule, epochs=self.epochs)
        self.hooks = [
            cb if isinstance(cb, Callback) else _FunctionCallback(cb) for cb in s.callbacks
        ]
        self.rng = np.random.default_rng(s.seed)
        self.shuffled = self.bs < n and s.shuffle
        self.classify = net.loss_name in ("bce", "cross_entropy")
        self.history = History()
        self.best_score, self.best_epoch, self.waited = math.inf, None, 0
        self.best = (
            [np.empty_like(p) for p in self.params]
            if self.patience is not None and s.restore_best
            else None
        )
        # The parameters at the start of this epoch and of the one before (see _last_finite).
        self.epoch_start = [np.empty_like(p) for p in self.params]
        self.last_epoch_start = [np.empty_like(p) for p in self.params]
        self.start_epoch = 0
        self.path = self._choose_path()
        if s.resume is not None:
            self._resume(s.resume)

    # ------------------------------------------------------------------ set-up
    def _set_data(self, X: Any, Y: Any) -> None:
        """Check the data and hold out the validation rows: X, Y, weights, Xv, Yv, n, n_val.
        (backproplab.distributed's loop overrides this and the epoch, and reuses the rest.)"""
        s, net = self.s, self.net
        Xc = net.check_X(X)
        Yc = net.check_Y(Y, Xc.shape[0])
        weights = check_sample_weight(s.sample_weight, Xc.shape[0])
        Xc, Yc, weights, self.Xv, self.Yv = _validation(
            net, Xc, Yc, weights, s.validation_split, s.validation_data, s.seed
        )
        self.X, self.Y, self.weights = Xc, Yc, weights
        self.n = Xc.shape[0]
        self.n_val = 0 if self.Xv is None else self.Xv.shape[0]
        self.order: Array | None = np.arange(self.n)

    def _validation_logs(self) -> dict[str, float]:
        """val_loss (and val_accuracy) at the current parameters; {} without validation rows."""
        if self.Xv is None:
            return {}
        return _evaluate(self.net, self.Xv, self.Yv, self.classify)

    def _info(self) -> dict[str, Any]:
        """What ``Callback.on_train_begin`` receives."""
        return {
            "epochs": self.epochs, "n_samples": self.n, "n_val": self.n_val,
            "batch_size": self.bs, "batches_per_epoch": self.per_epoch,
            "optimizer": repr(self.opt), "start_epoch": self.start_epoch, "path": self.path,
        }  # fmt: skip

    def _choose_path(self) -> str:
        wanted = self.s.path
        if wanted not in ("auto", "numpy", "compiled"):
            raise InputError(f"path must be 'auto', 'numpy' or 'compiled', got {wanted!r}")
        ok = self.weights is None and runner.supports(self.net, self.opt)
        if wanted == "compiled" and not ok:
            raise InputError("this network or optimiser has no compiled path; use path='auto'")
        if wanted != "auto":
            return wanted
        steps = self.epochs * self.per_epoch
        worth = ok and runner.worth_it(self.net, steps, self.opt, batch_rows=self.bs)
        return "compiled" if worth else "numpy"

    def _resume(self, state: TrainingState) -> None:
        if not isinstance(state, TrainingState):
            raise InputError("resume must be a TrainingState (History.state, or a model file's)")
        if state.epochs != self.epochs:
            raise InputError(
                f"resume: the run was planned for {state.epochs} epochs, this call asks for "
                f"{self.epochs}; resume with the same settings"
            )
        if state.optimizer != self.opt.name:
            raise InputError(f"resume: the run used {state.optimizer!r}, not {self.opt.name!r}")
        if state.path == "compiled" and not runner.supports(self.net, self.opt):
            raise InputError("resume: the run was compiled, and this machine has no compiled path")
        self.path = state.path
        self.start_epoch = state.epoch
        self.opt.steps = state.steps
        for name, arrays in self.opt.state_arrays().items():
            saved = state.buffers.get(name)
            flat = np.concatenate([a.reshape(-1) for a in arrays]) if arrays else None
            if saved is None or flat is None or saved.shape != flat.shape:
                raise InputError(f"resume: the optimiser's {name!r} buffer is missing or mis-sized")
            pos = 0
            for a in arrays:
                a.reshape(-1)[...] = saved[pos : pos + a.size]
                pos += a.size
        if state.rng:
            self.rng.bit_generator.state = state.rng
        if state.order is not None:
            if state.order.shape != (self.n,):
                raise InputError("resume: the saved row order does not match the data")
            self.order = np.array(state.order, dtype=np.int64)
        self.best_score = math.inf if state.best_score is None else state.best_score
        self.best_epoch, self.waited = state.best_epoch, state.waited
        if self.best is not None and state.best is not None:
            for keep, saved in zip(self.best, state.best, strict=True):
                np.copyto(keep, saved)
        saved = state.history
        self.history = History.from_dict(saved if isinstance(saved, dict) else saved.to_dict())
        self.history.stop_reason = "completed"  # this call decides how the run ends

    def state(self, epoch: int) -> TrainingState:
        buffers = {
            name: np.concatenate([a.reshape(-1) for a in arrays])
            for name, arrays in self.opt.state_arrays().items()
            if arrays
        }
        return TrainingState(
            epoch=epoch, epochs=self.epochs, path=self.path, optimizer=self.opt.name,
            steps=self.opt.steps, buffers=buffers, rng=self.rng.bit_generator.state,
            order=None if self.order is None else self.order.copy(),
            best_score=None if math.isinf(self.best_score) else self.best_score,
            best_epoch=self.best_epoch, waited=self.waited,
            best=None if self.best is None or not self.best_epoch else [b.copy() for b in self.best],  # noqa: E501
            history=self.history, stop_reason=self.history.stop_reason,
        )  # fmt: skip

    # ------------------------------------------------------------------ the loop
    def run(self) -> History:
        info = self._info()
        for cb in self.hooks:
            cb.on_train_begin(self.net, info)
        self.history.path = self.path
        # Python is needed after every epoch only for these; otherwise blocks of epochs run
        # as one compiled call.
        per_epoch_python = bool(
            self.hooks or self.n_val or self.patience is not None or self.checkpoint_every
        )
        compiled_blocks = self.path == "compiled" and not per_epoch_python
        block = max(1, BLOCK_ROWS // self.n) if compiled_blocks else 1
        self.clock = time.perf_counter()
        epoch = self.start_epoch
        with (
            np.errstate(over="ignore", invalid="ignore", divide="ignore", under="ignore"),
            blas_threads_for(self.net.layer_sizes, self.bs),  # small products: one thread
        ):
            while epoch < self.epochs:
                count = min(block, self.epochs - epoch)
                logs_list = self._epochs(epoch + 1, count)
                if not logs_list:  # a block of epochs, recorded as a whole
                    epoch += count
                    continue
                stop = False
                for e, logs, health in logs_list:
                    epoch = e
                    stop = self._after_epoch(e, logs, health) or stop
                if stop:
                    break
            # The last update may itself have overflowed; its loss is never computed above.
            if not all(np.isfinite(p).all() for p in self.params):
                self._diverged(epoch, None, math.nan)
        if self.path == "numpy" and self.weights is None and runner.supports(self.net, self.opt):
            runner.spent_in_numpy(time.perf_counter() - self.clock)  # for the cost model
        self._vanishing_warning()
        if (
            self.best is not None
            and self.best_epoch is not None
            and self.history.stop_reason == "early_stopping"
        ):
            for p, keep in zip(self.params, self.best, strict=True):
                np.copyto(p, keep)
            self.history.best_epoch = self.best_epoch
        else:
            self.history.best_epoch = self.history.epochs[-1] if self.history.epochs else None
        self.history.state = self.state(epoch)
        for cb in self.hooks:
            cb.on_train_end(self.history)
        return self.history

    def _lr(self, epoch: int) -> float:
        return self.base_lr * float(self.sched(epoch - 1))

    def _snapshot(self) -> None:
        self.epoch_start, self.last_epoch_start = self.last_epoch_start, self.epoch_start
        for keep, p in zip(self.epoch_start, self.params, strict=True):
            np.copyto(keep, p)

    def _epochs(self, first: int, count: int) -> list[tuple[int, dict, dict]]:
        """Train epochs first..first+count-1; returns each one's logs."""
        if self.path == "compiled":
            return self._compiled_epochs(first, count)
        return [(first + i, *self._numpy_epoch(first + i)) for i in range(count)]

    def _numpy_epoch(self, epoch: int) -> tuple[dict[str, float], dict[str, list[float]]]:
        net, opt, n, bs = self.net, self.opt, self.n, self.bs
        opt.lr = self._lr(epoch)
        X, Y, w = self.X, self.Y, self.weights
        if self.shuffled:
            self.rng.shuffle(self.order)
            X, Y = X[self.order], Y[self.order]
            w = None if w is None else w[self.order]
        self._snapshot()
        total, weight_total = 0.0, 0.0
        health: dict[str, list[float]] = {}
        for b, lo in enumerate(range(0, n, bs)):
            hi = min(lo + bs, n)
            wb = None if w is None else w[lo:hi]
            if wb is not None and not wb.sum() > 0:
                continue  # a batch of zero weight has no gradient
            grads = net._backward(net._forward(X[lo:hi]), Y[lo:hi], wb)
            if not math.isfinite(grads.loss):
                self._diverged(epoch, b, grads.loss)
            share = float(hi - lo if wb is None else wb.sum())
            total += grads.loss * share
            weight_total += share
            opt.step(grads)
            if b == 0:
                health = self._health(grads)
        return {"loss": total / weight_total}, health

    def _health(self, grads: Any) -> dict[str, list[float]]:
        """Each layer's gradient norm and update/weight ratio at this epoch's first step
        (the update is what the optimiser changed: parameters now minus at epoch start)."""
        out: dict[str, list[float]] = {"grad_norm": [], "update_ratio": []}
        for l in range(self.net.n_layers):
            g2 = float(
                np.vdot(grads.weights[l], grads.weights[l])
                + np.vdot(grads.biases[l], grads.biases[l])
            )
            w2 = u2 = 0.0
            for i in (2 * l, 2 * l + 1):
                before = self.epoch_start[i]
                w2 += float(np.vdot(before, before))
                d = self.params[i] - before
                u2 += float(np.vdot(d, d))
            out["grad_norm"].append(math.sqrt(g2))
            out["update_ratio"].append(math.sqrt(u2) / math.sqrt(w2) if w2 > 0 else math.inf)
        return out

    def _compiled_epochs(self, first: int, count: int) -> list[tuple[int, dict, dict]]:
        run = runner.run_for(self.net, self.opt, self.bs)
        if isinstance(self.sched, ConstantLR):
            lrs = np.full(count, self.base_lr)
        else:
            lrs = np.array([self._lr(first + i) for i in range(count)])
        orders = None
        if self.shuffled:
            orders = np.empty((count, self.n), np.int64)
            for i in range(count):
                self.rng.shuffle(self.order)
                orders[i] = self.order
        losses, done, stats = run.epochs(self.X, self.Y, lrs, orders)
        # Mirror the kernel's per-epoch snapshots into the loop's (for _diverged).
        self._set_snapshots(run.snap)
        rows = np.full(self.per_epoch, self.bs, dtype=np.float64)
        rows[-1] = self.n - self.bs * (self.per_epoch - 1)
        full = done // self.per_epoch
        # Per-epoch figures for the whole block at once (a block can be 10^5 epochs).
        # The same sum for one epoch as for a block of them (a matrix product would round
        # differently by block size, and a resumed run must record the same History).
        per_step = losses[: full * self.per_epoch].reshape(full, self.per_epoch)
        epoch_loss = (per_step * rows).sum(axis=1) / self.n
        g2, w2, u2 = stats[:full, :, 0], stats[:full, :, 1], stats[:full, :, 2]
        with np.errstate(divide="ignore", invalid="ignore"):
            ratio = np.where(w2 > 0, np.sqrt(u2) / np.sqrt(w2), np.inf)
        norms = np.sqrt(g2)
        if count > 1 or done < count * self.per_epoch:  # no Python per epoch: record in bulk
            self._record_block(first, epoch_loss, lrs[:full], norms, ratio)
            if done < count * self.per_epoch:
                self._diverged(first + full, done % self.per_epoch, float(losses[done]))
            return []
        health = {"grad_norm": norms[0].tolist(), "update_ratio": ratio[0].tolist()}
        return [(first, {"loss": float(epoch_loss[0])}, health)]

    def _record_block(
        self, first: int, loss: Array, lrs: Array, norms: Array, ratio: Array
    ) -> None:
        h, n = self.history, len(loss)
        h.epochs.extend(range(first, first + n))
        h.metrics.setdefault("loss", []).extend(loss.tolist())
        h.metrics.setdefault("lr", []).extend(lrs.tolist())
        h.metrics.setdefault("time", []).extend([time.perf_counter() - self.clock] * n)
        h.health.setdefault("grad_norm", []).extend(norms.tolist())
        h.health.setdefault("update_ratio", []).extend(ratio.tolist())

    def _set_snapshots(self, snap: Array) -> None:
        for keep, old, p_from_flat in zip(
            self.epoch_start, self.last_epoch_start, _split(self.net, snap), strict=True
        ):
            np.copyto(keep, p_from_flat[0])
            np.copyto(old, p_from_flat[1])

    def _record(self, epoch: int, logs: dict[str, float], health: dict[str, list[float]]) -> None:
        logs["lr"] = self._lr(epoch)
        logs["time"] = time.perf_counter() - self.clock
        self.history.record(epoch, logs)
        for name, values in health.items():
            self.history.record_health(name, values)

    def _after_epoch(
        self, epoch: int, logs: dict[str, float], health: dict[str, list[float]]
    ) -> bool:
        """Validation, the History, early stopping, checkpoints and callbacks; True stops."""
        logs.update(self._validation_logs())
        if "val_loss" in logs and not math.isfinite(logs["val_loss"]):
            self._diverged(epoch, None, logs["val_loss"])
        self._record(epoch, logs, health)
        stop = False
        if self.patience is not None:
            score = logs.get("val_loss", logs["loss"])
            if score < self.best_score - float(self.s.min_delta):
                self.best_score, self.best_epoch, self.waited = score, epoch, 0
                if self.best is not None:
                    for keep, p in zip(self.best, self.params, strict=True):
                        np.copyto(keep, p)
            else:
                self.waited += 1
                if self.waited >= self.patience:
                    self.history.stop_reason = "early_stopping"
                    stop = True
        for cb in self.hooks:
            if cb.on_epoch_end(epoch, logs) is True and not stop:
                self.history.stop_reason = "callback"
                stop = True
        due = self.checkpoint_every and (epoch % self.checkpoint_every == 0 or stop)
        if due and self.s.on_checkpoint is not None:
            self.s.on_checkpoint(self.state(epoch))
        return stop

    # ------------------------------------------------------------------ when it breaks
    def _diverged(self, epoch: int, batch: int | None, loss: float) -> None:
        kept, kept_text = _last_finite((self.epoch_start, self.last_epoch_start), epoch, batch)
        if kept is not None:
            for p, keep in zip(self.params, kept, strict=True):
                np.copyto(p, keep)
        where = f"epoch {epoch}"
        if batch is not None and self.bs < self.n:
            where += f" (batch {batch + 1} of {self.per_epoch})"
        outcome = (
            f"the network keeps {kept_text}"
            if kept is not None
            else "the initial parameters already give a non-finite loss"
        )
        lr = self.opt.lr
        layer, since, suggested = _diagnose(self.history, self.net.n_layers, lr, epoch)
        cause = ""
        if layer is not None:
            cause = f"; the gradients of layer {layer} exploded first (from epoch {since})"
        error = DivergenceError(
            f"training diverged at {where}: the loss became {loss}{cause}; {outcome}; "
            f"try a smaller learning rate (lr was {lr:g}; about {suggested:g} would not "
            "have diverged by the gradient norms seen)"
        )
        self.history.stop_reason = "diverged"
        error.epoch = epoch
        error.step = (epoch - 1) * self.per_epoch + (batch or 0) + 1
        error.layer = layer
        error.suggested_lr = suggested
        error.history = self.history
        error.state = self.state(max(epoch - 1, 0))
        self.history.state = error.state
        raise error

    def _vanishing_warning(self) -> None:
        L = self.net.n_layers
        if L < 3 or not self.history.epochs:
            return
        weak = vanishing_layers(self.history.layer_metric("grad_norm", L))
        if weak:
            named = ", ".join(f"layer {l} ({r:.1e} of the output layer's)" for l, r in weak)
            warnings.warn(
                f"vanishing gradients: the gradient norms of {named} are tiny, so those "
                "layers barely learn (or their ReLU units are dead); try relu/tanh hidden layers, "
                "fewer layers, another init or a smaller learning rate",
                VanishingGradientWarning,
                stacklevel=4,
            )


def _split(net: MLP, snap: Array) -> list[tuple[Array, Array]]:
    """Per parameter array, its values in snapshot rows 0 and 1 of the kernel."""
    out, pos = [], 0
    for p in net.parameters():
        out.append(
            (
                snap[0, pos : pos + p.size].reshape(p.shape),
                snap[1, pos : pos + p.size].reshape(p.shape),
            )
        )
        pos += p.size
    return out


def _diagnose(
    history: History, n_layers: int, lr: float, epoch: int
) -> tuple[int | None, int | None, float]:
    """Which layer's gradients exploded first (and from which epoch), and a learning rate
    that would not have diverged, from the gradient-health figures recorded so far."""
    norms = history.layer_metric("grad_norm", n_layers)
    ratios = history.layer_metric("update_ratio", n_layers)
    if norms.size == 0:
        return n_layers, epoch, _round_down(lr / 10)
    exploded = exploding_layer(norms)
    if exploded is not None:
        row, layer = exploded[0], exploded[1] - 1
        since = history.epochs[row]
    else:
        first = norms[0]
        growth = norms / np.where(first > 0, first, 1.0)
        row, layer = len(norms) - 1, int(np.nanargmax(growth[-1]))
        since = history.epochs[-1]
    # A healthy step changes a layer by about 1% of its size: scale lr to that.
    worst = float(np.nanmax(ratios[0])) if np.isfinite(ratios[0]).any() else math.inf
    if worst > 0 and math.isfinite(worst):
        suggested = lr * min(0.5, max(0.01, 0.01 / worst))
    else:
        suggested = lr / 10
    return int(layer) + 1, int(since), _round_down(suggested)


def vanishing_layers(norms: Array) -> list[tuple[int, float]]:
    """Layers (1-based) whose median gradient norm is below :data:`VANISHING_RATIO` of the
    output layer's, with that ratio, from per-epoch norms (epochs, layers) such as
    ``History.layer_metric("grad_norm", L)``; only for networks of 3 or more layers."""
    if norms.ndim != 2 or norms.shape[0] == 0 or norms.shape[1] < 3:
        return []
    if not np.isfinite(norms).all():
        return []
    out = np.median(norms[:, -1])
    if out <= 0:
        return []
    ratios = np.median(norms[:, :-1], axis=0) / out
    return [(l + 1, float(r)) for l, r in enumerate(ratios) if r < VANISHING_RATIO]


def exploding_layer(norms: Array) -> tuple[int, int] | None:
    """(row, layer 1-based) of the first gradient norm that is not finite or more than
    :data:`EXPLODING_GROWTH` times its layer's first one, in per-epoch norms (epochs, layers);
    None when no layer's gradients exploded."""
    if norms.ndim != 2 or norms.shape[0] == 0:
        return None
    first = norms[0]
    with np.errstate(invalid="ignore", over="ignore"):
        growth = norms / np.where(first > 0, first, 1.0)
        exploded = np.argwhere(~np.isfinite(growth) | (growth > EXPLODING_GROWTH))
    if not len(exploded):
        return None
    return int(exploded[0][0]), int(exploded[0][1]) + 1


def _round_down(x: float) -> float:
    """x rounded down to 1, 2 or 5 times a power of ten (a learning rate to type)."""
    if not x > 0 or not math.isfinite(x):
        return 0.0
    power = 10 ** math.floor(math.log10(x))
    for m in (5, 2, 1):
        if m * power <= x:
            return m * power
    return power


def _validation(
    net: MLP,
    X: Array,
    Y: Array,
    w: Array | None,
    split: float,
    data: tuple[Any, Any] | None,
    seed: int | None,
) -> tuple[Array, Array, Array | None, Array | None, Array | None]:
    if data is not None:
        try:
            Xv_raw, Yv_raw = data
        except (TypeError, ValueError):
            raise InputError("validation_data must be a pair (X_val, Y_val)") from None
        Xv = net.check_X(Xv_raw)
        return X, Y, w, Xv, net.check_Y(Yv_raw, Xv.shape[0])
    split = check_fraction(split, "validation_split")
    if split == 0.0:
        return X, Y, w, None, None
    n = X.shape[0]
    n_val = round(n * split)
    if n_val < 1 or n_val >= n:
        raise InputError(
            f"validation_split={split} of {n} samples leaves {n - n_val} for training and "
            f"{n_val} for validation; both need at least one"
        )
    # A separate stream from the shuffling, so that the split does not depend on batch size.
    perm = np.random.default_rng([0 if seed is None else seed, 1]).permutation(n)
    val, train = np.sort(perm[:n_val]), np.sort(perm[n_val:])
    return X[train], Y[train], None if w is None else w[train], X[val], Y[val]


def _evaluate(net: MLP, X: Array, Y: Array, classify: bool) -> dict[str, float]:
    trace = net._forward(X)
    out = {"val_loss": float(net.loss_function.value(trace.z[-1], trace.output, Y))}
    if classify:
        out["val_accuracy"] = accuracy(trace.output, Y)
    return out


def accuracy(output: Array, Y: Array) -> float:
    """Fraction of rows classified right: argmax for several outputs, > 0.5 for one."""
    if output.shape[1] == 1:
        return float(np.mean((output[:, 0] > 0.5) == (Y[:, 0] > 0.5)))
    return float(np.mean(np.argmax(output, axis=1) == np.argmax(Y, axis=1)))


def _last_finite(
    snapshots: tuple[list[Array], list[Array]], epoch: int, batch: int | None
) -> tuple[list[Array] | None, str]:
    """Which parameters to put back after a divergence in ``epoch`` (at ``batch``, or at
    its end when None), and how the message describes them.

    ``snapshots`` are the parameters at the start of this epoch and of the one before,
    copied once per epoch rather than before every step (which cost a whole extra pass over
    the parameters per step). Those at the start of this epoch gave a finite loss on its
    first batch, unless it is that first batch that diverged (``batch == 0``, always the
    case for full batch): then the start of the epoch before, whose first loss was finite.
    With full batch these are exactly the last parameters whose loss was finite.
    """
    epoch_start, last_epoch_start = snapshots
    if batch != 0:
        return epoch_start, f"its parameters of the start of epoch {epoch}, whose loss was finite"
    if epoch == 1:
        return None, ""
    return last_epoch_start, (
        f"its parameters of the start of epoch {epoch - 1}, whose loss was finite"
    )


def _is_dask(value: Any) -> bool:
    return type(value).__module__.startswith("dask.")


def _positive_int(value: Any, name: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int | np.integer) or value < 1:
        raise InputError(f"{name} must be a positive integer, got {value!r}")
    return int(value)


__all__ = ["Callback", "FitSettings", "History", "TrainingState", "accuracy", "fit"]
_ = (SGD, Adam)  # the optimisers the compiled path serves (runner.supports)
