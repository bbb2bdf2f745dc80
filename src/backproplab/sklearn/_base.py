"""What the classifier and the regressor share: parameters, validation, the solvers.

The constructor parameters, their defaults and meanings are scikit-learn 1.9's
``sklearn.neural_network.MLPClassifier``/``MLPRegressor``'s, validated by scikit-learn's
own constraint machinery so that a bad value fails with scikit-learn's error. The model is
``net_``, a :class:`backproplab.MLP`; ``coefs_`` and ``intercepts_`` are its live weight and
bias lists, so assigning into them changes the network. Training goes through the engine:
``net_.fit`` for 'sgd' and 'adam' (see _stochastic.py), ``minimize_lbfgs`` with
``net_.gradients`` for 'lbfgs'. Dask arrays and frames are trained on where they lie, by
backproplab.distributed (see _dask.py).
"""

from __future__ import annotations

import inspect
import math
import warnings
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np
import scipy.sparse as sp
from sklearn.base import BaseEstimator, is_classifier
from sklearn.exceptions import ConvergenceWarning
from sklearn.model_selection import train_test_split
from sklearn.neural_network import MLPClassifier as _SkMLPClassifier
from sklearn.utils import check_random_state
from sklearn.utils._param_validation import StrOptions
from sklearn.utils.validation import _check_sample_weight, check_is_fitted, validate_data

from ..distributed.data import is_dask_collection
from ..engine.activations import ACTIVATION_NAMES, get_activation
from ..engine.errors import DivergenceError, InputError
from ..engine.lbfgs import minimize_lbfgs
from ..engine.network import MLP
from ..engine.optim import make_optimizer
from . import _dask
from ._conventions import glorot_uniform, grad_factor, loss_factor
from ._stochastic import SklearnEpochs

STOCHASTIC_SOLVERS = ("sgd", "adam")
#: scikit-learn's four hidden activations, and every engine activation besides.
HIDDEN_ACTIVATIONS = {"identity", "logistic", "tanh", "relu"} | (
    set(ACTIVATION_NAMES) - {"softmax"}
)
Params = tuple[tuple[str, Any, Any], ...]  # (name, default, type)
NON_FINITE = (
    "Solver produced non-finite parameter weights. The input data may contain large "
    "values and need to be preprocessed."
)


#: scikit-learn 1.9's constructor parameters, in its order, with their defaults: the two
#: that may be passed by position, then the keyword-only ones; then what ours adds.
POSITIONAL: Params = (("hidden_layer_sizes", (100,), Any), ("activation", "relu", str))
KEYWORD: Params = (
    ("solver", "adam", str), ("alpha", 0.0001, float), ("batch_size", "auto", int | str),
    ("learning_rate", "constant", str), ("learning_rate_init", 0.001, float),
    ("power_t", 0.5, float), ("max_iter", 200, int), ("shuffle", True, bool),
    ("random_state", None, Any), ("tol", 1e-4, float), ("verbose", False, bool),
    ("warm_start", False, bool), ("momentum", 0.9, float), ("nesterovs_momentum", True, bool),
    ("early_stopping", False, bool), ("validation_fraction", 0.1, float),
    ("beta_1", 0.9, float), ("beta_2", 0.999, float), ("epsilon", 1e-8, float),
    ("n_iter_no_change", 10, int), ("max_fun", 15000, int),
)  # fmt: skip
EXTRAS: Params = (
    ("activations", None, Sequence[str] | None), ("dtype", None, Any),
    ("callbacks", None, Sequence[Any] | None),
)  # fmt: skip


def sklearn_init(positional: Params, keyword: Params) -> Callable[..., None]:
    """An ``__init__`` with this signature that stores every parameter under its own name
    and does nothing else, as scikit-learn requires of an estimator.

    The signature is written once, here, for both estimators (they differ by a parameter or
    two); ``get_params``, ``clone``, ``help`` and ``inspect.signature`` read it from
    ``__signature__``, and a wrong keyword is the usual TypeError."""
    P = inspect.Parameter
    signature = inspect.Signature(
        [P("self", P.POSITIONAL_OR_KEYWORD)]
        + [P(n, P.POSITIONAL_OR_KEYWORD, default=d, annotation=t) for n, d, t in positional]
        + [P(n, P.KEYWORD_ONLY, default=d, annotation=t) for n, d, t in keyword],
        return_annotation=None,
    )

    def __init__(self: Any, *args: Any, **kwargs: Any) -> None:
        try:
            bound = signature.bind(self, *args, **kwargs)
        except TypeError as error:  # the message Python gives a written-out signature
            raise TypeError(f"{type(self).__name__}.__init__() {error}") from None
        bound.apply_defaults()
        for name, value in list(bound.arguments.items())[1:]:
            setattr(self, name, value)

    __init__.__signature__ = signature  # type: ignore[attr-defined]
    return __init__


