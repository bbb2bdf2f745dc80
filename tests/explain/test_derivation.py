"""The derivation's structure: the slides' order and formulas, deeper networks, batches, focus."""

from __future__ import annotations

import numpy as np
import pytest

import backproplab as bp
from backproplab.explain import STEP_KINDS, parse_param_name

from .helpers import close, evaluate

REQUIRED = {
    "id", "kind", "symbol", "latex", "formula", "substituted", "value", "param", "layer",
    "neuron", "sample", "slides_label",
}  # fmt: skip


def slides():
    return bp.explain(bp.MLP.slides_network(), [0.05, 0.10], [0.01], lr=0.5).to_dict()


def test_json_structure() -> None:
    data = slides()
    assert data["format"] == "backproplab.explanation" and data["version"] == 1
    assert data["network"] == {
        "layer_sizes": [2, 2, 1],
        "activations": ["sigmoid", "identity"],
        "loss": "mse",
    }
    assert data["lr"] == 0.5 and data["n_samples"] == 1
    assert data["inputs"] == [[0.05, 0.10]] and data["targets"] == [[0.01]]
    flat = [s for sec in data["sections"] for s in sec["steps"]]
    assert flat == data["steps"]
    ids = [s["id"] for s in data["steps"]]
    assert len(ids) == len(set(ids))
    for s in data["steps"]:
        assert set(s) >= REQUIRED, s
        assert s["kind"] in STEP_KINDS
        assert isinstance(s["value"], float)


def test_slides_nine_gradients_in_the_slides_order_with_their_formulas() -> None:
    # The slides' chain-rule formulas, in our notation (docs/notation.md): the slides' w^2_21
    # (O1 -> y-hat) is our w2_11, sigma'' is sigma', and z1_1 = w1_11 i1 + w1_21 i2 + b1_1.
    expected = [
        ("w2_11", "∂L/∂ŷ · ∂ŷ/∂w2_11", "2(ŷ − y) · O1", "w^2_21"),
        ("w2_21", "∂L/∂ŷ · ∂ŷ/∂w2_21", "2(ŷ − y) · O2", "w^2_22"),
        ("b2_1", "∂L/∂ŷ · ∂ŷ/∂b2_1", "2(ŷ − y)", "b_21"),
        ("w1_11", "∂L/∂O1 · ∂O1/∂w1_11", "2(ŷ − y) · w2_11 · σ′(z1_1) · i1", "w^1_11"),
        ("w1_21", "∂L/∂O1 · ∂O1/∂w1_21", "2(ŷ − y) · w2_11 · σ′(z1_1) · i2", "w^1_21"),
        ("b1_1", "∂L/∂O1 · ∂O1/∂b1_1", "2(ŷ − y) · w2_11 · σ′(z1_1)", "b_11"),
        ("w1_12", "∂L/∂O2 · ∂O2/∂w1_12", "2(ŷ − y) · w2_21 · σ′(z1_2) · i1", "w^1_12"),
        ("w1_22", "∂L/∂O2 · ∂O2/∂w1_22", "2(ŷ − y) · w2_21 · σ′(z1_2) · i2", "w^1_22"),
        ("b1_2", "∂L/∂O2 · ∂O2/∂b1_2", "2(ŷ − y) · w2_21 · σ′(z1_2)", "b_12"),
    ]
    grads = [s for s in slides()["steps"] if s["kind"] == "gradient"]
    assert [(s["param"], s["chain"], s["formula"], s["slides_label"]) for s in grads] == expected
    for s in grads:
        assert s["symbol"] == f"∂L/∂{s['param']}"


