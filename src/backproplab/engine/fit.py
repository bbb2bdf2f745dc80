"""The training loop: epochs of backpropagation and optimiser steps, with a History.

By default it is the slides' procedure: every epoch computes the gradient of the mean loss
over *all* n samples (full batch) and applies w(new) = w - eta dL/dw to every parameter.
Optional: mini-batches reshuffled every epoch (seeded), momentum/Nesterov/Adam, L2 weight
decay, a learning-rate schedule, a validation set, early stopping and callbacks.

Nothing here prints or writes files: progress display is a callback supplied by the caller
(the CLI passes a Rich progress bar).
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np

from .compiled import batchloop, smallnet
from .compiled.threads import blas_threads_for
from .errors import DivergenceError, InputError
from .optim import SGD, Optimizer, make_optimizer, make_schedule

if TYPE_CHECKING:
    from .network import MLP

Array = np.ndarray

#: Why training ended (``History.stop_reason``).
STOP_REASONS = ("completed", "early_stopping", "callback", "diverged")


@dataclass
class History:
    """Per-epoch metrics of one call to :func:`fit`.

    ``metrics["loss"][k]`` is the mean training loss of epoch ``epochs[k]`` (the loss of
    each batch before its update, averaged over the samples; for full batch, the loss at
    the start of the epoch, as ``MLP.step`` returns it). ``val_loss`` and, for the
    classification losses, ``val_accuracy`` are measured at the end of each epoch; ``lr``
    is the learning rate used in the epoch and ``time`` the seconds since training began.
    """

    epochs: list[int] = field(default_factory=list)
    metrics: dict[str, list[float]] = field(default_factory=dict)
    stop_reason: str = "completed"
    #: The epoch whose parameters the network holds at the end when the best ones were
    #: restored by early stopping (else the last epoch).
    best_epoch: int | None = None

    def record(self, epoch: int, logs: dict[str, float]) -> None:
        self.epochs.append(epoch)
        for key, value in logs.items():
            self.metrics.setdefault(key, []).append(float(value))

    def __getitem__(self, key: str) -> list[float]:
        try:
            return self.metrics[key]
        except KeyError:
            known = ", ".join(self.metrics) or "none yet"
            raise KeyError(f"no metric {key!r} in this History (recorded: {known})") from None

    def __contains__(self, key: object) -> bool:
        return key in self.metrics

    def __len__(self) -> int:
        return len(self.epochs)

    @property
    def loss(self) -> list[float]:
        return self.metrics.get("loss", [])

    @property
    def final(self) -> dict[str, float]:
        """The metrics of the last epoch."""
        return {k: v[-1] for k, v in self.metrics.items() if v}

    def to_dict(self) -> dict[str, Any]:
        return {
            "epochs": list(self.epochs),
            "metrics": {k: list(v) for k, v in self.metrics.items()},
            "stop_reason": self.stop_reason,
            "best_epoch": self.best_epoch,
        }


class Callback:
    """Hooks into :func:`fit`. Override any of them; ``on_epoch_end`` returning True stops."""

    def on_train_begin(self, net: MLP, info: dict[str, Any]) -> None:
        """``info``: epochs, n_samples, n_val, batch_size, batches_per_epoch, optimizer."""

    def on_epoch_end(self, epoch: int, logs: dict[str, float]) -> bool | None:
        return None

    def on_train_end(self, history: History) -> None:
        """Called when training ends normally (not on divergence)."""


class _FunctionCallback(Callback):
    def __init__(self, fn: Callable[[int, dict[str, float]], Any]) -> None:
        self.fn = fn

    def on_epoch_end(self, epoch: int, logs: dict[str, float]) -> bool | None:
        return self.fn(epoch, logs) is True


def fit(
    net: MLP,
    X: Any,
    Y: Any,
    *,
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
) -> History:
    """Train ``net`` in place on (X, Y) and return the :class:`History`.

    ``batch_size=None`` is full batch, as in the slides. ``optimizer`` is a name
    ('sgd', 'momentum', 'nesterov', 'adam') or an :class:`~.optim.Optimizer` built on
    ``list(net.parameters())`` (to carry its state across calls). ``weight_decay`` applies
    to the weights, not the biases. ``schedule`` scales ``lr`` per epoch (a name, a
    Schedule or a callable epoch -> factor). ``validation_split`` holds out that fraction
    of the rows (chosen with ``seed``) unless ``validation_data`` is given. With
    ``patience``, training stops after that many epochs without an improvement of more
    than ``min_delta`` in ``val_loss`` (or ``loss`` with no validation set), and with
    ``restore_best`` the best parameters are put back.

    If the loss becomes NaN or infinite, training stops with a :class:`DivergenceError`
    naming the epoch (and batch), and the error carries ``.epoch`` and ``.history``. The
    network is put back to parameters whose loss was finite: with full batch, the last
    such parameters; with mini-batches, those of the start of the diverging epoch (or of
    the epoch before, when its first batch diverged), since a copy is kept once per epoch
    rather than before every step.
    """
    epochs = _positive_int(epochs, "epochs")
    Xc = net.check_X(X)
    Yc = net.check_Y(Y, Xc.shape[0])
    Xc, Yc, Xv, Yv = _validation(net, Xc, Yc, validation_split, validation_data, seed)
    n = Xc.shape[0]
    if batch_size is not None:
        batch_size = _positive_int(batch_size, "batch_size")
    bs = n if batch_size is None else min(batch_size, n)
    if patience is not None:
        patience = _positive_int(patience, "patience")
    min_delta = float(min_delta)

    params = list(net.parameters())
    if isinstance(optimizer, Optimizer):
        opt = optimizer
        if len(opt.params) != len(params) or any(
            a is not b for a, b in zip(opt.params, params, strict=True)
        ):
            raise InputError("the optimizer was built on other arrays than this network's")
    else:
        opt = make_optimizer(
            optimizer,
            params,
            lr=lr,
            momentum=momentum,
            nesterov=nesterov,
            beta1=beta1,
            beta2=beta2,
            eps=eps,
            weight_decay=weight_decay,
            decay_mask=[i % 2 == 0 for i in range(len(params))],  # W1, b1, W2, ...: weights
        )
    base_lr = opt.lr if isinstance(optimizer, Optimizer) else float(lr)
    sched = make_schedule(schedule, epochs=epochs)
    hooks = [cb if isinstance(cb, Callback) else _FunctionCallback(cb) for cb in callbacks]

    # Work buffers allocated once: the shuffled copy of the data, and the parameters at the
    # start of this epoch and of the one before (see _diverged for why two).
    minibatch = bs < n
    rng = np.random.default_rng(seed)
    order = np.arange(n)
    Xs = np.empty_like(Xc) if minibatch and shuffle else np.ascontiguousarray(Xc)
    Ys = np.empty_like(Yc) if minibatch and shuffle else np.ascontiguousarray(Yc)
    epoch_start = [np.empty_like(p) for p in params]
    last_epoch_start = [np.empty_like(p) for p in params]
    best = [np.empty_like(p) for p in params] if patience is not None and restore_best else None
    classify = net.loss_name in ("bce", "cross_entropy")

    history = History()
    if _compiled_loop_serves(net, optimizer, opt, schedule, hooks, Xv, patience, bs):
        # Plain SGD on a small network with nothing to run between epochs: the same loop,
        # compiled (engine/compiled/smallnet.py), ~100x faster than NumPy at these sizes.
        smallnet.fit_small(net, Xc, Yc, epochs=epochs, lr=opt.lr, batch_size=bs,
                           shuffle=shuffle, rng=rng, history=history)  # fmt: skip
        history.best_epoch = history.epochs[-1] if history.epochs else None
        return history
    # SGD's epochs as one compiled function each (engine/compiled/batchloop.py): BLAS products and
    # fused loops instead of ~50 NumPy calls per step. The epoch loop stays here.
    compiled = batchloop.applies(net, opt)
    if compiled:
        work = batchloop.Workspace(net, opt, bs, n)  # type: ignore[arg-type]
    info = {
        "epochs": epochs,
        "n_samples": n,
        "n_val": 0 if Xv is None else Xv.shape[0],
        "batch_size": bs,
        "batches_per_epoch": math.ceil(n / bs),
        "optimizer": repr(opt),
    }
    for cb in hooks:
        cb.on_train_begin(net, info)

    best_score = math.inf
    best_epoch: int | None = None
    waited = 0
    start = time.perf_counter()
    # Overflow on the way to a divergence is detected below from the loss itself.
    with (
        np.errstate(over="ignore", invalid="ignore", divide="ignore", under="ignore"),
        blas_threads_for(net.layer_sizes, bs),  # small products: one BLAS thread is faster
    ):
        for epoch in range(1, epochs + 1):
            opt.lr = base_lr * float(sched(epoch - 1))
            if minibatch and shuffle:
                rng.shuffle(order)
                np.take(Xc, order, axis=0, out=Xs)
                np.take(Yc, order, axis=0, out=Ys)
            # One copy of the parameters per epoch (not per step) for _diverged.
            epoch_start, last_epoch_start = last_epoch_start, epoch_start
            for keep, p in zip(epoch_start, params, strict=True):
                np.copyto(keep, p)
            snapshots = (epoch_start, last_epoch_start)
            if compiled:
                total, done = batchloop.sgd_epoch(net, opt, Xs, Ys, work)  # type: ignore[arg-type]
                if done < work.losses.shape[0]:
                    _diverged(net, params, snapshots, epoch, done, n, bs,
                              float(work.losses[done]), opt.lr, history)  # fmt: skip
            else:
                total = 0.0
                for lo in range(0, n, bs):
                    hi = min(lo + bs, n)
                    grads = net._train_gradients(Xs[lo:hi], Ys[lo:hi])
                    if not math.isfinite(grads.loss):
                        _diverged(net, params, snapshots, epoch, lo // bs, n, bs,
                                  grads.loss, opt.lr, history)  # fmt: skip
                    total += grads.loss * (hi - lo)
                    opt.step(grads)
            logs = {"loss": total / n}
            if Xv is not None:
                logs.update(_evaluate(net, Xv, Yv, classify))
                if not math.isfinite(logs["val_loss"]):
                    _diverged(net, params, snapshots, epoch, None, n, bs,
                              logs["val_loss"], opt.lr, history)  # fmt: skip
            logs["lr"] = opt.lr
            logs["time"] = time.perf_counter() - start
            history.record(epoch, logs)

            stop = False
            if patience is not None:
                score = logs["val_loss"] if Xv is not None else logs["loss"]
                if score < best_score - min_delta:
                    best_score, best_epoch, waited = score, epoch, 0
                    if best is not None:
                        for keep, p in zip(best, params, strict=True):
                            np.copyto(keep, p)
                else:
                    waited += 1
                    if waited >= patience:
                        history.stop_reason = "early_stopping"
                        stop = True
            for cb in hooks:
                if cb.on_epoch_end(epoch, logs) is True and not stop:
                    history.stop_reason = "callback"
                    stop = True
            if stop:
                break
        # The last update may itself have overflowed; its loss is never computed above.
        if not all(np.isfinite(p).all() for p in params):
            _diverged(net, params, (epoch_start, last_epoch_start), len(history), None, n, bs,
                      math.nan, opt.lr, history)  # fmt: skip

    if best is not None and best_epoch is not None and history.stop_reason == "early_stopping":
        for p, keep in zip(params, best, strict=True):
            np.copyto(p, keep)
        history.best_epoch = best_epoch
    else:
        history.best_epoch = history.epochs[-1] if history.epochs else None
    for cb in hooks:
        cb.on_train_end(history)
    return history


def _compiled_loop_serves(
    net: MLP, optimizer: Any, opt: Optimizer, schedule: Any, hooks: list, Xv: Any,
    patience: int | None, bs: int,
) -> bool:  # fmt: skip
    plain_sgd = isinstance(opt, SGD) and opt.momentum == 0 and opt.weight_decay == 0
    return (
        plain_sgd
        and not isinstance(optimizer, Optimizer)  # a caller-owned optimiser keeps its count
        and schedule is None
        and not hooks
        and Xv is None
        and patience is None
        and smallnet.applies(net, bs)
    )


def _validation(
    net: MLP,
    X: Array,
    Y: Array,
    split: float,
    data: tuple[Any, Any] | None,
    seed: int | None,
) -> tuple[Array, Array, Array | None, Array | None]:
    if data is not None:
        try:
            Xv_raw, Yv_raw = data
        except (TypeError, ValueError):
            raise InputError("validation_data must be a pair (X_val, Y_val)") from None
        Xv = net.check_X(Xv_raw)
        return X, Y, Xv, net.check_Y(Yv_raw, Xv.shape[0])
    try:
        split = float(split)
    except (TypeError, ValueError):
        raise InputError(f"validation_split must be a number, got {split!r}") from None
    if not 0.0 <= split < 1.0:
        raise InputError(f"validation_split must lie in [0, 1), got {split}")
    if split == 0.0:
        return X, Y, None, None
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
    return X[train], Y[train], X[val], Y[val]


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


def _diverged(
    net: MLP,
    params: list[Array],
    snapshots: tuple[list[Array], list[Array]] | None,
    epoch: int,
    batch: int | None,
    n: int,
    bs: int,
    loss: float,
    lr: float,
    history: History,
    *,
    kept: list[Array] | None = None,
    kept_text: str = "its last parameters with a finite loss",
) -> None:
    # Put back parameters known to give a finite loss, in place (the optimiser holds the
    # arrays): from the per-epoch ``snapshots``, or ``kept`` when the caller has them.
    if snapshots is not None:
        kept, kept_text = _last_finite(snapshots, epoch, batch)
    if kept is not None:
        for p, keep in zip(params, kept, strict=True):
            np.copyto(p, keep)
    where = f"epoch {epoch}"
    if batch is not None and bs < n:
        where += f" (batch {batch + 1} of {math.ceil(n / bs)})"
    outcome = (
        f"the network keeps {kept_text}"
        if kept is not None
        else "the initial parameters already give a non-finite loss"
    )
    error = DivergenceError(
        f"training diverged at {where}: the loss became {loss}; {outcome}; "
        f"try a smaller learning rate (lr was {lr:g})"
    )
    error.epoch = epoch  # type: ignore[attr-defined]
    error.history = history  # type: ignore[attr-defined]
    history.stop_reason = "diverged"
    raise error


def _positive_int(value: Any, name: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int | np.integer) or value < 1:
        raise InputError(f"{name} must be a positive integer, got {value!r}")
    return int(value)
