"""``python -m benchmarks [--quick] [--tasks 1,2,3,4] [--out DIR]``: the side-by-side table."""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from pathlib import Path
from typing import Any

from . import (
    blas_floor,
    memory,
    peer_backproplab,
    peer_micrograd,
    peer_plain,
    peer_sklearn,
    peer_torch,
    tasks,
)
from .harness import Outcome, alternate, machine, markdown, max_param_diff, median_rate

RESULTS = Path(__file__).with_name("results")
#: Issue 6's targets: (task, peer) -> the least backproplab/peer speed ratio.
TARGETS = {
    (1, "PyTorch"): 40.0,
    (1, "micrograd"): 40.0,
    (1, "plain Python (slide formulas)"): 1.0,
    (2, "PyTorch"): 6.0,
    (2, "scikit-learn"): 4.0,
    (3, "PyTorch"): 1.5,
    (4, "PyTorch"): 20.0,
}
UNITS = {1: "epochs/s", 2: "samples/s", 3: "samples/s", 4: "steps/s"}
TITLES = {
    1: "1. slides 2-2-1 XOR, full batch, float64",
    2: "2. digits 64-128-10, batch 32, momentum, float32",
    3: "3. 784-512-512-10, batch 128, 1 epoch, float32",
    4: "4. 2-16-16-1 tanh, batch 1, float64",
}


def contenders(task: int, s: tasks.Settings) -> dict[str, Any]:
    runs = {
        1: {
            "backproplab": peer_backproplab.xor,
            "PyTorch": peer_torch.xor,
            "micrograd": peer_micrograd.xor,
            "plain Python (slide formulas)": peer_plain.xor,
        },
        2: {
            "backproplab": peer_backproplab.digits,
            "PyTorch": peer_torch.digits,
            "scikit-learn": peer_sklearn.digits,
        },
        3: {
            "backproplab": peer_backproplab.wide,
            "PyTorch": peer_torch.wide,
            "BLAS floor (the matmuls alone)": blas_floor.wide,
        },
        4: {"backproplab": peer_backproplab.tiny, "PyTorch": peer_torch.tiny},
    }[task]
    return {name: (lambda f=f: f(s)) for name, f in runs.items()}


