"""engine/lbfgs.py: minimize_lbfgs drives SciPy's L-BFGS-B over a network's own arrays."""

from __future__ import annotations

import numpy as np
import pytest
import scipy.optimize

import backproplab as bp
from backproplab.engine.lbfgs import LbfgsResult, minimize_lbfgs


def _problem():
    rng = np.random.default_rng(0)
    X = rng.normal(size=(40, 3))
    y = (X[:, 0] * X[:, 1] > 0).astype(int) + (X[:, 2] > 0.5)
    net = bp.MLP([3, 5, 3], hidden="tanh", loss="cross_entropy", seed=1)
    return net, X, y


def _with(net: bp.MLP, flat: np.ndarray) -> bp.MLP:
    """A copy of net whose parameters W1, b1, W2, b2 are read from the vector flat."""
    other = net.copy()
    pos = 0
    for p in other.parameters():
        p[...] = flat[pos : pos + p.size].reshape(p.shape)
        pos += p.size
    return other


def _loss_at(net: bp.MLP, X, y, flat: np.ndarray) -> float:
    return _with(net, flat).loss(X, y)


def test_objective_sees_scipys_x_in_the_live_arrays_and_the_final_x_stays() -> None:
    net, X, y = _problem()
    seen: list[np.ndarray] = []

    def objective():
        seen.append(np.concatenate([p.ravel() for p in net.parameters()]))
        g = net.gradients(X, y)
        return g.loss, list(g)

    start = net.copy()
    result = minimize_lbfgs(net, objective, max_iter=10, tol=1e-6)
    assert isinstance(result, LbfgsResult)
    assert result.n_fun == len(seen) and result.n_iter == 10
    final = np.concatenate([p.ravel() for p in net.parameters()])
    assert result.loss == pytest.approx(net.loss(X, y), rel=1e-12)

    # SciPy itself on a flat function of a separate copy: the same iterates.
    def flat_fun(x):
        g = _with(start, x).gradients(X, y)
        return g.loss, np.concatenate([a.ravel() for a in g])

    x0 = np.concatenate([p.ravel() for p in start.parameters()])
    np.testing.assert_array_equal(seen[0], x0)
    reference = scipy.optimize.minimize(
        flat_fun, x0, jac=True, method="L-BFGS-B", options={"maxiter": 10, "gtol": 1e-6}
    )
    np.testing.assert_allclose(final, reference.x, rtol=0, atol=1e-12)


def _fd_gradient(net, X, y, x: np.ndarray, h: float = 1e-6) -> np.ndarray:
    """Central differences of the loss: the independent reference for the gradient."""
    out = np.empty_like(x)
    for i in range(x.size):
        e = np.zeros_like(x)
        e[i] = h
        out[i] = (_loss_at(net, X, y, x + e) - _loss_at(net, X, y, x - e)) / (2 * h)
    return out


def test_the_result_is_stationary_by_finite_differences() -> None:
    net, X, y = _problem()
    x0 = np.concatenate([p.ravel() for p in net.parameters()])
    g0 = np.concatenate([a.ravel() for a in net.gradients(X, y)])
    np.testing.assert_allclose(g0, _fd_gradient(net, X, y, x0), atol=1e-8)

    def objective():
        g = net.gradients(X, y)
        return g.loss, list(g)

    result = minimize_lbfgs(net, objective, max_iter=500, tol=1e-7)
    x = np.concatenate([p.ravel() for p in net.parameters()])
    fd = _fd_gradient(net, X, y, x)
    assert np.abs(fd).max() < 1e-5
    assert result.converged, result.message


def test_float32_network_and_callback_stop() -> None:
    rng = np.random.default_rng(2)
    X = rng.normal(size=(30, 2)).astype(np.float32)
    Y = np.sin(X[:, :1])
    net = bp.MLP([2, 4, 1], hidden="tanh", dtype=np.float32, seed=0)
    calls = []

    def objective():
        g = net.gradients(X, Y)
        return g.loss, list(g)

    def stop_after_three(iteration, loss):
        calls.append((iteration, loss))
        return iteration == 3

    result = minimize_lbfgs(net, objective, callback=stop_after_three)
    assert [c[0] for c in calls] == [1, 2, 3]
    assert result.n_iter == 3 and not result.converged
    assert all(p.dtype == np.float32 for p in net.parameters())


def test_bad_arguments_and_gradients() -> None:
    net, X, y = _problem()

    def short():
        g = net.gradients(X, y)
        return g.loss, list(g)[:-1]

    with pytest.raises(bp.InputError, match="returned 3 gradient arrays"):
        minimize_lbfgs(net, short)
    with pytest.raises(bp.InputError, match="max_iter must be a positive integer"):
        minimize_lbfgs(net, short, max_iter=0)
