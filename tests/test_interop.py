"""PyTorch interop: to_torch / from_torch round trips, and explain against autograd's .grad."""

from __future__ import annotations

import json
import subprocess
import sys

import numpy as np
import pytest

import backproplab as bp
from backproplab import interop
from backproplab.engine import functions as FUNCTIONS
from backproplab.explain import parse_param_name

torch = pytest.importorskip("torch")
nn = torch.nn
#: Every hidden-layer activation of the engine's table but the identity: a new entry is
#: tested here without editing this file.
# Every hidden activation PyTorch has a module for (exp, for Poisson outputs, has none).
ACTIVATIONS = [
    d.name
    for d in FUNCTIONS.ACTIVATIONS
    if not d.output_only and d.name != "identity" and d.torch_name
]


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("loss", ["mse", "bce", "cross_entropy"])
def test_round_trip_same_outputs_and_parameters(dtype, loss) -> None:
    X = np.random.default_rng(0).normal(size=(20, 3)).astype(dtype)
    n_out = 3 if loss == "cross_entropy" else 2
    for act in ACTIVATIONS:
        net = bp.MLP([3, 5, 4, n_out], hidden=act, loss=loss, dtype=dtype, seed=2)
        model = interop.to_torch(net)
        with torch.no_grad():
            out = model(torch.from_numpy(X)).numpy()
        tol = 1e-12 if dtype == np.float64 else 1e-5
        np.testing.assert_allclose(out, net.predict(X), rtol=tol, atol=tol, err_msg=act)
        back = interop.from_torch(model, loss=loss)
        assert back.activations == net.activations and back.dtype == net.dtype
        for p, q in zip(back.parameters(), net.parameters(), strict=True):
            np.testing.assert_array_equal(p, q)


def _torch_step(model, loss_fn, X, y):
    model.zero_grad()
    loss = loss_fn(model(torch.from_numpy(X)), y)
    loss.backward()
    linears = [m for m in model if isinstance(m, nn.Linear)]
    return loss.item(), linears


CASES = [
    ("tanh", nn.MSELoss(), "regression"),
    ("sigmoid", nn.BCEWithLogitsLoss(), "binary"),
    ("relu", nn.CrossEntropyLoss(), "classes"),
    ("leaky_relu", nn.CrossEntropyLoss(), "classes"),
    ("gelu", nn.MSELoss(), "regression"),
    ("elu", nn.BCEWithLogitsLoss(), "binary"),
]


def _case_data(kind: str):
    rng = np.random.default_rng(4)
    X = rng.normal(size=(3, 3))
    if kind == "regression":
        Y = rng.normal(size=(3, 2))
        return X, Y, torch.from_numpy(Y)
    if kind == "binary":
        Y = np.array([[1.0, 0.0], [0.0, 0.0], [1.0, 1.0]])
        return X, Y, torch.from_numpy(Y)
    labels = np.array([0, 2, 1])
    return X, labels, torch.from_numpy(labels)


@pytest.mark.parametrize(("act", "loss_fn", "kind"), CASES, ids=[c[0] for c in CASES])
def test_explanation_equals_torch_grad(act, loss_fn, kind) -> None:
    torch.manual_seed(0)
    n_out = 3 if kind == "classes" else 2
    model = nn.Sequential(
        nn.Linear(3, 4), _module(act), nn.Linear(4, 3), _module(act), nn.Linear(3, n_out)
    ).double()
    X, Y, target = _case_data(kind)
    loss, linears = _torch_step(model, loss_fn, X, target)
    net = interop.from_torch(model, loss=loss_fn)
    explanation = bp.explain(net, X, Y, lr=0.1).to_dict()
    assert explanation["loss"] == pytest.approx(loss, abs=1e-12)
    checked = 0
    for step in explanation["steps"]:
        if step["kind"] != "gradient" or step["sample"] is not None:
            continue  # per-sample terms; the batch gradient is their sum
        ref = parse_param_name(step["param"], net.layer_sizes)
        linear = linears[ref.layer - 1]
        if ref.kind == "w":
            expected = linear.weight.grad[ref.j - 1, ref.i - 1].item()
        else:
            expected = linear.bias.grad[ref.j - 1].item()
        assert step["value"] == pytest.approx(expected, abs=1e-10), step["param"]
        checked += 1
    assert checked == net.n_parameters


