"""Feature (and target) standardisation, fitted on the training part only and saved with a model.

Standardising inputs to mean 0 and standard deviation 1 keeps every feature on the scale the
initial weights were drawn for; fitting it on the training rows only keeps the validation and
test rows truly unseen. For regression the target is standardised as well, so that the loss
starts near 1 whatever the units of y; predictions are mapped back to those units.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from ..engine.errors import InputError


@dataclass(frozen=True)
class Standardizer:
    """x -> (x - mean) / scale, column by column (scale 1 where a column is constant)."""

    mean: np.ndarray
    scale: np.ndarray

    @classmethod
    def fit(cls, X: Any) -> Standardizer:
        arr = np.asarray(X, dtype=np.float64)
        if arr.ndim == 1:
            arr = arr.reshape(-1, 1)
        if arr.shape[0] == 0:
            raise InputError("cannot fit a standardisation on zero rows")
        std = arr.std(axis=0)
        # A constant column carries no information; dividing it by 1 keeps it finite.
        scale = np.where(std > 0, std, 1.0)
        return cls(mean=arr.mean(axis=0), scale=scale)

    def transform(self, X: Any) -> np.ndarray:
        arr = np.asarray(X, dtype=np.float64)
        return (arr - self.mean) / self.scale

    def inverse_transform(self, X: Any) -> np.ndarray:
        arr = np.asarray(X, dtype=np.float64)
        return arr * self.scale + self.mean

    def to_dict(self) -> dict[str, list[float]]:
        # JSON writes floats with repr, which round-trips float64 exactly.
        return {"mean": [float(v) for v in self.mean], "scale": [float(v) for v in self.scale]}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Standardizer:
        mean = np.asarray(data["mean"], dtype=np.float64)
        scale = np.asarray(data["scale"], dtype=np.float64)
        if mean.ndim != 1 or mean.shape != scale.shape:
            raise InputError("standardisation: mean and scale must be lists of the same length")
        if not (np.isfinite(mean).all() and np.isfinite(scale).all() and (scale > 0).all()):
            raise InputError("standardisation: mean must be finite and scale positive")
        return cls(mean=mean, scale=scale)


@dataclass(frozen=True)
class Preprocessing:
    """What is done to raw rows before the network sees them, and to its outputs after.

    ``features`` standardises X (or None); ``target`` standardises a regression target
    (or None); ``feature_names`` records the input columns in order, so that a CSV for
    ``predict`` can be checked against them.
    """

    features: Standardizer | None = None
    target: Standardizer | None = None
    feature_names: tuple[str, ...] = field(default_factory=tuple)
    target_name: str | None = None

    def transform_X(self, X: Any) -> np.ndarray:
        arr = np.asarray(X, dtype=np.float64)
        return self.features.transform(arr) if self.features is not None else arr

    def transform_y(self, y: Any) -> np.ndarray:
        arr = np.asarray(y, dtype=np.float64)
        return self.target.transform(arr) if self.target is not None else arr

    def inverse_y(self, y: Any) -> np.ndarray:
        arr = np.asarray(y, dtype=np.float64)
        return self.target.inverse_transform(arr) if self.target is not None else arr

    def to_dict(self) -> dict[str, Any]:
        return {
            "features": None if self.features is None else self.features.to_dict(),
            "target": None if self.target is None else self.target.to_dict(),
            "feature_names": list(self.feature_names),
            "target_name": self.target_name,
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Preprocessing:
        if not isinstance(data, dict):
            raise InputError("preprocessing must be a JSON object")
        feats = data.get("features")
        target = data.get("target")
        return cls(
            features=None if feats is None else Standardizer.from_dict(feats),
            target=None if target is None else Standardizer.from_dict(target),
            feature_names=tuple(str(n) for n in data.get("feature_names") or ()),
            target_name=data.get("target_name"),
        )


def fit_preprocessing(
    X_train: Any,
    y_train: Any | None = None,
    *,
    standardize: bool = True,
    regression: bool = False,
    feature_names: Sequence[str] = (),
    target_name: str | None = None,
) -> Preprocessing:
    """Fit the preprocessing on the *training* rows only.

    Values beyond :data:`~backproplab.limits.MAX_ABS_VALUE` are refused, naming the
    column: their squares overflow in the variance, and the network would train on inf.
    """
    from ..limits import MAX_ABS_VALUE

    if standardize:
        X = np.asarray(X_train, dtype=np.float64).reshape(len(X_train), -1)
        big = np.abs(X).max(axis=0) > MAX_ABS_VALUE if X.size else np.zeros(0, dtype=bool)
        if big.any():
            j = int(np.flatnonzero(big)[0])
            name = feature_names[j] if j < len(feature_names) else f"column {j + 1}"
            raise InputError(
                f"feature {name!r} holds values beyond ±{MAX_ABS_VALUE:g}, which overflow "
                "in standardisation; rescale the column"
            )
    if regression and y_train is not None:
        y = np.asarray(y_train, dtype=np.float64)
        if y.size and np.abs(y).max() > MAX_ABS_VALUE:
            raise InputError(
                f"the target {target_name or 'y'!r} holds values beyond ±{MAX_ABS_VALUE:g}, "
                "which overflow in standardisation; rescale it"
            )
    return Preprocessing(
        features=Standardizer.fit(X_train) if standardize else None,
        target=Standardizer.fit(y_train) if (regression and y_train is not None) else None,
        feature_names=tuple(feature_names),
        target_name=target_name,
    )
