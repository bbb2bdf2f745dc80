"""The fit loop: the slides' full-batch descent, mini-batches, validation, early stopping,
callbacks and divergence, checked against independent computations (net.step, PyTorch)."""

from __future__ import annotations

import re

import numpy as np
import pytest
import torch

import backproplab as bp
from backproplab.engine.errors import DivergenceError, InputError
from backproplab.engine.fit import Callback, History, fit
from backproplab.engine.optim import SGD, Adam


def _same_params(a: bp.MLP, b: bp.MLP) -> bool:
    return all(
        x.tobytes() == y.tobytes() for x, y in zip(a.parameters(), b.parameters(), strict=True)
    )


def _close_params(a: bp.MLP, b: bp.MLP) -> bool:
    # fit() may run through the compiled loop (engine/compiled/kernel.py),
    # which agrees with step()'s NumPy path to rounding (BLAS may fuse multiply-adds), not
    # bit for bit.
    return all(
        np.allclose(x, y, rtol=0, atol=1e-12)
        for x, y in zip(a.parameters(), b.parameters(), strict=True)
    )


def _blobs(n: int = 60, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    y = np.arange(n) % 3
    X = rng.normal(size=(n, 3)) + 3.0 * np.eye(3)[y]
    return X, y


def test_full_batch_fit_is_the_slides_descent_bit_for_bit(xor_data) -> None:
    X, Y = xor_data
    net = bp.MLP.slides_network(seed=0)
    manual = bp.MLP.slides_network(seed=0)
    history = net.fit(X, Y, epochs=300, lr=0.5)
    losses = [manual.step(X, Y, 0.5) for _ in range(300)]
    assert _close_params(net, manual)
    np.testing.assert_allclose(history.loss, losses, rtol=1e-12, atol=0)
    assert history.epochs == list(range(1, 301))


def test_the_slides_network_learns_xor(xor_data) -> None:
    X, Y = xor_data
    net = bp.MLP.slides_network(seed=bp.XOR_SEED)
    history = net.fit(X, Y, epochs=5000, lr=0.5)
    assert history.loss[-1] < 1e-3 < history.loss[0]
    np.testing.assert_array_equal(np.rint(net.predict(X)), Y)


def test_minibatches_without_shuffle_are_consecutive_steps() -> None:
    X, y = _blobs(12)
    net = bp.MLP([3, 4, 3], hidden="tanh", loss="cross_entropy", seed=1)
    manual = net.copy()
    net.fit(X, y, epochs=3, lr=0.1, batch_size=5, shuffle=False)
    for _ in range(3):
        for lo in (0, 5, 10):  # batches of 5, 5 and the last 2
            manual.step(X[lo : lo + 5], y[lo : lo + 5], 0.1)
    assert _close_params(net, manual)


def test_shuffled_minibatches_are_seeded_and_visit_every_sample() -> None:
    X, y = _blobs(30)
    runs = []
    for seed in (7, 7, 8):
        net = bp.MLP([3, 5, 3], hidden="relu", loss="cross_entropy", seed=0)
        net.fit(X, y, epochs=4, lr=0.05, batch_size=8, seed=seed)
        runs.append(net)
    assert _same_params(runs[0], runs[1])
    assert not _same_params(runs[0], runs[2])
    # batch_size=1 and lr=0: each epoch's loss is the mean over *all* samples exactly once.
    net = bp.MLP([3, 5, 3], hidden="relu", loss="cross_entropy", seed=0)
    history = net.fit(X, y, epochs=2, lr=0.0, batch_size=1, seed=3)
    assert history.loss[0] == pytest.approx(net.loss(X, y), rel=1e-12)


def test_adam_minibatch_training_matches_pytorch() -> None:
    X, y = _blobs(20, seed=2)
    net = bp.MLP([3, 6, 3], hidden="tanh", loss="cross_entropy", seed=4)
    model = torch.nn.Sequential(torch.nn.Linear(3, 6), torch.nn.Tanh(), torch.nn.Linear(6, 3))
    model = model.double()
    with torch.no_grad():
        for layer, W, b in zip((model[0], model[2]), net.weights, net.biases, strict=True):
            layer.weight.copy_(torch.tensor(W.T))
            layer.bias.copy_(torch.tensor(b))
    # torch decays every parameter it is given: give it the weights with decay, biases without.
    opt = torch.optim.Adam(
        [
            {"params": [model[0].weight, model[2].weight], "weight_decay": 1e-3},
            {"params": [model[0].bias, model[2].bias], "weight_decay": 0.0},
        ],
        lr=0.01,
    )
    Xt, yt = torch.tensor(X), torch.tensor(y)
    for _epoch in range(5):
        for lo in range(0, 20, 6):
            opt.zero_grad()
            loss = torch.nn.functional.cross_entropy(model(Xt[lo : lo + 6]), yt[lo : lo + 6])
            loss.backward()
            opt.step()
    net.fit(X, y, epochs=5, lr=0.01, batch_size=6, optimizer="adam", shuffle=False,
            weight_decay=1e-3)  # fmt: skip
    for layer, W, b in zip((model[0], model[2]), net.weights, net.biases, strict=True):
        np.testing.assert_allclose(W, layer.weight.detach().numpy().T, rtol=1e-10, atol=1e-12)
        np.testing.assert_allclose(b, layer.bias.detach().numpy(), rtol=1e-10, atol=1e-12)


def test_optimizer_instance_carries_state_across_calls() -> None:
    X, y = _blobs(24)
    once = bp.MLP([3, 4, 3], hidden="tanh", loss="cross_entropy", seed=0)
    twice = once.copy()
    once.fit(X, y, epochs=5, lr=0.01, optimizer="adam")
    opt = Adam(list(twice.parameters()), 0.01)
    twice.fit(X, y, epochs=2, optimizer=opt)
    twice.fit(X, y, epochs=3, optimizer=opt)
    assert opt.steps == 5
    assert _same_params(once, twice)
    other = bp.MLP([3, 4, 3], hidden="tanh", loss="cross_entropy", seed=1)
    with pytest.raises(InputError, match="built on other arrays"):
        other.fit(X, y, epochs=1, optimizer=opt)


def test_history_and_validation_metrics() -> None:
    X, y = _blobs(100)
    net = bp.MLP([3, 8, 3], hidden="tanh", loss="cross_entropy", seed=0)
    seen = {}

    class Recorder(Callback):
        def on_train_begin(self, net, info):
            seen.update(info)

    history = net.fit(X, y, epochs=40, lr=0.3, validation_split=0.2, schedule="cosine",
                      callbacks=[Recorder()])  # fmt: skip
    assert isinstance(history, History) and len(history) == 40
    assert seen["n_samples"] == 80 and seen["n_val"] == 20
    assert set(history.metrics) == {"loss", "val_loss", "val_accuracy", "lr", "time"}
    assert history["val_accuracy"][-1] > 0.8
    assert history["loss"][-1] < history["loss"][0]
    assert history["lr"][0] == 0.3 and history["lr"][-1] < 0.01
    assert history.stop_reason == "completed" and history.best_epoch == 40
    assert history.to_dict()["metrics"]["loss"] == history.loss
    with pytest.raises(KeyError, match="no metric 'accuracy'"):
        history["accuracy"]


def test_validation_data_is_used_as_given() -> None:
    X, y = _blobs(60)
    net = bp.MLP([3, 8, 3], hidden="tanh", loss="cross_entropy", seed=0)
    history = net.fit(X[:40], y[:40], epochs=5, lr=0.1, validation_data=(X[40:], y[40:]))
    assert history["val_loss"][-1] == pytest.approx(net.loss(X[40:], y[40:]), rel=1e-12)


def test_early_stopping_restores_the_best_parameters() -> None:
    X, y = _blobs(60)
    net = bp.MLP([3, 8, 3], hidden="tanh", loss="cross_entropy", seed=0)
    snapshots = {}

    def snapshot(epoch, logs):
        snapshots[epoch] = [p.copy() for p in net.parameters()]

    # A schedule that makes the rate absurd after epoch 10: the validation loss gets worse.
    def schedule(e):
        return 1.0 if e < 10 else 60.0

    history = net.fit(X, y, epochs=200, lr=0.2, validation_split=0.25, patience=4,
                      schedule=schedule, callbacks=[snapshot])  # fmt: skip
    assert history.stop_reason == "early_stopping"
    assert len(history) < 200
    best = history.best_epoch
    assert history["val_loss"][best - 1] == min(history["val_loss"])
    for p, q in zip(net.parameters(), snapshots[best], strict=True):
        np.testing.assert_array_equal(p, q)


def test_patience_on_training_loss_without_validation() -> None:
    X, y = _blobs(30)
    net = bp.MLP([3, 4, 3], hidden="tanh", loss="cross_entropy", seed=0)
    history = net.fit(X, y, epochs=50, lr=0.0, patience=3)  # lr 0: the loss never improves
    assert history.stop_reason == "early_stopping" and len(history) == 4
    assert history.best_epoch == 1


def test_a_callback_can_stop_training() -> None:
    X, y = _blobs(30)
    net = bp.MLP([3, 4, 3], hidden="tanh", loss="cross_entropy", seed=0)
    history = net.fit(X, y, epochs=50, lr=0.1, callbacks=[lambda epoch, logs: epoch == 7])
    assert len(history) == 7 and history.stop_reason == "callback"


def test_divergence_names_the_epoch_and_keeps_finite_parameters() -> None:
    rng = np.random.default_rng(0)
    X = rng.uniform(-3, 3, size=(50, 1))
    Y = np.sin(X) * 100
    net = bp.MLP([1, 16, 1], hidden="relu", seed=0)
    with pytest.raises(DivergenceError) as info:
        net.fit(X, Y, epochs=500, lr=5.0)
    err = info.value
    message = str(err)
    assert f"epoch {err.epoch}" in message and "smaller learning rate" in message
    assert 1 < err.epoch < 500
    assert all(np.isfinite(p).all() for p in net.parameters())
    # The parameters kept are those of the last finite loss recorded.
    assert err.history.loss and np.isfinite(err.history.loss[-1])
    assert net.loss(X, Y) == pytest.approx(err.history.loss[-1], rel=1e-12)
    assert err.history.stop_reason == "diverged"


def test_divergence_in_minibatches_names_epoch_and_batch() -> None:
    rng = np.random.default_rng(1)
    X = rng.uniform(-3, 3, size=(64, 1))
    net = bp.MLP([1, 16, 1], hidden="relu", seed=0)
    with pytest.raises(DivergenceError, match=r"at epoch \d+ \(batch \d+ of 4\)"):
        net.fit(X, np.sin(X) * 100, epochs=500, lr=5.0, batch_size=16)
    assert all(np.isfinite(p).all() for p in net.parameters())


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"epochs": 0}, "epochs must be a positive integer"),
        ({"batch_size": 0}, "batch_size must be a positive integer"),
        ({"validation_split": 1.0}, r"validation_split must lie in \[0, 1\)"),
        ({"validation_split": 0.01}, "both need at least one"),
        ({"optimizer": "lbfgs"}, "unknown optimizer 'lbfgs'"),
        ({"patience": 0}, "patience must be a positive integer"),
        ({"validation_data": (np.zeros((2, 5)), [0, 1])}, "X has 5 features"),
        ({"lr": float("nan")}, "lr must be a finite number"),
    ],
)
def test_bad_arguments_are_clear_errors(kwargs, match) -> None:
    X, y = _blobs(30)
    net = bp.MLP([3, 4, 3], hidden="tanh", loss="cross_entropy", seed=0)
    with pytest.raises(InputError, match=match):
        fit(net, X, y, **{"epochs": 2, **kwargs})