def run_task(task: int, s: tasks.Settings) -> tuple[list[dict[str, Any]], dict[str, Any]]:
    for run in contenders(task, tasks.TINY).values():  # warm-up: imports, compiled code
        run()
    runners = contenders(task, s)
    repeats = s.wide_repeats if task == 3 else s.repeats
    results = alternate(runners, repeats)
    ours = results["backproplab"]
    our_rate = median_rate(ours)
    rows, checks = [], {}
    for name, outcomes in results.items():
        rate = median_rate(outcomes)
        seconds = sorted(o.seconds for o in outcomes)[len(outcomes) // 2]
        check = _check(task, name, ours[-1], outcomes[-1], checks)
        rows.append({
            "task": TITLES[task], "task_id": task, "contender": name, "seconds": seconds,
            "rate": rate, "unit": UNITS[task],
            "ratio": None if name == "backproplab" else our_rate / rate,
            "check": check, "repeats": len(outcomes),
        })  # fmt: skip
    if task == 3:
        floor = next(r for r in rows if r["contender"].startswith("BLAS"))
        checks["time_over_blas_floor"] = floor["rate"] / our_rate
    return rows, checks


def _check(task: int, name: str, ours: Outcome, theirs: Outcome, checks: dict) -> str:
    if "accuracy" in theirs.metrics:
        acc = theirs.metrics["accuracy"]
        checks[f"accuracy {name}"] = acc
        return f"test accuracy {100 * acc:.1f}%"
    if name != "backproplab" and theirs.params is not None and ours.params is not None:
        diff = max_param_diff(ours.params, theirs.params)
        checks[f"max |param difference| {name}"] = diff
        return f"final params differ by ≤ {diff:.1e}"
    if task == 3 and name.startswith("BLAS"):
        return "floor"
    if "loss" in theirs.metrics:
        return f"final loss {theirs.metrics['loss']:.3g}"
    return ""


def verdicts(rows: list[dict[str, Any]], checks: dict[int, dict[str, Any]]) -> list[str]:
    """Each target of the issue, the measured value and whether it is met."""
    out = []
    for (task, peer), need in TARGETS.items():
        row = next((r for r in rows if r["task_id"] == task and r["contender"] == peer), None)
        if row is not None:
            ok = row["ratio"] >= need
            out.append(
                f"task {task}: ≥ {need:g}× {peer}: {row['ratio']:.2f}× {'met' if ok else 'MISSED'}"
            )
    if 3 in checks:
        v = checks[3]["time_over_blas_floor"]
        out.append(f"task 3: ≤ 1.15× the BLAS floor: {v:.3f}× {'met' if v <= 1.15 else 'MISSED'}")
    if 1 in checks:
        d = checks[1].get("max |param difference| PyTorch")
        if d is not None:
            out.append(
                f"task 1: params equal PyTorch's to 1e-9: {d:.1e} "
                f"{'met' if d <= 1e-9 else 'MISSED'}"
            )
    if 2 in checks:
        accs = [v for k, v in checks[2].items() if k.startswith("accuracy")]
        ours = checks[2].get("accuracy backproplab", 0.0)
        spread = 100 * (max(accs) - min(accs))
        out.append(
            f"task 2: accuracy ≥ 97%: {100 * ours:.1f}% {'met' if ours >= 0.97 else 'MISSED'}"
        )
        out.append(f"task 2: accuracies within 1 point: spread {spread:.1f} "
                   f"{'met' if spread <= 1.0 else 'MISSED'}")  # fmt: skip
    return out


def _load() -> float | None:
    try:
        return round(os.getloadavg()[0], 2)
    except OSError:  # pragma: no cover - not on every platform
        return None


def _memory_line(m: dict[str, Any]) -> str:
    what = f"- {m['network']} {m['dtype']} batch {m['batch']} {m['optimizer']}"
    if "peak_bytes_per_epoch" in m:  # the compiled epoch that fit runs for SGD
        return (
            f"{what}, compiled epoch: {m['compiled_allocations_per_step']:g} allocations per "
            f"step in compiled code ({m['compiled_allocations_per_call']} per call: numba's "
            f"record of each array argument), {m['peak_bytes_per_epoch']:,} B in Python per "
            f"call (parameters {m['parameter_bytes']:,} B)"
        )
    return (
        f"{what}, NumPy step (_train_gradients + optimiser): {m['peak_bytes_per_step']:,} B "
        f"(parameters {m['parameter_bytes']:,} B)"
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks", description=__doc__)
    parser.add_argument("--quick", action="store_true", help="small sizes, 2 repeats (~1 min)")
    parser.add_argument("--tasks", default="1,2,3,4", help="comma-separated task numbers (5: Dask)")
    parser.add_argument("--repeats", type=int, default=None, help="repetitions per contender")
    parser.add_argument("--out", type=Path, default=RESULTS, help="folder for results.{md,json}")
    parser.add_argument("--no-memory", action="store_true", help="skip the tracemalloc check")
    args = parser.parse_args(argv)
    s = tasks.QUICK if args.quick else tasks.FULL
    if args.repeats is not None:
        s = tasks.replace(s, repeats=args.repeats, wide_repeats=args.repeats)
    try:
        chosen = sorted({int(t) for t in args.tasks.split(",")})
    except ValueError:
        parser.error(f"--tasks must be numbers from 1 to 4, got {args.tasks!r}")
    if not set(chosen) <= {1, 2, 3, 4, 5}:
        parser.error(f"--tasks must be numbers from 1 to 5, got {args.tasks!r}")
    if 5 in chosen:  # the distributed task has its own table (rows/s, break-even)
        from . import distributed

        sizes = distributed.SIZES_QUICK if args.quick else distributed.SIZES_FULL
        print(distributed.markdown(distributed.run(sizes, repeats=args.repeats or 5)))
        chosen.remove(5)
        if not chosen:
            return 0
    return report(s, chosen, args.out, memory_check=not args.no_memory, quick=args.quick)


def report(s: tasks.Settings, chosen: list[int], out: Path | None, *, memory_check: bool = True,
           quick: bool = False) -> int:  # fmt: skip
    started = time.perf_counter()
    load_before = _load()
    rows: list[dict[str, Any]] = []
    checks: dict[int, dict[str, Any]] = {}
    for task in chosen:
        print(f"running task {TITLES[task]} ...", file=sys.stderr, flush=True)
        task_rows, checks[task] = run_task(task, s)
        rows += task_rows
    info = machine()
    info["load_average"] = {"start": load_before, "end": _load()}
    mem = memory.report() if memory_check else []
    text = markdown(rows, info)
    lines = verdicts(rows, checks)
    text += "\n\n" + "\n".join(f"- {line}" for line in lines)
    if mem:
        text += "\n\nMemory after warm-up (tracemalloc; numba counts its compiled code's own):\n"
        text += "\n".join(_memory_line(m) for m in mem)
    elapsed = time.perf_counter() - started
    text += (
        f"\n\n{'Quick' if quick else 'Full'} run, {elapsed:.0f} s; load average (1 min, the "
        f"other processes on the machine plus this one) {load_before} at the start, "
        f"{info['load_average']['end']} at the end.\n"
    )
    print(text)
    if out is not None:
        out.mkdir(parents=True, exist_ok=True)
        stem = "results-quick" if quick else "results"
        (out / f"{stem}.md").write_text(text)
        payload = {"settings": vars(s) if hasattr(s, "__dict__") else {}, "machine": info,
                   "rows": rows, "checks": {str(k): v for k, v in checks.items()},
                   "targets": lines, "memory": mem, "seconds": elapsed}  # fmt: skip
        (out / f"{stem}.json").write_text(json.dumps(payload, indent=2, default=float))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
