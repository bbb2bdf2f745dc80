"""Alternating repetitions, medians, ratios, machine description and the report."""

from __future__ import annotations

import os
import platform
import statistics
from collections.abc import Callable
from dataclasses import dataclass, field
from importlib import metadata
from typing import Any

import numpy as np


@dataclass
class Outcome:
    """One timed run: seconds of training only, the units done (epochs, samples or
    steps), task metrics (loss, accuracy) and, where compared, the final parameters (or,
    for a peer that computes gradients only, its last gradients)."""

    seconds: float
    units: float
    metrics: dict[str, float] = field(default_factory=dict)
    params: list[Any] | None = None
    gradients: list[Any] | None = None


def timed_fit(clf: Any, X: Any, y: Any) -> float:
    """Seconds of ``clf.fit(X, y)`` for a scikit-learn-style estimator run for exactly
    ``max_iter`` epochs (its ConvergenceWarning says just that, so it is silenced)."""
    import time
    import warnings

    from sklearn.exceptions import ConvergenceWarning

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        t = time.perf_counter()
        clf.fit(X, y)
        return time.perf_counter() - t


def alternate(runners: dict[str, Callable[[], Outcome]], repeats: int) -> dict[str, list[Outcome]]:
    """Run every contender once per round, rotating who goes first, so that noise from the
    shared machine (other processes, frequency changes) hits all of them alike."""
    results: dict[str, list[Outcome]] = {name: [] for name in runners}
    names = list(runners)
    for r in range(repeats):
        for name in names[r % len(names) :] + names[: r % len(names)]:
            results[name].append(runners[name]())
    return results


def engine_path(run: Callable[[], Any]) -> str:
    """Which path backproplab's engine took in one (untimed) run: the modules of its
    numba-compiled functions that were called from Python during the run, or "NumPy" when
    none was. Every such call goes through numba's CPUDispatcher type, whose ``__call__``
    is wrapped for the run's length (calls between compiled functions stay compiled and
    are not seen; the entry point is what tells the path)."""
    try:
        from numba.core.registry import CPUDispatcher
    except ImportError:  # no numba, no compiled path
        run()
        return "NumPy (numba not installed)"

    called: set[str] = set()
    base_call = CPUDispatcher.__mro__[1].__call__

    def counting_call(self: Any, *args: Any, **kwargs: Any) -> Any:
        called.add(self.py_func.__module__)
        return base_call(self, *args, **kwargs)

    CPUDispatcher.__call__ = counting_call
    try:
        run()
    finally:
        del CPUDispatcher.__call__
    ours = sorted({m.rsplit(".", 1)[-1].removesuffix("_kernel") for m in called
                   if m.startswith("backproplab")})  # fmt: skip
    return f"compiled: {', '.join(ours)}" if ours else "NumPy"


def median_rate(outcomes: list[Outcome]) -> float:
    """Median units per second over the repetitions."""
    return statistics.median(o.units / o.seconds for o in outcomes)


def max_param_diff(a: list[Any], b: list[Any]) -> float:
    return max(
        float(np.max(np.abs(np.asarray(x, float) - np.asarray(y, float))))
        for x, y in zip(a, b, strict=True)
    )


def machine() -> dict[str, Any]:
    """The machine and library versions the table was measured with."""
    cpu = platform.processor() or "unknown"
    try:
        with open("/proc/cpuinfo") as f:
            cpu = next(line.split(":", 1)[1].strip() for line in f if "model name" in line)
    except (OSError, StopIteration):
        pass
    versions = {}
    for dist in ("numpy", "scipy", "numba", "torch", "scikit-learn", "micrograd", "backproplab"):
        try:
            versions[dist] = metadata.version(dist)
        except metadata.PackageNotFoundError:
            versions[dist] = "not installed"
    try:
        import torch

        torch_threads = torch.get_num_threads()
    except ImportError:
        torch_threads = None
    return {
        "cpu": cpu,
        "cpus": os.cpu_count(),
        "python": platform.python_version(),
        "platform": platform.platform(),
        "versions": versions,
        "torch_threads": torch_threads,
        "OPENBLAS_CORETYPE": os.environ.get("OPENBLAS_CORETYPE", "(unset)"),
        "OPENBLAS_L2_SIZE": os.environ.get("OPENBLAS_L2_SIZE", "(unset)"),
    }


def markdown(rows: list[dict[str, Any]], info: dict[str, Any]) -> str:
    """The results as a Markdown table, with the machine underneath."""
    lines = [
        "| task | contender | path | median time (s) | rate | backproplab is | check |",
        "|---|---|---|---:|---:|---:|---|",
    ]
    for r in rows:
        # Two decimals near the targets (1.5x, 4x, 6x) so that the table and the verdicts agree.
        digits = 2 if r["ratio"] is not None and r["ratio"] < 10 else 1
        ratio = "—" if r["ratio"] is None else f"{r['ratio']:.{digits}f}× faster"
        if r["ratio"] is not None and r["ratio"] < 1:
            ratio = f"{r['ratio']:.2f}× (slower)"
        rate = f"{r['rate']:,.0f}" if r["rate"] >= 100 else f"{r['rate']:.3g}"  # whole processes
        lines.append(
            f"| {r['task']} | {r['contender']} | {r.get('path', '')} | {r['seconds']:.4g} | "
            f"{rate} {r['unit']} | {ratio} | {r['check']} |"
        )
    v = info["versions"]
    lines += [
        "",
        f"Machine: {info['cpu']}, {info['cpus']} CPUs; Python {info['python']}; "
        + ", ".join(f"{k} {val}" for k, val in v.items())
        + f"; torch threads {info['torch_threads']}; OPENBLAS_CORETYPE "
        f"{info['OPENBLAS_CORETYPE']}, OPENBLAS_L2_SIZE {info['OPENBLAS_L2_SIZE']}.",
    ]
    return "\n".join(lines)
