"""Activation functions: f(z) and the backward rule dL/dz = dL/da * f'(z).

The derivative is taken from the cached output a = f(z) wherever that is cheaper,
which is exactly the slides' trick for the sigmoid: sigma'(x) = sigma(x)(1 - sigma(x)).
(The slides write sigma'' for this first derivative; see docs/notation.md.)
"""

from __future__ import annotations

from typing import ClassVar

import numpy as np
from scipy.special import expit

from .errors import InputError

Array = np.ndarray


class Activation:
    """One element-wise activation (softmax overrides the backward rule)."""

    name: ClassVar[str] = ""
    #: True when the activation mixes the units of a row (softmax); only allowed at the output.
    output_only: ClassVar[bool] = False

    def forward(self, z: Array, out: Array | None = None) -> Array:
        raise NotImplementedError

    def derivative(self, z: Array, a: Array) -> Array:
        """f'(z), element-wise, given z and the cached a = f(z)."""
        raise NotImplementedError

    def backward(
        self,
        grad_a: Array,
        z: Array,
        a: Array,
        out: Array | None = None,
        scratch: Array | None = None,
    ) -> Array:
        """dL/dz from dL/da: the chain rule's factor f'(z), element by element.

        ``out`` receives the result; ``scratch`` (same shape, not aliasing ``grad_a`` or
        ``out``) is work space that lets the training path run without allocating.
        """
        return np.multiply(grad_a, self.derivative(z, a), out=out)

    def __repr__(self) -> str:
        return f"{type(self).__name__}()"


class Sigmoid(Activation):
    """sigma(z) = 1 / (1 + e^-z), computed without overflow for any finite z."""

    name = "sigmoid"

    def forward(self, z: Array, out: Array | None = None) -> Array:
        # expit never overflows: it stays finite and warning-free for |z| up to 1e308.
        return expit(z, out=out)

    def derivative(self, z: Array, a: Array) -> Array:
        # Slides: d/dx sigma(x) = sigma(x) * (1 - sigma(x)), from the cached output.
        return a * (1.0 - a)

    def backward(
        self,
        grad_a: Array,
        z: Array,
        a: Array,
        out: Array | None = None,
        scratch: Array | None = None,
    ) -> Array:
        # dL/dz = dL/da * a * (1 - a): the slides' sigma' from the cached output a.
        one_minus_a = 1.0 - a if scratch is None else np.subtract(1.0, a, out=scratch)
        out = np.multiply(grad_a, a, out=out)
        out *= one_minus_a
        return out


class Tanh(Activation):
    name = "tanh"

    def forward(self, z: Array, out: Array | None = None) -> Array:
        return np.tanh(z, out=out)

    def derivative(self, z: Array, a: Array) -> Array:
        return 1.0 - a * a

    def backward(
        self,
        grad_a: Array,
        z: Array,
        a: Array,
        out: Array | None = None,
        scratch: Array | None = None,
    ) -> Array:
        if scratch is None:
            return np.multiply(grad_a, self.derivative(z, a), out=out)
        # tanh'(z) = 1 - a^2 from the cached output, built in the scratch array.
        np.multiply(a, a, out=scratch)
        np.subtract(1.0, scratch, out=scratch)
        return np.multiply(grad_a, scratch, out=out)


class ReLU(Activation):
    name = "relu"

    def forward(self, z: Array, out: Array | None = None) -> Array:
        return np.maximum(z, 0.0, out=out)

    def derivative(self, z: Array, a: Array) -> Array:
        # The sub-gradient at z == 0 is taken as 0, as PyTorch does.
        return (z > 0).astype(z.dtype)

    def backward(
        self,
        grad_a: Array,
        z: Array,
        a: Array,
        out: Array | None = None,
        scratch: Array | None = None,
    ) -> Array:
        # The mask z > 0 as 1.0/0.0 in the scratch array, or as a temporary boolean array.
        mask = z > 0 if scratch is None else np.greater(z, 0, out=scratch)
        return np.multiply(grad_a, mask, out=out)


