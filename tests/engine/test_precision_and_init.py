"""dtype kept end to end, seeded initialisation, stable activations and losses."""

from __future__ import annotations

import warnings

import numpy as np
import pytest

from backproplab import MLP
from backproplab.engine.activations import ACTIVATION_NAMES, get_activation


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_dtype_is_kept_through_forward_backward_and_update(dtype):
    net = MLP([3, 5, 4, 2], hidden="tanh", loss="cross_entropy", seed=0, dtype=dtype)
    X = np.random.default_rng(0).normal(size=(7, 3))  # float64 input is converted
    y = np.arange(7) % 2
    trace = net.forward(X)
    assert all(z.dtype == dtype for z in trace.z)
    assert all(a.dtype == dtype for a in trace.a)
    g = net.gradients(X, y)
    assert all(arr.dtype == dtype for arr in g)
    net.step(X, y, lr=0.1)
    assert all(p.dtype == dtype for p in net.parameters())


def test_float32_agrees_with_float64():
    n64 = MLP([4, 8, 1], seed=3)
    n32 = MLP([4, 8, 1], seed=3, dtype="float32")
    X = np.random.default_rng(1).normal(size=(10, 4))
    Y = np.random.default_rng(2).normal(size=(10, 1))
    for a, b in zip(n64.gradients(X, Y), n32.gradients(X, Y), strict=True):
        np.testing.assert_allclose(a, b, rtol=1e-4, atol=1e-5)


def test_same_seed_same_weights_and_different_seed_different_weights():
    a, b, c = MLP([5, 7, 3], seed=42), MLP([5, 7, 3], seed=42), MLP([5, 7, 3], seed=43)
    for pa, pb in zip(a.parameters(), b.parameters(), strict=True):
        np.testing.assert_array_equal(pa, pb)
    assert not np.array_equal(a.weights[0], c.weights[0])
    f32 = MLP([5, 7, 3], seed=42, dtype=np.float32)
    np.testing.assert_allclose(f32.weights[0], a.weights[0], rtol=1e-6)


def test_glorot_and_he_scales():
    glorot = MLP([400, 300, 1], hidden="tanh", seed=0, init="glorot").weights[0]
    limit = np.sqrt(6 / 700)
    assert np.abs(glorot).max() <= limit
    assert glorot.std() == pytest.approx(limit / np.sqrt(3), rel=0.02)
    he = MLP([400, 300, 1], hidden="relu", seed=0).weights[0]  # auto -> He for relu
    assert he.std() == pytest.approx(np.sqrt(2 / 400), rel=0.02)


# exp (the Poisson output) is unbounded: e^700 is inf in float32 and e^1e4 in any format;
# such an output is a divergence, which fit reports.
@pytest.mark.parametrize("name", [n for n in ACTIVATION_NAMES if n not in ("softmax", "exp")])
def test_activations_are_finite_and_warning_free_for_huge_inputs(name):
    z = np.array([[-1e4, -700.0, -1.0, 0.0, 1.0, 700.0, 1e4]])
    act = get_activation(name)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        a = act.forward(z.copy())
        d = act.backward(np.ones_like(z), z, a)
    assert np.isfinite(a).all() and np.isfinite(d).all()


def test_sigmoid_limits_and_symmetry():
    act = get_activation("sigmoid")
    z = np.array([[-1e4, 0.0, 1e4]])
    np.testing.assert_array_equal(act.forward(z), [[0.0, 0.5, 1.0]])
    x = np.linspace(-30, 30, 61)[None, :]
    np.testing.assert_allclose(act.forward(x) + act.forward(-x), 1.0, atol=1e-15)


def test_softmax_of_extreme_logits_is_finite():
    act = get_activation("softmax")
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        a = act.forward(np.array([[1e4, -1e4, 0.0], [1e4, 1e4, 1e4]]))
    np.testing.assert_allclose(a, [[1, 0, 0], [1 / 3, 1 / 3, 1 / 3]])


def test_user_can_read_and_assign_parameters():
    net = MLP.slides_network()
    net.weights[0][0, 0] = 0.5  # in place
    assert net.forward([[1.0, 0.0]]).z[0][0, 0] == pytest.approx(0.5 + 0.35)
    net.weights[1] = [[1.0], [2.0]]  # item assignment, converted to the dtype
    assert net.weights[1].dtype == np.float64
    net.biases = [np.zeros(2), np.ones(1)]  # whole list
    np.testing.assert_array_equal(net.predict([[0.0, 0.0]]), [[1.0 * 0.5 + 2.0 * 0.5 + 1.0]])


def test_copy_is_independent():
    net = MLP([2, 3, 1], seed=0)
    twin = net.copy()
    twin.step([[1.0, 2.0]], [[3.0]], lr=0.1)
    assert not np.array_equal(net.weights[0], twin.weights[0])


def test_step_returns_loss_before_update_and_lowers_it(xor_data):
    X, Y = xor_data
    net = MLP.slides_network()
    before = net.loss(X, Y)
    # Equal to rounding: a step in a loop may run compiled, which sums in another order.
    assert net.step(X, Y, lr=0.1) == pytest.approx(before, rel=1e-14)
    assert net.loss(X, Y) < before


@pytest.mark.parametrize("remake", ["copy", "pickle"])
def test_a_copied_or_unpickled_network_adds_its_own_biases(remake):
    # The forward pass adds each bias as a (1, units) row view of the parameter vector; a
    # copy must add its own vector's biases, not the original's.
    import pickle

    net = MLP([2, 3, 1], hidden="tanh", seed=0)
    twin = net.copy() if remake == "copy" else pickle.loads(pickle.dumps(net))
    x = np.array([[0.3, -0.2]])
    before = net.predict(x)
    twin.biases[1][0] += 1.0  # in place, through the public list
    twin.biases[0] = [0.5, -0.5, 0.25]  # by assignment
    np.testing.assert_array_equal(net.predict(x), before)
    hidden = np.tanh(x @ twin.weights[0] + np.array([0.5, -0.5, 0.25]))
    np.testing.assert_allclose(
        twin.predict(x), hidden @ twin.weights[1] + twin.biases[1], rtol=1e-15
    )
    assert not np.allclose(twin.predict(x), before)
