"""Markdown with LaTeX maths (``$...$``), as GitHub and Jupyter render it."""

from __future__ import annotations

from typing import TYPE_CHECKING

from .render_common import (
    describe_data,
    describe_focus,
    describe_network,
    slides_label_latex,
    step_parts,
    title,
)
from .steps import Step

if TYPE_CHECKING:
    from .explanation import Explanation


def step_latex(step: Step) -> str:
    """``symbol = [chain =] formula = numbers = value`` as one LaTeX equation."""
    return " = ".join(step_parts(step, "latex"))


def render_markdown(exp: Explanation) -> str:
    lines = [f"## {title(exp)}", "", describe_network(exp) + "  "]
    lines += [line + "  " for line in describe_data(exp)]
    if focus := describe_focus(exp):
        lines.append(focus)
    for sec in exp.sections:
        lines += ["", f"### {sec.title}", ""]
        lines += [f"*{note}*  " for note in sec.notes if note]
        if sec.notes:
            lines.append("")
        for step in sec.steps:
            label = ""
            if exp.slides_labels and step.slides_label:
                label = f" (slides: ${slides_label_latex(step.slides_label)}$)"
            lines.append(f"- ${step_latex(step)}${label}")
    return "\n".join(lines) + "\n"
