"""Distributed fit equals in-memory fit: full batch to 1e-10 whatever the chunking."""

from __future__ import annotations

import os
import signal

import dask
import dask.array as da
import dask.dataframe as dd
import numpy as np
import pandas as pd
import pytest

import backproplab as bp
from backproplab.distributed import DistributedError, SmallDataWarning, fit, predict
from backproplab.distributed.data import load_shard
from backproplab.engine.lbfgs import minimize_lbfgs

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


def lbfgs_in_memory(net: bp.MLP, X: np.ndarray, y: np.ndarray, iterations: int) -> None:
    """The in-memory L-BFGS: the engine's minimize_lbfgs on net.gradients of all rows."""
    Xc = net.check_X(X)
    Yc = net.check_Y(y, Xc.shape[0])

    def objective():
        g = net.gradients(Xc, Yc)
        return g.loss, list(g)

    minimize_lbfgs(net, objective, max_iter=iterations, tol=1e-12)


@pytest.mark.parametrize("chunks", CHUNKINGS)
def test_lbfgs_equals_in_memory_lbfgs_for_any_chunking(client, chunks) -> None:
    X, y = data(8)
    ref = network()
    lbfgs_in_memory(ref, X, y, 15)
    net = network()
    seen = []
    h = fit(net, da.from_array(X, chunks=(chunks, 3)), da.from_array(y, chunks=chunks),
            optimizer="lbfgs", epochs=15, tol=1e-12, client=client,
            callbacks=[lambda e, logs: seen.append(e)])  # fmt: skip
    assert max_diff(net, ref) < 1e-10
    assert max_diff(net, network()) > 0.1  # it did train
    assert h.epochs == seen == list(range(1, 16))
    assert h.loss[-1] < h.loss[0]


def test_net_fit_on_dask_checkpoints_and_resumes_like_in_memory(client) -> None:
    """net.fit dispatches to the distributed loop, which is the engine's: the same
    checkpoints, the same TrainingState, and resume ends on the same parameters."""
    X, y = data(9)
    Xd, yd = da.from_array(X, chunks=25), da.from_array(y, chunks=25)
    opts = dict(epochs=6, lr=0.3, optimizer="momentum", checkpoint_every=2)
    ref, ref_states = network(), []
    h_ref = ref.fit(X, y, **opts, on_checkpoint=ref_states.append)
    net, states = network(), []
    h = net.fit(Xd, yd, **opts, on_checkpoint=states.append)
    assert max_diff(net, ref) < 1e-10
    assert [s.epoch for s in states] == [s.epoch for s in ref_states] == [2, 4, 6]
    np.testing.assert_allclose(states[1].buffers["velocity"], ref_states[1].buffers["velocity"],
                               atol=1e-10, rtol=0)  # fmt: skip
    assert h.path == "distributed" and h_ref.epochs == h.epochs
    # The gradient-health figures per epoch and layer, as in memory.
    np.testing.assert_allclose(h.health["grad_norm"], h_ref.health["grad_norm"], rtol=1e-9)
    # Stop at epoch 4, then go on from that run's state: the same end as the whole run.
    stopped = network()
    h4 = stopped.fit(Xd, yd, **opts, callbacks=[lambda e, logs: e == 4])
    assert h4.stop_reason == "callback" and h4.state.epoch == 4
    stopped.fit(Xd, yd, **opts, resume=h4.state)
    assert max_diff(stopped, net) == 0.0


def test_a_worker_lost_for_good_is_a_clear_error_with_the_last_epoch_kept(client, tmp_path):
    """When recovery is impossible (the worker computing a chunk dies on every try, more
    often than the scheduler's allowed failures), fit stops with a DistributedError naming
    the epoch; the network holds the last finished epoch's parameters and the checkpoints
    already written are intact."""
    X, y = data(10)
    marker = str(tmp_path / "die")

    def source(block):
        if os.path.exists(marker):  # from epoch 3 on, reading this chunk kills its worker
            os._exit(1)
        return block

    xs = [dask.delayed(source, pure=False)(X[lo:hi]) for lo, hi in ((0, 50), (50, N))]
    ys = [dask.delayed(np.asarray, pure=False)(y[lo:hi]) for lo, hi in ((0, 50), (50, N))]
    states, seen = [], []

    def after(epoch, logs):
        seen.append(epoch)
        if epoch == 2:
            open(marker, "w").close()

    scheduler = client.cluster.scheduler  # in this process: one death is one too many
    allowed, scheduler.allowed_failures = scheduler.allowed_failures, 0
    net = network()
    try:
        with pytest.raises(DistributedError, match="at epoch 3; the network keeps the param"):
            fit(net, xs, ys, epochs=6, lr=0.5, persist=False, checkpoint_every=1,
                on_checkpoint=states.append, callbacks=[after], client=client)  # fmt: skip
    finally:
        scheduler.allowed_failures = allowed
        client.wait_for_workers(2, timeout=60)
    assert seen == [1, 2] and [s.epoch for s in states] == [1, 2]
    ref = network()
    ref.fit(X, y, epochs=2, lr=0.5)
    assert max_diff(net, ref) < 1e-10


@pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")
def test_predict_and_the_estimators_accept_dask_collections(client) -> None:
    X, y = data(11)
    Xd = da.from_array(X, chunks=(20, 3))
    net = network()
    out = net.predict(Xd)
    assert isinstance(out, da.Array)
    np.testing.assert_array_equal(out.compute(), net.predict(X))
    frame = dd.from_pandas(pd.DataFrame(X, columns=["a", "b", "c"]), npartitions=3)
    np.testing.assert_array_equal(net.predict(frame).compute(), net.predict(X))
    from backproplab.sklearn import MLPClassifier, MLPRegressor

    # They train on the cluster (tests/distributed/test_sklearn_dask.py has the details):
    # 97 rows < 200 is one full batch, equal to in memory up to rounding.
    for est, target in ((MLPClassifier, y), (MLPRegressor, X[:, :1].ravel() * 2.0)):
        kw = dict(hidden_layer_sizes=(5,), max_iter=30, random_state=0)
        ref = est(**kw).fit(X, target)
        got = est(**kw).fit(Xd, da.from_array(target, chunks=20))
        pred = got.predict(Xd)
        assert isinstance(pred, da.Array)
        np.testing.assert_allclose(pred.compute(), ref.predict(X), rtol=0, atol=1e-10)
        np.testing.assert_allclose(got.coefs_[0], ref.coefs_[0], rtol=0, atol=1e-10)
