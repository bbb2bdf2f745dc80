"""The slide formulas typed out in plain Python floats (task 1): for each sample the forward
pass O1, O2, y-hat, then the nine chain-rule products, averaged over the samples, then the
slides' update w <- w - eta dL/dw. Written for speed as a careful person would (locals,
math.exp bound once), not to be slow."""

from __future__ import annotations

import math
import time

from . import tasks
from .harness import Outcome


def xor(s: tasks.Settings) -> Outcome:
    X, Y = tasks.xor_data()
    net = tasks.xor_network()
    (w1_11, w1_12), (w1_21, w1_22) = net.weights[0].tolist()
    b1_1, b1_2 = net.biases[0].tolist()
    (w2_11,), (w2_21,) = net.weights[1].tolist()
    (b2_1,) = net.biases[1].tolist()
    samples = [(float(x[0]), float(x[1]), float(y[0])) for x, y in zip(X, Y, strict=True)]
    n, lr, exp = len(samples), s.xor_lr, math.exp
    t = time.perf_counter()
    for _ in range(s.xor_epochs):
        g = [0.0] * 9
        for i1, i2, y in samples:
            O1 = 1.0 / (1.0 + exp(-(w1_11 * i1 + w1_21 * i2 + b1_1)))
            O2 = 1.0 / (1.0 + exp(-(w1_12 * i1 + w1_22 * i2 + b1_2)))
            y_hat = w2_11 * O1 + w2_21 * O2 + b2_1
            dL_dyhat = 2.0 * (y_hat - y) / n  # slide: 2(y-hat - y), with the mean's 1/n
            g[0] += dL_dyhat * O1  # dL/dw2_11
            g[1] += dL_dyhat * O2  # dL/dw2_21
            g[2] += dL_dyhat  # dL/db2_1
            d1 = dL_dyhat * w2_11 * O1 * (1.0 - O1)  # dL/dO1 * sigma'
            d2 = dL_dyhat * w2_21 * O2 * (1.0 - O2)
            g[3] += d1 * i1  # dL/dw1_11
            g[4] += d1 * i2  # dL/dw1_21
            g[5] += d1  # dL/db1_1
            g[6] += d2 * i1  # dL/dw1_12
            g[7] += d2 * i2  # dL/dw1_22
            g[8] += d2  # dL/db1_2
        w2_11 -= lr * g[0]
        w2_21 -= lr * g[1]
        b2_1 -= lr * g[2]
        w1_11 -= lr * g[3]
        w1_21 -= lr * g[4]
        b1_1 -= lr * g[5]
        w1_12 -= lr * g[6]
        w1_22 -= lr * g[7]
        b1_2 -= lr * g[8]
    seconds = time.perf_counter() - t
    params = [[[w1_11, w1_12], [w1_21, w1_22]], [b1_1, b1_2], [[w2_11], [w2_21]], [b2_1]]
    return Outcome(seconds, s.xor_epochs, {}, params)
