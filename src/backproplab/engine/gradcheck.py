"""Gradient check by central differences: an independent reference for backprop.

For each parameter theta the numerical derivative is taken by a central difference that
shares no code with the backward pass except the forward pass:

* ``order=2``: (L(theta + h) - L(theta - h)) / 2h, error O(h^2) (h = 1e-6 by default);
* ``order=4`` (default): the five-point stencil
  (-L(theta + 2h) + 8 L(theta + h) - 8 L(theta - h) + L(theta - 2h)) / 12h, error O(h^4)
  (h = 1e-3 by default). Its rounding error is ~1e-13 instead of ~1e-10, which matters for
  the tiny gradients of deep sigmoid stacks, where a 1e-10 error would be a large relative one.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from .network import MLP


@dataclass(frozen=True)
class ArrayCheck:
    """The comparison for one parameter array (e.g. ``weights[0]``)."""

    name: str
    shape: tuple[int, ...]
    max_abs_error: float
    #: max |analytic - numeric| / max(max |analytic|, max |numeric|, 1e-7 max(1, |L|)):
    #: the error relative to the array's scale, so gradients that are ~0 give no false alarm.
    max_rel_error: float

    def passed(self, tol: float = 1e-6, atol: float | None = None) -> bool:
        """Relative error below ``tol`` -- or absolute error within the floor ``atol``."""
        atol = DEFAULT_ATOL if atol is None else atol
        return self.max_rel_error < tol or self.max_abs_error <= atol


#: The absolute floor of :meth:`GradcheckReport.passed`: an error this small passes
#: whatever the gradient's scale (as ``atol`` in ``numpy.testing.assert_allclose`` and
#: ``torch.autograd.gradcheck``). Central differences of a loss of order 1 carry rounding
#: errors of ~1e-11 (five-point stencil) to ~1e-10 (two-point); a wrong backward pass is
#: off by far more than 1e-8 unless the gradient itself is that small.
DEFAULT_ATOL = 1e-8


@dataclass(frozen=True)
class GradcheckReport:
    checks: list[ArrayCheck]
    eps: float

    @property
    def max_rel_error(self) -> float:
        return max(c.max_rel_error for c in self.checks)

    @property
    def max_abs_error(self) -> float:
        return max(c.max_abs_error for c in self.checks)

    def passed(self, tol: float = 1e-6, atol: float | None = None) -> bool:
        """Every array passes: relative error below ``tol``, or absolute error at most
        ``atol`` (default :data:`DEFAULT_ATOL`), so that gradients of ~1e-7 whose
        difference is rounding noise do not fail on their relative error alone."""
        return all(c.passed(tol, atol) for c in self.checks)

    def failing(self, tol: float = 1e-6, atol: float | None = None) -> list[ArrayCheck]:
        return [c for c in self.checks if not c.passed(tol, atol)]

    def to_dict(self) -> dict[str, Any]:
        return {
            "eps": self.eps,
            "max_rel_error": self.max_rel_error,
            "arrays": [
                {
                    "name": c.name,
                    "shape": list(c.shape),
                    "max_abs_error": c.max_abs_error,
                    "max_rel_error": c.max_rel_error,
                }
                for c in self.checks
            ],
        }

    def __str__(self) -> str:
        lines = [f"{'parameter':<12} {'shape':<12} {'max abs err':>12} {'max rel err':>12}"]
        for c in self.checks:
            lines.append(
                f"{c.name:<12} {str(c.shape):<12} {c.max_abs_error:12.3e} {c.max_rel_error:12.3e}"
            )
        return "\n".join(lines)


_DEFAULT_EPS = {2: 1e-6, 4: 1e-3}
#: Gradients smaller than 1e-7 * max(1, |L|) are below what differences of L can resolve.
_SCALE_FLOOR = 1e-7


def numerical_gradients(
    net: MLP, X: Any, Y: Any, eps: float | None = None, order: int = 4
) -> list[np.ndarray]:
    """Central-difference gradients of ``net.loss(X, Y)`` in parameter order W1, b1, W2, ..."""
    if order not in _DEFAULT_EPS:
        raise ValueError(f"order must be 2 or 4, got {order!r}")
    h = _DEFAULT_EPS[order] if eps is None else float(eps)
    Xc = net.check_X(X)
    Yc = net.check_Y(Y, Xc.shape[0])
    loss = net.loss_function

    def current_loss() -> float:
        trace = net._forward(Xc)
        return loss.value(trace.z[-1], trace.output, Yc)

    numeric = []
    for param in net.parameters():
        grad = np.zeros(param.shape, dtype=np.float64)
        flat = param.reshape(-1)  # a view: writing into it perturbs the live parameter
        for k in range(flat.size):
            original = flat[k]

            def loss_at(offset: float) -> float:
                flat[k] = original + offset  # noqa: B023 -- used at once, inside this iteration
                return current_loss()

            if order == 2:
                value = (loss_at(h) - loss_at(-h)) / (2 * h)
            else:
                value = (-loss_at(2 * h) + 8 * loss_at(h) - 8 * loss_at(-h) + loss_at(-2 * h)) / (
                    12 * h
                )
            flat[k] = original
            grad.reshape(-1)[k] = value
        numeric.append(grad)
    return numeric


def gradcheck(
    net: MLP, X: Any, Y: Any, eps: float | None = None, order: int = 4
) -> GradcheckReport:
    """Compare ``net.gradients(X, Y)`` with central differences, array by array.

    Use float64 networks: in float32 the differences are dominated by rounding. Near a
    ReLU kink (a pre-activation within ~2 eps of 0) no finite difference is meaningful.
    """
    grads = net.gradients(X, Y)
    analytic = list(grads)
    floor = _SCALE_FLOOR * max(1.0, abs(grads.loss))
    numeric = numerical_gradients(net, X, Y, eps=eps, order=order)
    eps = _DEFAULT_EPS[order] if eps is None else float(eps)
    names = []
    for l in range(net.n_layers):
        names += [f"weights[{l}]", f"biases[{l}]"]
    checks = []
    for name, a, n in zip(names, analytic, numeric, strict=True):
        a = np.asarray(a, dtype=np.float64)
        abs_err = float(np.max(np.abs(a - n)))
        # The floor keeps an exactly-zero gradient (e.g. a dead ReLU) from turning the
        # differences' rounding noise (~1e-14 |L|) into a large "relative" error.
        scale = max(float(np.max(np.abs(a))), float(np.max(np.abs(n))), floor)
        checks.append(ArrayCheck(name, tuple(a.shape), abs_err, abs_err / scale))
    return GradcheckReport(checks=checks, eps=eps)
