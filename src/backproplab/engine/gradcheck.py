"""Gradient check by central differences: an independent reference for backprop.

For each parameter theta the numerical derivative is (L(theta + h) - L(theta - h)) / 2h,
whose error is O(h^2); it shares no code with the backward pass except the forward pass.
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
    #: max |analytic - numeric| / max(max |analytic|, max |numeric|): the error relative
    #: to the array's scale, so that gradients that are ~0 do not give spurious failures.
    max_rel_error: float


@dataclass(frozen=True)
class GradcheckReport:
    checks: list[ArrayCheck]
    eps: float

    @property
    def max_rel_error(self) -> float:
        return max(c.max_rel_error for c in self.checks)

    def passed(self, tol: float = 1e-6) -> bool:
        return self.max_rel_error < tol

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


def numerical_gradients(net: MLP, X: Any, Y: Any, eps: float = 1e-6) -> list[np.ndarray]:
    """Central-difference gradients of ``net.loss(X, Y)`` in parameter order W1, b1, W2, ..."""
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
            flat[k] = original + eps
            plus = current_loss()
            flat[k] = original - eps
            minus = current_loss()
            flat[k] = original
            grad.reshape(-1)[k] = (plus - minus) / (2 * eps)
        numeric.append(grad)
    return numeric


def gradcheck(net: MLP, X: Any, Y: Any, eps: float = 1e-6) -> GradcheckReport:
    """Compare ``net.gradients(X, Y)`` with central differences, array by array.

    Use float64 networks: in float32 the differences are dominated by rounding.
    """
    analytic = list(net.gradients(X, Y))
    numeric = numerical_gradients(net, X, Y, eps=eps)
    names = []
    for l in range(net.n_layers):
        names += [f"weights[{l}]", f"biases[{l}]"]
    checks = []
    for name, a, n in zip(names, analytic, numeric, strict=True):
        a = np.asarray(a, dtype=np.float64)
        abs_err = float(np.max(np.abs(a - n)))
        scale = max(float(np.max(np.abs(a))), float(np.max(np.abs(n))), 1e-12)
        checks.append(ArrayCheck(name, tuple(a.shape), abs_err, abs_err / scale))
    return GradcheckReport(checks=checks, eps=eps)
