"""Exercises: the answer is accepted, each mistake's wrong value (built here, independently)
is named, and other values are not."""

from __future__ import annotations

import json
import math
import random

import pytest

from backproplab.engine.errors import InputError
from backproplab.practice import LEVELS, MISTAKES, exercise, quantities, tolerance

from . import reference as ref

SEEDS = range(20)


def _near(a: float, b: float) -> bool:
    return abs(a - b) <= tolerance(b)


def _sig4(v: float) -> float:
    return float(f"{v:.4g}")


@pytest.mark.parametrize("level", list(LEVELS))
def test_the_answer_is_accepted_and_equals_the_independent_one(level):
    for seed in SEEDS:
        ex = exercise(seed=seed, level=level)
        d = json.loads(json.dumps(ex.to_dict()))  # JSON-serialisable
        expected = ref.correct(d)
        assert math.isclose(ex.answer, expected, rel_tol=1e-9, abs_tol=1e-12), (seed, ex.asks)
        for given in (ex.answer, _sig4(ex.answer), f"{ex.answer:.4g}"):
            fb = ex.check(given)
            assert fb.correct and fb.mistake is None, (seed, ex.asks, given, fb.message)
        # The numbers of an exercise are rounded to two decimals so they can be done by hand.
        for W in d["weights"]:
            assert all(round(v, 2) == v for row in W for v in row)
        assert all(round(v, 2) == v for row in d["x"] for v in row)


def test_slides_level_by_the_slides_formulas():
    """The 2-2-1 network, written out as on the slides, for every quantity of a few seeds."""
    for seed in range(5):
        for asks in ("y_hat", "dL/dO1", "dL/dw2_21", "dL/dw1_12", "dL/db1_2", "w1_21(new)"):
            d = exercise(seed=seed, level="slides", asks=asks).to_dict()
            (w11, w12), (w21, w22) = d["weights"][0]
            (v1,), (v2,) = d["weights"][1]
            b11, b12 = d["biases"][0]
            (b21,) = d["biases"][1]
            (i1, i2), (y,), eta = d["x"][0], d["y"][0], d["lr"]
            z1, z2 = w11 * i1 + w21 * i2 + b11, w12 * i1 + w22 * i2 + b12
            o1, o2 = 1 / (1 + math.exp(-z1)), 1 / (1 + math.exp(-z2))
            y_hat = v1 * o1 + v2 * o2 + b21
            dy = 2 * (y_hat - y)
            s1, s2 = o1 * (1 - o1), o2 * (1 - o2)
            right = {
                "y_hat": y_hat,
                "dL/dO1": dy * v1,
                "dL/dw2_21": dy * o2,
                "dL/dw1_12": dy * v2 * s2 * i1,
                "dL/db1_2": dy * v2 * s2,
                "w1_21(new)": w21 - eta * dy * v1 * s1 * i2,
            }[asks]
            wrong = {
                "dL/dw1_12": {
                    "no_activation_derivative": dy * v2 * i1,
                    "no_factor_two": (y_hat - y) * v2 * s2 * i1,
                    "updated_weights": dy * (v2 - eta * dy * o2) * s2 * i1,
                    "transposed_weight": dy * v1 * s1 * i2,
                    "derivative_at_activation": dy
                    * v2
                    * (1 / (1 + math.exp(-o2)))
                    * (1 - 1 / (1 + math.exp(-o2)))
                    * i1,
                    "sign": -right,
                    "update_not_gradient": w12 - eta * right,
                },
                "w1_21(new)": {
                    "no_activation_derivative": w21 - eta * dy * v1 * i2,
                    "no_learning_rate": w21 - dy * v1 * s1 * i2,
                    "gradient_not_update": dy * v1 * s1 * i2,
                },
            }.get(asks, {})
            ex = exercise(seed=seed, level="slides", asks=asks)
            assert math.isclose(ex.answer, right, rel_tol=1e-9, abs_tol=1e-12)
            for mistake, value in wrong.items():
                if not _near(value, right):
                    assert mistake in ex.check(value).mistakes, (seed, asks, mistake)


