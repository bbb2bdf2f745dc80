"""LaTeX: a document body that compiles with amsmath (or, standalone, a whole document)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from .render_common import (
    describe_data,
    describe_focus,
    describe_network,
    latex_text,
    slides_label_latex,
    step_parts,
    title,
)

if TYPE_CHECKING:
    from .explanation import Explanation

PREAMBLE = r"""\documentclass[10pt]{article}
\usepackage[margin=2cm]{geometry}
\usepackage{amsmath}
\allowdisplaybreaks
\begin{document}
"""


def render_latex(exp: Explanation, *, standalone: bool = False) -> str:
    lines = [
        rf"\section*{{{latex_text(title(exp))}}}",
        latex_text(describe_network(exp)) + r"\\",
    ]
    lines += [latex_text(line) + r"\\" for line in describe_data(exp)]
    if focus := describe_focus(exp):
        lines.append(latex_text(focus) + r"\\")
    for sec in exp.sections:
        lines += ["", rf"\subsection*{{{latex_text(sec.title)}}}"]
        lines += [rf"\emph{{{latex_text(note)}}}\\" for note in sec.notes if note]
        for step in sec.steps:
            parts = step_parts(step, "latex")
            rows = [f"{parts[0]} &= {parts[1]}"] + [f"&= {p}" for p in parts[2:]]
            if exp.slides_labels and step.slides_label:
                rows[0] += rf" \qquad \text{{(slides: ${slides_label_latex(step.slides_label)}$)}}"
            lines += [r"\begin{align*}", " \\\\\n".join(rows), r"\end{align*}"]
    body = "\n".join(lines) + "\n"
    if standalone:
        return PREAMBLE + body + "\\end{document}\n"
    return body
