"""elu, softplus, silu and gelu: each one table entry (engine/functions.py), checked against
PyTorch autograd (1e-10, float64), finite differences, and through fit on every path.
Also the compiled optimisers against torch.optim."""

from __future__ import annotations

import numpy as np
import pytest
import torch

import backproplab as bp
from backproplab import gradcheck

from .test_torch_reference import TORCH_ACT, torch_loss, torch_params

torch.set_num_threads(1)

TORCH = {
    "elu": torch.nn.functional.elu,  # alpha = 1
    "softplus": torch.nn.functional.softplus,  # threshold 20: |z| stays far below it here
    "silu": torch.nn.functional.silu,
    "gelu": torch.nn.functional.gelu,  # approximate="none": the erf form
}
NEW = list(TORCH)
assert all(TORCH_ACT[name] is fn for name, fn in TORCH.items())


def _case(hidden: str, head: tuple[str, str, int], seed: int):
    out, loss, k = head
    net = bp.MLP([3, 6, 5, k], activations=[hidden, hidden, out], loss=loss, seed=seed)
    rng = np.random.default_rng(seed)
    net.biases = [rng.normal(0, 0.5, b.shape) for b in net.biases]
    X = rng.normal(size=(9, 3)) * 2  # both sides of 0, into the curved parts
    Y = {"mse": rng.normal(size=(9, k)), "bce": rng.uniform(size=(9, k)),
         "cross_entropy": rng.integers(0, k, 9)}[loss]  # fmt: skip
    return net, X, Y


HEADS = [("identity", "mse", 2), ("sigmoid", "bce", 1), ("softmax", "cross_entropy", 3)]


@pytest.mark.parametrize("hidden", NEW)
@pytest.mark.parametrize("head", HEADS)
@pytest.mark.parametrize("seed", [0, 1, 2])
def test_gradients_equal_torch_autograd(hidden, head, seed) -> None:
    net, X, Y = _case(hidden, head, seed)
    params = torch_params(net)
    loss_t = torch_loss(net, params, X, Y)
    loss_t.backward()
    g = net.gradients(X, Y)
    assert g.loss == pytest.approx(loss_t.item(), rel=1e-10, abs=1e-10)
    for ours, theirs in zip(g, params, strict=True):
        np.testing.assert_allclose(ours, theirs.grad.numpy(), rtol=1e-10, atol=1e-10)


@pytest.mark.parametrize("hidden", NEW)
def test_gradients_equal_finite_differences(hidden) -> None:
    for k, head in enumerate(HEADS):
        net, X, Y = _case(hidden, head, 10 + k)
        report = gradcheck(net, X, Y)
        assert report.max_rel_error < 1e-7, report
    # An output layer of the new activation too (mse).
    net = bp.MLP([2, 4, 2], activations=["tanh", hidden], seed=3)
    X = np.random.default_rng(3).normal(size=(5, 2))
    assert gradcheck(net, X, np.ones((5, 2))).max_rel_error < 1e-7


@pytest.mark.parametrize("hidden", NEW)
@pytest.mark.parametrize("optimizer", ["sgd", "nesterov", "adam"])
def test_fit_equals_torch_training_on_every_path(hidden, optimizer) -> None:
    net, X, Y = _case(hidden, HEADS[0], 4)
    ref = net.copy()
    params = torch_params(ref)
    if optimizer == "adam":
        opt = torch.optim.Adam(params, lr=0.01)
    else:
        opt = torch.optim.SGD(params, lr=0.05, momentum=0.9 if optimizer == "nesterov" else 0,
                              nesterov=optimizer == "nesterov")  # fmt: skip
    for _ in range(15):  # full batch: the same steps on both sides
        opt.zero_grad()
        torch_loss(ref, params, X, Y).backward()
        opt.step()
    lr = 0.01 if optimizer == "adam" else 0.05
    for path in ("numpy", "compiled"):
        trained = net.copy()
        trained.fit(X, Y, epochs=15, lr=lr, optimizer=optimizer, path=path)
        for ours, theirs in zip(trained.parameters(), params, strict=True):
            np.testing.assert_allclose(ours, theirs.detach().numpy(), rtol=1e-10, atol=1e-10)


@pytest.mark.parametrize("name", NEW)
def test_float32_forward_and_backward_stay_float32(name) -> None:
    net = bp.MLP([2, 3, 1], hidden=name, dtype=np.float32, seed=0)
    g = net.gradients(np.ones((4, 2)), np.zeros((4, 1)))
    assert all(a.dtype == np.float32 for a in g)
    assert net.predict(np.ones((1, 2))).dtype == np.float32
