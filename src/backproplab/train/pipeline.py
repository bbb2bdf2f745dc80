"""From a data set to a trained, evaluated model: what ``backproplab train`` does, as a function.

Steps: hold out a (stratified, seeded) test part; fit the standardisation on the training part
only; build the MLP (the output layer and loss follow from the task unless given); train with
:func:`backproplab.engine.fit.fit`; measure the training and test metrics in the data's own
units. Nothing here prints; the CLI supplies a progress callback.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import numpy as np

from ..engine.errors import InputError
from ..engine.fit import FitSettings, History, fit
from ..engine.network import MLP
from ..limits import check_epochs, check_network, did_you_mean
from .csv import load_csv
from .datasets import ALIASES, DATASET_NAMES, Dataset, load_dataset
from .preprocessing import Preprocessing, fit_preprocessing
from .splits import split_indices

#: Default learning rates, by optimiser (the slides' plain SGD tolerates a large one).
DEFAULT_LR = {"sgd": 0.1, "momentum": 0.05, "nesterov": 0.05, "adam": 0.01}


def load_data(
    source: str,
    *,
    target: str | None = None,
    task: str = "auto",
    n_samples: int | None = None,
    noise: float | None = None,
    seed: int = 0,
) -> Dataset:
    """A built-in data set by name, or a CSV file by path."""
    if source.lower() in DATASET_NAMES or source.lower() in ALIASES:
        if target is not None:
            raise InputError(f"--target applies to CSV files, not to the built-in {source!r}")
        return load_dataset(source, n_samples=n_samples, noise=noise, seed=seed)
    path = Path(source)
    if path.suffix.lower() in (".csv", ".tsv", ".txt") or path.exists():
        return load_csv(path, target=target, task=task)
    raise InputError(
        f"{source!r} is neither a built-in data set nor a CSV file"
        f"{did_you_mean(source, (*DATASET_NAMES, *ALIASES))}; the data sets: "
        f"{', '.join(DATASET_NAMES)}"
    )


@dataclass
class Prepared:
    """A data set split and standardised, ready for the network."""

    dataset: Dataset
    preprocessing: Preprocessing
    train_idx: np.ndarray
    test_idx: np.ndarray

    def X(self, part: str) -> np.ndarray:
        return self.preprocessing.transform_X(self.dataset.X[self._rows(part)])

    def y(self, part: str) -> np.ndarray:
        return self.dataset.y[self._rows(part)]

    def _rows(self, part: str) -> np.ndarray:
        return {"train": self.train_idx, "test": self.test_idx}[part]


def prepare(
    dataset: Dataset, *, test_split: float = 0.2, seed: int = 0, standardize: bool = True
) -> Prepared:
    """Hold out ``test_split`` of the rows; fit the preprocessing on the rest."""
    stratify = dataset.y if dataset.is_classification else None
    train_idx, test_idx = split_indices(
        dataset.n_samples, test_split, seed=seed, stratify=stratify, name="test"
    )
    if dataset.is_classification and len(np.unique(dataset.y[train_idx])) < 2:
        raise InputError("the training part holds a single class; use more data")
    pre = fit_preprocessing(
        dataset.X[train_idx],
        dataset.y[train_idx],
        standardize=standardize,
        regression=not dataset.is_classification,
        feature_names=dataset.feature_names,
        target_name=dataset.target_name,
    )
    return Prepared(dataset, pre, train_idx, test_idx)


def build_network(
    dataset: Dataset,
    layers: Sequence[int] | None = None,
    *,
    hidden: str = "tanh",
    output: str | None = None,
    loss: str | None = None,
    seed: int = 0,
    dtype: Any = np.float64,
) -> MLP:
    """An MLP shaped for ``dataset``: checks that the first and last layer sizes fit it.

    Defaults: two hidden layers of 16; for k classes k softmax outputs with cross-entropy
    (a single output means sigmoid + binary cross-entropy for two classes); for
    regression one linear output with the slides' mean squared error.
    """
    n_in = dataset.n_features
    n_out_default = dataset.n_classes if dataset.is_classification else 1
    sizes = list(layers) if layers is not None else [n_in, 16, 16, n_out_default]
    if len(sizes) < 2:
        raise InputError("--layers needs at least an input and an output size, e.g. 2,16,2")
    check_network(sizes, "--layers")
    if sizes[0] != n_in:
        raise InputError(
            f"--layers starts with {sizes[0]} inputs but {dataset.name!r} has {n_in} features"
        )
    n_out = sizes[-1]
    if dataset.is_classification:
        k = dataset.n_classes
        if n_out == 1 and k != 2:
            raise InputError(f"one output unit can separate 2 classes; {dataset.name!r} has {k}")
        if n_out not in (1, k):
            raise InputError(
                f"--layers ends with {n_out} outputs; {dataset.name!r} has {k} classes "
                f"(use {k}{', or 1 for two classes' if k == 2 else ''})"
            )
        if loss is None:
            loss = "bce" if n_out == 1 else "cross_entropy"
    else:
        if n_out != 1:
            raise InputError(f"--layers must end with 1 output for regression, got {n_out}")
        loss = loss or "mse"
    return MLP(sizes, hidden=hidden, output=output, loss=loss, seed=seed, dtype=dtype)


def network_targets(net: MLP, dataset: Dataset, y: np.ndarray, pre: Preprocessing) -> np.ndarray:
    """The targets in the form the network's loss takes."""
    if not dataset.is_classification:
        return pre.transform_y(y).reshape(-1, 1)
    if net.n_outputs == 1:
        return y.astype(np.float64).reshape(-1, 1)  # class 1 -> 1, class 0 -> 0
    if net.loss_name == "cross_entropy":
        return y
    return np.eye(net.n_outputs)[y]  # one-hot rows for mse on several outputs


