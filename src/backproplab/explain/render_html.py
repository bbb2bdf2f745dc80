"""HTML: one self-contained page, the maths in MathML (browsers render it with no network)."""

from __future__ import annotations

import html
from typing import TYPE_CHECKING

from .render_common import describe_data, describe_focus, describe_network, step_parts, title

if TYPE_CHECKING:
    from .explanation import Explanation

STYLE = """
.bpx { font-family: system-ui, sans-serif; max-width: 70rem; margin: 1rem auto;
       color: #1d1d1f; line-height: 1.4; }
.bpx h1 { font-size: 1.4rem; } .bpx h2 { font-size: 1.1rem; margin-top: 1.4rem; }
.bpx .note { color: #555; font-style: italic; margin: 0.2rem 0; }
.bpx .step { overflow-x: auto; padding: 0.15rem 0.4rem; border-left: 3px solid #ddd;
             margin: 0.3rem 0; }
.bpx .step[data-kind="gradient"] { border-left-color: #c0392b; }
.bpx .step[data-kind="update"] { border-left-color: #2471a3; }
.bpx .slides { color: #777; font-size: 0.85rem; margin-left: 1rem; }
.bpx math { font-size: 1.1rem; }
"""


def _step_html(step, slides_labels: bool) -> str:
    parts = step_parts(step, "mathml")
    maths = "<mo>=</mo>".join(f"<mrow>{p}</mrow>" for p in parts)
    plain = " = ".join(step_parts(step, "text"))
    attrs = (
        f' id="{html.escape(step.id)}" data-kind="{step.kind}"'
        f' data-param="{html.escape(step.param or "")}" title="{html.escape(plain)}"'
    )
    label = ""
    if slides_labels and step.slides_label:
        label = f'<span class="slides">slides: {html.escape(step.slides_label)}</span>'
    return f'<div class="step"{attrs}><math displaystyle="true">{maths}</math>{label}</div>'


def render_html_fragment(exp: Explanation) -> str:
    """The explanation as a <div> (for Jupyter and for embedding)."""
    out = [f"<style>{STYLE}</style>", '<div class="bpx">', f"<h1>{html.escape(title(exp))}</h1>"]
    out.append(f"<p>{html.escape(describe_network(exp))}</p>")
    out += [f"<p>{html.escape(line)}</p>" for line in describe_data(exp)]
    if focus := describe_focus(exp):
        out.append(f"<p>{html.escape(focus)}</p>")
    for sec in exp.sections:
        out.append(f'<section id="{html.escape(sec.id)}"><h2>{html.escape(sec.title)}</h2>')
        out += [f'<p class="note">{html.escape(n)}</p>' for n in sec.notes if n]
        out += [_step_html(step, exp.slides_labels) for step in sec.steps]
        out.append("</section>")
    out.append("</div>")
    return "\n".join(out)


def render_html(exp: Explanation) -> str:
    """A whole page: no scripts, no external resources."""
    return (
        "<!DOCTYPE html>\n"
        '<html lang="en"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>{html.escape(title(exp))}</title></head>\n<body>\n"
        + render_html_fragment(exp)
        + "\n</body></html>\n"
    )
