"""The training loop on Dask: the engine's loop, with each gradient a reduction over chunks.

Full batch (the slides' GD) takes one round trip per epoch: every chunk returns its gradient
sum at the current parameters (and its validation sums, which belong to the end of the
previous epoch), the fixed-order tree adds them in float64, and the engine's optimiser steps
on the client. Mini-batches are synchronous data-parallel steps: in step s of an epoch every
chunk contributes rows [s*n_c/S, (s+1)*n_c/S) of its own seeded epoch order, so each step's
gradient is exactly the mean-loss gradient of one global batch of about ``batch_size`` rows
(a sample stratified by chunk); a run is reproducible for a given chunking.

A worker that dies is replaced by the scheduler, which recomputes its chunks from their
lineage (the graph that read them); the step is then the same sum, so the run goes on to the
same parameters. If the cluster cannot recover (every retry lost), fit stops with a
:class:`DistributedError` and the network keeps the parameters of the last completed step.
"""

from __future__ import annotations

import math
import os
import time
import warnings
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any

import numpy as np

from ..engine.errors import BackpropLabError, DivergenceError, InputError
from ..engine.fit import Callback, History
from ..engine.optim import Optimizer, make_optimizer, make_schedule
from . import costs, data, reduce
from .cluster import active_client, worker_count, worker_memory

if TYPE_CHECKING:
    from ..engine.network import MLP

Array = np.ndarray


class SmallDataWarning(UserWarning):
    """The data is small enough that in-memory ``fit`` would be faster."""


class DistributedError(BackpropLabError, RuntimeError):
    """The cluster lost work it could not recover; ``.history`` and ``.epoch`` say how far."""


class _Grads:
    """Gradient arrays in parameter order, as the engine's optimisers take them."""

    def __init__(self, arrays: list[Array]) -> None:
        self.arrays = arrays

    def __iter__(self):
        return iter(self.arrays)


class Runner:
    """The chunks of one data set on one cluster, and one map-reduce over them per call."""

    def __init__(self, net: MLP, X: Any, Y: Any, *, client: Any, val_split: float,
                 seed: int | None, persist: bool | str) -> None:  # fmt: skip
        import dask

        self.client = client
        self.val_split = val_split
        self.template = net.copy()
        pairs = data.row_blocks(X, Y)
        # Keys unique to this run (pure=False, hash=False): a second fit on the same data must
        # not share keys that the first one is releasing.
        load = dask.delayed(data.load_shard, pure=False)
        shards = [load(x, y, self.template, i, val_split, seed) for i, (x, y) in enumerate(pairs)]
        self.persisted = _should_persist(persist, X, Y, client)
        if client is not None:
            self.template_ref = client.scatter(self.template, broadcast=True, hash=False)
        else:
            self.template_ref = self.template
        if self.persisted:
            # The chunks stay in the workers' memory; their lineage is kept for recovery.
            shards = client.compute(shards) if client is not None else dask.persist(*shards)
        self.shards = list(shards)
        self.workers = worker_count(client)
        self.counts: list[tuple[int, int]] | None = None

    def sums(self, params: list[Array], *, train: bool = True, val: bool = False,
             batch: tuple | None = None) -> reduce.Sums:  # fmt: skip
        import dask

        p = dask.delayed([a.copy() for a in params], traverse=False, pure=False)
        task = dask.delayed(reduce.chunk_sums, pure=False)
        parts = [task(self.template_ref, p, s, train=train, val=val, batch=batch)
                 for s in self.shards]  # fmt: skip
        root = reduce.tree(parts, dask.delayed(reduce.add, pure=False))
        if self.client is not None:
            return _result(self.client.compute(root))
        return dask.compute(root)[0]

    def row_counts(self) -> list[tuple[int, int]]:
        """(training rows, validation rows) per chunk (one pass; kept)."""
        import dask

        if self.counts is None:
            count = dask.delayed(lambda s: (s.rows, s.val_rows), pure=False)
            parts = [count(s) for s in self.shards]
            got = (self.client.compute(parts, sync=True) if self.client is not None
                   else dask.compute(*parts))  # fmt: skip
            self.counts = [tuple(c) for c in got]
        return self.counts


