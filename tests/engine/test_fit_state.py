"""fit's state and diagnostics: resume bit for bit, checkpoints, sample weights, the
settings object, divergence diagnosis and vanishing-gradient warnings."""

from __future__ import annotations

import json

import numpy as np
import pytest

import backproplab as bp
from backproplab.engine.errors import DivergenceError, VanishingGradientWarning
from backproplab.engine.state import TrainingState


def _data(n=60, seed=0):
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, 3))
    y = (X[:, 0] + X[:, 1] * X[:, 2] > 0).astype(int) + (X[:, 2] > 1)
    return X, y


class StopAt(bp.Callback):
    def __init__(self, epoch: int) -> None:
        self.epoch = epoch

    def on_epoch_end(self, epoch, logs):
        return epoch == self.epoch


def _round_trip(state: TrainingState) -> TrainingState:
    arrays = {k: v.copy() for k, v in state.to_arrays().items()}
    return TrainingState.from_parts(arrays, json.loads(state.dumps()))


@pytest.mark.parametrize("path", ["numpy", "compiled"])
@pytest.mark.parametrize(
    "kw",
    [
        {"optimizer": "sgd"},
        {"optimizer": "adam", "batch_size": 16},
        {"optimizer": "nesterov", "batch_size": 7, "schedule": "cosine", "weight_decay": 0.01},
        {"optimizer": "momentum", "batch_size": 16, "validation_split": 0.2, "patience": 50},
    ],
)
def test_an_interrupted_and_resumed_run_ends_bit_identical(path, kw) -> None:
    X, y = _data()
    settings = bp.FitSettings(epochs=30, lr=0.05, seed=3, path=path, **kw)
    whole = bp.MLP([3, 8, 3], hidden="tanh", loss="cross_entropy", seed=1)
    part = whole.copy()
    h_whole = whole.fit(X, y, settings)
    h_part = part.fit(X, y, settings.replace(callbacks=[StopAt(11)]))
    assert h_part.stop_reason == "callback" and h_part.state.epoch == 11
    resumed = h_part.state if path == "numpy" else _round_trip(h_part.state)
    h_rest = part.fit(X, y, settings.replace(resume=resumed))
    assert h_rest.stop_reason == h_whole.stop_reason  # not the interrupted run's "callback"
    for a, b in zip(whole.parameters(), part.parameters(), strict=True):
        assert a.tobytes() == b.tobytes()
    assert h_rest.epochs == h_whole.epochs and h_rest.loss == h_whole.loss


def test_checkpoints_are_handed_out_and_resume(tmp_path) -> None:
    X, y = _data()
    seen: list[TrainingState] = []
    net = bp.MLP([3, 5, 3], hidden="relu", loss="cross_entropy", seed=0)
    start = net.copy()
    net.fit(X, y, epochs=9, lr=0.1, batch_size=10, checkpoint_every=4, on_checkpoint=seen.append)
    assert [s.epoch for s in seen] == [4, 8]
    # Resuming from epoch 4 needs the parameters of epoch 4: replay to there, then resume.
    replay = start.copy()
    replay.fit(X, y, epochs=9, lr=0.1, batch_size=10, callbacks=[StopAt(4)])
    replay.fit(X, y, epochs=9, lr=0.1, batch_size=10, resume=_round_trip(seen[0]))
    for a, b in zip(net.parameters(), replay.parameters(), strict=True):
        assert a.tobytes() == b.tobytes()


def test_resume_with_other_settings_is_refused() -> None:
    X, y = _data()
    net = bp.MLP([3, 4, 3], loss="cross_entropy")
    state = net.fit(X, y, epochs=5, callbacks=[StopAt(2)]).state
    with pytest.raises(bp.InputError, match="planned for 5 epochs"):
        net.fit(X, y, epochs=6, resume=state)
    with pytest.raises(bp.InputError, match="used 'sgd'"):
        net.fit(X, y, epochs=5, optimizer="adam", resume=state)
    with pytest.raises(bp.InputError, match="malformed"):
        TrainingState.from_parts({}, {**state.to_json(), "path": "gpu"})


