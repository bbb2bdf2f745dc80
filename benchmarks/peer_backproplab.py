"""backproplab through its public API: ``MLP.fit``."""

from __future__ import annotations

import time

import numpy as np

from backproplab.engine.compiled import runner

from . import tasks
from .harness import Outcome

# Tasks 1-6 measure a warm process (a notebook or script that has trained before): the
# compiled kernels are loaded once here, untimed, as PyTorch's and numba's own start-up is.
# What a fresh process pays -- loading or compiling, or the NumPy path the cost model then
# picks -- is task 7's (whole processes, warm and cold cache).
runner.compile_now(np.float64)
runner.compile_now(np.float32)


def xor(s: tasks.Settings) -> Outcome:
    X, Y = tasks.xor_data()
    net = tasks.xor_network()
    t = time.perf_counter()
    history = net.fit(X, Y, epochs=s.xor_epochs, lr=s.xor_lr)
    seconds = time.perf_counter() - t
    return Outcome(seconds, s.xor_epochs, {"loss": history.loss[-1]}, list(net.parameters()))


def digits(s: tasks.Settings) -> Outcome:
    Xtr, ytr, Xte, yte = tasks.digits_data()
    net = tasks.digits_network()
    t = time.perf_counter()
    net.fit(Xtr, ytr, epochs=s.digits_epochs, lr=s.digits_lr, batch_size=s.digits_batch,
            optimizer="sgd", momentum=0.9, seed=0)  # fmt: skip
    seconds = time.perf_counter() - t
    accuracy = float(np.mean(np.argmax(net.predict(Xte), axis=1) == yte))
    return Outcome(seconds, s.digits_epochs * len(ytr), {"accuracy": accuracy})


def wide(s: tasks.Settings) -> Outcome:
    X, y = tasks.wide_data(s.wide_samples)
    net = tasks.wide_network()
    t = time.perf_counter()
    history = net.fit(X, y, epochs=1, lr=s.wide_lr, batch_size=s.wide_batch, shuffle=False)
    seconds = time.perf_counter() - t
    return Outcome(seconds, len(y), {"loss": history.loss[-1]})


def tiny(s: tasks.Settings) -> Outcome:
    X, Y = tasks.tiny_data(s.tiny_samples)
    net = tasks.tiny_network()
    epochs = s.tiny_steps // s.tiny_samples
    t = time.perf_counter()
    history = net.fit(X, Y, epochs=epochs, lr=s.tiny_lr, batch_size=1, shuffle=False)
    seconds = time.perf_counter() - t
    return Outcome(seconds, epochs * len(Y), {"loss": history.loss[-1]}, list(net.parameters()))


def digits_adam(s: tasks.Settings) -> Outcome:
    Xtr, ytr, Xte, yte = tasks.digits_data()
    net = tasks.digits_network()
    t = time.perf_counter()
    net.fit(Xtr, ytr, epochs=s.adam_epochs, lr=s.adam_lr, batch_size=s.digits_batch,
            optimizer="adam", seed=0)  # fmt: skip
    seconds = time.perf_counter() - t
    accuracy = float(np.mean(np.argmax(net.predict(Xte), axis=1) == yte))
    return Outcome(seconds, s.adam_epochs * len(ytr), {"accuracy": accuracy})


# Task 6: the slides' per-call API, one sample per call, in a plain Python loop.
def percall_step(s: tasks.Settings) -> Outcome:
    xs, ys = tasks.percall_rows(s.percall_samples)
    net, n, lr = tasks.tiny_network(), len(xs), s.percall_lr
    t = time.perf_counter()
    for i in range(s.percall_calls):
        loss = net.step(xs[i % n], ys[i % n], lr)
    seconds = time.perf_counter() - t
    return Outcome(seconds, s.percall_calls, {"loss": loss}, list(net.parameters()))


def _percall(method: str, s: tasks.Settings) -> Outcome:
    xs, ys = tasks.percall_rows(s.percall_samples)
    net, n = tasks.tiny_network(), len(xs)
    call = getattr(net, method)
    if method == "predict":
        t = time.perf_counter()
        for i in range(s.percall_calls):
            call(xs[i % n])
    else:
        t = time.perf_counter()
        for i in range(s.percall_calls):
            call(xs[i % n], ys[i % n])
    return Outcome(time.perf_counter() - t, s.percall_calls)


def percall_gradients(s: tasks.Settings) -> Outcome:
    return _percall("gradients", s)


def percall_predict(s: tasks.Settings) -> Outcome:
    return _percall("predict", s)


def percall_loss(s: tasks.Settings) -> Outcome:
    return _percall("loss", s)
