"""The explanation of networks with the new activations: every step's substituted formula
(printed from the engine's table) evaluates, in plain Python, to the engine's value."""

from __future__ import annotations

import numpy as np
import pytest

import backproplab as bp

from .helpers import close, evaluate


@pytest.mark.parametrize("hidden", ["elu", "softplus", "silu", "gelu", "leaky_relu"])
def test_every_step_evaluates_to_its_value(hidden) -> None:
    net = bp.MLP([2, 3, 1], activations=[hidden, "identity"], seed=0)
    net.biases = [np.array([0.3, -0.4, 0.1]), np.array([0.2])]
    exp = bp.explain(net, [[0.5, -1.5]], [[0.25]], lr=0.5)
    steps = exp.to_dict()["sections"]
    n = 0
    for section in steps:
        for step in section["steps"]:
            if step.get("substituted") and step.get("value") is not None:
                assert close(evaluate(step["substituted"]), step["value"]), step
                n += 1
    assert n > 20
    text = exp.to_text()
    assert f"{hidden}′" in text or hidden == "identity"
    g = net.gradients([[0.5, -1.5]], [[0.25]])
    printed = f"{g.weights[0][0, 0]:.6g}"[:6].replace("-", "−")  # the text prints a minus sign
    assert printed in text  # the engine's own gradient
