"""The data sets: shapes, label balance, determinism, and clear errors for bad requests."""

from __future__ import annotations

import numpy as np
import pytest

from backproplab.engine.errors import InputError
from backproplab.train.datasets import DATASET_NAMES, TOY_2D, Dataset, load_dataset


@pytest.mark.parametrize("name", DATASET_NAMES)
def test_every_dataset_is_well_formed(name: str) -> None:
    ds = load_dataset(name)
    assert isinstance(ds, Dataset)
    assert ds.name == name
    assert ds.X.ndim == 2 and ds.X.dtype == np.float64
    assert ds.y.shape == (ds.X.shape[0],)
    assert len(ds.feature_names) == ds.X.shape[1]
    assert np.isfinite(ds.X).all() and np.isfinite(ds.y).all()
    if ds.task == "classification":
        assert ds.y.dtype == np.int64
        # Every class occurs, and the labels index class_names.
        assert set(np.unique(ds.y)) == set(range(len(ds.class_names)))
    else:
        assert ds.task == "regression" and ds.class_names == ()


@pytest.mark.parametrize("name", TOY_2D)
def test_toy_sets_are_2d_seeded_and_sized(name: str) -> None:
    a = load_dataset(name, n_samples=60, seed=3)
    b = load_dataset(name, n_samples=60, seed=3)
    c = load_dataset(name, n_samples=60, seed=4)
    assert a.X.shape == (60, 2)
    np.testing.assert_array_equal(a.X, b.X)
    np.testing.assert_array_equal(a.y, b.y)
    assert not np.array_equal(a.X, c.X)
    counts = np.bincount(a.y)
    assert counts.max() - counts.min() <= 1  # balanced classes


def test_xor_default_is_the_truth_table() -> None:
    ds = load_dataset("xor")
    np.testing.assert_array_equal(ds.X, [[0, 0], [0, 1], [1, 0], [1, 1]])
    np.testing.assert_array_equal(ds.y, [0, 1, 1, 0])
    cloud = load_dataset("xor", n_samples=100)
    # A jittered cloud: the label is the XOR of the nearest corner's coordinates.
    corner = np.rint(np.clip(cloud.X, 0, 1)).astype(int)
    agree = np.mean((corner[:, 0] ^ corner[:, 1]) == cloud.y)
    assert agree > 0.9 and not np.array_equal(cloud.X, np.rint(cloud.X))


def test_circles_inner_class_has_smaller_radius() -> None:
    ds = load_dataset("circles", n_samples=400, noise=0.0)
    r = np.hypot(ds.X[:, 0], ds.X[:, 1])
    np.testing.assert_allclose(r[ds.y == 1], 0.5)
    np.testing.assert_allclose(r[ds.y == 0], 1.0)


def test_noise_zero_curve_is_the_documented_function() -> None:
    ds = load_dataset("curve", n_samples=50, noise=0.0)
    x = ds.X[:, 0]
    np.testing.assert_allclose(ds.y, np.sin(x) + 0.3 * x)


def test_sklearn_sets_match_their_sources_and_subsample() -> None:
    from sklearn.datasets import load_digits

    ds = load_dataset("digits")
    assert ds.X.shape == (1797, 64) and ds.n_classes == 10
    np.testing.assert_array_equal(ds.X, load_digits().data)
    sub = load_dataset("digits", n_samples=100, seed=1)
    assert sub.X.shape == (100, 64)
    assert load_dataset("blobs").name == "gaussians"


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"name": "mnist"}, "unknown data set 'mnist'"),
        ({"name": "moons", "n_samples": 0}, "n_samples must be a positive integer"),
        ({"name": "moons", "noise": -1.0}, "noise must be"),
        ({"name": "iris", "noise": 0.1}, "noise applies to generated data sets only"),
        ({"name": "iris", "n_samples": 1000}, "more than the 150 rows"),
    ],
)
def test_bad_requests_give_clear_errors(kwargs: dict, match: str) -> None:
    with pytest.raises(InputError, match=match):
        load_dataset(**kwargs)


@pytest.mark.parametrize("name", ["iris", "wine", "breast_cancer", "digits", "diabetes"])
def test_bundled_data_sets_equal_scikit_learns_loaders(name) -> None:
    from sklearn import datasets as skd

    ours = load_dataset(name)
    bunch = getattr(skd, f"load_{name}")()
    np.testing.assert_allclose(ours.X, bunch.data, rtol=1e-12, atol=1e-15)
    np.testing.assert_array_equal(ours.y, bunch.target)
    assert list(ours.feature_names) == [str(f) for f in bunch.feature_names]
    if name != "diabetes":
        assert list(ours.class_names) == [str(c) for c in bunch.target_names]
