"""Build the steps of one training step from the engine's Trace and Gradients.

Nothing here differentiates anything: every ``value`` is read from the engine -- the forward
pass's ``trace.z`` / ``trace.a``, the backward pass's ``loss``, ``activation_grads`` (∂L/∂a),
``deltas`` (δ = ∂L/∂z, one row per sample, already carrying the 1/n of the mean loss),
``weights``/``biases`` gradients, and the updated parameters of ``net.copy()`` after
``apply_gradients``. The only arithmetic is the bookkeeping the engine's matrix product
``a.T @ δ`` hides: one sample's term a[k, i] · δ[k, j] of a batch gradient.

The formulas are expression trees (see :mod:`.expr`) whose leaves carry those values, so
the symbolic formula and the substituted one are the same tree printed two ways.

Order (the slides'): forward pass; loss; the output layer (∂L/∂ŷ, then its gradients);
then each earlier layer (∂L/∂a of its units, δ = ∂L/∂a · f′(z), its gradients); then every
update w(new) = w − η ∂L/∂w, weights layer by layer (row by row), then biases.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np

from ..engine import MLP, Gradients, Trace
from ..engine import functions as F
from .expr import (
    ATOM,
    PRODUCT,
    Call,
    Const,
    Expr,
    Frac,
    Neg,
    Q,
    Square,
    Sub,
    Symbol,
    add,
    mul,
)
from .names import ParamRef, is_slides_shape, param_name, slides_param_label
from .symbols import ETA, LOSS, Namer, new_value, partial

STEP_KINDS = (
    "forward",
    "loss",
    "output_grad",
    "gradient",
    "delta",
    "activation_grad",
    "update",
)


@dataclass
class Step:
    """One line of a derivation: ``symbol = formula = substituted = value``."""

    id: str
    kind: str
    symbol: Symbol
    expr: Expr
    value: float
    param: str | None = None
    layer: int | None = None
    neuron: int | None = None
    sample: int | None = None
    slides_label: str | None = None
    chain: Expr | None = None
    note: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "kind": self.kind,
            "symbol": self.symbol.text,
            "latex": self.symbol.latex,
            "formula": self.expr.render("text"),
            "formula_latex": self.expr.render("latex"),
            "chain": self.chain.render("text") if self.chain is not None else None,
            "substituted": self.expr.render("py"),
            "substituted_text": self.expr.render("num"),
            "substituted_latex": self.expr.render("num_latex"),
            "value": float(self.value),
            "param": self.param,
            "layer": self.layer,
            "neuron": self.neuron,
            "sample": self.sample,
            "slides_label": self.slides_label,
            "note": self.note,
        }


@dataclass
class Section:
    id: str
    title: str
    steps: list[Step] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "title": self.title,
            "notes": list(self.notes),
            "steps": [s.to_dict() for s in self.steps],
        }


# ------------------------------------------------------------------ activations as formulas
# Every formula comes from the engine's one table (engine/functions.py): its name in each
# notation and a Python form that evaluates to the engine's value.
def _call(formula: F.Formula, param: float, z: Expr) -> Expr:
    py = formula.py.replace("{p}", repr(param))
    return Call(formula.text, formula.latex, formula.mathml, py, (z,),
                py_prec=PRODUCT if formula.product else ATOM)  # fmt: skip


def _activation_call(name: str, slope: float, z: Expr) -> Expr:
    """f(z) for an element-wise activation (softmax is built by the caller)."""
    formula = F.BY_NAME[name].formula
    return z if formula is None else _call(formula, slope, z)  # identity: z itself


def _derivative_call(name: str, slope: float, z: Expr) -> Expr:
    """f′(z), printed as the rule the engine uses (σ′ = σ(1 − σ), tanh′ = 1 − tanh²...)."""
    formula = F.BY_NAME[name].derivative
    return Const(1) if formula is None else _call(formula, slope, z)  # 1: dropped from products


_DERIVATIVE_NOTES = {d.name: d.rule for d in F.ACTIVATIONS if d.name != "softmax"}


def _exp(z: Expr) -> Expr:
    return Call("exp", r"\exp", "<mi>exp</mi>", "exp({0})", (z,))


def _log(x: Expr) -> Expr:
    return Call("log", r"\log", "<mi>log</mi>", "log({0})", (x,))


# ------------------------------------------------------------------ the builder
class Derivation:
    """All the steps of one gradient-descent step of ``net`` on (X, Y) with rate ``lr``."""

    def __init__(self, net: MLP, X: Any, Y: Any, lr: float) -> None:
        self.net = net
        self.trace: Trace = net.forward(X)
        self.grads: Gradients = net.backward(self.trace, Y)
        self.updated = net.copy()
        self.updated.apply_gradients(self.grads, lr)
        self.lr = float(lr)
        self.X = self.trace.a[0]
        self.Y = net.check_Y(Y, self.X.shape[0])
        self.n = self.X.shape[0]
        self.L = net.n_layers
        self.sizes = net.layer_sizes
        self.acts = net.activation_functions
        self.names = Namer(self.sizes, self.n)
        self.fused = net.loss_function.fused_activation is not None
        self.slides = is_slides_shape(self.sizes)
        self.samples = range(1, self.n + 1)
        self.sections = self._build()

    # ---------------------------------------------------------- small helpers
    def _k(self, k: int) -> int | None:
        return k if self.n > 1 else None

    def _sid(self, base: str, k: int | None) -> str:
        return f"{base}[{k}]" if (k is not None and self.n > 1) else base

    def _slope(self, layer: int) -> float:
        return float(self.acts[layer - 1].param)

    def a_q(self, layer: int, j: int, k: int) -> Q:
        return Q(self.names.act(layer, j, k), self.trace.a[layer][k - 1, j - 1])

    def z_q(self, layer: int, j: int, k: int) -> Q:
        return Q(self.names.z(layer, j, k), self.trace.z[layer - 1][k - 1, j - 1])

    def w_q(self, layer: int, i: int, j: int) -> Q:
        return Q(self.names.weight(layer, i, j), self.net.weights[layer - 1][i - 1, j - 1])

    def b_q(self, layer: int, j: int) -> Q:
        return Q(self.names.bias(layer, j), self.net.biases[layer - 1][j - 1])

    def y_q(self, j: int, k: int) -> Q:
        return Q(self.names.target(j, k), self.Y[k - 1, j - 1])

    def fprime(self, layer: int, j: int, k: int) -> Expr:
        return _derivative_call(
            self.acts[layer - 1].name, self._slope(layer), self.z_q(layer, j, k)
        )

    def output_is_plain(self) -> bool:
        """True when δ of the output layer is ∂L/∂ŷ itself (identity output, mse)."""
        return not self.fused and self.acts[-1].name == "identity"

    def delta_symbol(self, layer: int, j: int, k: int) -> Symbol:
        if layer == self.L and self.output_is_plain():
            return partial(LOSS, self.names.act(layer, j, k))
        return self.names.delta(layer, j, k)

    def delta_q(self, layer: int, j: int, k: int) -> Q:
        return Q(self.delta_symbol(layer, j, k), self.grads.deltas[layer - 1][k - 1, j - 1])

    def dact_q(self, layer: int, j: int, k: int) -> Q:
        """∂L/∂a of a unit (the engine's activation_grads)."""
        grad = self.grads.activation_grads[layer - 1]
        assert grad is not None
        return Q(partial(LOSS, self.names.act(layer, j, k)), grad[k - 1, j - 1])

    def scale(self, count: int, numerator: int = 1) -> Expr | None:
        """The constant of the mean, numerator/n (or /(n·m) over m outputs); None when 1."""
        if count == 1 and numerator == 1:
            return None
        if count == 1:
            return Const(numerator)
        if count == self.n:
            name = Symbol("n", "n", "<mi>n</mi>")
        else:
            name = Symbol("(n·m)", r"(n \cdot m)", "<mrow><mi>n</mi><mo>·</mo><mi>m</mi></mrow>")
        return Frac(Const(numerator), Q(name, float(count)))

    def output_grad_expr(self, j: int, k: int) -> Expr:
        """∂L/∂ŷ (mse) or the fused ∂L/∂z = (ŷ − y)/n (bce, cross_entropy), as a formula."""
        diff = Sub(self.a_q(self.L, j, k), self.y_q(j, k))
        loss = self.net.loss_name
        if loss == "mse":
            c = self.scale(self.n * self.sizes[-1], 2)
        elif loss == "bce":
            c = self.scale(self.n * self.sizes[-1])
        else:
            c = self.scale(self.n)
        return diff if c is None else mul(c, diff)

    def expanded_delta(self, layer: int, j: int, k: int) -> Expr:
        """δ of a unit written out along the chain rule while the path onward is single.

        For the slides' network this gives ∂L/∂w1_11 = 2(ŷ − y) · w2_11 · σ′(z1_1) · i1.
        Where the path fans out (a later layer with several units), the unit's ∂L/∂a is
        named instead; its own step shows the sum.
        """
        if layer == self.L:
            if self.fused or self.output_is_plain():
                return self.output_grad_expr(j, k)
            if self.acts[-1].name == "softmax":
                return self.delta_q(layer, j, k)
            return mul(self.output_grad_expr(j, k), self.fprime(layer, j, k))
        if self.sizes[layer + 1] == 1:
            onward = self.expanded_delta(layer + 1, 1, k)
            return mul(onward, self.w_q(layer + 1, j, 1), self.fprime(layer, j, k))
        return mul(self.dact_q(layer, j, k), self.fprime(layer, j, k))

    def unit_output(self, layer: int, j: int, k: int | None) -> Symbol:
        """What a parameter of unit j feeds first: a (or z when the loss is fused)."""
        if layer == self.L and self.fused:
            return self.names.z(layer, j, k)
        return self.names.act(layer, j, k)

    def slides_label(self, ref: ParamRef | None = None, *, update: bool = False, quantity=None):
        if not self.slides:
            return None
        if ref is not None:
            return slides_param_label(ref, update_slide=update)
        return quantity

    # ---------------------------------------------------------- sections
    def _build(self) -> list[Section]:
        sections = [self._forward(), self._loss()]
        for layer in range(self.L, 0, -1):
            sections.append(self._layer(layer))
        sections.append(self._updates())
        return sections

    def _forward(self) -> Section:
        sec = Section("forward", "Forward pass")
        for k in self.samples:
            for layer in range(1, self.L + 1):
                act = self.acts[layer - 1]
                for j in range(1, self.sizes[layer] + 1):
                    weighted = add(
                        [
                            mul(self.w_q(layer, i, j), self.a_q(layer - 1, i, k))
                            for i in range(1, self.sizes[layer - 1] + 1)
                        ]
                        + [self.b_q(layer, j)]
                    )
                    out_sym = self.names.act(layer, j, k)
                    label = self._forward_label(layer, j)
                    if act.name == "identity":
                        sec.steps.append(
                            Step(
                                self._sid(f"forward:a{layer}_{j}", k),
                                "forward",
                                out_sym,
                                weighted,
                                self.trace.a[layer][k - 1, j - 1],
                                layer=layer,
                                neuron=j,
                                sample=self._k(k),
                                slides_label=label,
                                note="a linear unit: its output is its weighted sum",
                            )
                        )
                        continue
                    sec.steps.append(
                        Step(
                            self._sid(f"forward:z{layer}_{j}", k),
                            "forward",
                            self.names.z(layer, j, k),
                            weighted,
                            self.trace.z[layer - 1][k - 1, j - 1],
                            layer=layer,
                            neuron=j,
                            sample=self._k(k),
                        )
                    )
                    if act.name == "softmax":
                        expr: Expr = Frac(
                            _exp(self.z_q(layer, j, k)),
                            add(
                                [
                                    _exp(self.z_q(layer, c, k))
                                    for c in range(1, self.sizes[layer] + 1)
                                ]
                            ),
                        )
                    else:
                        expr = _activation_call(act.name, self._slope(layer), self.z_q(layer, j, k))
                    sec.steps.append(
                        Step(
                            self._sid(f"forward:a{layer}_{j}", k),
                            "forward",
                            out_sym,
                            expr,
                            self.trace.a[layer][k - 1, j - 1],
                            layer=layer,
                            neuron=j,
                            sample=self._k(k),
                            slides_label=label,
                        )
                    )
        return sec

    def _forward_label(self, layer: int, j: int) -> str | None:
        return self.slides_label(quantity="ŷ" if layer == self.L else f"O_{j}")

    def _loss(self) -> Section:
        loss = self.net.loss_name
        m = self.sizes[-1]
        terms: list[Expr] = []
        for k in self.samples:
            for j in range(1, m + 1):
                yhat, y = self.a_q(self.L, j, k), self.y_q(j, k)
                if loss == "mse":
                    terms.append(Square(Sub(yhat, y)))
                elif loss == "bce":
                    terms.append(
                        Neg(
                            add(
                                [
                                    mul(y, _log(yhat)),
                                    mul(Sub(Const(1), y), _log(Sub(Const(1), yhat))),
                                ]
                            )
                        )
                    )
                elif float(y.value) != 0.0:  # cross-entropy: only the true classes count
                    terms.append(_log(yhat) if float(y.value) == 1.0 else mul(y, _log(yhat)))
        if loss == "cross_entropy":
            c = self.scale(self.n)
            inner = add(terms)
            expr: Expr = Neg(inner if c is None else mul(c, inner))
            note = "cross-entropy: −(1/n) Σ y log ŷ over the samples and classes"
        else:
            c = self.scale(self.n * m)
            expr = add(terms) if c is None else mul(c, add(terms))
            note = (
                "the slides' L = (1/n) Σ (ŷ − y)², the mean over all outputs, no ½"
                if loss == "mse"
                else "binary cross-entropy, the mean over all outputs"
            )
        step = Step(
            "loss",
            "loss",
            LOSS,
            expr,
            self.grads.loss,
            slides_label=self.slides_label(quantity="L"),
            note=note,
        )
        return Section("loss", "Loss", [step])

    def _layer(self, layer: int) -> Section:
        act = self.acts[layer - 1]
        if layer == self.L:
            sec = Section(f"layer{layer}", f"Layer {layer} (output): gradients")
            self._output_grads(sec)
        else:
            sec = Section(f"layer{layer}", f"Layer {layer} (hidden): ∂L/∂a, δ and gradients")
            sec.notes.append("∂L/∂a of a unit = Σ over the next layer of δ · w (every path onward)")
            sec.notes.append(_DERIVATIVE_NOTES.get(act.name, ""))
            for k in self.samples:
                for j in range(1, self.sizes[layer] + 1):
                    sec.steps.append(self._activation_grad_step(layer, j, k))
        for j in range(1, self.sizes[layer] + 1):
            if layer < self.L:
                for k in self.samples:
                    sec.steps.append(self._delta_step(layer, j, k))
            for i in range(1, self.sizes[layer - 1] + 1):
                sec.steps.extend(self._gradient_steps(ParamRef("w", layer, i, j)))
            sec.steps.extend(self._gradient_steps(ParamRef("b", layer, None, j)))
        return sec

    def _output_grads(self, sec: Section) -> None:
        loss = self.net.loss_name
        out_name = self.acts[-1].name
        if self.fused:
            sec.notes.append(
                f"{'softmax' if loss == 'cross_entropy' else 'sigmoid'} and {loss} differentiated "
                "together: ∂L/∂z = ŷ − y (divided by n for the mean), exact and stable"
            )
        elif loss == "mse":
            sec.notes.append(
                "the slides' ∂L/∂ŷ = 2(ŷ − y); the mean over n samples and m outputs "
                "makes it (2/(n·m))(ŷ − y)"
            )
        for k in self.samples:
            for j in range(1, self.sizes[-1] + 1):
                if self.fused:
                    sec.steps.append(
                        Step(
                            self._sid(f"output_grad:d{self.L}_{j}", k),
                            "output_grad",
                            self.names.delta(self.L, j, k),
                            self.output_grad_expr(j, k),
                            self.grads.deltas[-1][k - 1, j - 1],
                            layer=self.L,
                            neuron=j,
                            sample=self._k(k),
                            note=f"δ = ∂L/∂z{self.L}_{j}: the combined gradient ŷ − y",
                        )
                    )
                    continue
                grad_out = self.grads.activation_grads[-1]
                assert grad_out is not None
                sec.steps.append(
                    Step(
                        self._sid(f"output_grad:a{self.L}_{j}", k),
                        "output_grad",
                        partial(LOSS, self.names.act(self.L, j, k)),
                        self.output_grad_expr(j, k),
                        grad_out[k - 1, j - 1],
                        layer=self.L,
                        neuron=j,
                        sample=self._k(k),
                        slides_label=self.slides_label(quantity="dL/dŷ"),
                    )
                )
        if self.fused or out_name == "identity":
            return
        sec.notes.append(
            _DERIVATIVE_NOTES.get(out_name, "softmax: δ_j = ŷ_j (∂L/∂ŷ_j − Σ_c ∂L/∂ŷ_c ŷ_c)")
        )
        for k in self.samples:
            for j in range(1, self.sizes[-1] + 1):
                if out_name == "softmax":
                    inner = add(
                        [
                            mul(self.dact_q(self.L, c, k), self.a_q(self.L, c, k))
                            for c in range(1, self.sizes[-1] + 1)
                        ]
                    )
                    expr: Expr = mul(self.a_q(self.L, j, k), Sub(self.dact_q(self.L, j, k), inner))
                else:
                    expr = mul(self.dact_q(self.L, j, k), self.fprime(self.L, j, k))
                sec.steps.append(
                    Step(
                        self._sid(f"delta:{self.L}_{j}", k),
                        "delta",
                        self.names.delta(self.L, j, k),
                        expr,
                        self.grads.deltas[-1][k - 1, j - 1],
                        layer=self.L,
                        neuron=j,
                        sample=self._k(k),
                        note=f"δ = ∂L/∂z{self.L}_{j}",
                    )
                )

    def _activation_grad_step(self, layer: int, j: int, k: int) -> Step:
        nxt = layer + 1
        expr = add(
            [
                mul(self.delta_q(nxt, c, k), self.w_q(nxt, j, c))
                for c in range(1, self.sizes[nxt] + 1)
            ]
        )
        chain = None
        if self.sizes[nxt] == 1:
            out = self.unit_output(nxt, 1, self._k(k))
            chain = mul(
                Q(partial(LOSS, out), 0.0),
                Q(partial(out, self.names.act(layer, j, self._k(k))), 0.0),
            )
        label = self.slides_label(quantity=f"dL/dO_{j}")
        return Step(
            self._sid(f"activation_grad:a{layer}_{j}", k),
            "activation_grad",
            partial(LOSS, self.names.act(layer, j, k)),
            expr,
            self.dact_q(layer, j, k).value,
            layer=layer,
            neuron=j,
            sample=self._k(k),
            slides_label=label,
            chain=chain,
        )

    def _delta_step(self, layer: int, j: int, k: int) -> Step:
        expr = mul(self.dact_q(layer, j, k), self.fprime(layer, j, k))
        return Step(
            self._sid(f"delta:{layer}_{j}", k),
            "delta",
            self.names.delta(layer, j, k),
            expr,
            self.grads.deltas[layer - 1][k - 1, j - 1],
            layer=layer,
            neuron=j,
            sample=self._k(k),
            note=f"δ = ∂L/∂z{layer}_{j} = ∂L/∂a · f′(z)",
        )

    def _gradient_steps(self, ref: ParamRef) -> list[Step]:
        """∂L/∂w (or ∂L/∂b): one step, or for a batch each sample's term and their sum."""
        name = param_name(ref.kind, ref.layer, ref.i, ref.j)
        psym = self.names.param(ref.kind, ref.layer, ref.i, ref.j)
        label = self.slides_label(ref)

        def chain(k: int | None) -> Expr:
            out = self.unit_output(ref.layer, ref.j, k)
            return mul(Q(partial(LOSS, out), 0.0), Q(partial(out, psym), 0.0))

        deltas = self.grads.deltas[ref.layer - 1]

        def term(k: int) -> Expr:
            d = self.expanded_delta(ref.layer, ref.j, k)
            return d if ref.i is None else mul(d, self.a_q(ref.layer - 1, ref.i, k))

        def term_value(k: int) -> float:
            # One sample's share of the engine's a.T @ δ (δ rows carry the 1/n already).
            d = deltas[k - 1, ref.j - 1]
            return float(d if ref.i is None else self.trace.a[ref.layer - 1][k - 1, ref.i - 1] * d)

        grad_arr = self.grads.weights if ref.kind == "w" else self.grads.biases
        index = (ref.i - 1, ref.j - 1) if ref.i is not None else (ref.j - 1,)
        total = grad_arr[ref.layer - 1][index]
        common = dict(param=name, layer=ref.layer, neuron=ref.j, slides_label=label)
        if self.n == 1:
            return [
                Step(
                    f"gradient:{name}",
                    "gradient",
                    partial(LOSS, psym),
                    term(1),
                    total,
                    chain=chain(None),
                    **common,
                )
            ]
        steps = [
            Step(
                f"gradient:{name}[{k}]",
                "gradient",
                partial(LOSS, psym, sample=k),
                term(k),
                term_value(k),
                sample=k,
                chain=chain(k),
                note=f"sample {k}'s term (it carries the 1/n)",
                **common,
            )
            for k in self.samples
        ]
        summed = add([Q(partial(LOSS, psym, sample=k), term_value(k)) for k in self.samples])
        steps.append(
            Step(
                f"gradient:{name}",
                "gradient",
                partial(LOSS, psym),
                summed,
                total,
                note=f"the mean over the {self.n} samples: each term carries the 1/n",
                **common,
            )
        )
        return steps

    def _updates(self) -> Section:
        sec = Section("update", "Update: w(new) = w − η ∂L/∂w")
        sec.notes.append(
            f"η = {self.lr:g}; every parameter uses the gradients of the same forward pass"
        )
        refs = [
            ParamRef("w", layer, i, j)
            for layer in range(1, self.L + 1)
            for i in range(1, self.sizes[layer - 1] + 1)
            for j in range(1, self.sizes[layer] + 1)
        ] + [
            ParamRef("b", layer, None, j)
            for layer in range(1, self.L + 1)
            for j in range(1, self.sizes[layer] + 1)
        ]
        for ref in refs:
            name = param_name(ref.kind, ref.layer, ref.i, ref.j)
            psym = self.names.param(ref.kind, ref.layer, ref.i, ref.j)
            if ref.kind == "w":
                index: tuple[int, ...] = (ref.i - 1, ref.j - 1)  # type: ignore[operator]
                old, grad = (
                    self.net.weights[ref.layer - 1][index],
                    self.grads.weights[ref.layer - 1][index],
                )
                new = self.updated.weights[ref.layer - 1][index]
            else:
                index = (ref.j - 1,)
                old, grad = (
                    self.net.biases[ref.layer - 1][index],
                    self.grads.biases[ref.layer - 1][index],
                )
                new = self.updated.biases[ref.layer - 1][index]
            expr = Sub(Q(psym, old), mul(Q(ETA, self.lr), Q(partial(LOSS, psym), grad)))
            sec.steps.append(
                Step(
                    f"update:{name}",
                    "update",
                    new_value(psym),
                    expr,
                    new,
                    param=name,
                    layer=ref.layer,
                    neuron=ref.j,
                    slides_label=self.slides_label(ref, update=True),
                )
            )
        return sec


def all_steps(sections: list[Section]) -> list[Step]:
    return [s for sec in sections for s in sec.steps]


def as_list(arr: np.ndarray) -> list:
    return np.asarray(arr, dtype=float).tolist()
