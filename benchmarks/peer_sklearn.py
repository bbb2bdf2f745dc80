"""scikit-learn's MLPClassifier with the same architecture, optimiser and epochs (tasks 2, 5).

Its own shuffling; alpha=0 turns off its default L2 penalty, and tol=0 / n_iter_no_change
keep it from stopping early. Task 2 keeps its own initialisation; task 5 starts from our
initial weights through the one hook scikit-learn has for them (``_init_coef``)."""

from __future__ import annotations

import numpy as np

from . import tasks
from .harness import Outcome, timed_fit


def digits(s: tasks.Settings) -> Outcome:
    from sklearn.neural_network import MLPClassifier

    Xtr, ytr, Xte, yte = tasks.digits_data()
    clf = MLPClassifier(
        hidden_layer_sizes=(128,), activation="relu", solver="sgd", alpha=0.0,
        batch_size=s.digits_batch, learning_rate_init=s.digits_lr, momentum=0.9,
        nesterovs_momentum=False, max_iter=s.digits_epochs, shuffle=True, random_state=0,
        tol=0.0, n_iter_no_change=s.digits_epochs + 1,
    )  # fmt: skip
    seconds = timed_fit(clf, Xtr, ytr)  # max_iter is the epoch count
    accuracy = float(np.mean(clf.predict(Xte) == yte))
    return Outcome(seconds, s.digits_epochs * len(ytr), {"accuracy": accuracy})


def _starting_from(weights: list[np.ndarray], biases: list[np.ndarray]):
    """An MLPClassifier whose initial weights are the given ones: scikit-learn draws each
    layer's in ``_init_coef`` (fan_in, fan_out, dtype), which this subclass answers from
    the list. It raises if scikit-learn stops asking, so a change there cannot silently
    leave the contenders on different starting points."""
    from sklearn.neural_network import MLPClassifier

    class Started(MLPClassifier):
        asked = 0  # layers handed out: set on the instance by the first call

        def _init_coef(self, fan_in, fan_out, dtype):
            W, b = weights[len(self.coefs_)], biases[len(self.coefs_)]
            self.asked = len(self.coefs_) + 1
            if W.shape != (fan_in, fan_out):
                raise RuntimeError(f"scikit-learn asked for {fan_in}x{fan_out}, not {W.shape}")
            return W.astype(dtype, copy=True), b.astype(dtype, copy=True)

    return Started


def digits_adam(s: tasks.Settings) -> Outcome:

    Xtr, ytr, Xte, yte = tasks.digits_data()
    net = tasks.digits_network()
    Started = _starting_from(list(net.weights), list(net.biases))
    clf = Started(
        hidden_layer_sizes=(128,), activation="relu", solver="adam", alpha=0.0,
        batch_size=s.digits_batch, learning_rate_init=s.adam_lr, max_iter=s.adam_epochs,
        shuffle=True, random_state=0, tol=0.0, early_stopping=False,
        n_iter_no_change=s.adam_epochs + 1,
    )  # fmt: skip
    seconds = timed_fit(clf, Xtr, ytr)  # max_iter is the epoch count
    if clf.asked != net.n_layers:
        raise RuntimeError("scikit-learn no longer draws its weights in _init_coef")
    accuracy = float(np.mean(clf.predict(Xte) == yte))
    return Outcome(seconds, s.adam_epochs * len(ytr), {"accuracy": accuracy})
