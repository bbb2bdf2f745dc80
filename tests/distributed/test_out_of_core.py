"""Out of core: training on a Parquet data set several times larger than a worker's memory.

The workers of this LocalCluster are limited to ``LIMIT`` bytes each; the data set on disk
(and in memory, as float64) is over four times that. ``persist='auto'`` must then leave the
chunks on disk, every step reading them again, one partition at a time per worker. The test
reads each worker's peak resident memory from the kernel (``VmHWM`` in /proc, the high-water
mark over the process's life), which no sampling can miss.
"""

from __future__ import annotations

import os
import time

import numpy as np
import pandas as pd
import pytest

import backproplab as bp
from backproplab.distributed import fit
from backproplab.engine.fit import Callback

distributed = pytest.importorskip("distributed", reason="the 'dask' extra is not installed")

#: A worker that has imported pandas, pyarrow and dask.dataframe already holds ~170 MiB, and
#: dask pauses a worker at 80% of its limit; so 384 MB leaves room for one partition's work.
LIMIT = 384_000_000
FEATURES = 8
FILES, ROWS = 200, 110_000  # 200 files of ~9.5 MB: 22 M rows, 1.58 GB as float64


def write_data(folder) -> int:
    rng = np.random.default_rng(0)
    w = rng.normal(size=FEATURES)
    for i in range(FILES):
        X = rng.normal(size=(ROWS, FEATURES))
        frame = pd.DataFrame(X, columns=[f"x{j}" for j in range(FEATURES)])
        frame["y"] = np.tanh(X @ w) + 0.1 * rng.normal(size=ROWS)
        frame.to_parquet(folder / f"part-{i:03d}.parquet")
    return sum(f.stat().st_size for f in folder.iterdir())


def peak_rss_bytes() -> int:
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) * 1024
    raise RuntimeError("no VmHWM in /proc/self/status")


class Begin(Callback):
    def on_train_begin(self, net, info) -> None:
        self.info = info


@pytest.mark.slow
@pytest.mark.filterwarnings("ignore::backproplab.distributed.SmallDataWarning")
@pytest.mark.skipif(not os.path.exists("/proc/self/status"), reason="reads /proc (Linux)")
def test_trains_on_parquet_four_times_a_workers_memory(tmp_path) -> None:
    import dask.dataframe as dd

    on_disk = write_data(tmp_path)
    in_memory = FILES * ROWS * (FEATURES + 1) * 8
    assert on_disk >= 4 * LIMIT and in_memory >= 4 * LIMIT
    with (
        distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                                 dashboard_address=None, memory_limit=LIMIT) as cluster,
        distributed.Client(cluster) as client,
    ):  # fmt: skip
        pids = client.run(os.getpid)
        frame = dd.read_parquet(str(tmp_path / "*.parquet"))
        net = bp.MLP([FEATURES, 8, 1], hidden="tanh", seed=0)
        begin = Begin()
        started = time.perf_counter()
        h = fit(net, frame[[f"x{j}" for j in range(FEATURES)]], frame["y"], epochs=3, lr=0.5,
                client=client, callbacks=[begin])  # fmt: skip
        seconds = time.perf_counter() - started
        peaks = client.run(peak_rss_bytes)
        assert client.run(os.getpid) == pids, "a worker died and was replaced"
    assert begin.info["persisted"] is False  # too large for the workers: read at each step
    assert begin.info["n_samples"] == FILES * ROWS
    assert h.stop_reason == "completed" and len(h) == 3
    assert np.isfinite(h.loss).all() and h.loss[-1] < h.loss[0]
    for address, peak in peaks.items():
        assert peak < LIMIT, f"worker {address} peaked at {peak / 1e6:.0f} MB"
    print(f"{on_disk / 1e9:.2f} GB on disk, {seconds:.1f} s for 3 epochs; peak RSS per worker "
          + ", ".join(f"{p / 1e6:.0f} MB" for p in peaks.values()))  # fmt: skip
