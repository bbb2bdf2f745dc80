"""Task 8: rows/s of the full-batch gradient in memory vs a LocalCluster of 1 and 2 workers.

The same network and data for all three; the distributed runs keep the chunks persisted in
the workers (one chunk per worker) and time ``Runner.sums``, one full-batch step's map-reduce
(parameters out, gradient sums back, the fixed-order tree). From the timings it fits the
cost model of ``backproplab.distributed.costs`` (per-step overhead, per-worker overhead,
compute per row and parameter) and reports the break-even rows.

Three more sweeps on the 2-worker cluster feed docs/scaling.md: the step time against the
number of chunks (few rows, so the tasks and the tree dominate), the latency of one level of
the reduction (a chain of dependent additions), and the step time against the size of the
parameters sent out (wide networks, few rows).
"""

from __future__ import annotations

import time
from typing import Any

import numpy as np

import backproplab as bp

SIZES_FULL = (10_000, 100_000, 1_000_000)
SIZES_QUICK = (2_000, 20_000)


def _best_seconds(fn: Any, repeats: int) -> float:
    """The fastest of ``repeats`` runs after a warm-up: on a machine shared with other work
    the slower runs measure the other work (the minimum is the least disturbed run)."""
    fn()
    times = []
    for _ in range(repeats):
        t = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t)
    return float(np.min(times))


def network() -> bp.MLP:
    return bp.MLP([16, 32, 32, 1], hidden="tanh", seed=0)


