"""The per-call API compiled: ``MLP.gradients``, ``predict``, ``loss`` and ``forward`` through
the kernel's GRADIENTS and FORWARD modes, against the NumPy path they stand in for.

The reference is ``MLP._backward(MLP._forward(X), Y)`` -- the path the finite-difference and
PyTorch tests verify. float64 must agree to rounding (1e-12), float32 to float32 rounding;
every hidden activation of the table, every loss head the kernel has, both forms of the
kernel (loops only, and BLAS for the larger products).
"""

from __future__ import annotations

import numpy as np
import pytest

import backproplab as bp
from backproplab.engine import functions as F
from backproplab.engine.compiled import kernel, runner
from backproplab.engine.errors import InputError

HIDDEN = [d.name for d in F.ACTIVATIONS if not d.output_only]
HEADS = [("identity", "mse", 2), ("softmax", "cross_entropy", 3), ("sigmoid", "bce", 1),
         ("softmax", "mse", 3), ("tanh", "mse", 1)]  # fmt: skip
#: 1 and 7 rows run every product as loops; 90 rows of [4, 6, 5, k] reach BLAS (6 * 5 * 90).
ROWS = (1, 7, 90)


@pytest.fixture(scope="module", autouse=True)
def _compiled_loaded():
    runner.compile_now(np.float64)
    runner.compile_now(np.float32)


@pytest.fixture
def passes(monkeypatch):
    """Counts the compiled per-call passes (the proof that the compiled path ran)."""
    calls: list[int] = []
    original = runner.Run._pass

    def counted(self, fixed, work, X, Y):
        loss = original(self, fixed, work, X, Y)
        mode = int(fixed[1][1][kernel.MODE])
        calls.append(mode if loss is not None else -1)
        return loss

    monkeypatch.setattr(runner.Run, "_pass", counted)
    return calls


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
    return net.check_X(X), net.check_Y(Y, n)  # plain arrays of the network's dtype


def _net(hidden: str, head: tuple, dtype, seed: int = 0) -> bp.MLP:
    out, loss, n_out = head
    net = bp.MLP([4, 6, 5, n_out], activations=[hidden, "tanh", out], loss=loss, seed=seed,
                 dtype=dtype)  # fmt: skip
    net.biases = [np.random.default_rng(seed).normal(0, 0.5, b.shape) for b in net.biases]
    return net


def _same(a, b, dtype) -> None:
    tol = 1e-12 if dtype == np.float64 else 2e-5
    if b is None:
        assert a is None
        return
    assert isinstance(a, np.ndarray) and a.shape == b.shape and a.dtype == b.dtype
    np.testing.assert_allclose(a, b, rtol=tol, atol=tol * max(1.0, float(np.abs(b).max())))


def _same_gradients(g, ref, dtype) -> None:
    for name in ("weights", "biases", "deltas", "activation_grads"):
        got, expected = getattr(g, name), getattr(ref, name)
        assert len(got) == len(expected)
        for a, b in zip(got, expected, strict=True):
            _same(a, b, dtype)
    assert isinstance(g.loss, float)
    assert g.loss == pytest.approx(ref.loss, rel=1e-12 if dtype == np.float64 else 2e-5)


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("hidden", HIDDEN)
def test_compiled_passes_equal_the_numpy_path(dtype, hidden, passes) -> None:
    for k, head in enumerate(HEADS):
        net = _net(hidden, head, dtype, seed=k)
        for n in ROWS:
            X, Y = _data(net, n, seed=n + k)
            ref = net._backward(net._forward(X), Y)
            expected_trace = net._forward(X)
            before = len(passes)
            _same_gradients(net.gradients(X, Y), ref, dtype)
            _same(net.predict(X), expected_trace.output, dtype)
            loss = net.loss(X, Y)
            assert isinstance(loss, float)
            assert loss == pytest.approx(ref.loss, rel=1e-12 if dtype == np.float64 else 2e-5)
            trace = net.forward(X)
            assert trace.a[0] is X and len(trace.a) == len(expected_trace.a)
            for got, expected in zip(trace.z + trace.a, expected_trace.z + expected_trace.a,
                                     strict=True):  # fmt: skip
                _same(got, expected, dtype)
            # All four ran compiled: gradients, then three forward passes.
            assert passes[before:] == [kernel.GRADIENTS] + [kernel.FORWARD] * 3
    runs = net.__dict__["_per_call"]
    assert runs.loops.gemm is None and runs.blas.gemm is not None  # both forms were used


def test_the_slides_per_call_network_runs_compiled(passes) -> None:
    net = bp.MLP([2, 16, 16, 1], hidden="tanh", seed=0)
    x, y = np.array([[0.3, -0.7]]), np.array([[0.2]])
    g, ref = net.gradients(x, y), net._backward(net._forward(x), y)
    _same_gradients(g, ref, np.float64)
    _same(net.predict(x), net._forward(x).output, np.float64)
    assert net.loss(x, y) == pytest.approx(ref.loss, rel=1e-12)
    assert passes == [kernel.GRADIENTS, kernel.FORWARD, kernel.FORWARD]


