"""scikit-learn's MLPClassifier with the same architecture, optimiser and epochs (task 2).

Its own initialisation (it cannot be handed ours) and its own shuffling; alpha=0 turns off
its default L2 penalty, and tol=0 / n_iter_no_change keep it from stopping early."""

from __future__ import annotations

import time
import warnings

import numpy as np

from . import tasks
from .harness import Outcome


def digits(s: tasks.Settings) -> Outcome:
    from sklearn.exceptions import ConvergenceWarning
    from sklearn.neural_network import MLPClassifier

    Xtr, ytr, Xte, yte = tasks.digits_data()
    clf = MLPClassifier(
        hidden_layer_sizes=(128,), activation="relu", solver="sgd", alpha=0.0,
        batch_size=s.digits_batch, learning_rate_init=s.digits_lr, momentum=0.9,
        nesterovs_momentum=False, max_iter=s.digits_epochs, shuffle=True, random_state=0,
        tol=0.0, n_iter_no_change=s.digits_epochs + 1,
    )  # fmt: skip
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)  # max_iter is the epoch count
        t = time.perf_counter()
        clf.fit(Xtr, ytr)
        seconds = time.perf_counter() - t
    accuracy = float(np.mean(clf.predict(Xte) == yte))
    return Outcome(seconds, s.digits_epochs * len(ytr), {"accuracy": accuracy})
