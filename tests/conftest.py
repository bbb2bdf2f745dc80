"""Shared fixtures. Tests mirror src/: tests/engine, tests/cli, ..."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
import warnings
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(autouse=True)
def _leave_no_running_loop(request: pytest.FixtureRequest) -> Iterator[None]:
    """A test must not leave an event loop set as this thread's running loop.

    nbclient and jupyter_client leave theirs set; Playwright's sync API, used by later
    browser tests, then refuses to start. Put the thread back as it was, and say which
    test left it (a warning in the summary), so the leak can be traced."""
    yield
    if asyncio._get_running_loop() is not None:
        asyncio.events._set_running_loop(None)
        asyncio.set_event_loop(None)
        warnings.warn(f"{request.node.nodeid} left an event loop running", stacklevel=1)


@pytest.fixture
def xor_data() -> tuple[np.ndarray, np.ndarray]:
    X = np.array([[0.0, 0.0], [0.0, 1.0], [1.0, 0.0], [1.0, 1.0]])
    Y = np.array([[0.0], [1.0], [1.0], [0.0]])
    return X, Y


def run_cli(
    *args: str, cwd: Path | None = None, timeout: float = 300
) -> subprocess.CompletedProcess:
    """Run ``python -m backproplab ARGS`` as a real subprocess."""
    env = dict(os.environ, COLUMNS="120", NO_COLOR="1")
    return subprocess.run(
        [sys.executable, "-m", "backproplab", *args],
        capture_output=True,
        text=True,
        cwd=cwd,
        env=env,
        timeout=timeout,
    )


@pytest.fixture
def cli():
    return run_cli