def test_slides_order_of_the_whole_derivation() -> None:
    data = slides()
    kinds = [s["kind"] for s in data["steps"]]
    # forward, loss, dL/dy-hat, output gradients, dL/dO1, dL/dO2, hidden, updates
    assert kinds.index("loss") > max(i for i, k in enumerate(kinds) if k == "forward")
    first_grad = kinds.index("gradient")
    assert kinds[first_grad - 1] == "output_grad"
    act = [s for s in data["steps"] if s["kind"] == "activation_grad"]
    assert [(s["symbol"], s["chain"], s["formula"]) for s in act] == [
        ("∂L/∂O1", "∂L/∂ŷ · ∂ŷ/∂O1", "∂L/∂ŷ · w2_11"),
        ("∂L/∂O2", "∂L/∂ŷ · ∂ŷ/∂O2", "∂L/∂ŷ · w2_21"),
    ]
    ids = [s["id"] for s in data["steps"]]
    assert (
        ids.index("gradient:b2_1") < ids.index("activation_grad:a1_1") < ids.index("gradient:w1_11")
    )
    forward = {s["symbol"]: s["formula"] for s in data["steps"] if s["kind"] == "forward"}
    assert forward["z1_1"] == "w1_11 · i1 + w1_21 · i2 + b1_1"
    assert forward["O1"] == "σ(z1_1)"
    assert forward["ŷ"] == "w2_11 · O1 + w2_21 · O2 + b2_1"
    loss = next(s for s in data["steps"] if s["kind"] == "loss")
    assert loss["formula"] == "(ŷ − y)²"
    out = next(s for s in data["steps"] if s["kind"] == "output_grad")
    assert (out["symbol"], out["formula"]) == ("∂L/∂ŷ", "2(ŷ − y)")


def test_slides_nine_updates_in_the_update_slides_order() -> None:
    updates = [s for s in slides()["steps"] if s["kind"] == "update"]
    order = ["w1_11", "w1_12", "w1_21", "w1_22", "w2_11", "w2_21", "b1_1", "b1_2", "b2_1"]
    assert [s["param"] for s in updates] == order
    for s in updates:
        assert s["symbol"] == f"{s['param']}(new)"
        assert s["formula"] == f"{s['param']} − η · ∂L/∂{s['param']}"
    # The update slide labels the output weights from-to, like ours.
    labels = {s["param"]: s["slides_label"] for s in updates}
    assert labels["w2_11"] == "w^2_11" and labels["w2_21"] == "w^2_21"
    assert labels["b1_1"] == "b_11"


def test_deeper_network_uses_the_delta_recursion() -> None:
    net = bp.MLP([2, 3, 2, 1], hidden="tanh", seed=7)
    X, Y = [0.4, -0.6], [0.3]
    data = bp.explain(net, X, Y).to_dict()
    by_id = {s["id"]: s for s in data["steps"]}
    # dL/da of a unit of layer 1 is the sum over the 2 units of layer 2 of delta * w.
    s = by_id["activation_grad:a1_3"]
    assert s["formula"] == "δ2_1 · w2_31 + δ2_2 · w2_32"
    manual = (
        by_id["delta:2_1"]["value"] * net.weights[1][2, 0]
        + by_id["delta:2_2"]["value"] * net.weights[1][2, 1]
    )
    assert close(s["value"], manual)
    d = by_id["delta:1_3"]
    assert d["formula"] == "∂L/∂a1_3 · tanh′(z1_3)"
    assert close(d["value"], s["value"] * (1 - np.tanh(by_id["forward:z1_3"]["value"]) ** 2))
    # Layer 2 feeds one output unit: its gradients are written out along the single path.
    assert by_id["gradient:w2_11"]["formula"] == "2(ŷ − y) · w3_11 · tanh′(z2_1) · a1_1"
    # Layer 1 fans out to two units: its gradients name dL/da instead.
    assert by_id["gradient:w1_23"]["formula"] == "∂L/∂a1_3 · tanh′(z1_3) · i2"
    sections = [sec["id"] for sec in data["sections"]]
    assert sections == ["forward", "loss", "layer3", "layer2", "layer1", "update"]


def test_softmax_cross_entropy_shows_the_combined_gradient() -> None:
    net = bp.MLP([2, 3, 3], loss="cross_entropy", seed=1)
    X = [0.5, -0.2]
    data = bp.explain(net, X, [1]).to_dict()  # class label 1, one-hot (0, 1, 0)
    outs = [s for s in data["steps"] if s["kind"] == "output_grad"]
    assert [s["formula"] for s in outs] == ["ŷ1 − y1", "ŷ2 − y2", "ŷ3 − y3"]
    trace = net.forward(X)
    z = trace.z[-1][0]
    softmax = np.exp(z - z.max()) / np.exp(z - z.max()).sum()
    for s, expected in zip(outs, softmax - np.array([0.0, 1.0, 0.0]), strict=True):
        assert close(s["value"], expected)
    loss = next(s for s in data["steps"] if s["kind"] == "loss")
    assert loss["formula"] == "−log(ŷ2)"