def class_probabilities(net: MLP, X: np.ndarray) -> np.ndarray:
    """(n, k) class scores from the network: the outputs, or (1 - p, p) for one unit."""
    out = net.predict(X)
    if out.shape[1] == 1:
        p = out[:, 0]
        return np.column_stack([1.0 - p, p])
    return out


def predict_classes(net: MLP, X: np.ndarray) -> np.ndarray:
    """Class indices: argmax of the outputs, or output > 0.5 for one unit."""
    out = net.predict(X)
    if out.shape[1] == 1:
        return (out[:, 0] > 0.5).astype(np.int64)
    return np.argmax(out, axis=1)


def metrics(
    net: MLP, pre: Preprocessing, task: str, X_raw: np.ndarray, y: np.ndarray, *, net_targets: Any
) -> dict[str, float]:
    """Loss (as trained) and the task's metric: accuracy, or R^2 and RMSE in y's units."""
    X = pre.transform_X(X_raw)
    result = {"loss": float(net.loss(X, net_targets))}
    if task == "classification":
        result["accuracy"] = float(np.mean(predict_classes(net, X) == y))
    else:
        pred = pre.inverse_y(net.predict(X)[:, 0])
        resid = np.sum((y - pred) ** 2)
        total = np.sum((y - y.mean()) ** 2)
        result["r2"] = float(1.0 - resid / total) if total > 0 else float("nan")
        result["rmse"] = float(np.sqrt(np.mean((y - pred) ** 2)))
    return result


#: The options of a run, by the names the CLI and the model file's settings use.
RUN_OPTIONS = (
    "layers", "hidden", "output", "loss", "epochs", "lr", "batch_size", "optimizer",
    "momentum", "weight_decay", "schedule", "seed", "split_seed", "test_split", "val_split",
    "patience", "target", "task", "samples", "noise", "standardize",
)  # fmt: skip
#: Those that are settings of the fit loop, and the FitSettings field each one is.
FIT_OPTIONS = {
    "epochs": "epochs", "lr": "lr", "batch_size": "batch_size", "optimizer": "optimizer",
    "momentum": "momentum", "weight_decay": "weight_decay", "schedule": "schedule",
    "seed": "seed", "val_split": "validation_split", "patience": "patience",
}  # fmt: skip


def default_lr(optimizer: Any) -> float:
    """The learning rate an optimiser gets when none is given."""
    return DEFAULT_LR.get(str(optimizer).lower(), 0.1)


