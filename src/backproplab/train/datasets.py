"""Data sets by name: small 2-D toy problems, a 1-D curve, and real data bundled with scikit-learn.

Everything here is generated or read locally (no downloads) and is deterministic for a seed::

    from backproplab.train.datasets import load_dataset
    ds = load_dataset("moons", n_samples=300, noise=0.2, seed=1)
    ds.X.shape, ds.y[:5], ds.task, ds.class_names

Classification targets are integer labels 0..k-1 (names in ``class_names``); regression
targets are floats. ``X`` is always a float64 array of shape (n_samples, n_features).
"""

from __future__ import annotations

import importlib.util
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ..engine.errors import InputError

#: The generated 2-D classification problems (each draws a decision boundary in the plots).
TOY_2D = ("xor", "circles", "moons", "spirals", "gaussians")
#: Data sets that ship inside scikit-learn (no download needed).
SKLEARN_DATASETS = ("iris", "wine", "breast_cancer", "digits", "diabetes")
#: Every name :func:`load_dataset` accepts.
DATASET_NAMES = (*TOY_2D, "curve", *SKLEARN_DATASETS)
#: Other spellings accepted by :func:`load_dataset`.
ALIASES = {"blobs": "gaussians", "breast-cancer": "breast_cancer", "cancer": "breast_cancer"}


class TableSizes:
    """``n_samples`` and ``n_classes`` of a table with ``X`` and ``class_names``."""

    X: np.ndarray
    class_names: tuple[str, ...]

    @property
    def n_samples(self) -> int:
        return int(self.X.shape[0])

    @property
    def n_classes(self) -> int:
        """Number of classes (0 for regression)."""
        return len(self.class_names)


@dataclass(frozen=True)
class Dataset(TableSizes):
    """A table of features ``X`` (n, d) and targets ``y`` (n,), with names for both.

    ``task`` is ``"classification"`` (``y`` holds integer labels indexing ``class_names``)
    or ``"regression"`` (``y`` holds floats and ``class_names`` is empty).
    """

    name: str
    X: np.ndarray
    y: np.ndarray
    task: str
    feature_names: tuple[str, ...]
    class_names: tuple[str, ...] = ()
    description: str = ""
    #: The name of the target column (for CSV files, the header's name).
    target_name: str = "y"

    @property
    def n_features(self) -> int:
        return int(self.X.shape[1])

    @property
    def is_classification(self) -> bool:
        return self.task == "classification"


def load_dataset(
    name: str, *, n_samples: int | None = None, noise: float | None = None, seed: int = 0
) -> Dataset:
    """The data set called ``name`` (one of :data:`DATASET_NAMES`).

    For the generated sets, ``n_samples`` (default 200; for ``xor`` the four truth-table
    points) and ``noise`` (the standard deviation of the Gaussian jitter; each set has its
    own default) shape the data, and ``seed`` makes it reproducible. For the scikit-learn
    sets, ``n_samples`` draws a random subset of that size (with ``seed``) and ``noise``
    must be left unset.
    """
    key = ALIASES.get(str(name).lower(), str(name).lower())
    if key not in DATASET_NAMES:
        from ..limits import did_you_mean

        raise InputError(
            f"unknown data set {name!r}{did_you_mean(name, (*DATASET_NAMES, *ALIASES))}; "
            f"expected one of {', '.join(DATASET_NAMES)} (or the path of a CSV file)"
        )
    if n_samples is not None and (
        isinstance(n_samples, bool) or not isinstance(n_samples, int | np.integer) or n_samples < 1
    ):
        raise InputError(f"n_samples must be a positive integer, got {n_samples!r}")
    if n_samples is not None:
        from ..limits import check_samples

        check_samples(int(n_samples))
    if noise is not None and (not np.isfinite(noise) or noise < 0):
        raise InputError(f"noise must be a finite number >= 0, got {noise!r}")
    if key in SKLEARN_DATASETS:
        if noise is not None:
            raise InputError(f"noise applies to generated data sets only, not to {key!r}")
        return _subsample(_load_sklearn(key), n_samples, seed)
    generator, default_n, default_noise = _GENERATORS[key]
    rng = np.random.default_rng(seed)
    n = default_n if n_samples is None else int(n_samples)
    if noise is None:
        # The truth table is exact; a larger XOR sample is a jittered cloud round each corner.
        noise = 0.15 if key == "xor" and n > 4 else default_noise
    return generator(rng, n, float(noise))


