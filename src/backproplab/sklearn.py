"""scikit-learn estimators backed by the backproplab engine.

``MLPClassifier`` and ``MLPRegressor`` follow scikit-learn's conventions (hyper-parameters
in ``__init__``, learned state in attributes ending in ``_``, ``fit`` returns ``self``), so
they work in Pipelines, GridSearchCV and cross_val_score. Inputs are used as given: put a
``StandardScaler`` in front of them in a Pipeline, as with scikit-learn's own MLPs. The
regressor standardises its target internally (and undoes it in ``predict``) so that the
default learning rate suits targets in any units.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from sklearn.base import BaseEstimator, ClassifierMixin, RegressorMixin
from sklearn.utils.multiclass import check_classification_targets
from sklearn.utils.validation import check_is_fitted, validate_data

from .engine.fit import fit as fit_loop
from .engine.network import MLP
from .engine.optim import make_optimizer


class _BaseMLP(BaseEstimator):
    def __init__(
        self,
        hidden_layer_sizes: tuple[int, ...] = (32,),
        activation: str = "tanh",
        optimizer: str = "adam",
        lr: float = 0.01,
        batch_size: int | None = 64,
        epochs: int = 200,
        momentum: float | None = None,
        weight_decay: float = 0.0,
        schedule: str | None = None,
        validation_split: float = 0.0,
        patience: int | None = None,
        seed: int | None = 0,
        dtype: str = "float64",
    ) -> None:
        self.hidden_layer_sizes = hidden_layer_sizes
        self.activation = activation
        self.optimizer = optimizer
        self.lr = lr
        self.batch_size = batch_size
        self.epochs = epochs
        self.momentum = momentum
        self.weight_decay = weight_decay
        self.schedule = schedule
        self.validation_split = validation_split
        self.patience = patience
        self.seed = seed
        self.dtype = dtype

    # -- shared machinery -------------------------------------------------------------
    def _hidden_sizes(self) -> list[int]:
        sizes = self.hidden_layer_sizes
        if isinstance(sizes, int | np.integer):
            sizes = (sizes,)
        return [int(s) for s in sizes]

    def _new_network(self, n_in: int, n_out: int, output: str, loss: str) -> MLP:
        return MLP(
            [n_in, *self._hidden_sizes(), n_out],
            hidden=self.activation,
            output=output,
            loss=loss,
            seed=self.seed,
            dtype=self.dtype,
        )

    def _new_optimizer(self) -> Any:
        params = list(self.net_.parameters())
        return make_optimizer(
            self.optimizer,
            params,
            lr=self.lr,
            momentum=self.momentum,
            weight_decay=self.weight_decay,
            decay_mask=[i % 2 == 0 for i in range(len(params))],
        )

    def _train(self, X: np.ndarray, targets: Any, epochs: int, *, full: bool) -> None:
        history = fit_loop(
            self.net_,
            X,
            targets,
            epochs=epochs,
            optimizer=self.optimizer_,
            batch_size=self.batch_size,
            schedule=self.schedule if full else None,
            seed=self.seed,
            validation_split=self.validation_split if full else 0.0,
            patience=self.patience if full else None,
        )
        self.history_ = history
        self.loss_curve_ = list(getattr(self, "loss_curve_", [])) + list(history.loss)
        self.n_iter_ = getattr(self, "n_iter_", 0) + len(history)

    def _net_input(self, X: Any, *, reset: bool) -> np.ndarray:
        return validate_data(self, X, reset=reset, dtype=[np.float64, np.float32])

    def __sklearn_tags__(self) -> Any:
        tags = super().__sklearn_tags__()
        tags.non_deterministic = False
        return tags


class MLPClassifier(ClassifierMixin, _BaseMLP):
    """A multilayer perceptron classifier: softmax outputs and cross-entropy, trained by
    backpropagation (Adam on mini-batches of 64 by default).

    Attributes after ``fit``: ``classes_``, ``net_`` (the backproplab MLP), ``history_``,
    ``loss_curve_``, ``n_iter_``, ``n_features_in_``.
    """

    def fit(self, X: Any, y: Any) -> MLPClassifier:
        for attr in ("loss_curve_", "n_iter_"):
            self.__dict__.pop(attr, None)
        X, y = validate_data(self, X, y, reset=True, dtype=[np.float64, np.float32])
        check_classification_targets(y)
        self.classes_, labels = np.unique(y, return_inverse=True)
        self._setup(X.shape[1])
        self._train(X, self._targets(labels), self.epochs, full=True)
        return self

    def partial_fit(self, X: Any, y: Any, classes: Any = None) -> MLPClassifier:
        """One epoch on (X, y), keeping the network and optimiser state between calls."""
        first = not hasattr(self, "net_")
        X, y = validate_data(self, X, y, reset=first, dtype=[np.float64, np.float32])
        check_classification_targets(y)
        if first:
            if classes is None:
                raise ValueError("classes must be passed on the first call to partial_fit")
            self.classes_ = np.unique(classes)
            self._setup(X.shape[1])
        elif classes is not None and not np.array_equal(np.unique(classes), self.classes_):
            raise ValueError(f"classes {np.unique(classes)} differ from {self.classes_}")
        unknown = np.setdiff1d(np.unique(y), self.classes_)
        if unknown.size:
            raise ValueError(f"y holds labels not in classes: {unknown}")
        labels = np.searchsorted(self.classes_, y)
        self._train(X, self._targets(labels), 1, full=False)
        return self

    def _setup(self, n_features: int) -> None:
        k = len(self.classes_)
        if k < 2:
            # One class: nothing to learn, every prediction is that class.
            self.net_ = self._new_network(n_features, 1, "sigmoid", "bce")
        elif k == 2:
            self.net_ = self._new_network(n_features, 1, "sigmoid", "bce")
        else:
            self.net_ = self._new_network(n_features, k, "softmax", "cross_entropy")
        self.optimizer_ = self._new_optimizer()

    def _targets(self, labels: np.ndarray) -> np.ndarray:
        if self.net_.n_outputs == 1:
            return labels.astype(np.float64).reshape(-1, 1)
        return labels

    def predict_proba(self, X: Any) -> np.ndarray:
        check_is_fitted(self, "net_")
        out = self.net_.predict(self._net_input(X, reset=False)).astype(np.float64)
        if len(self.classes_) == 1:
            return np.ones((out.shape[0], 1))
        if out.shape[1] == 1:
            return np.column_stack([1.0 - out[:, 0], out[:, 0]])
        return out

    def predict_log_proba(self, X: Any) -> np.ndarray:
        with np.errstate(divide="ignore"):
            return np.log(self.predict_proba(X))

    def predict(self, X: Any) -> np.ndarray:
        proba = self.predict_proba(X)  # checks that the estimator is fitted
        return self.classes_[np.argmax(proba, axis=1)]


class MLPRegressor(RegressorMixin, _BaseMLP):
    """A multilayer perceptron regressor: linear outputs and the slides' mean squared error
    (no 1/2), trained by backpropagation. The target is standardised internally.

    Attributes after ``fit``: ``net_``, ``history_``, ``loss_curve_``, ``n_iter_``,
    ``n_features_in_``, ``y_mean_``, ``y_scale_``.
    """

    def fit(self, X: Any, y: Any) -> MLPRegressor:
        for attr in ("loss_curve_", "n_iter_"):
            self.__dict__.pop(attr, None)
        X, y = validate_data(
            self, X, y, reset=True, multi_output=True, y_numeric=True,
            dtype=[np.float64, np.float32],
        )  # fmt: skip
        self._setup(X.shape[1], y)
        self._train(X, self._targets(y), self.epochs, full=True)
        return self

    def partial_fit(self, X: Any, y: Any) -> MLPRegressor:
        """One epoch on (X, y), keeping the network and optimiser state between calls."""
        first = not hasattr(self, "net_")
        X, y = validate_data(
            self, X, y, reset=first, multi_output=True, y_numeric=True,
            dtype=[np.float64, np.float32],
        )  # fmt: skip
        if first:
            self._setup(X.shape[1], y)
        self._train(X, self._targets(y), 1, full=False)
        return self

    def _setup(self, n_features: int, y: np.ndarray) -> None:
        y2 = np.asarray(y, dtype=np.float64).reshape(len(y), -1)
        self._y_1d = np.ndim(y) == 1
        self.y_mean_ = y2.mean(axis=0)
        std = y2.std(axis=0)
        self.y_scale_ = np.where(std > 0, std, 1.0)
        self.net_ = self._new_network(n_features, y2.shape[1], "identity", "mse")
        self.optimizer_ = self._new_optimizer()

    def _targets(self, y: np.ndarray) -> np.ndarray:
        y2 = np.asarray(y, dtype=np.float64).reshape(len(y), -1)
        if y2.shape[1] != self.net_.n_outputs:
            raise ValueError(f"y has {y2.shape[1]} outputs, the model {self.net_.n_outputs}")
        return (y2 - self.y_mean_) / self.y_scale_

    def predict(self, X: Any) -> np.ndarray:
        check_is_fitted(self, "net_")
        out = self.net_.predict(self._net_input(X, reset=False)).astype(np.float64)
        out = out * self.y_scale_ + self.y_mean_
        return out[:, 0] if self._y_1d else out

    def __sklearn_tags__(self) -> Any:
        tags = super().__sklearn_tags__()
        tags.target_tags.multi_output = True  # y of shape (n, k) trains k linear outputs
        return tags