class LeakyReLU(Activation):
    name = "leaky_relu"

    def __init__(self, negative_slope: float = 0.01) -> None:
        self.negative_slope = float(negative_slope)

    def forward(self, z: Array, out: Array | None = None) -> Array:
        slope = z.dtype.type(self.negative_slope)
        if 0.0 <= self.negative_slope <= 1.0:
            # max(z, slope z) is z for z > 0 and slope z otherwise, in two in-place passes.
            scaled = np.multiply(z, slope, out=out)
            return np.maximum(z, scaled, out=scaled)
        result = np.where(z > 0, z, z * slope)
        if out is None:
            return result
        np.copyto(out, result)
        return out

    def derivative(self, z: Array, a: Array) -> Array:
        return np.where(z > 0, z.dtype.type(1.0), z.dtype.type(self.negative_slope))

    def __repr__(self) -> str:
        return f"LeakyReLU(negative_slope={self.negative_slope})"


class Identity(Activation):
    """The slides' linear output unit: y-hat = w . O + b."""

    name = "identity"

    def forward(self, z: Array, out: Array | None = None) -> Array:
        if out is None or out is z:
            return z
        np.copyto(out, z)
        return out

    def derivative(self, z: Array, a: Array) -> Array:
        return np.ones_like(z)

    def backward(
        self,
        grad_a: Array,
        z: Array,
        a: Array,
        out: Array | None = None,
        scratch: Array | None = None,
    ) -> Array:
        if out is None or out is grad_a:
            return grad_a
        np.copyto(out, grad_a)
        return out


class Softmax(Activation):
    """Row-wise softmax, for the output layer only."""

    name = "softmax"
    output_only = True

    def forward(self, z: Array, out: Array | None = None) -> Array:
        # Subtracting the row maximum keeps exp() from overflowing for extreme logits.
        out = np.subtract(z, z.max(axis=1, keepdims=True), out=out)
        np.exp(out, out=out)
        out /= out.sum(axis=1, keepdims=True)
        return out

    def derivative(self, z: Array, a: Array) -> Array:
        raise InputError(
            "softmax has no element-wise derivative; use Softmax.backward (a Jacobian product)"
        )

    def backward(
        self,
        grad_a: Array,
        z: Array,
        a: Array,
        out: Array | None = None,
        scratch: Array | None = None,
    ) -> Array:
        # dL/dz_j = a_j * (dL/da_j - sum_k dL/da_k a_k): the softmax Jacobian times a vector.
        inner = np.einsum("ij,ij->i", grad_a, a)[:, None]
        out = np.subtract(grad_a, inner, out=out)
        out *= a
        return out


_ACTIVATIONS: dict[str, type[Activation]] = {
    cls.name: cls for cls in (Sigmoid, Tanh, ReLU, LeakyReLU, Identity, Softmax)
}
_ALIASES = {
    "linear": "identity",
    "logistic": "sigmoid",
    "leakyrelu": "leaky_relu",
    "none": "identity",
}

ACTIVATION_NAMES: tuple[str, ...] = tuple(_ACTIVATIONS)


def get_activation(name: str | Activation, *, argument: str = "activation") -> Activation:
    """Look an activation up by name ('sigmoid', 'tanh', 'relu', 'leaky_relu', ...)."""
    if isinstance(name, Activation):
        return name
    if not isinstance(name, str):
        raise InputError(f"{argument} must be a name such as 'sigmoid', got {name!r}")
    key = _ALIASES.get(name.lower(), name.lower())
    if key not in _ACTIVATIONS:
        known = ", ".join(repr(n) for n in ACTIVATION_NAMES)
        raise InputError(f"{argument}: unknown activation {name!r}; expected one of {known}")
    return _ACTIVATIONS[key]()
