"""The compiled loop for small networks against the NumPy path it replaces (1e-12)."""

from __future__ import annotations

import numpy as np
import pytest

import backproplab as bp
from backproplab.engine.compiled import smallnet
from backproplab.engine.errors import DivergenceError


def _numpy_sgd(net: bp.MLP, X, Y, lr: float, orders, batch_size: int, epochs: int) -> list:
    """The reference: _train_gradients + the slides' update, batch by batch."""
    losses = []
    for e in range(epochs):
        order = orders[e % len(orders)]
        for lo in range(0, X.shape[0], batch_size):
            rows = order[lo : lo + batch_size]
            g = net._train_gradients(X[rows], Y[rows])
            losses.append(g.loss)
            net.apply_gradients(g, lr)
    return losses


CASES = [
    ([2, 2, 1], ["sigmoid", "identity"], "mse"),
    ([2, 16, 16, 1], ["tanh", "tanh", "identity"], "mse"),
    ([3, 5, 4, 2], ["relu", "leaky_relu", "sigmoid"], "mse"),
    ([3, 6, 1], ["tanh", "sigmoid"], "bce"),
    ([3, 6, 4], ["relu", "softmax"], "cross_entropy"),
    ([3, 4, 3], ["identity", "softmax"], "mse"),
    ([2, 3, 2], ["sigmoid", "tanh"], "mse"),
]


@pytest.mark.parametrize(("sizes", "acts", "loss"), CASES)
@pytest.mark.parametrize("batch_size", [1, 4, 7])
def test_compiled_sgd_equals_the_numpy_path(sizes, acts, loss, batch_size) -> None:
    rng = np.random.default_rng(len(sizes) + batch_size)
    n = 7
    X = rng.normal(size=(n, sizes[0]))
    if loss == "cross_entropy":
        Y = np.eye(sizes[-1])[rng.integers(0, sizes[-1], n)]
    elif loss == "bce":
        Y = rng.integers(0, 2, (n, sizes[-1])).astype(float)
    else:
        Y = rng.normal(size=(n, sizes[-1]))
    net = bp.MLP(sizes, acts, loss=loss, seed=3)
    ref = net.copy()
    orders = np.stack([rng.permutation(n) for _ in range(3)])
    assert smallnet.applies(net, batch_size)
    losses, done = smallnet.sgd_steps(net, X, Y, 0.05, orders, batch_size, 5)
    expected = _numpy_sgd(ref, X, Y, 0.05, orders, batch_size, 5)
    assert done == len(expected)
    np.testing.assert_allclose(losses, expected, rtol=1e-12, atol=1e-15)
    for a, b in zip(net.parameters(), ref.parameters(), strict=True):
        np.testing.assert_allclose(a, b, rtol=0, atol=1e-12)


def test_fit_takes_the_compiled_loop_and_matches_the_numpy_loop() -> None:
    """Shuffled mini-batches: the same History and parameters as the NumPy loop."""
    rng = np.random.default_rng(0)
    X = rng.normal(size=(30, 2))
    Y = np.sin(X[:, :1]) * np.cos(X[:, 1:])
    net = bp.MLP([2, 8, 1], hidden="tanh", seed=1)
    ref = net.copy()
    history = net.fit(X, Y, epochs=4, lr=0.1, batch_size=8, seed=5)
    # The same shuffles as fit draws (np.random.default_rng(seed).shuffle, epoch by epoch).
    shuffler, order, orders = np.random.default_rng(5), np.arange(30), []
    for _ in range(4):
        shuffler.shuffle(order)
        orders.append(order.copy())
    step_losses = _numpy_sgd(ref, X, Y, 0.1, np.array(orders), 8, 4)
    sizes = np.array([8, 8, 8, 6])
    per_epoch = np.array(step_losses).reshape(4, 4) @ sizes / 30
    np.testing.assert_allclose(history.loss, per_epoch, rtol=1e-12)
    for a, b in zip(net.parameters(), ref.parameters(), strict=True):
        np.testing.assert_allclose(a, b, rtol=0, atol=1e-12)


def test_compiled_fit_reports_divergence_and_keeps_finite_parameters() -> None:
    X = np.array([[0.0, 0.0], [0.0, 1.0], [1.0, 0.0], [1.0, 1.0]])
    Y = np.array([[0.0], [1.0], [1.0], [0.0]]) * 1e3
    net = bp.MLP.slides_network(seed=0)
    with pytest.raises(DivergenceError, match="diverged at epoch") as info:
        net.fit(X, Y, epochs=200, lr=50.0)
    assert all(np.isfinite(p).all() for p in net.parameters())
    assert np.isfinite(net.loss(X, Y))
    assert info.value.history.stop_reason == "diverged"  # type: ignore[attr-defined]


def test_float32_and_large_networks_keep_the_numpy_path() -> None:
    assert not smallnet.applies(bp.MLP([2, 2, 1], dtype=np.float32), 4)
    assert not smallnet.applies(bp.MLP([64, 128, 10], loss="cross_entropy"), 32)
    assert smallnet.applies(bp.MLP.slides_network(), 4)
