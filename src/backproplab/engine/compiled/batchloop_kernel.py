"""The numba-compiled epoch behind :mod:`backproplab.engine.compiled.batchloop` (see its docstring).

Matrix products go to NumPy's own BLAS (``gemm``, engine/compiled/blas.py); everything between them
(bias, activation, loss, deltas, bias gradients, the SGD update) is one fused loop per layer
instead of several NumPy passes. The element-wise expressions are those of activations.py,
losses.py and optim.py, in the network's own dtype: scalar constants come in as arrays of that
dtype (``consts``) so that float32 arithmetic is never widened to float64.
"""

from __future__ import annotations

import math

import numpy as np
from numba import njit

from .blas import NO_TRANS, ROW_MAJOR, TRANS

#: How the update is made (``update_mode``): from a gradient array by the loop in _update;
#: plain SGD folded into the gradient's product (W <- W - eta a^T delta, one gemm); momentum
#: with the velocity built by the product (v <- mu v + a^T delta, one gemm) then one loop.
GENERAL, PLAIN_IN_GEMM, MOMENTUM_IN_GEMM = 0, 1, 2

# Layout of ``consts`` (an array of the network's dtype).
LR, MOMENTUM, WEIGHT_DECAY, ZERO, ONE, SCALE = range(6)
N_CONSTS = 6


def _kernel(func):
    # As in smallnet_kernel: machine code cached on disk, NumPy's float semantics (x/0 = inf).
    return njit(cache=True, nogil=True, error_model="numpy")(func)


@_kernel
def _cast(consts, value):
    """``value`` rounded to the network's dtype (NumPy's ``dtype.type(value)``)."""
    consts[SCALE] = value
    return consts[SCALE]


@_kernel
def _activate(code, slope, zero, one, z):
    if code == 1:  # sigmoid, without overflow (as scipy's expit)
        if z >= zero:
            return one / (one + np.exp(-z))
        e = np.exp(z)
        return e / (one + e)
    if code == 2:
        return np.tanh(z)
    if code == 3:  # max(z, 0), NaN kept as np.maximum keeps it
        return zero if z <= zero else z
    if code == 4:
        return z if z > zero else z * slope
    return z  # identity (softmax is handled row-wise by the caller)


@_kernel
def _chain(code, slope, zero, one, grad_a, z, a):
    """dL/dz from dL/da, the same expressions as activations.py's backward rules."""
    if code == 1:  # slides: sigma'(z) = sigma(z)(1 - sigma(z)), from the cached output
        return grad_a * a * (one - a)
    if code == 2:
        return grad_a * (one - a * a)
    if code == 3:
        return grad_a if z > zero else zero * grad_a
    if code == 4:
        return grad_a * (one if z > zero else slope)
    return grad_a


@_kernel
def _update(p, g, v, decay, nesterov, consts):
    """optim.SGD's update of one parameter array in place, element by element (flat views)."""
    lr, mu, wd = consts[LR], consts[MOMENTUM], consts[WEIGHT_DECAY]
    zero = consts[ZERO]
    for k in range(p.shape[0]):
        d = g[k]
        if decay:
            d = p[k] * wd + d  # g + lambda w
        if mu != zero:
            vk = v[k] * mu + d  # v <- mu v + g
            v[k] = vk
            d = vk * mu + d if nesterov else vk
        p[k] = p[k] - d * lr  # the slides' update w <- w - eta d


@_kernel
def _product(gemm, trans_a, trans_b, m, n, k, alpha, a, b, beta, c):
    """c <- alpha op(a) op(b) + beta c for C-ordered arrays (op(a) is m x k, op(b) k x n)."""
    gemm(ROW_MAJOR, trans_a, trans_b, m, n, k, alpha, a.ctypes, a.shape[1], b.ctypes,
         b.shape[1], beta, c.ctypes, c.shape[1])  # fmt: skip


@_kernel
def _step_along(p, v, consts):
    """w <- w - eta v (momentum's step, once the product has made v <- mu v + g)."""
    lr = consts[LR]
    for k in range(p.shape[0]):
        p[k] = p[k] - v[k] * lr


