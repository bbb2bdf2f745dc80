"""The compiled training loop (engine/compiled/) against the NumPy path it stands in for.

The reference is ``MLP._backward`` + the optimiser batch by batch -- the path that the
finite-difference and PyTorch tests verify. float64 must agree to rounding (1e-12); float32
to float32 rounding. Every activation of the table, every loss, every optimiser.
"""

from __future__ import annotations

import numpy as np
import pytest

import backproplab as bp
from backproplab.engine import functions as F
from backproplab.engine.compiled import blas, kernel, runner
from backproplab.engine.errors import DivergenceError, InputError
from backproplab.engine.optim import SGD, Adam, make_optimizer

ELEMENTWISE = [d.name for d in F.ACTIVATIONS if d.f is not None and not d.output_only]


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
    return net.check_X(X), net.check_Y(Y, n)


def _numpy_epochs(net, opt, X, Y, batch_size, lrs, orders=None):
    losses = []
    for e, lr in enumerate(lrs):
        opt.lr = lr
        order = np.arange(X.shape[0]) if orders is None else orders[e]
        for lo in range(0, X.shape[0], batch_size):
            rows = order[lo : lo + batch_size]
            g = net._train_gradients(X[rows], Y[rows])
            losses.append(g.loss)
            opt.step(g)
    return np.array(losses)


def _close(net, ref, dtype):
    tol = 1e-12 if dtype == np.float64 else 2e-5
    for a, b in zip(net.parameters(), ref.parameters(), strict=True):
        np.testing.assert_allclose(a, b, rtol=tol, atol=tol * max(1.0, np.abs(b).max()))


HEADS = [("identity", "mse", 2), ("softmax", "cross_entropy", 3), ("sigmoid", "bce", 1),
         ("softmax", "mse", 3)]  # fmt: skip
OPTIMISERS = ["sgd", "momentum", "nesterov", "adam"]


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("hidden", ELEMENTWISE)
@pytest.mark.parametrize("optimizer", OPTIMISERS)
def test_compiled_epochs_equal_the_numpy_path(dtype, hidden, optimizer) -> None:
    for k, (out, loss, n_out) in enumerate(HEADS):
        net = bp.MLP([4, 6, 5, n_out], activations=[hidden, "tanh", out], loss=loss,
                     seed=k, dtype=dtype)  # fmt: skip
        net.biases = [np.random.default_rng(k).normal(0, 0.5, b.shape) for b in net.biases]
        X, Y = _data(net, 30, seed=k)
        ref = net.copy()
        mask = [i % 2 == 0 for i in range(6)]
        decay = 0.01 if k % 2 else 0.0
        opt = make_optimizer(optimizer, list(net.parameters()), lr=0.05, weight_decay=decay,
                             decay_mask=mask)  # fmt: skip
        ropt = make_optimizer(optimizer, list(ref.parameters()), lr=0.05, weight_decay=decay,
                              decay_mask=mask)  # fmt: skip
        lrs = np.array([0.05, 0.04, 0.02])
        batch = (7, 30, 3, 16)[k]
        orders = np.stack([np.random.default_rng(e).permutation(30) for e in range(3)])
        use_orders = orders if k % 2 == 0 else None
        losses, done, _ = runner.Run(net, opt, batch).epochs(X, Y, lrs, use_orders)
        expected = _numpy_epochs(ref, ropt, X, Y, batch, lrs, use_orders)
        assert done == len(expected)
        np.testing.assert_allclose(
            losses[:done], expected, rtol=1e-10 if dtype == np.float64 else 1e-4
        )
        _close(net, ref, dtype)
        assert opt.steps == ropt.steps


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("optimizer", OPTIMISERS)
def test_a_few_output_units_behind_a_wide_layer_equal_the_numpy_path(dtype, optimizer) -> None:
    # Products large enough for BLAS, an output layer of at most kernel.SKINNY units: the
    # weight gradient's product runs as the kernel's own loop (_weight_product), every rule.
    for n_out, (out, loss) in ((3, ("softmax", "cross_entropy")), (1, ("identity", "mse"))):
        net = bp.MLP([12, 64, n_out], activations=["relu", out], loss=loss, seed=n_out,
                     dtype=dtype)  # fmt: skip
        assert 40 * 64 * n_out >= kernel.LOOP_WORK and n_out <= kernel.SKINNY
        X, Y = _data(net, 90, seed=n_out)
        ref = net.copy()
        kw = dict(lr=0.02, weight_decay=0.01 if n_out == 1 else 0.0, decay_mask=[True, False] * 2)
        opt = make_optimizer(optimizer, list(net.parameters()), **kw)
        ropt = make_optimizer(optimizer, list(ref.parameters()), **kw)
        lrs = np.array([0.02, 0.01])
        orders = np.stack([np.random.default_rng(e).permutation(90) for e in range(2)])
        run = runner.Run(net, opt, 40)
        run.work.fill(np.nan)  # work space is uninitialised: nothing may read it before writing
        losses, done, _ = run.epochs(X, Y, lrs, orders)
        expected = _numpy_epochs(ref, ropt, X, Y, 40, lrs, orders)
        assert done == len(expected) == 6
        np.testing.assert_allclose(losses, expected, rtol=1e-10 if dtype == np.float64 else 1e-4)
        _close(net, ref, dtype)


