"""The numba-compiled loop behind :mod:`backproplab.engine.compiled.smallnet` (see its docstring).

Each expression mirrors the NumPy code in activations.py, losses.py and network.py, element by
element, so the two paths agree to rounding; tests/engine/test_smallnet.py holds them to 1e-12.
"""

from __future__ import annotations

import math

import numpy as np
from numba import njit


def _kernel(func):
    # cache=True keeps the machine code on disk: later processes load it in ~0.2 s instead
    # of compiling for ~4 s. error_model="numpy": x/0 gives inf/NaN as in NumPy, not an error.
    return njit(cache=True, nogil=True, error_model="numpy")(func)


@_kernel
def _activate(code: int, slope: float, z: float) -> float:
    if code == 1:  # sigmoid, without overflow (as scipy's expit)
        if z >= 0.0:
            return 1.0 / (1.0 + math.exp(-z))
        e = math.exp(z)
        return e / (1.0 + e)
    if code == 2:
        return math.tanh(z)
    if code == 3:
        return z if z > 0.0 else 0.0
    if code == 4:
        return z if z > 0.0 else z * slope
    return z  # identity (softmax is handled row-wise by the caller)


@_kernel
def _chain(code: int, slope: float, grad_a: float, z: float, a: float) -> float:
    """dL/dz from dL/da, the same expressions as activations.py's backward rules."""
    if code == 1:  # slides: sigma'(z) = sigma(z)(1 - sigma(z)), from the cached output
        return grad_a * a * (1.0 - a)
    if code == 2:
        return grad_a * (1.0 - a * a)
    if code == 3:
        return grad_a if z > 0.0 else 0.0 * grad_a
    if code == 4:
        return grad_a * (1.0 if z > 0.0 else slope)
    return grad_a


