"""A small expression tree that prints one formula five ways.

Each step of an explanation is one expression whose leaves are named quantities carrying
the engine's numbers. The same tree prints

* ``text``   -- the symbolic formula in plain Unicode (``2(ŷ − y) · O1``),
* ``latex``  -- the symbolic formula in LaTeX,
* ``mathml`` -- the symbolic formula in MathML Core (rendered by browsers without network),
* ``py``     -- the formula with every number substituted at full precision, as a plain
  Python expression (see :data:`SUBSTITUTED_NAMES`),
* ``num`` / ``num_latex`` / ``num_mathml`` -- the substituted formula with rounded numbers,
  for reading.

So the symbolic and substituted forms can never disagree: they are the same tree. The tree
only *prints*; it never evaluates (the values come from the engine).
"""

from __future__ import annotations

import html
import math
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass

#: The only names a ``substituted`` expression may call, besides numbers, ``+ - * / **``,
#: parentheses and Python's ``x if c else y`` / comparisons: ``exp``, ``log`` and ``tanh``
#: as in :mod:`math`, the built-in ``max``, and ``sigmoid(x) = 1 / (1 + exp(-x))``.
SUBSTITUTED_NAMES: tuple[str, ...] = ("exp", "log", "tanh", "max", "sigmoid")

SYMBOLIC_MODES = ("text", "latex", "mathml")
NUMERIC_MODES = ("py", "num", "num_latex", "num_mathml")

ATOM = 9
POWER = 4
PRODUCT = 2
SUM = 1
#: Significant digits of the rounded numbers shown to a reader (the JSON keeps them all).
DIGITS = 6
_DIGITS: ContextVar[int] = ContextVar("display_digits", default=DIGITS)


@contextmanager
def display_digits(digits: int) -> Iterator[None]:
    """Round the numbers shown to a reader to ``digits`` significant digits in this block.

    The lab draws its network with fewer digits than a printed derivation needs; rendering
    its derivations inside this block keeps one precision on the whole page.
    """
    token = _DIGITS.set(int(digits))
    try:
        yield
    finally:
        _DIGITS.reset(token)


def _flavour(mode: str) -> str:
    """'text', 'latex', 'mathml' or 'py': the syntax a mode writes in."""
    return {"num": "text", "num_latex": "latex", "num_mathml": "mathml"}.get(mode, mode)


def _paren(s: str, mode: str) -> str:
    if _flavour(mode) == "latex":
        return rf"\left({s}\right)"
    if _flavour(mode) == "mathml":
        return f"<mrow><mo>(</mo>{s}<mo>)</mo></mrow>"
    return f"({s})"


def _op(symbol: str, mode: str) -> str:
    """An infix operator in the mode's syntax; ``symbol`` is one of + - * =."""
    flav = _flavour(mode)
    if flav == "py":
        return {"+": " + ", "-": " - ", "*": "*"}[symbol]
    if flav == "latex":
        return {"+": " + ", "-": " - ", "*": r" \cdot "}[symbol]
    if flav == "mathml":
        return {"+": "<mo>+</mo>", "-": "<mo>−</mo>", "*": "<mo>·</mo>"}[symbol]
    return {"+": " + ", "-": " − ", "*": " · "}[symbol]


def format_number(value: float, mode: str) -> str:
    """A number in a mode: full precision (``repr``) for py, rounded for reading otherwise."""
    value = float(value) + 0.0  # -0.0 prints as 0
    if mode == "py":
        return repr(value)
    text = f"{value:.{_DIGITS.get()}g}"
    flav = _flavour(mode)
    mantissa, _, exponent = text.partition("e")
    negative = mantissa.startswith("-")
    mantissa = mantissa.lstrip("-")
    if flav == "latex":
        body = mantissa if not exponent else rf"{mantissa} \times 10^{{{int(exponent)}}}"
        return ("-" if negative else "") + body
    if flav == "mathml":
        body = f"<mn>{mantissa}</mn>"
        if exponent:
            body += f"<mo>×</mo><msup><mn>10</mn><mn>{int(exponent)}</mn></msup>"
        return (
            (f"<mrow><mo>−</mo>{body}</mrow>" if negative else body)
            if exponent or negative
            else body
        )
    return ("−" if negative else "") + mantissa + (f"e{exponent}" if exponent else "")


class Expr:
    """A node of a formula."""

    def render(self, mode: str) -> str:
        return self.parts(mode)[0]

    def parts(self, mode: str) -> tuple[str, int]:
        """The printed form and its precedence (to decide where parentheses go)."""
        raise NotImplementedError

    def wrapped(self, mode: str, min_prec: int) -> str:
        s, prec = self.parts(mode)
        return _paren(s, mode) if prec < min_prec else s


@dataclass(frozen=True)
class Symbol:
    """How a quantity is named: plain text, LaTeX and MathML."""

    text: str
    latex: str
    mathml: str

    def render(self, mode: str) -> str:
        return getattr(self, _flavour(mode))


@dataclass(frozen=True)
class Q(Expr):
    """A named quantity with its value from the engine: a leaf of the tree."""

    symbol: Symbol
    value: float

    def parts(self, mode: str) -> tuple[str, int]:
        if mode in SYMBOLIC_MODES:
            return self.symbol.render(mode), ATOM
        s = format_number(self.value, mode)
        # A negative number is wrapped as soon as it sits inside an operator: 2 * (-0.5).
        return s, (SUM - 1 if float(self.value) < 0 else ATOM)


@dataclass(frozen=True)
class Const(Expr):
    """A number that belongs to the formula itself (the 2 of 2(ŷ − y), the 1 of 1 − σ)."""

    value: float

    def parts(self, mode: str) -> tuple[str, int]:
        v = float(self.value)
        if v.is_integer() and abs(v) < 1e15:
            s = str(int(v))
            if _flavour(mode) == "mathml":
                s = f"<mn>{s}</mn>"
            return s, ATOM
        return format_number(v, "py" if mode in ("py",) else mode), ATOM


