"""The engine's 'poisson' loss (half the Poisson deviance on an exp output, scikit-learn's
``MLPRegressor(loss="poisson")``): its value, its gradient against central differences and
PyTorch's autograd, its checks, and the explanation of one of its steps."""

from __future__ import annotations

import numpy as np
import pytest
from sklearn.neural_network._base import poisson_loss

import backproplab as bp
from backproplab import MLP, gradcheck
from backproplab.engine.errors import InputError


def _case(sizes, hidden, seed: int, zeros: bool = True):
    net = MLP(sizes, hidden=hidden, loss="poisson", seed=seed)
    rng = np.random.default_rng(seed)
    net.biases = [rng.normal(0, 0.3, size=b.shape) for b in net.biases]
    X = rng.normal(size=(7, sizes[0]))
    Y = rng.poisson(2.0, size=(7, sizes[-1])).astype(float)
    if zeros:
        Y[0] = 0.0  # the 0 log 0 = 0 terms
    return net, X, Y


def test_default_output_is_exp_and_the_value_is_sklearns_half_deviance() -> None:
    net, X, Y = _case([3, 4, 2], "tanh", seed=0)
    assert net.activations == ["tanh", "exp"]
    y_hat = net.predict(X)
    np.testing.assert_allclose(y_hat, np.exp(net.forward(X).z[-1]), rtol=1e-15)
    # scikit-learn sums its per-output means; the engine's L is the mean over all outputs.
    assert net.loss(X, Y) == pytest.approx(poisson_loss(Y, y_hat) / Y.shape[1], rel=1e-12)
    w = np.random.default_rng(1).uniform(0.5, 2.0, size=len(X))
    weighted = poisson_loss(Y, y_hat, sample_weight=w) / Y.shape[1]
    assert net.loss(X, Y, sample_weight=w) == pytest.approx(weighted, rel=1e-12)


@pytest.mark.parametrize("hidden", ["tanh", "sigmoid", "softplus", "gelu"])
@pytest.mark.parametrize("sizes", [[2, 1], [3, 5, 1], [4, 3, 3, 2]])
def test_gradient_matches_central_differences(sizes, hidden) -> None:
    net, X, Y = _case(sizes, hidden, seed=len(sizes))
    report = gradcheck(net, X, Y)
    assert report.max_rel_error < 1e-7, str(report)


def test_sample_weighted_gradient_matches_central_differences() -> None:
    net, X, Y = _case([3, 4, 2], "tanh", seed=5)
    w = np.random.default_rng(2).uniform(0.1, 3.0, size=len(X))
    g = net.gradients(X, Y, sample_weight=w)
    analytic = [x for pair in zip(g.weights, g.biases, strict=True) for x in pair]
    h = 1e-6
    for p, expected in zip(net.parameters(), analytic, strict=True):
        flat = p.reshape(-1)
        for i in range(flat.size):
            keep = flat[i]
            flat[i] = keep + h
            up = net.loss(X, Y, sample_weight=w)
            flat[i] = keep - h
            down = net.loss(X, Y, sample_weight=w)
            flat[i] = keep
            assert expected.reshape(-1)[i] == pytest.approx((up - down) / (2 * h), abs=1e-8)


def test_gradient_equals_torch_poisson_nll_with_log_input() -> None:
    torch = pytest.importorskip("torch")
    net, X, Y = _case([3, 4, 2], "tanh", seed=3)
    params = [torch.tensor(p.copy(), requires_grad=True) for p in net.parameters()]
    a = torch.from_numpy(X)
    for i in range(0, len(params) - 2, 2):
        a = torch.tanh(a @ params[i] + params[i + 1])
    z = a @ params[-2] + params[-1]
    target = torch.from_numpy(Y)
    loss_t = torch.nn.PoissonNLLLoss(log_input=True, full=False)(z, target)
    loss_t.backward()
    g = net.gradients(X, Y)
    # PyTorch leaves out the constant y log y - y of the deviance: the same gradient.
    constant = np.mean(np.where(Y > 0, Y * np.log(np.where(Y > 0, Y, 1)), 0) - Y)
    assert g.loss == pytest.approx(loss_t.item() + constant, abs=1e-12)
    ours = [x for pair in zip(g.weights, g.biases, strict=True) for x in pair]
    for mine, theirs in zip(ours, params, strict=True):
        np.testing.assert_allclose(mine, theirs.grad.numpy(), rtol=1e-12, atol=1e-14)


def test_poisson_trains_on_the_numpy_path_and_learns_the_rate() -> None:
    rng = np.random.default_rng(0)
    X = rng.normal(size=(400, 2))
    rate = np.exp(0.8 * X[:, :1] - 0.5 * X[:, 1:])
    Y = rng.poisson(rate).astype(float)
    net = MLP([2, 1], loss="poisson", seed=0)
    history = net.fit(X, Y, epochs=300, lr=0.1)
    assert history.path == "numpy"  # the compiled loops have no Poisson deviance
    np.testing.assert_allclose(net.weights[0].ravel(), [0.8, -0.5], atol=0.15)


def test_bad_targets_and_outputs_are_clear_errors() -> None:
    net = MLP([2, 1], loss="poisson")
    with pytest.raises(InputError, match=r"loss='poisson' needs targets >= 0"):
        net.loss([[0.0, 1.0]], [[-1.0]])
    with pytest.raises(InputError, match="needs a 'exp' output layer.*log of the rate"):
        MLP([2, 1], activations=["identity"], loss="poisson")


def test_explanation_prints_the_deviance_and_the_fused_delta() -> None:
    net, X, Y = _case([2, 2, 1], "sigmoid", seed=1)
    X, Y = X[:2], Y[:2]  # sample 1 has y = 0
    exp = bp.explain(net, X, Y, lr=0.1)
    data = exp.to_dict()
    assert data["loss"] == pytest.approx(net.loss(X, Y), rel=1e-12)
    text = exp.to_text()
    assert "ŷ[1] = exp(z2_1[1])" in text
    assert "half the Poisson deviance" in text
    assert "exp and poisson differentiated together" in text
    loss_step = next(s for s in data["steps"] if s["kind"] == "loss")
    assert "log(y[2]/ŷ[2])" in loss_step["formula"]
    assert "y[1]" not in loss_step["formula"]  # y = 0: only ŷ[1] is left
    grads = net.gradients(X, Y)
    deltas = [s for s in data["steps"] if s["kind"] == "output_grad"]
    np.testing.assert_allclose([s["value"] for s in deltas], grads.deltas[-1].ravel(), rtol=1e-12)
    assert all("(1/n)(ŷ" in s["formula"] for s in deltas)


def test_explain_a_poisson_fitted_regressor() -> None:
    from backproplab.sklearn import MLPRegressor

    rng = np.random.default_rng(0)
    X = rng.normal(size=(60, 3))
    y = rng.poisson(np.exp(0.5 * X[:, 0]))
    reg = MLPRegressor(loss="poisson", hidden_layer_sizes=(4,), solver="lbfgs", max_iter=30,
                       random_state=0)  # fmt: skip
    with pytest.warns(Warning):  # lbfgs stops at max_iter
        reg.fit(X, y)
    assert reg.net_.activations == ["relu", "exp"] and reg.out_activation_ == "exp"
    np.testing.assert_allclose(reg.predict(X), reg.net_.predict(X).ravel(), rtol=1e-15)
    data = bp.explain(reg.net_, X[:1], y[:1].reshape(1, 1), lr=0.01).to_dict()
    assert data["loss"] == pytest.approx(reg.net_.loss(X[:1], y[:1].reshape(1, 1)), rel=1e-12)
