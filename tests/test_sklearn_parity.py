"""backproplab.sklearn against scikit-learn's own MLP, parameter by parameter, on the same
data: the same signature, errors, warnings and attributes; identical numbers where both
are deterministic (no shuffling: the same initial weights from the same random_state,
then the same steps); comparable scores where they are not."""

from __future__ import annotations

import contextlib
import inspect
import io
import warnings

import joblib
import numpy as np
import pytest
import scipy.sparse as sp
from sklearn import neural_network as sk
from sklearn.datasets import load_digits, load_iris, make_multilabel_classification
from sklearn.exceptions import ConvergenceWarning
from sklearn.model_selection import GridSearchCV, train_test_split
from sklearn.utils.class_weight import compute_sample_weight

import backproplab as bp
from backproplab import sklearn as ours

pytestmark = pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")

PAIRS = [(ours.MLPClassifier, sk.MLPClassifier), (ours.MLPRegressor, sk.MLPRegressor)]


def _iris() -> tuple[np.ndarray, np.ndarray]:
    X, y = load_iris(return_X_y=True)
    return (X - X.mean(0)) / X.std(0), y


def _regression(n_targets: int = 1) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(0)
    X = rng.normal(size=(120, 4))
    Y = np.column_stack([np.sin(X[:, 0]) + 0.5 * X[:, 1], X[:, 2] * X[:, 3]])
    return X, (Y[:, 0] if n_targets == 1 else Y[:, :n_targets])


def _params(est) -> list[np.ndarray]:
    return [np.asarray(p) for p in list(est.coefs_) + list(est.intercepts_)]


def assert_same_model(a, b, atol: float) -> None:
    for p, q in zip(_params(a), _params(b), strict=True):
        np.testing.assert_allclose(p, q, rtol=0, atol=atol)


def _both(cls_pair, X, y, **kw):
    """Fit ours and scikit-learn's with the same settings; returns (ours, theirs)."""
    mine, theirs = cls_pair
    return mine(**kw).fit(X, y), theirs(**kw).fit(X, y)


# ---------------------------------------------------------------- the interface
@pytest.mark.parametrize(("mine", "theirs"), PAIRS)
def test_same_parameters_and_defaults(mine, theirs) -> None:
    ours_sig = inspect.signature(mine.__init__).parameters
    their_sig = inspect.signature(theirs.__init__).parameters
    for name, p in their_sig.items():
        assert name in ours_sig, name
        assert ours_sig[name].default == p.default, name
        assert ours_sig[name].kind == p.kind, name
    extras = set(ours_sig) - set(their_sig)
    expected = {"activations", "dtype", "callbacks"}
    assert extras == (expected | {"class_weight"} if mine is ours.MLPClassifier else expected)
    assert mine().get_params().keys() >= theirs().get_params().keys()


BAD_PARAMETERS = [
    {"alpha": -1.0},
    {"solver": "newton"},
    {"activation": "swish2"},
    {"learning_rate": "fast"},
    {"learning_rate_init": 0.0},
    {"batch_size": 0},
    {"max_iter": 0},
    {"momentum": 1.5},
    {"validation_fraction": 1.0},
    {"beta_1": 1.0},
    {"epsilon": 0.0},
    {"n_iter_no_change": 0},
    {"max_fun": 0},
    {"tol": -1.0},
    {"hidden_layer_sizes": [10, 0]},
]


@pytest.mark.parametrize("bad", BAD_PARAMETERS, ids=lambda d: next(iter(d)))
@pytest.mark.parametrize(("mine", "theirs"), PAIRS)
def test_bad_parameters_fail_with_the_same_error(mine, theirs, bad) -> None:
    X, y = _iris()
    errors = []
    for cls in (mine, theirs):
        with pytest.raises(Exception) as info:
            cls(
                max_iter=bad.get("max_iter", 2), **{k: v for k, v in bad.items() if k != "max_iter"}
            ).fit(X, y)  # noqa: E501
        errors.append(info.value)
    assert type(errors[0]) is type(errors[1])
    if "activation" not in bad:  # ours accepts more activations, so its list is longer
        assert str(errors[0]) == str(errors[1])


