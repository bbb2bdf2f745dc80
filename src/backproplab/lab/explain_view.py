"""The side panel's derivation of one parameter, taken from ``backproplab.explain``.

The lab does not build derivations itself: it asks ``explain`` for the same network and
batch the page shows and passes on the steps that concern the clicked parameter.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from ..engine.errors import InputError
from ..explain import explain, parse_param_name
from ..explain.expr import display_digits, format_number
from ..explain.render_common import step_parts
from ..explain.steps import Step
from ..explain.symbols import Namer
from .labels import DISPLAY_DIGITS, label
from .session import LabConflict, LabSession, is_slides_architecture

#: A batch larger than this is explained through the selected sample alone (readability).
EXPLAIN_MAX_SAMPLES = 8


class UnknownParameter(LookupError):
    """The name does not denote a parameter of this network (HTTP 404)."""


def explain_view(session: LabSession, name: str) -> dict[str, Any]:
    """The steps of ``explain`` for parameter ``name`` in the tab's current state."""
    try:
        ref = parse_param_name(name, session.net.layer_sizes)
    except InputError as exc:
        raise UnknownParameter(str(exc)) from None
    net = session.display_net
    if session.phase != "ready" and session.batch is not None:
        rows = session.batch
    elif session.batch_size >= session.data.n_samples:
        rows = np.arange(session.data.n_samples)
    else:
        rows = None
    note = None
    if rows is None or rows.size > EXPLAIN_MAX_SAMPLES:
        what = "this batch" if rows is not None else "the next batch"
        size = session.batch_size if rows is None else rows.size
        note = (
            f"{what} has {size} samples; this derivation follows sample {session.selected} "
            "alone, so its gradient is that sample's, not the batch mean on the edge"
        )
        rows = np.array([session.selected])
    try:
        explanation = explain(
            net, session.X[rows], session.Y[rows], lr=session.config.lr, param=name
        )
    except InputError as exc:  # explain refusing this parameter or state
        raise LabConflict(f"no derivation for {name}: {exc}") from None
    # explain(param=...) keeps exactly the chain of steps that leads to this parameter.
    steps = explanation.to_dict()["steps"]
    namer = Namer(net.layer_sizes, 1)
    weight = ref.kind == "w"
    index = (ref.i - 1, ref.j - 1) if weight else (ref.j - 1,)
    before = (net.weights if weight else net.biases)[ref.layer - 1][index]
    after = (session.net.weights if weight else session.net.biases)[ref.layer - 1][index]
    return {
        "param": name,
        "kind": "weight" if weight else "bias",
        "layer": ref.layer,
        "i": ref.i,
        "j": ref.j,
        "phase": session.phase,
        "samples": rows.tolist(),
        "note": note,
        "lr": session.config.lr,
        "value": float(before),
        "current": float(after),
        "steps": steps,
        # The same steps as explain's renderer prints them, at the page's precision.
        "rendered": [_rendered(step) for step in explanation.steps],
        "title": label(namer.param(ref.kind, ref.layer, ref.i, ref.j)),
        # The slides' own labels (docs/notation.md) mean something only on their network.
        "slides": is_slides_architecture(net.layer_sizes, net.activations, net.loss_name),
    }


def _rendered(step: Step) -> dict[str, str]:
    """One step as MathML (``symbol = formula = numbers = value``) and as plain text."""
    with display_digits(DISPLAY_DIGITS):
        maths = "<mo>=</mo>".join(f"<mrow>{p}</mrow>" for p in step_parts(step, "mathml"))
        return {
            "mathml": f'<math display="block">{maths}</math>',
            "text": " = ".join(step_parts(step, "text")),
            "value": format_number(step.value, "num"),
            "symbol": label(step.symbol)["mathml"],
        }