@_kernel
def sgd_epoch(
    gemm,
    update_mode,
    weights,
    biases,
    vel_w,
    vel_b,
    acts,
    slopes,
    loss_code,
    X,
    Y,
    batch_size,
    consts,
    nesterov,
    decay,
    z,
    a,
    delta,
    grad_a,
    grad_w,
    grad_b,
    losses,
):
    """One epoch of SGD over the rows of X in order, in batches of ``batch_size``.

    Work arrays (one per layer, ``batch_size`` rows): z, a (outputs), delta (dL/dz), grad_a
    (dL/da of the layer's *inputs*; entry 0 unused), grad_w, grad_b. ``losses[k]`` receives
    batch k's loss before its update. Returns the number of updates made: fewer than the
    batches when a loss is NaN or inf (that loss is recorded, its update not applied).
    """
    n_layers = len(weights)
    n = X.shape[0]
    zero, one = consts[ZERO], consts[ONE]
    step = 0
    for first in range(0, n, batch_size):
        m = min(batch_size, n - first)
        x = X[first : first + m]
        # ---- forward: z = a W (BLAS), then bias and activation in one pass
        for l in range(n_layers):
            zl, al, b, W = z[l][:m], a[l][:m], biases[l], weights[l]
            n_in, n_o = W.shape
            _product(gemm, NO_TRANS, NO_TRANS, m, n_o, n_in, one, x if l == 0 else a[l - 1],
                     W, zero, zl)  # fmt: skip
            code, slope = acts[l], slopes[l]
            for r in range(m):
                if code == 5:  # softmax: subtract the row maximum so exp cannot overflow
                    top = zl[r, 0] + b[0]
                    for j in range(n_o):
                        zl[r, j] += b[j]
                        top = max(top, zl[r, j])
                    total = zero
                    for j in range(n_o):
                        e = np.exp(zl[r, j] - top)
                        al[r, j] = e
                        total += e
                    for j in range(n_o):
                        al[r, j] /= total
                else:
                    for j in range(n_o):
                        zj = zl[r, j] + b[j]
                        zl[r, j] = zj
                        al[r, j] = _activate(code, slope, zero, one, zj)
        # ---- loss and the output layer's delta (losses.py)
        L = n_layers - 1
        zo, ao, do, yb = z[L][:m], a[L][:m], delta[L][:m], Y[first : first + m]
        n_out = ao.shape[1]
        code, slope = acts[L], slopes[L]
        loss = 0.0
        if loss_code == 0:  # mse: mean over all elements of (y-hat - y)^2, no 1/2
            scale = _cast(consts, 2.0 / (m * n_out))
            for r in range(m):
                inner = zero
                for j in range(n_out):
                    diff = ao[r, j] - yb[r, j]
                    loss += float(diff) * float(diff)
                    grad = diff * scale  # slide: dL/dy-hat = 2(y-hat - y), with 1/(n k)
                    if code == 5:
                        do[r, j] = grad
                        inner += grad * ao[r, j]
                    else:
                        do[r, j] = _chain(code, slope, zero, one, grad, zo[r, j], ao[r, j])
                if code == 5:  # softmax's Jacobian: a_j (dL/da_j - sum_k dL/da_k a_k)
                    for j in range(n_out):
                        do[r, j] = (do[r, j] - inner) * ao[r, j]
            loss /= m * n_out
        elif loss_code == 1:  # bce fused with the sigmoid: dL/dz = (p - y) / (n k)
            scale = _cast(consts, 1.0 / (m * n_out))
            for r in range(m):
                for j in range(n_out):
                    zj, y = float(zo[r, j]), float(yb[r, j])
                    loss += max(zj, 0.0) + math.log1p(math.exp(-abs(zj))) - y * zj
                    do[r, j] = (ao[r, j] - yb[r, j]) * scale
            loss /= m * n_out
        else:  # cross-entropy fused with the softmax: dL/dz = (p - y) / n
            scale = _cast(consts, 1.0 / m)
            for r in range(m):
                top = float(zo[r, 0])
                for j in range(1, n_out):
                    top = max(top, float(zo[r, j]))
                total = 0.0
                for j in range(n_out):
                    total += math.exp(float(zo[r, j]) - top)
                log_total = math.log(total)
                for j in range(n_out):
                    loss -= float(yb[r, j]) * (float(zo[r, j]) - top - log_total)
                    do[r, j] = (ao[r, j] - yb[r, j]) * scale
            loss /= m
        losses[step] = loss
        if not math.isfinite(loss):
            return step  # the caller reports the divergence; this batch is not applied
        # ---- backward, updating each layer once dL/da of its inputs has used the old W
        for l in range(L, -1, -1):
            dl, W, b = delta[l][:m], weights[l], biases[l]
            n_in, n_o = W.shape
            a_in = x if l == 0 else a[l - 1]
            gb = grad_b[l]
            for j in range(gb.shape[0]):
                gb[j] = zero
            for r in range(m):  # dL/db = the sum of delta's rows, in row order as NumPy
                for j in range(gb.shape[0]):
                    gb[j] += dl[r, j]
            if l > 0:  # dL/da = delta W^T with the old W, then delta = dL/da * f'(z)
                ga = grad_a[l][:m]
                _product(gemm, NO_TRANS, TRANS, m, n_in, n_o, one, dl, W, zero, ga)
                zp, ap, dp = z[l - 1][:m], a[l - 1][:m], delta[l - 1][:m]
                code, slope = acts[l - 1], slopes[l - 1]
                for r in range(m):
                    for i in range(n_in):
                        dp[r, i] = _chain(code, slope, zero, one, ga[r, i], zp[r, i], ap[r, i])
            # dL/dW = a^T delta, and the update of W
            if update_mode == PLAIN_IN_GEMM:  # W <- W - eta a^T delta
                _product(gemm, TRANS, NO_TRANS, n_in, n_o, m, -consts[LR], a_in, dl, one, W)
            elif update_mode == MOMENTUM_IN_GEMM:  # v <- mu v + a^T delta; W <- W - eta v
                vw = vel_w[l]
                _product(gemm, TRANS, NO_TRANS, n_in, n_o, m, one, a_in, dl, consts[MOMENTUM], vw)
                _step_along(W.reshape(W.size), vw.reshape(vw.size), consts)
            else:
                gw = grad_w[l]
                _product(gemm, TRANS, NO_TRANS, n_in, n_o, m, one, a_in, dl, zero, gw)
                _update(W.reshape(W.size), gw.reshape(gw.size), vel_w[l].reshape(W.size), decay,
                        nesterov, consts)  # fmt: skip
            _update(b, gb, vel_b[l], False, nesterov, consts)
        step += 1
    return step
