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
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        command = [sys.executable, "-m", "backproplab", *args]
        proc = subprocess.Popen(
            command, cwd=cwd, stdout=out, stderr=err, stdin=subprocess.DEVNULL, env=env
        )
        try:
            _, status, usage = _wait4(proc, timeout)
        finally:
            if proc.returncode is None and proc.poll() is None:
                proc.kill()
        out.seek(0)
        err.seek(0)
        code = os.waitstatus_to_exitcode(status)
        proc.returncode = code
        return Outcome(code, out.read().decode(errors="replace"),
                       err.read().decode(errors="replace"), usage.ru_maxrss * 1024)  # fmt: skip


def _wait4(proc: subprocess.Popen, timeout: float):
    import threading

    timer = threading.Timer(timeout, proc.kill)
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
