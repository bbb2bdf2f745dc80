"""The compiled training loop: epochs of forward, backward and update in one numba function.

Why it exists: a NumPy training step is ~50 calls, each costing about as much as its
arithmetic on small networks, and the element-wise ones each make one more pass over memory
on large ones. Here a whole block of epochs is one call: matrix products go to NumPy's own
BLAS (``gemm``, blas.py) or, when tiny, to plain loops; everything between them is one fused
loop per layer. The element-wise maths is *not* written here: ``activate`` and ``chain`` are
built from the one table (engine/functions.py) by dispatch.py, which compiles the table's own
functions. What is written here is the bookkeeping of the slides' procedure: the delta
recursion (network.py's ``_backward``, line for line) and the optimisers' updates (optim.py's
formulas, in the same order of operations, in the network's dtype).

Parameters and optimiser state are flat vectors (the network keeps its arrays as views into
one buffer): layer l's W (row-major, n_in x n_out) starts at ``layout[l, W_OFF]``, its b
at ``layout[l, B_OFF]``.
"""

from __future__ import annotations

import math

import numpy as np

from .blas import NO_TRANS, ROW_MAJOR, TRANS
from .dispatch import activate_block, chain, chain_block, inner, kernel

#: Optimisers (``opt``): SGD with optional (Nesterov) momentum, and Adam.
SGD, ADAM = 0, 1
#: Slots of ``consts`` (an array of the network's dtype, so float32 stays float32); layer
#: l's activation parameter (leaky_relu's slope, elu's alpha) is ``consts[PARAMS + l]``.
MOMENTUM, WEIGHT_DECAY, BETA1, ONE_MINUS_BETA1, BETA2, ONE_MINUS_BETA2, EPS, SCALE = range(8)
PARAMS = 8
#: Columns of ``layout``, one row per weight layer: its input and output widths, where its
#: W and b start in the flat parameter vector, its activation's code, and where its units
#: start in a row of the work blocks (the units of the layers before it).
N_IN, N_OUT, W_OFF, B_OFF, ACT, U_OFF = range(6)
#: Slots of ``rule`` (int64): the loss's code, the optimiser, Nesterov, weight decay on, the
#: batch size, and whether to check that each batch's X and Y are finite (``MLP.step``, whose
#: inputs no one checked before: here it is one comparison per value, in Python ~0.5 us).
#: Arrays rather than arguments: a compiled call pays for each argument (~50 ns), which is
#: most of a small network's ``MLP.step``.
LOSS, OPT, NESTEROV, DECAY, BATCH, CHECK = range(6)
#: What ``train`` returns when a checked batch held NaN or inf (nothing was updated).
NOT_FINITE = -1
#: Products with fewer multiply-adds than this run as loops: a BLAS call costs more.
LOOP_WORK = 2048
#: Layers of at most this many units get their weight gradient's product as loops: OpenBLAS
#: is slow at that shape (a^T delta of 200 x 100 by 200 x 3: 18 us, the loop 9 us).
SKINNY = 4
SOFTMAX = 9  # functions.SOFTMAX_CODE (checked by the tests)


def work_size(sizes, batch_rows: int) -> int:
    """Elements of ``train``'s work space for batches of ``batch_rows`` rows (the gradient
    vector first, then the layers' blocks)."""
    n_params = sum(a * b + b for a, b in zip(sizes[:-1], sizes[1:], strict=True))
    skinny = SKINNY * max(sizes[:-1])  # _weight_product's transposed sums
    return n_params + batch_rows * (4 * sum(sizes[1:]) + sizes[0] + sizes[-1]) + skinny


@inner
def _cast(consts, value):
    """``value`` rounded to the network's dtype (NumPy's ``dtype.type(value)``)."""
    consts[SCALE] = value
    return consts[SCALE]


@inner
def _product(gemm, ta, tb, m, n, k, alpha, A, B, beta, C):
    """C <- alpha op(A) op(B) + beta C (C-ordered 2-D arrays; op(A) is m x k)."""
    if gemm is None:  # a network whose products are all tiny: no BLAS at all
        _loops(ta, tb, m, n, k, alpha, A, B, beta, C)
        return
    if m * n * k >= LOOP_WORK:
        gemm(ROW_MAJOR, ta, tb, m, n, k, alpha, A.ctypes, A.shape[1], B.ctypes, B.shape[1],
             beta, C.ctypes, C.shape[1])  # fmt: skip
        return
    _loops(ta, tb, m, n, k, alpha, A, B, beta, C)


