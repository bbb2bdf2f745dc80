"""Every name and formula the page shows, from ``explain``'s own renderer.

The page used to name units its own way and to parse LaTeX into MathML; now it draws
what this module sends: each label as plain text (for SVG ``<text>`` and tooltips) and as
MathML (for the HTML around it), and the one precision all numbers are shown with. So the
drawing and the derivation panel speak one vocabulary: ``explain.symbols.Namer``'s.
"""

from __future__ import annotations

import html
from typing import Any

from ..explain.expr import Symbol
from ..explain.symbols import ETA, LOSS, Namer, partial

#: Significant digits of every number the page shows (the network, the panel, the chart).
DISPLAY_DIGITS = 4

_W = Symbol("w", "w", "<mi>w</mi>")
_Z = Symbol("z", "z", "<mi>z</mi>")
_A = Symbol("a", "a", "<mi>a</mi>")
_DELTA = Symbol("δ", r"\delta", "<mi>δ</mi>")
_GRAD_W = partial(LOSS, _W)


def _formula(*items: Symbol | str) -> Symbol:
    """A short formula: symbols joined by operators (``w ← w − η ∂L/∂w``)."""
    text = " ".join(i.text if isinstance(i, Symbol) else i for i in items)
    mathml = "".join(
        i.mathml if isinstance(i, Symbol) else f"<mo>{html.escape(i)}</mo>" for i in items
    )
    return Symbol(text, "", f"<mrow>{mathml}</mrow>")


_UPDATE = _formula(_W, "←", _W, "−", ETA, _GRAD_W)


def _phrase(*parts: Symbol | str) -> dict[str, str]:
    """Prose with maths in it: ``text`` for attributes, ``html`` with inline MathML."""
    text = "".join(p.text if isinstance(p, Symbol) else p for p in parts)
    markup = "".join(
        f"<math>{p.mathml}</math>" if isinstance(p, Symbol) else html.escape(p) for p in parts
    )
    return {"text": text, "html": markup}


def label(sym: Symbol) -> dict[str, str]:
    """One name as the page needs it: text (SVG, tooltips) and MathML."""
    return {"text": sym.text, "mathml": sym.mathml}


def _param(sym: Symbol) -> dict[str, Any]:
    # A parameter's text name is also its id in /api/explain (w1_11, b2_1).
    return {"id": sym.text, **label(sym)}


#: ∂L/∂(a parameter), with ``{}`` where the parameter's own label goes: one template
#: instead of a second label per parameter (a 2-16x6-1 network has 1,400 of them).
GRADIENT_OF = label(partial(LOSS, Symbol("{}", "{}", "{}")))


def network_labels(layer_sizes: list[int]) -> dict[str, Any]:
    """The names of every neuron, parameter, target and gradient of this network."""
    sizes = list(layer_sizes)
    namer = Namer(sizes, 1)
    last = len(sizes) - 1
    units = [range(1, n + 1) for n in sizes]
    return {
        "digits": DISPLAY_DIGITS,
        "nodes": [[label(namer.act(layer, j)) for j in units[layer]] for layer in range(last + 1)],
        # deltas[l - 1][j - 1]: δ of neuron j of layer l (no δ for the inputs).
        "deltas": [
            [label(namer.delta(layer, j)) for j in units[layer]] for layer in range(1, last + 1)
        ],
        "weights": [
            [[_param(namer.weight(layer, i, j)) for j in units[layer]] for i in units[layer - 1]]
            for layer in range(1, last + 1)
        ],
        "biases": [
            [_param(namer.bias(layer, j)) for j in units[layer]] for layer in range(1, last + 1)
        ],
        "targets": [label(namer.target(j)) for j in units[last]],
        "output_grads": [label(partial(LOSS, namer.act(last, j))) for j in units[last]],
        "gradient_of": GRADIENT_OF,
    }


def vocabulary() -> dict[str, Any]:
    """The page's fixed words with maths in them, and the menus' labels."""
    return {
        "digits": DISPLAY_DIGITS,
        "symbols": {"loss": label(LOSS), "eta": label(ETA)},
        "phases": {
            "ready": _phrase(
                "Ready: press Forward to compute every ", _Z, " and ", _A, " for the batch."
            ),
            "forward": _phrase(
                "Forward done: every neuron's ", _Z, " and ", _A, " are computed. Next: Backward."
            ),
            "backward": _phrase(
                "Backward done: every ",
                _GRAD_W,
                " and ",
                _DELTA,
                ", from the output back. Next: Update.",
            ),
            "update": _phrase(
                "Update done: ", _UPDATE, " for every parameter at once. Next: Forward."
            ),
        },
        "phrases": {
            "view-values": _phrase("weights & activations"),
            "view-gradients": _phrase("gradients (", _GRAD_W, ", ", _DELTA, ")"),
            "title-forward": _phrase("Phase 1: ", _Z, " and ", _A, " of every neuron"),
            "title-backward": _phrase("Phase 2: every ", _GRAD_W, " and ", _DELTA),
            "title-update": _phrase("Phase 3: ", _UPDATE),
            "delta-note": _phrase(_DELTA, " = ∂L/∂z, summed over the batch"),
            # The headings of the derivation's steps, by explain's step kind.
            "step-forward": _phrase("forward pass"),
            "step-loss": _phrase("loss"),
            "step-output_grad": _phrase("output gradient"),
            "step-activation_grad": _phrase("gradient of an activation"),
            "step-delta": _phrase("error signal ", _DELTA),
            "step-gradient": _phrase("gradient"),
            "step-update": _phrase("update"),
        },
        "options": {
            "slides": "the slides' example (one sample)",
            "xor": "xor",
            "circles": "circles",
            "moons": "moons",
            "spirals": "spirals",
            "gaussians": "gaussian blobs",
            "csv": "your CSV file",
            "sigmoid": "sigmoid",
            "tanh": "tanh",
            "relu": "ReLU",
            "leaky_relu": "leaky ReLU",
            "elu": "ELU",
            "softplus": "softplus",
            "silu": "SiLU (swish)",
            "gelu": "GELU",
            "identity": "identity (linear)",
            "softmax": "softmax",
            "exp": "exp (counts, rates)",
            "mse": "mse: mean (ŷ − y)²",
            "bce": "binary cross-entropy",
            "cross_entropy": "cross-entropy (softmax)",
        },
    }
