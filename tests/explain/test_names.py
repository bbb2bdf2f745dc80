"""Parameter names: w{l}_{i}{j}, w{l}_{i}_{j}, b{l}_{j}, parsed and printed."""

from __future__ import annotations

import pytest

import backproplab as bp
from backproplab.explain import param_name, parse_neuron_name, parse_param_name


@pytest.mark.parametrize(
    ("name", "ref"),
    [
        ("w2_11", ("w", 2, 1, 1)),
        ("w1_21", ("w", 1, 2, 1)),
        ("w1_12_3", ("w", 1, 12, 3)),
        ("w3_1_10", ("w", 3, 1, 10)),
        ("b1_2", ("b", 1, None, 2)),
        ("B12_14", ("b", 12, None, 14)),
    ],
)
def test_round_trip(name: str, ref: tuple) -> None:
    assert tuple(parse_param_name(name)) == ref
    assert param_name(*ref) == name.lower()


def test_reachable_from_the_package() -> None:
    assert bp.explain.parse_param_name("w2_11") == ("w", 2, 1, 1)
    assert bp.explain.param_name("w", 2, 1, 1) == "w2_11"


@pytest.mark.parametrize("bad", ["w2_1", "w2_111", "x1_1", "w2-11", "", "w0_11", "b1_0", "w1"])
def test_unknown_names_raise_a_clear_input_error(bad: str) -> None:
    with pytest.raises(bp.InputError, match="parameter"):
        parse_param_name(bad)


def test_checked_against_a_network() -> None:
    sizes = [2, 2, 1]
    assert parse_param_name("w2_21", sizes) == ("w", 2, 2, 1)
    with pytest.raises(bp.InputError, match="j must be 1..1"):
        parse_param_name("w2_12", sizes)
    with pytest.raises(bp.InputError, match="layer 3 does not exist"):
        parse_param_name("b3_1", sizes)


def test_neuron_names() -> None:
    assert parse_neuron_name("a1_2", [2, 2, 1]) == (1, 2)
    assert parse_neuron_name("O2", [2, 2, 1]) == (1, 2)
    assert parse_neuron_name("y", [2, 2, 1]) == (2, 1)
    with pytest.raises(bp.InputError, match="unknown neuron"):
        parse_neuron_name("q7", [2, 2, 1])