@inner
def _loops(ta, tb, m, n, k, alpha, A, B, beta, C):
    """The product as plain loops (tiny products: cheaper than a BLAS call)."""
    for i in range(m):  # tiny: plain loops, one per layout so the inner loop is simple
        for j in range(n):
            s = 0.0
            if ta == TRANS:
                for p in range(k):
                    s += A[p, i] * B[p, j]
            elif tb == TRANS:
                for p in range(k):
                    s += A[i, p] * B[j, p]
            else:
                for p in range(k):
                    s += A[i, p] * B[p, j]
            C[i, j] = alpha * s if beta == 0 else alpha * s + beta * C[i, j]


@inner
def _weight_product(gemm, n_in, n_o, m, alpha, A, D, beta, C, T, zero):
    """C <- alpha A^T D + beta C: a layer's dL/dW = a^T delta (A: m x n_in, D: m x n_o).

    For a layer of few units (a classifier's output) the sum runs row by row into the
    scratch T as n_o contiguous rows of n_in, a loop that vectorises, then goes into C.
    ``zero`` is 0 in the network's dtype (T is uninitialised work space: T[0] * 0 may be NaN)."""
    if gemm is None or n_o > SKINNY or m * n_o * n_in < LOOP_WORK:
        _product(gemm, TRANS, NO_TRANS, n_in, n_o, m, alpha, A, D, beta, C)
        return
    t = T[: n_o * n_in].reshape((n_o, n_in))
    for j in range(n_o):
        tj = t[j]
        for q in range(n_in):
            tj[q] = zero
    for i in range(m):  # slide: dL/dw2_11 = dL/dy-hat * O1, summed over the rows
        a = A[i]
        for j in range(n_o):
            d, tj = D[i, j], t[j]
            for q in range(n_in):
                tj[q] += a[q] * d
    for q in range(n_in):
        for j in range(n_o):
            C[q, j] = alpha * t[j, q] if beta == 0 else alpha * t[j, q] + beta * C[q, j]


@inner
def _block(buf, lo, m, k):
    """Rows 0..m-1 of a layer's (rows x k) block in a flat work buffer, as a 2-D view."""
    return buf[lo : lo + m * k].reshape((m, k))


@inner
def _update(P, G, S1, S2, lo, hi, decay, opt, nesterov, lr, c, corr1, sqrt_corr2, stats, row):
    """optim.py's update of P[lo:hi] from G[lo:hi], element by element, in place.

    With ``row`` >= 0 the squared norms of the gradient, the weights and the update are
    added to ``stats[row]`` (the History's gradient-health figures)."""
    mu, wd = c[MOMENTUM], c[WEIGHT_DECAY]
    zero = c[EPS] * 0
    if row < 0:  # no figures to record: one branch-free loop per rule (so it vectorises)
        # Views indexed from 0: numba then needs no wrap-around check for negative indices.
        p_, g_, m_ = P[lo:hi], G[lo:hi], S1[lo:hi] if S1.shape[0] > 1 else S1
        if decay:
            for k in range(hi - lo):
                g_[k] = p_[k] * wd + g_[k]  # g + lambda w (L2)
        if opt == SGD and mu == zero:  # the slides' update w <- w - eta g
            for k in range(hi - lo):
                p_[k] = p_[k] - g_[k] * lr
        elif opt == SGD and nesterov:
            for k in range(hi - lo):
                v = m_[k] * mu + g_[k]
                m_[k] = v
                p_[k] = p_[k] - (v * mu + g_[k]) * lr
        elif opt == SGD:
            for k in range(hi - lo):
                v = m_[k] * mu + g_[k]
                m_[k] = v
                p_[k] = p_[k] - v * lr
        else:
            b1, c1, b2, c2, eps = c[BETA1], c[ONE_MINUS_BETA1], c[BETA2], c[ONE_MINUS_BETA2], c[EPS]
            v_ = S2[lo:hi]
            for k in range(hi - lo):
                d = g_[k]
                m = m_[k] * b1 + d * c1
                v = v_[k] * b2 + (d * d) * c2
                m_[k] = m
                v_[k] = v
                p_[k] = p_[k] - m / (np.sqrt(v) / sqrt_corr2 + eps) * corr1
        return
    for k in range(lo, hi):
        g = G[k]
        d = P[k] * wd + g if decay else g  # g + lambda w (L2)
        if opt == SGD:
            if mu != zero:
                v = S1[k] * mu + d  # v <- mu v + g
                S1[k] = v
                d = v * mu + d if nesterov else v
            step = d * lr  # the slides' update w <- w - eta d
        else:  # Adam, with the bias corrections of this step
            m = S1[k] * c[BETA1] + d * c[ONE_MINUS_BETA1]
            v = S2[k] * c[BETA2] + (d * d) * c[ONE_MINUS_BETA2]
            S1[k] = m
            S2[k] = v
            step = m / (np.sqrt(v) / sqrt_corr2 + c[EPS]) * corr1
        if row >= 0:
            stats[row, 0] += float(g) * float(g)
            stats[row, 1] += float(P[k]) * float(P[k])
            stats[row, 2] += float(step) * float(step)
        P[k] = P[k] - step


