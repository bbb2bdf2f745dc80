"""The textbook NumPy step (task 6): forward, backward and update for one sample, written the
way a textbook does it (Nielsen's *Neural Networks and Deep Learning*, chapter 2): column
vectors, W of shape (n_out, n_in), a list of activations kept on the way forward, the error
delta carried back, and w <- w - eta dL/dw. It knows only this network (tanh hidden layers,
identity output, MSE on one output), which is what makes it short; it is a peer to time
against, not a second engine.

Beside the step, the same code's forward pass alone (the peer of ``net.predict``) and its
forward and backward without the update (the peer of ``net.gradients``): the NumPy work
those calls do, with no checks and nothing kept, so that their ratio is our per-call
overhead."""

from __future__ import annotations

import time

import numpy as np

from . import tasks
from .harness import Outcome


def _textbook(s: tasks.Settings):
    xs, ys = tasks.percall_rows(s.percall_samples)
    xs, ys = [x.T.copy() for x in xs], [y.T.copy() for y in ys]  # column vectors
    net = tasks.tiny_network()
    weights = [W.T.copy() for W in net.weights]  # (n_out, n_in)
    biases = [b.reshape(-1, 1).copy() for b in net.biases]
    return xs, ys, weights, biases


def _forward(weights: list, biases: list, x: np.ndarray) -> list[np.ndarray]:
    activations, last = [x], len(weights) - 1
    for l, (W, b) in enumerate(zip(weights, biases, strict=True)):
        z = W @ activations[-1] + b
        activations.append(z if l == last else np.tanh(z))
    return activations


def percall_step(s: tasks.Settings) -> Outcome:
    xs, ys, weights, biases = _textbook(s)
    n, lr, last = len(xs), s.percall_lr, len(weights) - 1

    def step(x: np.ndarray, y: np.ndarray) -> float:
        activations = _forward(weights, biases, x)
        error = activations[-1] - y
        delta = 2.0 * error  # dL/dy-hat of L = (y-hat - y)^2, the identity output's delta
        for l in range(last, -1, -1):
            grad_W = delta @ activations[l].T
            if l > 0:  # delta of the layer below, through tanh' = 1 - a^2
                below = (weights[l].T @ delta) * (1.0 - activations[l] ** 2)
            weights[l] -= lr * grad_W
            biases[l] -= lr * delta
            if l > 0:
                delta = below
        return float(error[0, 0] ** 2)

    t = time.perf_counter()
    for i in range(s.percall_calls):
        loss = step(xs[i % n], ys[i % n])
    seconds = time.perf_counter() - t
    params = [p for W, b in zip(weights, biases, strict=True) for p in (W.T, b.ravel())]
    return Outcome(seconds, s.percall_calls, {"loss": loss}, params)


def percall_gradients(s: tasks.Settings) -> Outcome:
    xs, ys, weights, biases = _textbook(s)
    n, last = len(xs), len(weights) - 1

    def gradients(x: np.ndarray, y: np.ndarray) -> tuple[list, list, float]:
        activations = _forward(weights, biases, x)
        error = activations[-1] - y
        delta = 2.0 * error
        grad_W, grad_b = [None] * (last + 1), [None] * (last + 1)
        for l in range(last, -1, -1):
            grad_W[l], grad_b[l] = delta @ activations[l].T, delta
            if l > 0:
                delta = (weights[l].T @ delta) * (1.0 - activations[l] ** 2)
        return grad_W, grad_b, float(error[0, 0] ** 2)

    t = time.perf_counter()
    for i in range(s.percall_calls):
        grad_W, grad_b, _ = gradients(xs[i % n], ys[i % n])
    seconds = time.perf_counter() - t
    # The last call's gradients, in the engine's layout (W^T, b), for the tests to compare.
    last_grads = [p for W, b in zip(grad_W, grad_b, strict=True) for p in (W.T, b.ravel())]
    return Outcome(seconds, s.percall_calls, gradients=last_grads)


def percall_predict(s: tasks.Settings) -> Outcome:
    xs, _, weights, biases = _textbook(s)
    n = len(xs)
    t = time.perf_counter()
    for i in range(s.percall_calls):
        _forward(weights, biases, xs[i % n])
    return Outcome(time.perf_counter() - t, s.percall_calls)
