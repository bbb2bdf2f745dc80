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
    from backproplab.distributed.fit import Runner
    from distributed import Client, LocalCluster

    net = network()
    rows: list[dict[str, Any]] = []
    extra: dict[str, Any] = {}
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
    return _median_seconds(lambda: runner.sums(params), repeats)


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

    lat = [(k, _median_seconds(lambda k=k: client.compute(chain(k)).result(), repeats))
           for k in (1, 16, 64)]  # fmt: skip
    level_s, _ = np.polyfit([k for k, _ in lat], [s for _, s in lat], 1)
    widths = []
    small_X, small_Y = X[:256], Y[:256]
    for hidden in (32, 2048, 32768):
        wide = bp.MLP([16, hidden, 1], hidden="tanh", seed=0)
        t = _step_seconds(runner_class, wide, client, small_X, small_Y, 128, repeats)
        local = _median_seconds(lambda w=wide: w.gradients(small_X, small_Y), repeats)
        widths.append({"parameters": wide.n_parameters, "bytes": wide.n_parameters * 8,
                       "seconds": t, "in_memory_seconds": local})  # fmt: skip
    extra_s = [w["seconds"] - w["in_memory_seconds"] for w in widths]
    per_byte, _ = np.polyfit([w["bytes"] for w in widths], extra_s, 1)
    return {
        "chunks_sweep": chunks,
        "per_chunk_s": float(slope),
        "level_latency": [{"levels": k, "seconds": s} for k, s in lat],
        "per_level_s": float(level_s),
        "width_sweep": widths,
        "per_parameter_byte_s": float(per_byte),
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
    if "chunks_sweep" in result:
        lines += ["", "| chunks (2,048 rows, 2 workers) | s per step |", "|---:|---:|"]
        lines += [f"| {c['chunks']} | {c['seconds']:.4f} |" for c in result["chunks_sweep"]]
        lines += ["", "| dependent additions in a chain | s |", "|---:|---:|"]
        lines += [f"| {c['levels']} | {c['seconds']:.4f} |" for c in result["level_latency"]]
        lines += ["", "| parameters (256 rows, 2 workers) | s per step | in memory |",
                  "|---:|---:|---:|"]  # fmt: skip
        lines += [f"| {w['parameters']:,} | {w['seconds']:.4f} | {w['in_memory_seconds']:.4f} |"
                  for w in result["width_sweep"]]  # fmt: skip
        lines.append("")
        lines.append(
            f"Per extra chunk {result['per_chunk_s'] * 1e3:.2f} ms; per level of reduction "
            f"{result['per_level_s'] * 1e3:.2f} ms; per byte of parameters sent out "
            f"{result['per_parameter_byte_s'] * 1e9:.2f} ns ({1 / max(result['per_parameter_byte_s'], 1e-15) / 1e6:,.0f} MB/s)."  # noqa: E501
        )
    return "\n".join(lines)


if __name__ == "__main__":
    print(markdown(run()))
