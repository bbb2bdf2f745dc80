"""The update of every parameter: w(new) = w − η ∂L/∂w, with the engine's updated values."""

from __future__ import annotations

from ..expr import Q, Sub, mul
from ..names import ParamRef, param_name
from ..quantities import StepQuantities
from ..steps import Section, Step
from ..symbols import ETA, LOSS, new_value, partial


def updates_section(q: StepQuantities) -> Section:
    sec = Section("update", "Update: w(new) = w − η ∂L/∂w")
    sec.notes.append(f"η = {q.lr:g}; every parameter uses the gradients of the same forward pass")
    sec.steps.extend(_update_step(q, ref) for ref in q.all_params())
    return sec


def _update_step(q: StepQuantities, ref: ParamRef) -> Step:
    name = param_name(ref.kind, ref.layer, ref.i, ref.j)
    psym = q.names.param(ref.kind, ref.layer, ref.i, ref.j)
    expr = Sub(Q(psym, q.param(ref)), mul(Q(ETA, q.lr), Q(partial(LOSS, psym), q.grad(ref))))
    return Step(f"update:{name}", "update", new_value(psym), expr, q.updated_param(ref),
                param=name, layer=ref.layer, neuron=ref.j,
                slides_label=q.param_label(ref, update=True))  # fmt: skip
