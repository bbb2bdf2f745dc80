"""What an explanation is made of: sections of steps, each ``symbol = formula = value``."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from .expr import Expr, Symbol

STEP_KINDS = (
    "forward",
    "loss",
    "output_grad",
    "gradient",
    "delta",
    "activation_grad",
    "update",
)


@dataclass
class Step:
    """One line of a derivation: ``symbol = formula = substituted = value``."""

    id: str
    kind: str
    symbol: Symbol
    expr: Expr
    value: float
    param: str | None = None
    layer: int | None = None
    neuron: int | None = None
    sample: int | None = None
    slides_label: str | None = None
    chain: Expr | None = None
    note: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "kind": self.kind,
            "symbol": self.symbol.text,
            "latex": self.symbol.latex,
            "formula": self.expr.render("text"),
            "formula_latex": self.expr.render("latex"),
            "chain": self.chain.render("text") if self.chain is not None else None,
            "substituted": self.expr.render("py"),
            "substituted_text": self.expr.render("num"),
            "substituted_latex": self.expr.render("num_latex"),
            "value": float(self.value),
            "param": self.param,
            "layer": self.layer,
            "neuron": self.neuron,
            "sample": self.sample,
            "slides_label": self.slides_label,
            "note": self.note,
        }


@dataclass
class Section:
    id: str
    title: str
    steps: list[Step] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "title": self.title,
            "notes": list(self.notes),
            "steps": [s.to_dict() for s in self.steps],
        }


def all_steps(sections: list[Section]) -> list[Step]:
    return [s for sec in sections for s in sec.steps]
