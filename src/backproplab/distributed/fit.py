"""The training loop on Dask: the engine's one loop, with each gradient a reduction over chunks.

:class:`_Loop` subclasses the engine's loop (:mod:`backproplab.engine.fit`) and replaces only
where the data lives and how an epoch's gradients are computed; the optimiser, schedules,
History, validation bookkeeping, early stopping, callbacks, checkpoints, ``resume`` and the
divergence diagnosis are the engine's own code.

Full batch (the slides' GD) takes one round trip per epoch: every chunk returns its gradient
sum at the current parameters (and, with ``validation_split``, its validation sums, which
belong to the end of the previous epoch), the fixed-order tree adds them in float64, and the
engine's optimiser steps on the client. Mini-batches are synchronous data-parallel steps: in
step s of an epoch every chunk contributes rows [s*n_c/S, (s+1)*n_c/S) of its own seeded
epoch order, so each step's gradient is exactly the mean-loss gradient of one global batch of
about ``batch_size`` rows (a sample stratified by chunk); a run is reproducible for a given
chunking.

A worker that dies is replaced by the scheduler, which recomputes its chunks from their
lineage (the graph that read them); the step is then the same sum, so the run goes on to the
same parameters. If the cluster cannot recover (every retry lost), fit stops with a
:class:`DistributedError`, the network is put back to the parameters of the last finished
epoch, and checkpoints already written (``on_checkpoint``) stay as they were.
"""

from __future__ import annotations

import math
import os
import warnings
from dataclasses import replace
from typing import TYPE_CHECKING, Any

import numpy as np

from ..engine import fit as engine_fit
from ..engine.errors import BackpropLabError, InputError
from ..engine.fit import FitSettings, History
from ..engine.network import Gradients
from ..engine.state import TrainingState
from ..engine.validation import check_fraction
from . import costs, data, reduce
from .cluster import active_client, worker_count, worker_memory

if TYPE_CHECKING:
    from ..engine.network import MLP

Array = np.ndarray


class SmallDataWarning(UserWarning):
    """The data is small enough that in-memory ``fit`` would be faster."""


class DistributedError(BackpropLabError, RuntimeError):
    """The cluster lost work it could not recover; ``.history`` and ``.epoch`` say how far."""


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
            count = dask.delayed(data.Shard.counts, pure=False)
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


def fit(
    net: MLP,
    X: Any,
    y: Any,
    settings: FitSettings | None = None,
    *,
    client: Any = None,
    persist: bool | str = "auto",
    max_fun: int = 15000,
    tol: float = 1e-4,
    **options: Any,
) -> History:
    """Train ``net`` in place on dask collections (X, y); returns the engine's History.

    The settings are those of :func:`backproplab.engine.fit.fit` (a ``FitSettings`` or its
    fields as keywords), plus ``client`` (default: the active dask.distributed Client, else
    dask's in-process scheduler), ``persist`` (keep the checked chunks in the workers'
    memory: True, False, or 'auto' when they fill at most a third of it; else each step
    reads them again), and for ``optimizer='lbfgs'`` ``tol`` and ``max_fun`` (``epochs`` is
    its ``max_iter``). ``validation_split`` holds out that fraction of every chunk's rows
    (seeded per chunk); ``validation_data`` may be in memory or a dask pair.
    ``sample_weight`` is not supported on dask collections.
    """
    unknown = set(options) - {f for f in FitSettings().as_dict()}
    if unknown:
        raise TypeError(f"fit() got unexpected keyword argument(s): {', '.join(sorted(unknown))}")
    s = (settings or FitSettings()).replace(**options)
    client = client if client is not None else active_client()
    if isinstance(s.optimizer, str) and s.optimizer.lower() == "lbfgs":
        from .lbfgs import fit_lbfgs

        epochs = engine_fit._positive_int(s.epochs, "epochs")
        runner = Runner(net, X, y, client=client, val_split=0.0, seed=s.seed, persist=persist)
        hooks = [cb if isinstance(cb, engine_fit.Callback) else engine_fit._FunctionCallback(cb)
                 for cb in s.callbacks]  # fmt: skip
        return fit_lbfgs(net, runner, epochs=epochs, tol=tol, max_fun=max_fun,
                         weight_decay=s.weight_decay, callbacks=hooks)  # fmt: skip
    return _Loop(net, X, y, s, client=client, persist=persist).run()


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
            stacklevel=6,  # the caller of fit
        )


