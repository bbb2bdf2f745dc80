"""Training on real data in-process: the issue's accuracy targets, splits, preprocessing."""

from __future__ import annotations

import numpy as np
import pytest

from backproplab.engine.errors import InputError
from backproplab.train.datasets import load_dataset
from backproplab.train.pipeline import build_network, prepare, train
from backproplab.train.preprocessing import Preprocessing, Standardizer
from backproplab.train.splits import split_indices

#: The fixed settings the README and the CLI tests use (one seed each; see the README).
DIGITS = dict(layers=[64, 64, 10], optimizer="nesterov", lr=0.02, epochs=50, batch_size=16,
              schedule="cosine", test_split=0.25, seed=0)  # fmt: skip
IRIS = dict(layers=[4, 16, 3], optimizer="adam", lr=0.01, epochs=200, weight_decay=1e-3,
            test_split=0.3, seed=0, split_seed=3)  # fmt: skip
DIABETES = dict(layers=[10, 8, 1], optimizer="sgd", lr=0.05, epochs=200, test_split=0.2, seed=0)


def test_digits_reaches_97_percent() -> None:
    result = train(load_dataset("digits"), **DIGITS)
    assert result.test_metrics["accuracy"] >= 0.97
    assert len(result.prepared.test_idx) == 450


def test_iris_reaches_95_percent() -> None:
    result = train(load_dataset("iris"), **IRIS)
    assert result.test_metrics["accuracy"] >= 0.95


def test_diabetes_r2_at_least_045() -> None:
    result = train(load_dataset("diabetes"), **DIABETES)
    assert result.test_metrics["r2"] >= 0.45
    # R^2 and RMSE are in the target's own units, computed here independently.
    from sklearn.metrics import r2_score

    ds = result.prepared.dataset
    rows = result.prepared.test_idx
    pre = result.prepared.preprocessing
    pred = pre.inverse_y(result.net.predict(pre.transform_X(ds.X[rows]))[:, 0])
    assert result.test_metrics["r2"] == pytest.approx(r2_score(ds.y[rows], pred), rel=1e-12)


def test_the_slides_network_learns_xor_through_the_pipeline() -> None:
    result = train(load_dataset("xor"), layers=[2, 2, 1], hidden="sigmoid", output="identity",
                   loss="mse", lr=0.5, epochs=5000, test_split=0.0, standardize=False)  # fmt: skip
    assert result.train_metrics["accuracy"] == 1.0
    assert result.history.loss[-1] < 1e-3
    assert result.test_metrics is None


def test_standardisation_is_fitted_on_the_training_rows_only() -> None:
    ds = load_dataset("wine")
    prepared = prepare(ds, test_split=0.25, seed=2)
    train_rows = ds.X[prepared.train_idx]
    np.testing.assert_allclose(prepared.preprocessing.features.mean, train_rows.mean(axis=0))
    np.testing.assert_allclose(prepared.preprocessing.features.scale, train_rows.std(axis=0))
    Xtr = prepared.X("train")
    np.testing.assert_allclose(Xtr.mean(axis=0), 0.0, atol=1e-12)
    assert not np.allclose(prepared.X("test").mean(axis=0), 0.0, atol=1e-3)


def test_preprocessing_round_trips_through_a_dict() -> None:
    rng = np.random.default_rng(0)
    X = rng.normal(5, 3, size=(40, 3))
    X[:, 2] = 7.0  # a constant column gets scale 1, not a division by zero
    pre = Preprocessing(Standardizer.fit(X), Standardizer.fit(X[:, 0]), ("a", "b", "c"), "t")
    again = Preprocessing.from_dict(pre.to_dict())
    assert again.transform_X(X).tobytes() == pre.transform_X(X).tobytes()
    assert np.all(np.isfinite(pre.transform_X(X)))
    np.testing.assert_allclose(pre.inverse_y(pre.transform_y(X[:, 0])), X[:, 0])


def test_stratified_split_keeps_class_proportions_and_is_seeded() -> None:
    y = np.array([0] * 80 + [1] * 20)
    keep, held = split_indices(100, 0.25, seed=1, stratify=y)
    assert len(held) == 25 and np.bincount(y[held]).tolist() == [20, 5]
    assert np.intersect1d(keep, held).size == 0 and len(keep) + len(held) == 100
    again = split_indices(100, 0.25, seed=1, stratify=y)
    np.testing.assert_array_equal(held, again[1])
    assert not np.array_equal(held, split_indices(100, 0.25, seed=2, stratify=y)[1])
    with pytest.raises(InputError, match=r"fraction must lie in \[0, 1\)"):
        split_indices(100, 1.5)


@pytest.mark.parametrize(
    ("layers", "match"),
    [
        ([3, 8, 2], "starts with 3 inputs but 'moons' has 2 features"),
        ([2, 8, 3], "ends with 3 outputs; 'moons' has 2 classes"),
    ],
)
def test_layers_must_fit_the_data(layers, match) -> None:
    with pytest.raises(InputError, match=match):
        build_network(load_dataset("moons"), layers)


def test_one_output_unit_for_two_classes_uses_bce() -> None:
    net = build_network(load_dataset("moons"), [2, 8, 1])
    assert net.loss_name == "bce" and net.activations[-1] == "sigmoid"
    result = train(load_dataset("moons"), layers=[2, 8, 1], epochs=200, optimizer="adam")
    assert result.test_metrics["accuracy"] > 0.85
