"""One settings object from the CLI to the optimiser: TrainSettings (and its FitSettings)."""

from __future__ import annotations

from dataclasses import fields

import numpy as np
import pytest

from backproplab import distributed
from backproplab.engine.errors import InputError
from backproplab.engine.fit import Callback, FitSettings, fit
from backproplab.engine.network import MLP
from backproplab.engine.optim import SGD
from backproplab.train.datasets import load_dataset
from backproplab.train.pipeline import (
    DEFAULT_LR,
    FIT_OPTIONS,
    RUN_OPTIONS,
    TrainSettings,
    train,
)

SMALL = dict(layers=[4, 6, 3], optimizer="nesterov", momentum=0.8, weight_decay=1e-3,
             epochs=15, batch_size=16, schedule="cosine", val_split=0.2, patience=50,
             test_split=0.3, seed=4, split_seed=2)  # fmt: skip


class _SeesTheOptimiser(Callback):
    def on_train_begin(self, net, info) -> None:
        self.info = info


def test_a_settings_object_and_its_keywords_train_the_same_network() -> None:
    ds = load_dataset("iris")
    by_keywords = train(ds, **SMALL)
    by_object = train(ds, TrainSettings.from_options(**SMALL))
    for a, b in zip(by_keywords.net.parameters(), by_object.net.parameters(), strict=True):
        np.testing.assert_array_equal(a, b)
    assert by_keywords.settings == by_object.settings
    assert by_object.history.loss == by_keywords.history.loss


def test_every_setting_reaches_the_fit_loop_and_the_optimiser() -> None:
    seen = _SeesTheOptimiser()
    s = TrainSettings.from_options(**SMALL).replace(callbacks=[seen])
    result = train(load_dataset("iris"), s)
    info = seen.info
    assert info["optimizer"] == (
        f"SGD(lr={DEFAULT_LR['nesterov']}, momentum=0.8, nesterov=True, weight_decay=0.001)"
    )
    assert info["batch_size"] == 16 and info["epochs"] == 15
    n_train = len(result.prepared.train_idx)
    assert info["n_val"] == round(n_train * 0.2) and info["n_samples"] == n_train - info["n_val"]
    assert "val_loss" in result.history  # val_split became FitSettings.validation_split
    lrs = result.history["lr"]
    assert lrs[0] == pytest.approx(DEFAULT_LR["nesterov"]) and lrs[-1] < lrs[0]  # cosine
    assert len(result.prepared.test_idx) == 45  # 30% of 150, drawn with split_seed


def test_the_record_holds_every_option_but_the_layers_and_gives_the_run_again() -> None:
    s = TrainSettings.from_options(**SMALL, hidden="gelu", target=None, samples=None)
    record = s.record()
    assert list(record) == [name for name in RUN_OPTIONS if name != "layers"]
    assert record["val_split"] == 0.2 and record["lr"] == DEFAULT_LR["nesterov"]
    again = TrainSettings.from_options(**record, layers=SMALL["layers"])
    assert again == s


def test_options_by_cli_name_go_to_their_fit_setting_and_lr_follows_the_optimizer() -> None:
    s = TrainSettings.from_options(optimizer="adam")
    assert s.fit.lr == DEFAULT_LR["adam"] and s.fit.epochs == 300
    assert TrainSettings.from_options(optimizer="adam", lr=0.3).fit.lr == 0.3
    changed = s.replace(val_split=0.25, checkpoint_every=5, hidden="relu")
    assert changed.fit.validation_split == 0.25 and changed.fit.checkpoint_every == 5
    assert changed.hidden == "relu" and s.hidden == "tanh"  # a copy; s is unchanged
    assert changed.replace(epochs=7).fit.lr == DEFAULT_LR["adam"]  # lr kept when not named
    assert set(FIT_OPTIONS.values()) <= {f.name for f in fields(FitSettings)}
    with pytest.raises(TypeError, match="valsplit"):
        s.replace(valsplit=0.2)


def test_the_test_split_seed_is_split_seed_else_seed() -> None:
    assert TrainSettings.from_options(seed=5).test_seed == 5
    assert TrainSettings.from_options(seed=5, split_seed=0).test_seed == 0


def test_fit_settings_build_the_optimiser_and_list_what_they_change() -> None:
    params = [np.ones((2, 3)), np.ones(3)]
    s = FitSettings(optimizer="momentum", lr=0.2, weight_decay=0.5)
    opt = s.make_optimizer(params)
    assert isinstance(opt, SGD) and opt.momentum == 0.9 and opt.decay_mask == [True, False]
    assert opt.params[0] is params[0]
    assert s.changes() == {
        "optimizer": "momentum", "lr": 0.2, "weight_decay": 0.5,
    }  # fmt: skip
    assert FitSettings(optimizer=opt).make_optimizer(params) is opt
    with pytest.raises(InputError, match="other arrays"):
        FitSettings(optimizer=opt).make_optimizer([np.ones((2, 3)), np.ones(3)])
    assert FitSettings(sample_weight=np.ones(3)).changes().keys() == {"sample_weight"}


# 64 rows on a cluster is the point here, not a case for one (the warning says so).
@pytest.mark.filterwarnings("ignore::backproplab.distributed.SmallDataWarning")
def test_fit_on_dask_arrays_hands_its_settings_to_the_cluster_loop() -> None:
    import dask.array as da

    rng = np.random.default_rng(0)
    X = rng.normal(size=(64, 2))
    Y = (X[:, :1] * X[:, 1:] > 0).astype(float)
    Xd, Yd = da.from_array(X, chunks=16), da.from_array(Y, chunks=16)
    settings = FitSettings(epochs=4, lr=0.3, optimizer="adam", weight_decay=1e-3)
    via_engine, direct = MLP([2, 5, 1], loss="bce", seed=1), MLP([2, 5, 1], loss="bce", seed=1)
    h = fit(via_engine, Xd, Yd, settings)  # only the fields it changes go to the cluster's fit
    h_direct = distributed.fit(direct, Xd, Yd, epochs=4, lr=0.3, optimizer="adam",
                               weight_decay=1e-3)  # fmt: skip
    assert len(h) == 4 and h.loss == h_direct.loss
    for a, b in zip(via_engine.parameters(), direct.parameters(), strict=True):
        np.testing.assert_array_equal(a, b)
