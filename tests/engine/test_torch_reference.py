"""PyTorch autograd as the independent reference (torch==2.13.0, float64)."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from hypothesis import HealthCheck, given, settings

from backproplab import MLP

from .strategies import network_and_batch

torch.set_num_threads(1)

TORCH_ACT = {
    "sigmoid": torch.sigmoid,
    "tanh": torch.tanh,
    "relu": torch.relu,
    "leaky_relu": lambda z: torch.nn.functional.leaky_relu(z, 0.01),
    "identity": lambda z: z,
    "softmax": lambda z: torch.softmax(z, dim=1),
    "elu": torch.nn.functional.elu,
    "softplus": torch.nn.functional.softplus,
    "silu": torch.nn.functional.silu,
    "gelu": torch.nn.functional.gelu,
}


def torch_params(net: MLP) -> list[torch.Tensor]:
    return [torch.tensor(p, dtype=torch.float64, requires_grad=True) for p in net.parameters()]


def torch_loss(net: MLP, params: list[torch.Tensor], X: np.ndarray, Y) -> torch.Tensor:
    """The same network written with torch ops; the loss by torch's own loss functions."""
    a = torch.tensor(X, dtype=torch.float64)
    z = a
    for l, act in enumerate(net.activations):
        W, b = params[2 * l], params[2 * l + 1]
        z = a @ W + b
        a = TORCH_ACT[act](z)
    if net.loss_name == "mse":
        return torch.nn.functional.mse_loss(a, torch.tensor(np.asarray(Y), dtype=torch.float64))
    if net.loss_name == "bce":
        target = torch.tensor(np.asarray(Y), dtype=torch.float64)
        return torch.nn.functional.binary_cross_entropy_with_logits(z, target)
    labels = torch.tensor(np.asarray(Y), dtype=torch.int64)
    return torch.nn.functional.cross_entropy(z, labels)


@settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(network_and_batch())
def test_loss_and_gradients_equal_torch_autograd(case):
    net, X, Y = case
    params = torch_params(net)
    loss_t = torch_loss(net, params, X, Y)
    loss_t.backward()
    g = net.gradients(X, Y)
    assert g.loss == pytest.approx(loss_t.item(), abs=1e-10, rel=1e-10)
    for ours, theirs in zip(g, params, strict=True):
        np.testing.assert_allclose(ours, theirs.grad.numpy(), rtol=1e-10, atol=1e-10)


@pytest.mark.parametrize(
    ("sizes", "acts", "loss"),
    [
        ([2, 2, 1], ["sigmoid", "identity"], "mse"),
        ([3, 8, 5, 2], ["tanh", "relu", "identity"], "mse"),
        ([4, 6, 1], ["leaky_relu", "sigmoid"], "bce"),
        ([5, 7, 7, 3], ["sigmoid", "tanh", "softmax"], "cross_entropy"),
    ],
)
def test_200_sgd_steps_equal_torch_sgd(sizes, acts, loss):
    net = MLP(sizes, activations=acts, loss=loss, seed=7)
    rng = np.random.default_rng(11)
    X = rng.normal(size=(16, sizes[0]))
    if loss == "mse":
        Y = rng.normal(size=(16, sizes[-1]))
    elif loss == "bce":
        Y = rng.integers(0, 2, size=(16, 1)).astype(float)
    else:
        Y = rng.integers(0, sizes[-1], size=16)
    params = torch_params(net)
    opt = torch.optim.SGD(params, lr=0.1)
    for _ in range(200):
        opt.zero_grad()
        torch_loss(net, params, X, Y).backward()
        opt.step()
        net.step(X, Y, lr=0.1)
    for ours, theirs in zip(net.parameters(), params, strict=True):
        np.testing.assert_allclose(ours, theirs.detach().numpy(), rtol=1e-9, atol=1e-9)


def test_extreme_logits_match_torch():
    """Both cross-entropies stay finite and exact for logits of +-1e4."""
    net = MLP([1, 3], activations=["softmax"], loss="cross_entropy", init="zeros")
    net.weights[0] = [[1e4, -1e4, 0.0]]
    X = np.array([[1.0], [-1.0]])
    Y = np.array([1, 0])
    params = torch_params(net)
    loss_t = torch_loss(net, params, X, Y)
    loss_t.backward()
    g = net.gradients(X, Y)
    assert np.isfinite(g.loss)
    assert g.loss == pytest.approx(loss_t.item(), rel=1e-12)
    for ours, theirs in zip(g, params, strict=True):
        np.testing.assert_allclose(ours, theirs.grad.numpy(), rtol=1e-12, atol=1e-12)

    bce = MLP([1, 1], activations=["sigmoid"], loss="bce", init="zeros")
    bce.weights[0] = [[1e4]]
    Xb, Yb = np.array([[1.0], [-1.0]]), np.array([[0.0], [1.0]])
    params = torch_params(bce)
    loss_t = torch_loss(bce, params, Xb, Yb)
    loss_t.backward()
    g = bce.gradients(Xb, Yb)
    assert g.loss == pytest.approx(loss_t.item(), rel=1e-12)
    for ours, theirs in zip(g, params, strict=True):
        np.testing.assert_allclose(ours, theirs.grad.numpy(), rtol=1e-12, atol=1e-12)
