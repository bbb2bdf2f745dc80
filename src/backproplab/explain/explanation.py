"""``explain(net, x, y, lr)``: every partial derivative of one training step, with its numbers.

The :class:`Explanation` holds the steps (built from the engine's trace by
:mod:`.derivation`) and prints them as text, Markdown, LaTeX, HTML or JSON.
"""

from __future__ import annotations

import json
from typing import Any

import numpy as np

from ..engine import MLP
from ..engine.errors import InputError
from .derivation import Derivation
from .focus import focus_neuron, focus_param
from .names import param_name, parse_neuron_name, parse_param_name
from .steps import Section, Step, all_steps

FORMAT = "backproplab.explanation"
VERSION = 1


def as_list(arr: np.ndarray) -> list:
    return np.asarray(arr, dtype=float).tolist()


class Explanation:
    """The derivation of one gradient-descent step, ready to print in any format.

    ``sections`` follow the slides' order (forward pass, loss, output layer, earlier layers,
    updates); ``steps`` is the same steps as one flat list. Each step has ``symbol``, a
    symbolic ``formula``, the ``substituted`` formula (plain Python, full precision) and the
    engine's ``value``. See :meth:`to_dict` for the JSON structure.
    """

    def __init__(
        self,
        net: MLP,
        derivation: Derivation,
        sections: list[Section],
        *,
        focus: dict[str, Any] | None = None,
        slides_labels: bool = False,
    ) -> None:
        self.net = net
        self.derivation = derivation
        self.sections = sections
        self.focus = focus
        self.slides_labels = slides_labels

    # ------------------------------------------------------------------ access
    @property
    def steps(self) -> list[Step]:
        return all_steps(self.sections)

    @property
    def loss(self) -> float:
        return float(self.derivation.quantities.grads.loss)

    @property
    def lr(self) -> float:
        return self.derivation.quantities.lr

    @property
    def n_samples(self) -> int:
        return self.derivation.quantities.n

    def step(self, step_id: str) -> Step:
        """The step with this id (e.g. ``'gradient:w2_11'``, ``'update:b1_2'``)."""
        for s in self.steps:
            if s.id == step_id:
                return s
        raise InputError(f"no step with id {step_id!r} in this explanation")

    def steps_for(self, param: str) -> list[Step]:
        """The gradient and update steps of one parameter, e.g. ``steps_for('w2_11')``."""
        ref = parse_param_name(param, self.net.layer_sizes)
        name = param_name(ref.kind, ref.layer, ref.i, ref.j)
        return [s for s in self.steps if s.param == name]

    # ------------------------------------------------------------------ formats
    def to_dict(self) -> dict[str, Any]:
        """The JSON structure (``format`` 'backproplab.explanation', ``version`` 1).

        Keys: network {layer_sizes, activations, loss}, lr, n_samples, inputs, targets, loss,
        focus, slides_labels, sections [{id, title, notes, steps}], steps (flat). Each step:
        id, kind, symbol, latex, formula, formula_latex, chain, substituted,
        substituted_text, substituted_latex, value, param, layer, neuron, sample,
        slides_label, note.
        """
        sections = [sec.to_dict() for sec in self.sections]
        return {
            "format": FORMAT,
            "version": VERSION,
            "network": {
                "layer_sizes": list(self.net.layer_sizes),
                "activations": list(self.net.activations),
                "loss": self.net.loss_name,
            },
            "lr": self.lr,
            "n_samples": self.n_samples,
            "inputs": as_list(self.derivation.quantities.X),
            "targets": as_list(self.derivation.quantities.Y),
            "loss": self.loss,
            "focus": self.focus,
            "slides_labels": self.slides_labels,
            "sections": sections,
            "steps": [step for sec in sections for step in sec["steps"]],
        }

    def to_json(self, indent: int | None = 2) -> str:
        return json.dumps(self.to_dict(), indent=indent, ensure_ascii=False)

    def to_text(self) -> str:
        from .render_text import render_text

        return render_text(self)

    def to_markdown(self) -> str:
        from .render_markdown import render_markdown

        return render_markdown(self)

    def to_latex(self, standalone: bool = False) -> str:
        """LaTeX that compiles as a document body with amsmath (``standalone``: a whole file)."""
        from .render_latex import render_latex

        return render_latex(self, standalone=standalone)

    def to_html(self) -> str:
        """A self-contained HTML page; the maths is MathML, rendered without any network."""
        from .render_html import render_html

        return render_html(self)

    def render(self, fmt: str) -> str:
        """Any format by name: text, markdown, latex, html or json."""
        renderers = {
            "text": self.to_text,
            "markdown": self.to_markdown,
            "md": self.to_markdown,
            "latex": lambda: self.to_latex(standalone=True),
            "tex": lambda: self.to_latex(standalone=True),
            "html": self.to_html,
            "json": self.to_json,
        }
        if fmt not in renderers:
            raise InputError(
                f"unknown format {fmt!r}; expected text, markdown, latex, html or json"
            )
        return renderers[fmt]()

    def _repr_markdown_(self) -> str:
        return self.to_markdown()

    def _repr_html_(self) -> str:
        from .render_html import render_html_fragment

        return render_html_fragment(self)

    def __str__(self) -> str:
        return self.to_text()

    def __repr__(self) -> str:
        return (
            f"<Explanation of {self.net!r}: {len(self.steps)} steps, n={self.n_samples}, "
            f"lr={self.lr:g}, loss={self.loss:.6g}>"
        )


def explain(
    net: MLP,
    x: Any,
    y: Any,
    lr: float = 0.5,
    *,
    param: str | None = None,
    neuron: str | tuple[int, int] | None = None,
    slides_labels: bool = False,
) -> Explanation:
    """Explain one gradient-descent step of ``net`` on input ``x`` and target ``y``.

    ``x`` is one sample (1-D, length n_inputs) or a batch (2-D, one row per sample); ``y``
    the matching targets. Every number comes from the engine: ``net.forward``,
    ``net.backward`` and the update of ``net.copy().apply_gradients`` (``net`` itself is not
    changed). ``param`` ('w2_11', 'b1_2') or ``neuron`` ('a1_2', 'O1', (1, 2)) keeps only the
    steps that lead to that parameter's gradient and update, or that unit's. With
    ``slides_labels`` the renderers print the slides' labels beside ours (docs/notation.md).
    """
    if not isinstance(net, MLP):
        raise InputError(f"explain needs a backproplab MLP, got {type(net).__name__}")
    if param is not None and neuron is not None:
        raise InputError("give param or neuron to focus on, not both")
    ref = parse_param_name(param, net.layer_sizes) if param is not None else None
    unit = parse_neuron_name(neuron, net.layer_sizes) if neuron is not None else None
    derivation = Derivation(net, x, y, lr)
    sections = derivation.sections
    focus: dict[str, Any] | None = None
    if ref is not None:
        name = param_name(ref.kind, ref.layer, ref.i, ref.j)
        sections = focus_param(sections, ref, net.n_layers)
        focus = {"param": name}
    elif unit is not None:
        sections = focus_neuron(sections, *unit)
        focus = {"neuron": [unit[0], unit[1]]}
    return Explanation(net, derivation, sections, focus=focus, slides_labels=bool(slides_labels))
