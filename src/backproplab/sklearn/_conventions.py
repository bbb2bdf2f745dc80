"""How scikit-learn's objective maps onto the engine's, and the two things the engine lacks.

scikit-learn minimises, over a batch of n samples with weights s_i (all 1 by default),

    J = loss_sk + alpha * ||W||^2 / (2 * sum(s))

with, for k outputs:

* squared_error: loss_sk = (1/2) (1/k) sum_j [weighted mean_i (y-hat_ij - y_ij)^2]
  -- but its gradient is the one of (1/2) sum_j [weighted mean_i ...] (no 1/k);
* binary/multilabel log_loss: loss_sk = sum_j weighted mean_i BCE_ij;
* multiclass log_loss: the softmax cross-entropy, summed over classes;
* poisson: loss_sk = sum_j weighted mean_i (y log(y / y-hat) - y + y-hat), y-hat = e^z.

The engine's L (the slides' L for mse) is the weighted mean over samples of each row's
*mean* over outputs: mse = mean (y-hat - y)^2, bce = mean BCE, cross_entropy = sum over
classes. So loss_sk = ``loss_factor`` * L and grad loss_sk = ``grad_factor`` * grad L, with

    mse: loss_factor 1/2, grad_factor k/2    bce, poisson: both k    cross_entropy: both 1

and the estimators train the engine's network on J / grad_factor: L plus
weight_decay = alpha / (grad_factor * sum(s)) (the engine's weight decay adds lambda w to
the gradient). Plain gradient descent then needs lr * grad_factor to take scikit-learn's
step; Adam is unchanged by a constant factor apart from its epsilon, which is divided by
it. The reported losses (``loss_``, ``loss_curve_``) are scikit-learn's loss_sk + penalty.
"""

from __future__ import annotations

from typing import Any, ClassVar

import numpy as np
from scipy.special import xlogy

from ..engine.losses import Loss

Array = np.ndarray


def loss_factor(loss: str, n_outputs: int) -> float:
    """loss_sk / L for the engine's loss name and k outputs."""
    return {"mse": 0.5, "cross_entropy": 1.0}.get(loss, float(n_outputs))


def grad_factor(loss: str, n_outputs: int) -> float:
    """grad loss_sk / grad L (differs from loss_factor only for mse with k > 1)."""
    return {"mse": 0.5 * n_outputs, "cross_entropy": 1.0}.get(loss, float(n_outputs))


class HalfPoissonDeviance(Loss):
    """Half the Poisson deviance on a log link: the network's output z is log(y-hat), and
    each element's loss is e^z - y z + (y log y - y), so dL/dz = (e^z - y) / (n k).

    The engine has no exponential output activation, so the network's last layer is the
    identity (it outputs log y-hat) and the estimator applies e^z in ``predict``; that is
    scikit-learn's ``out_activation_ = "exp"`` with the exponential moved into the loss.
    """

    name: ClassVar[str] = "poisson"
    fused_activation: ClassVar[str | None] = None

    def row_values(self, z: Array, a: Array, y: Array) -> Array:
        terms = np.exp(a) - y * a + (xlogy(y, y) - y)
        return np.mean(terms, axis=1, dtype=np.float64)

    def scale(self, n_samples: int, n_outputs: int) -> float:
        return 1.0 / (n_samples * n_outputs)

    def output_grad(self, a: Array, y: Array, out: Array | None = None) -> Array:
        out = np.subtract(np.exp(a), y, out=out)
        out *= a.dtype.type(self.scale(*a.shape))
        return out

    def __reduce__(self) -> Any:
        return (HalfPoissonDeviance, ())


def glorot_uniform(
    random_state: np.random.RandomState, fan_in: int, fan_out: int, factor: float, dtype: Any
) -> tuple[Array, Array]:
    """scikit-learn's initialisation: W and b uniform in +-sqrt(factor / (fan_in + fan_out))
    (factor 2 for logistic layers, 6 otherwise), W drawn first, from the same RandomState,
    so that one ``random_state`` gives the same starting network in both libraries."""
    bound = np.sqrt(factor / (fan_in + fan_out))
    W = random_state.uniform(-bound, bound, (fan_in, fan_out))
    b = random_state.uniform(-bound, bound, fan_out)
    return W.astype(dtype, copy=False), b.astype(dtype, copy=False)
