"""The output layer: ∂L/∂ŷ (or the fused ∂L/∂z), δ where the activation is not fused, then
the gradients of its parameters."""

from __future__ import annotations

from .. import formulas
from ..expr import Expr, mul
from ..quantities import StepQuantities
from ..steps import Section, Step
from .gradients import fprime, output_grad_expr, unit_gradient_steps


def output_layer_section(q: StepQuantities) -> Section:
    out = q.n_layers
    sec = Section(f"layer{out}", f"Layer {out} (output): gradients")
    look = formulas.LOSS_FORMULAS[q.loss.name]
    if q.fused:
        sec.notes.append(formulas.fused_note(q.loss))
    elif look.gradient_note is not None:
        sec.notes.append(look.gradient_note)
    sec.steps.extend(_output_grad_step(q, j, k) for k in q.samples for j in q.units(out))
    name = q.activation(out).name
    if not q.fused and name != "identity":
        sec.notes.append(formulas.derivative_rule(name))
        sec.steps.extend(_delta_step(q, j, k) for k in q.samples for j in q.units(out))
    for j in q.units(out):
        sec.steps.extend(unit_gradient_steps(q, out, j))
    return sec


def _output_grad_step(q: StepQuantities, j: int, k: int) -> Step:
    out = q.n_layers
    where = dict(layer=out, neuron=j, sample=q.sample(k))
    if q.fused:
        delta = q.delta(out, j, k)
        return Step(q.step_id(f"output_grad:d{out}_{j}", k), "output_grad", delta.symbol,
                    output_grad_expr(q, j, k), delta.value,
                    note=f"δ = ∂L/∂z{out}_{j}: the combined gradient ŷ − y", **where)  # fmt: skip
    grad = q.act_grad(out, j, k)
    return Step(q.step_id(f"output_grad:a{out}_{j}", k), "output_grad", grad.symbol,
                output_grad_expr(q, j, k), grad.value, slides_label=q.label("dL/dŷ"),
                **where)  # fmt: skip


def _delta_step(q: StepQuantities, j: int, k: int) -> Step:
    """δ = ∂L/∂ŷ · f′(z), or softmax's Jacobian times ∂L/∂ŷ."""
    out = q.n_layers
    if q.activation(out).name == "softmax":
        row = [(q.act_grad(out, c, k), q.act(out, c, k)) for c in q.units(out)]
        expr: Expr = formulas.softmax_chain(q.act(out, j, k), q.act_grad(out, j, k), row)
    else:
        expr = mul(q.act_grad(out, j, k), fprime(q, out, j, k))
    delta = q.delta(out, j, k)
    return Step(q.step_id(f"delta:{out}_{j}", k), "delta", q.names.delta(out, j, k), expr,
                delta.value, layer=out, neuron=j, sample=q.sample(k),
                note=f"δ = ∂L/∂z{out}_{j}")  # fmt: skip