def test_the_kernel_codes_are_the_tables() -> None:
    assert kernel.SOFTMAX == F.SOFTMAX_CODE
    assert runner.supports(bp.MLP([2, 3, 1], hidden="gelu"))


@pytest.mark.parametrize("optimizer", ["sgd", "momentum", "adam"])
@pytest.mark.parametrize("batch_size", [None, 8])
def test_fit_on_the_compiled_path_equals_fit_on_the_numpy_path(optimizer, batch_size) -> None:
    net = bp.MLP([5, 8, 8, 3], hidden="silu", loss="cross_entropy", seed=3)
    X, Y = _data(net, 50, seed=2)
    ref = net.copy()
    kw = dict(epochs=12, lr=0.05, batch_size=batch_size, optimizer=optimizer, seed=4,
              schedule="cosine", weight_decay=0.001)  # fmt: skip
    h = net.fit(X, Y, path="compiled", **kw)
    r = ref.fit(X, Y, path="numpy", **kw)
    assert h.path == "compiled" and r.path == "numpy"
    np.testing.assert_allclose(h.loss, r.loss, rtol=1e-10)
    _close(net, ref, np.float64)
    for name in ("grad_norm", "update_ratio"):
        np.testing.assert_allclose(h.layer_metric(name, 3), r.layer_metric(name, 3), rtol=1e-9)


def test_gradient_health_equals_norms_from_net_gradients() -> None:
    net = bp.MLP([3, 7, 2], hidden="tanh", seed=0)
    X, Y = _data(net, 20, seed=0)
    for path in ("numpy", "compiled"):
        start = net.copy()
        h = net.fit(X, Y, epochs=1, lr=0.1, path=path)
        g = start.gradients(X, Y)
        for l in range(2):
            expected = np.sqrt(np.sum(g.weights[l] ** 2) + np.sum(g.biases[l] ** 2))
            assert h[f"grad_norm_{l + 1}"][0] == pytest.approx(expected, rel=1e-12)
            w = np.sqrt(np.sum(start.weights[l] ** 2) + np.sum(start.biases[l] ** 2))
            assert h[f"update_ratio_{l + 1}"][0] == pytest.approx(0.1 * expected / w, rel=1e-9)
        net = start


def test_a_callers_optimiser_keeps_its_state_across_compiled_fits() -> None:
    net = bp.MLP([6, 5, 2], hidden="elu", loss="cross_entropy", seed=1)
    X, Y = _data(net, 40, seed=5)
    ref = net.copy()
    opt = Adam(list(net.parameters()), 0.01)
    net.fit(X, Y, epochs=2, batch_size=8, optimizer=opt, shuffle=False, path="compiled")
    net.fit(X, Y, epochs=2, batch_size=8, optimizer=opt, shuffle=False, path="compiled")
    ref_opt = Adam(list(ref.parameters()), 0.01)
    _numpy_epochs(ref, ref_opt, X, Y, 8, [0.01] * 4)
    assert opt.steps == 20
    _close(net, ref, np.float64)


def test_compiled_divergence_puts_back_finite_parameters_and_names_the_layer() -> None:
    net = bp.MLP([3, 16, 1], hidden="relu", dtype=np.float32, seed=0)
    rng = np.random.default_rng(0)
    X = rng.uniform(-3, 3, size=(200, 3))
    Y = X[:, :1] * 1e3
    with pytest.raises(DivergenceError, match=r"at epoch \d+ \(batch \d+ of 13\)") as info:
        net.fit(X, Y, epochs=100, lr=0.5, batch_size=16, momentum=0.9, path="compiled")
    assert all(np.isfinite(p).all() for p in net.parameters())
    assert np.isfinite(net.loss(X, Y))
    err = info.value
    assert err.history.stop_reason == "diverged"
    assert err.layer in (1, 2) and f"layer {err.layer}" in str(err)
    assert 0 < err.suggested_lr < 0.5


