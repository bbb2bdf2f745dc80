"""``backproplab lab`` as a real subprocess: it serves, stops on Ctrl-C, refuses a busy port."""

from __future__ import annotations

import os
import re
import signal
import socket
import subprocess
import sys
import time

import httpx

from tests.conftest import run_cli


def start_lab(*args: str) -> subprocess.Popen:
    env = dict(os.environ, COLUMNS="120", NO_COLOR="1", PYTHONUNBUFFERED="1")
    return subprocess.Popen(
        [sys.executable, "-m", "backproplab", "lab", "--no-browser", *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
    )


def read_url(proc: subprocess.Popen, timeout: float = 30) -> str:
    deadline = time.monotonic() + timeout
    assert proc.stdout is not None
    while time.monotonic() < deadline:
        line = proc.stdout.readline()
        if match := re.search(r"http://\S+/", line):
            return match.group(0)
        if not line and proc.poll() is not None:
            break
    proc.kill()
    raise AssertionError(f"no URL printed; stderr: {proc.stderr.read() if proc.stderr else ''}")


def test_lab_serves_the_page_and_stops_cleanly_on_ctrl_c() -> None:
    proc = start_lab("--port", "0")
    try:
        url = read_url(proc)
        assert url.startswith("http://127.0.0.1:")
        page = httpx.get(url, timeout=10)
        assert page.status_code == 200 and "backproplab lab" in page.text
        sid = {"X-Lab-Session": "cli-test-session"}
        state = httpx.post(url + "api/config", json={}, headers=sid, timeout=10).json()
        assert state["network"]["layer_sizes"] == [2, 2, 1]
        proc.send_signal(signal.SIGINT)
        out, err = proc.communicate(timeout=20)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert proc.returncode == 0, err
    assert "Traceback" not in err and "stopped" in out


def test_busy_port_is_one_line_and_exit_code_2() -> None:
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen(1)
        port = busy.getsockname()[1]
        result = run_cli("lab", "--no-browser", "--port", str(port), timeout=60)
    assert result.returncode == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("error:") and str(port) in lines[0] and "--port" in lines[0]
    assert "Traceback" not in result.stderr


def test_a_non_loopback_host_gets_a_warning() -> None:
    proc = start_lab("--port", "0", "--host", "0.0.0.0")
    try:
        read_url(proc)
        proc.send_signal(signal.SIGINT)
        _, err = proc.communicate(timeout=20)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert "warning:" in err and "other machines" in err


def test_bad_port_and_help() -> None:
    result = run_cli("lab", "--port", "70000", "--no-browser")
    assert result.returncode == 2 and "--port" in result.stderr and "Traceback" not in result.stderr
    helped = run_cli("lab", "--help")
    assert helped.returncode == 0
    for option in ("--port", "--host", "--no-browser"):
        assert option in helped.stdout
