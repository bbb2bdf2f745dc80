"""Optimisers against torch.optim (the independent reference), and the slides' update exactly."""

from __future__ import annotations

import numpy as np
import pytest
import torch

import backproplab as bp
from backproplab.engine.errors import InputError
from backproplab.engine.optim import (
    SGD,
    Adam,
    CosineLR,
    ExponentialLR,
    InverseTimeLR,
    StepLR,
    make_optimizer,
    make_schedule,
)

SHAPES = [(3, 4), (4,), (4, 2), (2,)]


def _problem(seed: int = 0, steps: int = 25):
    rng = np.random.default_rng(seed)
    params = [rng.normal(size=s) for s in SHAPES]
    # Gradients that change from step to step, with mixed signs and scales.
    grads = [[rng.normal(scale=10.0 ** rng.integers(-3, 2), size=s) for s in SHAPES]
             for _ in range(steps)]  # fmt: skip
    return params, grads


def _torch_run(params, grads, make_opt, decay_mask=None):
    tensors = [torch.tensor(p.copy(), dtype=torch.float64, requires_grad=True) for p in params]
    if decay_mask is None:
        opt = make_opt(tensors)
    else:
        decayed = [t for t, m in zip(tensors, decay_mask, strict=True) if m]
        plain = [t for t, m in zip(tensors, decay_mask, strict=True) if not m]
        opt = make_opt([{"params": decayed}, {"params": plain, "weight_decay": 0.0}])
    history = []
    for step_grads in grads:
        for t, g in zip(tensors, step_grads, strict=True):
            t.grad = torch.tensor(g, dtype=torch.float64)
        opt.step()
        history.append([t.detach().numpy().copy() for t in tensors])
    return history


def _ours_run(params, grads, opt_factory):
    arrays = [p.copy() for p in params]
    opt = opt_factory(arrays)
    history = []
    for step_grads in grads:
        opt.step(step_grads)
        history.append([a.copy() for a in arrays])
    return history


def _assert_same(ours, theirs, tol=1e-10):
    for k, (a_step, b_step) in enumerate(zip(ours, theirs, strict=True)):
        for a, b in zip(a_step, b_step, strict=True):
            np.testing.assert_allclose(a, b, rtol=tol, atol=tol, err_msg=f"step {k + 1}")


CASES = {
    "sgd": (
        lambda p: SGD(p, 0.05),
        lambda t: torch.optim.SGD(t, lr=0.05),
    ),
    "sgd+decay": (
        lambda p: SGD(p, 0.05, weight_decay=0.01),
        lambda t: torch.optim.SGD(t, lr=0.05, weight_decay=0.01),
    ),
    "momentum": (
        lambda p: SGD(p, 0.02, momentum=0.9),
        lambda t: torch.optim.SGD(t, lr=0.02, momentum=0.9),
    ),
    "momentum+decay": (
        lambda p: SGD(p, 0.02, momentum=0.8, weight_decay=0.05),
        lambda t: torch.optim.SGD(t, lr=0.02, momentum=0.8, weight_decay=0.05),
    ),
    "nesterov": (
        lambda p: SGD(p, 0.02, momentum=0.9, nesterov=True),
        lambda t: torch.optim.SGD(t, lr=0.02, momentum=0.9, nesterov=True),
    ),
    "nesterov+decay": (
        lambda p: SGD(p, 0.02, momentum=0.7, nesterov=True, weight_decay=0.1),
        lambda t: torch.optim.SGD(t, lr=0.02, momentum=0.7, nesterov=True, weight_decay=0.1),
    ),
    "adam": (
        lambda p: Adam(p, 0.01),
        lambda t: torch.optim.Adam(t, lr=0.01),
    ),
    "adam-betas": (
        lambda p: Adam(p, 0.003, beta1=0.8, beta2=0.95, eps=1e-6),
        lambda t: torch.optim.Adam(t, lr=0.003, betas=(0.8, 0.95), eps=1e-6),
    ),
    "adam+decay": (
        lambda p: Adam(p, 0.01, weight_decay=0.02),
        lambda t: torch.optim.Adam(t, lr=0.01, weight_decay=0.02),
    ),
}


@pytest.mark.parametrize("case", list(CASES))
def test_matches_torch_optim_step_by_step(case: str) -> None:
    ours_factory, torch_factory = CASES[case]
    params, grads = _problem()
    _assert_same(_ours_run(params, grads, ours_factory), _torch_run(params, grads, torch_factory))


@pytest.mark.parametrize("name", ["sgd", "momentum", "adam"])
def test_decay_mask_matches_torch_param_groups(name: str) -> None:
    mask = [True, False, True, False]  # weights decayed, biases not (what fit does)
    params, grads = _problem(seed=1)
    ours = _ours_run(
        params, grads, lambda p: make_optimizer(name, p, lr=0.01, weight_decay=0.1, decay_mask=mask)
    )
    torch_opt = {
        "sgd": lambda g: torch.optim.SGD(g, lr=0.01, weight_decay=0.1),
        "momentum": lambda g: torch.optim.SGD(g, lr=0.01, momentum=0.9, weight_decay=0.1),
        "adam": lambda g: torch.optim.Adam(g, lr=0.01, weight_decay=0.1),
    }[name]
    _assert_same(ours, _torch_run(params, grads, torch_opt, decay_mask=mask))