def test_results_are_the_callers_and_not_overwritten_by_the_next_call(passes) -> None:
    net = bp.MLP([3, 8, 2], hidden="sigmoid", seed=1)
    X1, Y1 = _data(net, 2, seed=1)
    X2, Y2 = _data(net, 2, seed=2)
    g1, p1, t1 = net.gradients(X1, Y1), net.predict(X1), net.forward(X1)
    kept = [a.copy() for a in (*g1, *g1.deltas, *g1.activation_grads, p1, *t1.z, *t1.a)]
    for _ in range(3):  # the same sizes again: any shared buffer would be overwritten now
        net.gradients(X2, Y2), net.predict(X2), net.forward(X2), net.loss(X2, Y2)
    now = [*g1, *g1.deltas, *g1.activation_grads, p1, *t1.z, *t1.a]
    for a, b in zip(now, kept, strict=True):
        np.testing.assert_array_equal(a, b)
    assert len(passes) == 3 + 3 * 4
    p1[...] = 7.0  # the caller may write into what it got; the next call is unaffected
    np.testing.assert_allclose(net.predict(X1), net._forward(X1).output, rtol=1e-12)
    assert not np.shares_memory(net.predict(X1), net.predict(X1))


def test_a_call_after_the_weights_changed_sees_the_new_weights(passes) -> None:
    net = bp.MLP([3, 8, 2], hidden="relu", seed=1)
    X, Y = _data(net, 4, seed=3)
    old = net.gradients(X, Y)
    rng = np.random.default_rng(9)
    net.weights[0] = rng.normal(size=(3, 8))
    net.biases = [rng.normal(size=b.shape) for b in net.biases]
    g = net.gradients(X, Y)
    _same_gradients(g, net._backward(net._forward(X), Y), np.float64)
    assert not np.allclose(g.weights[0], old.weights[0])
    np.testing.assert_allclose(net.predict(X), net._forward(X).output, rtol=1e-12)
    net.step(X, Y, 0.1)  # trained in between (compiled or not): the passes see it
    np.testing.assert_allclose(net.predict(X), net._forward(X).output, rtol=1e-12)
    other = net.copy()  # a copy has its own parameters and its own compiled state
    other.weights[1] = np.zeros((8, 2))
    np.testing.assert_allclose(other.predict(X), other._forward(X).output, rtol=1e-12)
    np.testing.assert_allclose(net.predict(X), net._forward(X).output, rtol=1e-12)
    assert kernel.GRADIENTS in passes


@pytest.mark.parametrize("where", ["X", "Y"])
@pytest.mark.parametrize("bad", [np.nan, np.inf, -np.inf])
def test_non_finite_inputs_raise_the_numpy_paths_error(where, bad, passes) -> None:
    net = bp.MLP([2, 16, 16, 1], hidden="tanh", seed=0)
    x, y = np.array([[0.3, -0.7]]), np.array([[0.2]])
    net.gradients(x, y)  # the compiled path is in place
    if where == "X":
        x = np.array([[0.3, bad]])
    else:
        y = np.array([[bad]])
    message = rf"^{where} contains NaN or inf"
    with pytest.raises(InputError, match=message):
        net.gradients(x, y)
    with pytest.raises(InputError, match=message):
        net.loss(x, y)
    if where == "X":
        with pytest.raises(InputError, match=message):
            net.predict(x)
        with pytest.raises(InputError, match=message):
            net.forward(x)
    assert -1 in passes  # the kernel refused them; NumPy's checks then named the problem
    assert np.isfinite(net.loss(np.array([[0.3, -0.7]]), np.array([[0.2]])))


def test_targets_the_loss_refuses_raise_the_numpy_paths_error(passes) -> None:
    bce = bp.MLP([2, 4, 1], hidden="tanh", output="sigmoid", loss="bce", seed=0)
    x = np.array([[0.3, -0.7]])
    for y in (np.array([[1.5]]), np.array([[-0.5]])):
        with pytest.raises(InputError, match="needs targets in"):
            bce.gradients(x, y)
        with pytest.raises(InputError, match="needs targets in"):
            bce.loss(x, y)
    ce = bp.MLP([2, 4, 3], hidden="tanh", loss="cross_entropy", seed=0)
    for y in (np.array([[0.5, 0.2, 0.2]]), np.array([[1.5, -0.5, 0.0]])):
        with pytest.raises(InputError, match="one-hot"):
            ce.gradients(x, y)
        with pytest.raises(InputError, match="one-hot"):
            ce.loss(x, y)
    assert passes and set(passes) == {-1}
    # Probability rows summing to 1 (to rounding) are accepted, as NumPy's check does.
    y = np.array([[0.1, 0.2, 0.7]])
    _same_gradients(ce.gradients(x, y), ce._backward(ce._forward(x), y), np.float64)
    assert passes[-1] == kernel.GRADIENTS