def test_batch_shows_per_sample_terms_and_their_mean() -> None:
    net = bp.MLP.slides_network()
    X = np.array([[0.05, 0.10], [0.3, -0.2], [1.0, 0.5], [-0.4, 0.9]])
    Y = np.array([[0.01], [0.5], [0.2], [0.9]])
    data = bp.explain(net, X, Y).to_dict()
    outs = [s for s in data["steps"] if s["kind"] == "output_grad"]
    assert [s["sample"] for s in outs] == [1, 2, 3, 4]
    assert all(s["formula"].startswith("(2/n)") for s in outs)
    for name in ("w1_21", "b2_1"):
        terms = [s for s in data["steps"] if s["param"] == name and s["kind"] == "gradient"]
        assert [s["sample"] for s in terms] == [1, 2, 3, 4, None]
        # Each sample's term is 1/n of that sample's own (one-sample) gradient ...
        kind, layer, i, j = parse_param_name(name)
        for s in terms[:-1]:
            g = net.gradients(X[s["sample"] - 1], Y[s["sample"] - 1])
            own = g.weights[layer - 1][i - 1, j - 1] if kind == "w" else g.biases[layer - 1][j - 1]
            assert close(s["value"], own / 4)
        # ... and the total, their sum, is the mean of the per-sample gradients.
        assert close(terms[-1]["value"], sum(t["value"] for t in terms[:-1]))
        assert close(evaluate(terms[-1]["substituted"]), terms[-1]["value"])
        assert "mean" in terms[-1]["note"]
    assert data["inputs"] == X.tolist()


def test_focus_on_one_parameter() -> None:
    net = bp.MLP([3, 8, 8, 2], hidden="relu", seed=0)
    X, Y = [0.2, 0.4, -0.1], [0.5, 0.1]
    full = bp.explain(net, X, Y).to_dict()
    focused = bp.explain(net, X, Y, param="w2_35").to_dict()
    assert focused["focus"] == {"param": "w2_35"}
    assert len(focused["steps"]) < len(full["steps"]) / 5
    params = {s["param"] for s in focused["steps"] if s["param"]}
    assert params == {"w2_35"}
    kinds = [s["kind"] for s in focused["steps"]]
    assert kinds.count("gradient") == 1 and kinds.count("update") == 1
    for kind in ("delta", "activation_grad"):
        assert [(s["layer"], s["neuron"]) for s in focused["steps"] if s["kind"] == kind] == [
            (2, 5)
        ]
    full_by_id = {s["id"]: s for s in full["steps"]}
    for s in focused["steps"]:
        assert s == full_by_id[s["id"]]


def test_focus_on_one_neuron() -> None:
    net = bp.MLP([2, 4, 1], seed=0)
    data = bp.explain(net, [0.1, 0.2], [0.3], neuron="O3").to_dict()
    params = [s["param"] for s in data["steps"] if s["kind"] == "gradient"]
    assert params == ["w1_13", "w1_23", "b1_3"]
    assert bp.explain(net, [0.1, 0.2], [0.3], neuron=(1, 3)).to_dict()["steps"] == data["steps"]


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"param": "w9_11"}, "layer 9 does not exist"),
        ({"param": "v1_11"}, "unknown parameter name 'v1_11'"),
        ({"param": "w1_31"}, "i must be 1..2"),
        ({"neuron": "a5_1"}, "layer 5 does not exist"),
        ({"param": "w1_11", "neuron": "O1"}, "not both"),
    ],
)
def test_focus_errors_are_clear(kwargs, message) -> None:
    with pytest.raises(bp.InputError, match=message):
        bp.explain(bp.MLP.slides_network(), [0.05, 0.10], [0.01], **kwargs)


def test_bad_inputs_are_input_errors() -> None:
    net = bp.MLP.slides_network()
    with pytest.raises(bp.InputError, match="needs 2 values"):
        bp.explain(net, [0.05, 0.10, 0.3], [0.01])
    with pytest.raises(bp.InputError, match="lr"):
        bp.explain(net, [0.05, 0.10], [0.01], lr=-1)
    with pytest.raises(bp.InputError, match="MLP"):
        bp.explain("net", [0.05, 0.10], [0.01])
