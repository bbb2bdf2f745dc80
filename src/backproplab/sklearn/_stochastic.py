"""The stochastic solvers ('sgd', 'adam'): one call of the engine's ``fit``, with
scikit-learn's bookkeeping between epochs in a callback.

The engine runs the epochs (mini-batches, shuffling, the optimiser's steps, on its fast
paths); :class:`SklearnEpochs` does after each epoch what scikit-learn's
``_fit_stochastic`` does: the reported loss with its penalty, ``loss_curve_``, the
validation score for early stopping (and its best parameters), the no-improvement count,
the 'invscaling' and 'adaptive' learning rates, the verbose lines and the stop.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np

from ..engine.fit import Callback

if TYPE_CHECKING:
    from ._base import BaseMLP


class SklearnEpochs(Callback):
    """scikit-learn's per-epoch logic, reading the engine's epoch loss from ``logs``.

    ``lr_now`` is the learning rate scikit-learn's optimiser would hold; the engine reads it
    through :meth:`schedule` at the start of each epoch.
    """

    def __init__(
        self,
        est: BaseMLP,
        *,
        n_train: int,
        n_batches: int,
        weight_mean: float,
        validation: tuple[Any, Any, Any] | None,
        val_targets: Any,
        incremental: bool,
    ) -> None:
        self.est = est
        self.n_train = n_train
        # The penalty scikit-learn adds to each batch's loss is alpha ||W||^2 / (2 sum(s_b));
        # averaged over the epoch's rows that is this factor times alpha ||W||^2 / 2.
        self.penalty_scale = n_batches / (n_train * weight_mean)
        self.validation = validation
        self.val_targets = val_targets
        self.incremental = incremental
        self.lr_init = float(est.learning_rate_init)
        self.w2 = self._weight_norm2()  # ||W||^2 at the start of the coming epoch

    def _weight_norm2(self) -> float:
        return float(sum(np.vdot(W, W) for W in self.est.net_.weights))

    def schedule(self, epoch: int) -> float:
        """The factor the engine multiplies its base learning rate by (read each epoch)."""
        return self.est._lr_now / self.lr_init

    def on_epoch_end(self, epoch: int, logs: dict[str, float]) -> bool | None:
        est = self.est
        penalty = 0.5 * est.alpha * self.w2 * self.penalty_scale
        loss = est._loss_factor * logs["loss"] + penalty
        self.w2 = self._weight_norm2()
        est.n_iter_ += 1
        est.loss_ = loss
        est.t_ += self.n_train
        est.loss_curve_.append(loss)
        logs["sklearn_loss"] = loss
        if est.verbose:
            print(f"Iteration {est.n_iter_}, loss = {loss:.8f}")
        if self.validation is not None:
            Xv, yv, swv = self.validation
            score = est._validation_score(Xv, yv, swv)
            est.validation_scores_.append(score)
            logs["validation_score"] = score
            val_loss = est._loss_factor * est.net_.loss(Xv, self.val_targets, swv) + (
                0.5 * est.alpha * self.w2 / (len(Xv) * (1.0 if swv is None else swv.mean()))
            )
            est.validation_loss_curve_.append(val_loss)
            if est.verbose:
                print(f"Validation score: {score:f}")
            if score < est.best_validation_score_ + est.tol:
                est._no_improvement_count += 1
            else:
                est._no_improvement_count = 0
            if score > est.best_validation_score_:
                est.best_validation_score_ = score
                est._best_params = [p.copy() for p in est.net_.parameters()]
        else:
            if loss > est.best_loss_ - est.tol:
                est._no_improvement_count += 1
            else:
                est._no_improvement_count = 0
            if loss < est.best_loss_:
                est.best_loss_ = loss
        if est.solver == "sgd" and est.learning_rate == "invscaling":
            self._set_lr(self.lr_init / (est.t_ + 1) ** est.power_t)
        if est._no_improvement_count > est.n_iter_no_change:
            if self.validation is not None:
                msg = (
                    f"Validation score did not improve more than tol={est.tol:f} for "
                    f"{est.n_iter_no_change} consecutive epochs."
                )
            else:
                msg = (
                    f"Training loss did not improve more than tol={est.tol:f} for "
                    f"{est.n_iter_no_change} consecutive epochs."
                )
            if self._stop_or_slow_down(msg):
                est._converged = True
                return True
            est._no_improvement_count = 0
        if self.incremental:
            return True
        return None

    def _set_lr(self, lr: float) -> None:
        """A new learning rate for the coming epochs. scikit-learn's velocity is
        v <- mu v - eta g, which carries the rates of past steps; the engine's is
        u <- mu u + g, stepped by eta u. Rescaling u by eta_old / eta_new at the change keeps
        eta u = -v, so both take the same steps."""
        est = self.est
        velocity = est._optimizer.state_arrays().get("velocity", [])
        for v in velocity:
            v *= est._lr_now / lr
        est._lr_now = lr

    def _stop_or_slow_down(self, msg: str) -> bool:
        """scikit-learn's ``trigger_stopping``: only 'adaptive' SGD divides the rate by 5."""
        est = self.est
        if not (est.solver == "sgd" and est.learning_rate == "adaptive"):
            if est.verbose:
                print(msg + " Stopping.")
            return True
        if est._lr_now <= 1e-6:
            if est.verbose:
                print(msg + " Learning rate too small. Stopping.")
            return True
        self._set_lr(est._lr_now / 5.0)
        if est.verbose:
            print(msg + f" Setting learning rate to {est._lr_now:f}")
        return False
