"""Ctrl-C, SIGTERM, SIGKILL and --resume against a real ``backproplab train`` subprocess.

The resume tests need the engine's ``fit(..., resume=state)`` and ``History.state``
(``backproplab.engine.state.TrainingState``); they say so when the engine lacks them.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np
import pytest

from backproplab.io import load_model_file
from tests.conftest import run_cli

BEGIN = "training (Ctrl-C"
# (id, options): full batch and mini-batch, SGD and Adam; long enough to be interrupted.
RUNS = [
    ("full-sgd", ["--epochs", "10000", "--lr", "0.1"]),
    ("mini-sgd", ["--epochs", "2000", "--batch-size", "16", "--optimizer", "momentum"]),
    ("full-adam", ["--epochs", "10000", "--optimizer", "adam"]),
    ("mini-adam", ["--epochs", "2000", "--batch-size", "16", "--optimizer", "adam",
                   "--schedule", "cosine", "--val-split", "0.2", "--patience", "5000"]),
]  # fmt: skip
BASE = ["train", "moons", "--layers", "2,8,8,2", "--samples", "120"]


def _start(args: list[str], cwd: Path) -> subprocess.Popen:
    env = dict(os.environ, COLUMNS="120", NO_COLOR="1")
    return subprocess.Popen([sys.executable, "-m", "backproplab", *args], cwd=cwd, env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)  # fmt: skip


def _interrupt_when_training(proc: subprocess.Popen, sig: int) -> tuple[int, str]:
    """Send ``sig`` once the run says it is training; (exit code, all of stderr)."""
    seen = []
    for line in proc.stderr:
        seen.append(line)
        if BEGIN in line:
            proc.send_signal(sig)
            break
    out, rest = proc.communicate(timeout=120)
    return proc.returncode, "".join(seen) + rest


def _parameters(path: Path) -> list[bytes]:
    net = load_model_file(path).net
    return [np.ascontiguousarray(p).tobytes() for p in net.parameters()]


@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGTERM], ids=["SIGINT", "SIGTERM"])
def test_a_signal_saves_the_model_so_far_and_exits_130(tmp_path: Path, sig) -> None:
    model = tmp_path / "m.bpl"
    metrics = tmp_path / "m.json"
    proc = _start([*BASE, "--epochs", "100000", "--out", str(model), "--metrics", str(metrics),
                   "--plot", str(tmp_path / "figs")], tmp_path)  # fmt: skip
    code, stderr = _interrupt_when_training(proc, sig)
    assert code == 130, stderr
    line = next(x for x in stderr.splitlines() if x.startswith("interrupted at epoch "))
    epoch = int(line.split()[3])
    assert f"interrupted at epoch {epoch} of 100000; saved {model} (resume with --resume {model})" \
        == line.strip()  # fmt: skip
    assert 1 <= epoch < 100000 and "Traceback" not in stderr
    mf = load_model_file(model)
    assert mf.status["state"] == "interrupted" and mf.status["epoch"] == epoch
    assert metrics.exists() and (tmp_path / "figs" / "loss.png").exists()


def test_an_interrupted_run_without_out_is_saved_in_the_current_directory(tmp_path) -> None:
    proc = _start([*BASE, "--epochs", "100000"], tmp_path)
    code, stderr = _interrupt_when_training(proc, signal.SIGINT)
    assert code == 130, stderr
    assert (tmp_path / "moons-interrupted.bpl").exists()
    assert "resume with --resume" in stderr and "moons-interrupted.bpl" in stderr


def _interrupt_then_resume(tmp_path: Path, name: str, options: list[str]) -> tuple[str, str]:
    full = tmp_path / f"{name}-full.bpl"
    part = tmp_path / f"{name}-part.bpl"
    reference = run_cli(*BASE, *options, "--quiet", "--out", str(full))
    assert reference.returncode == 0, reference.stderr
    code, stderr = _interrupt_when_training(
        _start([*BASE, *options, "--out", str(part)], tmp_path), signal.SIGINT
    )
    assert code == 130, stderr
    resumed = run_cli("train", "--resume", str(part), "--quiet")
    assert resumed.returncode == 0, resumed.stderr
    return str(full), str(part)


def _engine_can_resume() -> bool:
    try:
        import backproplab.engine.state  # noqa: F401
    except ImportError:
        return False
    return True


def test_resume_is_bit_identical_to_an_uninterrupted_run(tmp_path: Path) -> None:
    assert _engine_can_resume(), (
        "backproplab.engine.state.TrainingState is missing: resume needs the engine's "
        "fit(..., resume=state) (issue 14, part 1)"
    )
    with ThreadPoolExecutor(max_workers=2) as pool:
        pairs = list(pool.map(lambda r: _interrupt_then_resume(tmp_path, *r), RUNS))
    for (name, _), (full, part) in zip(RUNS, pairs, strict=True):
        assert _parameters(Path(part)) == _parameters(Path(full)), name
        assert load_model_file(Path(part)).status["state"] in ("completed", "early_stopping")


def test_sigkill_during_checkpoints_leaves_a_checkpoint_that_resumes(tmp_path: Path) -> None:
    assert _engine_can_resume(), "needs the engine's checkpoint_every/on_checkpoint (issue 14)"
    options = ["--epochs", "6000", "--optimizer", "adam"]
    full, ck = tmp_path / "full.bpl", tmp_path / "ck.bpl"
    reference = run_cli(*BASE, *options, "--quiet", "--out", str(full))
    assert reference.returncode == 0, reference.stderr
    proc = _start([*BASE, *options, "--quiet", "--out", str(ck), "--checkpoint-every", "100"],
                  tmp_path)  # fmt: skip
    deadline = time.monotonic() + 60
    while not ck.exists() and time.monotonic() < deadline and proc.poll() is None:
        time.sleep(0.01)
    time.sleep(0.2)
    proc.kill()
    proc.communicate()
    assert proc.returncode == -signal.SIGKILL, "the run ended before it could be killed"
    checkpoint = load_model_file(ck, training_state=True)
    assert checkpoint.status["state"] == "checkpoint" and checkpoint.status["epoch"] % 100 == 0
    resumed = run_cli("train", "--resume", str(ck), "--quiet")
    assert resumed.returncode == 0, resumed.stderr
    assert _parameters(ck) == _parameters(full)
    assert not [p for p in tmp_path.iterdir() if p.name.endswith(".tmp")]


def test_a_diverging_run_saves_the_kept_parameters_marked_as_such(tmp_path: Path) -> None:
    model = tmp_path / "m.bpl"
    model.write_bytes(b"old model")
    result = run_cli("train", "curve", "--layers", "1,32,1", "--hidden", "relu", "--lr", "30",
                     "--out", str(model))  # fmt: skip
    assert result.returncode == 2
    line = result.stderr.strip().splitlines()[-1]
    assert (
        line.startswith("error: training diverged at epoch ") and "Traceback" not in result.stderr
    )
    assert f"the parameters it kept are saved to {model} (marked 'diverged'" in line
    mf = load_model_file(model)
    assert mf.status["state"] == "diverged" and mf.status["epoch"] == int(line.split()[5][:-1])
    assert all(np.isfinite(p).all() for p in mf.net.parameters())
