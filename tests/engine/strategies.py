"""Hypothesis strategies for random networks and the batches that go with them."""

from __future__ import annotations

import numpy as np
from hypothesis import strategies as st

from backproplab import MLP
from backproplab.engine.functions import ACTIVATIONS

#: Every activation of the engine's table that a hidden layer takes (all but softmax): a new
#: entry is drawn by the property tests without editing this file.
HIDDEN = [d.name for d in ACTIVATIONS if not d.output_only]
# (loss, output activation) pairs the engine accepts.
HEADS = [
    ("mse", "identity"),
    ("mse", "sigmoid"),
    ("mse", "tanh"),
    ("mse", "relu"),
    ("mse", "leaky_relu"),
    ("mse", "softmax"),
    ("bce", "sigmoid"),
    ("cross_entropy", "softmax"),
]


@st.composite
def network_and_batch(draw, max_layers: int = 4, max_width: int = 16, max_batch: int = 32):
    """A random MLP (1-4 weight layers, widths 1-16) with a random batch (1-32 samples)."""
    n_layers = draw(st.integers(1, max_layers))
    loss, out_act = draw(st.sampled_from(HEADS))
    sizes = draw(st.lists(st.integers(1, max_width), min_size=n_layers + 1, max_size=n_layers + 1))
    if out_act == "softmax" and sizes[-1] < 2:
        sizes[-1] = 2
    hidden = draw(st.lists(st.sampled_from(HIDDEN), min_size=n_layers - 1, max_size=n_layers - 1))
    seed = draw(st.integers(0, 2**31 - 1))
    n = draw(st.integers(1, max_batch))
    net = MLP(sizes, activations=[*hidden, out_act], loss=loss, seed=seed)
    rng = np.random.default_rng(seed)
    # Non-zero biases so that every term of every gradient is exercised.
    net.biases = [rng.normal(0, 0.5, size=b.shape) for b in net.biases]
    X = rng.normal(size=(n, sizes[0]))
    if loss == "mse":
        Y = rng.normal(size=(n, sizes[-1]))
    elif loss == "bce":
        Y = rng.uniform(0, 1, size=(n, sizes[-1]))
    else:
        Y = rng.integers(0, sizes[-1], size=n)
    return net, X, Y
