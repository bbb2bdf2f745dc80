"""The scikit-learn estimators on dask collections: lbfgs equals the in-memory fit to 1e-10
whatever the chunking; sgd/adam are reproducible data-parallel steps; predict maps over chunks."""

from __future__ import annotations

import dask.array as da
import dask.dataframe as dd
import numpy as np
import pandas as pd
import pytest

from backproplab.sklearn import MLPClassifier, MLPRegressor

pytestmark = [
    pytest.mark.filterwarnings("ignore::backproplab.distributed.SmallDataWarning"),
    pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning"),
]

N = 97
#: one chunk; uneven chunks; more chunks (10) than workers (2)
CHUNKINGS = [(N,), (50, 4, 43), 10]
LBFGS = dict(hidden_layer_sizes=(5,), solver="lbfgs", max_iter=12, random_state=0)


def data(seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(N, 3))
    y = ((X[:, 0] * X[:, 1] > 0).astype(int) + (X[:, 2] > 0.5)).astype(int)  # 3 classes
    return X, y


def dask_pair(X: np.ndarray, y: np.ndarray, chunks) -> tuple[da.Array, da.Array]:
    return da.from_array(X, chunks=(chunks, -1)), da.from_array(y, chunks=(chunks, *y.shape[1:]))


def max_diff(a, b) -> float:
    pairs = zip(a.coefs_ + a.intercepts_, b.coefs_ + b.intercepts_, strict=True)
    return max(float(np.abs(p - q).max()) for p, q in pairs)


@pytest.mark.parametrize("chunks", CHUNKINGS)
def test_lbfgs_classifier_equals_in_memory_for_any_chunking(client, chunks) -> None:
    X, y = data()
    ref = MLPClassifier(**LBFGS).fit(X, y)
    Xd, yd = dask_pair(X, y, chunks)
    got = MLPClassifier(**LBFGS).fit(Xd, yd)
    assert max_diff(got, ref) < 1e-10
    assert got.n_iter_ == ref.n_iter_ == 12 and abs(got.loss_ - ref.loss_) < 1e-10
    np.testing.assert_array_equal(got.classes_, ref.classes_)
    assert got.n_features_in_ == 3 and not hasattr(got, "feature_names_in_")
    labels, proba = got.predict(Xd), got.predict_proba(Xd)
    assert isinstance(labels, da.Array) and isinstance(proba, da.Array)
    np.testing.assert_array_equal(labels.compute(), ref.predict(X))
    np.testing.assert_allclose(proba.compute(), ref.predict_proba(X), rtol=0, atol=1e-10)
    assert got.score(Xd, yd) == ref.score(X, y)


@pytest.mark.parametrize("chunks", CHUNKINGS)
def test_lbfgs_regressor_equals_in_memory_for_any_chunking(client, chunks) -> None:
    X, _ = data(1)
    target = np.sin(X[:, 0]) + X[:, 1] * X[:, 2]
    ref = MLPRegressor(**LBFGS).fit(X, target)
    Xd, yd = dask_pair(X, target, chunks)
    got = MLPRegressor(**LBFGS).fit(Xd, yd)
    assert max_diff(got, ref) < 1e-10
    assert got.n_iter_ == ref.n_iter_ == 12  # it trained as long
    pred = got.predict(Xd)
    assert isinstance(pred, da.Array) and pred.shape == (N,)
    np.testing.assert_allclose(pred.compute(), ref.predict(X), rtol=0, atol=1e-10)
    assert abs(got.score(Xd, yd) - ref.score(X, target)) < 1e-10


