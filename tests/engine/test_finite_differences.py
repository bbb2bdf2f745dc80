"""Backprop against central differences, over random architectures (Hypothesis)."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import HealthCheck, assume, given, settings

from backproplab import MLP, gradcheck
from backproplab.engine.gradcheck import numerical_gradients

from .strategies import network_and_batch


def _kink_free(net: MLP, X) -> bool:
    """Central differences are meaningless within eps of a ReLU kink (or ELU's, whose second
    derivative jumps at 0, which the 4th-order stencil assumes smooth); such draws are rare."""
    trace = net.forward(X)
    for z, act in zip(trace.z, net.activations, strict=True):
        if act in ("relu", "leaky_relu", "elu") and np.min(np.abs(z)) < 1e-2:
            return False
    return True


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(network_and_batch())
def test_backprop_matches_central_differences(case):
    net, X, Y = case
    # Within 2h of a ReLU kink no finite difference is meaningful: Hypothesis draws another.
    assume(_kink_free(net, X))
    report = gradcheck(net, X, Y)
    assert report.max_rel_error < 1e-6, str(report)


def test_gradcheck_catches_a_wrong_gradient(monkeypatch):
    """The check itself must be able to fail: break the backward pass and see it."""
    net = MLP([3, 4, 2], hidden="tanh", seed=1)
    X = np.random.default_rng(0).normal(size=(5, 3))
    Y = np.random.default_rng(1).normal(size=(5, 2))
    assert gradcheck(net, X, Y).passed()
    act = net.activation_functions[0]
    # wrong: tanh' is 1 - a^2 (the backward rule is the table's chain, patched here)
    monkeypatch.setattr(act, "backward", lambda g, z, a, out=None, scratch=None: g * (1.0 - a))
    assert not gradcheck(net, X, Y).passed()


def test_gradcheck_report_lists_every_array():
    net = MLP([2, 3, 3, 1], seed=0)
    report = gradcheck(net, [[0.1, 0.2]], [[0.3]])
    assert [c.name for c in report.checks] == [
        "weights[0]", "biases[0]", "weights[1]", "biases[1]", "weights[2]", "biases[2]"
    ]  # fmt: skip
    assert report.to_dict()["max_rel_error"] == report.max_rel_error
    assert "weights[2]" in str(report)


def test_numerical_gradients_leave_parameters_unchanged():
    net = MLP([2, 3, 1], seed=0)
    before = [p.copy() for p in net.parameters()]
    numerical_gradients(net, [[0.5, -0.5]], [[1.0]])
    for a, b in zip(before, net.parameters(), strict=True):
        np.testing.assert_array_equal(a, b)


@pytest.mark.parametrize("act", ["relu", "leaky_relu"])
def test_rectifier_away_from_the_kink(act):
    net = MLP([2, 5, 1], activations=[act, "identity"], seed=3)
    X = np.array([[0.7, -1.3], [2.0, 0.4]])
    assert _kink_free(net, X)
    assert gradcheck(net, X, [[0.5], [-1.0]]).passed(1e-7)


def test_second_order_differences_agree_too():
    net = MLP([3, 4, 2], hidden="sigmoid", seed=5)
    X = np.random.default_rng(2).normal(size=(4, 3))
    Y = np.random.default_rng(3).normal(size=(4, 2))
    assert gradcheck(net, X, Y, order=2).passed(1e-6)
