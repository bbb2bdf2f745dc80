"""An independent plain-Python backprop for the exercises, with each classic mistake as a flag.

Written from the slides' formulas on Python floats and lists (no NumPy, no backproplab), from
an exercise's ``to_dict()``; the tests compare the library's diagnosis with these numbers.
"""

from __future__ import annotations

import math
import re


def sigmoid(x: float) -> float:
    return 1.0 / (1.0 + math.exp(-x))


def f(name: str, z: float) -> float:
    return {"sigmoid": sigmoid, "tanh": math.tanh, "identity": lambda v: v}[name](z)


def fprime(name: str, z: float) -> float:
    if name == "sigmoid":
        return sigmoid(z) * (1 - sigmoid(z))
    if name == "tanh":
        return 1 - math.tanh(z) ** 2
    return 1.0


def forward(d: dict, x: list[float], weights=None):
    """zs[l], as[l] per layer (as[0] = x), from plain lists."""
    W = d["weights"] if weights is None else weights
    zs, acts = [], [list(x)]
    for layer, act in enumerate(d["activations"]):
        prev = acts[-1]
        Wl, bl = W[layer], d["biases"][layer]
        z = [sum(prev[i] * Wl[i][j] for i in range(len(prev))) + bl[j] for j in range(len(bl))]
        if act == "softmax":
            m = max(z)
            e = [math.exp(v - m) for v in z]
            a = [v / sum(e) for v in e]
        else:
            a = [f(act, v) for v in z]
        zs.append(z)
        acts.append(a)
    return zs, acts


def transpose_square(W):
    return [
        [[Wl[j][i] for j in range(len(Wl))] for i in range(len(Wl))]
        if len(Wl) == len(Wl[0])
        else Wl
        for Wl in W
    ]


def backward(d: dict, mistake: str | None = None, through=None):
    """Gradients (gw, gb) and per-sample dL/da (of sample 1) of the mean loss, with one mistake.

    mistake: None, 'no_activation_derivative', 'derivative_at_activation', 'no_factor_two',
    'no_mean', 'softmax_elementwise'; ``through``: the weights the error flows back through.
    """
    X, Y = d["x"], d["y"]
    n = len(X)
    acts_names = d["activations"]
    L = len(acts_names)
    back = d["weights"] if through is None else through
    gw = [[[0.0] * len(Wl[0]) for _ in Wl] for Wl in d["weights"]]
    gb = [[0.0] * len(bl) for bl in d["biases"]]
    dA_first = None
    for k in range(n):
        zs, acts = forward(d, X[k])
        y_hat, y = acts[-1], Y[k]
        dA = [None] * L
        if d["loss"] == "mse":
            two = 1.0 if mistake == "no_factor_two" else 2.0
            mean = 1.0 if mistake == "no_mean" else n * len(y)
            g = [two * (y_hat[j] - y[j]) / mean for j in range(len(y))]
            dA[-1] = g
            delta = list(g)  # linear output: f'(z) = 1
        elif mistake == "softmax_elementwise":
            delta = [(-y[j] / y_hat[j]) / n * y_hat[j] * (1 - y_hat[j]) for j in range(len(y))]
        else:
            mean = 1.0 if mistake == "no_mean" else n
            delta = [(y_hat[j] - y[j]) / mean for j in range(len(y))]
        for layer in range(L - 1, -1, -1):
            prev = acts[layer]
            for i in range(len(prev)):
                for j in range(len(delta)):
                    gw[layer][i][j] += prev[i] * delta[j]
            for j in range(len(delta)):
                gb[layer][j] += delta[j]
            if layer == 0:
                break
            Wl = back[layer]
            grad_a = [sum(delta[j] * Wl[i][j] for j in range(len(delta))) for i in range(len(prev))]
            dA[layer - 1] = grad_a
            name = acts_names[layer - 1]
            if mistake == "no_activation_derivative":
                delta = grad_a
            elif mistake == "derivative_at_activation":
                delta = [grad_a[i] * fprime(name, prev[i]) for i in range(len(prev))]
            else:
                delta = [grad_a[i] * fprime(name, zs[layer - 1][i]) for i in range(len(prev))]
        if k == 0:
            dA_first = dA
    return gw, gb, dA_first