def test_two_outputs_and_multilabel_equal_in_memory(client) -> None:
    X, y = data(2)
    Y2 = np.column_stack([X[:, 0] - X[:, 1], X[:, 2] ** 2])
    ref = MLPRegressor(**LBFGS).fit(X, Y2)
    Xd = da.from_array(X, chunks=(25, 3))
    got = MLPRegressor(**LBFGS).fit(Xd, Y2)  # y in memory is split like X's chunks
    assert max_diff(got, ref) < 1e-10
    assert got.predict(Xd).shape == (N, 2)
    multilabel = np.column_stack([y == 0, y == 2, X[:, 0] > 0]).astype(int)
    ref = MLPClassifier(**LBFGS).fit(X, multilabel)
    Xd, Yd = dask_pair(X, multilabel, 25)
    got = MLPClassifier(**LBFGS).fit(Xd, Yd)
    assert max_diff(got, ref) < 1e-10
    np.testing.assert_array_equal(got.classes_, ref.classes_)
    np.testing.assert_array_equal(got.predict(Xd).compute(), ref.predict(X))


@pytest.mark.parametrize("solver", ["adam", "sgd"])
def test_stochastic_solvers_are_reproducible_and_close_to_in_memory(client, solver) -> None:
    X, y = data(3)
    kw = dict(hidden_layer_sizes=(5,), solver=solver, max_iter=6, batch_size=40,
              learning_rate_init=0.05, random_state=0)  # fmt: skip
    Xd, yd = dask_pair(X, y, (50, 4, 43))
    a = MLPClassifier(**kw).fit(Xd, yd)
    b = MLPClassifier(**kw).fit(Xd, yd)
    for p, q in zip(a.coefs_ + a.intercepts_, b.coefs_ + b.intercepts_, strict=True):
        np.testing.assert_array_equal(p, q)
    assert a.loss_curve_ == b.loss_curve_
    ref = MLPClassifier(**kw).fit(X, y)
    assert a.n_iter_ == len(a.loss_curve_) == ref.n_iter_ == 6
    assert a.t_ == ref.t_ == 6 * N
    assert a.best_loss_ == min(a.loss_curve_) and a.loss_ == a.loss_curve_[-1]
    assert a.loss_curve_[-1] < a.loss_curve_[0]
    assert abs(a.loss_ - ref.loss_) < 0.05 * ref.loss_  # other batches, the same training


def test_stochastic_tol_stops_and_adaptive_rate_on_dask(client) -> None:
    X, _ = data(4)
    target = X[:, 0] - 2 * X[:, 1]
    kw = dict(hidden_layer_sizes=(4,), solver="sgd", learning_rate="adaptive", max_iter=30,
              tol=10.0, n_iter_no_change=2, random_state=0)  # fmt: skip
    got = MLPRegressor(**kw).fit(*dask_pair(X, target, 30))  # full batch: 97 rows < 200
    ref = MLPRegressor(**kw).fit(X, target)
    assert got.n_iter_ == ref.n_iter_ < 30  # the adaptive rate went down to 1e-6, then stop
    np.testing.assert_allclose(got.loss_curve_, ref.loss_curve_, rtol=1e-10)
    assert got._lr_now == ref._lr_now


def test_dask_frame_with_string_labels_keeps_feature_names(client) -> None:
    X, y = data(5)
    frame = pd.DataFrame(X, columns=["a", "b", "c"]).assign(label=np.where(y > 0, "yes", "no"))
    # unknown divisions, as from read_parquet: X and y must still pair by partition
    ddf = dd.from_pandas(frame, npartitions=4).clear_divisions()
    features = ddf[["a", "b", "c"]]
    ref = MLPClassifier(**LBFGS).fit(frame[["a", "b", "c"]], frame["label"])
    got = MLPClassifier(**LBFGS).fit(features, ddf["label"])
    assert max_diff(got, ref) < 1e-10
    assert list(got.feature_names_in_) == ["a", "b", "c"]
    assert list(got.classes_) == ["no", "yes"]
    labels = got.predict(features)
    assert isinstance(labels, da.Array)
    np.testing.assert_array_equal(labels.compute(), ref.predict(frame[["a", "b", "c"]]))
    proba = got.predict_proba(features).compute()
    assert proba.shape == (N, 2)
    np.testing.assert_allclose(proba, ref.predict_proba(frame[["a", "b", "c"]]), atol=1e-10)
    log_proba = got.predict_log_proba(features)
    np.testing.assert_allclose(np.exp(log_proba.compute()), proba, atol=1e-12)
    assert got.score(features, ddf["label"]) == ref.score(frame[["a", "b", "c"]], frame["label"])
    with pytest.raises(ValueError, match="feature names"):
        got.predict(ddf[["b", "a", "c"]])


