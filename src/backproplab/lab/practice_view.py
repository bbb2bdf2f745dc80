"""Practice mode: one phase's numbers are hidden until the learner types the asked quantity.

The answer is checked by ``backproplab.practice`` on the very network, batch and learning
rate the page shows: an :class:`~backproplab.practice.Exercise` built from the session
says whether the value is right, and otherwise which classic mistake it matches and which
step to re-check. The server withholds the hidden numbers (the page cannot show what it
never receives) and refuses the derivation of a hidden phase until the question is answered.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal

import numpy as np

from ..engine.errors import InputError
from ..practice import Exercise, quantities
from ..practice.quantities import parse_quantity, quantity_symbol
from .session import LabConflict, LabSession

#: hide -> the phase whose numbers are hidden, and what it asks.
HIDDEN_PHASES: dict[str, str] = {
    "backward": "the gradients after Backward (type a ∂L/∂w or ∂L/∂b)",
    "update": "the new weights after Update (type a w(new) or b(new))",
}
HideName = Literal["backward", "update"]


@dataclass
class Practice:
    """A tab's practice mode: what is hidden, what is asked, and the running score."""

    hide: str = "backward"
    asks: str | None = None
    answered: int = 0
    correct: int = 0
    #: The gradients of the cycle whose question was answered (the numbers show again).
    answered_for: object | None = None
    last: dict[str, Any] | None = None


def practice_of(session: LabSession) -> Practice | None:
    return session.practice


def choices(session: LabSession, hide: str) -> list[str]:
    """The quantities a question may ask for on this network (practice's own names)."""
    names = quantities("batch", session.net)  # gradients and updates of every parameter
    wanted = (lambda n: n.startswith("dL/d")) if hide == "backward" else (lambda n: "(new)" in n)
    return [n for n in names if wanted(n)]


def configure_practice(
    session: LabSession, enabled: bool, hide: str = "backward", asks: str | None = None
) -> None:
    """Turn practice mode on (hiding ``hide``'s numbers, asking ``asks``) or off."""
    if not enabled:
        session.practice = None
        return
    options = choices(session, hide)
    if asks is not None and asks not in options:
        shown = ", ".join(options[:6]) + (", ..." if len(options) > 6 else "")
        raise InputError(f"practice cannot ask {asks!r} with {hide} hidden; choose one of {shown}")
    current = practice_of(session)
    practice = current if current is not None else Practice()
    practice.hide = hide
    practice.asks = asks or options[0]
    session.practice = practice


def is_hidden(session: LabSession) -> bool:
    """True while the practice question of this cycle is open (its phase's numbers hidden)."""
    p = practice_of(session)
    if p is None or session.phase != p.hide or session.grads is None:
        return False
    if p.asks not in choices(session, p.hide):  # the network changed under the question
        p.asks = choices(session, p.hide)[0]
    return p.answered_for is not session.grads


def exercise_of(session: LabSession) -> Exercise:
    """The open question as a practice Exercise on the page's network, batch and rate."""
    p = practice_of(session)
    if p is None or not is_hidden(session):
        what = "Backward" if p is None or p.hide == "backward" else "Forward, Backward, Update"
        raise LabConflict(f"no practice question is open: turn practice mode on and run {what}")
    assert session.batch is not None and p.asks is not None
    net = session.net if p.hide == "backward" else session.before
    assert net is not None
    Y = session.Y[session.batch]
    if Y.ndim == 1:  # integer labels (cross-entropy): practice works with one-hot rows
        Y = np.eye(net.n_outputs)[Y]
    return Exercise(net, session.X[session.batch], Y, session.config.lr, p.asks, level="lab")


def answer(session: LabSession, value: Any) -> dict[str, Any]:
    """Check ``value`` with backproplab.practice; the score counts it, the numbers show."""
    exercise = exercise_of(session)
    feedback = exercise.check(value).to_dict()
    p = practice_of(session)
    assert p is not None
    p.answered += 1
    p.correct += int(feedback["correct"])
    p.answered_for = session.grads
    feedback["asks"] = exercise.asks
    feedback["symbol"] = exercise.symbol
    p.last = feedback
    return feedback


def withhold(session: LabSession, view: dict[str, Any]) -> None:
    """Take the hidden phase's numbers out of a state view and describe practice mode."""
    p = practice_of(session)
    if p is None:
        view["practice"] = None
        return
    hidden = is_hidden(session)
    if hidden and p.hide == "backward":
        view["backward"] = None
    elif hidden and session.before is not None:  # the update: show the weights before it
        view["params"] = {
            "weights": [w.tolist() for w in session.before.weights],
            "biases": [b.tolist() for b in session.before.biases],
        }
    asks = p.asks or ""
    view["practice"] = {
        "hide": p.hide,
        "asks": asks,
        "symbol": quantity_symbol(
            parse_quantity(asks, session.net.layer_sizes), session.net.layer_sizes
        )
        if asks
        else "",
        "choices": choices(session, p.hide),
        "hidden": hidden,
        "answered": p.answered,
        "correct": p.correct,
        "last": p.last,
    }


def refuse_if_hidden(session: LabSession) -> None:
    """The derivation panel would show the hidden numbers: not before the answer."""
    if is_hidden(session):
        raise LabConflict(
            "practice mode: type your answer first; the derivation opens once it is checked"
        )
