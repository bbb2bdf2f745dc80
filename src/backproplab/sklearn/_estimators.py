"""``MLPClassifier`` and ``MLPRegressor``: scikit-learn's, on the backproplab engine."""

from __future__ import annotations

from functools import partial
from typing import Any

import numpy as np
from sklearn.base import ClassifierMixin, RegressorMixin
from sklearn.metrics import accuracy_score, r2_score
from sklearn.neural_network import MLPRegressor as _SkMLPRegressor
from sklearn.preprocessing import LabelBinarizer
from sklearn.utils._param_validation import StrOptions
from sklearn.utils.class_weight import compute_sample_weight
from sklearn.utils.metaestimators import available_if
from sklearn.utils.multiclass import _check_partial_fit_first_call, type_of_target, unique_labels
from sklearn.utils.validation import check_is_fitted, column_or_1d, validate_data

from ..distributed.data import is_dask_collection
from . import _dask
from ._base import EXTRAS, KEYWORD, POSITIONAL, BaseMLP, partial_fit_available, sklearn_init


class MLPClassifier(ClassifierMixin, BaseMLP):
    """Multi-layer perceptron classifier: scikit-learn 1.9's ``MLPClassifier`` (the same
    parameters, defaults, attributes and behaviour), trained by the backproplab engine.

    Beyond scikit-learn: ``class_weight`` ('balanced' or {label: weight}, multiplied into
    ``sample_weight``), ``activations`` (one name per hidden layer), every engine activation
    ('leaky_relu', 'elu', 'gelu', 'silu', 'softplus', ...), ``dtype`` ('float32' or
    'float64'; default: that of X), ``callbacks`` (engine callbacks, or functions
    (epoch, logs) returning True to stop; logs carry 'sklearn_loss' and, with early
    stopping, 'validation_score'), ``validation_loss_curve_`` (with early stopping) and
    ``net_``, the fitted :class:`backproplab.MLP` (``bp.explain(clf.net_, x, y)``).

    The loss is scikit-learn's: the log-loss (summed over the outputs of a multilabel
    problem) plus ``alpha * ||W||^2 / (2 n_samples)``; docs/sklearn.md maps it to the
    slides' L.

    X and y may be dask arrays or frames (``MLPClassifier(solver="lbfgs").fit(dask_X,
    dask_y)``): the data stays in the workers, ``classes_`` is a distributed unique, 'lbfgs'
    equals the in-memory fit to 1e-10, 'sgd'/'adam' take synchronous data-parallel steps, and
    ``predict``/``predict_proba`` return dask arrays. Not supported on dask input:
    ``sample_weight``, ``class_weight``, ``early_stopping=True``, ``partial_fit`` (a
    ValueError; compute the data to use them). docs/scaling.md has the details.
    """

    _parameter_constraints: dict = {
        **BaseMLP._parameter_constraints,
        "class_weight": [dict, StrOptions({"balanced"}), None],
    }
    #: scikit-learn's classifier has this fixed attribute too.
    loss = "log_loss"

    __init__ = sklearn_init(POSITIONAL, (*KEYWORD, ("class_weight", None, Any), *EXTRAS))

    def _output_layer(self) -> tuple[str, str, str]:
        if self._label_binarizer.y_type_ == "multiclass":
            return "softmax", "softmax", "cross_entropy"
        return "logistic", "sigmoid", "bce"

    def _validate_input(self, X: Any, y: Any, incremental: bool, reset: bool) -> tuple:
        X, y = validate_data(
            self, X, y, accept_sparse=["csr", "csc"], multi_output=True,
            dtype=(np.float64, np.float32), reset=reset,
        )  # fmt: skip
        if y.ndim == 2 and y.shape[1] == 1:
            y = column_or_1d(y, warn=True)
        if "classes_" not in self.__dict__ or (not self.warm_start and not incremental):
            self._label_binarizer = LabelBinarizer()
            self._label_binarizer.fit(y)
            self.classes_ = self._label_binarizer.classes_
        else:
            classes = unique_labels(y)
            if self.warm_start:
                if set(classes) != set(self.classes_):
                    raise ValueError(
                        "warm_start can only be used where `y` has the same classes as in the "
                        f"previous call to fit. Previously got {self.classes_}, `y` has "
                        f"{classes}"
                    )
            elif len(np.setdiff1d(classes, self.classes_, assume_unique=True)):
                raise ValueError(
                    f"`y` has classes not in `self.classes_`. `self.classes_` has "
                    f"{self.classes_}. 'y' has {classes}."
                )
        Y = self._label_binarizer.transform(y).astype(X.dtype)
        return X, Y, y

    def _dask_targets(self, y: Any, dtype: np.dtype, reset: bool) -> Any:
        return _dask.classifier_targets(self, y, dtype, reset=reset or "classes_" not in vars(self))

    def _with_class_weight(self, sample_weight: Any, labels: Any, Y: np.ndarray) -> Any:
        if self.class_weight is None:
            return sample_weight
        if np.ndim(labels) != 1:
            raise ValueError("class_weight needs a single-output target (not multilabel)")
        weights = compute_sample_weight(self.class_weight, labels)
        return weights if sample_weight is None else weights * sample_weight

    def _score_targets(self, Y_val: np.ndarray) -> np.ndarray:
        return self._label_binarizer.inverse_transform(Y_val)

    @staticmethod
    def _score_function(y: Any, y_pred: Any, sample_weight: Any = None) -> float:
        return accuracy_score(y, y_pred, sample_weight=sample_weight)

    def _predict_checked(self, X: np.ndarray) -> np.ndarray:
        """Class labels from validated X (early stopping's score calls this)."""
        return self._labels(self._network_output(X))

    def _labels(self, out: np.ndarray) -> np.ndarray:
        labels = partial(_output_labels, self._label_binarizer, self.n_outputs_)
        return _dask.map_rows(out, labels) if is_dask_collection(out) else labels(out)

    @available_if(partial_fit_available)
    def partial_fit(
        self, X: Any, y: Any, sample_weight: Any = None, classes: Any = None
    ) -> MLPClassifier:
        """One epoch over (X, y); ``classes`` is required on the first call."""
        self._validate_params()
        if is_dask_collection(X) or is_dask_collection(y):  # before y is looked at
            _dask.refuse_unsupported(self, sample_weight, incremental=True)
        if _check_partial_fit_first_call(self, classes):
            self._label_binarizer = LabelBinarizer()
            if type_of_target(y).startswith("multilabel"):
                self._label_binarizer.fit(y)
            else:
                self._label_binarizer.fit(classes)
        return self._fit(X, y, sample_weight, incremental=True)

    def predict(self, X: Any) -> np.ndarray:
        """The predicted class labels (rows of 0/1 for a multilabel problem); for a dask X,
        a dask array mapped over its chunks."""
        check_is_fitted(self)
        return self._labels(self._raw_predict(X))

    def predict_proba(self, X: Any) -> np.ndarray:
        """Probability of each class, in the order of ``classes_`` (a dask array for a dask
        X)."""
        check_is_fitted(self)
        out = self._raw_predict(X)
        if self.n_outputs_ != 1:
            return out
        return _dask.map_rows(out, _two_columns) if is_dask_collection(out) else _two_columns(out)

    def predict_log_proba(self, X: Any) -> np.ndarray:
        """``log(predict_proba(X))``."""
        proba = self.predict_proba(X)
        if is_dask_collection(proba):
            return _dask.map_rows(proba, _log)
        return _log(proba, out=proba)

    def score(self, X: Any, y: Any, sample_weight: Any = None) -> float:
        """The mean accuracy on (X, y) (scikit-learn's; dask input is predicted on the
        cluster and only the labels come back)."""
        if is_dask_collection(X) or is_dask_collection(y):
            return _dask.score(self, X, y, sample_weight)
        return super().score(X, y, sample_weight=sample_weight)

    def __sklearn_tags__(self) -> Any:
        tags = super().__sklearn_tags__()
        tags.classifier_tags.multi_label = True
        return tags


