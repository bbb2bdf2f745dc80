"""Loss functions: the value of L and the gradient that starts the backward pass.

Conventions (the slides' and PyTorch's default ``reduction="mean"``):

* ``mse``: L = mean over *all elements* of (y-hat - y)^2, with no 1/2. For one output
  unit this is exactly the slides' L = (1/n) sum_k (y-hat_k - y_k)^2, and
  dL/dy-hat_k = (2/n)(y-hat_k - y_k) -- the slides' 2(y-hat - y) with the 1/n that the
  slide leaves out because it shows one sample.
* ``bce``: binary cross-entropy on a sigmoid output, mean over all elements.
* ``cross_entropy``: softmax cross-entropy, summed over classes, mean over samples.
* ``poisson``: half the Poisson deviance y log(y / y-hat) - y + y-hat on an exponential
  output y-hat = e^z (the log link), mean over all elements: scikit-learn's 'poisson'.

For the two cross-entropies and the Poisson deviance the output activation (sigmoid,
softmax, exp) and the loss are differentiated together: dL/dz = (y-hat - y)/n, the
"canonical link" result, which is exact and never divides by a probability that has
rounded to 0 or 1 (or by a rate y-hat).
"""

from __future__ import annotations

from typing import Any, ClassVar

import numpy as np

from .errors import InputError
from .functions import LOSS_CODES, bce_term

Array = np.ndarray


class Loss:
    name: ClassVar[str] = ""
    #: The output activation this loss is fused with (None: any activation).
    fused_activation: ClassVar[str | None] = None
    #: :meth:`scale` as data, for the explanation's formulas: scale = numerator / count,
    #: the 2 of the square's derivative (mse) or 1, over :meth:`mean_count`.
    scale_numerator: ClassVar[int] = 1
    #: L is the mean over all n·m outputs (True) or over the n samples, summed over the
    #: classes (False: softmax cross-entropy).
    mean_over_outputs: ClassVar[bool] = True

    def mean_count(self, n_samples: int, n_outputs: int) -> int:
        """How many terms L averages: n·m, or n when the classes are summed."""
        return n_samples * n_outputs if self.mean_over_outputs else n_samples

    def value(self, z: Array, a: Array, y: Array, scratch: Any = None) -> float:
        """L for output pre-activations z, outputs a = f(z) and targets y: the mean of the
        samples' losses (``scratch`` is accepted and ignored, for old callers)."""
        return float(np.mean(self.row_values(z, a, y)))

    def row_values(self, z: Array, a: Array, y: Array) -> Array:
        """Each sample's own loss, shape (n,), in float64: L is their mean (the weighted
        mean with sample weights)."""
        raise NotImplementedError

    def scale(self, n_samples: int, n_outputs: int) -> float:
        """The factor in front of (y-hat - y) in dL/dy-hat (mse) or dL/dz (fused losses)."""
        raise NotImplementedError

    def output_grad(self, a: Array, y: Array, out: Array | None = None) -> Array:
        """dL/dy-hat, for losses that are not fused with their activation."""
        raise NotImplementedError

    def fused_delta(self, a: Array, y: Array, out: Array | None = None) -> Array:
        """dL/dz of the output layer when the loss is fused with its activation:
        (y-hat - y) times :meth:`scale`."""
        out = np.subtract(a, y, out=out)
        out *= a.dtype.type(self.scale(*a.shape))
        return out

    def __repr__(self) -> str:
        return f"{type(self).__name__}()"


class MeanSquaredError(Loss):
    """The slides' L = (1/n) sum (y-hat - y)^2 (mean over all elements, no 1/2)."""

    name = "mse"
    scale_numerator = 2

    def value(self, z: Array, a: Array, y: Array, scratch: Any = None) -> float:
        diff = a - y
        return float(np.vdot(diff, diff) / diff.size)

    def row_values(self, z: Array, a: Array, y: Array) -> Array:
        return np.mean((a - y) ** 2, axis=1, dtype=np.float64)

    def scale(self, n_samples: int, n_outputs: int) -> float:
        return 2.0 / (n_samples * n_outputs)

    def output_grad(self, a: Array, y: Array, out: Array | None = None) -> Array:
        # Slide: dL/dy-hat = 2(y-hat - y); over n samples (and k outputs) the mean adds 1/(n k).
        out = np.subtract(a, y, out=out)
        out *= a.dtype.type(self.scale(*a.shape))
        return out