def _live_list(name: str, net_attr: str, what: str) -> property:
    """``coefs_``/``intercepts_``: the fitted network's own list, so assigning into it
    changes the network (its shapes come from the data, hence fitted estimators only)."""

    def get(self: BaseMLP) -> list[np.ndarray]:
        check_is_fitted(self, "net_")
        return getattr(self.net_, net_attr)

    def set_(self: BaseMLP, values: Sequence[Any]) -> None:
        if "net_" not in self.__dict__:
            raise AttributeError(
                f"{name} can be set on a fitted estimator only (its shapes come from the data)"
            )
        setattr(self.net_, net_attr, values)

    return property(get, set_, doc=f"``{name}[i]``: {what} (the live ``net_.{net_attr}``).")


def partial_fit_available(est: BaseMLP) -> bool:
    """``available_if`` check: scikit-learn's estimators have no ``partial_fit`` for lbfgs."""
    if est.solver not in STOCHASTIC_SOLVERS:
        raise AttributeError(
            f"partial_fit is only available for stochastic optimizers. {est.solver} is "
            "not stochastic."
        )
    return True


class BaseMLP(BaseEstimator):
    """scikit-learn's multilayer perceptron interface on the backproplab engine."""

    _parameter_constraints: dict = {
        **_SkMLPClassifier._parameter_constraints,
        "activation": [StrOptions(HIDDEN_ACTIVATIONS)],
        "activations": [list, tuple, None],
        "dtype": [StrOptions({"float32", "float64"}), type, np.dtype, None],
        "callbacks": [list, tuple, None],
    }

    __init__ = sklearn_init(POSITIONAL, KEYWORD + EXTRAS)

    # ------------------------------------------------------------------ the parameters
    coefs_ = _live_list("coefs_", "weights", "the weights from layer i to layer i+1")
    intercepts_ = _live_list("intercepts_", "biases", "the biases of layer i+1")

    # ------------------------------------------------------------------ fit
    def fit(self, X: Any, y: Any, sample_weight: Any = None) -> BaseMLP:
        """Fit the model to data matrix X and target(s) y (scikit-learn's ``fit``)."""
        self._validate_params()
        return self._fit(X, y, sample_weight, incremental=False)

    def _hidden_sizes(self) -> list[int]:
        sizes = self.hidden_layer_sizes
        if not hasattr(sizes, "__iter__"):
            sizes = [sizes]
        sizes = list(sizes)
        if np.any(np.array(sizes) <= 0):
            raise ValueError(f"hidden_layer_sizes must be > 0, got {sizes}.")
        return [int(s) for s in sizes]

    def _hidden_activations(self, n_hidden: int) -> list[str]:
        if self.activations is None:
            return [get_activation(self.activation).name] * n_hidden
        names = list(self.activations)
        if len(names) != n_hidden:
            raise ValueError(
                f"activations needs one name per hidden layer ({n_hidden}, from "
                f"hidden_layer_sizes), got {len(names)}"
            )
        for i, name in enumerate(names):
            if name not in HIDDEN_ACTIVATIONS:
                raise ValueError(
                    f"activations[{i}] must be one of {sorted(HIDDEN_ACTIVATIONS)}, got {name!r}"
                )
        return [get_activation(n).name for n in names]

    def _fit(self, X: Any, y: Any, sample_weight: Any, incremental: bool) -> BaseMLP:
        hidden = self._hidden_sizes()
        first_pass = "net_" not in self.__dict__ or (not self.warm_start and not incremental)
        on_dask = is_dask_collection(X) or is_dask_collection(y)
        if on_dask:  # checked from the metadata; the chunks stay where they are (_dask.py)
            if not is_dask_collection(X):
                raise ValueError(
                    "y is a dask collection but X is in memory; pass X as a dask collection "
                    "too (dask.array.from_array(X, chunks=...)), or compute y"
                )
            _dask.refuse_unsupported(self, sample_weight, incremental)
            X, x_dtype = _dask.check_features(self, X, reset=first_pass)
            Y = self._dask_targets(_dask.align_targets(X, y), x_dtype, reset=first_pass)
        else:
            X, Y, labels = self._validate_input(X, y, incremental, reset=first_pass)
            if sample_weight is not None:
                sample_weight = _check_sample_weight(sample_weight, X)
            sample_weight = self._with_class_weight(sample_weight, labels, Y)
            if sp.issparse(X):
                X = X.toarray()  # the engine computes on dense arrays
            x_dtype = X.dtype
        if not first_pass:
            dtype = self.net_.dtype  # warm starts and partial_fit go on in the network's dtype
        else:
            dtype = np.dtype(self.dtype) if self.dtype is not None else x_dtype
        if dtype not in (np.float32, np.float64):
            raise ValueError(f"dtype must be float32 or float64, got {dtype}")
        if on_dask:
            labels = None  # each chunk is converted to the network's dtype where it lies
        else:
            X = np.ascontiguousarray(X, dtype=dtype)
            Y = np.ascontiguousarray(Y, dtype=dtype)
        random_state = check_random_state(self.random_state)
        if first_pass:
            self._initialize(Y, [X.shape[1], *hidden, Y.shape[1]], dtype, random_state)
        elif Y.shape[1] != self.n_outputs_:
            raise ValueError(f"y has {Y.shape[1]} outputs, the fitted model {self.n_outputs_}")
        try:
            if self.solver in STOCHASTIC_SOLVERS:
                self._fit_stochastic(X, Y, labels, sample_weight, incremental, random_state)
            else:
                self._fit_lbfgs(X, Y, sample_weight)
        except DivergenceError as error:
            raise ValueError(f"{NON_FINITE} ({error})") from None
        if not all(np.isfinite(p).all() for p in self.net_.parameters()):
            raise ValueError(NON_FINITE)
        return self

    def _initialize(
        self, Y: np.ndarray, layer_units: list[int], dtype: np.dtype, random_state: Any
    ) -> None:
        self.n_iter_ = 0
        self.t_ = 0
        self.n_outputs_ = Y.shape[1]
        self.n_layers_ = len(layer_units)
        self.out_activation_, output, loss = self._output_layer()
        hidden = self._hidden_activations(len(layer_units) - 2)
        self._loss_name = loss
        net = MLP(layer_units, [*hidden, output], loss=loss, dtype=dtype, init="zeros")
        # scikit-learn's initialisation, from the same RandomState: the same start as theirs.
        # Its bound uses one factor for every layer (2 for 'logistic' hidden units, else 6).
        per_layer = [*hidden, hidden[-1] if hidden else get_activation(self.activation).name]
        if self.activations is None:
            per_layer = [get_activation(self.activation).name] * (len(layer_units) - 1)
        for i, (fan_in, fan_out) in enumerate(zip(layer_units[:-1], layer_units[1:], strict=True)):
            factor = 2.0 if per_layer[i] == "sigmoid" else 6.0
            W, b = glorot_uniform(random_state, fan_in, fan_out, factor, dtype)
            net.weights[i] = W
            net.biases[i] = b
        self.net_ = net
        self.__dict__.pop("_optimizer", None)
        self._best_params = [p.copy() for p in net.parameters()]
        if self.solver in STOCHASTIC_SOLVERS:
            self.loss_curve_ = []
            self._no_improvement_count = 0
            if self.early_stopping:
                self.validation_scores_ = []
                self.validation_loss_curve_ = []
                self.best_validation_score_ = -np.inf
                self.best_loss_ = None
            else:
                self.best_loss_ = np.inf
                self.validation_scores_ = None
                self.validation_loss_curve_ = None
                self.best_validation_score_ = None

    @property
    def _loss_factor(self) -> float:
        return loss_factor(self._loss_name, self.n_outputs_)

    @property
    def _grad_factor(self) -> float:
        return grad_factor(self._loss_name, self.n_outputs_)

    def _with_class_weight(self, sample_weight: Any, labels: Any, Y: np.ndarray) -> Any:
        return sample_weight

    # ------------------------------------------------------------------ sgd and adam
    def _fit_stochastic(
        self,
        X: np.ndarray,
        Y: np.ndarray,
        labels: Any,
        sample_weight: np.ndarray | None,
        incremental: bool,
        random_state: np.random.RandomState,
    ) -> None:
        if self.early_stopping and incremental:
            raise ValueError("partial_fit does not support early_stopping=True")
        validation = val_targets = None
        if self.early_stopping:
            X, Y, sample_weight, validation, val_targets = self._split(
                X, Y, labels, sample_weight, random_state
            )
        n = _dask.n_rows(X) if is_dask_collection(X) else X.shape[0]
        if self.batch_size == "auto":
            batch_size = min(200, n)
        else:
            if self.batch_size > n:
                warnings.warn(
                    "Got `batch_size` less than 1 or larger than sample size. It is going "
                    "to be clipped",
                    stacklevel=4,
                )
            batch_size = int(np.clip(self.batch_size, 1, n))
        weight_mean = 1.0 if sample_weight is None else float(np.mean(sample_weight))
        if not incremental or "_optimizer" not in self.__dict__:
            self._optimizer = self._new_optimizer()
            self._lr_now = float(self.learning_rate_init)
        opt = self._optimizer
        gamma = self._grad_factor
        # scikit-learn's penalty gradient alpha W / sum(s_b), in the engine's units (module
        # _conventions); the last, smaller batch of an epoch gets the same decay as the rest.
        step_rows = batch_size
        if is_dask_collection(X):
            # A distributed step takes its share of rows from every chunk: about n / steps
            # rows each (module distributed.fit), which is what the penalty is divided by.
            step_rows = n / math.ceil(n / batch_size)
        opt.weight_decay = self.alpha / (gamma * step_rows * weight_mean)
        lr = float(self.learning_rate_init)
        opt.lr = gamma * lr if self.solver == "sgd" else lr  # Adam ignores a constant factor
        epochs = SklearnEpochs(
            self,
            n_train=n,
            n_batches=math.ceil(n / batch_size),
            weight_mean=weight_mean,
            validation=validation,
            val_targets=val_targets,
            incremental=incremental,
        )
        self.n_iter_ = 0
        self._converged = False
        seed = int(random_state.randint(np.iinfo(np.int32).max)) if self.shuffle else 0
        try:
            self.net_.fit(
                X,
                Y,
                epochs=1 if incremental else self.max_iter,
                optimizer=opt,
                batch_size=batch_size,
                shuffle=bool(self.shuffle),
                seed=seed,
                sample_weight=sample_weight,
                schedule=epochs.schedule,
                callbacks=[epochs, *(self.callbacks or ())],
            )
        except KeyboardInterrupt:
            warnings.warn("Training interrupted by user.", stacklevel=4)
        if not incremental and not self._converged and self.n_iter_ == self.max_iter:
            warnings.warn(
                f"Stochastic Optimizer: Maximum iterations ({self.max_iter}) reached and the "
                "optimization hasn't converged yet.",
                ConvergenceWarning,
                stacklevel=4,
            )
        if self.early_stopping:
            for p, best in zip(self.net_.parameters(), self._best_params, strict=True):
                np.copyto(p, best)

    def _new_optimizer(self) -> Any:
        params = list(self.net_.parameters())
        mask = [i % 2 == 0 for i in range(len(params))]  # the penalty is on weights only
        if self.solver == "sgd":
            momentum = float(self.momentum)
            return make_optimizer(
                "sgd", params, lr=self.learning_rate_init, momentum=momentum,
                nesterov=bool(self.nesterovs_momentum and momentum > 0), decay_mask=mask,
            )  # fmt: skip
        return make_optimizer(
            "adam", params, lr=self.learning_rate_init, beta1=self.beta_1, beta2=self.beta_2,
            eps=self.epsilon / self._grad_factor, decay_mask=mask,
        )  # fmt: skip

    def _split(
        self, X: np.ndarray, Y: np.ndarray, labels: Any, sw: Any, random_state: Any
    ) -> tuple[Any, ...]:
        """scikit-learn's early-stopping split: same RandomState draw, stratified for a
        single-output classifier."""
        stratify = Y.astype(bool) if is_classifier(self) and self.n_outputs_ == 1 else None
        arrays = [X, Y] if sw is None else [X, Y, sw]
        parts = train_test_split(
            *arrays, random_state=random_state, test_size=self.validation_fraction,
            stratify=stratify,
        )  # fmt: skip
        X_train, X_val, Y_train, Y_val = parts[:4]
        sw_train, sw_val = (parts[4], parts[5]) if sw is not None else (None, None)
        if X_val.shape[0] < 2:
            raise ValueError(
                "The validation set is too small. Increase 'validation_fraction' or the size "
                "of your dataset."
            )
        return X_train, Y_train, sw_train, (X_val, self._score_targets(Y_val), sw_val), Y_val

    def _score_targets(self, Y_val: np.ndarray) -> np.ndarray:
        return Y_val

    def _validation_score(self, X: np.ndarray, y: Any, sample_weight: Any) -> float:
        y_pred = self._predict_checked(X)
        if np.issubdtype(y_pred.dtype, np.floating) and not np.isfinite(y_pred).all():
            return np.nan
        return float(self._score_function(y, y_pred, sample_weight=sample_weight))

    # ------------------------------------------------------------------ lbfgs
    def _fit_lbfgs(self, X: np.ndarray, Y: np.ndarray, sample_weight: Any) -> None:
        net, alpha = self.net_, float(self.alpha)
        lf, gf = self._loss_factor, self._grad_factor
        if is_dask_collection(X):  # L and its gradient from the per-chunk sums
            mean_loss, n = _dask.full_batch(net, X, Y)
            weight_sum = float(n)
        else:
            weight_sum = float(X.shape[0] if sample_weight is None else np.sum(sample_weight))

            def mean_loss() -> tuple[float, list[np.ndarray]]:
                g = net.gradients(X, Y, sample_weight=sample_weight)
                return g.loss, list(g)

        def objective() -> tuple[float, list[np.ndarray]]:
            # scikit-learn's J = loss_sk + alpha ||W||^2 / (2 sum(s)), from the engine's L.
            L, g = mean_loss()
            loss = lf * L
            grads: list[np.ndarray] = []
            for W, gw, gb in zip(net.weights, g[0::2], g[1::2], strict=True):
                loss += 0.5 * alpha * float(np.vdot(W, W)) / weight_sum
                grads.append(gf * gw + (alpha / weight_sum) * W)
                grads.append(gf * gb)
            return loss, grads

        def report(iteration: int, loss: float) -> None:
            if self.verbose:
                print(f"Iteration {iteration}, loss = {loss:.8f}")

        with np.errstate(over="ignore", invalid="ignore"):
            result = minimize_lbfgs(
                net, objective, max_iter=self.max_iter, tol=self.tol, max_fun=self.max_fun,
                callback=report,
            )  # fmt: skip
        self.n_iter_ = min(result.n_iter, self.max_iter)
        self.loss_ = result.loss
        if not result.converged:
            status = 1 if "ITERATIONS" in result.message.upper() else 2
            message = (
                f"lbfgs failed to converge after {self.n_iter_} iteration(s) "
                f"(status={status}):\n{result.message}\n"
            )
            if self.n_iter_ == self.max_iter:
                message += (
                    "\nIncrease the number of iterations to improve the convergence "
                    f"(max_iter={self.max_iter})."
                )
            warnings.warn(message, ConvergenceWarning, stacklevel=4)

    # ------------------------------------------------------------------ predict
    def _net_input(self, X: Any) -> np.ndarray:
        if is_dask_collection(X):
            return _dask.check_features(self, X, reset=False)[0]
        X = validate_data(self, X, accept_sparse=["csr", "csc"], reset=False)
        if sp.issparse(X):
            X = X.toarray()
        return X

    def _network_output(self, X: np.ndarray) -> np.ndarray:
        """The network's output for validated X, shape (n, n_outputs) (for a dask X, a dask
        array computed chunk by chunk with the engine's predict)."""
        try:
            return self.net_.predict(X)
        except InputError as error:
            raise ValueError(str(error)) from None

    def _raw_predict(self, X: Any) -> np.ndarray:
        check_is_fitted(self, "net_")
        return self._network_output(self._net_input(X))

    def __sklearn_tags__(self) -> Any:
        tags = super().__sklearn_tags__()
        tags.input_tags.sparse = True
        return tags
