"""Every output format, byte for byte, against files written before the explanation was split
into a view and section builders: a refactoring of explain/ must not change what it prints.

The numbers in these files are checked elsewhere (test_values: finite differences, autograd,
the slides); here only that the printed explanation stays the same. After a deliberate
change to the output, rewrite them with ``python tests/explain/test_golden.py`` and review
the diff.
"""

from __future__ import annotations

import pathlib

import numpy as np
import pytest

import backproplab as bp

GOLDEN = pathlib.Path(__file__).parent / "golden"


def _slides(**kw):
    return bp.explain(bp.MLP.slides_network(), [0.05, 0.10], [0.01], lr=0.5, **kw)


def _net(sizes, acts, loss, X, Y, **kw):
    net = bp.MLP(sizes, activations=acts, loss=loss, seed=3)
    return bp.explain(net, np.array(X), np.array(Y), lr=0.3, **kw)


#: name -> (the explanation, the formats kept for it)
CASES = {
    "slides": (_slides, ("txt", "md", "tex", "html", "json")),
    "slides_labels": (lambda: _slides(slides_labels=True), ("txt",)),
    "slides_w1_11": (lambda: _slides(param="w1_11"), ("md",)),
    "tanh_softmax_2-3-3-2": (
        lambda: _net([2, 3, 3, 2], ["tanh", "tanh", "softmax"], "cross_entropy",
                     [[0.3, -1.2]], [[0.0, 1.0]]),
        ("txt",),
    ),
    "sigmoid_bce_2-4-1": (
        lambda: _net([2, 4, 1], ["sigmoid", "sigmoid"], "bce", [0.7, 0.2], [1.0]),
        ("txt",),
    ),
    "gelu_batch3_2-3-1": (
        lambda: _net([2, 3, 1], ["gelu", "identity"], "mse",
                     [[0.5, -0.4], [1.1, 0.3], [-0.8, 0.9]], [[0.2], [-0.5], [1.0]]),
        ("txt",),
    ),
}  # fmt: skip


def _render(explanation, fmt: str) -> str:
    return {
        "txt": explanation.to_text,
        "md": explanation.to_markdown,
        "tex": lambda: explanation.to_latex(standalone=True),
        "html": explanation.to_html,
        "json": explanation.to_json,
    }[fmt]()


PAIRS = [(name, fmt) for name, (_, fmts) in CASES.items() for fmt in fmts]


@pytest.mark.parametrize(("name", "fmt"), PAIRS, ids=[f"{n}.{f}" for n, f in PAIRS])
def test_output_is_unchanged(name: str, fmt: str) -> None:
    expected = (GOLDEN / f"{name}.{fmt}").read_text(encoding="utf-8")
    assert _render(CASES[name][0](), fmt) == expected


if __name__ == "__main__":  # rewrite the files after a deliberate change of the output
    GOLDEN.mkdir(exist_ok=True)
    for name, (make, fmts) in CASES.items():
        explanation = make()
        for fmt in fmts:
            (GOLDEN / f"{name}.{fmt}").write_text(_render(explanation, fmt), encoding="utf-8")


@pytest.mark.parametrize("loss", bp.LOSS_NAMES)
def test_the_printed_scale_is_the_engines(loss: str) -> None:
    """The explanation prints numerator/count; the engine's backward uses Loss.scale."""
    from backproplab.engine import get_loss

    fn = get_loss(loss)
    for n, m in [(1, 1), (3, 1), (1, 4), (5, 3)]:
        assert fn.scale_numerator / fn.mean_count(n, m) == pytest.approx(fn.scale(n, m), rel=1e-15)
