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