def test_sample_weights_are_the_weighted_mean_and_integer_weights_repeat_rows() -> None:
    X, y = _data(20)
    w = np.random.default_rng(0).integers(0, 4, 20).astype(float)
    w[0] = 1
    net = bp.MLP([3, 4, 3], hidden="tanh", loss="cross_entropy", seed=2)
    repeated = np.repeat(np.arange(20), w.astype(int))
    g_w = net.gradients(X, y, sample_weight=w)
    g_r = net.gradients(X[repeated], y[repeated])
    assert g_w.loss == pytest.approx(g_r.loss, rel=1e-12)
    for a, b in zip(g_w, g_r, strict=True):
        np.testing.assert_allclose(a, b, rtol=1e-10, atol=1e-13)
    assert net.loss(X, y, sample_weight=w) == pytest.approx(g_r.loss, rel=1e-12)
    a, b = net.copy(), net.copy()
    a.fit(X, y, epochs=5, lr=0.3, sample_weight=w)
    b.fit(X[repeated], y[repeated], epochs=5, lr=0.3)
    for p, q in zip(a.parameters(), b.parameters(), strict=True):
        np.testing.assert_allclose(p, q, rtol=1e-10, atol=1e-12)
    with pytest.raises(bp.InputError, match="sample_weight must have shape"):
        net.gradients(X, y, sample_weight=w[:3])
    with pytest.raises(bp.InputError, match=">= 0"):
        net.gradients(X, y, sample_weight=-w)


def test_divergence_names_the_layer_step_and_a_learning_rate_that_works() -> None:
    rng = np.random.default_rng(0)
    X = rng.uniform(-3, 3, size=(50, 1))
    Y = np.sin(X) * 100
    for path in ("numpy", "compiled"):
        net = bp.MLP([1, 16, 16, 1], hidden="relu", seed=0)
        start = net.copy()
        with pytest.raises(DivergenceError) as info:
            net.fit(X, Y, epochs=500, lr=0.5, path=path)
        err = info.value
        assert err.layer in (1, 2, 3) and f"layer {err.layer}" in str(err)
        assert err.step == err.epoch  # full batch: one step per epoch
        assert f"about {err.suggested_lr:g}" in str(err)
        # The suggestion is a learning rate that does not diverge.
        start.fit(X, Y, epochs=500, lr=err.suggested_lr, path=path)
        assert np.isfinite(start.loss(X, Y))


def test_a_deep_sigmoid_stack_warns_of_vanishing_gradients_naming_the_layers() -> None:
    X, y = _data()
    net = bp.MLP([3, 8, 8, 8, 8, 8, 3], hidden="sigmoid", loss="cross_entropy", seed=0)
    with pytest.warns(VanishingGradientWarning, match=r"layer 1 \(") as record:
        h = net.fit(X, y, epochs=3, lr=0.1)
    ratios = h.layer_metric("grad_norm", 6)
    assert ratios.shape == (3, 6) and (ratios[:, 0] < ratios[:, -1] * 1e-3).all()
    assert "layer 6" not in str(record[0].message)
    tanh = bp.MLP([3, 8, 8, 3], hidden="tanh", loss="cross_entropy", seed=0)
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("error", VanishingGradientWarning)
        tanh.fit(X, y, epochs=3, lr=0.1)


def test_settings_object_and_keywords_override_it() -> None:
    X, y = _data()
    net = bp.MLP([3, 4, 3], loss="cross_entropy")
    h = net.fit(X, y, bp.FitSettings(epochs=4, lr=0.2), epochs=2)
    assert len(h) == 2 and h["lr"] == [0.2, 0.2]
    with pytest.raises(TypeError, match="unexpected keyword"):
        net.fit(X, y, epoch=3)
