"""The quantities an exercise can ask for, by name in our notation (docs/notation.md).

``y_hat`` (``y_hat_2`` for output 2), ``dL/dy_hat``, ``dL/dO1`` (hidden unit of a
one-hidden-layer network; ``dL/da1_2`` in general), ``dL/dw1_11``, ``dL/db2_1`` and
``w1_21(new)`` / ``b2_1(new)``.
"""

from __future__ import annotations

import re
from typing import NamedTuple

from ..engine.errors import InputError
from ..explain import ParamRef, param_name, parse_param_name


class Quantity(NamedTuple):
    """kind: 'output' (ŷ_j), 'output_grad' (∂L/∂ŷ), 'activation_grad' (∂L/∂a^l_j),
    'gradient' (∂L/∂p) or 'update' (p(new)); layer and unit 1-based; param for the last two."""

    kind: str
    layer: int
    j: int
    param: ParamRef | None = None


def parse_quantity(name: str, layer_sizes: list[int]) -> Quantity:
    """The quantity named ``name`` in a network of these layer sizes (InputError if unknown)."""
    if not isinstance(name, str):
        raise InputError(f"asks must be a name such as 'dL/dw1_11', got {name!r}")
    text = name.strip().replace("∂", "d").replace("ŷ", "y_hat")
    L = len(layer_sizes) - 1
    if m := re.fullmatch(r"y_hat(?:_?(\d+))?", text):
        j = int(m[1] or 1)
        if j > layer_sizes[-1]:
            raise InputError(f"asks {name!r}: the network has {layer_sizes[-1]} outputs")
        return Quantity("output", L, j)
    if text == "dL/dy_hat":
        return Quantity("output_grad", L, 1)
    if m := re.fullmatch(r"dL/dO(\d+)", text):
        if L != 2:
            raise InputError(f"asks {name!r}: O{{j}} names a unit of a one-hidden-layer network")
        return _unit(name, 1, int(m[1]), layer_sizes)
    if m := re.fullmatch(r"dL/da(\d+)_(\d+)", text):
        return _unit(name, int(m[1]), int(m[2]), layer_sizes)
    if m := re.fullmatch(r"dL/d(\w+)", text):
        ref = parse_param_name(m[1], layer_sizes)
        return Quantity("gradient", ref.layer, ref.j, ref)
    if m := re.fullmatch(r"(\w+)\s*\(new\)", text):
        ref = parse_param_name(m[1], layer_sizes)
        return Quantity("update", ref.layer, ref.j, ref)
    raise InputError(
        f"unknown quantity {name!r}: expected y_hat, dL/dy_hat, dL/dO1, dL/da1_2, dL/dw1_11, "
        "dL/db2_1 or w1_21(new)"
    )


def _unit(name: str, layer: int, j: int, sizes: list[int]) -> Quantity:
    if not 1 <= layer < len(sizes) - 1 or not 1 <= j <= sizes[layer]:
        raise InputError(f"asks {name!r}: no such hidden unit in a {sizes} network")
    return Quantity("activation_grad", layer, j)


def quantity_name(q: Quantity, layer_sizes: list[int]) -> str:
    """The canonical name of a quantity (the inverse of :func:`parse_quantity`)."""
    if q.kind == "output":
        return "y_hat" if layer_sizes[-1] == 1 else f"y_hat_{q.j}"
    if q.kind == "output_grad":
        return "dL/dy_hat"
    if q.kind == "activation_grad":
        return f"dL/dO{q.j}" if len(layer_sizes) == 3 else f"dL/da{q.layer}_{q.j}"
    assert q.param is not None
    p = param_name(*q.param)
    return f"dL/d{p}" if q.kind == "gradient" else f"{p}(new)"


def quantity_symbol(q: Quantity, layer_sizes: list[int]) -> str:
    """How the quantity is written in a question: ∂L/∂w1_11, ŷ, w1_21(new)."""
    name = quantity_name(q, layer_sizes)
    return name.replace("dL/d", "∂L/∂").replace("y_hat", "ŷ")
