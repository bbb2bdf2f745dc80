"""Run many CLI subprocesses in parallel, each with its own peak memory (``os.wait4``)."""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys
import tempfile
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

#: Peak resident memory a refused input may cost, as the issue demands.
MAX_RSS_BYTES = 300 * 2**20


@dataclass
class Outcome:
    returncode: int
    stdout: str
    stderr: str
    max_rss: int  # bytes


def run_measured(args: list[str], cwd: Path, timeout: float = 120) -> Outcome:
    """``python -m backproplab ARGS`` with the child's own rusage (not the summed children)."""
    env = dict(os.environ, COLUMNS="120", NO_COLOR="1")
    with (
        tempfile.TemporaryFile() as out,
        tempfile.TemporaryFile() as err,
        tempfile.TemporaryDirectory() as tmp,
    ):
        rss = Path(tmp) / "rss"
        command = [sys.executable, str(MEASURE), str(rss), sys.executable, "-m", "backproplab",
                   *args]  # fmt: skip
        proc = subprocess.Popen(
            command, cwd=cwd, stdout=out, stderr=err, stdin=subprocess.DEVNULL, env=env,
            start_new_session=True,  # one process group: a timeout kills the command too
        )  # fmt: skip
        try:
            _, status, _usage = _wait4(proc, timeout)
        finally:
            if proc.returncode is None and proc.poll() is None:
                os.killpg(proc.pid, 9)
        out.seek(0)
        err.seek(0)
        code = os.waitstatus_to_exitcode(status)
        proc.returncode = code
        max_rss = int(rss.read_text()) if rss.exists() else 0
        return Outcome(code, out.read().decode(errors="replace"),
                       err.read().decode(errors="replace"), max_rss)  # fmt: skip


#: The wrapper that measures a command's own peak memory (see its docstring).
MEASURE = Path(__file__).with_name("measure_rss.py")


def _wait4(proc: subprocess.Popen, timeout: float):
    import threading

    timer = threading.Timer(timeout, lambda: os.killpg(proc.pid, 9))
    timer.start()
    try:
        return os.wait4(proc.pid, 0)
    finally:
        timer.cancel()


def run_many(cases: list[tuple[list[str], Path]], workers: int = 3) -> list[Outcome]:
    with ThreadPoolExecutor(max_workers=workers) as pool:
        return list(pool.map(lambda c: run_measured(*c), cases))


def snapshot(directory: Path) -> dict[str, str]:
    """Every regular file under ``directory`` -> its SHA-256 (to prove nothing changed)."""
    digests = {}
    for path in sorted(directory.rglob("*")):
        if path.is_file() and not path.is_symlink():
            digests[str(path)] = hashlib.sha256(path.read_bytes()).hexdigest()
    return digests