@dataclass(frozen=True)
class Mul(Expr):
    factors: tuple[Expr, ...]

    def parts(self, mode: str) -> tuple[str, int]:
        out = ""
        for k, f in enumerate(self.factors):
            s = f.wrapped(mode, PRODUCT + (1 if isinstance(f, Frac) and k else 0))
            if k == 0 and isinstance(f, Q):
                s = f.render(mode)  # a leading -0.5 needs no brackets
            if isinstance(f, Frac) and _flavour(mode) in ("text", "py") and len(self.factors) > 1:
                s = _paren(f.render(mode), mode)
            if k == 0:
                out = s
            elif (
                _flavour(mode) in ("text", "latex")
                and isinstance(self.factors[k - 1], Const | Frac)
                and s.startswith(("(", r"\left("))
            ):
                out += s  # the slides' 2(ŷ − y): a constant juxtaposed with a bracket
            else:
                out += _op("*", mode) + s
        return out, PRODUCT


@dataclass(frozen=True)
class Add(Expr):
    terms: tuple[Expr, ...]

    def parts(self, mode: str) -> tuple[str, int]:
        rendered = [
            t.render(mode) if k == 0 and isinstance(t, Q) else t.wrapped(mode, SUM)
            for k, t in enumerate(self.terms)
        ]
        return _op("+", mode).join(rendered), SUM


@dataclass(frozen=True)
class Sub(Expr):
    left: Expr
    right: Expr

    def parts(self, mode: str) -> tuple[str, int]:
        left = self.left.render(mode) if isinstance(self.left, Q) else self.left.wrapped(mode, SUM)
        return left + _op("-", mode) + self.right.wrapped(mode, SUM + 1), SUM


@dataclass(frozen=True)
class Neg(Expr):
    inner: Expr

    def parts(self, mode: str) -> tuple[str, int]:
        sign = {"py": "-", "latex": "-", "mathml": "<mo>−</mo>"}.get(_flavour(mode), "−")
        return sign + self.inner.wrapped(mode, PRODUCT), SUM


@dataclass(frozen=True)
class Frac(Expr):
    num: Expr
    den: Expr

    def parts(self, mode: str) -> tuple[str, int]:
        flav = _flavour(mode)
        if flav == "latex":
            return rf"\frac{{{self.num.render(mode)}}}{{{self.den.render(mode)}}}", ATOM
        if flav == "mathml":
            return (
                f"<mfrac><mrow>{self.num.render(mode)}</mrow>"
                f"<mrow>{self.den.render(mode)}</mrow></mfrac>",
                ATOM,
            )
        slash = "/"
        return self.num.wrapped(mode, PRODUCT) + slash + self.den.wrapped(mode, ATOM), PRODUCT


@dataclass(frozen=True)
class Square(Expr):
    base: Expr

    def parts(self, mode: str) -> tuple[str, int]:
        flav = _flavour(mode)
        b = self.base.wrapped(mode, ATOM)
        if flav == "py":
            return f"{b}**2", POWER
        if flav == "latex":
            return f"{{{b}}}^{{2}}", POWER
        if flav == "mathml":
            return f"<msup><mrow>{b}</mrow><mn>2</mn></msup>", POWER
        return f"{b}²", POWER


@dataclass(frozen=True)
class Call(Expr):
    """A function applied to arguments, printed symbolically and as plain Python.

    ``py`` is a template with ``{0}``, ``{1}``... for the arguments' Python forms (it may
    use an argument twice, e.g. the sigmoid derivative ``sigmoid(x)*(1 - sigmoid(x))``).
    """

    text: str
    latex: str
    mathml: str
    py: str
    args: tuple[Expr, ...]
    py_prec: int = ATOM

    def parts(self, mode: str) -> tuple[str, int]:
        flav = _flavour(mode)
        if flav == "py":
            rendered = [a.render(mode) for a in self.args]
            return self.py.format(*rendered), self.py_prec
        sep = {"latex": ", ", "mathml": "<mo>,</mo>"}.get(flav, ", ")
        inner = sep.join(a.render(mode) for a in self.args)
        if flav == "mathml":
            return f"<mrow>{self.mathml}{_paren(inner, mode)}</mrow>", ATOM
        name = self.latex if flav == "latex" else self.text
        return f"{name}{_paren(inner, mode)}", ATOM


def mul(*factors: Expr) -> Expr:
    """A product, dropping the factor 1 (identity derivatives) and flattening."""
    flat: list[Expr] = []
    for f in factors:
        if isinstance(f, Const) and float(f.value) == 1.0:
            continue
        flat.extend(f.factors if isinstance(f, Mul) else (f,))
    if not flat:
        return Const(1)
    return flat[0] if len(flat) == 1 else Mul(tuple(flat))


def add(terms: Sequence[Expr]) -> Expr:
    terms = tuple(terms)
    return terms[0] if len(terms) == 1 else Add(terms)


def mathml_identifier(base: str, sup: str | None = None, sub: str | None = None) -> str:
    """MathML for a name with an optional superscript (layer) and subscript (indices)."""
    b = f"<mi>{html.escape(base)}</mi>"
    if sup and sub:
        return f"<msubsup>{b}<mn>{sub}</mn><mn>{sup}</mn></msubsup>"
    if sub:
        return f"<msub>{b}<mn>{sub}</mn></msub>"
    if sup:
        return f"<msup>{b}<mn>{sup}</mn></msup>"
    return b


def is_finite(value: float) -> bool:
    return math.isfinite(float(value))
