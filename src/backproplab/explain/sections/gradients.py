"""∂L/∂w and ∂L/∂b of one unit, along the chain rule, from the engine's δ.

Shared by the output and the hidden layers: a parameter's gradient is δ of its unit times
what it multiplies (the input a for a weight, 1 for a bias); for a batch, each sample's
term and their sum, the engine's a.T @ δ written out.
"""

from __future__ import annotations

from .. import formulas
from ..expr import Expr, Q, Sub, add, mul
from ..names import ParamRef, param_name
from ..quantities import StepQuantities
from ..steps import Step
from ..symbols import LOSS, partial


def output_grad_expr(q: StepQuantities, j: int, k: int) -> Expr:
    """∂L/∂ŷ (mse) or the fused ∂L/∂z = (ŷ − y)/n (bce, cross_entropy), as a formula."""
    diff = Sub(q.act(q.n_layers, j, k), q.target(j, k))
    scale = formulas.gradient_scale(q.loss, q.n, q.sizes[-1])
    return diff if scale is None else mul(scale, diff)


def fprime(q: StepQuantities, layer: int, j: int, k: int) -> Expr:
    """f′(z) of a unit, from the engine's table."""
    act = q.activation(layer)
    return formulas.derivative(act.name, float(act.param), q.z(layer, j, k))


def expanded_delta(q: StepQuantities, layer: int, j: int, k: int) -> Expr:
    """δ of a unit written out along the chain rule while the path onward is single.

    For the slides' network this gives ∂L/∂w1_11 = 2(ŷ − y) · w2_11 · σ′(z1_1) · i1.
    Where the path fans out (a later layer with several units), the unit's ∂L/∂a is
    named instead; its own step shows the sum.
    """
    if layer == q.n_layers:
        if q.fused or q.output_is_plain():
            return output_grad_expr(q, j, k)
        if q.activation(layer).name == "softmax":
            return q.delta(layer, j, k)
        return mul(output_grad_expr(q, j, k), fprime(q, layer, j, k))
    if q.sizes[layer + 1] == 1:
        onward = expanded_delta(q, layer + 1, 1, k)
        return mul(onward, q.weight(layer + 1, j, 1), fprime(q, layer, j, k))
    return mul(q.act_grad(layer, j, k), fprime(q, layer, j, k))


def unit_gradient_steps(q: StepQuantities, layer: int, j: int) -> list[Step]:
    """The gradients of unit j's incoming weights, then of its bias."""
    refs = [ParamRef("w", layer, i, j) for i in q.units(layer - 1)]
    steps: list[Step] = []
    for ref in [*refs, ParamRef("b", layer, None, j)]:
        steps.extend(gradient_steps(q, ref))
    return steps


def gradient_steps(q: StepQuantities, ref: ParamRef) -> list[Step]:
    """∂L/∂w (or ∂L/∂b): one step, or for a batch each sample's term and their sum."""
    name = param_name(ref.kind, ref.layer, ref.i, ref.j)
    psym = q.names.param(ref.kind, ref.layer, ref.i, ref.j)

    def chain(k: int | None) -> Expr:
        out = q.unit_output(ref.layer, ref.j, k)
        return mul(Q(partial(LOSS, out), 0.0), Q(partial(out, psym), 0.0))

    def term(k: int) -> Expr:
        d = expanded_delta(q, ref.layer, ref.j, k)
        return d if ref.i is None else mul(d, q.act(ref.layer - 1, ref.i, k))

    common = dict(param=name, layer=ref.layer, neuron=ref.j, slides_label=q.param_label(ref))
    total = q.grad(ref)
    if q.n == 1:
        return [Step(f"gradient:{name}", "gradient", partial(LOSS, psym), term(1), total,
                     chain=chain(None), **common)]  # fmt: skip
    steps = [
        Step(f"gradient:{name}[{k}]", "gradient", partial(LOSS, psym, sample=k), term(k),
             q.grad_term(ref, k), sample=k, chain=chain(k),
             note=f"sample {k}'s term (it carries the 1/n)", **common)
        for k in q.samples
    ]  # fmt: skip
    summed = add([Q(partial(LOSS, psym, sample=k), q.grad_term(ref, k)) for k in q.samples])
    steps.append(Step(f"gradient:{name}", "gradient", partial(LOSS, psym), summed, total,
                      note=f"the mean over the {q.n} samples: each term carries the 1/n",
                      **common))  # fmt: skip
    return steps
