"""Every printed number re-evaluates with plain Python and matches the engine and torch."""

from __future__ import annotations

import json

import numpy as np
import pytest
import torch

import backproplab as bp
from backproplab.explain import parse_param_name

from .helpers import close, evaluate

CASES = {
    "slides": (lambda: bp.MLP.slides_network(), [0.05, 0.10], [0.01]),
    "slides-batch": (
        lambda: bp.MLP.slides_network(),
        [[0.05, 0.10], [0.3, -0.2], [1.0, 0.5], [-0.4, 0.9]],
        [[0.01], [0.5], [0.2], [0.9]],
    ),
    "deep-tanh": (
        lambda: bp.MLP([3, 4, 3, 2], hidden="tanh", seed=3),
        [[0.2, -0.5, 0.9], [0.1, 0.4, -0.3]],
        [[0.3, -0.1], [0.7, 0.2]],
    ),
    "deep-relu-leaky": (
        lambda: bp.MLP([2, 5, 4, 1], activations=["relu", "leaky_relu", "identity"], seed=5),
        [[0.7, -0.3], [0.2, 0.9], [-0.5, 0.4]],
        [[1.0], [0.0], [0.5]],
    ),
    "softmax-ce": (
        lambda: bp.MLP([2, 3, 3], loss="cross_entropy", seed=1),
        [[0.5, -0.2], [0.1, 0.8]],
        [0, 2],
    ),
    "sigmoid-bce": (
        lambda: bp.MLP([2, 3, 1], hidden="tanh", loss="bce", seed=2),
        [[0.5, -0.2], [0.1, 0.8]],
        [[1.0], [0.0]],
    ),
    "sigmoid-output-mse": (
        lambda: bp.MLP([2, 2, 2], activations=["sigmoid", "sigmoid"], seed=4),
        [0.3, 0.6],
        [0.2, 0.9],
    ),
    "softmax-output-mse": (
        lambda: bp.MLP([2, 3, 3], activations=["tanh", "softmax"], seed=6),
        [[0.3, 0.6]],
        [[0.0, 1.0, 0.0]],
    ),
}


def _torch_gradients(net: bp.MLP, X, Y) -> dict[str, float]:
    """dL/dparameter by torch autograd, an independent implementation of the same loss."""
    Xt = torch.tensor(net.check_X(X))
    Yt = torch.tensor(net.check_Y(Y, Xt.shape[0]))
    Ws = [torch.tensor(w, requires_grad=True) for w in net.weights]
    bs = [torch.tensor(b, requires_grad=True) for b in net.biases]
    acts = {
        "sigmoid": torch.sigmoid,
        "tanh": torch.tanh,
        "relu": torch.relu,
        "leaky_relu": lambda z: torch.nn.functional.leaky_relu(z, 0.01),
        "identity": lambda z: z,
        "softmax": lambda z: torch.softmax(z, dim=1),
    }
    a = Xt
    z = a
    for W, b, name in zip(Ws, bs, net.activations, strict=True):
        z = a @ W + b
        a = acts[name](z)
    if net.loss_name == "mse":
        loss = torch.mean((a - Yt) ** 2)
    elif net.loss_name == "bce":
        loss = torch.nn.functional.binary_cross_entropy_with_logits(z, Yt)
    else:
        loss = -(Yt * torch.log_softmax(z, dim=1)).sum() / Xt.shape[0]
    loss.backward()
    out = {}
    for l, (W, b) in enumerate(zip(Ws, bs, strict=True), start=1):
        for i in range(W.shape[0]):
            for j in range(W.shape[1]):
                out[bp.explain.param_name("w", l, i + 1, j + 1)] = float(W.grad[i, j])
        for j in range(b.shape[0]):
            out[bp.explain.param_name("b", l, None, j + 1)] = float(b.grad[j])
    return out


@pytest.mark.parametrize("case", sorted(CASES))
def test_substituted_reevaluates_to_value_and_engine(case: str) -> None:
    make, X, Y = CASES[case]
    net = make()
    data = json.loads(bp.explain(net, X, Y, lr=0.3).to_json())
    assert data["steps"], "no steps"
    for step in data["steps"]:
        got = evaluate(step["substituted"])
        assert close(got, step["value"]), (step["id"], step["substituted"], got, step["value"])
    grads = net.gradients(X, Y)
    totals = {
        s["param"]: s for s in data["steps"] if s["kind"] == "gradient" and s["sample"] is None
    }
    assert len(totals) == net.n_parameters
    for name, step in totals.items():
        kind, layer, i, j = parse_param_name(name)
        arr = (
            grads.weights[layer - 1][i - 1, j - 1]
            if kind == "w"
            else grads.biases[layer - 1][j - 1]
        )
        assert close(step["value"], float(arr)), name
        assert close(evaluate(step["substituted"]), float(arr)), name
    loss = next(s for s in data["steps"] if s["kind"] == "loss")
    assert close(loss["value"], net.loss(X, Y))


@pytest.mark.parametrize("case", sorted(CASES))
def test_gradients_agree_with_torch_autograd(case: str) -> None:
    make, X, Y = CASES[case]
    net = make()
    reference = _torch_gradients(net, X, Y)
    steps = bp.explain(net, X, Y).to_dict()["steps"]
    for s in steps:
        if s["kind"] == "gradient" and s["sample"] is None:
            assert abs(evaluate(s["substituted"]) - reference[s["param"]]) < 1e-10, s["param"]


@pytest.mark.parametrize("case", sorted(CASES))
def test_updates_are_w_minus_eta_times_the_torch_gradient(case: str) -> None:
    make, X, Y = CASES[case]
    net = make()
    before = net.copy()
    data = bp.explain(net, X, Y, lr=0.7).to_dict()
    # explain never changes the network it explains
    for w0, w1 in zip(before.parameters(), net.parameters(), strict=True):
        np.testing.assert_array_equal(w0, w1)
    reference = _torch_gradients(net, X, Y)
    updates = [s for s in data["steps"] if s["kind"] == "update"]
    assert len(updates) == net.n_parameters
    for s in updates:
        kind, layer, i, j = parse_param_name(s["param"])
        old = net.weights[layer - 1][i - 1, j - 1] if kind == "w" else net.biases[layer - 1][j - 1]
        expected = float(old) - 0.7 * reference[s["param"]]
        assert abs(s["value"] - expected) < 1e-10, s["param"]
        assert close(evaluate(s["substituted"]), s["value"])


def test_forward_values_match_a_hand_computation() -> None:
    import math

    data = bp.explain(bp.MLP.slides_network(), [0.05, 0.10], [0.01]).to_dict()
    by_id = {s["id"]: s for s in data["steps"]}
    z1 = 0.15 * 0.05 + 0.20 * 0.10 + 0.35
    z2 = 0.25 * 0.05 + 0.30 * 0.10 + 0.35
    o1, o2 = 1 / (1 + math.exp(-z1)), 1 / (1 + math.exp(-z2))
    yhat = 0.40 * o1 + 0.45 * o2 + 0.60
    assert close(by_id["forward:z1_1"]["value"], z1)
    assert close(by_id["forward:a1_1"]["value"], o1)
    assert close(by_id["forward:a1_2"]["value"], o2)
    assert close(by_id["forward:a2_1"]["value"], yhat)
    assert close(by_id["loss"]["value"], (yhat - 0.01) ** 2)
    assert close(by_id["output_grad:a2_1"]["value"], 2 * (yhat - 0.01))
    assert close(by_id["gradient:w1_11"]["value"], 2 * (yhat - 0.01) * 0.40 * o1 * (1 - o1) * 0.05)