class MLPRegressor(RegressorMixin, BaseMLP):
    """Multi-layer perceptron regressor: scikit-learn 1.9's ``MLPRegressor`` (the same
    parameters, defaults, attributes and behaviour), trained by the backproplab engine.

    ``loss``: 'squared_error' (scikit-learn's half squared error, the mean over outputs;
    ½ the slides' L) or 'poisson' (half the Poisson deviance on an exponential output, the
    log link: the engine's 'poisson' loss, so ``bp.explain(reg.net_, x, y)`` writes out its
    steps too). The extras are the classifier's except ``class_weight``.

    X and y may be dask arrays or frames, trained on where they lie as for the classifier
    (``sample_weight``, ``early_stopping=True`` and ``partial_fit`` are refused on dask
    input).
    """

    _parameter_constraints: dict = {
        **BaseMLP._parameter_constraints,
        "loss": list(_SkMLPRegressor._parameter_constraints["loss"]),
    }

    __init__ = sklearn_init((("loss", "squared_error", str), *POSITIONAL), (*KEYWORD, *EXTRAS))

    def _output_layer(self) -> tuple[str, str, str]:
        if self.loss == "poisson":
            return "exp", "exp", "poisson"  # the log link: the engine's exp output
        return "identity", "identity", "mse"

    def _validate_input(self, X: Any, y: Any, incremental: bool, reset: bool) -> tuple:
        X, y = validate_data(
            self, X, y, accept_sparse=["csr", "csc"], multi_output=True, y_numeric=True,
            dtype=(np.float64, np.float32), reset=reset,
        )  # fmt: skip
        if y.ndim == 2 and y.shape[1] == 1:
            y = column_or_1d(y, warn=True)
        if self.loss == "poisson" and np.any(y < 0):
            raise ValueError("loss='poisson' requires y >= 0 (it models counts or rates)")
        Y = y.reshape(-1, 1) if y.ndim == 1 else y
        return X, Y, None

    def _dask_targets(self, y: Any, dtype: np.dtype, reset: bool) -> Any:
        return _dask.regressor_targets(y, dtype)

    @staticmethod
    def _score_function(y: Any, y_pred: Any, sample_weight: Any = None) -> float:
        return r2_score(y, y_pred, sample_weight=sample_weight)

    def _predict_checked(self, X: np.ndarray) -> np.ndarray:
        out = self._network_output(X)
        return out.ravel() if out.shape[1] == 1 else out

    @available_if(partial_fit_available)
    def partial_fit(self, X: Any, y: Any, sample_weight: Any = None) -> MLPRegressor:
        """One epoch over (X, y)."""
        self._validate_params()
        return self._fit(X, y, sample_weight, incremental=True)

    def predict(self, X: Any) -> np.ndarray:
        """The predicted values, shape (n_samples,) or (n_samples, n_outputs); for a dask X,
        a dask array mapped over its chunks."""
        check_is_fitted(self)
        out = self._raw_predict(X)
        if out.shape[1] != 1:
            return out
        return out[:, 0] if is_dask_collection(out) else out.ravel()

    def score(self, X: Any, y: Any, sample_weight: Any = None) -> float:
        """R² on (X, y) (scikit-learn's; dask input is predicted on the cluster and only the
        predictions come back)."""
        if is_dask_collection(X) or is_dask_collection(y):
            return _dask.score(self, X, y, sample_weight)
        return super().score(X, y, sample_weight=sample_weight)


def _output_labels(binarizer: LabelBinarizer, n_outputs: int, out: np.ndarray) -> np.ndarray:
    """Class labels from rows of the network's output."""
    if n_outputs == 1:
        out = out.ravel()
    return binarizer.inverse_transform(out)


def _log(proba: np.ndarray, out: np.ndarray | None = None) -> np.ndarray:
    with np.errstate(divide="ignore"):
        return np.log(proba, out=out)


def _two_columns(out: np.ndarray) -> np.ndarray:
    """A single sigmoid output p as the probabilities [1 - p, p] of the two classes."""
    p = out.ravel()
    return np.vstack([1 - p, p]).T
