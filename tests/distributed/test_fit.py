"""Distributed fit equals in-memory fit: full batch to 1e-10 whatever the chunking."""

from __future__ import annotations

import os
import signal

import dask.array as da
import dask.dataframe as dd
import numpy as np
import pandas as pd
import pytest

import backproplab as bp
from backproplab.distributed import SmallDataWarning, fit, predict
from backproplab.distributed.data import load_shard

pytestmark = pytest.mark.filterwarnings("ignore::backproplab.distributed.SmallDataWarning")

N = 97
#: one chunk; uneven chunks; more chunks (10) than workers (2)
CHUNKINGS = [(N,), (50, 4, 43), 10]


def data(seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(N, 3))
    y = ((X[:, 0] * X[:, 1] > 0).astype(int) + (X[:, 2] > 0.5)).astype(int)  # 3 classes
    return X, y


def network() -> bp.MLP:
    return bp.MLP([3, 6, 3], hidden="tanh", loss="cross_entropy", seed=3)


def max_diff(a: bp.MLP, b: bp.MLP) -> float:
    return max(
        float(np.abs(p - q).max()) for p, q in zip(a.parameters(), b.parameters(), strict=True)
    )


@pytest.mark.parametrize("chunks", CHUNKINGS)
def test_full_batch_gd_equals_in_memory_for_any_chunking(client, chunks) -> None:
    X, y = data()
    ref = network()
    h_ref = ref.fit(X, y, epochs=25, lr=0.5)  # the slides' full-batch GD, in memory
    net = network()
    h = fit(net, da.from_array(X, chunks=(chunks, 3)), da.from_array(y, chunks=chunks),
            epochs=25, lr=0.5, client=client)  # fmt: skip
    assert max_diff(net, ref) < 1e-10
    assert max_diff(net, network()) > 0.01  # it did train
    np.testing.assert_allclose(h.loss, h_ref.loss, rtol=0, atol=1e-10)
    assert h.epochs == h_ref.epochs and h.stop_reason == "completed"


def test_full_batch_momentum_weight_decay_and_schedule_use_the_engine_optimiser(client) -> None:
    X, y = data(1)
    Yr = X @ np.array([[0.5], [-1.0], [2.0]])
    options = dict(epochs=12, lr=0.05, optimizer="adam", weight_decay=0.01, schedule="cosine")
    ref = bp.MLP([3, 4, 1], hidden="sigmoid", seed=0)
    ref.fit(X, Yr, **options)
    net = bp.MLP([3, 4, 1], hidden="sigmoid", seed=0)
    fit(net, da.from_array(X, chunks=(30, 3)), da.from_array(Yr, chunks=(30, 1)),
        client=client, **options)  # fmt: skip
    assert max_diff(net, ref) < 1e-10


def test_dask_dataframe_columns_train_like_the_array(client) -> None:
    X, y = data(2)
    frame = pd.DataFrame(X, columns=["a", "b", "c"]).assign(y=y)
    ddf = dd.from_pandas(frame, npartitions=4)
    ref = network()
    ref.fit(X, y, epochs=10, lr=0.5)
    net = network()
    fit(net, ddf[["a", "b", "c"]], ddf["y"], epochs=10, lr=0.5, client=client)
    assert max_diff(net, ref) < 1e-10


def test_validation_split_holds_out_rows_of_every_chunk_like_validation_data(client) -> None:
    X, y = data(3)
    chunks = (40, 57)
    net = network()
    h = fit(net, da.from_array(X, chunks=(chunks, 3)), da.from_array(y, chunks=chunks),
            epochs=8, lr=0.5, validation_split=0.25, client=client, seed=5)  # fmt: skip
    # The same rows, chosen in memory by load_shard, given to the in-memory loop.
    template = network()
    shards = [load_shard(X[lo:hi], y[lo:hi], template, i, 0.25, 5)
              for i, (lo, hi) in enumerate([(0, 40), (40, 97)])]  # fmt: skip
    Xt = np.vstack([s.X for s in shards])
    Yt = np.vstack([s.Y for s in shards])
    val = (np.vstack([s.Xv for s in shards]), np.vstack([s.Yv for s in shards]))
    assert len(val[0]) == 10 + 14
    ref = network()
    h_ref = ref.fit(Xt, Yt, epochs=8, lr=0.5, validation_data=val)
    assert max_diff(net, ref) < 1e-10
    np.testing.assert_allclose(h["val_loss"], h_ref["val_loss"], atol=1e-10, rtol=0)
    np.testing.assert_allclose(h["val_accuracy"], h_ref["val_accuracy"], atol=1e-12, rtol=0)