@pytest.mark.parametrize(("mine", "theirs"), PAIRS)
def test_non_finite_and_bad_input_fail_with_the_same_error(mine, theirs) -> None:
    X, y = _iris()
    for bad_X in (np.where(np.arange(X.size).reshape(X.shape) == 7, np.nan, X),
                  np.where(np.arange(X.size).reshape(X.shape) == 7, np.inf, X)):  # fmt: skip
        messages = []
        for cls in (mine, theirs):
            with pytest.raises(ValueError) as info:
                cls(max_iter=2).fit(bad_X, y)
            messages.append(str(info.value))
        assert messages[0] == messages[1]
    fitted = [cls(max_iter=2).fit(X, y) for cls in (mine, theirs)]
    messages = []
    for est in fitted:
        with pytest.raises(ValueError) as info:
            est.predict(X[:, :3])
        messages.append(str(info.value))
    assert messages[0] == messages[1]


def test_partial_fit_availability_and_first_call() -> None:
    X, y = _iris()
    for cls in (ours.MLPClassifier, sk.MLPClassifier):
        assert not hasattr(cls(solver="lbfgs"), "partial_fit")
        with pytest.raises(ValueError, match="classes must be passed on the first call"):
            cls().partial_fit(X, y)
        with pytest.raises(ValueError, match="partial_fit does not support early_stopping"):
            cls(early_stopping=True).partial_fit(X, y, classes=[0, 1, 2])


def test_warm_start_needs_the_same_classes() -> None:
    X, y = _iris()
    messages = []
    for cls in (ours.MLPClassifier, sk.MLPClassifier):
        est = cls(warm_start=True, max_iter=2).fit(X, y)
        with pytest.raises(ValueError) as info:
            est.fit(X[y < 2], y[y < 2])
        messages.append(str(info.value))
    assert messages[0] == messages[1]


# ---------------------------------------------------------------- identical numbers
DETERMINISTIC = [
    {"solver": "sgd", "shuffle": False, "max_iter": 15},
    {"solver": "sgd", "shuffle": False, "max_iter": 15, "nesterovs_momentum": False},
    {"solver": "sgd", "shuffle": False, "max_iter": 15, "momentum": 0.0},
    {"solver": "sgd", "shuffle": False, "max_iter": 15, "learning_rate": "invscaling",
     "learning_rate_init": 0.2},
    {"solver": "sgd", "shuffle": False, "max_iter": 15, "batch_size": 50, "alpha": 0.01},
    # L-BFGS's line search amplifies rounding: after ~15 iterations a different branch can
    # be taken, so the comparison stops before.
    {"solver": "lbfgs", "max_iter": 10},
]  # fmt: skip


@pytest.mark.parametrize("settings", DETERMINISTIC, ids=str)
@pytest.mark.parametrize("activation", ["relu", "logistic", "tanh"])
def test_identical_to_sklearn_when_deterministic(settings, activation) -> None:
    X, y = _iris()
    kw = {"hidden_layer_sizes": (6, 5), "random_state": 0, "activation": activation, **settings}
    a, b = _both(PAIRS[0], X, y, **kw)
    assert_same_model(a, b, atol=1e-9)
    assert a.n_iter_ == b.n_iter_
    # With several batches an epoch, scikit-learn adds each batch's penalty at that batch's
    # weights; ours adds it at the epoch's starting weights (same steps, close loss_).
    rtol = 1e-4 if "batch_size" in settings else 1e-9
    assert a.loss_ == pytest.approx(b.loss_, rel=rtol)
    if settings["solver"] != "lbfgs":
        np.testing.assert_allclose(a.loss_curve_, b.loss_curve_, rtol=rtol)
        assert a.t_ == b.t_
    np.testing.assert_allclose(a.predict_proba(X), b.predict_proba(X), atol=1e-9)


@pytest.mark.parametrize("loss", ["squared_error", "poisson"])
@pytest.mark.parametrize("n_targets", [1, 2])
@pytest.mark.parametrize("solver", ["sgd", "lbfgs"])
def test_regressor_identical_when_deterministic(loss, n_targets, solver) -> None:
    X, Y = _regression(n_targets)
    if loss == "poisson":
        Y = np.exp(0.3 * Y)
    kw = {"loss": loss, "solver": solver, "hidden_layer_sizes": (7,), "random_state": 1,
          "shuffle": False, "max_iter": 12, "learning_rate_init": 0.01}  # fmt: skip
    a, b = _both(PAIRS[1], X, Y, **kw)
    assert a.out_activation_ == b.out_activation_
    assert_same_model(a, b, atol=1e-9)
    np.testing.assert_allclose(a.predict(X), b.predict(X), rtol=1e-8, atol=1e-9)
    assert a.loss_ == pytest.approx(b.loss_, rel=1e-8)


