"""Task 3's floor: the eight matrix products of one training step of 784-512-512-10 (three
forward, three dL/dW, two dL/da), alone, in NumPy, on the same batches and shapes."""

from __future__ import annotations

import time

import numpy as np

from . import tasks
from .harness import Outcome


def wide(s: tasks.Settings) -> Outcome:
    X, y = tasks.wide_data(s.wide_samples)
    net = tasks.wide_network()
    Ws = [W.copy() for W in net.weights]
    bs = s.wide_batch

    def buffers(rows: int) -> tuple[list[np.ndarray], list[np.ndarray], list[np.ndarray]]:
        acts = [np.empty((rows, W.shape[1]), np.float32) for W in Ws]
        grads_a = [np.empty((rows, W.shape[0]), np.float32) for W in Ws[1:]]
        return acts, grads_a, [np.empty_like(W) for W in Ws]

    by_rows = {bs: buffers(bs)}
    t = time.perf_counter()
    for lo in range(0, len(y), bs):
        a0 = X[lo : lo + bs]
        rows = a0.shape[0]
        if rows not in by_rows:
            by_rows[rows] = buffers(rows)
        acts, grads_a, grads_w = by_rows[rows]
        inputs = [a0, acts[0], acts[1]]
        for l, W in enumerate(Ws):
            np.matmul(inputs[l], W, out=acts[l])  # z = a W
        delta = acts[-1]  # stands in for dL/dz (the products' cost does not depend on values)
        for l in range(len(Ws) - 1, -1, -1):
            np.matmul(inputs[l].T, delta, out=grads_w[l])  # dL/dW = a^T delta
            if l > 0:
                np.matmul(delta, Ws[l].T, out=grads_a[l - 1])  # dL/da = delta W^T
                delta = grads_a[l - 1]
    seconds = time.perf_counter() - t
    return Outcome(seconds, len(y))
