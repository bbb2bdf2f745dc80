"""Task 5: rows/s of the full-batch gradient in memory vs a LocalCluster of 1 and 2 workers.

The same network and data for all three; the distributed runs keep the chunks persisted in
the workers (one chunk per worker) and time ``Runner.sums``, one full-batch step's map-reduce
(parameters out, gradient sums back, the fixed-order tree). From the timings it fits the
cost model of ``backproplab.distributed.costs`` (per-step overhead, per-worker overhead,
compute per row and parameter) and reports the break-even rows.
"""

from __future__ import annotations

import time
from typing import Any

import numpy as np

import backproplab as bp

SIZES_FULL = (10_000, 100_000, 1_000_000)
SIZES_QUICK = (2_000, 20_000)


def _median_seconds(fn: Any, repeats: int) -> float:
    fn()  # warm-up
    times = []
    for _ in range(repeats):
        t = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t)
    return float(np.median(times))


def network() -> bp.MLP:
    return bp.MLP([16, 32, 32, 1], hidden="tanh", seed=0)


def run(sizes: tuple[int, ...] = SIZES_FULL, repeats: int = 5) -> dict[str, Any]:
    import dask.array as da

    from backproplab.distributed.fit import Runner
    from distributed import Client, LocalCluster

    net = network()
    rows: list[dict[str, Any]] = []
    rng = np.random.default_rng(0)
    data = {n: (rng.normal(size=(n, 16)), rng.normal(size=(n, 1))) for n in sizes}
    for n, (X, Y) in data.items():
        t = _median_seconds(lambda X=X, Y=Y: net.gradients(X, Y), repeats)
        rows.append({"rows": n, "workers": 0, "seconds": t, "rows_per_s": n / t})
    for workers in (1, 2):
        with (
            LocalCluster(
                n_workers=workers, threads_per_worker=1, processes=True, dashboard_address=None
            ) as cluster,  # fmt: skip
            Client(cluster) as client,
        ):
            for n, (X, Y) in data.items():
                chunk = -(-n // workers)
                runner = Runner(net, da.from_array(X, chunks=(chunk, 16)),
                                da.from_array(Y, chunks=(chunk, 1)), client=client,
                                val_split=0.0, seed=0, persist=True)  # fmt: skip
                params = list(net.parameters())
                t = _median_seconds(lambda r=runner, p=params: r.sums(p), repeats)
                rows.append({"rows": n, "workers": workers, "seconds": t, "rows_per_s": n / t})
    return {
        "rows": rows,
        "model": fit_model(rows, net.n_parameters),
        "parameters": net.n_parameters,
    }


def fit_model(rows: list[dict[str, Any]], parameters: int) -> dict[str, float]:
    """Per number of workers, a line t = overhead + slope * rows; in memory, seconds per row
    and parameter. The per-worker overhead is the difference of the two overheads."""
    mem = [r for r in rows if r["workers"] == 0]
    out = {"row_param_s_in_memory": float(
        np.median([r["seconds"] / (r["rows"] * parameters) for r in mem]))}  # fmt: skip
    for w in (1, 2):
        pts = [(r["rows"], r["seconds"]) for r in rows if r["workers"] == w]
        slope, overhead = np.polyfit([p[0] for p in pts], [p[1] for p in pts], 1)
        out[f"overhead_s_{w}"] = float(overhead)
        out[f"row_param_core_s_{w}"] = float(slope * w / parameters)
    gain = out["row_param_s_in_memory"] - out["row_param_core_s_2"] / 2
    out["break_even_rows_2_workers"] = (
        out["overhead_s_2"] / (gain * parameters) if gain > 0 else float("inf")
    )
    return out


def markdown(result: dict[str, Any]) -> str:
    lines = ["| rows | where | s per step | rows/s |", "|---:|---|---:|---:|"]
    for r in result["rows"]:
        where = "in memory" if r["workers"] == 0 else f"LocalCluster, {r['workers']} worker(s)"
        lines.append(f"| {r['rows']:,} | {where} | {r['seconds']:.4f} | {r['rows_per_s']:,.0f} |")
    m = result["model"]
    lines.append("")
    lines.append(
        f"Model ({result['parameters']} parameters): per-step overhead "
        f"{m['overhead_s_1']:.4f} s (1 worker), {m['overhead_s_2']:.4f} s (2 workers); compute "
        f"{m['row_param_s_in_memory']:.2e} s per row and parameter in memory (all cores), "
        f"{m['row_param_core_s_1']:.2e} / {m['row_param_core_s_2']:.2e} per core in 1 / 2 "
        f"workers; break-even rows for 2 workers: {m['break_even_rows_2_workers']:,.0f}."
    )
    return "\n".join(lines)


if __name__ == "__main__":
    print(markdown(run()))
