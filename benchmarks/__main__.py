"""``python -m benchmarks [--quick] [--tasks 1,2,...,7] [--out DIR]``: the side-by-side table."""

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
    peer_estimators,
    peer_micrograd,
    peer_plain,
    peer_sklearn,
    peer_textbook,
    peer_torch,
    processes,
    tasks,
)
from .harness import (
    Outcome,
    alternate,
    engine_path,
    machine,
    markdown,
    max_param_diff,
    median_rate,
)

RESULTS = Path(__file__).with_name("results")
#: Tasks 9-12 (issue 10): backproplab.sklearn.MLPClassifier against scikit-learn's.
ESTIMATOR_TASKS = {9: ("adam", "digits"), 10: ("sgd", "digits"), 11: ("adam", "tabular"),
                   12: ("sgd", "tabular")}  # fmt: skip
ALL_TASKS = (1, 2, 3, 4, 5, 6, 7, *ESTIMATOR_TASKS)
#: The Dask task (issue 13): run on request, with its own table.
DASK_TASK = 8
#: Issues 6's and 9's targets: (task, peer) -> the least backproplab/peer speed ratio.
TARGETS = {
    (1, "PyTorch"): 40.0,
    (1, "micrograd"): 40.0,
    (1, "plain Python (slide formulas)"): 1.0,
    (2, "PyTorch"): 6.0,
    (2, "scikit-learn"): 4.0,
    (3, "PyTorch"): 1.5,
    (4, "PyTorch"): 20.0,
    (5, "scikit-learn"): 4.0,
    (5, "PyTorch"): 10.0,
    (6, "PyTorch"): 20.0,
    (6, "textbook NumPy step"): 3.0,
    **{(task, "scikit-learn"): 4.0 for task in ESTIMATOR_TASKS},
}
#: Issue 9's target for task 7: backproplab's whole process at most this part of the time of
#: the scikit-learn script doing the same training, with a warm and with a cold numba cache.
PROCESS_TIME_TARGET = 0.7
UNITS = {1: "epochs/s", 2: "samples/s", 3: "samples/s", 4: "steps/s", 5: "samples/s",
         6: "calls/s", 7: "runs/s", **dict.fromkeys(ESTIMATOR_TASKS, "samples/s")}  # fmt: skip
TITLES = {
    1: "1. slides 2-2-1 XOR, full batch, float64",
    2: "2. digits 64-128-10, batch 32, momentum, float32",
    3: "3. 784-512-512-10, batch 128, 1 epoch, float32",
    4: "4. 2-16-16-1 tanh, batch 1, float64",
    5: "5. digits 64-128-10, batch 32, Adam, float32",
    6: "6. 2-16-16-1 tanh, one sample per call, float64",
    7: "7. whole processes, a fresh interpreter each",
    9: "9. MLPClassifier, digits, 64-100-10 relu, solver adam, float64",
    10: "10. MLPClassifier, digits, 64-100-10 relu, solver sgd, float64",
    11: "11. MLPClassifier, 50,000-row tabular, 20-100-3 relu, solver adam, float64",
    12: "12. MLPClassifier, 50,000-row tabular, 20-100-3 relu, solver sgd, float64",
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
        5: {
            "backproplab": peer_backproplab.digits_adam,
            "PyTorch": peer_torch.digits_adam,
            "scikit-learn": peer_sklearn.digits_adam,
        },
        6: {  # "backproplab" is net.step; the other three calls are timed beside it
            "backproplab": peer_backproplab.percall_step,
            "PyTorch": peer_torch.percall_step,
            "textbook NumPy step": peer_textbook.percall_step,
            "backproplab net.gradients": peer_backproplab.percall_gradients,
            "backproplab net.predict": peer_backproplab.percall_predict,
            "backproplab net.loss": peer_backproplab.percall_loss,
            "textbook NumPy gradients": peer_textbook.percall_gradients,
            "textbook NumPy predict": peer_textbook.percall_predict,
        },
    }
    if task == 7:
        return processes.runners(s)
    if task in ESTIMATOR_TASKS:
        solver, data = ESTIMATOR_TASKS[task]
        return {
            **{name: (lambda lib=lib: peer_estimators.run(lib, solver, data, s))
               for name, lib in (("backproplab", "backproplab"), ("scikit-learn", "sklearn"))},
            "BLAS floor (the matmuls alone)": lambda: peer_estimators.floor(solver, data, s),
        }  # fmt: skip
    return {name: (lambda f=f: f(s)) for name, f in runs[task].items()}


