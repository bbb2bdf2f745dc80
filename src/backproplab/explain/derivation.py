"""The steps of one training step, in the slides' order, built from the engine's numbers.

Order: forward pass; loss; the output layer (∂L/∂ŷ, then its gradients); then each earlier
layer (∂L/∂a of its units, δ = ∂L/∂a · f′(z), its gradients); then every update
w(new) = w − η ∂L/∂w, weights layer by layer (row by row), then biases.

Nothing here differentiates anything. :class:`.quantities.StepQuantities` runs the engine
once and hands out its values; each section builder in :mod:`.sections` prints them with
the formulas of :mod:`.formulas`, which come from the engine's own definitions. The
formulas are expression trees (see :mod:`.expr`) whose leaves carry those values, so the
symbolic formula and the substituted one are the same tree printed two ways.
"""

from __future__ import annotations

from typing import Any

from ..engine import MLP
from .quantities import StepQuantities
from .sections import (
    forward_section,
    hidden_layer_section,
    loss_section,
    output_layer_section,
    updates_section,
)
from .steps import Section


def build_sections(q: StepQuantities) -> list[Section]:
    hidden = [hidden_layer_section(q, layer) for layer in range(q.n_layers - 1, 0, -1)]
    return [
        forward_section(q),
        loss_section(q),
        output_layer_section(q),
        *hidden,
        updates_section(q),
    ]


class Derivation:
    """All the steps of one gradient-descent step of ``net`` on (X, Y) with rate ``lr``."""

    def __init__(self, net: MLP, X: Any, Y: Any, lr: float) -> None:
        self.quantities = StepQuantities.of_step(net, X, Y, lr)
        self.sections = build_sections(self.quantities)

    def __getattr__(self, name: str) -> Any:
        # The names the class had before the split (X, Y, n, lr, grads, trace, net...) are
        # the view's now; kept readable for code that holds an Explanation's derivation.
        if name == "quantities":  # not set yet (copy, unpickling): no recursion
            raise AttributeError(name)
        return getattr(self.quantities, name)
