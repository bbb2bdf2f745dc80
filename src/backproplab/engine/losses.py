"""Loss functions: the value of L and the gradient that starts the backward pass.

Conventions (the slides' and PyTorch's default ``reduction="mean"``):

* ``mse``: L = mean over *all elements* of (y-hat - y)^2, with no 1/2. For one output
  unit this is exactly the slides' L = (1/n) sum_k (y-hat_k - y_k)^2, and
  dL/dy-hat_k = (2/n)(y-hat_k - y_k) -- the slides' 2(y-hat - y) with the 1/n that the
  slide leaves out because it shows one sample.
* ``bce``: binary cross-entropy on a sigmoid output, mean over all elements.
* ``cross_entropy``: softmax cross-entropy, summed over classes, mean over samples.

For the two cross-entropies the sigmoid/softmax and the loss are differentiated together:
dL/dz = (y-hat - y)/n, the "canonical link" result, which is exact and never divides
by a probability that has rounded to 0 or 1.
"""

from __future__ import annotations

from typing import ClassVar

import numpy as np

from .errors import InputError
from .functions import LOSS_CODES, bce_term

Array = np.ndarray


class Loss:
    name: ClassVar[str] = ""
    #: The output activation this loss is fused with (None: any activation).
    fused_activation: ClassVar[str | None] = None

    def value(
        self, z: Array, a: Array, y: Array, scratch: tuple[Array, Array, Array] | None = None
    ) -> float:
        """L for output pre-activations z, outputs a = f(z) and targets y.

        ``scratch``: two work arrays shaped like z and one (n, 1) column (the training path
        passes them so that computing L allocates nothing).
        """
        raise NotImplementedError

    def row_values(self, z: Array, a: Array, y: Array) -> Array:
        """Each sample's own loss, shape (n,): L is their mean (the weighted mean with
        sample weights)."""
        raise NotImplementedError

    def output_grad(self, a: Array, y: Array, out: Array | None = None) -> Array:
        """dL/dy-hat, for losses that are not fused with their activation."""
        raise NotImplementedError

    def fused_delta(self, a: Array, y: Array, out: Array | None = None) -> Array:
        """dL/dz of the output layer when the loss is fused with its activation."""
        raise NotImplementedError

    def __repr__(self) -> str:
        return f"{type(self).__name__}()"


class MeanSquaredError(Loss):
    """The slides' L = (1/n) sum (y-hat - y)^2 (mean over all elements, no 1/2)."""

    name = "mse"

    def value(
        self, z: Array, a: Array, y: Array, scratch: tuple[Array, Array, Array] | None = None
    ) -> float:
        diff = np.subtract(a, y, out=None if scratch is None else scratch[0])
        return float(np.vdot(diff, diff) / diff.size)

    def row_values(self, z: Array, a: Array, y: Array) -> Array:
        return np.mean((a - y) ** 2, axis=1, dtype=np.float64)

    def output_grad(self, a: Array, y: Array, out: Array | None = None) -> Array:
        # Slide: dL/dy-hat = 2(y-hat - y); over n samples (and k outputs) the mean adds 1/(n k).
        out = np.subtract(a, y, out=out)
        out *= a.dtype.type(2.0 / a.size)
        return out


class BinaryCrossEntropy(Loss):
    """-mean[y log p + (1 - y) log(1 - p)] with p = sigmoid(z), from the logits z."""

    name = "bce"
    fused_activation = "sigmoid"

    def value(
        self, z: Array, a: Array, y: Array, scratch: tuple[Array, Array, Array] | None = None
    ) -> float:
        # log(1 + e^z) - y z is the same quantity, finite for any finite logit.
        if scratch is None:
            return float(np.mean(np.logaddexp(0.0, z) - y * z))
        softplus, yz, _ = scratch
        np.logaddexp(0.0, z, out=softplus)
        softplus -= np.multiply(y, z, out=yz)
        return float(np.mean(softplus))

    def row_values(self, z: Array, a: Array, y: Array) -> Array:
        return np.mean(bce_term(z, y), axis=1, dtype=np.float64)

    def fused_delta(self, a: Array, y: Array, out: Array | None = None) -> Array:
        out = np.subtract(a, y, out=out)
        out *= a.dtype.type(1.0 / a.size)
        return out


class CrossEntropy(Loss):
    """-(1/n) sum_i sum_c y_ic log softmax(z_i)_c (one-hot y; integer labels are encoded)."""

    name = "cross_entropy"
    fused_activation = "softmax"

    def value(
        self, z: Array, a: Array, y: Array, scratch: tuple[Array, Array, Array] | None = None
    ) -> float:
        # log softmax(z) = (z - max) - log sum exp(z - max): the shift keeps exp finite.
        if scratch is None:
            shifted = z - z.max(axis=1, keepdims=True)
            log_softmax = shifted - np.log(np.exp(shifted).sum(axis=1, keepdims=True))
        else:
            shifted, work, row = scratch
            np.subtract(z, z.max(axis=1, keepdims=True, out=row), out=shifted)
            np.exp(shifted, out=work)
            np.log(work.sum(axis=1, keepdims=True, out=row), out=row)
            log_softmax = np.subtract(shifted, row, out=shifted)
        return float(-np.vdot(y, log_softmax) / z.shape[0])

    def row_values(self, z: Array, a: Array, y: Array) -> Array:
        shifted = z - z.max(axis=1, keepdims=True)
        log_softmax = shifted - np.log(np.exp(shifted).sum(axis=1, keepdims=True))
        return -np.sum(y * log_softmax, axis=1, dtype=np.float64)

    def fused_delta(self, a: Array, y: Array, out: Array | None = None) -> Array:
        out = np.subtract(a, y, out=out)
        out *= a.dtype.type(1.0 / a.shape[0])
        return out


_LOSSES: dict[str, type[Loss]] = {
    cls.name: cls for cls in (MeanSquaredError, BinaryCrossEntropy, CrossEntropy)
}
_ALIASES = {
    "squared_error": "mse",
    "binary_cross_entropy": "bce",
    "log_loss": "bce",
    "ce": "cross_entropy",
    "categorical_cross_entropy": "cross_entropy",
}

LOSS_NAMES: tuple[str, ...] = tuple(_LOSSES)
assert set(LOSS_NAMES) == set(LOSS_CODES), "every loss needs its code in functions.LOSS_CODES"


def get_loss(name: str | Loss) -> Loss:
    """Look a loss up by name: 'mse', 'bce' or 'cross_entropy'."""
    if isinstance(name, Loss):
        return name
    if not isinstance(name, str):
        raise InputError(f"loss must be a name such as 'mse', got {name!r}")
    key = _ALIASES.get(name.lower(), name.lower())
    if key not in _LOSSES:
        known = ", ".join(repr(n) for n in LOSS_NAMES)
        raise InputError(f"loss: unknown loss {name!r}; expected one of {known}")
    return _LOSSES[key]()
