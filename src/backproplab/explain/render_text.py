"""The terminal text: one line per step, ``symbol = formula = numbers = value``."""

from __future__ import annotations

from typing import TYPE_CHECKING

from .render_common import describe_data, describe_focus, describe_network, step_parts, title
from .steps import Step

if TYPE_CHECKING:
    from .explanation import Explanation

WIDTH = 100
#: Step notes worth a line of their own in text (the others are in the JSON).
_NOTED_KINDS = ("loss", "output_grad", "gradient")


def step_lines(step: Step, slides_labels: bool, indent: str = "  ") -> list[str]:
    parts = step_parts(step)
    label = f"   [slides: {step.slides_label}]" if slides_labels and step.slides_label else ""
    one = indent + " = ".join(parts) + label
    if len(one) <= WIDTH:
        lines = [one]
    else:
        pad = " " * (len(indent) + len(parts[0]))
        lines = [indent + parts[0] + " = " + parts[1] + label]
        lines += [f"{pad} = {p}" for p in parts[2:]]
    if step.note and step.kind in _NOTED_KINDS and (step.sample is None or step.kind != "gradient"):
        lines.append(f"{indent}    ({step.note})")
    return lines


def render_text(exp: Explanation) -> str:
    lines = [title(exp), describe_network(exp), *describe_data(exp)]
    if focus := describe_focus(exp):
        lines.append(focus)
    for sec in exp.sections:
        lines += ["", sec.title]
        lines += [f"  {note}" for note in sec.notes if note]
        for step in sec.steps:
            lines += step_lines(step, exp.slides_labels)
    return "\n".join(lines) + "\n"