def test_what_the_compiled_passes_leave_to_numpy(passes, monkeypatch) -> None:
    net = bp.MLP([3, 8, 2], hidden="tanh", seed=0)
    X, Y = _data(net, 5, seed=0)
    w = np.arange(1.0, 6.0)
    ref = net._backward(net._forward(X), Y, w)
    _same_gradients(net.gradients(X, Y, sample_weight=w), ref, np.float64)
    assert passes == []  # weighted gradients are NumPy's
    assert net.loss(X, Y, sample_weight=w) == pytest.approx(ref.loss, rel=1e-12)
    assert passes == [kernel.FORWARD]  # a weighted loss: the forward pass compiled, then NumPy
    passes.clear()
    net.gradients(X.tolist(), Y.tolist()), net.predict(X[0]), net.loss(X[:, ::-1], Y)
    net.predict(np.asfortranarray(X)), net.predict(X.astype(np.float32))
    assert passes == []  # weighted, lists, 1-D, Fortran order, another dtype: all NumPy's
    big = bp.MLP([64, 128, 10], hidden="relu", seed=0)
    rows = runner.PER_CALL_WORK // (4 * 138 + 74) + 1
    assert runner.per_call(big, rows) is None  # large batches: NumPy's overhead is small
    assert runner.per_call(big, 8) is not None
    poisson = bp.MLP([3, 4, 1], hidden="tanh", loss="poisson", seed=0)
    assert runner.per_call(poisson, 1) is None  # a loss the kernel does not have
    monkeypatch.setenv("BACKPROPLAB_NO_COMPILE", "1")
    fresh = bp.MLP([3, 8, 2], hidden="tanh", seed=0)
    _same_gradients(fresh.gradients(X, Y), net._backward(net._forward(X), Y), np.float64)
    assert passes == [] and fresh._per_call.loops is None


def test_the_per_call_state_is_not_pickled() -> None:
    import pickle

    net = bp.MLP([3, 8, 2], hidden="tanh", seed=0)
    X, Y = _data(net, 2, seed=0)
    net.gradients(X, Y)
    assert net.__dict__.get("_per_call")
    state = net.__getstate__()
    assert "_per_call" not in state
    other = pickle.loads(pickle.dumps(net))
    np.testing.assert_allclose(other.predict(X), net.predict(X), rtol=0)


def test_calls_from_several_threads_at_once_share_no_buffers(passes) -> None:
    # dask's threaded scheduler predicts the blocks of one array with one network at once,
    # and the kernel releases the GIL: each call needs its own work space and loss.
    from concurrent.futures import ThreadPoolExecutor

    net = bp.MLP([4, 32, 32, 3], hidden="tanh", seed=0)
    batches = [_data(net, 1 + i % 5, seed=i) for i in range(64)]
    expected = [(net._forward(X).output, net._backward(net._forward(X), Y)) for X, Y in batches]

    def work(i: int) -> None:
        X, Y = batches[i]
        out, ref = expected[i]
        for _ in range(20):
            np.testing.assert_allclose(net.predict(X), out, rtol=1e-12)
            assert net.loss(X, Y) == pytest.approx(ref.loss, rel=1e-12)
            _same_gradients(net.gradients(X, Y), ref, np.float64)

    with ThreadPoolExecutor(4) as pool:
        list(pool.map(work, range(len(batches))))
    assert len(passes) == 64 * 20 * 3


def test_the_passes_wait_until_loading_has_paid_as_step_does(passes, monkeypatch) -> None:
    monkeypatch.setattr(runner, "loaded", lambda: False)  # as in a fresh process
    monkeypatch.setattr(runner, "_numpy_seconds", 0.0)
    net = bp.MLP([2, 16, 16, 1], hidden="tanh", seed=0)
    x, y = np.array([[0.3, -0.7]]), np.array([[0.2]])
    _same_gradients(net.gradients(x, y), net._backward(net._forward(x), y), np.float64)
    net.predict(x), net.loss(x, y), net.forward(x)
    assert passes == []  # NumPy's: loading the compiled code has not paid yet
    counted = runner._numpy_seconds
    assert counted > 0  # the calls' time counts for the cost model
    big = np.zeros((net._per_call.max_rows + 1, 2))
    net.predict(big)
    assert runner._numpy_seconds == counted  # a large batch's time does not
    monkeypatch.setattr(runner, "_numpy_seconds", runner.COMPILE_SECONDS)  # it has paid now
    _same_gradients(net.gradients(x, y), net._backward(net._forward(x), y), np.float64)
    assert passes == [kernel.GRADIENTS]
