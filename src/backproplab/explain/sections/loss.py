"""The loss: the mean of each output's term, printed the way the engine's loss defines it."""

from __future__ import annotations

from .. import formulas
from ..expr import Expr, Neg, add, mul
from ..quantities import StepQuantities
from ..steps import Section, Step
from ..symbols import LOSS


def loss_section(q: StepQuantities) -> Section:
    look = formulas.LOSS_FORMULAS[q.loss.name]
    out = q.n_layers
    terms = [
        term
        for k in q.samples
        for j in q.units(out)
        if (term := look.term(q.act(out, j, k), q.target(j, k))) is not None
    ]
    mean = formulas.loss_mean(q.loss, q.n, q.sizes[-1])
    expr: Expr = add(terms) if mean is None else mul(mean, add(terms))
    if look.negated:
        expr = Neg(expr)
    step = Step("loss", "loss", LOSS, expr, q.grads.loss, slides_label=q.label("L"),
                note=look.note)  # fmt: skip
    return Section("loss", "Loss", [step])
