"""The forward pass: each unit's weighted sum z = Σ w · a + b, then its output a = f(z)."""

from __future__ import annotations

from .. import formulas
from ..expr import Expr, add, mul
from ..quantities import StepQuantities
from ..steps import Section, Step


def forward_section(q: StepQuantities) -> Section:
    sec = Section("forward", "Forward pass")
    for k in q.samples:
        for layer in range(1, q.n_layers + 1):
            for j in q.units(layer):
                sec.steps.extend(_unit_steps(q, layer, j, k))
    return sec


def _unit_steps(q: StepQuantities, layer: int, j: int, k: int) -> list[Step]:
    act = q.activation(layer)
    weighted = add(
        [mul(q.weight(layer, i, j), q.act(layer - 1, i, k)) for i in q.units(layer - 1)]
        + [q.bias(layer, j)]
    )
    output = q.act(layer, j, k)
    where = dict(layer=layer, neuron=j, sample=q.sample(k))
    label = q.label("ŷ" if layer == q.n_layers else f"O_{j}")
    a_id = q.step_id(f"forward:a{layer}_{j}", k)
    if act.name == "identity":
        note = "a linear unit: its output is its weighted sum"
        return [Step(a_id, "forward", output.symbol, weighted, output.value,
                     slides_label=label, note=note, **where)]  # fmt: skip
    z = q.z(layer, j, k)
    if act.name == "softmax":
        expr: Expr = formulas.softmax(z, [q.z(layer, c, k) for c in q.units(layer)])
    else:
        expr = formulas.activation(act.name, float(act.param), z)
    return [
        Step(q.step_id(f"forward:z{layer}_{j}", k), "forward", z.symbol, weighted, z.value,
             **where),
        Step(a_id, "forward", output.symbol, expr, output.value, slides_label=label, **where),
    ]  # fmt: skip
