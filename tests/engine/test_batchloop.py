"""The compiled SGD epoch (engine/compiled/batchloop.py) against the NumPy path it replaces.

The reference is ``MLP._train_gradients`` + ``SGD.step`` batch by batch, the general path
that the gradient checks and the PyTorch comparisons (test_fit.py, test_optim.py) verify.
float64 must agree to rounding (1e-12); float32 to float32 rounding (the BLAS products sum
in another order when the update is folded into them).
"""

from __future__ import annotations

import numpy as np
import pytest

import backproplab as bp
from backproplab.engine.compiled import batchloop, blas
from backproplab.engine.errors import DivergenceError
from backproplab.engine.optim import SGD, Adam


def _data(net: bp.MLP, n: int, seed: int):
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, net.n_inputs))
    k = net.n_outputs
    if net.loss_name == "cross_entropy":
        Y = rng.integers(0, k, n)
    elif net.loss_name == "bce":
        Y = rng.integers(0, 2, (n, k))
    else:
        Y = rng.normal(size=(n, k))
    Xc = net.check_X(X)
    return Xc, net.check_Y(Y, n)


def _numpy_epochs(net, opt, X, Y, batch_size, epochs):
    totals = []
    for _ in range(epochs):
        total = 0.0
        for lo in range(0, X.shape[0], batch_size):
            g = net._train_gradients(X[lo : lo + batch_size], Y[lo : lo + batch_size])
            total += g.loss * len(X[lo : lo + batch_size])
            opt.step(g)
        totals.append(total)
    return totals


NETWORKS = [
    ([64, 32, 10], ["relu", "softmax"], "cross_entropy"),
    ([5, 7, 6, 3], ["tanh", "sigmoid", "identity"], "mse"),
    ([5, 8, 1], ["leaky_relu", "sigmoid"], "bce"),
    ([4, 6, 3], ["sigmoid", "softmax"], "mse"),
]
OPTIMISERS = [
    {"momentum": 0.0},  # plain SGD: the update is folded into the product
    {"momentum": 0.9},  # momentum: the velocity is built by the product
    {"momentum": 0.8, "nesterov": True, "weight_decay": 0.01},  # the general update loop
]


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize(("sizes", "acts", "loss"), NETWORKS)
@pytest.mark.parametrize("options", OPTIMISERS)
def test_compiled_epoch_equals_the_numpy_path(dtype, sizes, acts, loss, options) -> None:
    net = bp.MLP(sizes, acts, loss=loss, dtype=dtype, seed=2)
    ref = net.copy()
    X, Y = _data(net, 45, seed=len(sizes))  # 45 = 2 batches of 16 and one of 13
    mask = [i % 2 == 0 for i in range(2 * net.n_layers)]
    opt = SGD(list(net.parameters()), 0.05, decay_mask=mask, **options)
    ref_opt = SGD(list(ref.parameters()), 0.05, decay_mask=mask, **options)
    assert batchloop.applies(net, opt)
    work = batchloop.Workspace(net, opt, 16, 45)
    totals = []
    for _ in range(4):
        total, done = batchloop.sgd_epoch(net, opt, X, Y, work)
        assert done == 3
        totals.append(total)
    expected = _numpy_epochs(ref, ref_opt, X, Y, 16, 4)
    tol = 1e-12 if dtype == np.float64 else 2e-5
    np.testing.assert_allclose(totals, expected, rtol=tol)
    for a, b in zip(net.parameters(), ref.parameters(), strict=True):
        assert a.dtype == np.dtype(dtype)
        np.testing.assert_allclose(a, b, rtol=tol, atol=tol * np.abs(b).max())
    assert opt.steps == ref_opt.steps == 12
    for v, w in zip(opt.state_arrays().get("velocity", []), ref_opt.state_arrays().get(
            "velocity", []), strict=True):  # fmt: skip
        np.testing.assert_allclose(v, w, rtol=tol, atol=tol * np.abs(w).max())