def _result(future: Any) -> Any:
    try:
        return future.result()
    except BackpropLabError:
        raise
    except Exception as exc:
        from distributed import KilledWorker

        if isinstance(exc, KilledWorker | OSError | TimeoutError):
            raise DistributedError(
                f"the cluster lost work it could not recover ({type(exc).__name__}: {exc})"
            ) from None
        raise


def _should_persist(persist: bool | str, X: Any, Y: Any, client: Any) -> bool:
    if persist in (True, False):
        return bool(persist)
    if persist != "auto":
        raise InputError(f"persist must be True, False or 'auto', got {persist!r}")
    size = data.estimated_bytes(X, Y)
    memory = worker_memory(client)
    if client is None:
        return True
    # Keep the chunks in memory when they take at most a third of what the workers have
    # (the rest is for the passes); otherwise read them again at every step.
    return size is not None and (memory is None or size <= memory / 3)


def _hooks(callbacks: Sequence[Any]) -> list[Callback]:
    out: list[Callback] = []
    for cb in callbacks:
        if isinstance(cb, Callback):
            out.append(cb)
        else:
            out.append(_Function(cb))
    return out


class _Function(Callback):
    def __init__(self, fn: Callable[[int, dict[str, float]], Any]) -> None:
        self.fn = fn

    def on_epoch_end(self, epoch: int, logs: dict[str, float]) -> bool | None:
        return self.fn(epoch, logs) is True


def _positive_int(value: Any, name: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int | np.integer) or value < 1:
        raise InputError(f"{name} must be a positive integer, got {value!r}")
    return int(value)


