"""ONNX export checked with onnxruntime: backproplab.io.to_onnx and skl2onnx's to_onnx."""

from __future__ import annotations

import warnings

import numpy as np
import pytest
from sklearn.datasets import load_iris, make_multilabel_classification

import backproplab as bp
from backproplab import io
from backproplab.engine import functions as FUNCTIONS
from backproplab.sklearn import MLPClassifier, MLPRegressor

ort = pytest.importorskip("onnxruntime")
pytestmark = pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")
TOL = {np.float32: 1e-5, np.float64: 1e-9}


def _session(model):
    return ort.InferenceSession(model.SerializeToString(), providers=["CPUExecutionProvider"])


def _iris(dtype):
    X, y = load_iris(return_X_y=True)
    return ((X - X.mean(0)) / X.std(0)).astype(dtype), y


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("labels", ["int", "str", "binary"])
def test_classifier(dtype, labels) -> None:
    X, y = _iris(dtype)
    if labels == "str":
        y = np.array(["setosa", "versicolor", "virginica"])[y]
    elif labels == "binary":
        y = (y == 2).astype(int)
    clf = MLPClassifier(hidden_layer_sizes=(6, 4), max_iter=30, random_state=0).fit(X, y)
    label, proba = _session(io.to_onnx(clf)).run(None, {"X": X})
    np.testing.assert_allclose(proba, clf.predict_proba(X), rtol=0, atol=TOL[dtype])
    assert proba.dtype == dtype
    np.testing.assert_array_equal(label, clf.predict(X))


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("loss", ["squared_error", "poisson"])
def test_regressor(dtype, loss) -> None:
    X, _ = _iris(dtype)
    Y = np.exp(0.5 * X[:, :2]) if loss == "poisson" else X[:, :2] * 3
    reg = MLPRegressor(loss=loss, hidden_layer_sizes=(5,), solver="lbfgs", max_iter=30,
                       random_state=0).fit(X, Y)  # fmt: skip
    (out,) = _session(io.to_onnx(reg)).run(None, {"X": X})
    np.testing.assert_allclose(out, reg.predict(X), rtol=TOL[dtype], atol=TOL[dtype])


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_multilabel(dtype) -> None:
    X, Y = make_multilabel_classification(n_samples=60, n_features=4, n_classes=3, random_state=0)
    X = (X / X.max()).astype(dtype)
    clf = MLPClassifier(hidden_layer_sizes=(6,), max_iter=30, random_state=0).fit(X, Y)
    label, proba = _session(io.to_onnx(clf)).run(None, {"X": X})
    np.testing.assert_allclose(proba, clf.predict_proba(X), rtol=0, atol=TOL[dtype])
    np.testing.assert_array_equal(label, clf.predict(X))


#: Every hidden-layer activation of the engine's table but the identity: a new entry is
#: tested here without editing this file.
ACTIVATIONS = [d.name for d in FUNCTIONS.ACTIVATIONS if not d.output_only and d.name != "identity"]


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("loss", ["mse", "bce", "cross_entropy", "poisson"])
def test_bare_mlp_every_activation(dtype, loss) -> None:
    rng = np.random.default_rng(0)
    X = rng.normal(size=(25, 3)).astype(dtype)
    n_out = 3 if loss == "cross_entropy" else 2
    for act in ACTIVATIONS:
        net = bp.MLP([3, 4, 4, n_out], hidden=act, loss=loss, dtype=dtype, seed=1)
        (out,) = _session(io.to_onnx(net)).run(None, {"X": X})
        # ONNX Runtime has no float64 erf: gelu's runs in float32 there.
        tol = 1e-6 if act == "gelu" and dtype == np.float64 else TOL[dtype]
        np.testing.assert_allclose(out, net.predict(X), rtol=tol, atol=tol, err_msg=act)


def test_skl2onnx_converts_our_estimators() -> None:
    skl2onnx = pytest.importorskip("skl2onnx")
    X, y = _iris(np.float32)
    clf = MLPClassifier(hidden_layer_sizes=(5,), max_iter=20, random_state=0).fit(X, y)
    label, proba = _session(skl2onnx.to_onnx(clf, X[:1])).run(None, {"X": X})  # ZipMap
    np.testing.assert_array_equal(label, clf.predict(X))
    got = np.array([[row[c] for c in clf.classes_] for row in proba])
    np.testing.assert_allclose(got, clf.predict_proba(X), atol=1e-5)
    X64 = X.astype(np.float64)
    clf64 = MLPClassifier(hidden_layer_sizes=(5,), max_iter=20, random_state=0).fit(X64, y)
    model = skl2onnx.to_onnx(clf64, X64[:1], options={id(clf64): {"zipmap": False}})
    label, proba = _session(model).run(None, {"X": X64})
    np.testing.assert_allclose(proba, clf64.predict_proba(X64), rtol=0, atol=1e-9)
    reg = MLPRegressor(hidden_layer_sizes=(5,), max_iter=20, random_state=0).fit(X64, X64[:, 0])
    (out,) = _session(skl2onnx.to_onnx(reg, X64[:1])).run(None, {"X": X64})
    np.testing.assert_allclose(out.ravel(), reg.predict(X64), atol=1e-9)
    # A float64 network fed float32 by skl2onnx: cast in, computed in float64, cast out.
    (out,) = _session(skl2onnx.to_onnx(reg, X[:1])).run(None, {"X": X})
    np.testing.assert_allclose(out.ravel(), reg.predict(X), atol=1e-5)


def test_errors() -> None:
    with pytest.raises(bp.InputError, match="fitted backproplab.sklearn estimator"):
        io.to_onnx(MLPClassifier())
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        with pytest.raises(bp.InputError, match="got str"):
            io.to_onnx("model")


def test_a_clear_message_without_onnx(monkeypatch) -> None:
    import sys

    monkeypatch.setitem(sys.modules, "onnx", None)  # import onnx now raises ImportError
    with pytest.raises(bp.InputError, match=r"pip install 'backproplab\[onnx\]'"):
        io.to_onnx(bp.MLP([2, 2, 1]))
