"""The tasks of issues 6 (1-4) and 9 (5-7): data, architecture, initial weights and settings,
shared by every peer so that all of them train the same network on the same numbers."""

from __future__ import annotations

from dataclasses import dataclass, replace
from functools import cache

import numpy as np

import backproplab as bp


@dataclass(frozen=True)
class Settings:
    xor_epochs: int = 5000  # task 1: the slides' 2-2-1 network, full batch, float64
    xor_lr: float = 0.5
    micrograd_epochs: int = 200  # micrograd is ~1000x slower: fewer epochs, rate compared
    digits_epochs: int = 30  # task 2: 64-128-10 relu/softmax, batch 32, momentum 0.9, float32
    digits_lr: float = 0.01
    digits_batch: int = 32
    wide_samples: int = 60_000  # task 3: 784-512-512-10, batch 128, one epoch, float32
    wide_batch: int = 128
    wide_lr: float = 0.01
    tiny_steps: int = 20_000  # task 4: 2-16-16-1 tanh, batch 1, float64
    tiny_samples: int = 2_000
    tiny_lr: float = 0.01
    repeats: int = 3
    wide_repeats: int = 7  # one epoch of task 3 takes seconds: 7 alternations, ~1 min in all
    adam_epochs: int = 20  # task 5: task 2's network and data, Adam
    adam_lr: float = 0.001  # scikit-learn's and PyTorch's default for Adam
    percall_calls: int = 5_000  # task 6: task 4's network, one sample per Python call
    percall_repeats: int = 7  # a run is ~0.1 s of noisy per-call times: more alternations
    percall_samples: int = 1_000
    percall_lr: float = 0.01
    process_repeats: int = 3  # task 7: whole processes, each a fresh interpreter
    process_epochs: int | None = None  # None: the README's epochs; a number overrides them
    process_cold: bool = True  # also time with an empty numba cache (compiles everything)
    process_data: tuple[str, ...] = ("iris", "digits")  # README rows run (README_TRAIN_ROWS)
    estimator_digits_epochs: int = 50  # tasks 9-12: the scikit-learn estimators, 100 relu
    estimator_tabular_epochs: int = 10  # units, batch 200 ('auto'), float64
    estimator_rows: int = 50_000  # tasks 11-12: synthetic tabular training rows
    process_estimator_solvers: tuple[str, ...] = ("adam", "sgd")  # task 7's fit-script rows
    estimator_repeats: int = 7  # a digits fit is ~0.1 s: more alternations against noise


FULL = Settings()
QUICK = replace(
    FULL,
    xor_epochs=500,
    micrograd_epochs=20,
    digits_epochs=2,
    wide_samples=2_048,
    tiny_steps=1_000,
    tiny_samples=500,
    repeats=2,
    wide_repeats=1,
    adam_epochs=2,
    percall_calls=1_000,
    percall_samples=500,
    percall_repeats=3,
    estimator_repeats=2,
    process_repeats=1,
    estimator_digits_epochs=5,
    estimator_tabular_epochs=2,
)
#: The smallest sizes that still exercise every code path (used by the test suite).
TINY = replace(
    QUICK,
    xor_epochs=50,
    micrograd_epochs=3,
    digits_epochs=1,
    wide_samples=256,
    tiny_steps=200,
    tiny_samples=100,
    repeats=1,
    adam_epochs=1,
    percall_calls=100,
    percall_samples=50,
    percall_repeats=1,
    estimator_repeats=1,
    process_epochs=2,
    process_cold=False,
    process_data=("iris",),
    process_estimator_solvers=("adam",),
    estimator_digits_epochs=1,
    estimator_tabular_epochs=1,
    estimator_rows=1_000,
)


# ---------------------------------------------------------------- task 1: XOR, the slides
@cache
def xor_data() -> tuple[np.ndarray, np.ndarray]:
    X = np.array([[0.0, 0.0], [0.0, 1.0], [1.0, 0.0], [1.0, 1.0]])
    Y = np.array([[0.0], [1.0], [1.0], [0.0]])
    return X, Y


def xor_network() -> bp.MLP:
    """The slides' 2-2-1 network with the seed of the XOR demo."""
    return bp.MLP.slides_network(seed=bp.XOR_SEED)


# ---------------------------------------------------------------- task 2: digits
@cache
def digits_data() -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """scikit-learn's bundled digits, a fixed stratified 80/20 split, standardised on the
    training part; float32 features, integer labels."""
    from sklearn.datasets import load_digits
    from sklearn.model_selection import train_test_split
    from sklearn.preprocessing import StandardScaler

    X, y = load_digits(return_X_y=True)
    Xtr, Xte, ytr, yte = train_test_split(X, y, test_size=0.2, random_state=0, stratify=y)
    scaler = StandardScaler().fit(Xtr)
    to32 = np.float32
    return scaler.transform(Xtr).astype(to32), ytr, scaler.transform(Xte).astype(to32), yte


def digits_network() -> bp.MLP:
    return bp.MLP([64, 128, 10], hidden="relu", loss="cross_entropy", dtype=np.float32, seed=0)


# ---------------------------------------------------------------- task 3: wide MLP
@cache
def wide_data(n: int) -> tuple[np.ndarray, np.ndarray]:
    """n synthetic 784-feature samples, labelled by a random linear teacher (float32)."""
    rng = np.random.default_rng(0)
    X = rng.standard_normal((n, 784), dtype=np.float32)
    teacher = rng.standard_normal((784, 10), dtype=np.float32)
    return X, np.argmax(X @ teacher, axis=1)


def wide_network() -> bp.MLP:
    return bp.MLP(
        [784, 512, 512, 10], hidden="relu", loss="cross_entropy", dtype=np.float32, seed=0
    )


# ---------------------------------------------------------------- task 4: tiny tanh net
@cache
def tiny_data(n: int) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(0)
    X = rng.uniform(-2.0, 2.0, size=(n, 2))
    return X, np.sin(X[:, :1]) * np.cos(X[:, 1:])


def tiny_network() -> bp.MLP:
    return bp.MLP([2, 16, 16, 1], hidden="tanh", loss="mse", seed=0)


# ---------------------------------------------------------------- task 5: digits with Adam
# Task 2's data (digits_data) and network (digits_network); only the optimiser changes.


# ---------------------------------------------------------------- task 6: the per-call API
def percall_rows(n: int) -> tuple[list[np.ndarray], list[np.ndarray]]:
    """Task 4's data as n one-sample (1, 2) inputs and (1, 1) targets, sliced once up front
    so that every contender's loop times its call alone."""
    X, Y = tiny_data(n)
    return [X[i : i + 1] for i in range(n)], [Y[i : i + 1] for i in range(n)]


# ---------------------------------------------------------------- task 7: whole processes
#: The README's "Results with fixed splits and seeds" rows that task 7 runs end to end, in
#: the README's own words (tests/test_benchmarks.py checks that the README still says this).
README_TRAIN_ROWS = {
    "iris": "--layers 4,16,3 --optimizer adam --lr 0.01 --epochs 200 --weight-decay 0.001 "
    "--test-split 0.3 --split-seed 3",
    "digits": "--layers 64,64,10 --optimizer nesterov --lr 0.02 --epochs 50 --batch-size 16 "
    "--schedule cosine --test-split 0.25",
}
