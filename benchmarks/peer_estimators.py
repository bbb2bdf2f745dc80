"""Tasks 9-12 (issue 10): the scikit-learn estimators side by side. The same constructor
call on both classes -- ``backproplab.sklearn.MLPClassifier`` and scikit-learn's -- as a
user switching by the one-line import change would make; the same random_state gives
both the same initial weights. tol=0 and n_iter_no_change past max_iter make both run
exactly the epochs asked for, so that the rates compare the same work."""

from __future__ import annotations

import time
from functools import cache

import numpy as np

from . import tasks
from .harness import Outcome, timed_fit


@cache
def tabular_data(n_train: int) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """A synthetic tabular set: n_train training rows and n_train/5 test rows, 20
    standardised features (10 informative), three classes (float64, as users pass)."""
    from sklearn.datasets import make_classification
    from sklearn.preprocessing import StandardScaler

    n_test = max(n_train // 5, 100)
    X, y = make_classification(n_samples=n_train + n_test, n_features=20, n_informative=10,
                               n_classes=3, random_state=0)  # fmt: skip
    scaler = StandardScaler().fit(X[:n_train])
    return scaler.transform(X[:n_train]), y[:n_train], scaler.transform(X[n_train:]), y[n_train:]


def digits_data() -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    Xtr, ytr, Xte, yte = tasks.digits_data()
    return Xtr.astype(np.float64), ytr, Xte.astype(np.float64), yte


def run(library: str, solver: str, data: str, s: tasks.Settings) -> Outcome:
    if library == "backproplab":
        from backproplab.sklearn import MLPClassifier
    else:
        from sklearn.neural_network import MLPClassifier
    Xtr, ytr, Xte, yte = digits_data() if data == "digits" else tabular_data(s.estimator_rows)
    epochs = s.estimator_digits_epochs if data == "digits" else s.estimator_tabular_epochs
    lr = 0.001 if solver == "adam" else 0.01  # scikit-learn's Adam default; SGD needs more
    clf = MLPClassifier(
        hidden_layer_sizes=(100,), solver=solver, learning_rate_init=lr, max_iter=epochs,
        tol=0.0, n_iter_no_change=epochs + 1, random_state=0,
    )  # fmt: skip
    seconds = timed_fit(clf, Xtr, ytr)  # max_iter is the epoch count
    accuracy = float(clf.score(Xte, yte))
    return Outcome(seconds, clf.n_iter_ * len(ytr), {"accuracy": accuracy})


def floor(solver: str, data: str, s: tasks.Settings) -> Outcome:
    """The matrix products the estimators' training computes, alone, in float64 with
    NumPy's own BLAS threads: per batch of 200 rows the two forward products, dL/dW of both
    layers and dL/da of the hidden one, for the same epochs and rows. No implementation of
    the same float64 training can take less; scikit-learn's time over this bounds the
    ratio any of them can reach (``solver`` does not change the products)."""
    Xtr, ytr, _, _ = digits_data() if data == "digits" else tabular_data(s.estimator_rows)
    epochs = s.estimator_digits_epochs if data == "digits" else s.estimator_tabular_epochs
    n_classes = int(ytr.max()) + 1
    rng = np.random.default_rng(0)
    W1 = rng.standard_normal((Xtr.shape[1], 100))
    W2 = rng.standard_normal((100, n_classes))
    rows = min(200, len(ytr))  # batch_size='auto'
    t = time.perf_counter()
    for _ in range(epochs):
        for lo in range(0, len(ytr), rows):
            a0 = Xtr[lo : lo + rows]
            a1 = a0 @ W1
            delta = a1 @ W2  # stands in for dL/dz (the products' cost does not depend on it)
            _ = a1.T @ delta, a0.T @ (delta @ W2.T)
    return Outcome(time.perf_counter() - t, epochs * len(ytr))
