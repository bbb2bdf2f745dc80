"""micrograd (PyPI 0.1.0): the slides' network built from scalar Values (task 1).

micrograd has no exp, so the sigmoid is added here as one more micrograd operation, in its
own idiom: a Value whose _backward applies sigma' = sigma (1 - sigma) to the incoming grad.
It runs fewer epochs than the others (it is ~1000x slower); epochs/s are compared."""

from __future__ import annotations

import math
import time

from . import tasks
from .harness import Outcome


def _sigmoid(v):
    from micrograd.engine import Value

    s = 1.0 / (1.0 + math.exp(-v.data))
    out = Value(s, (v,), "sigmoid")

    def _backward() -> None:
        v.grad += s * (1.0 - s) * out.grad

    out._backward = _backward
    return out


def xor(s: tasks.Settings) -> Outcome:
    from micrograd.engine import Value

    X, Y = tasks.xor_data()
    net = tasks.xor_network()
    W1 = [[Value(float(w)) for w in row] for row in net.weights[0]]
    b1 = [Value(float(b)) for b in net.biases[0]]
    W2 = [[Value(float(w)) for w in row] for row in net.weights[1]]
    b2 = [Value(float(b)) for b in net.biases[1]]
    params = [w for row in W1 for w in row] + b1 + [w for row in W2 for w in row] + b2
    rows = [([float(v) for v in x], float(y[0])) for x, y in zip(X, Y, strict=True)]
    t = time.perf_counter()
    for _ in range(s.micrograd_epochs):
        loss = Value(0.0)
        for (i1, i2), y in rows:
            O = [_sigmoid(W1[0][j] * i1 + W1[1][j] * i2 + b1[j]) for j in range(2)]
            y_hat = W2[0][0] * O[0] + W2[1][0] * O[1] + b2[0]
            loss = loss + (y_hat - y) ** 2
        loss = loss * (1.0 / len(rows))
        for p in params:
            p.grad = 0.0
        loss.backward()
        for p in params:
            p.data -= s.xor_lr * p.grad
    seconds = time.perf_counter() - t
    return Outcome(seconds, s.micrograd_epochs, {"loss": loss.data})
