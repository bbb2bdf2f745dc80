"""One vocabulary: the lab's labels, formulas and precision come from explain (issue 12)."""

from __future__ import annotations

import httpx
import numpy as np

import backproplab as bp
from backproplab.engine.functions import ACTIVATIONS
from backproplab.explain.expr import display_digits, format_number
from backproplab.explain.symbols import Namer
from backproplab.lab.labels import DISPLAY_DIGITS
from backproplab.lab.models import DATA_CHOICES, LOSSES, OUTPUT_ACTIVATIONS

from .test_api import ok

SLIDES_X = np.array([bp.SLIDES_INPUT])
SLIDES_Y = np.array([bp.SLIDES_TARGET])


def test_a_new_network_comes_with_explains_names(client: httpx.Client) -> None:
    slides = ok(client.post("/api/config", json={}))["labels"]
    assert slides["digits"] == DISPLAY_DIGITS
    # The slides' names, as the derivation panel writes them: i1, O1, ŷ.
    assert [[n["text"] for n in layer] for layer in slides["nodes"]] == [
        ["i1", "i2"],
        ["O1", "O2"],
        ["ŷ"],
    ]
    assert slides["weights"][1][0][0]["id"] == "w2_11"
    assert slides["biases"][0][1]["id"] == "b1_2"
    assert slides["nodes"][1][0]["mathml"] == "<msub><mi>O</mi><mn>1</mn></msub>"
    grad = slides["gradient_of"]["mathml"].replace("{}", slides["weights"][0][0][0]["mathml"])
    assert grad.startswith("<mfrac>") and "<mi>w</mi>" in grad

    config = {"data": "xor", "hidden": [{"units": 12, "activation": "tanh"}] * 2, "loss": "bce"}
    deep = ok(client.post("/api/config", json=config))
    names = deep["labels"]
    namer = Namer([2, 12, 12, 1], 1)
    assert names["nodes"][2][11]["text"] == namer.act(2, 12).text == "a2_12"
    assert names["deltas"][0][3]["mathml"] == namer.delta(1, 4).mathml
    assert names["weights"][1][11][2]["id"] == "w2_12_3"  # explain's two-digit form
    assert names["output_grads"][0]["text"] == "∂L/∂ŷ"
    # Steps do not carry them again: names change only with the network.
    assert "labels" not in ok(client.post("/api/forward"))


def test_the_derivation_arrives_as_mathml_at_the_pages_precision(client: httpx.Client) -> None:
    ok(client.post("/api/config", json={"lr": 0.5}))
    ok(client.post("/api/step"))
    got = ok(client.get("/api/explain", params={"param": "w1_11"}))
    expected = bp.explain(bp.MLP.slides_network(), SLIDES_X, SLIDES_Y, lr=0.5, param="w1_11")
    assert len(got["rendered"]) == len(got["steps"]) == len(expected.steps)
    assert got["title"]["mathml"] == "<msubsup><mi>w</mi><mn>11</mn><mn>1</mn></msubsup>"
    for shown, step in zip(got["rendered"], expected.steps, strict=True):
        assert shown["mathml"].startswith('<math display="block">')
        assert "\\" not in shown["mathml"]  # no LaTeX left for the page to parse
        with display_digits(DISPLAY_DIGITS):
            assert shown["value"] == format_number(step.value, "num")
        assert shown["value"] == f"{step.value:.{DISPLAY_DIGITS}g}".replace("-", "−")
    # explain's own output keeps its six digits outside the lab.
    assert format_number(1 / 3, "num") == "0.333333"


def test_options_carry_the_pages_words_for_every_choice(client: httpx.Client) -> None:
    options = ok(client.get("/api/options"))
    vocab = options["vocabulary"]
    assert vocab["digits"] == DISPLAY_DIGITS
    assert set(vocab["phases"]) == {"ready", "forward", "backward", "update"}
    assert "<math>" in vocab["phases"]["update"]["html"]
    assert vocab["phases"]["update"]["text"].startswith("Update done: w ← w − η ∂L/∂w")
    assert vocab["symbols"]["eta"]["text"] == "η"
    kinds = {k.removeprefix("step-") for k in vocab["phrases"] if k.startswith("step-")}
    assert kinds == set(bp.explain.STEP_KINDS)
    choices = [
        *options["data"],
        *DATA_CHOICES,
        *options["hidden_activations"],
        *OUTPUT_ACTIVATIONS,
        *LOSSES,
    ]
    assert set(choices) <= set(vocab["options"])


def test_every_hidden_activation_of_the_engine_is_offered(client: httpx.Client) -> None:
    options = ok(client.get("/api/options"))
    engine = {d.name for d in ACTIVATIONS if not d.output_only}
    assert set(options["hidden_activations"]) == engine
    assert {"elu", "softplus", "silu", "gelu"} <= engine
    for name in ("elu", "softplus", "silu", "gelu"):
        config = {"data": "xor", "hidden": [{"units": 3, "activation": name}], "loss": "bce"}
        state = ok(client.post("/api/config", json=config))
        assert state["network"]["activations"] == [name, "sigmoid"]
    refused = client.post("/api/config", json={"hidden": [{"units": 2, "activation": "softmax"}]})
    assert refused.status_code == 422