# ---------------------------------------------------------------------- generated sets
def _xor(rng: np.random.Generator, n: int, noise: float) -> Dataset:
    corners = np.array([[0.0, 0.0], [0.0, 1.0], [1.0, 0.0], [1.0, 1.0]])
    labels = np.array([0, 1, 1, 0])
    # Cycle through the corners so every class is equally represented; n=4 is the
    # truth table itself, in the order of the slides' exercise.
    idx = np.arange(n) % 4
    if n > 4:
        idx = rng.permutation(idx)
    X = corners[idx] + rng.normal(0.0, noise, size=(n, 2)) if noise > 0 else corners[idx]
    return _toy("xor", X, labels[idx], ("0", "1"), "XOR of two binary inputs")


def _circles(rng: np.random.Generator, n: int, noise: float) -> Dataset:
    y = _balanced_labels(rng, n, 2)
    angle = rng.uniform(0.0, 2 * np.pi, size=n)
    radius = np.where(y == 1, 0.5, 1.0)  # class 1 is the inner circle
    X = np.column_stack([radius * np.cos(angle), radius * np.sin(angle)])
    X += rng.normal(0.0, noise, size=X.shape)
    return _toy("circles", X, y, ("outer", "inner"), "two concentric circles")


def _moons(rng: np.random.Generator, n: int, noise: float) -> Dataset:
    y = _balanced_labels(rng, n, 2)
    t = rng.uniform(0.0, np.pi, size=n)
    # Upper half circle centred at (0, 0); lower one centred at (1, 0.5), interleaved.
    X = np.where(
        (y == 0)[:, None],
        np.column_stack([np.cos(t), np.sin(t)]),
        np.column_stack([1.0 - np.cos(t), 0.5 - np.sin(t)]),
    )
    X += rng.normal(0.0, noise, size=X.shape)
    return _toy("moons", X, y, ("upper", "lower"), "two interleaving half circles")


def _spirals(rng: np.random.Generator, n: int, noise: float) -> Dataset:
    y = _balanced_labels(rng, n, 2)
    t = np.sqrt(rng.uniform(0.0, 1.0, size=n))  # uniform density along the arm's length
    angle = 3.0 * np.pi * t + np.pi * y
    X = np.column_stack([t * np.cos(angle), t * np.sin(angle)])
    X += rng.normal(0.0, noise, size=X.shape)
    return _toy("spirals", X, y, ("arm 0", "arm 1"), "two interleaved spiral arms")


def _gaussians(rng: np.random.Generator, n: int, noise: float) -> Dataset:
    n_classes = 3
    y = _balanced_labels(rng, n, n_classes)
    angles = 2 * np.pi * np.arange(n_classes) / n_classes + np.pi / 2
    centres = np.column_stack([np.cos(angles), np.sin(angles)])
    X = centres[y] + rng.normal(0.0, noise, size=(n, 2))
    names = tuple(f"blob {k}" for k in range(n_classes))
    return _toy("gaussians", X, y, names, "three Gaussian blobs")


def _curve(rng: np.random.Generator, n: int, noise: float) -> Dataset:
    x = np.sort(rng.uniform(-3.0, 3.0, size=n))
    y = np.sin(x) + 0.3 * x + rng.normal(0.0, noise, size=n)
    return Dataset(
        name="curve",
        X=x.reshape(-1, 1),
        y=y,
        task="regression",
        feature_names=("x",),
        description="y = sin(x) + 0.3 x + noise, x in [-3, 3]",
    )


_GENERATORS: dict[str, tuple[Callable[[np.random.Generator, int, float], Dataset], int, float]] = {
    "xor": (_xor, 4, 0.0),
    "circles": (_circles, 200, 0.08),
    "moons": (_moons, 200, 0.15),
    "spirals": (_spirals, 300, 0.04),
    "gaussians": (_gaussians, 200, 0.35),
    "curve": (_curve, 200, 0.1),
}


def _balanced_labels(rng: np.random.Generator, n: int, n_classes: int) -> np.ndarray:
    return rng.permutation(np.arange(n) % n_classes)


def _toy(name: str, X: np.ndarray, y: np.ndarray, classes: tuple[str, ...], desc: str) -> Dataset:
    return Dataset(
        name=name,
        X=np.ascontiguousarray(X, dtype=np.float64),
        y=np.asarray(y, dtype=np.int64),
        task="classification",
        feature_names=("x1", "x2"),
        class_names=classes,
        description=desc,
    )


