"""Backprop exercises that are checked, and a wrong answer named as the mistake it is.

from backproplab.practice import exercise
ex = exercise(seed=3, level="slides", asks="dL/dw1_11")
print(ex.question)
fb = ex.check(0.0123)     # Feedback: correct, mistake, mistakes, message, expected, given
ex.explanation()          # the derivation, focused on w1_11
"""

from .exercise import LEVELS, Exercise, Feedback, exercise, quantities, tolerance
from .mistakes import MISTAKES, RECHECK

__all__ = [
    "LEVELS",
    "MISTAKES",
    "RECHECK",
    "Exercise",
    "Feedback",
    "exercise",
    "quantities",
    "tolerance",
]