def test_string_labels_in_a_dask_array(client) -> None:
    X, y = data(6)
    names = np.array(["cat", "dog", "emu"])[y]
    ref = MLPClassifier(**LBFGS).fit(X, names)
    Xd, yd = dask_pair(X, names, 30)
    got = MLPClassifier(**LBFGS).fit(Xd, yd)
    np.testing.assert_array_equal(got.classes_, ["cat", "dog", "emu"])
    assert max_diff(got, ref) < 1e-10
    np.testing.assert_array_equal(got.predict(Xd).compute(), ref.predict(X))


def test_warm_start_goes_on_like_in_memory(client) -> None:
    X, y = data(7)
    kw = {**LBFGS, "max_iter": 5, "warm_start": True}
    ref = MLPClassifier(**kw).fit(X, y).fit(X, y)
    Xd, yd = dask_pair(X, y, 40)
    got = MLPClassifier(**kw).fit(Xd, yd).fit(Xd, yd)
    assert max_diff(got, ref) < 1e-10
    with pytest.raises(ValueError, match="same classes"):
        got.fit(Xd, da.from_array(np.where(y == 2, 1, y), chunks=40))


def test_unsupported_options_are_clear_one_line_errors(client) -> None:
    X, y = data(8)
    Xd, yd = dask_pair(X, y, 40)
    cases = [
        (MLPClassifier(solver="adam", early_stopping=True), {}, "early_stopping=True"),
        (MLPClassifier(solver="lbfgs", class_weight="balanced"), {}, "class_weight"),
        (MLPRegressor(solver="lbfgs"), {"sample_weight": np.ones(N)}, "sample_weight"),
    ]
    for est, extra, what in cases:
        with pytest.raises(ValueError, match=f"{what} is not supported on dask input") as info:
            est.fit(Xd, yd, **extra)
        assert "\n" not in str(info.value) and "compute" in str(info.value)
    est = MLPClassifier(solver="sgd")
    with pytest.raises(ValueError, match="partial_fit is not supported on dask input"):
        est.partial_fit(Xd, yd, classes=[0, 1, 2])
    assert not hasattr(est, "classes_")  # refused before anything was looked at
    with pytest.raises(ValueError, match="X is in memory"):
        MLPClassifier().fit(X, yd)


def test_bad_dask_input_fails_with_a_clear_value_error(client) -> None:
    X, y = data(9)
    est = MLPRegressor(**LBFGS)
    with pytest.raises(ValueError, match="2-D dask array"):
        est.fit(da.from_array(X[:, 0], chunks=40), da.from_array(y, chunks=40))
    frame = dd.from_pandas(pd.DataFrame({"a": X[:, 0], "s": ["u"] * N}), npartitions=2)
    with pytest.raises(ValueError, match=r"non-numeric columns \['s'\]"):
        est.fit(frame, da.from_array(y, chunks=49))
    bad = X.copy()
    bad[60, 1] = np.nan
    with pytest.raises(ValueError, match="chunk 1: X contains NaN"):
        est.fit(*dask_pair(bad, y.astype(float), 40))
    est.fit(*dask_pair(X, y.astype(float), 40))
    with pytest.raises(ValueError, match="X has 2 features, but MLPRegressor is expecting 3"):
        est.predict(da.from_array(X[:, :2], chunks=40))
