"""The one table: every activation defined once, for every path that needs it.

Each element-wise activation is two small functions written with NumPy's ufuncs:

* ``f(z, p)``: the activation a = f(z) (``p`` is its parameter, e.g. leaky ReLU's slope);
* ``chain(g, z, a, p)``: the backward rule dL/dz = dL/da * f'(z), given z and the cached
  a = f(z) -- the slides' trick for the sigmoid, sigma'(x) = sigma(x)(1 - sigma(x)).

The *same* functions run on NumPy arrays (network.py, the reference a learner reads) and,
compiled by numba, on scalars inside the fused loops of ``compiled/kernel.py``: that module
builds its dispatch from this table, so nothing here is written twice. The helpers
:func:`where` and :func:`erf` are the only two operations NumPy and numba spell differently;
``compiled/kernel_build.py`` gives them their scalar forms.

Each entry also carries the formula the explanation prints (text, LaTeX, MathML and a plain
Python form that evaluates to the value), so ``explain`` takes its formulas from here.

Adding an activation is one :class:`ActivationDef` in ``ACTIVATIONS`` plus its tests.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np

Array = Any  # a NumPy array, or a scalar inside compiled code

SQRT_HALF = 1.0 / math.sqrt(2.0)
INV_SQRT_2PI = 1.0 / math.sqrt(2.0 * math.pi)


# ------------------------------------------------------------------ the two spelled-differently
def where(condition: Array, if_true: Array, if_false: Array) -> Array:
    """``np.where`` on arrays; ``if_true if condition else if_false`` when compiled."""
    return np.where(condition, if_true, if_false)


def erf(x: Array) -> Array:
    """The error function: SciPy's ufunc on arrays (imported only when used), math.erf
    when compiled."""
    from scipy.special import erf as _erf  # ~0.2 s to import, so only for gelu

    return _erf(x)


# ------------------------------------------------------------------ the activations
def identity(z: Array, p: float) -> Array:
    return z


def identity_chain(g: Array, z: Array, a: Array, p: float) -> Array:
    return g  # f'(z) = 1: delta = dL/da (the slides' linear output: dL/dz = dL/dy-hat)


def sigmoid(z: Array, p: float) -> Array:
    # exp(min(z, 0)) / (1 + exp(-|z|)) is 1/(1 + e^-z) for z >= 0 and e^z/(1 + e^z) for
    # z < 0: never overflows, for any finite z, without a branch.
    return np.exp(np.minimum(z, 0)) / (1 + np.exp(-np.abs(z)))


def sigmoid_chain(g: Array, z: Array, a: Array, p: float) -> Array:
    # Slides: sigma'(x) = sigma(x)(1 - sigma(x)), from the cached output a.
    return g * a * (1 - a)


def tanh(z: Array, p: float) -> Array:
    return np.tanh(z)


def tanh_chain(g: Array, z: Array, a: Array, p: float) -> Array:
    return g * (1 - a * a)  # tanh' = 1 - tanh^2, from the cached output


def relu(z: Array, p: float) -> Array:
    return np.maximum(z, 0)  # NaN stays NaN, as in PyTorch


def relu_chain(g: Array, z: Array, a: Array, p: float) -> Array:
    return g * (z > 0)  # the sub-gradient at 0 is 0, as PyTorch takes it


def leaky_relu(z: Array, p: float) -> Array:
    return where(z > 0, z, z * p)


def leaky_relu_chain(g: Array, z: Array, a: Array, p: float) -> Array:
    return where(z > 0, g, g * p)


def elu(z: Array, p: float) -> Array:
    # alpha (e^z - 1) for z <= 0; expm1 of min(z, 0) so the unused branch cannot overflow.
    return where(z > 0, z, np.expm1(np.minimum(z, 0)) * p)


def elu_chain(g: Array, z: Array, a: Array, p: float) -> Array:
    return where(z > 0, g, g * (a + p))  # alpha e^z = a + alpha, from the cached output


def softplus(z: Array, p: float) -> Array:
    # log(1 + e^z) as max(z, 0) + log1p(e^-|z|): finite for any finite z.
    return np.maximum(z, 0) + np.log1p(np.exp(-np.abs(z)))


def softplus_chain(g: Array, z: Array, a: Array, p: float) -> Array:
    return g * sigmoid(z, p)  # softplus' = sigma


def silu(z: Array, p: float) -> Array:
    return z * sigmoid(z, p)  # swish: z sigma(z)


def silu_chain(g: Array, z: Array, a: Array, p: float) -> Array:
    s = sigmoid(z, p)
    return g * (s + a * (1 - s))  # sigma + z sigma (1 - sigma), with z sigma = a


def gelu(z: Array, p: float) -> Array:
    return z * (0.5 + 0.5 * erf(z * SQRT_HALF))  # z Phi(z), the exact (erf) form


def gelu_chain(g: Array, z: Array, a: Array, p: float) -> Array:
    # Phi(z) + z phi(z), phi the standard normal density.
    return g * ((0.5 + 0.5 * erf(z * SQRT_HALF)) + z * np.exp(-0.5 * z * z) * INV_SQRT_2PI)


def exp(z: Array, p: float) -> Array:
    return np.exp(z)  # the log link's inverse: the output of a Poisson regression


def exp_chain(g: Array, z: Array, a: Array, p: float) -> Array:
    return g * a  # exp' = exp: the cached output itself


# Softmax mixes the units of a row: its forward and its Jacobian-vector product are row-wise
# NumPy functions, and the compiled loops write the same two formulas as loops over a row.
def softmax_rows(z: Array) -> Array:
    e = np.exp(z - z.max(axis=1, keepdims=True))  # the row maximum keeps exp from overflowing
    return e / e.sum(axis=1, keepdims=True)


def softmax_rows_chain(g: Array, a: Array) -> Array:
    # dL/dz_j = a_j (dL/da_j - sum_k dL/da_k a_k): the softmax Jacobian times a vector.
    return (g - np.einsum("ij,ij->i", g, a)[:, None]) * a


# ------------------------------------------------------------------ formulas for explain
@dataclass(frozen=True)
class Formula:
    """A printable function: its name in text, LaTeX and MathML, and a Python template
    (``{0}`` the argument, ``{p}`` the parameter) that evaluates to the same value with
    ``exp``, ``log``, ``tanh``, ``erf``, ``max`` and ``sigmoid``."""

    text: str
    latex: str
    mathml: str
    py: str
    #: True when ``py`` is a product (it needs no parentheses as a factor).
    product: bool = False


def _named(name: str, py: str, *, latex: str | None = None, product: bool = False) -> Formula:
    latex = latex or r"\operatorname{" + name.replace("_", r"\_") + "}"
    return Formula(name, latex, f"<mi>{name}</mi>", py, product)


def _primed(name: str, py: str, *, latex: str | None = None, product: bool = False) -> Formula:
    base = latex or r"\operatorname{" + name.replace("_", r"\_") + "}"
    return Formula(f"{name}′", base + "'", f"<msup><mi>{name}</mi><mo>′</mo></msup>", py, product)


_GELU_PRIME = "(0.5*(1 + erf({0}/2**0.5)) + {0}*exp(-({0})**2/2)/(2*3.141592653589793)**0.5)"


@dataclass(frozen=True)
class ActivationDef:
    """One activation: its functions, its parameter, and how the explanation prints it."""

    name: str
    f: Callable[..., Array] | None  # None for the row-wise softmax
    chain: Callable[..., Array] | None
    formula: Formula | None  # None for identity (z is printed as itself)
    derivative: Formula | None  # None for identity (the factor 1 is dropped)
    #: The derivative rule in words, as the explanation's note prints it.
    rule: str
    #: The parameter p handed to f and chain (leaky ReLU's slope, ELU's alpha).
    param: float = 0.0
    #: Mixes the units of a row (softmax): only allowed on the output layer.
    output_only: bool = False
    #: PyTorch's module for the same function (interop, tests).
    torch_name: str = ""
    #: The argument of that module that holds ``param`` (LeakyReLU's negative_slope).
    torch_param: str = ""


def _plain(
    name: str, f: Callable[..., Array], chain: Callable[..., Array], py: str, prime_py: str,
    rule: str, *, param: float = 0.0, product: bool = False, torch: str = "",
    torch_param: str = "",
) -> ActivationDef:  # fmt: skip
    """An entry printed by its name (relu(z), relu′(z)) in every notation."""
    return ActivationDef(name, f, chain, _named(name, py, product=product),
                         _primed(name, prime_py), rule, param=param, torch_name=torch,
                         torch_param=torch_param)  # fmt: skip


ACTIVATIONS: tuple[ActivationDef, ...] = (
    ActivationDef(
        "identity", identity, identity_chain, None, None,
        "the identity's derivative is 1, so δ = ∂L/∂a", torch_name="Identity",
    ),
    ActivationDef(
        "sigmoid", sigmoid, sigmoid_chain,
        Formula("σ", r"\sigma", "<mi>σ</mi>", "sigmoid({0})"),
        Formula("σ′", r"\sigma'", "<msup><mi>σ</mi><mo>′</mo></msup>",
                "sigmoid({0})*(1 - sigmoid({0}))", product=True),
        "σ′(x) = σ(x)(1 − σ(x))  (the slides write σ″; it is the first derivative)",
        torch_name="Sigmoid",
    ),
    ActivationDef(
        "tanh", tanh, tanh_chain,
        Formula("tanh", r"\tanh", "<mi>tanh</mi>", "tanh({0})"),
        Formula("tanh′", r"\tanh'", "<msup><mi>tanh</mi><mo>′</mo></msup>",
                "(1 - tanh({0})**2)"),
        "tanh′(x) = 1 − tanh(x)²", torch_name="Tanh",
    ),
    _plain("relu", relu, relu_chain, "max(0.0, {0})", "(1.0 if {0} > 0 else 0.0)",
           "relu′(x) = 1 if x > 0 else 0", torch="ReLU"),
    _plain("leaky_relu", leaky_relu, leaky_relu_chain, "({0} if {0} > 0 else {p}*{0})",
           "(1.0 if {0} > 0 else {p})", "leaky_relu′(x) = 1 if x > 0 else the negative slope",
           param=0.01, torch="LeakyReLU", torch_param="negative_slope"),
    _plain("elu", elu, elu_chain, "({0} if {0} > 0 else {p}*(exp({0}) - 1))",
           "(1.0 if {0} > 0 else {p}*exp({0}))", "elu′(x) = 1 if x > 0 else α eˣ (α = 1)",
           param=1.0, torch="ELU", torch_param="alpha"),
    _plain("softplus", softplus, softplus_chain, "log(1 + exp({0}))", "sigmoid({0})",
           "softplus′(x) = σ(x)", torch="Softplus"),
    _plain("silu", silu, silu_chain, "{0}*sigmoid({0})",
           "(sigmoid({0})*(1 + {0}*(1 - sigmoid({0}))))",
           "silu′(x) = σ(x)(1 + x(1 − σ(x)))  (silu is also called swish)", product=True,
           torch="SiLU"),
    _plain("gelu", gelu, gelu_chain, "({0}*0.5*(1 + erf({0}/2**0.5)))", _GELU_PRIME,
           "gelu′(x) = Φ(x) + x φ(x)  (Φ, φ: the standard normal CDF and density; exact erf form)",
           torch="GELU"),
    ActivationDef(
        "softmax", None, None, None, None,
        "softmax: δ_j = ŷ_j (∂L/∂ŷ_j − Σ_c ∂L/∂ŷ_c ŷ_c)", output_only=True,
        torch_name="Softmax",
    ),
    # After softmax, so that the codes of the entries above stay what they were. PyTorch
    # has no module for it (its PoissonNLLLoss(log_input=True) takes z, the log rate).
    ActivationDef(
        "exp", exp, exp_chain,
        Formula("exp", r"\exp", "<mi>exp</mi>", "exp({0})"),
        _primed("exp", "exp({0})", latex=r"\exp"),
        "exp′(x) = eˣ, the output itself", output_only=True,  # a rate or count: output only
    ),
)  # fmt: skip

#: Name -> definition; the code of an activation in the compiled loops is its index here.
BY_NAME: dict[str, ActivationDef] = {d.name: d for d in ACTIVATIONS}
CODES: dict[str, int] = {d.name: i for i, d in enumerate(ACTIVATIONS)}
SOFTMAX_CODE = CODES["softmax"]
ALIASES = {
    "linear": "identity",
    "logistic": "sigmoid",
    "leakyrelu": "leaky_relu",
    "none": "identity",
}

#: The losses the compiled loops compute, and their codes there (losses.py defines every
#: loss; one without a code, such as 'poisson', trains on the NumPy path).
LOSS_CODES: dict[str, int] = {"mse": 0, "bce": 1, "cross_entropy": 2}


def bce_term(z: Array, y: Array) -> Array:
    """One element of binary cross-entropy from the logit: log(1 + e^z) - y z."""
    return np.maximum(z, 0) + np.log1p(np.exp(-np.abs(z))) - y * z


#: Functions of this module that compiled code calls (the compiled module registers each).
COMPILABLE: tuple[Callable[..., Any], ...] = tuple(
    fn for d in ACTIVATIONS for fn in (d.f, d.chain) if fn is not None
) + (bce_term,)