class BinaryCrossEntropy(Loss):
    """-mean[y log p + (1 - y) log(1 - p)] with p = sigmoid(z), from the logits z."""

    name = "bce"
    fused_activation = "sigmoid"

    def row_values(self, z: Array, a: Array, y: Array) -> Array:
        # log(1 + e^z) - y z is the same quantity, finite for any finite logit.
        return np.mean(bce_term(z, y), axis=1, dtype=np.float64)

    def scale(self, n_samples: int, n_outputs: int) -> float:
        return 1.0 / (n_samples * n_outputs)


class CrossEntropy(Loss):
    """-(1/n) sum_i sum_c y_ic log softmax(z_i)_c (one-hot y; integer labels are encoded)."""

    name = "cross_entropy"
    fused_activation = "softmax"
    mean_over_outputs = False

    def row_values(self, z: Array, a: Array, y: Array) -> Array:
        # log softmax(z) = (z - max) - log sum exp(z - max): the shift keeps exp finite.
        shifted = z - z.max(axis=1, keepdims=True)
        log_softmax = shifted - np.log(np.exp(shifted).sum(axis=1, keepdims=True))
        return -np.sum(y * log_softmax, axis=1, dtype=np.float64)

    def scale(self, n_samples: int, n_outputs: int) -> float:
        return 1.0 / n_samples


class PoissonDeviance(Loss):
    """Half the Poisson deviance, y log(y / y-hat) - y + y-hat with y-hat = e^z, the mean
    over all elements (scikit-learn's ``MLPRegressor(loss="poisson")``, constant included).

    PyTorch's ``PoissonNLLLoss(log_input=True)`` is the mean of e^z - y z: the same up to
    the constant y log y - y, so the same gradient dL/dz = (e^z - y)/(n m)."""

    name = "poisson"
    fused_activation = "exp"

    def row_values(self, z: Array, a: Array, y: Array) -> Array:
        # From z, not log(a): y log(y / e^z) = y log y - y z, with 0 log 0 = 0.
        y_log_y = y * np.log(np.where(y > 0, y, 1))
        return np.mean(a - y * z + (y_log_y - y), axis=1, dtype=np.float64)

    def scale(self, n_samples: int, n_outputs: int) -> float:
        return 1.0 / (n_samples * n_outputs)


_LOSSES: dict[str, type[Loss]] = {
    cls.name: cls for cls in (MeanSquaredError, BinaryCrossEntropy, CrossEntropy, PoissonDeviance)
}
_ALIASES = {
    "squared_error": "mse",
    "binary_cross_entropy": "bce",
    "log_loss": "bce",
    "ce": "cross_entropy",
    "categorical_cross_entropy": "cross_entropy",
    "poisson_deviance": "poisson",
}

LOSS_NAMES: tuple[str, ...] = tuple(_LOSSES)
assert set(LOSS_CODES) <= set(LOSS_NAMES), "functions.LOSS_CODES names a loss defined here"


def get_loss(name: str | Loss) -> Loss:
    """Look a loss up by name: 'mse', 'bce', 'cross_entropy' or 'poisson'."""
    if isinstance(name, Loss):
        return name
    if not isinstance(name, str):
        raise InputError(f"loss must be a name such as 'mse', got {name!r}")
    key = _ALIASES.get(name.lower(), name.lower())
    if key not in _LOSSES:
        known = ", ".join(repr(n) for n in LOSS_NAMES)
        raise InputError(f"loss: unknown loss {name!r}; expected one of {known}")
    return _LOSSES[key]()