def test_poisson_explanation_equals_torch_grad() -> None:
    """PoissonNLLLoss(log_input=True) on a stack ending in Linear: the network gets the exp
    output, and every gradient of the explained step is torch's .grad."""
    torch.manual_seed(1)
    model = nn.Sequential(nn.Linear(3, 4), nn.Tanh(), nn.Linear(4, 2)).double()
    rng = np.random.default_rng(5)
    X = rng.normal(size=(4, 3))
    Y = rng.poisson(1.5, size=(4, 2)).astype(float)
    loss_fn = nn.PoissonNLLLoss(log_input=True)
    loss, linears = _torch_step(model, loss_fn, X, torch.from_numpy(Y))
    net = interop.from_torch(model, loss=loss_fn)
    assert net.activations == ["tanh", "exp"] and net.loss_name == "poisson"
    explanation = bp.explain(net, X, Y, lr=0.1).to_dict()
    # The deviance adds the constant y log y - y that PyTorch's loss leaves out.
    constant = np.mean(np.where(Y > 0, Y * np.log(np.where(Y > 0, Y, 1)), 0) - Y)
    assert explanation["loss"] == pytest.approx(loss + constant, abs=1e-12)
    grads = {}
    for step in explanation["steps"]:
        if step["kind"] == "gradient" and step["sample"] is None:
            grads[step["param"]] = step["value"]
    assert len(grads) == net.n_parameters
    for name, value in grads.items():
        ref = parse_param_name(name, net.layer_sizes)
        linear = linears[ref.layer - 1]
        grad = linear.weight.grad[ref.j - 1, ref.i - 1] if ref.kind == "w" else (
            linear.bias.grad[ref.j - 1])  # fmt: skip
        assert value == pytest.approx(grad.item(), abs=1e-10), name
    with pytest.raises(bp.InputError, match="log_input=True"):
        interop.from_torch(model, loss=nn.PoissonNLLLoss(log_input=False))
    with pytest.raises(bp.InputError, match="no module for the activation 'exp'"):
        interop.to_torch(net)


def _module(act: str):
    return {"sigmoid": nn.Sigmoid(), "tanh": nn.Tanh(), "relu": nn.ReLU(), "gelu": nn.GELU(),
            "leaky_relu": nn.LeakyReLU(0.2), "elu": nn.ELU(0.7)}[act]  # fmt: skip


def test_probabilities_and_logits_conventions() -> None:
    logits = nn.Sequential(nn.Linear(2, 3))
    probs = nn.Sequential(nn.Linear(2, 3), nn.Softmax(dim=1))
    assert interop.from_torch(logits, loss=nn.CrossEntropyLoss()).activations == ["softmax"]
    assert interop.from_torch(probs, loss="cross_entropy").activations == ["softmax"]
    with pytest.raises(bp.InputError, match="takes logits"):
        interop.from_torch(probs, loss=nn.CrossEntropyLoss())
    sig = nn.Sequential(nn.Linear(2, 1), nn.Sigmoid())
    assert interop.from_torch(sig, loss=nn.BCELoss()).activations == ["sigmoid"]
    with pytest.raises(bp.InputError, match="reduction='mean'"):
        interop.from_torch(logits, loss=nn.MSELoss(reduction="sum"))


def test_unsupported_modules_are_named() -> None:
    bad = nn.Sequential(nn.Linear(2, 3), nn.Tanh(), nn.Dropout(0.1), nn.Linear(3, 1))
    with pytest.raises(bp.InputError, match=r"module 2 \(Dropout\) is not supported"):
        interop.from_torch(bad)
    with pytest.raises(bp.InputError, match=r"module 2 \(ReLU\) comes after an activation"):
        interop.from_torch(nn.Sequential(nn.Linear(2, 3), nn.Tanh(), nn.ReLU()))
    with pytest.raises(bp.InputError, match="approximate='tanh'"):
        interop.from_torch(nn.Sequential(nn.Linear(2, 3), nn.GELU(approximate="tanh")))
    with pytest.raises(bp.InputError, match="backproplab MLP"):
        interop.to_torch(nn.Linear(2, 2))


def test_a_clear_message_without_torch(monkeypatch) -> None:
    monkeypatch.setitem(sys.modules, "torch", None)
    with pytest.raises(bp.InputError, match="PyTorch interop needs torch"):
        interop.to_torch(bp.MLP([2, 1]))


@pytest.mark.parametrize("fmt", ["torchscript", "state_dict"])
def test_cli_explain_torch_file_equals_torch_grad(tmp_path, fmt) -> None:
    torch.manual_seed(1)
    model = nn.Sequential(nn.Linear(2, 3), nn.Tanh(), nn.Linear(3, 1)).double()
    path = tmp_path / "model.pt"
    if fmt == "torchscript":
        torch.jit.save(torch.jit.script(model), str(path))
    else:
        interop.save_torch(model, path, loss="mse")
    x, y = [0.05, 0.10], [0.01]
    _, linears = _torch_step(model, nn.MSELoss(), np.array([x]), torch.tensor([y]))
    result = subprocess.run(
        [sys.executable, "-m", "backproplab", "explain", "--torch", str(path),
         "--x", "0.05,0.10", "--y", "0.01", "--format", "json"],
        capture_output=True, text=True, timeout=120, check=False,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    steps = {s["param"]: s["value"] for s in json.loads(result.stdout)["steps"]
             if s["kind"] == "gradient" and s["sample"] is None}  # fmt: skip
    assert steps["w1_12"] == pytest.approx(linears[0].weight.grad[1, 0].item(), abs=1e-10)
    assert steps["w2_31"] == pytest.approx(linears[1].weight.grad[0, 2].item(), abs=1e-10)
    assert steps["b1_3"] == pytest.approx(linears[0].bias.grad[2].item(), abs=1e-10)


def test_cli_explain_torch_bad_file(tmp_path) -> None:
    path = tmp_path / "junk.pt"
    path.write_bytes(b"not a model")
    result = subprocess.run(
        [sys.executable, "-m", "backproplab", "explain", "--torch", str(path), "--x", "1,2",
         "--y", "0"],
        capture_output=True, text=True, timeout=120, check=False,
    )  # fmt: skip
    assert result.returncode == 2
    assert "neither TorchScript nor" in result.stderr and "Traceback" not in result.stderr