def parse(asks: str):
    """('output', j) | ('output_grad',) | ('act', layer, j) | ('grad'|'new', kind, l, i, j)."""
    if m := re.fullmatch(r"y_hat(?:_(\d))?", asks):
        return ("output", int(m[1] or 1))
    if asks == "dL/dy_hat":
        return ("output_grad",)
    if m := re.fullmatch(r"dL/dO(\d)", asks):
        return ("act", 1, int(m[1]))
    if m := re.fullmatch(r"dL/da(\d)_(\d)", asks):
        return ("act", int(m[1]), int(m[2]))
    m = re.fullmatch(r"(dL/d)?([wb])(\d)_(\d)(\d)?(\(new\))?", asks)
    assert m, asks
    kind, layer = m[2], int(m[3])
    i, j = (int(m[4]), int(m[5])) if kind == "w" else (None, int(m[4]))
    return ("grad" if m[1] else "new", kind, layer, i, j)


def read(d: dict, q, grads, *, swap: bool = False) -> float:
    gw, gb, dA = grads
    if q[0] == "output_grad":
        return dA[-1][0]
    if q[0] == "act":
        return dA[q[1] - 1][q[2] - 1]
    _, kind, layer, i, j = q
    if kind == "w":
        a, b = (j, i) if swap else (i, j)
        g = gw[layer - 1][a - 1][b - 1]
        value = d["weights"][layer - 1][i - 1][j - 1]
    else:
        g = gb[layer - 1][j - 1]
        value = d["biases"][layer - 1][j - 1]
    return g if q[0] == "grad" else value - d["lr"] * g


def updated(d: dict, grads):
    gw = grads[0]
    return [
        [[Wl[i][j] - d["lr"] * gw[layer][i][j] for j in range(len(Wl[0]))] for i in range(len(Wl))]
        for layer, Wl in enumerate(d["weights"])
    ]


def correct(d: dict) -> float:
    q = parse(d["asks"])
    if q[0] == "output":
        return forward(d, d["x"][0])[1][-1][q[1] - 1]
    return read(d, q, backward(d))


def mistakes(d: dict) -> dict[str, float]:
    """Every mistake that applies to the asked quantity, with its wrong value."""
    q = parse(d["asks"])
    right = correct(d)
    out = {"sign": -right}
    if q[0] == "output":
        out["transposed_weight"] = forward(d, d["x"][0], transpose_square(d["weights"]))[1][-1][
            q[1] - 1
        ]
        return out
    grads = backward(d)
    variants = {
        "no_activation_derivative": backward(d, "no_activation_derivative"),
        "derivative_at_activation": backward(d, "derivative_at_activation"),
        "updated_weights": backward(d, through=updated(d, grads)),
    }
    if d["loss"] == "mse":
        variants["no_factor_two"] = backward(d, "no_factor_two")
    else:
        variants["softmax_elementwise"] = backward(d, "softmax_elementwise")
    if len(d["x"]) > 1:
        variants["no_mean"] = backward(d, "no_mean")
    if q[0] == "act":
        variants["transposed_weight"] = backward(d, through=transpose_square(d["weights"]))
    for name, g in variants.items():
        if name == "softmax_elementwise" and q[0] == "output_grad":
            continue
        out[name] = read(d, q, g)
    if q[0] in ("grad", "new") and q[1] == "w" and q[3] != q[4]:
        sizes = d["layer_sizes"]
        if q[4] <= sizes[q[2] - 1] and q[3] <= sizes[q[2]]:
            out["transposed_weight"] = read(d, q, grads, swap=True)
    g = read(d, ("grad",) + tuple(q[1:]), grads) if q[0] in ("grad", "new") else None
    if q[0] == "new":
        value = right + d["lr"] * g
        out["sign"] = value + d["lr"] * g
        out["no_learning_rate"] = value - g
        out["gradient_not_update"] = g
    if q[0] == "grad":
        out["update_not_gradient"] = read(d, ("new",) + tuple(q[1:]), grads)
    return out