def test_plain_sgd_is_the_slides_update_bit_for_bit() -> None:
    # w(new) = w - eta dL/dw for every parameter, from the same forward pass.
    X = np.array([[0.05, 0.10]])
    Y = np.array([[0.01]])
    net = bp.MLP.slides_network()
    reference = bp.MLP.slides_network()
    g = net.gradients(X, Y)
    expected = [p - 0.5 * gp for p, gp in zip(net.parameters(), g, strict=True)]
    SGD(list(net.parameters()), 0.5).step(list(g))
    reference.step(X, Y, 0.5)
    for got, want, ref in zip(net.parameters(), expected, reference.parameters(), strict=True):
        assert got.tobytes() == want.tobytes()
        assert got.tobytes() == ref.tobytes()


def test_updates_are_in_place_and_state_is_preallocated() -> None:
    params, grads = _problem(steps=3)
    arrays = [p.copy() for p in params]
    ids = [id(a) for a in arrays]
    opt = Adam(arrays, 0.01, weight_decay=0.01)
    state_ids = [id(a) for arrays_ in opt.state_arrays().values() for a in arrays_]
    for g in grads:
        opt.step(g)
    assert [id(a) for a in opt.params] == ids
    assert [id(a) for arrays_ in opt.state_arrays().values() for a in arrays_] == state_ids
    assert not any(np.array_equal(a, p) for a, p in zip(arrays, params, strict=True))
    assert opt.steps == 3


def test_float32_parameters_stay_float32() -> None:
    params = [np.ones((2, 2), dtype=np.float32), np.zeros(2, dtype=np.float32)]
    for name in ("sgd", "nesterov", "adam"):
        arrays = [p.copy() for p in params]
        make_optimizer(name, arrays, lr=0.1, weight_decay=0.1).step(
            [np.full((2, 2), 0.5, np.float32), np.ones(2, np.float32)]
        )
        assert all(a.dtype == np.float32 for a in arrays)
        assert arrays[0][0, 0] < 1.0


@pytest.mark.parametrize(
    ("ours", "theirs"),
    [
        (StepLR(step_size=3, gamma=0.5), lambda o: torch.optim.lr_scheduler.StepLR(o, 3, 0.5)),
        (ExponentialLR(gamma=0.9), lambda o: torch.optim.lr_scheduler.ExponentialLR(o, 0.9)),
        (
            CosineLR(total=10, min_factor=0.1),
            lambda o: torch.optim.lr_scheduler.CosineAnnealingLR(o, T_max=10, eta_min=0.01),
        ),
    ],
)
def test_schedules_match_torch(ours, theirs) -> None:
    opt = torch.optim.SGD([torch.zeros(1, requires_grad=True)], lr=0.1)
    sched = theirs(opt)
    for epoch in range(10):
        assert ours(epoch) * 0.1 == pytest.approx(opt.param_groups[0]["lr"], rel=1e-12)
        opt.step()
        sched.step()


def test_schedule_by_name() -> None:
    assert make_schedule(None, epochs=10)(7) == 1.0
    assert make_schedule("cosine", epochs=10)(10) == pytest.approx(0.0)
    assert make_schedule("exponential", epochs=100)(100) == pytest.approx(0.01)
    assert make_schedule("step", epochs=9)(3) == pytest.approx(0.1)
    assert InverseTimeLR(0.5)(2) == pytest.approx(0.5)
    with pytest.raises(InputError, match="unknown schedule 'linear'"):
        make_schedule("linear", epochs=10)


@pytest.mark.parametrize(
    ("call", "match"),
    [
        (lambda p: make_optimizer("rmsprop", p, lr=0.1), "unknown optimizer 'rmsprop'"),
        (lambda p: SGD(p, -1.0), "lr must be a finite number >= 0"),
        (lambda p: SGD(p, 0.1, momentum=1.5), r"momentum must lie in \[0, 1\]"),
        (lambda p: SGD(p, 0.1, nesterov=True), "nesterov=True needs a momentum > 0"),
        (lambda p: Adam(p, 0.1, beta2=1.0), r"beta2 must lie in \[0, 1\)"),
        (lambda p: SGD(p, 0.1, weight_decay=-0.1), "weight_decay must be >= 0"),
        (lambda p: SGD(p, 0.1, decay_mask=[True]), "decay_mask needs 2 entries"),
        (lambda p: make_optimizer("adam", p, lr=0.1, momentum=0.9), "Adam uses beta1"),
    ],
)
def test_bad_settings_are_clear_errors(call, match) -> None:
    with pytest.raises(InputError, match=match):
        call([np.zeros((2, 2)), np.zeros(2)])


def test_wrong_gradients_are_clear_errors() -> None:
    opt = SGD([np.zeros((2, 2)), np.zeros(2)], 0.1)
    with pytest.raises(InputError, match="step needs 2 gradient arrays, got 1"):
        opt.step([np.zeros((2, 2))])
    with pytest.raises(InputError, match=r"gradient 1 has shape \(3,\)"):
        opt.step([np.zeros((2, 2)), np.zeros(3)])