def test_fit_uses_the_compiled_epoch_and_matches_the_numpy_loop(monkeypatch) -> None:
    """Digits-like float32 training with shuffles, momentum and a validation set."""
    net = bp.MLP([20, 16, 4], hidden="relu", loss="cross_entropy", dtype=np.float32, seed=0)
    X, Y = _data(net, 100, seed=3)
    ref = net.copy()
    calls = []
    original = batchloop.sgd_epoch
    monkeypatch.setattr(batchloop, "sgd_epoch", lambda *a: calls.append(1) or original(*a))
    history = net.fit(X, Y, epochs=3, lr=0.05, batch_size=32, momentum=0.9, seed=4,
                      validation_data=(X[:10], Y[:10]))  # fmt: skip
    assert len(calls) == 3
    # The reference: the same shuffles as fit draws, the NumPy step, the same optimiser.
    opt = SGD(list(ref.parameters()), 0.05, momentum=0.9)
    shuffler, order, losses = np.random.default_rng(4), np.arange(100), []
    for _ in range(3):
        shuffler.shuffle(order)
        losses.append(_numpy_epochs(ref, opt, X[order], Y[order], 32, 1)[0] / 100)
    np.testing.assert_allclose(history.loss, losses, rtol=2e-5)
    for a, b in zip(net.parameters(), ref.parameters(), strict=True):
        np.testing.assert_allclose(a, b, rtol=2e-5, atol=2e-5 * np.abs(b).max())
    assert np.isfinite(history["val_loss"]).all()


def test_a_callers_optimiser_keeps_its_velocity_across_fits() -> None:
    net = bp.MLP([6, 5, 2], hidden="tanh", loss="cross_entropy", seed=1)
    X, Y = _data(net, 40, seed=5)
    ref = net.copy()
    opt = SGD(list(net.parameters()), 0.1, momentum=0.9)
    net.fit(X, Y, epochs=2, batch_size=8, optimizer=opt, shuffle=False)
    net.fit(X, Y, epochs=2, batch_size=8, optimizer=opt, shuffle=False)
    ref_opt = SGD(list(ref.parameters()), 0.1, momentum=0.9)
    _numpy_epochs(ref, ref_opt, X, Y, 8, 4)
    assert opt.steps == 20
    for a, b in zip(net.parameters(), ref.parameters(), strict=True):
        np.testing.assert_allclose(a, b, rtol=1e-12, atol=1e-13)


def test_compiled_epoch_reports_divergence_and_puts_back_finite_parameters() -> None:
    net = bp.MLP([3, 16, 1], hidden="relu", dtype=np.float32, seed=0)
    rng = np.random.default_rng(0)
    X = rng.uniform(-3, 3, size=(200, 3))
    Y = X[:, :1] * 1e3
    with pytest.raises(DivergenceError, match=r"at epoch \d+ \(batch \d+ of 13\)") as info:
        net.fit(X, Y, epochs=100, lr=0.5, batch_size=16, momentum=0.9)
    assert all(np.isfinite(p).all() for p in net.parameters())
    assert np.isfinite(net.loss(X, Y))
    assert info.value.history.stop_reason == "diverged"  # type: ignore[attr-defined]


def test_numpy_blas_product_with_alpha_and_beta() -> None:
    gemm = blas.gemm(np.float32)
    assert gemm is not None, "NumPy's OpenBLAS (PyPI wheel) should export scipy_cblas_sgemm64_"
    rng = np.random.default_rng(0)
    A = rng.normal(size=(5, 3)).astype(np.float32)
    B = rng.normal(size=(5, 4)).astype(np.float32)
    C = rng.normal(size=(3, 4)).astype(np.float32)
    expected = -0.5 * (A.T.astype(float) @ B) + 2.0 * C
    gemm(blas.ROW_MAJOR, blas.TRANS, blas.NO_TRANS, 3, 4, 5, -0.5, A.ctypes.data, 3,
         B.ctypes.data, 4, 2.0, C.ctypes.data, 4)  # fmt: skip
    np.testing.assert_allclose(C, expected, rtol=1e-5, atol=1e-5)


def test_only_sgd_with_the_fit_loops_decay_mask_is_compiled() -> None:
    net = bp.MLP([4, 5, 2], seed=0)
    params = list(net.parameters())
    assert batchloop.applies(net, SGD(params, 0.1, momentum=0.5))
    assert not batchloop.applies(net, Adam(params, 0.1))
    assert not batchloop.applies(net, SGD(params, 0.1, weight_decay=0.1))  # decays biases too
    other = bp.MLP([4, 5, 2], seed=0)
    assert not batchloop.applies(net, SGD(list(other.parameters()), 0.1))
