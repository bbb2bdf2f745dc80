"""How each quantity of a network is named, in plain text, LaTeX and MathML.

One rule for every network (docs/notation.md): inputs i1, i2, ...; hidden units O1, O2, ...
as in the slides when the network has one hidden layer, a{l}_{j} when it has several; the
output ŷ (ŷ1, ŷ2, ... for several outputs) and its target y; weighted sums z{l}_{j}; error
signals δ{l}_{j} = ∂L/∂z{l}_{j}; weights w{l}_{i}{j} and biases b{l}_{j}. In a batch, ``[k]``
after a name means "of sample k".
"""

from __future__ import annotations

from .expr import Symbol, mathml_identifier
from .names import param_name

_YHAT = '<mover><mi>y</mi><mo stretchy="false">^</mo></mover>'


def _sub(*indices: int) -> str:
    """Subscript digits, with commas when an index has two digits (w^1_{12,3})."""
    return ("" if all(i < 10 for i in indices) else ",").join(str(i) for i in indices)


def _with_sample(sym: Symbol, sample: int | None) -> Symbol:
    if sample is None:
        return sym
    return Symbol(
        f"{sym.text}[{sample}]",
        f"{sym.latex}[{sample}]",
        f"<mrow>{sym.mathml}<mo>[</mo><mn>{sample}</mn><mo>]</mo></mrow>",
    )


class Namer:
    """Names the quantities of one network; ``sample`` is shown only for batches."""

    def __init__(self, layer_sizes: list[int], n_samples: int) -> None:
        self.sizes = list(layer_sizes)
        self.n_layers = len(self.sizes) - 1
        self.batch = n_samples > 1

    def _k(self, sample: int | None) -> int | None:
        return sample if self.batch else None

    def act(self, layer: int, j: int, sample: int | None = None) -> Symbol:
        """a^layer_j: an input (layer 0), a hidden unit or the output."""
        if layer == 0:
            sym = Symbol(f"i{j}", f"i_{{{j}}}", mathml_identifier("i", sub=str(j)))
        elif layer == self.n_layers:
            if self.sizes[-1] == 1:
                sym = Symbol(
                    "ŷ", r"\hat{y}", '<mover><mi>y</mi><mo stretchy="false">^</mo></mover>'
                )
            else:
                sym = Symbol(
                    f"ŷ{j}",
                    rf"\hat{{y}}_{{{j}}}",
                    f"<msub>{_YHAT}<mn>{j}</mn></msub>",
                )
        elif self.n_layers == 2:
            sym = Symbol(f"O{j}", f"O_{{{j}}}", mathml_identifier("O", sub=str(j)))
        else:
            sym = Symbol(
                f"a{layer}_{j}",
                f"a^{{{layer}}}_{{{j}}}",
                mathml_identifier("a", str(layer), str(j)),
            )
        return _with_sample(sym, self._k(sample))

    def target(self, j: int, sample: int | None = None) -> Symbol:
        if self.sizes[-1] == 1:
            sym = Symbol("y", "y", "<mi>y</mi>")
        else:
            sym = Symbol(f"y{j}", f"y_{{{j}}}", mathml_identifier("y", sub=str(j)))
        return _with_sample(sym, self._k(sample))

    def z(self, layer: int, j: int, sample: int | None = None) -> Symbol:
        sym = Symbol(
            f"z{layer}_{j}", f"z^{{{layer}}}_{{{j}}}", mathml_identifier("z", str(layer), str(j))
        )
        return _with_sample(sym, self._k(sample))

    def delta(self, layer: int, j: int, sample: int | None = None) -> Symbol:
        sym = Symbol(
            f"δ{layer}_{j}",
            rf"\delta^{{{layer}}}_{{{j}}}",
            mathml_identifier("δ", str(layer), str(j)),
        )
        return _with_sample(sym, self._k(sample))

    def weight(self, layer: int, i: int, j: int) -> Symbol:
        return Symbol(
            param_name("w", layer, i, j),
            f"w^{{{layer}}}_{{{_sub(i, j)}}}",
            mathml_identifier("w", str(layer), _sub(i, j)),
        )

    def bias(self, layer: int, j: int) -> Symbol:
        return Symbol(
            param_name("b", layer, None, j),
            f"b^{{{layer}}}_{{{j}}}",
            mathml_identifier("b", str(layer), str(j)),
        )

    def param(self, kind: str, layer: int, i: int | None, j: int) -> Symbol:
        return self.weight(layer, i, j) if kind == "w" and i is not None else self.bias(layer, j)


LOSS = Symbol("L", "L", "<mi>L</mi>")
ETA = Symbol("η", r"\eta", "<mi>η</mi>")


def partial(of: Symbol, wrt: Symbol, sample: int | None = None) -> Symbol:
    """∂of/∂wrt; ``sample`` marks one sample's term of a batch gradient."""
    sym = Symbol(
        f"∂{of.text}/∂{wrt.text}",
        rf"\frac{{\partial {of.latex}}}{{\partial {wrt.latex}}}",
        f"<mfrac><mrow><mo>∂</mo>{of.mathml}</mrow><mrow><mo>∂</mo>{wrt.mathml}</mrow></mfrac>",
    )
    return _with_sample(sym, sample)


def new_value(sym: Symbol) -> Symbol:
    """The slides' w(new)."""
    return Symbol(
        f"{sym.text}(new)",
        rf"{sym.latex}(\text{{new}})",
        f"<mrow>{sym.mathml}<mo>(</mo><mtext>new</mtext><mo>)</mo></mrow>",
    )
