"""L-BFGS through ``scipy.optimize`` on a network's own parameters.

The caller supplies the objective: a function of no arguments that evaluates the loss and
its exact gradient (by backpropagation) at the network's *current* parameters. This module
owns only the bookkeeping between SciPy's flat vector x and the live parameter arrays:
before every call of the objective, x is written into ``net.parameters()`` (W1, b1, W2,
b2, ...); at the end the final x stays in the network. So one function serves the
in-memory estimators (objective = ``net.gradients`` on the data) and the distributed fit
(objective = a reduction over workers).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np
import scipy.optimize

from .errors import InputError

if TYPE_CHECKING:
    from .network import MLP

Objective = Callable[[], tuple[float, list[np.ndarray]]]


@dataclass(frozen=True)
class LbfgsResult:
    """How the run ended: iterations, objective evaluations, the final loss, and SciPy's
    verdict (``converged`` is SciPy's ``success``; ``message`` its reason)."""

    n_iter: int
    n_fun: int
    loss: float
    converged: bool
    message: str


def minimize_lbfgs(
    net: MLP,
    objective: Objective,
    *,
    max_iter: int = 200,
    tol: float = 1e-4,
    max_fun: int = 15000,
    callback: Callable[[int, float], bool | None] | None = None,
) -> LbfgsResult:
    """Minimise ``objective`` over the parameters of ``net`` with L-BFGS-B (no bounds).

    ``objective()`` returns ``(loss, grads)`` at the network's current parameters, the
    gradients in ``net.parameters()`` order. ``tol`` is SciPy's ``gtol`` (the largest
    gradient component at which it stops), ``max_iter`` its ``maxiter``, ``max_fun`` its
    ``maxfun``. ``callback(iteration, loss)`` runs after each iteration; returning True
    stops the run. SciPy works in float64; a float32 network receives each x rounded to
    float32.
    """
    for value, name in ((max_iter, "max_iter"), (max_fun, "max_fun")):
        if isinstance(value, bool) or not isinstance(value, int | np.integer) or value < 1:
            raise InputError(f"{name} must be a positive integer, got {value!r}")
    if not tol >= 0:
        raise InputError(f"tol must be >= 0, got {tol!r}")
    params = list(net.parameters())
    sizes = [p.size for p in params]
    ends = np.cumsum(sizes)
    x0 = np.concatenate([p.reshape(-1) for p in params]).astype(np.float64)

    def load(x: np.ndarray) -> None:
        for p, chunk in zip(params, np.split(x, ends[:-1]), strict=True):
            p[...] = chunk.reshape(p.shape)  # cast to the network's dtype in place

    def fun(x: np.ndarray) -> tuple[float, np.ndarray]:
        load(x)
        loss, grads = objective()
        grads = list(grads)
        if len(grads) != len(params):
            raise InputError(
                f"the objective returned {len(grads)} gradient arrays; the network has "
                f"{len(params)} parameter arrays (W1, b1, W2, b2, ...)"
            )
        flat = np.empty(x.shape[0], dtype=np.float64)
        start = 0
        for g, p, stop in zip(grads, params, ends, strict=True):
            g = np.asarray(g)
            if g.shape != p.shape:
                raise InputError(f"gradient of shape {g.shape} for a parameter of {p.shape}")
            flat[start:stop] = g.reshape(-1)
            start = stop
        return float(loss), flat

    iteration = 0

    def after_iteration(intermediate_result: scipy.optimize.OptimizeResult) -> None:
        nonlocal iteration
        iteration += 1
        if callback is not None and callback(iteration, float(intermediate_result.fun)) is True:
            raise StopIteration  # SciPy ends the run and reports it in the message

    result = scipy.optimize.minimize(
        fun,
        x0,
        method="L-BFGS-B",
        jac=True,
        callback=after_iteration,
        options={"maxiter": int(max_iter), "maxfun": int(max_fun), "gtol": float(tol)},
    )
    load(result.x)
    return LbfgsResult(
        n_iter=int(result.nit),
        n_fun=int(result.nfev),
        loss=float(result.fun),
        converged=bool(result.success),
        message=str(result.message),
    )