class _Loop(engine_fit._Loop):
    """The engine's loop with the data in the chunks of a cluster (see the module's text)."""

    def __init__(self, net: MLP, X: Any, Y: Any, s: FitSettings, *, client: Any,
                 persist: bool | str) -> None:  # fmt: skip
        self.client, self.persist = client, persist
        #: Sums already computed at the current parameters (full batch with held-out rows:
        #: the next epoch's gradient and this epoch's validation come back together).
        self.pending: reduce.Sums | None = None
        super().__init__(net, X, Y, s)

    def _set_data(self, X: Any, Y: Any) -> None:
        s, net = self.s, self.net
        if s.sample_weight is not None:
            raise InputError("sample_weight is not supported on dask collections")
        split = check_fraction(s.validation_split, "validation_split")
        self.Xv = self.Yv = None
        self.val_runner: Runner | None = None
        if s.validation_data is not None:
            split = 0.0
            try:
                Xv, Yv = s.validation_data
            except (TypeError, ValueError):
                raise InputError("validation_data must be a pair (X_val, Y_val)") from None
            if data.is_dask_collection(Xv) or data.is_dask_collection(Yv):
                # Every row of the validation set is a validation row (val_split 1).
                self.val_runner = Runner(net, Xv, Yv, client=self.client, val_split=1.0,
                                         seed=s.seed, persist=True)  # fmt: skip
            else:  # in memory: the engine's own evaluation
                self.Xv = net.check_X(Xv)
                self.Yv = net.check_Y(Yv, self.Xv.shape[0])
        self.runner = Runner(net, X, Y, client=self.client, val_split=split, seed=s.seed,
                             persist=self.persist)  # fmt: skip
        counts = self._call(0, self.runner.row_counts)
        self.n = sum(c[0] for c in counts)
        held = sum(c[1] for c in counts)
        if self.n == 0:
            raise InputError("X has no training rows")
        if split > 0 and held == 0:
            raise InputError(
                f"validation_split={split} holds out no row of any chunk; "
                "use a larger fraction or larger chunks"
            )
        self.held = held > 0
        if self.val_runner is not None:
            self.n_val = sum(c[1] for c in self._call(0, self.val_runner.row_counts))
        else:
            self.n_val = held if self.Xv is None else self.Xv.shape[0]
        self.X = self.Y = self.weights = None
        self.order = None  # the chunks keep their own seeded orders (reduce._order)
        warn_if_small(self.n + held, net, self.runner.workers)

    def _choose_path(self) -> str:
        return "distributed"

    def _resume(self, state: TrainingState) -> None:
        super()._resume(state)
        self.path = "distributed"

    def state(self, epoch: int) -> TrainingState:
        return replace(super().state(epoch), order=None)

    def _info(self) -> dict[str, Any]:
        return {**super()._info(), "workers": self.runner.workers,
                "chunks": len(self.runner.shards), "persisted": self.runner.persisted}  # fmt: skip

    def _call(self, epoch: int, fn: Any, *args: Any, **kw: Any) -> Any:
        try:
            return fn(*args, **kw)
        except DistributedError as exc:
            for p, keep in zip(self.params, self.epoch_start, strict=True):
                np.copyto(p, keep)  # the parameters of the last finished epoch
            exc.epoch = epoch  # type: ignore[attr-defined]
            exc.history = self.history  # type: ignore[attr-defined]
            exc.args = (f"{exc.args[0]} at epoch {epoch}; the network keeps the parameters "
                        f"of epoch {epoch - 1}'s end",)  # fmt: skip
            raise

    def _sums(self, epoch: int, **kw: Any) -> reduce.Sums:
        return self._call(epoch, self.runner.sums, self.params, **kw)

    def _step(self, s: reduce.Sums) -> Gradients:
        """The engine's optimiser step on the mean gradient of the rows summed in ``s``."""
        mean = reduce.mean_gradients(s, self.params)
        grads = Gradients(weights=mean[0::2], biases=mean[1::2], loss=s.loss / s.rows)
        self.opt.step(grads)
        return grads

    def _numpy_epoch(self, epoch: int) -> tuple[dict[str, float], dict[str, list[float]]]:
        self.opt.lr = self._lr(epoch)
        self._snapshot()
        if self.bs >= self.n:  # full batch: one reduction per epoch
            s = self.pending if self.pending is not None else self._sums(epoch, train=True)
            self.pending = None
            if not math.isfinite(s.loss):
                self._diverged(epoch, 0, s.loss)
            health = self._health(self._step(s))
            if self.held:  # this epoch's validation and the next epoch's gradient, together
                self.pending = self._sums(epoch, train=epoch < self.epochs, val=True)
            return {"loss": s.loss / s.rows}, health
        total, health = 0.0, {}
        shuffle, seed = self.shuffled, self.s.seed
        for step in range(self.per_epoch):
            s = self._sums(epoch, train=True, batch=(epoch, step, self.per_epoch, shuffle, seed))
            if not math.isfinite(s.loss):
                self._diverged(epoch, step, s.loss)
            if not s.rows:
                continue
            grads = self._step(s)
            total += s.loss
            if step == 0:
                health = self._health(grads)
        if self.held:
            self.pending = self._sums(epoch, train=False, val=True)
        return {"loss": total / self.n}, health

    def _validation_logs(self) -> dict[str, float]:
        if self.Xv is not None:
            return super()._validation_logs()
        if self.val_runner is not None:
            s = self._call(0, self.val_runner.sums, self.params, train=False, val=True)
        elif self.held and self.pending is not None:
            s = self.pending
            if not self.pending.rows:  # validation alone: nothing more to keep
                self.pending = None
        else:
            return {}
        logs = {"val_loss": s.val_loss / s.val_rows}
        if self.classify:
            logs["val_accuracy"] = s.val_correct / s.val_rows
        return logs


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
