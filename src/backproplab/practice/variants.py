"""The wrong values of the classic mistakes, each a variant of the engine's derivation.

The correct numbers are the engine's (``MLP.forward``, ``MLP.gradients``). A variant changes
one thing in the backward recursion -- the starting ∂L/∂z of the output, the factor f′ at the
hidden layers, or the weights the error flows back through -- and then reads the asked
quantity the same way. The factor f′ is always the engine's activation object
(``net.activation_functions[l].backward``), so no activation is re-derived here.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..engine import MLP
from ..engine.activations import get_activation
from .quantities import Quantity

Array = np.ndarray


@dataclass
class Pass:
    """The quantities of one (possibly wrong) backward pass, shaped like the engine's."""

    output: Array
    output_grad: Array | None
    activation_grads: list[Array | None]
    weights: list[Array]
    biases: list[Array]


def _recursion(
    net: MLP,
    trace,
    delta_out: Array,
    output_grad: Array | None,
    *,
    through: list[Array] | None = None,
    factor: str = "z",
) -> Pass:
    """The delta recursion from ``delta_out`` (∂L/∂z of the output, rows carrying 1/n).

    ``through``: the weights the error flows back through (default the network's).
    ``factor``: 'z' the chain rule's f′(z); 'none' no factor; 'a' f′ taken at the activation.
    """
    weights = list(net.weights) if through is None else through
    L = net.n_layers
    gw: list[Array] = [None] * L  # type: ignore[list-item]
    gb: list[Array] = [None] * L  # type: ignore[list-item]
    ga: list[Array | None] = [None] * L
    ga[-1] = output_grad
    delta = delta_out
    for l in range(L - 1, -1, -1):
        gw[l] = trace.a[l].T @ delta
        gb[l] = delta.sum(axis=0)
        if l == 0:
            break
        grad_a = delta @ weights[l].T
        ga[l - 1] = grad_a
        act = net.activation_functions[l - 1]
        if factor == "z":
            delta = act.backward(grad_a, trace.z[l - 1], trace.a[l])
        elif factor == "a":
            a = trace.a[l]
            delta = act.backward(grad_a, a, act.forward(a))
        else:
            delta = grad_a
    return Pass(trace.a[-1], output_grad, ga, gw, gb)


def _correct(net: MLP, X: Array, Y: Array) -> Pass:
    trace = net.forward(X)
    g = net.gradients(X, Y)
    return Pass(trace.a[-1], g.activation_grads[-1], g.activation_grads, g.weights, g.biases)


def _read(q: Quantity, p: Pass, net: MLP, lr: float, transposed: bool = False) -> float:
    """The asked quantity from a pass (sample 1 for per-sample quantities)."""
    if q.kind == "output":
        return float(p.output[0, q.j - 1])
    if q.kind == "output_grad":
        assert p.output_grad is not None
        return float(p.output_grad[0, q.j - 1])
    if q.kind == "activation_grad":
        grad = p.activation_grads[q.layer - 1]
        assert grad is not None
        return float(grad[0, q.j - 1])
    return _param_value(q, p, net, lr, transposed)


def _param_value(q: Quantity, p: Pass, net: MLP, lr: float, transposed: bool) -> float:
    ref = q.param
    assert ref is not None
    if ref.kind == "w":
        i, j = (ref.j, ref.i) if transposed else (ref.i, ref.j)
        grad = float(p.weights[ref.layer - 1][i - 1, j - 1])
        value = float(net.weights[ref.layer - 1][ref.i - 1, ref.j - 1])
    else:
        grad = float(p.biases[ref.layer - 1][ref.j - 1])
        value = float(net.biases[ref.layer - 1][ref.j - 1])
    return grad if q.kind == "gradient" else value - lr * grad


def answer(net: MLP, X: Array, Y: Array, lr: float, q: Quantity) -> float:
    """The correct value, from the engine."""
    return _read(q, _correct(net, X, Y), net, lr)


def _gradient_passes(net: MLP, X: Array, Y: Array, lr: float) -> dict[str, Pass]:
    """Each gradient mistake as a whole wrong backward pass."""
    trace = net.forward(X)
    g = net.gradients(X, Y)
    n = X.shape[0]
    delta_out, out_grad = g.deltas[-1], g.activation_grads[-1]
    passes: dict[str, Pass] = {
        "no_activation_derivative": _recursion(net, trace, delta_out, out_grad, factor="none"),
        "derivative_at_activation": _recursion(net, trace, delta_out, out_grad, factor="a"),
        "updated_weights": _recursion(
            net,
            trace,
            delta_out,
            out_grad,
            through=[W - lr * gW for W, gW in zip(net.weights, g.weights, strict=True)],
        ),
    }
    if net.loss_name == "mse":
        half = None if out_grad is None else out_grad / 2
        passes["no_factor_two"] = _recursion(net, trace, delta_out / 2, half)
    if n > 1:
        summed = None if out_grad is None else out_grad * n
        passes["no_mean"] = _recursion(net, trace, delta_out * n, summed)
    if net.activations[-1] == "softmax":
        # ∂L/∂a of cross-entropy, -y/(a n), times the element-wise a(1 - a) of a sigmoid.
        a = trace.a[-1]
        dl_da = -Y / (a * n)
        wrong = get_activation("sigmoid").backward(dl_da, trace.z[-1], a)
        passes["softmax_elementwise"] = _recursion(net, trace, wrong, None)
    squares = [W.T if W.shape[0] == W.shape[1] else W for W in net.weights]
    passes["transposed_weight"] = _recursion(net, trace, delta_out, out_grad, through=squares)
    return passes


def _transposed_forward(net: MLP, X: Array) -> Array:
    twisted = net.copy()
    twisted.weights = [W.T.copy() if W.shape[0] == W.shape[1] else W for W in net.weights]
    return twisted.forward(X).a[-1]


def wrong_values(net: MLP, X: Array, Y: Array, lr: float, q: Quantity) -> dict[str, float]:
    """Every mistake that applies to quantity ``q``, with its wrong value (id -> value)."""
    correct = _correct(net, X, Y)
    right = _read(q, correct, net, lr)
    out: dict[str, float] = {"sign": -right}
    if q.kind == "output":
        out["transposed_weight"] = float(_transposed_forward(net, X)[0, q.j - 1])
        return out
    for mistake, p in _gradient_passes(net, X, Y, lr).items():
        if mistake == "transposed_weight" and q.kind in ("gradient", "update"):
            ref = q.param
            assert ref is not None
            # The gradient read off the swapped entry, ∂L/∂w_ji for ∂L/∂w_ij.
            n_in, n_out = net.layer_sizes[ref.layer - 1], net.layer_sizes[ref.layer]
            if ref.kind == "w" and ref.i != ref.j and ref.j <= n_in and ref.i <= n_out:
                out[mistake] = _read(q, correct, net, lr, transposed=True)
            continue
        if (q.kind == "output_grad" and p.output_grad is None) or (
            q.kind == "activation_grad" and p.activation_grads[q.layer - 1] is None
        ):
            continue
        out[mistake] = _read(q, p, net, lr)
    if q.kind == "update":
        gradient = Quantity("gradient", q.layer, q.j, q.param)
        g = _read(gradient, correct, net, lr)
        out["sign"] = right + 2 * lr * g  # w + η ∂L/∂w: the step went uphill
        out["no_learning_rate"] = right + lr * g - g
        out["gradient_not_update"] = g
    if q.kind == "gradient":
        update = Quantity("update", q.layer, q.j, q.param)
        out["update_not_gradient"] = _read(update, correct, net, lr)
    return out