@pytest.mark.parametrize("level", list(LEVELS))
def test_each_mistake_is_named(level):
    seen: set[str] = set()
    for seed in range(8):
        base = exercise(seed=seed, level=level)
        for asks in quantities(level, base.network):
            ex = exercise(seed=seed, level=level, asks=asks)
            d = ex.to_dict()
            right = ref.correct(d)
            for mistake, value in ref.mistakes(d).items():
                if _near(value, right) or not math.isfinite(value):
                    continue
                fb = ex.check(value)
                assert not fb.correct
                assert mistake in fb.mistakes, (seed, asks, mistake, value, fb)
                assert fb.mistake in fb.mistakes and fb.given == value
                assert MISTAKES[mistake].split(":")[0] in fb.message
                seen.add(mistake)
    applicable = {
        "slides": set(MISTAKES) - {"no_mean", "softmax_elementwise"},
        "batch": set(MISTAKES) - {"softmax_elementwise"},
        "deeper": set(MISTAKES) - {"no_mean", "softmax_elementwise"},
        "softmax": set(MISTAKES) - {"no_mean", "no_factor_two"},
    }[level]
    assert seen == applicable


@pytest.mark.parametrize("level", list(LEVELS))
def test_other_values_are_not_a_known_mistake(level):
    rng = random.Random(level)
    checked = 0
    for seed in range(10):
        ex = exercise(seed=seed, level=level)
        d = ex.to_dict()
        known = [ref.correct(d), *ref.mistakes(d).values()]
        for _ in range(3):
            value = rng.uniform(-2, 2)
            if any(_near(value, k) for k in known):
                continue
            fb = ex.check(value)
            assert not fb.correct and fb.mistake is None and fb.mistakes == []
            assert fb.message.startswith("not a known mistake")
            assert "re-check" in fb.message
            checked += 1
    assert checked >= 25


def test_asks_and_explanation_focus():
    ex = exercise(seed=1, level="slides", asks="dL/dw1_11")
    e = ex.explanation()
    assert e.focus == {"param": "w1_11"}
    assert math.isclose(e.step("gradient:w1_11").value, ex.answer, rel_tol=1e-12)
    ex = exercise(seed=1, level="slides", asks="w1_21(new)")
    assert math.isclose(ex.explanation().step("update:w1_21").value, ex.answer, rel_tol=1e-12)
    ex = exercise(seed=1, level="slides", asks="dL/dO2")
    assert ex.explanation().focus == {"neuron": [1, 2]}
    assert "∂L/∂O2" in ex.question
    # Seeded: the same seed gives the same exercise, another seed another.
    assert exercise(5).to_dict() == exercise(5).to_dict()
    assert exercise(5).to_dict() != exercise(6).to_dict()


def test_batch_and_levels_shape():
    for seed in SEEDS:
        assert 2 <= len(exercise(seed, "batch").x) <= 4
        deeper = exercise(seed, "deeper")
        assert deeper.network.layer_sizes == [2, 2, 2, 1]
        assert deeper.network.activations[0] in ("tanh", "sigmoid")
        assert exercise(seed, "softmax").network.activations[-1] == "softmax"


@pytest.mark.parametrize(
    "call",
    [
        lambda: exercise(level="nope"),
        lambda: exercise(seed=-1),
        lambda: exercise(asks="dL/dw3_11"),
        lambda: exercise(asks="banana"),
        lambda: exercise().check("abc"),
        lambda: exercise().check(float("nan")),
    ],
)
def test_bad_input_is_one_clear_error(call):
    with pytest.raises(InputError):
        call()


def test_the_practice_page_lists_every_mistake_with_an_example():
    from pathlib import Path

    from backproplab.practice import MISTAKES

    page = (Path(__file__).parents[2] / "docs" / "practice.md").read_text()
    for mistake in MISTAKES:
        section = page.split(f"## `{mistake}`", 1)[1].split("\n## ", 1)[0]
        assert "*Example*" in section and f"diagnosed as `{mistake}`" in section
