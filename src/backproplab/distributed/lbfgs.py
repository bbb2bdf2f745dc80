"""L-BFGS on the cluster: the engine's ``minimize_lbfgs`` with a distributed objective.

Each evaluation of the objective is one full-batch pass (the same reduction as gradient
descent), so the iterates equal in-memory L-BFGS on the same data up to rounding. The
History has one entry per L-BFGS iteration (the loss at the new iterate), and callbacks see
each iteration as an epoch (returning True stops the run).
"""

from __future__ import annotations

import time
from typing import TYPE_CHECKING

import numpy as np

from ..engine.fit import Callback, History
from ..engine.lbfgs import minimize_lbfgs
from . import reduce

if TYPE_CHECKING:
    from ..engine.network import MLP
    from .fit import Runner


def fit_lbfgs(net: MLP, runner: Runner, *, epochs: int, tol: float, max_fun: int,
              weight_decay: float, callbacks: list[Callback]) -> History:  # fmt: skip
    """Minimise the mean loss (plus (lambda/2) sum w^2 over the weights) with L-BFGS."""
    history = History()
    start = time.perf_counter()
    params = list(net.parameters())

    def objective() -> tuple[float, list[np.ndarray]]:
        s = runner.sums(params)
        loss = s.loss / s.rows
        grads = reduce.mean_gradients(s, params)
        if weight_decay:
            for i in range(0, len(params), 2):  # weights, not biases, as the fit loop
                loss += 0.5 * weight_decay * float(np.sum(params[i] ** 2))
                grads[i] = grads[i] + weight_decay * params[i]
        return loss, grads

    def after_iteration(iteration: int, loss: float) -> bool:
        logs = {"loss": loss, "time": time.perf_counter() - start}
        history.record(iteration, logs)
        stop = False
        for cb in callbacks:
            if cb.on_epoch_end(iteration, logs) is True and not stop:
                history.stop_reason = "callback"
                stop = True
        return stop

    for cb in callbacks:
        cb.on_train_begin(net, {"epochs": epochs, "optimizer": "lbfgs", "n_samples": None,
                                "workers": runner.workers})  # fmt: skip
    result = minimize_lbfgs(net, objective, max_iter=epochs, tol=tol, max_fun=max_fun,
                            callback=after_iteration)  # fmt: skip
    history.best_epoch = history.epochs[-1] if history.epochs else None
    history.lbfgs = result  # type: ignore[attr-defined]
    for cb in callbacks:
        cb.on_train_end(history)
    return history
