"""The engine learns: XOR with the slides' network, a non-linear 2-D set with two layers."""

from __future__ import annotations

import numpy as np

from backproplab import MLP, XOR_SEED


def test_slides_network_learns_xor_from_the_documented_seed(xor_data):
    X, Y = xor_data
    net = MLP.slides_network(seed=XOR_SEED)
    first = net.loss(X, Y)
    for _ in range(5000):
        net.step(X, Y, lr=0.5)
    assert first > 0.2
    assert net.loss(X, Y) < 0.01
    np.testing.assert_array_equal(net.predict(X).round(), Y)


def _two_spirals(n: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """Two interleaved half-moons, written out here so the test depends only on the engine."""
    rng = np.random.default_rng(seed)
    t = rng.uniform(0, np.pi, size=n)
    upper = np.c_[np.cos(t), np.sin(t)]
    lower = np.c_[1 - np.cos(t), 0.5 - np.sin(t)]
    X = np.r_[upper, lower] + rng.normal(0, 0.05, size=(2 * n, 2))
    y = np.r_[np.zeros(n, dtype=int), np.ones(n, dtype=int)]
    return X, y


def test_two_hidden_layers_learn_a_nonlinear_2d_set():
    X, y = _two_spirals(100, seed=0)
    net = MLP([2, 16, 16, 2], hidden="tanh", loss="cross_entropy", seed=0)
    for _ in range(1500):
        net.step(X, y, lr=0.5)
    accuracy = np.mean(net.predict(X).argmax(axis=1) == y)
    assert accuracy >= 0.98
    # A linear model cannot separate the moons; check the task really is non-linear.
    linear = MLP([2, 2], activations=["softmax"], loss="cross_entropy", seed=0)
    for _ in range(1500):
        linear.step(X, y, lr=0.5)
    assert np.mean(linear.predict(X).argmax(axis=1) == y) < 0.95
