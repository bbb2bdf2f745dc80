"""Task 7: whole processes, each a fresh interpreter timed from the outside (start-up,
imports, loading or compiling numba's code, the work, exit), as a user at a shell sees it.

"Warm" runs use numba's cache wherever the environment keeps it (by default beside the
sources), filled by a warm-up run of the same command; "cold" runs point NUMBA_CACHE_DIR at
a new empty folder each time, so every compiled function is compiled again. Python's own
bytecode cache stays warm in both.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from functools import partial
from pathlib import Path

from . import tasks
from .harness import Outcome

SCRIPT = Path(__file__).with_name("sklearn_script.py")
ESTIMATOR_SCRIPT = Path(__file__).with_name("estimator_script.py")


def cli() -> tuple[list[str], str]:
    """The ``backproplab`` command as installed beside this interpreter (the console
    script), or ``python -m backproplab`` where there is none."""
    script = Path(sys.executable).with_name("backproplab")
    if script.exists():
        return [str(script)], "console script"
    return [sys.executable, "-m", "backproplab"], "python -m backproplab"


def run(cmd: list[str], *, cold: bool = False, cwd: Path | str | None = None) -> tuple[float, str]:
    """Seconds from start to exit of one fresh process, and its stdout; a failure is an
    error, not a time."""
    env = dict(os.environ)
    cache = None
    if cold:
        cache = tempfile.mkdtemp(prefix="bench-numba-cache-")
        env["NUMBA_CACHE_DIR"] = cache
    try:
        t = time.perf_counter()
        proc = subprocess.run(cmd, env=env, cwd=cwd, capture_output=True, text=True, timeout=600)
        seconds = time.perf_counter() - t
    finally:
        if cache is not None:
            shutil.rmtree(cache, ignore_errors=True)
    if proc.returncode != 0:
        last = (proc.stderr.strip().splitlines() or ["(no output)"])[-1]
        raise RuntimeError(f"{' '.join(cmd)} exited with {proc.returncode}: {last}")
    return seconds, proc.stdout


def train_args(data: str, s: tasks.Settings) -> list[str]:
    """``train DATA`` with the README row's options (its ``--epochs`` replaced by
    ``s.process_epochs`` when that is set)."""
    args = tasks.README_TRAIN_ROWS[data].split()
    if s.process_epochs is not None:
        args[args.index("--epochs") + 1] = str(s.process_epochs)
    return ["train", data, *args]


def backproplab_train(data: str, s: tasks.Settings, *, cold: bool) -> Outcome:
    """The README's row through the CLI; ``--metrics`` (a small JSON file) reports the test
    accuracy."""
    with tempfile.TemporaryDirectory(prefix="bench-train-") as tmp:
        metrics = Path(tmp) / "metrics.json"
        cmd = [*cli()[0], *train_args(data, s), "--metrics", str(metrics)]
        seconds, _ = run(cmd, cold=cold, cwd=tmp)
        accuracy = json.loads(metrics.read_text())["test"]["accuracy"]
    return Outcome(seconds, 1, {"accuracy": accuracy})


def sklearn_train(data: str, s: tasks.Settings) -> Outcome:
    cmd = [sys.executable, str(SCRIPT), data]
    if s.process_epochs is not None:
        cmd += ["--epochs", str(s.process_epochs)]
    with tempfile.TemporaryDirectory(prefix="bench-train-") as tmp:
        seconds, stdout = run(cmd, cwd=tmp)
    return Outcome(seconds, 1, {"accuracy": json.loads(stdout)["accuracy"]})


def estimator_fit(library: str, solver: str, s: tasks.Settings) -> Outcome:
    """One MLPClassifier fit on digits in a fresh process (estimator_script.py): what a
    user's script switched by the one-line import change costs end to end."""
    cmd = [sys.executable, str(ESTIMATOR_SCRIPT), library, solver]
    cmd += ["--epochs", str(s.estimator_digits_epochs)]
    with tempfile.TemporaryDirectory(prefix="bench-fit-") as tmp:
        seconds, stdout = run(cmd, cwd=tmp)
    return Outcome(seconds, 1, {"accuracy": json.loads(stdout)["accuracy"]})


def runners(s: tasks.Settings) -> dict[str, Callable[[], Outcome]]:
    """Task 7's contenders by name (the names say which command and which cache)."""
    py = sys.executable

    def simple(cmd: list[str]) -> Callable[[], Outcome]:
        return lambda: Outcome(run(cmd)[0], 1)

    out = {
        "python -c pass (the interpreter alone)": simple([py, "-c", "pass"]),
        'python -c "import backproplab"': simple([py, "-c", "import backproplab"]),
        "backproplab --help": simple([*cli()[0], "--help"]),
    }
    caches = ("warm", "cold") if s.process_cold else ("warm",)
    for data in s.process_data:
        for cache in caches:
            out[f"backproplab train {data} ({cache} numba cache)"] = partial(
                backproplab_train, data, s, cold=cache == "cold"
            )
        out[f"scikit-learn script {data}"] = partial(sklearn_train, data, s)
    for solver in s.process_estimator_solvers:
        out[f"backproplab.sklearn fit digits {solver}"] = partial(
            estimator_fit, "backproplab", solver, s
        )
        out[f"scikit-learn fit digits {solver}"] = partial(estimator_fit, "sklearn", solver, s)
    return out