@kernel
def train(gemm, P, S1, S2, snap, work, layout, rule, c, t0, X, Y, orders, lrs, losses, stats):
    """Run ``lrs.shape[0]`` epochs over the rows of X, Y in batches of ``rule[BATCH]``.

    Epoch e uses the learning rate ``lrs[e]`` and, when ``orders`` has rows, visits the rows
    in the order ``orders[e]``. ``losses[k]`` receives step k's loss (before its update);
    when ``stats`` has rows, the first step of each epoch adds each layer's squared
    gradient, weight and update norms to ``stats[e * L + l]``. ``snap[0]``/``snap[1]`` hold
    the parameters at the start of this epoch and of the one before (for the caller's
    divergence handling). ``work`` is the work space (:func:`work_size` elements), made once
    by the caller; ``t0`` the optimiser's steps so far. Returns the number of updates made:
    fewer than planned when a loss came out NaN or inf (that step recorded, not applied),
    or NOT_FINITE when ``rule[CHECK]`` is set and a batch holds a NaN or inf.
    """
    L = layout.shape[0]
    n = X.shape[0]
    loss_code, opt, nesterov, decay = rule[LOSS], rule[OPT], rule[NESTEROV] != 0, rule[DECAY] != 0
    batch_size = rule[BATCH]
    shuffled, health = orders.shape[0] > 0, stats.shape[0] > 0
    rows = min(batch_size, n)
    width = 0
    for l in range(L):
        width += layout[l, N_OUT]
    block = rows * width
    G = work[: P.shape[0]]  # dL/dW and dL/db, laid out as P
    blocks = work[P.shape[0] :]
    Z = blocks[:block]  # z^l of every layer, one block each
    A = blocks[block : 2 * block]  # a^l = f(z^l)
    D = blocks[2 * block : 3 * block]  # delta^l = dL/dz^l
    GA = blocks[3 * block : 4 * block]  # dL/da^l
    n_x, n_y = layout[0, N_IN], layout[L - 1, N_OUT]
    rest = 4 * block + rows * n_x
    Xb = blocks[4 * block : rest].reshape((rows, n_x))  # the batch's rows, when shuffled
    Yb = blocks[rest : rest + rows * n_y].reshape((rows, n_y))
    T = blocks[rest + rows * n_y :]  # _weight_product's scratch
    zero, one = c[EPS] * 0, c[EPS] * 0 + 1
    b1, b2 = float(c[BETA1]), float(c[BETA2])
    step = 0
    for e in range(lrs.shape[0]):
        if snap.shape[1]:  # MLP.step passes none: a step that diverges is not applied
            snap[1, :] = snap[0, :]
            snap[0, :] = P
        lr = _cast(c, lrs[e])
        for first in range(0, n, batch_size):
            m = min(batch_size, n - first)
            if shuffled:
                order = orders[e]
                for r in range(m):  # element loops: a slice copy here costs 2.5x (measured)
                    i = order[first + r]
                    x_from, x_to, y_from, y_to = X[i], Xb[r], Y[i], Yb[r]
                    for j in range(n_x):
                        x_to[j] = x_from[j]
                    for j in range(n_y):
                        y_to[j] = y_from[j]
                x, y = Xb[:m], Yb[:m]
            else:
                x, y = X[first : first + m], Y[first : first + m]
            if rule[CHECK]:
                for r in range(m):
                    for j in range(n_x):
                        if not math.isfinite(x[r, j]):
                            return NOT_FINITE
                    for j in range(n_y):
                        if not math.isfinite(y[r, j]):
                            return NOT_FINITE
            # ---- forward: z = a W + b, a = f(z)   (slides: O1 = sigma(w1_11 i1 + w1_21 i2 + b11))
            for l in range(L):
                n_in, n_o, wo, u0 = (
                    layout[l, N_IN],
                    layout[l, N_OUT],
                    layout[l, W_OFF],
                    layout[l, U_OFF],
                )
                W = P[wo : wo + n_in * n_o].reshape((n_in, n_o))
                b = P[layout[l, B_OFF] : layout[l, B_OFF] + n_o]
                zl = _block(Z, rows * u0, m, n_o)
                al = _block(A, rows * u0, m, n_o)
                a_in = x if l == 0 else _block(A, rows * layout[l - 1, U_OFF], m, n_in)
                _product(gemm, NO_TRANS, NO_TRANS, m, n_o, n_in, one, a_in, W, zero, zl)
                code, p = layout[l, ACT], c[PARAMS + l]
                if code != SOFTMAX:  # z += b and a = f(z) over the block, the table's f
                    activate_block(code, zl, al, b, p)
                    continue
                for r in range(m):  # softmax: the row maximum keeps exp from overflowing
                    for j in range(n_o):
                        zl[r, j] += b[j]
                    top = zl[r, 0]
                    for j in range(n_o):
                        top = max(top, zl[r, j])
                    total = zero
                    for j in range(n_o):
                        al[r, j] = np.exp(zl[r, j] - top)
                        total += al[r, j]
                    for j in range(n_o):
                        al[r, j] /= total
            # ---- the loss and the output layer's delta (losses.py)
            k_out = n_y
            lo = rows * layout[L - 1, U_OFF]
            zo = Z[lo : lo + m * k_out].reshape((m, k_out))
            ao = A[lo : lo + m * k_out].reshape((m, k_out))
            do = D[lo : lo + m * k_out].reshape((m, k_out))
            code, p = layout[L - 1, ACT], c[PARAMS + L - 1]
            loss = 0.0
            if loss_code == 0:  # mse: the mean over all elements of (y-hat - y)^2, no 1/2
                scale = _cast(c, 2.0 / (m * k_out))
                for r in range(m):
                    inner = zero
                    for j in range(k_out):
                        diff = ao[r, j] - y[r, j]
                        loss += float(diff) * float(diff)
                        grad = diff * scale  # slide: dL/dy-hat = 2(y-hat - y), with 1/(n k)
                        if code == SOFTMAX:
                            do[r, j] = grad
                            inner += grad * ao[r, j]
                        else:
                            do[r, j] = chain(code, grad, zo[r, j], ao[r, j], p)
                    if code == SOFTMAX:  # softmax's Jacobian: a_j (dL/da_j - sum_k dL/da_k a_k)
                        for j in range(k_out):
                            do[r, j] = (do[r, j] - inner) * ao[r, j]
                loss /= m * k_out
            elif loss_code == 1:  # bce fused with the sigmoid: dL/dz = (p - y) / (n k)
                scale = _cast(c, 1.0 / (m * k_out))
                for r in range(m):
                    for j in range(k_out):
                        zj = float(zo[r, j])
                        loss += max(zj, 0.0) + math.log1p(math.exp(-abs(zj))) - float(y[r, j]) * zj
                        do[r, j] = (ao[r, j] - y[r, j]) * scale
                loss /= m * k_out
            else:  # cross-entropy fused with the softmax: dL/dz = (p - y) / n
                scale = _cast(c, 1.0 / m)
                for r in range(m):
                    # log sum_j exp(z_j - top) from the forward pass: the largest z_j's
                    # softmax output is exp(0) / sum = 1 / sum (no second round of exp).
                    top, top_j = float(zo[r, 0]), 0
                    for j in range(1, k_out):
                        if float(zo[r, j]) > top:
                            top, top_j = float(zo[r, j]), j
                    log_total = -math.log(float(ao[r, top_j]))
                    for j in range(k_out):
                        loss -= float(y[r, j]) * (float(zo[r, j]) - top - log_total)
                        do[r, j] = (ao[r, j] - y[r, j]) * scale
                loss /= m
            losses[step] = loss
            if not math.isfinite(loss):
                return step  # the caller reports the divergence; this step is not applied
            t = t0 + step + 1  # Adam's bias corrections, in float64 as optim.Adam's
            corr1 = _cast(c, float(lr) / (1.0 - b1**t)) if opt != SGD else lr
            sqrt_corr2 = _cast(c, math.sqrt(1.0 - b2**t)) if opt != SGD else one
            record = health and first == 0
            # ---- backward with the update; W^l changes only after dL/da^{l-1} used the old W^l
            for l in range(L - 1, -1, -1):
                n_in, n_o, wo = layout[l, N_IN], layout[l, N_OUT], layout[l, W_OFF]
                W = P[wo : wo + n_in * n_o].reshape((n_in, n_o))
                gw = G[wo : wo + n_in * n_o].reshape((n_in, n_o))
                dl = _block(D, rows * layout[l, U_OFF], m, n_o)
                a_in = x if l == 0 else _block(A, rows * layout[l - 1, U_OFF], m, n_in)
                gb0 = layout[l, B_OFF]
                # slide: dL/db21 = dL/dy-hat * 1, summed over the rows. Through views: indexed
                # as G[gb0 + j] the loop does not vectorise (7x slower at 200 x 100).
                gb = G[gb0 : gb0 + n_o]
                for j in range(n_o):
                    gb[j] = zero
                for r in range(m):
                    d_row = dl[r]
                    for j in range(n_o):
                        gb[j] += d_row[j]
                if l > 0:  # slide: dL/dO1 = dL/dy-hat * w2_11, then sigma'(z) from the cached O1
                    lo = rows * layout[l - 1, U_OFF]
                    ga = GA[lo : lo + m * n_in].reshape((m, n_in))
                    _product(gemm, NO_TRANS, TRANS, m, n_in, n_o, one, dl, W, zero, ga)
                    zp = Z[lo : lo + m * n_in].reshape((m, n_in))
                    ap = A[lo : lo + m * n_in].reshape((m, n_in))
                    dp = D[lo : lo + m * n_in].reshape((m, n_in))
                    chain_block(layout[l - 1, ACT], ga, zp, ap, dp, c[PARAMS + l - 1])
                row = e * L + l if record else -1
                plain = opt == SGD and not decay and not nesterov and not record
                if plain and c[MOMENTUM] == zero:  # W <- W - eta a^T delta, one product
                    _weight_product(gemm, n_in, n_o, m, -lr, a_in, dl, one, W, T, zero)
                elif plain:  # v <- mu v + a^T delta (one product), then W <- W - eta v
                    vw = S1[wo : wo + n_in * n_o].reshape((n_in, n_o))
                    _weight_product(gemm, n_in, n_o, m, one, a_in, dl, c[MOMENTUM], vw, T, zero)
                    for k in range(wo, wo + n_in * n_o):
                        P[k] = P[k] - S1[k] * lr
                else:  # slide: dL/dw2_11 = dL/dy-hat * O1, summed over the rows; then update
                    _weight_product(gemm, n_in, n_o, m, one, a_in, dl, zero, gw, T, zero)
                    _update(P, G, S1, S2, wo, wo + n_in * n_o, decay, opt, nesterov,
                            lr, c, corr1, sqrt_corr2, stats, row)  # fmt: skip
                _update(P, G, S1, S2, gb0, gb0 + n_o, False, opt, nesterov, lr, c, corr1,
                        sqrt_corr2, stats, row)  # fmt: skip
            step += 1
    return step
