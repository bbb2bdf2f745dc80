"""What every renderer says the same way: the heading, the numbers, the slides' labels."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from .expr import format_number

if TYPE_CHECKING:
    from .explanation import Explanation
    from .steps import Step


def title(exp: Explanation) -> str:
    return "Backpropagation, one training step"


def describe_network(exp: Explanation) -> str:
    """One line: the layout, the activations, the loss, η and the batch size."""
    net = exp.net
    sizes = "-".join(str(s) for s in net.layer_sizes)
    acts = ", ".join(net.activations)
    n = exp.n_samples
    samples = "1 sample" if n == 1 else f"{n} samples (the gradient is the mean over them)"
    return f"MLP {sizes} ({acts}), loss {net.loss_name}, η = {exp.lr:g}, {samples}"


def _vector(row: np.ndarray) -> str:
    return "(" + ", ".join(format_number(v, "num") for v in row) + ")"


def describe_data(exp: Explanation) -> list[str]:
    """The inputs and targets, one line per sample."""
    X, Y = exp.derivation.quantities.X, exp.derivation.quantities.Y
    if exp.n_samples == 1:
        return [f"input {_vector(X[0])}, target {_vector(Y[0])}"]
    return [
        f"sample {k}: input {_vector(x)}, target {_vector(y)}"
        for k, (x, y) in enumerate(zip(X, Y, strict=True), start=1)
    ]


def describe_focus(exp: Explanation) -> str | None:
    if not exp.focus:
        return None
    if "param" in exp.focus:
        return f"focused on the parameter {exp.focus['param']}"
    layer, j = exp.focus["neuron"]
    return f"focused on neuron {j} of layer {layer}"


def value_text(value: float) -> str:
    return format_number(value, "num")


_NUMERIC = {"text": "num", "latex": "num_latex", "mathml": "num_mathml"}


def step_parts(step: Step, flavour: str = "text") -> list[str]:
    """The equal parts of a step in 'text', 'latex' or 'mathml':
    symbol, [chain], formula, [numbers], value (repeats left out)."""
    numeric = _NUMERIC[flavour]
    parts = [step.symbol.render(flavour)]
    if step.chain is not None:
        parts.append(step.chain.render(flavour))
    formula = step.expr.render(flavour)
    numbers = step.expr.render(numeric)
    value = format_number(step.value, numeric)
    parts.append(formula)
    if numbers not in (formula, value):
        parts.append(numbers)
    if value != parts[-1]:
        parts.append(value)
    return parts


def slides_label_latex(label: str) -> str:
    """The slides' plain label ('w^2_21', 'b_11', 'dL/dŷ', 'O_1') as LaTeX maths."""
    out = label.replace("ŷ", r"\hat{y}")
    if "_" in out:
        head, _, tail = out.rpartition("_")
        out = f"{head}_{{{tail}}}"
    return out


_LATEX_TEXT = {
    "σ": r"$\sigma$",
    "′": "'",
    "″": "''",
    "ŷ": r"$\hat{y}$",
    "−": "-",
    "²": r"$^2$",
    "½": r"$\frac{1}{2}$",
    "Σ": r"$\Sigma$",
    "δ": r"$\delta$",
    "∂": r"$\partial$",
    "η": r"$\eta$",
    "·": r"$\cdot$",
    "⊙": r"$\odot$",
    "→": r"$\to$",
    "_": r"\_",
    "&": r"\&",
    "%": r"\%",
    "#": r"\#",
    "^": r"\^{}",
    "{": r"\{",
    "}": r"\}",
    "~": r"\~{}",
    "\\": r"\textbackslash{}",
}


def latex_text(text: str) -> str:
    """Plain text (with our Unicode maths) as LaTeX text mode, ASCII only."""
    out = "".join(_LATEX_TEXT.get(ch, ch) for ch in text)
    return out.encode("ascii", "replace").decode("ascii")
