"""Activation objects over the one table (functions.py): f(z) and dL/dz = dL/da * f'(z).

The maths lives in :mod:`backproplab.engine.functions`; an :class:`Activation` binds one
table entry to its parameter and gives the NumPy path its calls. The derivative is taken
from the cached output a = f(z) wherever that is cheaper, which is exactly the slides'
trick for the sigmoid: sigma'(x) = sigma(x)(1 - sigma(x)). (The slides write sigma'' for
this first derivative; see docs/notation.md.)
"""

from __future__ import annotations

from typing import Any

import numpy as np

from . import functions as F
from .errors import InputError

Array = np.ndarray


class Activation:
    """One activation of the table, with its parameter (leaky ReLU's slope, ELU's alpha)."""

    def __init__(self, definition: F.ActivationDef, param: float | None = None) -> None:
        self.definition = definition
        self.name = definition.name
        #: Mixes the units of a row (softmax); only allowed at the output.
        self.output_only = definition.output_only
        self.param = float(definition.param if param is None else param)
        # The parameter in each dtype, made once: the per-call path (net.step, gradients on
        # one sample) would otherwise convert it on every call of f and chain.
        self._typed = {np.dtype(t): t(self.param) for t in (np.float32, np.float64)}

    def forward(self, z: Array, out: Array | None = None) -> Array:
        d = self.definition
        a = F.softmax_rows(z) if d.f is None else d.f(z, self._param_in(z.dtype))
        return _into(a, out, z.dtype)

    def derivative(self, z: Array, a: Array) -> Array:
        """f'(z), element-wise, given z and the cached a = f(z)."""
        if self.definition.chain is None:
            raise InputError(
                "softmax has no element-wise derivative; use Softmax.backward (a Jacobian product)"
            )
        return self.backward(np.ones_like(z), z, a)

    def backward(
        self,
        grad_a: Array,
        z: Array,
        a: Array,
        out: Array | None = None,
        scratch: Array | None = None,
    ) -> Array:
        """dL/dz from dL/da: the chain rule's factor f'(z), element by element (softmax: its
        Jacobian times dL/da, row by row). ``scratch`` is accepted for compatibility."""
        d = self.definition
        if d.chain is None:
            dz = F.softmax_rows_chain(grad_a, a)
        else:
            dz = d.chain(grad_a, z, a, self._param_in(z.dtype))
        return _into(dz, out, z.dtype)

    def _param_in(self, dtype: np.dtype) -> Any:
        typed = self._typed.get(dtype)
        return dtype.type(self.param) if typed is None else typed

    @property
    def negative_slope(self) -> float:
        """Leaky ReLU's slope for z < 0 (the parameter of the table entry)."""
        return self.param

    def __repr__(self) -> str:
        extra = f"param={self.param}" if self.definition.param else ""
        return f"Activation({self.name!r}{', ' + extra if extra else ''})"


def LeakyReLU(negative_slope: float = 0.01) -> Activation:  # noqa: N802 - kept as a class name
    """Leaky ReLU with its slope for z < 0."""
    return Activation(F.BY_NAME["leaky_relu"], negative_slope)


def _into(value: Array, out: Array | None, dtype: np.dtype) -> Array:
    if out is None and type(value) is np.ndarray and value.dtype is dtype:
        return value  # what the table's functions return on arrays: nothing to convert
    value = np.asarray(value, dtype=dtype)
    if out is None or out is value:
        return value
    np.copyto(out, value)
    return out


ACTIVATION_NAMES: tuple[str, ...] = tuple(d.name for d in F.ACTIVATIONS)


def get_activation(name: str | Activation, *, argument: str = "activation") -> Activation:
    """Look an activation up by name ('sigmoid', 'tanh', 'relu', 'gelu', ...)."""
    if isinstance(name, Activation):
        return name
    if not isinstance(name, str):
        raise InputError(f"{argument} must be a name such as 'sigmoid', got {name!r}")
    key = F.ALIASES.get(name.lower(), name.lower())
    if key not in F.BY_NAME:
        known = ", ".join(repr(n) for n in ACTIVATION_NAMES)
        raise InputError(f"{argument}: unknown activation {name!r}; expected one of {known}")
    return Activation(F.BY_NAME[key])
