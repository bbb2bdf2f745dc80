"""The lab's data: the slides' single example, a built-in 2-D set, or a CSV file (upload.py).

This module only arranges data for the engine (targets as columns, one-hot or labels);
it never computes anything the network computes.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any

import numpy as np

from ..engine import SLIDES_INPUT, SLIDES_TARGET
from ..train.datasets import Dataset, TableSizes

#: Where the heat map is drawn for the slides' example: a window around its one point.
_SLIDES_WINDOW = ((-0.95, 1.05), (-0.9, 1.1))


@dataclass(frozen=True)
class LabData(TableSizes):
    """Inputs X (n, d) and what the page needs to draw and train on them.

    ``labels`` is what the page colours the points by: class indices for classification,
    target values for regression. ``targets(loss, n_outputs)`` is what the engine gets.
    The plot shows the two features ``view`` (for d > 2 a projection: the other features
    held at their mean), within ``bounds``.
    """

    name: str
    X: np.ndarray
    labels: np.ndarray
    task: str  # "classification" or "regression"
    class_names: tuple[str, ...]
    bounds: tuple[tuple[float, float], tuple[float, float]]
    feature_names: tuple[str, ...] = ("x1", "x2")
    view: tuple[int, int] = (0, 1)
    #: What was done to a CSV's columns (the page says it), else "".
    note: str = ""

    @property
    def n_features(self) -> int:
        return int(self.X.shape[1])

    def shown(self) -> np.ndarray:
        """The two plotted columns of X, (n, 2)."""
        return self.X[:, list(self.view)]

    def inputs_for(self, points: np.ndarray) -> np.ndarray:
        """Network inputs for plot points (m, 2): the shown features, the rest at their mean."""
        full = np.tile(self.X.mean(axis=0), (points.shape[0], 1))
        full[:, list(self.view)] = points
        return full

    def with_view(self, x: int, y: int) -> LabData:
        """The same data plotted against features x and y (0-based, distinct)."""
        return replace(self, view=(x, y), bounds=padded_bounds(self.X[:, [x, y]]))

    def output_units(self, loss: str) -> int:
        """Units the output layer needs for this data and loss."""
        if self.task == "regression":
            return 1
        if loss == "cross_entropy" or self.n_classes > 2:
            return max(self.n_classes, 2)
        return 1  # two classes, one unit: the probability (or score) of class 1

    def targets(self, loss: str) -> np.ndarray:
        """Targets in the form the engine takes for ``loss``."""
        if self.task == "regression":
            return self.labels.reshape(-1, 1).astype(np.float64)
        k = self.output_units(loss)
        labels = self.labels.astype(np.int64)
        if k == 1:
            return labels.reshape(-1, 1).astype(np.float64)
        if loss == "cross_entropy":
            return labels  # the engine one-hot encodes integer labels itself
        return np.eye(k)[labels]


def slides_example() -> LabData:
    """The slides' one training example: (i1, i2) = (0.05, 0.10), y = 0.01."""
    return LabData(
        name="slides",
        X=np.array([SLIDES_INPUT], dtype=np.float64),
        labels=np.array(SLIDES_TARGET, dtype=np.float64),
        task="regression",
        class_names=(),
        bounds=_SLIDES_WINDOW,
    )


def load_lab_data(name: str, *, n_samples: int | None, noise: float | None, seed: int) -> LabData:
    """The data set ``name`` ('slides' or one of the toy 2-D sets), seeded."""
    if name == "slides":
        return slides_example()
    from ..train.datasets import load_dataset  # imported here: the slides need no data sets

    ds = load_dataset(name, n_samples=n_samples, noise=noise, seed=seed)
    X = np.asarray(ds.X, dtype=np.float64)
    if ds.task == "classification":
        labels = np.asarray(ds.y, dtype=np.int64).reshape(-1)
    else:
        labels = np.asarray(ds.y, dtype=np.float64).reshape(-1)
    return from_dataset(ds, name, X, labels)


def from_dataset(
    ds: Dataset, name: str, X: np.ndarray, labels: np.ndarray, **extra: Any
) -> LabData:
    """A data set as the lab's data, with the inputs X and labels given (plotted against
    its first two features); ``extra``: more LabData fields."""
    return LabData(
        name=name,
        X=X,
        labels=labels,
        task=ds.task,
        class_names=tuple(ds.class_names),
        bounds=padded_bounds(X[:, :2]),
        **extra,
    )


def padded_bounds(X: np.ndarray) -> tuple[tuple[float, float], tuple[float, float]]:
    lo, hi = X.min(axis=0), X.max(axis=0)
    # Room around the points, so that the boundary is seen beyond the outermost ones.
    pad = np.maximum(0.12 * (hi - lo), 0.25)
    return (
        (float(lo[0] - pad[0]), float(hi[0] + pad[0])),
        (float(lo[1] - pad[1]), float(hi[1] + pad[1])),
    )