def test_adam_matches_up_to_where_epsilon_enters() -> None:
    # scikit-learn adds epsilon before Adam's bias correction, the engine (as PyTorch and
    # the paper) after it: the steps differ by far less than epsilon's size suggests.
    X, y = _iris()
    a, b = _both(PAIRS[0], X, y, solver="adam", shuffle=False, max_iter=20, random_state=0,
                 hidden_layer_sizes=(8,))  # fmt: skip
    assert_same_model(a, b, atol=1e-5)
    np.testing.assert_allclose(a.loss_curve_, b.loss_curve_, rtol=1e-6)


def test_one_partial_fit_step_from_set_coefs_is_identical() -> None:
    X, y = _iris()
    rng = np.random.default_rng(5)
    shapes = [(4, 10), (10, 3)]
    W = [rng.normal(size=s) for s in shapes]
    b = [rng.normal(size=s[1]) for s in shapes]
    results = []
    for cls in (ours.MLPClassifier, sk.MLPClassifier):
        est = cls(hidden_layer_sizes=(10,), solver="sgd", momentum=0.0, shuffle=False,
                  learning_rate_init=0.1, alpha=0.01, random_state=0)  # fmt: skip
        est.partial_fit(X[:10], y[:10], classes=np.unique(y))  # fitted: now set the weights
        est.coefs_ = [w.copy() for w in W]
        est.intercepts_ = [c.copy() for c in b]
        est.partial_fit(X, y)
        results.append(est)
    assert_same_model(*results, atol=1e-13)
    assert results[0].loss_ == pytest.approx(results[1].loss_, rel=1e-12)


def test_warm_start_fit_from_set_coefs_is_identical() -> None:
    X, y = _iris()
    rng = np.random.default_rng(6)
    results = []
    for cls in (ours.MLPClassifier, sk.MLPClassifier):
        est = cls(hidden_layer_sizes=(5,), solver="lbfgs", max_iter=1, random_state=0).fit(X, y)
        est.coefs_ = [rng_w.copy() for rng_w in (np.full((4, 5), 0.1), np.full((5, 3), -0.2))]
        est.intercepts_ = [np.linspace(-1, 1, 5), np.zeros(3)]
        est.set_params(warm_start=True, max_iter=15).fit(X, y)
        results.append(est)
    assert_same_model(*results, atol=1e-8)
    del rng


def test_multilabel_identical_and_shaped_like_sklearn() -> None:
    X, Y = make_multilabel_classification(n_samples=80, n_features=5, n_classes=3, random_state=0)
    X = X / X.max()
    a, b = _both(PAIRS[0], X, Y, solver="sgd", shuffle=False, max_iter=10, random_state=0,
                 hidden_layer_sizes=(6,), learning_rate_init=0.05)  # fmt: skip
    assert a.out_activation_ == b.out_activation_ == "logistic"
    assert a.n_outputs_ == b.n_outputs_ == 3
    assert_same_model(a, b, atol=1e-10)
    np.testing.assert_array_equal(a.predict(X), b.predict(X))
    np.testing.assert_allclose(a.predict_proba(X), b.predict_proba(X), atol=1e-10)
    np.testing.assert_allclose(a.loss_curve_, b.loss_curve_, rtol=1e-10)


def test_sample_weight_full_batch_identical() -> None:
    X, y = _iris()
    w = np.random.default_rng(0).uniform(0.2, 3.0, size=len(y))
    kw = {"solver": "sgd", "shuffle": False, "max_iter": 10, "random_state": 0,
          "hidden_layer_sizes": (6,), "alpha": 0.1, "batch_size": 500}  # fmt: skip
    a = ours.MLPClassifier(**kw).fit(X, y, sample_weight=w)
    b = sk.MLPClassifier(**kw).fit(X, y, sample_weight=w)
    assert_same_model(a, b, atol=1e-10)
    np.testing.assert_allclose(a.loss_curve_, b.loss_curve_, rtol=1e-10)