@dataclass
class TrainSettings:
    """Everything a run of :func:`train` is told, in one object that the CLI builds once and
    passes whole: the data (``target`` ... ``noise``: how :func:`load_data` reads it), the
    network, the test split, and the fit loop's :class:`~backproplab.engine.fit.FitSettings`
    (whose ``seed`` also draws the initial weights).

    Build it from the run's options by their CLI names with :meth:`from_options`, change it
    with :meth:`replace`; :meth:`record` is what a model file keeps of it.
    """

    layers: Sequence[int] | None = None
    hidden: str = "tanh"
    output: str | None = None
    loss: str | None = None
    split_seed: int | None = None
    test_split: float = 0.2
    standardize: bool = True
    target: str | None = None
    task: str = "auto"
    samples: int | None = None
    noise: float | None = None
    fit: FitSettings = field(default_factory=lambda: FitSettings(epochs=300))

    @classmethod
    def from_options(cls, **options: Any) -> TrainSettings:
        """Settings from options named as :data:`RUN_OPTIONS` (or FitSettings fields); the
        others keep their defaults, and an ``lr`` not given is the optimiser's default."""
        return cls().replace(**{"lr": None, **options})

    def replace(self, **options: Any) -> TrainSettings:
        """A copy with some options changed, named as :data:`RUN_OPTIONS` or as fields of
        FitSettings (``callbacks``, ``resume``, ...); ``lr=None`` is the optimiser's default."""
        own = {
            k: options.pop(k) for k in list(options) if k in RUN_OPTIONS and k not in FIT_OPTIONS
        }
        loop = {FIT_OPTIONS.get(k, k): v for k, v in options.items()}
        if "lr" in loop and loop["lr"] is None:
            loop["lr"] = default_lr(loop.get("optimizer", self.fit.optimizer))
        return replace(self, **own, fit=self.fit.replace(**loop))

    def option(self, name: str) -> Any:
        """One option by its name in :data:`RUN_OPTIONS`."""
        return getattr(self.fit, FIT_OPTIONS[name]) if name in FIT_OPTIONS else getattr(self, name)

    def record(self) -> dict[str, Any]:
        """The options as a model file's settings record them: all but the layers, which the
        network itself holds; :meth:`from_options` of it gives the run again (``--resume``)."""
        return {name: self.option(name) for name in RUN_OPTIONS if name != "layers"}

    @property
    def test_seed(self) -> int | None:
        """The seed of the test split: ``split_seed``, else ``seed`` (so that a test set can
        stay fixed while the seed of the weights varies)."""
        return self.fit.seed if self.split_seed is None else self.split_seed


@dataclass
class TrainResult:
    net: MLP
    prepared: Prepared
    history: History
    train_metrics: dict[str, float]
    test_metrics: dict[str, float] | None
    #: The run's settings, as :meth:`TrainSettings.record` gives them, with the data set's
    #: name and task and the seed the test split used.
    settings: dict[str, Any] = field(default_factory=dict)

    @property
    def classes(self) -> list[str] | None:
        ds = self.prepared.dataset
        return list(ds.class_names) if ds.is_classification else None


def train(
    dataset: Dataset,
    settings: TrainSettings | None = None,
    *,
    net: MLP | None = None,
    on_prepared: Callable[[Prepared, MLP], None] | None = None,
    **options: Any,
) -> TrainResult:
    """Split, standardise, build, train and evaluate; see the module docstring.

    ``settings`` (a :class:`TrainSettings`) or its options as keywords, which override it:
    ``train(ds, layers=[4, 16, 3], optimizer="adam", epochs=200)``. ``net`` continues
    training a network (a resumed run) instead of building one. ``on_prepared(prepared,
    net)`` is called once the data is split and the network built, before training (the
    CLI saves checkpoints with that preprocessing).
    """
    s = TrainSettings.from_options(**options) if settings is None else settings.replace(**options)
    prepared = prepare(
        dataset, test_split=s.test_split, seed=s.test_seed, standardize=s.standardize
    )
    check_epochs(s.fit.epochs, len(prepared.train_idx))
    if net is None:
        net = build_network(dataset, s.layers, hidden=s.hidden, output=s.output, loss=s.loss,
                            seed=s.fit.seed)  # fmt: skip
    if on_prepared is not None:
        on_prepared(prepared, net)
    pre = prepared.preprocessing
    ytr = prepared.y("train")
    targets = network_targets(net, dataset, ytr, pre)
    history = fit(net, prepared.X("train"), targets, s.fit)
    train_rows, test_rows = prepared.train_idx, prepared.test_idx
    train_m = metrics(net, pre, dataset.task, dataset.X[train_rows], dataset.y[train_rows],
                      net_targets=targets)  # fmt: skip
    test_m = None
    if len(test_rows):
        yte = dataset.y[test_rows]
        test_m = metrics(net, pre, dataset.task, dataset.X[test_rows], yte,
                         net_targets=network_targets(net, dataset, yte, pre))  # fmt: skip
    recorded = {**s.record(), "dataset": dataset.name, "task": dataset.task,
                "split_seed": s.test_seed}  # fmt: skip
    return TrainResult(net, prepared, history, train_m, test_m, recorded)
