"""The formulas the explanation prints, each taken from the engine's own definition.

* activations and their derivatives: the engine's one table (``engine/functions.py``), which
  gives each its name in every notation and a Python form that evaluates to the engine's
  value, and the derivative rule in words;
* the constant of the mean (the 2/(n·m) of mse, the 1/n of the fused cross-entropies): the
  loss's ``scale_numerator`` and ``mean_count`` (``engine/losses.py``), the same data the
  engine's ``Loss.scale`` is;
* what is left to write here is how each loss *looks* -- one term (ŷ − y)², −[y log ŷ + ...]
  -- and softmax, which mixes a row's units and so is not one element-wise formula.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from ..engine import LOSS_NAMES, Loss
from ..engine import functions as F
from .expr import ATOM, PRODUCT, Call, Const, Expr, Frac, Neg, Q, Square, Sub, Symbol, add, mul


# ------------------------------------------------------------------ activations
def _call(formula: F.Formula, param: float, z: Expr) -> Expr:
    py = formula.py.replace("{p}", repr(param))
    return Call(formula.text, formula.latex, formula.mathml, py, (z,),
                py_prec=PRODUCT if formula.product else ATOM)  # fmt: skip


def activation(name: str, param: float, z: Expr) -> Expr:
    """f(z) for an element-wise activation (softmax: :func:`softmax`)."""
    formula = F.BY_NAME[name].formula
    return z if formula is None else _call(formula, param, z)  # identity: z itself


def derivative(name: str, param: float, z: Expr) -> Expr:
    """f′(z), printed as the rule the engine uses (σ′ = σ(1 − σ), tanh′ = 1 − tanh²...)."""
    formula = F.BY_NAME[name].derivative
    return Const(1) if formula is None else _call(formula, param, z)  # 1: dropped from products


def derivative_rule(name: str) -> str:
    """The derivative in words, as a section's note."""
    return F.BY_NAME[name].rule


def exp(z: Expr) -> Expr:
    return Call("exp", r"\exp", "<mi>exp</mi>", "exp({0})", (z,))


def log(x: Expr) -> Expr:
    return Call("log", r"\log", "<mi>log</mi>", "log({0})", (x,))


def softmax(z_j: Expr, row: list[Expr]) -> Expr:
    """exp(z_j) / Σ_c exp(z_c)."""
    return Frac(exp(z_j), add([exp(z) for z in row]))


def softmax_chain(a_j: Expr, grad_j: Expr, row: list[tuple[Expr, Expr]]) -> Expr:
    """δ_j = ŷ_j (∂L/∂ŷ_j − Σ_c ∂L/∂ŷ_c ŷ_c), ``row`` the pairs (∂L/∂ŷ_c, ŷ_c)."""
    return mul(a_j, Sub(grad_j, add([mul(g, a) for g, a in row])))


# ------------------------------------------------------------------ the constant of the mean
_N = Symbol("n", "n", "<mi>n</mi>")
_NM = Symbol("(n·m)", r"(n \cdot m)", "<mrow><mi>n</mi><mo>·</mo><mi>m</mi></mrow>")


def _mean_factor(numerator: int, count: int, n_samples: int) -> Expr | None:
    """numerator/n or numerator/(n·m); None when it is 1."""
    if count == 1:
        return None if numerator == 1 else Const(numerator)
    return Frac(Const(numerator), Q(_N if count == n_samples else _NM, float(count)))


def loss_mean(loss: Loss, n_samples: int, n_outputs: int) -> Expr | None:
    """The 1/n (or 1/(n·m)) in front of the loss's sum of terms."""
    return _mean_factor(1, loss.mean_count(n_samples, n_outputs), n_samples)


def gradient_scale(loss: Loss, n_samples: int, n_outputs: int) -> Expr | None:
    """The constant of ∂L/∂ŷ (mse) or of the fused ∂L/∂z: the engine's ``Loss.scale``."""
    count = loss.mean_count(n_samples, n_outputs)
    return _mean_factor(loss.scale_numerator, count, n_samples)


# ------------------------------------------------------------------ how each loss looks
@dataclass(frozen=True)
class LossFormula:
    #: One output's term from (ŷ, y); None when it drops out (a zero cross-entropy target).
    term: Callable[[Q, Q], Expr | None]
    note: str
    #: The note on ∂L/∂ŷ where the loss is not fused with its activation.
    gradient_note: str | None = None
    #: −(1/n) Σ ...: the minus stands outside the mean.
    negated: bool = False


def _cross_entropy_term(yhat: Q, y: Q) -> Expr | None:
    if float(y.value) == 0.0:  # only the true classes count
        return None
    return log(yhat) if float(y.value) == 1.0 else mul(y, log(yhat))


def _poisson_term(yhat: Q, y: Q) -> Expr:
    # Half the deviance, y log(y / ŷ) − y + ŷ; for y = 0 only ŷ is left (0 log 0 = 0).
    if float(y.value) == 0.0:
        return yhat
    return add([mul(y, log(Frac(y, yhat))), Sub(yhat, y)])


LOSS_FORMULAS: dict[str, LossFormula] = {
    "mse": LossFormula(
        lambda yhat, y: Square(Sub(yhat, y)),
        "the slides' L = (1/n) Σ (ŷ − y)², the mean over all outputs, no ½",
        "the slides' ∂L/∂ŷ = 2(ŷ − y); the mean over n samples and m outputs "
        "makes it (2/(n·m))(ŷ − y)",
    ),
    "bce": LossFormula(
        lambda yhat, y: Neg(
            add([mul(y, log(yhat)), mul(Sub(Const(1), y), log(Sub(Const(1), yhat)))])
        ),
        "binary cross-entropy, the mean over all outputs",
    ),
    "cross_entropy": LossFormula(
        _cross_entropy_term,
        "cross-entropy: −(1/n) Σ y log ŷ over the samples and classes",
        negated=True,
    ),
    "poisson": LossFormula(
        _poisson_term,
        "half the Poisson deviance, y log(y/ŷ) − y + ŷ with ŷ = exp(z), the mean over all "
        "outputs (scikit-learn's 'poisson')",
    ),
}


def fused_note(loss: Loss) -> str:
    return (
        f"{loss.fused_activation} and {loss.name} differentiated together: "
        "∂L/∂z = ŷ − y (divided by n for the mean), exact and stable"
    )


assert set(LOSS_FORMULAS) == set(LOSS_NAMES), "every engine loss needs its printed form here"
