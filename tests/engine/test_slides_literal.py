"""The slides, literally: their nine derivatives and nine updates in plain Python floats.

Each formula below is typed from the slides (with our consistent labels: w2_11 is the
weight O1 -> y-hat, which the forward slides call w^2_21), and the engine must agree to 1e-12.
"""

from __future__ import annotations

import math

import numpy as np
import pytest

from backproplab import MLP


def sigmoid(x: float) -> float:
    return 1.0 / (1.0 + math.exp(-x))


def sigmoid_prime(x: float) -> float:
    # The slides' "sigma''": d/dx sigma(x) = sigma(x) * (1 - sigma(x)).
    return sigmoid(x) * (1.0 - sigmoid(x))


def slide_gradients(p: dict[str, float], i1: float, i2: float, y: float) -> dict[str, float]:
    """One sample (n = 1), so dL/dy-hat = 2(y-hat - y) exactly as on the slide."""
    x1 = p["w1_11"] * i1 + p["w1_21"] * i2 + p["b1_1"]
    x2 = p["w1_12"] * i1 + p["w1_22"] * i2 + p["b1_2"]
    O1, O2 = sigmoid(x1), sigmoid(x2)
    y_hat = p["w2_11"] * O1 + p["w2_21"] * O2 + p["b2_1"]
    dL_dyhat = 2 * (y_hat - y)
    return {
        "loss": (y_hat - y) ** 2,
        # Output layer: dL/dw = dL/dy-hat * dy-hat/dw.
        "w2_11": 2 * (y_hat - y) * O1,
        "w2_21": 2 * (y_hat - y) * O2,
        "b2_1": 2 * (y_hat - y),
        # Hidden layer: 2(y-hat - y) * w2 * sigma'(w1_11 i1 + w1_21 i2 + b11) * i.
        "w1_11": dL_dyhat * p["w2_11"] * sigmoid_prime(x1) * i1,
        "w1_21": dL_dyhat * p["w2_11"] * sigmoid_prime(x1) * i2,
        "b1_1": dL_dyhat * p["w2_11"] * sigmoid_prime(x1),
        "w1_12": dL_dyhat * p["w2_21"] * sigmoid_prime(x2) * i1,
        "w1_22": dL_dyhat * p["w2_21"] * sigmoid_prime(x2) * i2,
        "b1_2": dL_dyhat * p["w2_21"] * sigmoid_prime(x2),
    }


def params_of(net: MLP) -> dict[str, float]:
    W1, W2 = net.weights
    b1, b2 = net.biases
    return {
        "w1_11": W1[0, 0], "w1_21": W1[1, 0], "w1_12": W1[0, 1], "w1_22": W1[1, 1],
        "b1_1": b1[0], "b1_2": b1[1],
        "w2_11": W2[0, 0], "w2_21": W2[1, 0], "b2_1": b2[0],
    }  # fmt: skip


def grads_of(net: MLP, X, Y) -> dict[str, float]:
    g = net.gradients(X, Y)
    gW1, gW2 = g.weights
    gb1, gb2 = g.biases
    return {
        "loss": g.loss,
        "w1_11": gW1[0, 0], "w1_21": gW1[1, 0], "w1_12": gW1[0, 1], "w1_22": gW1[1, 1],
        "b1_1": gb1[0], "b1_2": gb1[1],
        "w2_11": gW2[0, 0], "w2_21": gW2[1, 0], "b2_1": gb2[0],
    }  # fmt: skip


CASES = [
    # (seed for weights or None for the documented defaults, i1, i2, y)
    (None, 0.05, 0.10, 0.01),
    (None, 1.0, 0.0, 1.0),
    (1, 0.0, 1.0, 1.0),
    (2, -1.5, 2.5, -0.3),
    (3, 3.0, -4.0, 7.0),
    (4, 0.25, 0.75, 0.0),
]


@pytest.mark.parametrize(("seed", "i1", "i2", "y"), CASES)
def test_nine_gradients_match_the_slide_formulas(seed, i1, i2, y):
    net = MLP.slides_network(seed=seed)
    if seed is not None:  # random biases too, so that no term of the formulas is zero
        rng = np.random.default_rng(seed + 100)
        net.biases = [rng.normal(size=2), rng.normal(size=1)]
    expected = slide_gradients(params_of(net), i1, i2, y)
    got = grads_of(net, [[i1, i2]], [[y]])
    assert set(got) == set(expected)
    for name, value in expected.items():
        assert got[name] == pytest.approx(value, abs=1e-12, rel=1e-12), name


@pytest.mark.parametrize(("seed", "i1", "i2", "y"), CASES)
@pytest.mark.parametrize("lr", [0.5, 0.01])
def test_nine_updates_match_the_slide_update_formulas(seed, i1, i2, y, lr):
    net = MLP.slides_network(seed=seed)
    before = params_of(net)
    grads = slide_gradients(before, i1, i2, y)
    loss = net.step([[i1, i2]], [[y]], lr=lr)
    after = params_of(net)
    assert loss == pytest.approx(grads["loss"], abs=1e-12)
    for name in before:
        # w(new) = w - eta dL/dw, every parameter from the same forward pass.
        assert after[name] == pytest.approx(before[name] - lr * grads[name], abs=1e-12), name


def test_batch_gradient_is_the_mean_of_per_sample_slide_gradients():
    """With n samples, L = (1/n) sum (y-hat - y)^2, so each gradient is the mean."""
    net = MLP.slides_network()
    samples = [(0.05, 0.10, 0.01), (1.0, 0.0, 1.0), (-0.5, 2.0, 0.3)]
    p = params_of(net)
    per_sample = [slide_gradients(p, *s) for s in samples]
    got = grads_of(net, [[s[0], s[1]] for s in samples], [[s[2]] for s in samples])
    for name in got:
        mean = sum(g[name] for g in per_sample) / len(samples)
        assert got[name] == pytest.approx(mean, abs=1e-12), name


def test_documented_default_parameters():
    net = MLP.slides_network()
    assert params_of(net) == {
        "w1_11": 0.15, "w1_21": 0.20, "w1_12": 0.25, "w1_22": 0.30,
        "b1_1": 0.35, "b1_2": 0.35, "w2_11": 0.40, "w2_21": 0.45, "b2_1": 0.60,
    }  # fmt: skip
    assert net.activations == ["sigmoid", "identity"]
    assert net.loss_name == "mse"


def test_forward_matches_the_slide_forward_formulas():
    net = MLP.slides_network()
    p = params_of(net)
    i1, i2 = 0.05, 0.10
    trace = net.forward([[i1, i2]])
    O1 = sigmoid(p["w1_11"] * i1 + p["w1_21"] * i2 + p["b1_1"])
    O2 = sigmoid(p["w1_12"] * i1 + p["w1_22"] * i2 + p["b1_2"])
    assert trace.a[1][0, 0] == pytest.approx(O1, abs=1e-15)
    assert trace.a[1][0, 1] == pytest.approx(O2, abs=1e-15)
    assert trace.output[0, 0] == pytest.approx(p["w2_11"] * O1 + p["w2_21"] * O2 + p["b2_1"])