def _in_process_ours(task: int, name: str) -> bool:
    """A backproplab contender timed in this process (its engine path can be probed)."""
    return task != 7 and name.startswith("backproplab")


def static_path(task: int, name: str) -> str:
    """The path a peer takes (fixed by the peer's code), for the table's path column."""
    if task == 7:
        if " fit digits " in name:
            library = "backproplab" if name.startswith("backproplab") else "sklearn"
            return (
                f"fresh process, python benchmarks/estimator_script.py {library} "
                + (name.split()[-1])
            )
        if name.startswith("backproplab"):
            return f"fresh process, {processes.cli()[1]}"
        if name.startswith("scikit-learn"):
            return "fresh process, python benchmarks/sklearn_script.py"
        return "fresh process"
    if task in ESTIMATOR_TASKS:
        if name.startswith("BLAS floor"):
            return "NumPy matmul, float64, the training's products alone"
        return f"sklearn.neural_network.MLPClassifier, solver {ESTIMATOR_TASKS[task][0]}"
    loops = {5: "torch.optim.Adam loop", 6: "per call: forward, loss, backward, step, zero_grad"}
    paths = {
        "PyTorch": f"{loops.get(task, 'torch.optim.SGD loop')}, eager CPU autograd",
        "micrograd": "scalar Value graph in Python",
        "plain Python (slide formulas)": "Python floats",
        "scikit-learn": f"MLPClassifier (NumPy, BLAS), solver {'adam' if task == 5 else 'sgd'}",
        "BLAS floor (the matmuls alone)": "NumPy matmul",
        "textbook NumPy step": "NumPy, column vectors, the benchmark's own",
        "textbook NumPy gradients": "the textbook step's forward and backward, no update",
        "textbook NumPy predict": "the textbook step's forward pass",
    }
    return paths.get(name, "")