def fit(
    net: MLP,
    X: Any,
    y: Any,
    *,
    client: Any = None,
    epochs: int = 100,
    lr: float = 0.1,
    batch_size: int | None = None,
    optimizer: str | Optimizer = "sgd",
    momentum: float | None = None,
    nesterov: bool | None = None,
    beta1: float = 0.9,
    beta2: float = 0.999,
    eps: float = 1e-8,
    weight_decay: float = 0.0,
    schedule: Any = None,
    shuffle: bool = True,
    seed: int | None = 0,
    validation_split: float = 0.0,
    validation_data: tuple[Any, Any] | None = None,
    patience: int | None = None,
    min_delta: float = 0.0,
    restore_best: bool = True,
    callbacks: Sequence[Callback | Callable[[int, dict[str, float]], Any]] = (),
    persist: bool | str = "auto",
    max_fun: int = 15000,
    tol: float = 1e-4,
) -> History:
    """Train ``net`` in place on dask collections (X, y); returns the engine's History.

    The keyword arguments are those of :func:`backproplab.engine.fit.fit`, plus ``client``
    (default: the active dask.distributed Client, else dask's in-process scheduler),
    ``persist`` (keep the checked chunks in the workers' memory: True, False, or 'auto' when
    they fill at most a third of it; else each step reads them again), and for
    ``optimizer='lbfgs'`` ``tol`` and ``max_fun`` (``epochs`` is its ``max_iter``).
    ``validation_split`` holds out that fraction of every chunk's rows (seeded per chunk);
    ``validation_data`` may be in memory or a dask pair.
    """
    epochs = _positive_int(epochs, "epochs")
    if batch_size is not None:
        batch_size = _positive_int(batch_size, "batch_size")
    if patience is not None:
        patience = _positive_int(patience, "patience")
    try:
        split = float(validation_split)
    except (TypeError, ValueError):
        raise InputError(f"validation_split must be a number, got {validation_split!r}") from None
    if not 0.0 <= split < 1.0:
        raise InputError(f"validation_split must lie in [0, 1), got {split}")
    if validation_data is not None:
        split = 0.0
    client = client if client is not None else active_client()
    runner = Runner(net, X, y, client=client, val_split=split, seed=seed, persist=persist)
    val_runner = None
    if validation_data is not None:
        try:
            Xv, Yv = validation_data
        except (TypeError, ValueError):
            raise InputError("validation_data must be a pair (X_val, Y_val)") from None
        if not data.is_dask_collection(Xv):
            import dask.array as da

            Xv, Yv = da.from_array(net.check_X(Xv)), np.asarray(Yv)
        # Every row of the validation set is a validation row (val_split 1).
        val_runner = Runner(net, Xv, Yv, client=client, val_split=1.0, seed=seed, persist=True)

    params = list(net.parameters())
    if str(optimizer).lower() == "lbfgs" and not isinstance(optimizer, Optimizer):
        from .lbfgs import fit_lbfgs

        return fit_lbfgs(net, runner, epochs=epochs, tol=tol, max_fun=max_fun,
                         weight_decay=weight_decay, callbacks=_hooks(callbacks))  # fmt: skip
    if isinstance(optimizer, Optimizer):
        opt = optimizer
        if len(opt.params) != len(params) or any(
            a is not b for a, b in zip(opt.params, params, strict=True)
        ):
            raise InputError("the optimizer was built on other arrays than this network's")
        base_lr = opt.lr
    else:
        opt = make_optimizer(
            optimizer, params, lr=lr, momentum=momentum, nesterov=nesterov, beta1=beta1,
            beta2=beta2, eps=eps, weight_decay=weight_decay,
            decay_mask=[i % 2 == 0 for i in range(len(params))],  # W1, b1, W2, ...: weights
        )  # fmt: skip
        base_lr = float(lr)
    loop = _Loop(net, runner, val_runner, opt, base_lr, make_schedule(schedule, epochs=epochs),
                 _hooks(callbacks), patience, float(min_delta), restore_best)  # fmt: skip
    if batch_size is None:
        return loop.full_batch(epochs)
    return loop.mini_batch(epochs, batch_size, shuffle, seed)


def warn_if_small(rows: int, net: MLP, workers: int) -> None:
    """Warn when the data would fit in this process's memory and the measured cost model
    (:mod:`.costs`) says in-memory fit would be faster."""
    bytes_needed = rows * (net.n_inputs + net.n_outputs) * np.dtype(net.dtype).itemsize
    try:
        import psutil

        fits = bytes_needed < psutil.virtual_memory().total / 4
    except ImportError:  # pragma: no cover - psutil comes with distributed
        fits = True
    cores = os.cpu_count() or 1
    even = costs.break_even_rows(net.n_parameters, workers, cores)
    if fits and rows < even:
        why = (
            f"more workers than this machine's {cores} cores and more than {even:,.0f} rows"
            if math.isinf(even) is False
            else f"more workers than this machine's {cores} cores"
        )
        warnings.warn(
            f"{rows:,} rows ({bytes_needed / 1e6:,.1f} MB) on {workers} worker(s): in-memory fit "
            f"would be faster for this network; distributed training pays off with {why} "
            "(see docs/scaling.md)",
            SmallDataWarning,
            stacklevel=5,  # the caller of fit
        )