def test_stopping_rules_and_adaptive_rate_identical() -> None:
    X, y = _iris()
    base = {"solver": "sgd", "shuffle": False, "random_state": 0, "hidden_layer_sizes": (6,),
            "max_iter": 300}  # fmt: skip
    for extra in ({"tol": 1e-2, "n_iter_no_change": 3},
                  {"learning_rate": "adaptive", "tol": 1e-2, "n_iter_no_change": 2,
                   "learning_rate_init": 0.5}):  # fmt: skip
        a, b = _both(PAIRS[0], X, y, **base, **extra)
        assert a.n_iter_ == b.n_iter_ < 300
        assert a.best_loss_ == pytest.approx(b.best_loss_, rel=1e-9)
        assert_same_model(a, b, atol=1e-9)
        assert a._lr_now == pytest.approx(b._optimizer.learning_rate)


@pytest.mark.parametrize(("mine", "theirs"), PAIRS)
def test_early_stopping_same_split_scores_and_best_weights(mine, theirs) -> None:
    X, y = _iris() if mine is ours.MLPClassifier else _regression()
    kw = {"solver": "sgd", "shuffle": False, "random_state": 3, "hidden_layer_sizes": (6,),
          "early_stopping": True, "validation_fraction": 0.2, "max_iter": 200,
          "n_iter_no_change": 4, "learning_rate_init": 0.05}  # fmt: skip
    a, b = _both((mine, theirs), X, y, **kw)
    assert a.n_iter_ == b.n_iter_ < 200
    np.testing.assert_allclose(a.validation_scores_, b.validation_scores_, atol=1e-9)
    assert a.best_validation_score_ == pytest.approx(b.best_validation_score_)
    assert a.best_loss_ is None and b.best_loss_ is None
    assert_same_model(a, b, atol=1e-9)  # the best epoch's weights, restored
    assert len(a.validation_loss_curve_) == a.n_iter_  # ours adds the validation loss


def test_binary_early_stopping_split_is_stratified_as_sklearns() -> None:
    X, y = _iris()
    y = (y == 2).astype(int)
    a, b = _both(PAIRS[0], X, y, solver="sgd", shuffle=False, random_state=0, max_iter=8,
                 early_stopping=True, hidden_layer_sizes=(4,))  # fmt: skip
    np.testing.assert_allclose(a.validation_scores_, b.validation_scores_)


def test_verbose_prints_what_sklearn_prints() -> None:
    X, y = _iris()
    outputs = []
    for cls in (ours.MLPClassifier, sk.MLPClassifier):
        buffer = io.StringIO()
        with contextlib.redirect_stdout(buffer):
            cls(solver="sgd", shuffle=False, random_state=0, max_iter=40, tol=1e-2,
                n_iter_no_change=2, hidden_layer_sizes=(5,), verbose=True).fit(X, y)  # fmt: skip
        outputs.append(buffer.getvalue())
    assert outputs[0] == outputs[1]
    assert "Iteration 1, loss = " in outputs[0] and "Stopping." in outputs[0]


# ---------------------------------------------------------------- behaviour
@pytest.mark.parametrize("solver", ["adam", "sgd", "lbfgs"])
def test_same_fitted_attributes(solver) -> None:
    pd = pytest.importorskip("pandas")
    X, y = _iris()
    frame = pd.DataFrame(X, columns=["a", "b", "c", "d"])
    a, b = _both(PAIRS[0], frame, y, solver=solver, max_iter=5, random_state=0)
    public = {k for k in vars(b) if k.endswith("_") and not k.startswith("_")}
    public |= {"coefs_", "intercepts_"}
    for name in public:
        assert hasattr(a, name), name
    for name in ("n_layers_", "n_outputs_", "out_activation_", "n_features_in_", "t_",
                 "n_iter_"):  # fmt: skip
        assert getattr(a, name) == getattr(b, name), name
    np.testing.assert_array_equal(a.classes_, b.classes_)
    np.testing.assert_array_equal(a.feature_names_in_, b.feature_names_in_)
    assert [c.shape for c in a.coefs_] == [c.shape for c in b.coefs_]
    if solver != "lbfgs":
        assert len(a.loss_curve_) == len(b.loss_curve_) == a.n_iter_
        assert (a.validation_scores_, a.best_validation_score_) == (None, None)
    assert isinstance(a.net_, bp.MLP)