def run_task(task: int, s: tasks.Settings) -> tuple[list[dict[str, Any]], dict[str, Any]]:
    # Warm-up: imports, compiled code. Whole processes warm up at their real size, so that
    # the numba cache holds what the timed warm runs load (the cold ones need nothing).
    for name, run in contenders(task, s if task == 7 else tasks.TINY).items():
        if "cold" not in name:
            run()
    runners = contenders(task, s)
    # One untimed run at the real size shows which path backproplab's engine takes there.
    paths = {name: engine_path(run) if _in_process_ours(task, name) else static_path(task, name)
             for name, run in runners.items()}  # fmt: skip
    repeats_by_task = {3: s.wide_repeats, 6: s.percall_repeats, 7: s.process_repeats}
    repeats_by_task.update(dict.fromkeys(ESTIMATOR_TASKS, s.estimator_repeats))
    repeats = repeats_by_task.get(task, s.repeats)
    results = alternate(runners, repeats)
    rates = {name: median_rate(outcomes) for name, outcomes in results.items()}
    ours = results.get("backproplab")
    rows, checks = [], {}
    for name, outcomes in results.items():
        seconds = sorted(o.seconds for o in outcomes)[len(outcomes) // 2]
        ratio = _ratio(task, name, rates)
        check = _check(task, name, ours[-1] if ours else None, outcomes[-1], checks, ratio,
                       seconds)  # fmt: skip
        rows.append({
            "task": TITLES[task], "task_id": task, "contender": name, "path": paths[name],
            "seconds": seconds, "rate": rates[name], "unit": UNITS[task], "ratio": ratio,
            "check": check, "repeats": len(outcomes),
        })  # fmt: skip
    if task == 3 or task in ESTIMATOR_TASKS:
        floor = next(r for r in rows if r["contender"].startswith("BLAS"))
        checks["time_over_blas_floor"] = floor["rate"] / rates["backproplab"]
    if task in ESTIMATOR_TASKS:
        floor = next(r for r in rows if r["contender"].startswith("BLAS"))
        checks["sklearn_time_over_blas_floor"] = floor["rate"] / rates["scikit-learn"]
    return rows, checks


def _ratio(task: int, name: str, rates: dict[str, float]) -> float | None:
    """How many times faster backproplab is: than this peer (tasks 1-6, on the peer's row;
    task 6's textbook gradients and predict rows compare net.gradients and net.predict),
    or, for task 7, than the scikit-learn script training the same data (on our row)."""
    if task == 7:
        if name.startswith("backproplab train "):
            data = name.split()[2]
            return rates[name] / rates[f"scikit-learn script {data}"]
        if name.startswith("backproplab.sklearn fit "):
            return rates[name] / rates[name.replace("backproplab.sklearn", "scikit-learn")]
        return None
    if name.startswith("backproplab"):
        return None
    if task == 6 and name in ("textbook NumPy gradients", "textbook NumPy predict"):
        # net.gradients and net.predict against the NumPy work they do, not against net.step
        return rates[f"backproplab net.{name.split()[-1]}"] / rates[name]
    return rates["backproplab"] / rates[name]


def _check(task: int, name: str, ours: Outcome | None, theirs: Outcome, checks: dict,
           ratio: float | None = None, seconds: float | None = None) -> str:  # fmt: skip
    said = _result_check(task, name, ours, theirs, checks)
    if task == 6:  # from the median time, as the table's time and rate are
        us = 1e6 * (theirs.seconds if seconds is None else seconds) / theirs.units
        checks[f"µs per call {name}"] = us
        call = "net.step: " if name == "backproplab" else ""
        return f"{call}{us:.2f} µs per call" + (f"; {said}" if said else "")
    if task == 7 and ratio is not None and name.startswith("backproplab.sklearn fit "):
        checks[f"fresh-process fit, times faster than scikit-learn's: {name}"] = ratio
        return f"{said}; {ratio:.2f}× faster than scikit-learn's fit in its own process"
    if task == 7 and ratio is not None:
        checks[f"time over the scikit-learn script {name}"] = 1.0 / ratio
        return f"{said}; time {1.0 / ratio:.2f}× the scikit-learn script's"
    return said


def _result_check(task: int, name: str, ours: Outcome | None, theirs: Outcome,
                  checks: dict) -> str:  # fmt: skip
    if "accuracy" in theirs.metrics:
        acc = theirs.metrics["accuracy"]
        checks[f"accuracy {name}"] = acc
        return f"test accuracy {100 * acc:.1f}%"
    if name != "backproplab" and theirs.params is not None and ours and ours.params is not None:
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
    if 5 in checks:
        accs = {k.removeprefix("accuracy "): v for k, v in checks[5].items()
                if k.startswith("accuracy")}  # fmt: skip
        out.append("task 5: test accuracies (reported): "
                   + ", ".join(f"{k} {100 * v:.1f}%" for k, v in accs.items()))  # fmt: skip
    for task in ESTIMATOR_TASKS:
        if "sklearn_time_over_blas_floor" in checks.get(task, {}):
            ours, theirs = (
                checks[task][k] for k in ("time_over_blas_floor", "sklearn_time_over_blas_floor")
            )
            out.append(f"task {task}: time over the float64 BLAS floor (reported): backproplab "
                       f"{ours:.2f}×, scikit-learn {theirs:.2f}× (4× scikit-learn needs "
                       f"{theirs / 4:.2f}× or less)")  # fmt: skip
        accs = checks.get(task, {})
        if "accuracy backproplab" in accs and "accuracy scikit-learn" in accs:
            gap = 100 * abs(accs["accuracy backproplab"] - accs["accuracy scikit-learn"])
            out.append(f"task {task}: accuracy within 1 point of scikit-learn's: "
                       f"{100 * accs['accuracy backproplab']:.1f}% vs "
                       f"{100 * accs['accuracy scikit-learn']:.1f}%, {gap:.1f} "
                       f"{'met' if gap <= 1.0 else 'MISSED'}")  # fmt: skip
    if 6 in checks:
        for peer in ("PyTorch", "textbook NumPy step"):
            d = checks[6].get(f"max |param difference| {peer}")
            if d is not None:
                out.append(f"task 6: params equal the {peer}'s to 1e-9: {d:.1e} "
                           f"{'met' if d <= 1e-9 else 'MISSED'}")  # fmt: skip
        calls = {k.removeprefix("µs per call "): v for k, v in checks[6].items()
                 if k.startswith("µs per call backproplab")}  # fmt: skip
        out.append("task 6: µs per call (reported): " + ", ".join(
            f"{'net.step' if k == 'backproplab' else k.removeprefix('backproplab ')} {v:.2f}"
            for k, v in calls.items()))  # fmt: skip
        for call in ("gradients", "predict"):
            ours = checks[6].get(f"µs per call backproplab net.{call}")
            bare = checks[6].get(f"µs per call textbook NumPy {call}")
            if ours and bare:
                out.append(f"task 6: net.{call} per call, time over the textbook NumPy "
                           f"{call} (its checks and what it keeps): {ours / bare:.2f}× "
                           "(reported)")  # fmt: skip
    if 7 in checks:
        for key, v in checks[7].items():
            if key.startswith("time over the scikit-learn script "):
                what = key.removeprefix("time over the scikit-learn script ")
                ok = "met" if v <= PROCESS_TIME_TARGET else "MISSED"
                out.append(f"task 7: {what} ≤ {PROCESS_TIME_TARGET:g}× the scikit-learn "
                           f"script's time: {v:.2f}× {ok}")  # fmt: skip
            if key.startswith("fresh-process fit, times faster than scikit-learn's: "):
                what = key.split(": ", 1)[1].removeprefix("backproplab.sklearn ")
                out.append(f"task 7: MLPClassifier {what} in a fresh process, the whole "
                           f"script: {v:.2f}× scikit-learn's (reported)")  # fmt: skip
        starts = [r for r in rows if r["task_id"] == 7 and not r["check"]]
        out.append("task 7: start-up, median s per process (reported): "
                   + ", ".join(f"{r['contender']} {r['seconds']:.3f}" for r in starts))  # fmt: skip
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
    parser.add_argument("--quick", action="store_true",
                        help="small sizes, fewer repeats (a few minutes)")  # fmt: skip
    parser.add_argument("--tasks", default=",".join(map(str, ALL_TASKS)),
                        help="comma-separated task numbers (default: all; 8: Dask)")  # fmt: skip
    parser.add_argument("--repeats", type=int, default=None, help="repetitions per contender")
    parser.add_argument("--out", type=Path, default=RESULTS, help="folder for results.{md,json}")
    parser.add_argument("--no-memory", action="store_true", help="skip the tracemalloc check")
    args = parser.parse_args(argv)
    s = tasks.QUICK if args.quick else tasks.FULL
    if args.repeats is not None:
        s = tasks.replace(s, repeats=args.repeats, wide_repeats=args.repeats,
                          process_repeats=args.repeats)  # fmt: skip
    wrong = f"--tasks must be numbers from 1 to {max(ALL_TASKS)}, got {args.tasks!r}"
    try:
        chosen = sorted({int(t) for t in args.tasks.split(",")})
    except ValueError:
        parser.error(wrong)
    if not set(chosen) <= {*ALL_TASKS, DASK_TASK}:
        parser.error(wrong)
    if DASK_TASK in chosen:  # the distributed task has its own table (rows/s, break-even)
        from . import distributed

        sizes = distributed.SIZES_QUICK if args.quick else distributed.SIZES_FULL
        print(distributed.markdown(distributed.run(sizes, repeats=args.repeats or 5)))
        chosen.remove(DASK_TASK)
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
