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

import numpy as np

from ..engine import MLP, Gradients, Trace
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

    @property
    def net(self) -> MLP:
        return self.quantities.net

    @property
    def trace(self) -> Trace:
        return self.quantities.trace

    @property
    def grads(self) -> Gradients:
        return self.quantities.grads

    @property
    def lr(self) -> float:
        return self.quantities.lr

    @property
    def X(self) -> np.ndarray:  # noqa: N802 - the inputs' matrix, as the engine names it
        return self.quantities.X

    @property
    def Y(self) -> np.ndarray:  # noqa: N802
        return self.quantities.Y

    @property
    def n(self) -> int:
        return self.quantities.n
