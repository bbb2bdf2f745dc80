"""``exercise(seed, level, asks)``: a backprop exercise with numbers a learner can do by hand.

The numbers are drawn from ``seed`` and rounded to two decimals; the answer is the engine's,
computed from those rounded numbers. ``check(value)`` accepts an answer correct to four
significant figures and otherwise names the mistake whose wrong value it matches.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np

from ..engine import MLP
from ..engine.errors import InputError
from ..explain import Explanation, explain, param_name
from .mistakes import MISTAKES, RECHECK
from .quantities import Quantity, parse_quantity, quantity_name, quantity_symbol
from .variants import answer as engine_answer
from .variants import wrong_values

#: level -> what it is.
LEVELS: dict[str, str] = {
    "slides": "the slides' 2-2-1 network (sigmoid hidden, linear output, MSE), one sample",
    "batch": "the slides' 2-2-1 network on a batch of 2-4 samples (L is the mean)",
    "deeper": "a 2-2-2-1 network with two tanh or sigmoid hidden layers, MSE, one sample",
    "softmax": "a 2-2-2 network, sigmoid hidden, softmax output with cross-entropy",
}
LEARNING_RATES = (0.1, 0.25, 0.5, 1.0)
#: Relative tolerance: a value correct to 4 significant figures is within 5e-4 of the answer.
RELATIVE_TOLERANCE = 5e-4
#: Absolute floor, so that an answer that is (nearly) zero has a tolerance at all.
ABSOLUTE_TOLERANCE = 1e-6


def tolerance(expected: float) -> float:
    """How far from ``expected`` a value may be and still count as that value."""
    return max(RELATIVE_TOLERANCE * abs(expected), ABSOLUTE_TOLERANCE) * (1 + 1e-9)


def matches(value: float, expected: float) -> bool:
    return abs(value - expected) <= tolerance(expected)


@dataclass
class Feedback:
    """The verdict on one answer: correct, or the mistake(s) it matches, and what to re-check."""

    correct: bool
    mistake: str | None
    mistakes: list[str]
    message: str
    expected: float
    given: float

    def to_dict(self) -> dict[str, Any]:
        return {
            "correct": self.correct,
            "mistake": self.mistake,
            "mistakes": list(self.mistakes),
            "message": self.message,
            "expected": self.expected,
            "given": self.given,
        }


@dataclass
class Exercise:
    """One question about one gradient-descent step of ``network`` on (x, y) with rate ``lr``."""

    network: MLP
    x: np.ndarray
    y: np.ndarray
    lr: float
    asks: str
    level: str = "slides"
    seed: int = 0
    quantity: Quantity = field(init=False, repr=False)

    def __post_init__(self) -> None:
        self.quantity = parse_quantity(self.asks, self.network.layer_sizes)
        self.asks = quantity_name(self.quantity, self.network.layer_sizes)

    @property
    def answer(self) -> float:
        return engine_answer(self.network, self.x, self.y, self.lr, self.quantity)

    @property
    def symbol(self) -> str:
        return quantity_symbol(self.quantity, self.network.layer_sizes)

    def wrong_values(self) -> dict[str, float]:
        """Each mistake that applies here with its wrong value; those equal to the answer
        (to the tolerance) are left out, since they cannot be told from it."""
        right = self.answer
        return {
            k: v
            for k, v in wrong_values(self.network, self.x, self.y, self.lr, self.quantity).items()
            if np.isfinite(v) and not matches(v, right)
        }

    # ------------------------------------------------------------------ text
    def parameters_text(self) -> list[str]:
        """One line per layer: 'w1_11 = 0.15, w1_21 = ..., b1_1 = ...'."""
        lines = []
        for layer, (W, b) in enumerate(
            zip(self.network.weights, self.network.biases, strict=True), start=1
        ):
            parts = [
                f"{param_name('w', layer, i + 1, j + 1)} = {W[i, j]:g}"
                for j in range(W.shape[1])
                for i in range(W.shape[0])
            ]
            parts += [f"{param_name('b', layer, None, j + 1)} = {b[j]:g}" for j in range(len(b))]
            lines.append(", ".join(parts))
        return lines

    def data_text(self) -> list[str]:
        rows = []
        for k, (x, y) in enumerate(zip(self.x, self.y, strict=True), start=1):
            xs = ", ".join(f"{v:g}" for v in x)
            ys = ", ".join(f"{v:g}" for v in y)
            rows.append(f"sample {k}: input ({xs}), target ({ys})")
        return rows

    @property
    def network_text(self) -> str:
        sizes = "-".join(str(s) for s in self.network.layer_sizes)
        acts = ", ".join(self.network.activations)
        return f"MLP {sizes} ({acts}), loss {self.network.loss_name}"

    @property
    def question(self) -> str:
        n = self.x.shape[0]
        loss = (
            "L = (1/n) Σ (ŷ − y)²"
            if self.network.loss_name == "mse"
            else "L = −(1/n) Σ Σ_c y_c log ŷ_c"
        )
        per_sample = " for sample 1" if self.quantity.kind in ("output", "activation_grad") else ""
        lines = [
            f"Network: {self.network_text}; {loss} over the n = {n} sample(s); η = {self.lr:g}.",
            "Parameters (w{l}_{ij} from unit i of layer l−1 to unit j of layer l):",
            *("  " + line for line in self.parameters_text()),
            "Data:",
            *("  " + line for line in self.data_text()),
            f"Compute {self.symbol}{per_sample} after one forward and backward pass "
            "(4 significant figures).",
        ]
        return "\n".join(lines)

    # ------------------------------------------------------------------ data
    def to_dict(self) -> dict[str, Any]:
        """JSON-serialisable: the network, the data, the learning rate and what is asked."""
        return {
            "level": self.level,
            "seed": self.seed,
            "layer_sizes": list(self.network.layer_sizes),
            "activations": list(self.network.activations),
            "loss": self.network.loss_name,
            "weights": [W.tolist() for W in self.network.weights],
            "biases": [b.tolist() for b in self.network.biases],
            "x": self.x.tolist(),
            "y": self.y.tolist(),
            "lr": self.lr,
            "asks": self.asks,
            "question": self.question,
        }

    def explanation(self) -> Explanation:
        """The step-by-step derivation, focused on the asked quantity."""
        q = self.quantity
        if q.param is not None:
            focus: dict[str, Any] = {"param": param_name(*q.param)}
        else:
            focus = {"neuron": (q.layer, q.j)}
        return explain(self.network, self.x, self.y, lr=self.lr, **focus)

    # ------------------------------------------------------------------ checking
    def check(self, value: Any) -> Feedback:
        """Is ``value`` the answer (to 4 significant figures)? If not, which mistake is it?"""
        given = _as_number(value)
        expected = self.answer
        if matches(given, expected):
            return Feedback(
                True, None, [], f"correct: {self.symbol} = {expected:.6g}", expected, given
            )
        found = [k for k, v in self.wrong_values().items() if matches(given, v)]
        if found:
            parts = [f"{MISTAKES[k]}; re-check {RECHECK[k]}" for k in found]
            message = f"not quite ({self.symbol} = {expected:.6g}): " + " — or: ".join(parts)
            return Feedback(False, found[0], found, message, expected, given)
        message = (
            f"not a known mistake ({self.symbol} = {expected:.6g}): re-check the derivation "
            f"from its first step, {self._first_step()}"
        )
        return Feedback(False, None, [], message, expected, given)

    def _first_step(self) -> str:
        steps = self.explanation().steps
        return f"{steps[0].symbol.text} = {steps[0].value:.6g}" if steps else "the forward pass"


def _as_number(value: Any) -> float:
    try:
        number = (
            float(str(value).strip().replace("−", "-")) if isinstance(value, str) else float(value)
        )
    except (TypeError, ValueError):
        raise InputError(f"an answer must be a number, got {value!r}") from None
    if not np.isfinite(number):
        raise InputError(f"an answer must be a finite number, got {value!r}")
    return number


# ---------------------------------------------------------------------- generation
def _rounded(rng: np.random.Generator, low: float, high: float, shape) -> np.ndarray:
    return np.round(rng.uniform(low, high, size=shape), 2)


def _network(level: str, rng: np.random.Generator) -> MLP:
    if level in ("slides", "batch"):
        net = MLP([2, 2, 1], activations=["sigmoid", "identity"], loss="mse", seed=None)
    elif level == "deeper":
        hidden = str(rng.choice(["tanh", "sigmoid"]))
        net = MLP([2, 2, 2, 1], activations=[hidden, hidden, "identity"], loss="mse", seed=None)
    else:
        net = MLP([2, 2, 2], activations=["sigmoid", "softmax"], loss="cross_entropy", seed=None)
    net.weights = [_rounded(rng, -1, 1, W.shape) for W in net.weights]
    net.biases = [_rounded(rng, -1, 1, b.shape) for b in net.biases]
    return net


def _data(level: str, net: MLP, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    n = int(rng.integers(2, 5)) if level == "batch" else 1
    X = _rounded(rng, 0, 1, (n, net.n_inputs))
    if level == "softmax":
        Y = np.eye(net.n_outputs)[rng.integers(0, net.n_outputs, size=n)]
    else:
        Y = _rounded(rng, 0, 1, (n, net.n_outputs))
    return X, Y


def quantities(level: str, net: MLP) -> list[str]:
    """The names an exercise of this level may ask for."""
    sizes = net.layer_sizes
    names: list[str] = []
    if level != "batch":
        names += [
            quantity_name(Quantity("output", len(sizes) - 1, j), sizes)
            for j in range(1, sizes[-1] + 1)
        ]
        if net.loss_name == "mse":
            names.append("dL/dy_hat")
        for layer in range(1, len(sizes) - 1):
            names += [
                quantity_name(Quantity("activation_grad", layer, j), sizes)
                for j in range(1, sizes[layer] + 1)
            ]
    params = []
    for layer in range(1, len(sizes)):
        params += [
            param_name("w", layer, i, j)
            for i in range(1, sizes[layer - 1] + 1)
            for j in range(1, sizes[layer] + 1)
        ]
        params += [param_name("b", layer, None, j) for j in range(1, sizes[layer] + 1)]
    names += [f"dL/d{p}" for p in params] + [f"{p}(new)" for p in params]
    return names


def exercise(seed: int = 0, level: str = "slides", asks: str | None = None) -> Exercise:
    """A seeded exercise of ``level`` ('slides', 'batch', 'deeper', 'softmax') asking for
    ``asks`` (a name such as 'dL/dw1_11', 'dL/dO1', 'y_hat', 'w1_21(new)'; default: a seeded
    random choice)."""
    if level not in LEVELS:
        raise InputError(f"unknown level {level!r}; expected one of {', '.join(LEVELS)}")
    if isinstance(seed, bool) or not isinstance(seed, (int, np.integer)) or seed < 0:
        raise InputError(f"seed must be a non-negative integer, got {seed!r}")
    rng = np.random.default_rng([int(seed), list(LEVELS).index(level)])
    net = _network(level, rng)
    X, Y = _data(level, net, rng)
    lr = float(rng.choice(LEARNING_RATES))
    pool = quantities(level, net)
    chosen = str(rng.choice(pool)) if asks is None else asks
    return Exercise(net, X, Y, lr, chosen, level=level, seed=int(seed))