@pytest.mark.parametrize("compiled", [True, False])
def test_minibatch_divergence_puts_back_the_parameters_of_an_epochs_start(compiled) -> None:
    """A copy of the parameters is kept once per epoch (not before every step): after a
    divergence the network holds those of the start of the epoch its message names."""
    rng = np.random.default_rng(1)
    X = rng.uniform(-3, 3, size=(64, 1))
    Y = np.sin(X) * 100
    net = bp.MLP([1, 16, 1], hidden="relu", seed=0)
    ref = net.copy()

    def optimizer(model):  # momentum: the compiled epoch; decay on every array: NumPy's loop
        params = list(model.parameters())
        return SGD(params, 0.2, momentum=0.9) if compiled else SGD(params, 5.0, weight_decay=1e-6)

    with pytest.raises(DivergenceError) as info:
        net.fit(X, Y, epochs=500, batch_size=16, optimizer=optimizer(net), seed=3)
    match = re.search(
        r"parameters of the start of epoch (\d+), whose loss was finite", str(info.value)
    )
    assert match, str(info.value)
    kept_epoch = int(match.group(1))
    assert kept_epoch in (info.value.epoch, info.value.epoch - 1)
    if kept_epoch > 1:  # the same run, stopped before that epoch
        ref.fit(X, Y, epochs=kept_epoch - 1, batch_size=16, optimizer=optimizer(ref), seed=3)
    for a, b in zip(net.parameters(), ref.parameters(), strict=True):
        np.testing.assert_array_equal(a, b)
