"""The multilayer perceptron: parameters, forward pass, backward pass, update.

Notation (docs/notation.md): layers are numbered l = 1..L as in the slides, and
``weights[l-1][i, j]`` is w^l_ij, the weight from neuron i of layer l-1 to neuron j
of layer l. So for the slides' network O1 = sigma(w^1_11 i1 + w^1_21 i2 + b^1_1),
and y-hat = w^2_11 O1 + w^2_21 O2 + b^2_1.

The backward pass is the delta recursion. With delta^l = dL/dz^l (one row per sample):

    delta^L        = dL/dy-hat * f'(z^L)       slide: dL/dy-hat = 2(y-hat - y)
    dL/dW^l        = a^{l-1}.T @ delta^l       slide: dL/dw^2 = dL/dy-hat * O
    dL/db^l        = sum_rows delta^l          slide: dL/db_21 = dL/dy-hat * 1
    dL/da^{l-1}    = delta^l @ W^l.T           slide: dL/dO1 = dL/dy-hat * w^2
    delta^{l-1}    = dL/da^{l-1} * f'(z^{l-1}) slide: sigma'(x) = sigma(x)(1 - sigma(x))
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from .activations import Activation, get_activation
from .compiled import runner  # light: numba itself is imported only when it pays
from .errors import DivergenceError, InputError
from .init import initial_weights
from .losses import Loss, get_loss
from .validation import (
    check_inputs,
    check_learning_rate,
    check_sample_weight,
    check_targets,
    is_plain,
)

Array = np.ndarray

#: The slides' network with the documented default parameters (docs/notation.md).
#: Rows of W1 are the inputs i1, i2; columns are the hidden units O1, O2.
SLIDES_WEIGHTS_1 = ((0.15, 0.25), (0.20, 0.30))  # w1_11, w1_12 / w1_21, w1_22
SLIDES_BIASES_1 = (0.35, 0.35)  # b1_1 (slides: b11), b1_2 (slides: b12)
SLIDES_WEIGHTS_2 = ((0.40,), (0.45,))  # w2_11 (O1 -> y-hat), w2_21 (O2 -> y-hat)
SLIDES_BIASES_2 = (0.60,)  # b2_1 (slides: b21)
#: The default training example used with the slides' network: inputs (i1, i2), target y.
SLIDES_INPUT = (0.05, 0.10)
SLIDES_TARGET = (0.01,)
#: The seed with which ``MLP.slides_network(seed=XOR_SEED)`` learns XOR (see tests).
XOR_SEED = 0


@dataclass
class Trace:
    """Everything the forward pass computed, kept for the backward pass.

    ``a[0]`` is the input X; for layer l = 1..L, ``z[l-1]`` is its pre-activation
    (the weighted sum) and ``a[l]`` = f(z[l-1]) its activation. ``a[-1]`` is y-hat.
    """

    z: list[Array]
    a: list[Array]

    @property
    def inputs(self) -> Array:
        return self.a[0]

    @property
    def output(self) -> Array:
        return self.a[-1]

    @property
    def pre_activations(self) -> list[Array]:
        return self.z

    @property
    def activations(self) -> list[Array]:
        return self.a


@dataclass
class Gradients:
    """Gradients of the *mean* loss over a batch, shaped like the parameters.

    Also keeps the intermediate quantities of the backward pass, which the explanation
    and the lab display: ``deltas[l-1]`` = dL/dz^l (n, units), ``activation_grads[l-1]``
    = dL/da^l (n, units; for the last layer this is dL/dy-hat, or None when the loss is
    fused with its activation). Each row is one sample's term, already carrying the 1/n.
    """

    weights: list[Array]
    biases: list[Array]
    loss: float
    deltas: list[Array] = field(default_factory=list)
    activation_grads: list[Array | None] = field(default_factory=list)

    def __iter__(self) -> Iterator[Array]:
        """The gradient arrays in parameter order: W1, b1, W2, b2, ..."""
        for w, b in zip(self.weights, self.biases, strict=True):
            yield w
            yield b


class ParameterList(list):
    """A list of parameter arrays that checks what a user assigns into it.

    ``net.weights[0] = new`` is validated (shape, finiteness) and stored in the
    network's dtype, so a wrong shape fails at once with a clear message instead of
    deep inside the next matrix product.
    """

    def __init__(self, arrays: Iterable[Array], kind: str, dtype: np.dtype) -> None:
        super().__init__(arrays)
        self._kind = kind
        self._dtype = dtype

    def __reduce__(self):  # type: ignore[override]
        # Pickle (joblib, GridSearchCV) rebuilds a list subclass through append/extend,
        # which this class refuses; rebuild it through __init__ instead. (An MLP re-makes
        # its lists as views of its parameter vector when unpickled: MLP.__setstate__.)
        return (type(self), (list(self), self._kind, self._dtype))

    def _checked(self, index: int, value: Any) -> Array:
        expected = self[index].shape
        name = f"{self._kind}[{index}]"
        try:
            arr = np.array(value, dtype=self._dtype)
        except (TypeError, ValueError):
            raise InputError(f"{name} must be a numeric array of shape {expected}") from None
        if arr.shape != expected:
            raise InputError(f"{name} must have shape {expected}, got {arr.shape}")
        if not np.isfinite(arr).all():
            raise InputError(f"{name} contains NaN or inf")
        return arr

    def __setitem__(self, index, value):  # type: ignore[override]
        if isinstance(index, slice):
            raise InputError(f"assign {self._kind} one array at a time")
        # Written into the array in place: it is a view of the network's parameter vector.
        np.copyto(self[index], self._checked(index, value))

    def append(self, value):  # type: ignore[override]
        raise InputError(f"the number of {self._kind} arrays is fixed by layer_sizes")

    def extend(self, values):  # type: ignore[override]
        raise InputError(f"the number of {self._kind} arrays is fixed by layer_sizes")

    def insert(self, index, value):  # type: ignore[override]
        raise InputError(f"the number of {self._kind} arrays is fixed by layer_sizes")


class MLP:
    """A fully connected feed-forward network trained by backpropagation.

    Parameters
    ----------
    layer_sizes:
        Units per layer, input first: ``[2, 2, 1]`` is the slides' network.
    activations:
        One activation name per non-input layer (``len(layer_sizes) - 1`` names), from
        'sigmoid', 'tanh', 'relu', 'leaky_relu', 'identity' and 'softmax' (output only).
    hidden, output:
        Short form instead of ``activations``: one name for every hidden layer and one
        for the output layer. Defaults: hidden 'sigmoid' (the slides), output chosen by
        the loss ('identity' for mse, 'sigmoid' for bce, 'softmax' for cross_entropy).
    loss:
        'mse' (the slides' L = mean of (y-hat - y)^2 over all elements, no 1/2),
        'bce' (needs a sigmoid output) or 'cross_entropy' (needs a softmax output).
    seed:
        Seed of the NumPy Generator that draws the initial weights.
    dtype:
        np.float64 (default) or np.float32, kept through forward, backward and update.
    init:
        'auto' (He for relu/leaky_relu layers, Glorot otherwise), 'glorot', 'he', 'zeros'.
    """

    def __init__(
        self,
        layer_sizes: Sequence[int],
        activations: Sequence[str] | None = None,
        *,
        hidden: str | None = None,
        output: str | None = None,
        loss: str = "mse",
        seed: int | None = 0,
        dtype: Any = np.float64,
        init: str = "auto",
    ) -> None:
        self.layer_sizes = _check_layer_sizes(layer_sizes)
        self._loss: Loss = get_loss(loss)
        self.dtype = _check_dtype(dtype)
        n_layers = len(self.layer_sizes) - 1
        names = _resolve_activations(activations, hidden, output, n_layers, self._loss)
        self._activations: list[Activation] = [
            get_activation(n, argument=f"activations[{i}]") for i, n in enumerate(names)
        ]
        _check_activation_placement(self._activations, self._loss, self.layer_sizes[-1])
        self.seed = seed
        self.init = init
        rng = np.random.default_rng(seed)
        self._flat = np.zeros(_n_parameters(self.layer_sizes), dtype=self.dtype)
        self._make_views()
        for W, n_in, n_out, act in zip(
            self._weights, self.layer_sizes[:-1], self.layer_sizes[1:], self._activations,
            strict=True,
        ):  # fmt: skip
            W[...] = initial_weights(init, rng, n_in, n_out, act.name)

    def _make_views(self) -> None:
        """weights[l] and biases[l] as views of one parameter vector W1, b1, W2, b2, ...

        One buffer lets the compiled loop and the optimisers treat every parameter as one
        array, while ``weights[l][i, j]`` stays the slides' w^{l+1}_ij."""
        weights, biases, pos = [], [], 0
        for n_in, n_out in zip(self.layer_sizes[:-1], self.layer_sizes[1:], strict=True):
            weights.append(self._flat[pos : pos + n_in * n_out].reshape(n_in, n_out))
            pos += n_in * n_out
            biases.append(self._flat[pos : pos + n_out])
            pos += n_out
        self._weights = ParameterList(weights, "weights", self.dtype)
        self._biases = ParameterList(biases, "biases", self.dtype)
        # Each b^l as a (1, units) row, a view too: adding a row to z is a same-shape add for
        # one sample, about a third of a broadcast's per-call cost (the slides' step loop).
        self._bias_rows = [b.reshape(1, -1) for b in biases]

    # ------------------------------------------------------------------ construction
    @classmethod
    def slides_network(
        cls,
        *,
        seed: int | None = None,
        dtype: Any = np.float64,
        weights: Sequence[Any] | None = None,
        biases: Sequence[Any] | None = None,
    ) -> MLP:
        """The slides' 2-2-1 network: sigmoid hidden units O1, O2, a linear output, MSE.

        With no ``seed`` the parameters are the documented defaults
        (w1_11=0.15, w1_21=0.20, w1_12=0.25, w1_22=0.30, b1_1=b1_2=0.35,
        w2_11=0.40, w2_21=0.45, b2_1=0.60); with a ``seed`` they are drawn at random
        (Glorot), which is how the XOR demo starts. ``weights``/``biases`` override both.
        """
        net = cls(
            [2, 2, 1], hidden="sigmoid", output="identity", loss="mse", seed=seed, dtype=dtype
        )
        if seed is None:
            net.weights[0] = SLIDES_WEIGHTS_1
            net.weights[1] = SLIDES_WEIGHTS_2
            net.biases[0] = SLIDES_BIASES_1
            net.biases[1] = SLIDES_BIASES_2
        if weights is not None:
            net.weights = weights
        if biases is not None:
            net.biases = biases
        return net

    def copy(self) -> MLP:
        """A deep copy: same architecture and parameters, independent arrays."""
        other = object.__new__(MLP)
        other.__setstate__(self.__getstate__())
        return other

    def __getstate__(self) -> dict[str, Any]:
        state = {k: v for k, v in self.__dict__.items() if k not in _DERIVED}
        state["_flat"] = self._flat.copy()
        return state

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.__dict__.update(state)
        self._make_views()

    # ------------------------------------------------------------------ parameters
    @property
    def weights(self) -> ParameterList:
        """``weights[l-1][i, j]`` = w^l_ij, from neuron i of layer l-1 to neuron j of layer l."""
        return self._weights

    @weights.setter
    def weights(self, values: Sequence[Any]) -> None:
        self._weights = self._replace(self._weights, values, "weights")

    @property
    def biases(self) -> ParameterList:
        """``biases[l-1][j]`` = b^l_j, the bias of neuron j of layer l."""
        return self._biases

    @biases.setter
    def biases(self, values: Sequence[Any]) -> None:
        self._biases = self._replace(self._biases, values, "biases")

    def _replace(self, current: ParameterList, values: Sequence[Any], kind: str) -> ParameterList:
        values = list(values)
        if len(values) != len(current):
            raise InputError(f"{kind} needs {len(current)} arrays, got {len(values)}")
        checked = [current._checked(i, v) for i, v in enumerate(values)]  # all, then write
        for target, value in zip(current, checked, strict=True):
            np.copyto(target, value)
        return current

    @property
    def activations(self) -> list[str]:
        """The activation name of each non-input layer."""
        return [a.name for a in self._activations]

    @property
    def activation_functions(self) -> list[Activation]:
        return list(self._activations)

    @property
    def loss_name(self) -> str:
        return self._loss.name

    @property
    def loss_function(self) -> Loss:
        return self._loss

    @property
    def n_layers(self) -> int:
        """Number of weight layers (the slides' network has 2)."""
        return len(self.layer_sizes) - 1

    @property
    def n_inputs(self) -> int:
        return self.layer_sizes[0]

    @property
    def n_outputs(self) -> int:
        return self.layer_sizes[-1]

    @property
    def n_parameters(self) -> int:
        return sum(w.size + b.size for w, b in zip(self._weights, self._biases, strict=True))

    def parameters(self) -> Iterator[Array]:
        """The parameter arrays in order: W1, b1, W2, b2, ... (the live arrays)."""
        for w, b in zip(self._weights, self._biases, strict=True):
            yield w
            yield b

    def __repr__(self) -> str:
        return (
            f"MLP(layer_sizes={self.layer_sizes}, activations={self.activations}, "
            f"loss={self.loss_name!r}, dtype={np.dtype(self.dtype).name})"
        )

    # ------------------------------------------------------------------ input checks
    def check_X(self, X: Any) -> Array:
        """X as an (n, n_inputs) array of the network's dtype, or an InputError."""
        return check_inputs(X, self.n_inputs, self.dtype)

    def check_Y(self, Y: Any, n_samples: int) -> Array:
        """Targets as an (n, n_outputs) array (integer labels one-hot encoded)."""
        return check_targets(Y, n_samples, self.n_outputs, self.loss_name, self.dtype)

    # ------------------------------------------------------------------ forward
    def forward(self, X: Any) -> Trace:
        """Run the forward pass and keep every z and a for the backward pass."""
        return self._forward(self.check_X(X))

    def _forward(self, X: Array) -> Trace:
        zs: list[Array] = []
        acts: list[Array] = [X]
        a = X
        for W, b, act in zip(self._weights, self._bias_rows, self._activations, strict=True):
            # Slides: O1 = sigmoid(w1_11 * i1 + w1_21 * i2 + b11), for every unit at once.
            # (np.dot is a @ W with the same BLAS call and less per-call overhead.)
            z = np.dot(a, W)
            z += b
            a = act.forward(z)
            zs.append(z)
            acts.append(a)
        return Trace(z=zs, a=acts)

    def predict(self, X: Any) -> Array:
        """The network's output y-hat for each row of X, shape (n, n_outputs).

        A dask array is predicted chunk by chunk where it lies (backproplab.distributed)."""
        if _is_dask(X):
            from ..distributed import predict

            return predict(self, X)
        return self.forward(X).output

    def loss(self, X: Any, Y: Any, sample_weight: Any = None) -> float:
        """L over the batch (for mse: the mean of (y-hat - y)^2 over all elements); with
        ``sample_weight``, the weighted mean of the samples' losses."""
        trace = self.forward(X)
        Yc = self.check_Y(Y, trace.output.shape[0])
        weights = check_sample_weight(sample_weight, Yc.shape[0])
        return self._loss_value(trace, Yc, weights)

    def _loss_value(self, trace: Trace, Y: Array, weights: Array | None) -> float:
        if weights is None:
            return self._loss.value(trace.z[-1], trace.output, Y)
        rows = self._loss.row_values(trace.z[-1], trace.output, Y)
        return float(weights @ rows / weights.sum())

    # ------------------------------------------------------------------ backward
    def backward(self, trace: Trace, Y: Any, sample_weight: Any = None) -> Gradients:
        """Backpropagate through a trace from :meth:`forward` (nothing is recomputed)."""
        Yc = self.check_Y(Y, trace.output.shape[0])
        return self._backward(trace, Yc, check_sample_weight(sample_weight, Yc.shape[0]))

    def _backward(self, trace: Trace, Y: Array, weights: Array | None = None) -> Gradients:
        """The delta recursion, each line the slide formula it generalises.

        ``weights`` (one per row) make L the weighted mean of the rows' losses: each row's
        part of dL/dy-hat is scaled by n w_i / sum(w), and nothing else changes."""
        L = self.n_layers
        grad_w: list[Array] = [None] * L  # type: ignore[list-item]
        grad_b: list[Array] = [None] * L  # type: ignore[list-item]
        deltas: list[Array] = [None] * L  # type: ignore[list-item]
        act_grads: list[Array | None] = [None] * L
        y_hat = trace.a[-1]
        if self._loss.fused_activation is not None:
            # Sigmoid + BCE, softmax + CE: dL/dz = (y-hat - y)/n, exact and stable.
            delta = self._loss.fused_delta(y_hat, Y)
            if weights is not None:
                delta *= _row_scale(weights, y_hat.dtype)
        else:
            # Slide: dL/dy-hat = 2(y-hat - y), here (2/n)(y-hat - y) for the batch mean.
            grad_out = self._loss.output_grad(y_hat, Y)
            if weights is not None:
                grad_out *= _row_scale(weights, y_hat.dtype)
            act_grads[-1] = grad_out
            # The slides' output is linear, so f'(z) = 1 and delta = dL/dy-hat.
            delta = self._activations[-1].backward(grad_out, trace.z[-1], y_hat)
        for l in range(L - 1, -1, -1):
            deltas[l] = delta
            # Slide: dL/dw2_11 = dL/dy-hat * O1 -- summed over the batch's rows.
            grad_w[l] = np.dot(trace.a[l].T, delta)
            # Slide: dL/db21 = dL/dy-hat * 1 (one row: that row itself, without a reduction).
            grad_b[l] = delta[0].copy() if len(delta) == 1 else np.add.reduce(delta, axis=0)
            if l > 0:
                # Slide: dL/dO1 = dL/dy-hat * w2_11 -- every path from O1 onward, summed.
                grad_a = np.dot(delta, self._weights[l].T)
                act_grads[l - 1] = grad_a
                # Slide: dO1/dz = sigma'(z) = sigma(z)(1 - sigma(z)), from the cached O1.
                delta = self._activations[l - 1].backward(grad_a, trace.z[l - 1], trace.a[l])
        loss = self._loss_value(trace, Y, weights)
        return Gradients(
            weights=grad_w, biases=grad_b, loss=loss, deltas=deltas, activation_grads=act_grads
        )

    def gradients(self, X: Any, Y: Any, sample_weight: Any = None) -> Gradients:
        """dL/dW and dL/db of the mean loss over the batch (X, Y) (with ``sample_weight``:
        of the weighted mean of the samples' losses)."""
        Xc = self.check_X(X)
        Yc = self.check_Y(Y, Xc.shape[0])
        weights = check_sample_weight(sample_weight, Xc.shape[0])
        return self._backward(self._forward(Xc), Yc, weights)

    def _train_gradients(self, X: Array, Y: Array) -> Gradients:
        """Gradients for X, Y already checked by check_X/check_Y."""
        return self._backward(self._forward(X), Y)

    # ------------------------------------------------------------------ update
    def apply_gradients(self, grads: Gradients, lr: float) -> None:
        """The slides' update w(new) = w - eta dL/dw, for every parameter, in place."""
        step = self.dtype.type(check_learning_rate(lr))
        for p, g in zip(self.parameters(), grads, strict=True):
            p -= g * step

    def step(self, X: Any, Y: Any, lr: float) -> float:
        """One gradient-descent update in place; returns the loss *before* the update.

        Every parameter is updated from the gradients of the same forward pass, exactly
        the slides' update formulas w(new) = w - eta * dL/dw. Called in a loop, the step
        runs compiled once that has paid for loading the compiled code (see
        ``engine/compiled/runner.py``); the result is the same to rounding.
        """
        lr = check_learning_rate(lr)
        sizes, dt = self.layer_sizes, self.dtype
        plain = (
            self._loss.name == "mse"  # (bce's and cross-entropy's targets have rules to check)
            and is_plain(X, dt, sizes[0])
            and is_plain(Y, dt, sizes[-1])
            and len(X) == len(Y)
        )
        # Arrays of the right type and shape go straight to the compiled step, which checks
        # their values (None: NaN or inf, or NumPy's turn; the checks below say which).
        loss = runner.step(self, X, Y, lr) if plain else None
        if loss is None:
            Xc = check_inputs(X, sizes[0], dt)
            Yc = check_targets(Y, Xc.shape[0], sizes[-1], self._loss.name, dt)
            if not plain:
                loss = runner.step(self, Xc, Yc, lr)
        if loss is None:
            started = runner.clock()
            # A diverging run overflows on the way to an inf loss; that is reported below
            # as a DivergenceError, so NumPy's overflow warnings would only be noise.
            with np.errstate(over="ignore", invalid="ignore"):
                grads = self._train_gradients(Xc, Yc)
            loss = grads.loss
            if math.isfinite(loss):
                self.apply_gradients(grads, lr)
            runner.spent_in_numpy(runner.clock() - started)
        if not math.isfinite(loss):
            raise DivergenceError(
                f"the loss is {loss}; the parameters were left unchanged "
                "(try a smaller learning rate)"
            )
        return loss

    # ------------------------------------------------------------------ training
    def fit(self, X: Any, Y: Any, settings: Any = None, **options: Any) -> Any:
        """Train in place and return the History of per-epoch metrics.

        The settings are those of :func:`backproplab.engine.fit.fit` (a ``FitSettings``, or
        its fields as keywords): ``epochs=100``, ``lr=0.1``, ``batch_size=None`` (full batch,
        the slides' L over all n samples), ``optimizer='sgd'`` (the slides' update;
        'momentum', 'nesterov', 'adam'), momentum, weight_decay, schedule, seed,
        validation_split, validation_data, patience, callbacks, sample_weight, resume,
        checkpoint_every, on_checkpoint, path.
        """
        from .fit import fit  # the training loop lives in its own module

        return fit(self, X, Y, settings, **options)


#: Attributes a network derives from its parameter vector or caches for speed.
_DERIVED = ("_weights", "_biases", "_bias_rows", "_flat", "_compiled", "_step_sgd")


def _n_parameters(sizes: list[int]) -> int:
    return sum(a * b + b for a, b in zip(sizes[:-1], sizes[1:], strict=True))


def _row_scale(weights: Array, dtype: np.dtype) -> Array:
    """n w_i / sum(w) as a column: the factor each row's loss gradient takes."""
    return (weights * (weights.shape[0] / weights.sum())).astype(dtype)[:, None]


def _is_dask(value: Any) -> bool:
    return type(value).__module__.startswith("dask.")


# ---------------------------------------------------------------------- helpers
def _check_layer_sizes(layer_sizes: Any) -> list[int]:
    try:
        sizes = list(layer_sizes)
    except TypeError:
        raise InputError(f"layer_sizes must be a list of integers, got {layer_sizes!r}") from None
    if len(sizes) < 2:
        raise InputError(f"layer_sizes needs at least an input and an output size, got {sizes!r}")
    out = []
    for i, s in enumerate(sizes):
        if isinstance(s, bool) or not isinstance(s, int | np.integer) or s < 1:
            raise InputError(f"layer_sizes[{i}] must be a positive integer, got {s!r}")
        out.append(int(s))
    return out


def _check_dtype(dtype: Any) -> np.dtype:
    try:
        dt = np.dtype(dtype)
    except TypeError:
        raise InputError(f"dtype must be float32 or float64, got {dtype!r}") from None
    if dt not in (np.dtype(np.float32), np.dtype(np.float64)):
        raise InputError(f"dtype must be float32 or float64, got {dt}")
    return dt


def _resolve_activations(
    activations: Sequence[str] | None,
    hidden: str | None,
    output: str | None,
    n_layers: int,
    loss: Loss,
) -> list[str]:
    if activations is not None:
        if hidden is not None or output is not None:
            raise InputError("give either activations=[...] or hidden=/output=, not both")
        if isinstance(activations, str):
            raise InputError(
                f"activations must be a list of {n_layers} names (one per layer), "
                f"got the string {activations!r}; use hidden=... for one name"
            )
        names = list(activations)
        if len(names) != n_layers:
            raise InputError(
                f"activations needs {n_layers} names (one per non-input layer), got {len(names)}"
            )
        return names
    default_output = loss.fused_activation or "identity"
    return [hidden or "sigmoid"] * (n_layers - 1) + [output or default_output]


def _check_activation_placement(acts: list[Activation], loss: Loss, n_outputs: int) -> None:
    if acts[-1].name == "softmax" and n_outputs < 2:
        raise InputError(
            "a softmax output needs at least 2 units (over one unit it is always 1); "
            "for one output use 'sigmoid' with loss='bce'"
        )
    for i, act in enumerate(acts[:-1]):
        if act.output_only:
            raise InputError(f"activations[{i}]: {act.name} is only allowed on the output layer")
    out = acts[-1].name
    if loss.fused_activation is not None and out != loss.fused_activation:
        hint = {
            "bce": "use a single 'sigmoid' output (or loss='cross_entropy' with 'softmax')",
            "cross_entropy": "use a 'softmax' output (or loss='bce' with a 'sigmoid' output)",
            "poisson": "use an 'exp' output (the log link: z is the log of the rate)",
        }[loss.name]
        raise InputError(
            f"loss={loss.name!r} needs a {loss.fused_activation!r} output layer, "
            f"got {out!r}: {hint}"
        )
