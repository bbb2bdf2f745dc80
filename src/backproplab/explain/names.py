"""Names of parameters and neurons in text and on the command line, and the slides' labels.

Our notation (docs/notation.md): ``w{l}_{i}{j}`` is the weight from neuron i of layer l-1
to neuron j of layer l (``net.weights[l-1][i-1, j-1]``), written ``w{l}_{i}_{j}`` when an
index has two digits; ``b{l}_{j}`` is the bias of neuron j of layer l
(``net.biases[l-1][j-1]``). All indices are 1-based, as in the slides.

Neurons are named ``a{l}_{j}`` (neuron j of layer l; ``z{l}_{j}`` is accepted too), or
with the slides' names: ``O{j}`` for hidden unit j of a network with one hidden layer,
``y`` / ``ŷ`` / ``y{j}`` for an output unit.
"""

from __future__ import annotations

import re
from typing import NamedTuple

from ..engine.errors import InputError


class ParamRef(NamedTuple):
    """A parameter: kind 'w' or 'b', layer l (1-based), source neuron i (None for a bias),
    target neuron j (1-based)."""

    kind: str
    layer: int
    i: int | None
    j: int


_WEIGHT_COMPACT = re.compile(r"^w(\d+)_(\d)(\d)$")
_WEIGHT_LONG = re.compile(r"^w(\d+)_(\d+)_(\d+)$")
_BIAS = re.compile(r"^b(\d+)_(\d+)$")
_NEURON = re.compile(r"^[az](\d+)_(\d+)$")


def param_name(kind: str, layer: int, i: int | None, j: int) -> str:
    """The text name of a parameter: ``param_name('w', 2, 1, 1) == 'w2_11'``.

    ``param_name('w', 1, 12, 3) == 'w1_12_3'`` (two-digit index); ``param_name('b', 1, None, 2)
    == 'b1_2'``. All indices are 1-based.
    """
    if kind == "w":
        if i is None:
            raise InputError("a weight name needs both indices i and j")
        if i < 10 and j < 10:
            return f"w{layer}_{i}{j}"
        return f"w{layer}_{i}_{j}"
    if kind == "b":
        return f"b{layer}_{j}"
    raise InputError(f"parameter kind must be 'w' or 'b', got {kind!r}")


def parse_param_name(name: str, layer_sizes: list[int] | None = None) -> ParamRef:
    """Parse ``'w2_11'`` into ``ParamRef('w', 2, 1, 1)`` and ``'b1_2'`` into ``('b', 1, None, 2)``.

    With ``layer_sizes`` the indices are checked against the network. Raises InputError with a
    message naming the accepted forms for anything else.
    """
    if not isinstance(name, str):
        raise InputError(f"a parameter name must be a string such as 'w2_11', got {name!r}")
    text = name.strip().lower()
    ref: ParamRef | None = None
    if (m := _WEIGHT_COMPACT.match(text)) or (m := _WEIGHT_LONG.match(text)):
        ref = ParamRef("w", int(m[1]), int(m[2]), int(m[3]))
    elif m := _BIAS.match(text):
        ref = ParamRef("b", int(m[1]), None, int(m[2]))
    if ref is None:
        raise InputError(
            f"unknown parameter name {name!r}: expected w{{l}}_{{i}}{{j}} (e.g. 'w2_11'), "
            "w{l}_{i}_{j} when an index has two digits (e.g. 'w1_12_3'), or b{l}_{j} "
            "(e.g. 'b1_2'), all 1-based"
        )
    if min(x for x in ref[1:] if x is not None) < 1:
        raise InputError(f"parameter {name!r}: indices are 1-based, got a 0")
    if layer_sizes is not None:
        _check_in_network(name, ref, layer_sizes)
    return ref


def _check_in_network(name: str, ref: ParamRef, sizes: list[int]) -> None:
    n_layers = len(sizes) - 1
    if ref.layer > n_layers:
        raise InputError(
            f"parameter {name!r}: layer {ref.layer} does not exist; this network has "
            f"weight layers 1..{n_layers}"
        )
    if ref.i is not None and ref.i > sizes[ref.layer - 1]:
        raise InputError(
            f"parameter {name!r}: layer {ref.layer - 1} has {sizes[ref.layer - 1]} neurons, "
            f"so i must be 1..{sizes[ref.layer - 1]}"
        )
    if ref.j > sizes[ref.layer]:
        raise InputError(
            f"parameter {name!r}: layer {ref.layer} has {sizes[ref.layer]} neurons, "
            f"so j must be 1..{sizes[ref.layer]}"
        )


def parse_neuron_name(name: str | tuple[int, int], layer_sizes: list[int]) -> tuple[int, int]:
    """A neuron as (layer, j), 1-based, from ``'a1_2'``, ``'z1_2'``, ``'O2'``, ``'y'``, (l, j)."""
    n_layers = len(layer_sizes) - 1
    if isinstance(name, tuple):
        layer, j = name
        label = f"a{layer}_{j}"
    elif isinstance(name, str):
        text = name.strip()
        label = text
        low = text.lower()
        if m := _NEURON.match(low):
            layer, j = int(m[1]), int(m[2])
        elif re.fullmatch(r"o\d+", low) and n_layers == 2:
            layer, j = 1, int(low[1:])
        elif low in ("y", "ŷ", "yhat", "y_hat"):
            layer, j = n_layers, 1
        elif re.fullmatch(r"(y|ŷ|yhat)\d+", low):
            layer, j = n_layers, int(re.sub(r"\D", "", low))
        else:
            raise InputError(
                f"unknown neuron {name!r}: expected a{{l}}_{{j}} (neuron j of layer l, e.g. "
                "'a1_2'), O{j} for a hidden unit of a one-hidden-layer network, or y / y{j} "
                "for an output"
            )
    else:
        raise InputError(f"a neuron must be a name such as 'a1_2', got {name!r}")
    if not 1 <= layer <= n_layers:
        raise InputError(
            f"neuron {label!r}: layer {layer} does not exist; layers with neurons are "
            f"1..{n_layers} (0 is the input)"
        )
    if not 1 <= j <= layer_sizes[layer]:
        raise InputError(
            f"neuron {label!r}: layer {layer} has {layer_sizes[layer]} neurons, "
            f"so j must be 1..{layer_sizes[layer]}"
        )
    return layer, j


def is_slides_shape(layer_sizes: list[int]) -> bool:
    """True for the slides' 2-2-1 layout, where the slides' labels apply."""
    return list(layer_sizes) == [2, 2, 1]


def slides_param_label(ref: ParamRef, *, update_slide: bool = False) -> str | None:
    """The slides' label of one of the 2-2-1 network's parameters (docs/notation.md).

    The forward and gradient slides call the output weights w^2_21 (O1) and w^2_22 (O2),
    "to-from"; the update slide calls them w^2_11 and w^2_21, like ours. Biases are b_11,
    b_12, b_21. First-layer weights carry the same labels as ours.
    """
    if ref.kind == "b":
        return f"b_{ref.layer}{ref.j}"
    if ref.layer == 2 and not update_slide:
        return f"w^2_2{ref.i}"  # the slides' "to-from" index: O1 -> y-hat is w^2_21
    return f"w^{ref.layer}_{ref.i}{ref.j}"
