"""The scikit-learn estimators: scikit-learn's own estimator checks, and real use."""

from __future__ import annotations

import pickle

import numpy as np
import pytest
from sklearn.datasets import load_iris
from sklearn.model_selection import GridSearchCV, cross_val_score, train_test_split
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler
from sklearn.utils.estimator_checks import parametrize_with_checks

from backproplab.sklearn import MLPClassifier, MLPRegressor

#: Checks that cannot apply to these estimators, with the reason.
NOT_APPLICABLE = {
    "check_array_api_input": (
        "the engine computes in NumPy only; inputs from other array-API namespaces "
        "(CuPy, torch, array_api_strict) are not supported"
    ),
}


def _check_name(check) -> str:
    return getattr(check, "__name__", None) or check.func.__name__


@parametrize_with_checks(
    [
        MLPClassifier(hidden_layer_sizes=(16,), max_iter=60, learning_rate_init=0.01),
        MLPRegressor(hidden_layer_sizes=(16,), max_iter=60, learning_rate_init=0.01),
        MLPClassifier(hidden_layer_sizes=(8,), solver="lbfgs", max_iter=50),
    ]
)
def test_sklearn_estimator_checks(estimator, check) -> None:
    name = _check_name(check)
    if name in NOT_APPLICABLE:
        pytest.xfail(NOT_APPLICABLE[name])
    check(estimator)


def test_classifier_in_a_pipeline_and_grid_search() -> None:
    X, y = load_iris(return_X_y=True)
    Xtr, Xte, ytr, yte = train_test_split(X, y, test_size=0.3, random_state=0, stratify=y)
    pipe = make_pipeline(
        StandardScaler(), MLPClassifier(hidden_layer_sizes=(16,), max_iter=100, random_state=0)
    )
    grid = GridSearchCV(pipe, {"mlpclassifier__learning_rate_init": [0.001, 0.01]}, cv=3)
    grid.fit(Xtr, ytr)
    assert grid.best_params_["mlpclassifier__learning_rate_init"] in (0.001, 0.01)
    assert grid.score(Xte, yte) >= 0.9
    proba = grid.predict_proba(Xte)
    np.testing.assert_allclose(proba.sum(axis=1), 1.0)
    assert set(grid.predict(Xte)) <= set(y)


def test_string_labels_binary_and_pickle() -> None:
    rng = np.random.default_rng(0)
    X = rng.normal(size=(120, 2))
    y = np.where(X[:, 0] + X[:, 1] > 0, "yes", "no")
    clf = MLPClassifier(hidden_layer_sizes=(8,), max_iter=300, learning_rate_init=0.01,
                        random_state=0).fit(X, y)  # fmt: skip
    assert list(clf.classes_) == ["no", "yes"]
    assert clf.score(X, y) > 0.95
    assert clf.predict_proba(X).shape == (120, 2)
    again = pickle.loads(pickle.dumps(clf))
    np.testing.assert_array_equal(again.predict_proba(X), clf.predict_proba(X))


def test_partial_fit_continues_training() -> None:
    X, y = load_iris(return_X_y=True)
    X = StandardScaler().fit_transform(X)
    clf = MLPClassifier(hidden_layer_sizes=(16,), learning_rate_init=0.01, random_state=0)
    losses = []
    for _ in range(30):
        clf.partial_fit(X, y, classes=np.unique(y))
        losses.append(clf.loss_curve_[-1])
    assert clf.n_iter_ == 1 and len(clf.loss_curve_) == 30  # scikit-learn's counts
    assert clf.t_ == 30 * len(X)
    assert losses[-1] < 0.5 * losses[0]
    with pytest.raises(ValueError, match="classes not in"):
        clf.partial_fit(X, np.full(len(y), 7))


def test_regressor_multi_output_and_cross_validation() -> None:
    rng = np.random.default_rng(1)
    X = rng.uniform(-2, 2, size=(300, 1))
    y = np.sin(X[:, 0])
    reg = MLPRegressor(hidden_layer_sizes=(16,), solver="lbfgs", random_state=0).fit(X, y)
    assert reg.score(X, y) > 0.95
    assert cross_val_score(MLPRegressor(solver="lbfgs", random_state=0), X, y, cv=3).mean() > 0.5
    reg2 = MLPRegressor(max_iter=30, random_state=0).fit(X, np.column_stack([y, -y]))
    assert reg2.predict(X).shape == (300, 2)


def test_constructor_takes_positions_and_keywords_as_sklearns() -> None:
    reg = MLPRegressor("poisson", (5,), "tanh", solver="lbfgs")
    assert (reg.loss, reg.hidden_layer_sizes, reg.activation, reg.solver) == (
        "poisson", (5,), "tanh", "lbfgs",
    )  # fmt: skip
    assert MLPClassifier((3, 2)).get_params()["hidden_layer_sizes"] == (3, 2)
    with pytest.raises(TypeError, match=r"MLPClassifier.__init__\(\) got an unexpected keyword"):
        MLPClassifier(seed=0)  # our engine's name; the estimators take scikit-learn's
    with pytest.raises(TypeError, match="too many positional arguments"):
        MLPClassifier((5,), "relu", "adam")  # solver is keyword-only, as in scikit-learn
    assert "class_weight" not in MLPRegressor().get_params()
