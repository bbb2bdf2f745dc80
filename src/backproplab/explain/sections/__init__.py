"""The section builders, one module each, in the slides' order: ``forward``, ``loss``,
``output_layer``, ``hidden_layer`` (each earlier layer), ``updates``; ``gradients`` holds
the ∂L/∂w and ∂L/∂b steps both kinds of layer end with."""

from .forward import forward_section
from .hidden_layer import hidden_layer_section
from .loss import loss_section
from .output_layer import output_layer_section
from .updates import updates_section

__all__ = [
    "forward_section",
    "hidden_layer_section",
    "loss_section",
    "output_layer_section",
    "updates_section",
]
