"""The exceptions the engine raises for bad input.

Every message names the argument that is wrong and what was expected, so that a
user never has to read a traceback from deep inside NumPy.
"""

from __future__ import annotations


class BackpropLabError(Exception):
    """Base class of every error raised on purpose by backproplab."""


class InputError(BackpropLabError, ValueError):
    """An argument has the wrong shape, type or value (a ``ValueError``)."""


class DivergenceError(BackpropLabError, FloatingPointError):
    """Training produced a NaN or infinite loss (usually: the learning rate is too large)."""

    #: Set by ``fit``: the epoch and global step (1-based) where the loss stopped being
    #: finite, the layer (1-based) whose gradients exploded first, a learning rate that
    #: would not have diverged (an estimate from the gradient norms seen), the History and
    #: the TrainingState at the kept parameters.
    epoch: int | None = None
    step: int | None = None
    layer: int | None = None
    suggested_lr: float | None = None
    history = None
    state = None


class VanishingGradientWarning(UserWarning):
    """Some layers' gradients are orders of magnitude smaller than the output layer's."""