# ---------------------------------------------------------------------- scikit-learn sets
_SKLEARN_DESCRIPTIONS = {
    "iris": "Fisher's iris flowers: 4 measurements, 3 species",
    "wine": "wine cultivars: 13 chemical measurements, 3 classes",
    "breast_cancer": "Wisconsin breast cancer: 30 cell-nucleus features, malignant/benign",
    "digits": "8x8 images of handwritten digits 0-9 (64 pixel intensities 0-16)",
    "diabetes": "diabetes progression after one year from 10 baseline variables",
}


def _load_sklearn(key: str) -> Dataset:
    """scikit-learn's bundled data set, read from its own files (importing scikit-learn
    takes ~0.9 s, more than training on these data; tests/train compares the two)."""
    X, y, classes = _read_bundled(key)
    desc = _SKLEARN_DESCRIPTIONS[key]
    features = _FEATURES[key]
    if key == "diabetes":
        return Dataset(key, X, y, "regression", features, description=desc)
    return Dataset(key, X, y.astype(np.int64), "classification", features, classes, desc)


def _bundled_file(name: str) -> Path:
    spec = importlib.util.find_spec("sklearn")
    if spec is None or spec.origin is None:
        raise InputError("the built-in data sets iris, wine, ... need scikit-learn installed")
    return Path(spec.origin).parent / "datasets" / "data" / name


def _read_bundled(key: str) -> tuple[np.ndarray, np.ndarray, tuple[str, ...]]:
    if key == "digits":
        table = np.loadtxt(_bundled_file("digits.csv.gz"), delimiter=",")
        return np.ascontiguousarray(table[:, :-1]), table[:, -1], tuple(map(str, range(10)))
    if key == "diabetes":
        X = np.loadtxt(_bundled_file("diabetes_data_raw.csv.gz"))
        y = np.loadtxt(_bundled_file("diabetes_target.csv.gz"))
        # As load_diabetes(scaled=True): centred, scaled to unit norm per column.
        X = (X - X.mean(axis=0)) / X.std(axis=0) / np.sqrt(X.shape[0])
        return np.ascontiguousarray(X), y, ()
    name = {"iris": "iris.csv", "wine": "wine_data.csv", "breast_cancer": "breast_cancer.csv"}
    path = _bundled_file(name[key])
    with path.open() as f:
        header = f.readline().strip().split(",")
    table = np.loadtxt(path, delimiter=",", skiprows=1)
    return np.ascontiguousarray(table[:, :-1]), table[:, -1], tuple(header[2:])


_CANCER = ("radius", "texture", "perimeter", "area", "smoothness", "compactness", "concavity",
           "concave points", "symmetry", "fractal dimension")  # fmt: skip
#: The feature names scikit-learn gives these data sets.
_FEATURES: dict[str, tuple[str, ...]] = {
    "iris": ("sepal length (cm)", "sepal width (cm)", "petal length (cm)", "petal width (cm)"),
    "wine": ("alcohol", "malic_acid", "ash", "alcalinity_of_ash", "magnesium", "total_phenols",
             "flavanoids", "nonflavanoid_phenols", "proanthocyanins", "color_intensity", "hue",
             "od280/od315_of_diluted_wines", "proline"),
    "breast_cancer": tuple(f"mean {c}" for c in _CANCER) + tuple(f"{c} error" for c in _CANCER)
    + tuple(f"worst {c}" for c in _CANCER),
    "digits": tuple(f"pixel_{i}_{j}" for i in range(8) for j in range(8)),
    "diabetes": ("age", "sex", "bmi", "bp", "s1", "s2", "s3", "s4", "s5", "s6"),
}  # fmt: skip


def _subsample(ds: Dataset, n_samples: int | None, seed: int) -> Dataset:
    if n_samples is None:
        return ds
    if n_samples > ds.n_samples:
        raise InputError(
            f"n_samples={n_samples} is more than the {ds.n_samples} rows of {ds.name!r}"
        )
    idx = np.sort(np.random.default_rng(seed).choice(ds.n_samples, n_samples, replace=False))
    return Dataset(
        ds.name, ds.X[idx], ds.y[idx], ds.task, ds.feature_names, ds.class_names, ds.description
    )