class _Loop:
    """State of one distributed fit: the optimiser, History, early stopping, callbacks."""

    def __init__(self, net: MLP, runner: Runner, val_runner: Runner | None, opt: Optimizer,
                 base_lr: float, sched: Any, hooks: list[Callback], patience: int | None,
                 min_delta: float, restore_best: bool) -> None:  # fmt: skip
        self.net, self.runner, self.val_runner, self.opt = net, runner, val_runner, opt
        self.base_lr, self.sched, self.hooks = base_lr, sched, hooks
        self.patience, self.min_delta = patience, min_delta
        self.params = list(net.parameters())
        self.best = [p.copy() for p in self.params] if patience and restore_best else None
        self.best_score, self.best_epoch, self.waited = math.inf, None, 0
        self.history = History()
        self.classify = net.loss_name in ("bce", "cross_entropy")
        self.start = time.perf_counter()

    # ------------------------------------------------------------ pieces
    def _begin(self, n: int, n_val: int, batch_size: int, batches: int) -> None:
        if n == 0:
            raise InputError("X has no training rows")
        if self.runner.val_split > 0 and n_val == 0:
            raise InputError(
                f"validation_split={self.runner.val_split} holds out no row of any chunk; "
                "use a larger fraction or larger chunks"
            )
        warn_if_small(n + n_val, self.net, self.runner.workers)
        info = {"epochs": None, "n_samples": n, "n_val": n_val, "batch_size": batch_size,
                "batches_per_epoch": batches, "optimizer": repr(self.opt),
                "workers": self.runner.workers, "chunks": len(self.runner.shards)}  # fmt: skip
        for cb in self.hooks:
            cb.on_train_begin(self.net, info)

    def _val_logs(self, s: reduce.Sums) -> dict[str, float]:
        if self.val_runner is not None:
            s = self.val_runner.sums(self.params, train=False, val=True)
        if not s.val_rows:
            return {}
        logs = {"val_loss": s.val_loss / s.val_rows}
        if self.classify:
            logs["val_accuracy"] = s.val_correct / s.val_rows
        return logs

    def _end_epoch(self, epoch: int, logs: dict[str, float]) -> bool:
        logs["lr"] = self.opt.lr
        logs["time"] = time.perf_counter() - self.start
        self.history.record(epoch, logs)
        stop = False
        if self.patience is not None:
            score = logs.get("val_loss", logs["loss"])
            if score < self.best_score - self.min_delta:
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
        return stop

    def _finish(self) -> History:
        h = self.history
        if (
            self.best is not None
            and self.best_epoch is not None
            and (h.stop_reason == "early_stopping")
        ):
            for p, keep in zip(self.params, self.best, strict=True):
                np.copyto(p, keep)
            h.best_epoch = self.best_epoch
        else:
            h.best_epoch = h.epochs[-1] if h.epochs else None
        for cb in self.hooks:
            cb.on_train_end(h)
        return h

    def _diverged(self, epoch: int, loss: float, kept: list[Array] | None, where: str) -> None:
        if kept is not None:
            for p, k in zip(self.params, kept, strict=True):
                np.copyto(p, k)
            outcome = "the network keeps its last parameters with a finite loss"
        else:
            outcome = "the initial parameters already give a non-finite loss"
        error = DivergenceError(
            f"training diverged at {where}: the loss became {loss}; {outcome}; "
            f"try a smaller learning rate (lr was {self.opt.lr:g})"
        )
        error.epoch = epoch  # type: ignore[attr-defined]
        error.history = self.history  # type: ignore[attr-defined]
        self.history.stop_reason = "diverged"
        raise error

    def _sums(self, epoch: int, **kw: Any) -> reduce.Sums:
        try:
            return self.runner.sums(self.params, **kw)
        except DistributedError as exc:
            exc.epoch = epoch  # type: ignore[attr-defined]
            exc.history = self.history  # type: ignore[attr-defined]
            exc.args = (f"{exc.args[0]} at epoch {epoch}; the network keeps the parameters "
                        f"of epoch {epoch - 1}'s end",)  # fmt: skip
            raise

    # ------------------------------------------------------------ loops
    def full_batch(self, epochs: int) -> History:
        s = self._sums(1, train=True, val=True)
        n, n_val = s.rows, s.val_rows
        has_val = n_val > 0
        self._begin(n, n_val, n, 1)
        kept = None
        for epoch in range(1, epochs + 1):
            self.opt.lr = self.base_lr * float(self.sched(epoch - 1))
            if not math.isfinite(s.loss):
                self._diverged(epoch, s.loss, kept, f"epoch {epoch}")
            kept = [p.copy() for p in self.params]
            mean = [(g / n).astype(p.dtype) for g, p in zip(s.grads, self.params, strict=True)]
            self.opt.step(_Grads(mean))
            logs = {"loss": s.loss / n}
            last = epoch == epochs
            # One round trip: the next epoch's gradient and this epoch's validation, both at
            # the parameters just reached.
            if not last or has_val or self.val_runner is not None:
                nxt = self._sums(epoch + 1, train=not last, val=has_val)
                logs.update(self._val_logs(nxt))
                if "val_loss" in logs and not math.isfinite(logs["val_loss"]):
                    self._diverged(epoch, logs["val_loss"], kept, f"epoch {epoch}")
                s = nxt
            if self._end_epoch(epoch, logs):
                break
        if not all(np.isfinite(p).all() for p in self.params):
            self._diverged(len(self.history), math.nan, kept, f"epoch {len(self.history)}")
        return self._finish()

    def mini_batch(self, epochs: int, batch_size: int, shuffle: bool, seed: int | None) -> History:
        counts = self.runner.row_counts()
        n = sum(c[0] for c in counts)
        n_val = sum(c[1] for c in counts)
        steps = max(1, math.ceil(n / min(batch_size, max(n, 1))))
        self._begin(n, n_val, min(batch_size, n), steps)
        kept = None
        for epoch in range(1, epochs + 1):
            self.opt.lr = self.base_lr * float(self.sched(epoch - 1))
            total = 0.0
            for step in range(steps):
                s = self._sums(epoch, train=True, batch=(epoch, step, steps, shuffle, seed))
                if not math.isfinite(s.loss):
                    self._diverged(epoch, s.loss, kept,
                                   f"epoch {epoch} (batch {step + 1} of {steps})")  # fmt: skip
                if not s.rows:
                    continue
                kept = [p.copy() for p in self.params]
                mean = [(g / s.rows).astype(p.dtype)
                        for g, p in zip(s.grads, self.params, strict=True)]  # fmt: skip
                self.opt.step(_Grads(mean))
                total += s.loss
            logs = {"loss": total / n}
            if n_val or self.val_runner is not None:
                logs.update(self._val_logs(self._sums(epoch, train=False, val=True)))
                if "val_loss" in logs and not math.isfinite(logs["val_loss"]):
                    self._diverged(epoch, logs["val_loss"], kept, f"epoch {epoch}")
            if self._end_epoch(epoch, logs):
                break
        if not all(np.isfinite(p).all() for p in self.params):
            self._diverged(len(self.history), math.nan, kept, f"epoch {len(self.history)}")
        return self._finish()


def predict(net: MLP, X: Any) -> Any:
    """``net.predict`` over the chunks of a dask array or frame: a dask array (n, outputs)."""
    import dask.array as da
    import dask.dataframe as dd

    frozen = net.copy()  # the parameters as they are now, not as they may be at compute time

    def block(x: Any) -> Array:
        arr = data.to_numpy(x)
        if arr.shape[0] == 0:
            return np.empty((0, frozen.n_outputs), frozen.dtype)
        return frozen.predict(arr)

    if isinstance(X, dd.DataFrame | dd.Series):
        X = X.to_dask_array()
    if not isinstance(X, da.Array):
        raise InputError(f"X must be a dask array or frame, got {type(X).__name__}")
    if X.ndim != 2:
        raise InputError(f"X must be 2-D (n_samples, {net.n_inputs}), got shape {X.shape}")
    if X.shape[1] != net.n_inputs:
        raise InputError(
            f"X has {X.shape[1]} features per sample but the network expects {net.n_inputs}"
        )
    X = X.rechunk({1: -1})
    return X.map_blocks(block, dtype=net.dtype, chunks=(X.chunks[0], (net.n_outputs,)))
