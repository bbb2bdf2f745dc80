"""``backproplab`` (no command) and ``backproplab demo`` as real subprocesses."""

from __future__ import annotations

import re

from tests.conftest import run_cli


def _losses(stdout: str) -> list[float]:
    return [float(m) for m in re.findall(r"epoch\s+\d+\s+loss\s+(\S+)", stdout)]


def test_bare_command_runs_the_xor_demo():
    result = run_cli()
    assert result.returncode == 0, result.stderr
    losses = _losses(result.stdout)
    assert len(losses) >= 5
    assert losses[-1] < 0.01 < losses[0]
    assert "Traceback" not in result.stderr
    # The final predictions of XOR: one row per input pattern, rounded to the targets.
    rows = re.findall(r"│\s+([01])\s+│\s+([01])\s+│\s+([01])\s+│\s+(-?[\d.]+)\s+│", result.stdout)
    assert len(rows) == 4
    for i1, i2, y, y_hat in rows:
        assert int(i1) ^ int(i2) == int(y)
        assert abs(float(y_hat) - int(y)) < 0.1


def test_demo_options():
    result = run_cli("demo", "--epochs", "20", "--report-every", "10", "--lr", "0.1")
    assert result.returncode == 0, result.stderr
    assert [int(e) for e in re.findall(r"epoch\s+(\d+)", result.stdout)] == [1, 10, 20]


def test_demo_rejects_a_bad_learning_rate_in_one_line():
    result = run_cli("demo", "--lr", "-1")
    assert result.returncode == 2
    assert result.stderr.strip() == "error: --lr must be a positive number, got -1.0"


def test_python_dash_m_help_lists_the_demo():
    result = run_cli("--help")
    assert result.returncode == 0
    assert "demo" in result.stdout
