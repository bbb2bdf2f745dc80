"""Focus an explanation on one parameter or one neuron, so a large network stays readable."""

from __future__ import annotations

from .names import ParamRef, param_name, parse_param_name
from .steps import Section, Step


def _keep_for_param(step: Step, ref: ParamRef, n_layers: int) -> bool:
    name = param_name(ref.kind, ref.layer, ref.i, ref.j)
    if step.kind in ("gradient", "update"):
        return step.param == name
    if step.kind in ("loss", "output_grad"):
        return True
    if step.kind == "forward":
        # The unit the parameter feeds, and (for a weight) the unit it comes from.
        own = step.layer == ref.layer and step.neuron == ref.j
        source = ref.i is not None and step.layer == ref.layer - 1 and step.neuron == ref.i
        return own or source
    # delta, activation_grad: the chain of the parameter's own unit.
    return step.layer == ref.layer and step.neuron == ref.j


def _keep_for_neuron(step: Step, layer: int, j: int) -> bool:
    if step.kind in ("loss", "output_grad"):
        return True
    if step.kind in ("gradient", "update"):
        assert step.param is not None
        ref = parse_param_name(step.param)
        return ref.layer == layer and ref.j == j
    return step.layer == layer and step.neuron == j


def focus_param(sections: list[Section], ref: ParamRef, n_layers: int) -> list[Section]:
    """Only the steps on the way to ∂L/∂(parameter) and its update."""
    return _filter(sections, lambda s: _keep_for_param(s, ref, n_layers))


def focus_neuron(sections: list[Section], layer: int, j: int) -> list[Section]:
    """Only the steps of one unit: its forward pass, ∂L/∂a, δ, its incoming parameters."""
    return _filter(sections, lambda s: _keep_for_neuron(s, layer, j))


def _filter(sections: list[Section], keep) -> list[Section]:
    out = []
    for sec in sections:
        steps = [s for s in sec.steps if keep(s)]
        if steps:
            out.append(Section(sec.id, sec.title, steps, list(sec.notes)))
    return out
