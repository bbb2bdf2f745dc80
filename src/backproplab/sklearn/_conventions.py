"""How scikit-learn's objective maps onto the engine's, and its initialisation.

scikit-learn minimises, over a batch of n samples with weights s_i (all 1 by default),

    J = loss_sk + alpha * ||W||^2 / (2 * sum(s))

with, for k outputs:

* squared_error: loss_sk = (1/2) (1/k) sum_j [weighted mean_i (y-hat_ij - y_ij)^2]
  -- but its gradient is the one of (1/2) sum_j [weighted mean_i ...] (no 1/k);
* binary/multilabel log_loss: loss_sk = sum_j weighted mean_i BCE_ij;
* multiclass log_loss: the softmax cross-entropy, summed over classes;
* poisson: loss_sk = sum_j weighted mean_i (y log(y / y-hat) - y + y-hat), y-hat = e^z
  (the engine's 'poisson' is the same term's mean over outputs too).

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

from typing import Any

import numpy as np

Array = np.ndarray


def loss_factor(loss: str, n_outputs: int) -> float:
    """loss_sk / L for the engine's loss name and k outputs."""
    return {"mse": 0.5, "cross_entropy": 1.0}.get(loss, float(n_outputs))


def grad_factor(loss: str, n_outputs: int) -> float:
    """grad loss_sk / grad L (differs from loss_factor only for mse with k > 1)."""
    return {"mse": 0.5 * n_outputs, "cross_entropy": 1.0}.get(loss, float(n_outputs))


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