def run(sizes: tuple[int, ...] = SIZES_FULL, repeats: int = 5) -> dict[str, Any]:
    from threadpoolctl import threadpool_limits

    from backproplab.distributed.fit import Runner
    from distributed import Client, LocalCluster

    net = network()
    rows: list[dict[str, Any]] = []
    extra: dict[str, Any] = {}
    rng = np.random.default_rng(0)
    data = {n: (rng.normal(size=(n, 16)), rng.normal(size=(n, 1))) for n in sizes}
    for n, (X, Y) in data.items():
        t = _best_seconds(lambda X=X, Y=Y: net.gradients(X, Y), repeats)
        rows.append({"rows": n, "workers": 0, "seconds": t, "rows_per_s": n / t})
        # One BLAS thread, as each worker runs (dask's nanny sets OMP_NUM_THREADS=1): the
        # compute per row and core without the threads' hand-over.
        with threadpool_limits(1):
            t = _best_seconds(lambda X=X, Y=Y: net.gradients(X, Y), repeats)
        rows.append({"rows": n, "workers": -1, "seconds": t, "rows_per_s": n / t})
    for workers in (1, 2):
        with (
            LocalCluster(
                n_workers=workers, threads_per_worker=1, processes=True, dashboard_address=None
            ) as cluster,  # fmt: skip
            Client(cluster) as client,
        ):
            for n, (X, Y) in data.items():
                chunk = -(-n // workers)
                t = _step_seconds(Runner, net, client, X, Y, chunk, repeats)
                rows.append({"rows": n, "workers": workers, "seconds": t, "rows_per_s": n / t})
            if workers == 2:
                extra = _sweeps(Runner, client, repeats)
    return {
        "rows": rows,
        "model": fit_model(rows, net.n_parameters),
        "parameters": net.n_parameters,
        **extra,
    }


def _step_seconds(runner_class: Any, net: bp.MLP, client: Any, X: np.ndarray, Y: np.ndarray,
                  chunk: int, repeats: int) -> float:  # fmt: skip
    import dask.array as da

    runner = runner_class(net, da.from_array(X, chunks=(chunk, X.shape[1])),
                          da.from_array(Y, chunks=(chunk, Y.shape[1])), client=client,
                          val_split=0.0, seed=0, persist=True)  # fmt: skip
    params = list(net.parameters())
    return _best_seconds(lambda: runner.sums(params), repeats)


def _sweeps(runner_class: Any, client: Any, repeats: int) -> dict[str, Any]:
    """Chunks, reduction latency and parameter size, on the cluster of ``client``."""
    import dask

    net = network()
    rng = np.random.default_rng(1)
    X, Y = rng.normal(size=(2048, 16)), rng.normal(size=(2048, 1))
    chunks = []
    for count in (2, 8, 32, 128):
        t = _step_seconds(runner_class, net, client, X, Y, len(X) // count, repeats)
        chunks.append({"chunks": count, "seconds": t})
    slope, _ = np.polyfit([c["chunks"] for c in chunks], [c["seconds"] for c in chunks], 1)

    def chain(levels: int) -> float:
        value = dask.delayed(0.0)
        for _ in range(levels):
            value = dask.delayed(lambda a: a + 1.0, pure=False)(value)
        return value

    lat = [(k, _best_seconds(lambda k=k: client.compute(chain(k)).result(), repeats))
           for k in (1, 16, 64)]  # fmt: skip
    level_s, _ = np.polyfit([k for k, _ in lat], [s for _, s in lat], 1)
    # Parameters out and one array of their size back, per worker, as a step sends them.
    addresses = sorted(client.scheduler_info()["workers"])
    transfer = []
    for size in (1_000, 100_000, 1_000_000, 10_000_000):
        arr = np.ones(size)

        def round_trip(arr=arr) -> None:
            futures = [client.submit(np.multiply, arr, 1.0, workers=[a], pure=False)
                       for a in addresses]  # fmt: skip
            client.gather(futures)

        transfer.append({"bytes": arr.nbytes, "seconds": _best_seconds(round_trip, repeats)})
    per_byte, _ = np.polyfit([w["bytes"] for w in transfer], [w["seconds"] for w in transfer], 1)
    return {
        "chunks_sweep": chunks,
        "per_chunk_s": float(slope),
        "level_latency": [{"levels": k, "seconds": s} for k, s in lat],
        "per_level_s": float(level_s),
        "transfer_sweep": transfer,
        "per_parameter_byte_s": float(per_byte / len(addresses)),
    }


def fit_model(rows: list[dict[str, Any]], parameters: int) -> dict[str, float]:
    """Per number of workers W (0: in memory), the line t = overhead_W + slope_W * rows
    through the smallest and the largest size; the compute per row and parameter (per core
    for the workers, one core each); the per-worker overhead (overhead_2 - overhead_1); and
    the break-even rows, where the 2-worker line crosses the in-memory one."""
    out: dict[str, float] = {}
    for w in (-1, 0, 1, 2):
        pts = sorted((r["rows"], r["seconds"]) for r in rows if r["workers"] == w)
        (n0, t0), (n1, t1) = pts[0], pts[-1]
        slope = (t1 - t0) / (n1 - n0)
        out[f"overhead_s_{w}"] = float(t0 - slope * n0)
        out[f"row_param_s_{w}"] = float(slope / parameters)
        out[f"row_param_core_s_{w}"] = float(slope * max(w, 1) / parameters)
    out["row_param_core_s_in_memory"] = out.pop("row_param_s_-1")
    out.pop("row_param_core_s_-1")
    out["row_param_s_in_memory"] = out["row_param_s_0"]
    out["per_worker_s"] = out["overhead_s_2"] - out["overhead_s_1"]
    gain = (out["row_param_s_0"] - out["row_param_s_2"]) * parameters
    out["break_even_rows_2_workers"] = (
        (out["overhead_s_2"] - out["overhead_s_0"]) / gain if gain > 0 else float("inf")
    )
    return out


def markdown(result: dict[str, Any]) -> str:
    lines = ["| rows | where | s per step | rows/s |", "|---:|---|---:|---:|"]
    for r in result["rows"]:
        where = {0: "in memory", -1: "in memory, 1 BLAS thread"}.get(
            r["workers"], f"LocalCluster, {r['workers']} worker(s)"
        )
        lines.append(f"| {r['rows']:,} | {where} | {r['seconds']:.4f} | {r['rows_per_s']:,.0f} |")
    m = result["model"]
    lines.append("")
    lines.append(
        f"Model ({result['parameters']} parameters): per-step overhead "
        f"{m['overhead_s_1']:.4f} s (1 worker), {m['overhead_s_2']:.4f} s (2 workers); compute "
        f"{m['row_param_s_in_memory']:.2e} s per row and parameter in memory (all cores), "
        f"{m['row_param_core_s_in_memory']:.2e} in memory on one core, "
        f"{m['row_param_core_s_1']:.2e} / {m['row_param_core_s_2']:.2e} per core in 1 / 2 "
        f"workers; per worker {m['per_worker_s']:.4f} s; break-even rows for 2 workers: "
        f"{m['break_even_rows_2_workers']:,.0f}."
    )
    if "chunks_sweep" in result:
        lines += ["", "| chunks (2,048 rows, 2 workers) | s per step |", "|---:|---:|"]
        lines += [f"| {c['chunks']} | {c['seconds']:.4f} |" for c in result["chunks_sweep"]]
        lines += ["", "| dependent additions in a chain | s |", "|---:|---:|"]
        lines += [f"| {c['levels']} | {c['seconds']:.4f} |" for c in result["level_latency"]]
        lines += ["", "| bytes out and back, per worker (2 workers) | s |", "|---:|---:|"]
        lines += [f"| {w['bytes']:,} | {w['seconds']:.4f} |" for w in result["transfer_sweep"]]
        lines.append("")
        lines.append(
            f"Per extra chunk {result['per_chunk_s'] * 1e3:.2f} ms; per level of reduction "
            f"{result['per_level_s'] * 1e3:.2f} ms; per byte out and back per worker "
            f"{result['per_parameter_byte_s'] * 1e9:.2f} ns ({1 / max(result['per_parameter_byte_s'], 1e-15) / 1e6:,.0f} MB/s)."  # noqa: E501
        )
    return "\n".join(lines)


if __name__ == "__main__":
    print(markdown(run()))