def test_step_runs_compiled_once_loaded_and_equals_numpy() -> None:
    runner.compile_now(np.float64)
    net = bp.MLP([2, 16, 16, 1], hidden="tanh", seed=0)
    ref = net.copy()
    rng = np.random.default_rng(0)
    for _ in range(20):
        x, y = rng.normal(size=(1, 2)), rng.normal(size=(1, 1))
        a = net.step(x, y, 0.05)
        g = ref.gradients(x, y)
        ref.apply_gradients(g, 0.05)
        assert a == pytest.approx(g.loss, rel=1e-12)
    assert "_compiled" in net.__dict__  # it did run compiled
    _close(net, ref, np.float64)
    with pytest.raises(DivergenceError):
        net.step([[0.1, 0.2]], [[1e200]], 1.0)


@pytest.mark.parametrize(
    ("bad_x", "bad_y", "named"),
    [(np.inf, 0.5, "X"), (np.nan, 0.5, "X"), (0.5, np.nan, "Y"), (0.5, -np.inf, "Y")],
)
def test_compiled_step_refuses_non_finite_inputs_and_changes_nothing(bad_x, bad_y, named) -> None:
    # The compiled step checks the values itself (MLP.step skips NumPy's check for speed).
    # An infinite input through tanh gives a finite loss but infinite weights, so this is
    # the check that keeps them finite.
    runner.compile_now(np.float64)
    net = bp.MLP([2, 16, 16, 1], hidden="tanh", seed=0)
    x, y = np.array([[0.1, 0.2]]), np.array([[0.3]])
    net.step(x, y, 0.05)
    assert "_compiled" in net.__dict__
    before = net.copy()
    with pytest.raises(InputError, match=rf"^{named} contains NaN or inf"):
        net.step(np.array([[0.1, bad_x]]), np.array([[bad_y]]), 0.05)
    _close(net, before, np.float64)
    assert np.isfinite(net.step(x, y, 0.05))  # and the next step runs as before


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


def test_only_optimisers_the_kernel_reproduces_are_compiled() -> None:
    net = bp.MLP([4, 5, 2], seed=0)
    params = list(net.parameters())
    assert runner.supports(net, SGD(params, 0.1, momentum=0.5))
    assert runner.supports(net, Adam(params, 0.1))
    assert not runner.supports(net, SGD(params, 0.1, weight_decay=0.1))  # decays biases too
    other = bp.MLP([4, 5, 2], seed=0)
    assert not runner.supports(net, SGD(list(other.parameters()), 0.1))


def test_the_cost_model_keeps_tiny_work_on_numpy() -> None:
    net = bp.MLP([2, 2, 1])
    # 10 steps of the slides' network cannot repay loading compiled code in a new process.
    assert not runner.worth_it(net, 10) or runner.loaded()
    # A long run of a deep network repays even compiling from nothing.
    assert runner.worth_it(bp.MLP([2, 8, 8, 8, 1]), 10_000_000)


def test_the_cost_model_counts_a_large_batch_s_element_wise_work(monkeypatch) -> None:
    # 2,000 Adam steps of 128 rows through 64-256-256-10: the per-layer overhead alone
    # (~0.09 s) would not repay loading the kernel (0.45 s); the element-wise passes over
    # 128 x 522 units and the update of 85,000 parameters (measured: ~1.4 ms a step more on
    # NumPy) do.
    monkeypatch.setattr(runner, "load_cost", lambda dtype: runner.LOAD_SECONDS)
    monkeypatch.setattr(runner, "_numpy_seconds", 0.0)
    net = bp.MLP([64, 256, 256, 10], hidden="relu", loss="cross_entropy")
    opt = Adam(list(net.parameters()), 1e-3)
    assert runner.worth_it(net, 2_000, opt, batch_rows=128)
    sgd = SGD(list(net.parameters()), 1e-3)
    assert runner.worth_it(net, 2_000, sgd, batch_rows=128)
    assert not runner.worth_it(net, 2_000, sgd, batch_rows=1)  # one row: overhead only
    assert not runner.worth_it(net, 50, opt, batch_rows=128)


def test_read_only_arrays_do_not_make_the_step_compile_a_form_of_their_own() -> None:
    runner.compile_now(np.float64)
    x, y = np.array([[0.3, -0.2]]), np.array([[0.1]])
    x.flags.writeable = y.flags.writeable = False
    forms = len(kernel.train.signatures)
    net = bp.MLP([2, 4, 1], hidden="tanh", seed=0)
    ref = net.copy()
    for _ in range(3):
        net.step(x, y, 0.1)
        ref.step(x.copy(), y.copy(), 0.1)
    assert len(kernel.train.signatures) == forms  # nothing compiled for read-only arrays
    _close(net, ref, np.float64)
