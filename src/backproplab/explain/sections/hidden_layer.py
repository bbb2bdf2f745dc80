"""A hidden layer: ∂L/∂a of each unit (Σ δ · w over the next layer), δ = ∂L/∂a · f′(z),
then the gradients of its parameters."""

from __future__ import annotations

from .. import formulas
from ..expr import Q, add, mul
from ..quantities import StepQuantities
from ..steps import Section, Step
from ..symbols import LOSS, partial
from .gradients import fprime, unit_gradient_steps


def hidden_layer_section(q: StepQuantities, layer: int) -> Section:
    sec = Section(f"layer{layer}", f"Layer {layer} (hidden): ∂L/∂a, δ and gradients")
    sec.notes.append("∂L/∂a of a unit = Σ over the next layer of δ · w (every path onward)")
    sec.notes.append(formulas.derivative_rule(q.activation(layer).name))
    units = q.units(layer)
    sec.steps.extend(_activation_grad_step(q, layer, j, k) for k in q.samples for j in units)
    for j in units:
        sec.steps.extend(_delta_step(q, layer, j, k) for k in q.samples)
        sec.steps.extend(unit_gradient_steps(q, layer, j))
    return sec


def _activation_grad_step(q: StepQuantities, layer: int, j: int, k: int) -> Step:
    nxt = layer + 1
    expr = add([mul(q.delta(nxt, c, k), q.weight(nxt, j, c)) for c in q.units(nxt)])
    chain = None
    if q.sizes[nxt] == 1:  # one path onward: ∂L/∂(what it feeds) · ∂(that)/∂a
        out = q.unit_output(nxt, 1, q.sample(k))
        chain = mul(
            Q(partial(LOSS, out), 0.0),
            Q(partial(out, q.names.act(layer, j, q.sample(k))), 0.0),
        )
    grad = q.act_grad(layer, j, k)
    return Step(q.step_id(f"activation_grad:a{layer}_{j}", k), "activation_grad", grad.symbol,
                expr, grad.value, layer=layer, neuron=j, sample=q.sample(k),
                slides_label=q.label(f"dL/dO_{j}"), chain=chain)  # fmt: skip


def _delta_step(q: StepQuantities, layer: int, j: int, k: int) -> Step:
    expr = mul(q.act_grad(layer, j, k), fprime(q, layer, j, k))
    delta = q.delta(layer, j, k)
    return Step(q.step_id(f"delta:{layer}_{j}", k), "delta", delta.symbol, expr, delta.value,
                layer=layer, neuron=j, sample=q.sample(k),
                note=f"δ = ∂L/∂z{layer}_{j} = ∂L/∂a · f′(z)")  # fmt: skip
