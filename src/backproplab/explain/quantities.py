"""The engine's numbers for one gradient-descent step, addressed the way the slides count.

The engine stores layer l's arrays at index l − 1 (``trace.a`` keeps the input at 0) and
units and samples from 0; the explanation counts layers, units and samples from 1. This
class is the one place that turns one into the other: every accessor takes 1-based
``(layer, unit, sample)`` and returns a :class:`~.expr.Q` -- the quantity's name (from
:class:`~.symbols.Namer`) with the engine's value -- or the engine's number itself.

Nothing here computes a derivative: the values are the forward pass's ``trace.z`` /
``trace.a``, the backward pass's ``loss``, ``activation_grads`` (∂L/∂a), ``deltas``
(δ = ∂L/∂z, already carrying the 1/n of the mean loss), the weight and bias gradients,
and the parameters of ``net.copy()`` after ``apply_gradients``.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from ..engine import MLP, Activation, Gradients, Loss, Trace
from .expr import Q, Symbol
from .names import ParamRef, is_slides_shape, slides_param_label
from .symbols import LOSS, Namer, partial


class StepQuantities:
    """One step of ``net`` on (X, Y) with rate ``lr``: the engine's Trace and Gradients."""

    def __init__(self, net: MLP, trace: Trace, grads: Gradients, updated: MLP, Y: Any, lr: float):
        self.net = net
        self.trace = trace
        self.grads = grads
        self.updated = updated
        self.lr = float(lr)
        self.X: np.ndarray = trace.a[0]
        self.n = self.X.shape[0]
        self.Y: np.ndarray = net.check_Y(Y, self.n)
        self.n_layers = net.n_layers
        self.sizes: list[int] = list(net.layer_sizes)
        self.loss: Loss = net.loss_function
        self.fused = self.loss.fused_activation is not None
        self.slides = is_slides_shape(self.sizes)
        self.names = Namer(self.sizes, self.n)
        self.samples = range(1, self.n + 1)
        self._acts = net.activation_functions

    @classmethod
    def of_step(cls, net: MLP, X: Any, Y: Any, lr: float) -> StepQuantities:
        """Run the engine once: forward, backward, and the update on a copy of ``net``."""
        trace = net.forward(X)
        grads = net.backward(trace, Y)
        updated = net.copy()
        updated.apply_gradients(grads, lr)
        return cls(net, trace, grads, updated, Y, lr)

    # ---------------------------------------------------------- the network's shape
    def units(self, layer: int) -> range:
        """The 1-based units of a layer (layer 0: the inputs)."""
        return range(1, self.sizes[layer] + 1)

    def activation(self, layer: int) -> Activation:
        return self._acts[layer - 1]

    def output_is_plain(self) -> bool:
        """True when δ of the output layer is ∂L/∂ŷ itself (identity output, no fused loss)."""
        return not self.fused and self.activation(self.n_layers).name == "identity"

    # ---------------------------------------------------------- the slides' own labels
    def label(self, quantity: str) -> str | None:
        """The slides' label of a quantity (ŷ, O_1, dL/dŷ...), for the 2-2-1 network only."""
        return quantity if self.slides else None

    def param_label(self, ref: ParamRef, *, update: bool = False) -> str | None:
        return slides_param_label(ref, update_slide=update) if self.slides else None

    # ---------------------------------------------------------- samples in names and ids
    def sample(self, k: int) -> int | None:
        """A step's sample number: only a batch has one."""
        return k if self.n > 1 else None

    def step_id(self, base: str, k: int | None) -> str:
        return f"{base}[{k}]" if (k is not None and self.n > 1) else base

    # ---------------------------------------------------------- the forward pass
    def act(self, layer: int, j: int, k: int) -> Q:
        """a of unit j in sample k (layer 0: the input i_j, the output layer: ŷ_j)."""
        return Q(self.names.act(layer, j, k), self.trace.a[layer][k - 1, j - 1])

    def z(self, layer: int, j: int, k: int) -> Q:
        return Q(self.names.z(layer, j, k), self.trace.z[layer - 1][k - 1, j - 1])

    def target(self, j: int, k: int) -> Q:
        return Q(self.names.target(j, k), self.Y[k - 1, j - 1])

    def weight(self, layer: int, i: int, j: int) -> Q:
        return Q(self.names.weight(layer, i, j), self.net.weights[layer - 1][i - 1, j - 1])

    def bias(self, layer: int, j: int) -> Q:
        return Q(self.names.bias(layer, j), self.net.biases[layer - 1][j - 1])

    # ---------------------------------------------------------- the backward pass
    def delta_symbol(self, layer: int, j: int, k: int | None) -> Symbol:
        """δ of a unit; for a plain output (δ = ∂L/∂ŷ) it is named ∂L/∂ŷ."""
        if layer == self.n_layers and self.output_is_plain():
            return partial(LOSS, self.names.act(layer, j, k))
        return self.names.delta(layer, j, k)

    def delta(self, layer: int, j: int, k: int) -> Q:
        """δ = ∂L/∂z of a unit (the engine's deltas)."""
        return Q(self.delta_symbol(layer, j, k), self.grads.deltas[layer - 1][k - 1, j - 1])

    def act_grad(self, layer: int, j: int, k: int) -> Q:
        """∂L/∂a of a unit (the engine's activation_grads)."""
        grad = self.grads.activation_grads[layer - 1]
        assert grad is not None
        return Q(partial(LOSS, self.names.act(layer, j, k)), grad[k - 1, j - 1])

    def unit_output(self, layer: int, j: int, k: int | None) -> Symbol:
        """What a parameter of unit j feeds first: a (or z when the loss is fused)."""
        if layer == self.n_layers and self.fused:
            return self.names.z(layer, j, k)
        return self.names.act(layer, j, k)

    # ---------------------------------------------------------- one parameter
    @staticmethod
    def _index(ref: ParamRef) -> tuple[int, ...]:
        return (ref.i - 1, ref.j - 1) if ref.i is not None else (ref.j - 1,)

    @staticmethod
    def _of(net_or_grads: Any, ref: ParamRef) -> Any:
        arrays = net_or_grads.weights if ref.kind == "w" else net_or_grads.biases
        return arrays[ref.layer - 1][StepQuantities._index(ref)]

    def param(self, ref: ParamRef) -> Any:
        """The parameter's value before the step."""
        return self._of(self.net, ref)

    def grad(self, ref: ParamRef) -> Any:
        """∂L/∂(parameter): the engine's mean over the batch."""
        return self._of(self.grads, ref)

    def updated_param(self, ref: ParamRef) -> Any:
        """The parameter after ``apply_gradients``."""
        return self._of(self.updated, ref)

    def grad_term(self, ref: ParamRef, k: int) -> float:
        """Sample k's share of the engine's a.T @ δ (δ rows carry the 1/n already)."""
        d = self.grads.deltas[ref.layer - 1][k - 1, ref.j - 1]
        if ref.i is None:
            return float(d)
        return float(self.trace.a[ref.layer - 1][k - 1, ref.i - 1] * d)

    def all_params(self) -> list[ParamRef]:
        """Every parameter, weights layer by layer (row by row), then the biases."""
        layers = range(1, self.n_layers + 1)
        weights = [
            ParamRef("w", layer, i, j)
            for layer in layers
            for i in self.units(layer - 1)
            for j in self.units(layer)
        ]
        return weights + [
            ParamRef("b", layer, None, j) for layer in layers for j in self.units(layer)
        ]