def test_sparse_input_gives_the_dense_results() -> None:
    X, y = _iris()
    dense = ours.MLPClassifier(solver="lbfgs", max_iter=20, random_state=0).fit(X, y)
    for fmt in (sp.csr_matrix, sp.csc_matrix):
        sparse = ours.MLPClassifier(solver="lbfgs", max_iter=20, random_state=0).fit(fmt(X), y)
        assert_same_model(dense, sparse, atol=1e-12)
        np.testing.assert_allclose(sparse.predict_proba(fmt(X)), dense.predict_proba(X))


@pytest.mark.parametrize("solver", ["adam", "lbfgs"])
def test_float32_stays_float32(solver) -> None:
    X, y = _iris()
    X32 = X.astype(np.float32)
    clf = ours.MLPClassifier(solver=solver, max_iter=30, random_state=0).fit(X32, y)
    assert clf.net_.dtype == np.float32
    assert all(c.dtype == np.float32 for c in clf.coefs_)
    assert clf.predict_proba(X32).dtype == np.float32
    theirs = sk.MLPClassifier(solver=solver, max_iter=30, random_state=0).fit(X32, y)
    if solver == "adam":  # scikit-learn keeps float32 too (its lbfgs returns float64)
        assert theirs.predict_proba(X32).dtype == np.float32
    reg = ours.MLPRegressor(max_iter=5, random_state=0, dtype="float64").fit(X32, X[:, 0])
    assert reg.net_.dtype == np.float64


def test_string_labels_and_binary_shapes_as_sklearn() -> None:
    X, y = _iris()
    labels = np.array(["setosa", "versicolor", "virginica"])[y]
    a, b = _both(PAIRS[0], X, labels, solver="lbfgs", max_iter=30, random_state=0)
    np.testing.assert_array_equal(a.classes_, b.classes_)
    np.testing.assert_array_equal(a.predict(X), b.predict(X))
    binary = labels == "virginica"
    a, b = _both(PAIRS[0], X, binary, solver="lbfgs", max_iter=30, random_state=0)
    assert a.n_outputs_ == b.n_outputs_ == 1
    assert a.predict_proba(X).shape == b.predict_proba(X).shape == (150, 2)
    np.testing.assert_allclose(a.predict_log_proba(X), np.log(a.predict_proba(X)))


@pytest.mark.parametrize("solver", ["adam", "lbfgs"])
def test_convergence_warnings_as_sklearn(solver) -> None:
    X, y = _iris()
    for cls in (ours.MLPClassifier, sk.MLPClassifier):
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            cls(solver=solver, max_iter=3, random_state=0).fit(X, y)
        messages = [str(w.message) for w in caught if w.category is ConvergenceWarning]
        assert len(messages) == 1, cls
        assert ("Maximum iterations (3)" in messages[0]) == (solver == "adam")
        if solver == "lbfgs":
            assert "lbfgs failed to converge after 3 iteration(s)" in messages[0]


def test_batch_size_larger_than_data_warns_as_sklearn() -> None:
    X, y = _iris()
    for cls in (ours.MLPClassifier, sk.MLPClassifier):
        with pytest.warns(UserWarning, match="It is going to be clipped"):
            cls(batch_size=1000, max_iter=2).fit(X, y)


def test_comparable_scores_on_digits() -> None:
    X, y = load_digits(return_X_y=True)
    Xtr, Xte, ytr, yte = train_test_split(X / 16, y, test_size=0.3, random_state=0, stratify=y)
    for solver in ("adam", "sgd"):
        kw = {"solver": solver, "hidden_layer_sizes": (32,), "max_iter": 30, "random_state": 0,
              "learning_rate_init": 0.01}  # fmt: skip
        a, b = _both(PAIRS[0], Xtr, ytr, **kw)
        assert abs(a.score(Xte, yte) - b.score(Xte, yte)) < 0.03, solver
        assert a.score(Xte, yte) > 0.9


# ---------------------------------------------------------------- tools
def test_grid_search_over_sklearns_parameter_names() -> None:
    X, y = _iris()
    grid = {"hidden_layer_sizes": [(5,), (10,)], "alpha": [1e-4, 1e-2], "solver": ["lbfgs"],
            "activation": ["tanh", "relu"]}  # fmt: skip
    searches = [
        GridSearchCV(cls(max_iter=50, random_state=0), grid, cv=3).fit(X, y)
        for cls in (ours.MLPClassifier, sk.MLPClassifier)
    ]
    assert searches[0].best_params_.keys() == searches[1].best_params_.keys()
    assert abs(searches[0].best_score_ - searches[1].best_score_) < 0.03