@_kernel
def _sgd_loop(
    params,
    sizes,
    w_off,
    b_off,
    acts,
    slopes,
    loss_code,
    X,
    Y,
    orders,
    batch_size,
    epochs,
    lr,
    losses,
    prev,
):
    n_layers = sizes.shape[0] - 1
    n = X.shape[0]
    n_out = sizes[n_layers]
    # Column offsets of each layer's units in the work arrays (layer 0 = the inputs).
    u_off = np.zeros(n_layers + 2, dtype=np.int64)
    for l in range(n_layers + 1):
        u_off[l + 1] = u_off[l] + sizes[l]
    width = u_off[n_layers + 1]
    rows = min(batch_size, n)
    act = np.empty((rows, width))  # a^l of every layer, side by side
    zs = np.empty((rows, width))  # z^l (the input block is unused)
    delta = np.empty((rows, width))  # dL/dz^l
    step = 0
    for epoch in range(epochs):
        order = orders[epoch % orders.shape[0]]
        for first in range(0, n, batch_size):
            m = min(batch_size, n - first)
            # ---- forward: z = a W + b, a = f(z)
            for r in range(m):
                src = order[first + r]
                for i in range(sizes[0]):
                    act[r, i] = X[src, i]
            for l in range(n_layers):
                n_in, n_o = sizes[l], sizes[l + 1]
                ai, ao, wo, bo = u_off[l], u_off[l + 1], w_off[l], b_off[l]
                code, slope = acts[l], slopes[l]
                for r in range(m):
                    for j in range(n_o):
                        zs[r, ao + j] = 0.0
                    for i in range(n_in):
                        x = act[r, ai + i]
                        row = wo + i * n_o
                        for j in range(n_o):
                            zs[r, ao + j] += x * params[row + j]
                    for j in range(n_o):
                        zs[r, ao + j] += params[bo + j]
                    if code == 5:  # softmax: subtract the row maximum so exp cannot overflow
                        top = zs[r, ao]
                        for j in range(1, n_o):
                            top = max(top, zs[r, ao + j])
                        total = 0.0
                        for j in range(n_o):
                            e = math.exp(zs[r, ao + j] - top)
                            act[r, ao + j] = e
                            total += e
                        for j in range(n_o):
                            act[r, ao + j] /= total
                    else:
                        for j in range(n_o):
                            act[r, ao + j] = _activate(code, slope, zs[r, ao + j])
            # ---- loss and the output layer's delta
            ao = u_off[n_layers]
            code, slope = acts[n_layers - 1], slopes[n_layers - 1]
            loss = 0.0
            if loss_code == 0:  # mse: mean over all elements of (y-hat - y)^2, no 1/2
                scale = 2.0 / (m * n_out)
                for r in range(m):
                    src = order[first + r]
                    inner = 0.0
                    for j in range(n_out):
                        diff = act[r, ao + j] - Y[src, j]
                        loss += diff * diff
                        grad = diff * scale  # slide: dL/dy-hat = 2(y-hat - y), with 1/(n k)
                        if code == 5:
                            delta[r, ao + j] = grad
                            inner += grad * act[r, ao + j]
                        else:
                            delta[r, ao + j] = _chain(
                                code, slope, grad, zs[r, ao + j], act[r, ao + j]
                            )
                    if code == 5:  # softmax's Jacobian: dL/dz_j = a_j (dL/da_j - sum_k dL/da_k a_k)
                        for j in range(n_out):
                            delta[r, ao + j] = (delta[r, ao + j] - inner) * act[r, ao + j]
                loss /= m * n_out
            elif loss_code == 1:  # bce fused with the sigmoid: dL/dz = (p - y) / (n k)
                scale = 1.0 / (m * n_out)
                for r in range(m):
                    src = order[first + r]
                    for j in range(n_out):
                        z = zs[r, ao + j]
                        y = Y[src, j]
                        loss += max(z, 0.0) + math.log1p(math.exp(-abs(z))) - y * z
                        delta[r, ao + j] = (act[r, ao + j] - y) * scale
                loss /= m * n_out
            else:  # cross-entropy fused with the softmax: dL/dz = (p - y) / n
                scale = 1.0 / m
                for r in range(m):
                    src = order[first + r]
                    top = zs[r, ao]
                    for j in range(1, n_out):
                        top = max(top, zs[r, ao + j])
                    total = 0.0
                    for j in range(n_out):
                        total += math.exp(zs[r, ao + j] - top)
                    log_total = math.log(total)
                    for j in range(n_out):
                        y = Y[src, j]
                        loss -= y * (zs[r, ao + j] - top - log_total)
                        delta[r, ao + j] = (act[r, ao + j] - y) * scale
                loss /= m
            if not math.isfinite(loss):
                return step  # the caller reports the divergence; this step is not applied
            losses[step] = loss
            for k in range(params.shape[0]):  # kept for the caller, should the next loss diverge
                prev[k] = params[k]
            # ---- backward with the update: every gradient of a layer comes from this
            # forward pass; W^l is updated only after dL/da^{l-1} has used the old W^l.
            for l in range(n_layers - 1, -1, -1):
                n_in, n_o = sizes[l], sizes[l + 1]
                ai, ao, wo, bo = u_off[l], u_off[l + 1], w_off[l], b_off[l]
                if l > 0:
                    code, slope = acts[l - 1], slopes[l - 1]
                    for r in range(m):
                        for i in range(n_in):
                            row = wo + i * n_o
                            grad_a = 0.0
                            for j in range(n_o):
                                grad_a += delta[r, ao + j] * params[row + j]
                            delta[r, ai + i] = _chain(
                                code, slope, grad_a, zs[r, ai + i], act[r, ai + i]
                            )
                for i in range(n_in):
                    row = wo + i * n_o
                    for j in range(n_o):
                        g = 0.0
                        for r in range(m):
                            g += act[r, ai + i] * delta[r, ao + j]
                        params[row + j] -= lr * g
                for j in range(n_o):
                    g = 0.0
                    for r in range(m):
                        g += delta[r, ao + j]
                    params[bo + j] -= lr * g
            step += 1
    return step
