"""Weight initialisers (Glorot/Xavier and He), driven by a seeded NumPy Generator.

Weights are always drawn in float64 and then cast, so the same seed gives the same
network in float32 and float64 (up to rounding) and on every platform.
"""

from __future__ import annotations

import numpy as np

from .errors import InputError

INIT_NAMES = ("auto", "glorot", "xavier", "he", "zeros")

# He initialisation suits the rectifiers; Glorot suits the saturating activations.
_RECTIFIERS = {"relu", "leaky_relu"}


def glorot_uniform(rng: np.random.Generator, n_in: int, n_out: int) -> np.ndarray:
    """U(-r, r) with r = sqrt(6 / (n_in + n_out)) (Glorot & Bengio, 2010)."""
    limit = np.sqrt(6.0 / (n_in + n_out))
    return rng.uniform(-limit, limit, size=(n_in, n_out))


def he_normal(rng: np.random.Generator, n_in: int, n_out: int) -> np.ndarray:
    """N(0, 2 / n_in) (He et al., 2015)."""
    return rng.normal(0.0, np.sqrt(2.0 / n_in), size=(n_in, n_out))


def initial_weights(
    scheme: str, rng: np.random.Generator, n_in: int, n_out: int, activation: str
) -> np.ndarray:
    """Weights (n_in, n_out) for one layer whose units use ``activation``."""
    scheme = scheme.lower()
    if scheme == "auto":
        scheme = "he" if activation in _RECTIFIERS else "glorot"
    if scheme in ("glorot", "xavier"):
        return glorot_uniform(rng, n_in, n_out)
    if scheme == "he":
        return he_normal(rng, n_in, n_out)
    if scheme == "zeros":
        return np.zeros((n_in, n_out))
    raise InputError(f"init: unknown scheme {scheme!r}; expected one of {', '.join(INIT_NAMES)}")