def test_joblib_round_trip(tmp_path) -> None:
    X, y = _iris()
    clf = ours.MLPClassifier(hidden_layer_sizes=(6,), max_iter=30, random_state=0).fit(X, y)
    reg = ours.MLPRegressor(loss="poisson", solver="lbfgs", max_iter=20, random_state=0).fit(
        X, np.exp(X[:, 0])
    )
    for est in (clf, reg):
        path = tmp_path / f"{type(est).__name__}.joblib"
        joblib.dump(est, path)
        again = joblib.load(path)
        np.testing.assert_array_equal(again.predict(X), est.predict(X))
        again.set_params(warm_start=True, max_iter=2).fit(X, y if est is clf else np.exp(X[:, 0]))


# ---------------------------------------------------------------- what ours adds
def test_class_weight_is_sample_weight() -> None:
    X, y = _iris()
    y = np.where(y == 0, 0, 1)  # imbalanced: 50 against 100
    kw = {"solver": "lbfgs", "max_iter": 20, "random_state": 0, "hidden_layer_sizes": (4,)}
    balanced = ours.MLPClassifier(class_weight="balanced", **kw).fit(X, y)
    by_hand = ours.MLPClassifier(**kw).fit(X, y, sample_weight=compute_sample_weight("balanced", y))
    assert_same_model(balanced, by_hand, atol=0)
    as_dict = ours.MLPClassifier(class_weight={0: 2.0, 1: 1.0}, **kw).fit(X, y)
    theirs = sk.MLPClassifier(**kw).fit(X, y, sample_weight=np.where(y == 0, 2.0, 1.0))
    assert_same_model(as_dict, theirs, atol=1e-8)


def test_per_layer_and_engine_activations() -> None:
    X, y = _iris()
    clf = ours.MLPClassifier(hidden_layer_sizes=(6, 5), activations=["gelu", "leaky_relu"],
                             solver="lbfgs", max_iter=40, random_state=0).fit(X, y)  # fmt: skip
    assert clf.net_.activations == ["gelu", "leaky_relu", "softmax"]
    assert clf.score(X, y) > 0.9
    for name in ("elu", "silu", "softplus", "sigmoid"):
        ours.MLPClassifier(activation=name, max_iter=2).fit(X, y)
    with pytest.raises(ValueError, match="one name per hidden layer"):
        ours.MLPClassifier(hidden_layer_sizes=(4,), activations=["relu", "tanh"]).fit(X, y)


def test_callbacks_see_the_fitted_network_and_can_stop() -> None:
    X, y = _iris()
    seen = []

    class Spy(bp.engine.fit.Callback):
        def on_train_begin(self, net, info):
            seen.append(net)

    def stop_at_three(epoch, logs):
        return epoch == 3

    clf = ours.MLPClassifier(max_iter=50, callbacks=[Spy(), stop_at_three], random_state=0)
    clf.fit(X, y)
    assert seen == [clf.net_]  # training ran through the engine's fit on net_
    assert clf.n_iter_ == 3 and len(clf.loss_curve_) == 3


def test_explain_a_fitted_estimators_step() -> None:
    X, y = _iris()
    clf = ours.MLPClassifier(hidden_layer_sizes=(3,), solver="lbfgs", max_iter=10,
                             random_state=0).fit(X, y)  # fmt: skip
    explanation = bp.explain(clf.net_, X[:2], y[:2], lr=0.1)
    assert "Forward pass" in explanation.to_text()
    g = clf.net_.gradients(X[:2], y[:2])
    before = clf.coefs_[0].copy()
    clf.net_.step(X[:2], y[:2], lr=0.1)
    np.testing.assert_allclose(clf.coefs_[0], before - 0.1 * g.weights[0])


def test_partial_fit_keeps_the_networks_dtype() -> None:
    X, y = _iris()
    clf = ours.MLPClassifier(dtype="float32", random_state=0)
    clf.partial_fit(X, y, classes=[0, 1, 2])  # float64 data, float32 network
    clf.partial_fit(X.astype(np.float32), y)
    assert clf.net_.dtype == np.float32 and clf.t_ == 2 * len(X)