def test_early_stopping_and_callbacks_behave_as_in_memory(client) -> None:
    X, y = data(4)
    seen = []
    kwargs = dict(epochs=30, lr=5.0, patience=2, validation_data=(X[:20], y[:20]))
    ref = network()
    h_ref = ref.fit(X, y, **kwargs, callbacks=[lambda e, logs: e == 25])
    net = network()
    h = fit(net, da.from_array(X, chunks=30), da.from_array(y, chunks=30), client=client,
            callbacks=[lambda e, logs: seen.append(e) or e == 25], **kwargs)  # fmt: skip
    assert h.stop_reason == h_ref.stop_reason
    assert h.epochs == h_ref.epochs == seen
    assert h.best_epoch == h_ref.best_epoch
    assert max_diff(net, ref) < 1e-10


def test_mini_batch_is_reproducible_and_one_batch_is_full_batch(client) -> None:
    X, y = data(5)
    Xd, yd = da.from_array(X, chunks=(30, 3)), da.from_array(y, chunks=30)
    runs = []
    for _ in range(2):
        net = network()
        h = fit(net, Xd, yd, epochs=3, lr=0.1, batch_size=16, optimizer="momentum", seed=7,
                client=client)  # fmt: skip
        runs.append((net, h))
    assert max_diff(runs[0][0], runs[1][0]) == 0.0
    assert runs[0][1].loss == runs[1][1].loss
    other = network()
    fit(other, Xd, yd, epochs=3, lr=0.1, batch_size=16, optimizer="momentum", seed=8,
        client=client)  # fmt: skip
    assert max_diff(other, runs[0][0]) > 1e-6  # the seed draws the batches
    whole, ref = network(), network()
    fit(whole, Xd, yd, epochs=4, lr=0.5, batch_size=N, client=client)
    ref.fit(X, y, epochs=4, lr=0.5)
    assert max_diff(whole, ref) < 1e-10


def test_predict_on_a_dask_array_equals_in_memory_predict(client) -> None:
    X, _ = data(6)
    net = network()
    out = predict(net, da.from_array(X, chunks=(13, 3)))
    assert isinstance(out, da.Array) and out.shape == (N, 3)
    np.testing.assert_array_equal(client.compute(out).result(), net.predict(X))


def test_bad_input_is_a_clear_input_error(client) -> None:
    X, y = data()
    with pytest.raises(bp.InputError, match="dask array, frame or series"):
        fit(network(), X, y, client=client)
    with pytest.raises(bp.InputError, match="2 features per sample but the network expects 3"):
        fit(network(), da.from_array(X[:, :2], chunks=50), y, epochs=1, client=client)
    with pytest.raises(bp.InputError, match="X has 97 rows but y has 96"):
        fit(network(), da.from_array(X, chunks=50), y[:-1], client=client)


def test_small_data_warns_that_in_memory_would_be_faster(client) -> None:
    X, y = data()
    with pytest.warns(SmallDataWarning, match="in-memory fit would be faster"):
        fit(network(), da.from_array(X, chunks=50), da.from_array(y, chunks=50), epochs=1,
            client=client)  # fmt: skip


def test_killing_a_worker_mid_fit_recovers_with_the_same_parameters(client) -> None:
    """Chosen behaviour: recovery. A SIGKILLed worker loses its persisted chunks; the nanny
    starts a new worker, the scheduler recomputes the chunks from their lineage and the run
    ends on the same parameters as without the failure."""
    X, y = data(7)
    ref = network()
    ref.fit(X, y, epochs=8, lr=0.5)
    pids = list(client.run(os.getpid).values())
    killed = []

    def kill_one(epoch, logs):
        if epoch == 3:
            os.kill(pids[0], signal.SIGKILL)
            killed.append(pids[0])

    net = network()
    h = fit(net, da.from_array(X, chunks=10), da.from_array(y, chunks=10), epochs=8, lr=0.5,
            client=client, callbacks=[kill_one], persist=True)  # fmt: skip
    assert killed and h.stop_reason == "completed" and len(h) == 8
    assert pids[0] not in client.run(os.getpid).values()  # the worker really was replaced
    assert max_diff(net, ref) < 1e-10
