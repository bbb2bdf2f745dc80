"""``backproplab quiz`` as a real process: through a pipe, and in a terminal through tmux."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time
import uuid

import pytest

from backproplab.practice import exercise

ENV = dict(os.environ, COLUMNS="100", NO_COLOR="1")


def _quiz(stdin: str, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "backproplab", "quiz", *args],
        input=stdin,
        capture_output=True,
        text=True,
        env=ENV,
        timeout=120,
    )


def test_quiz_through_a_pipe_right_then_wrong():
    first, second = exercise(seed=3, level="slides"), exercise(seed=4, level="slides")
    forgot = second.wrong_values()["no_activation_derivative"]
    result = _quiz(f"{first.answer:.4g}\ny\n{forgot:.6g}\nn\n", "--seed", "3", "--count", "2")
    assert result.returncode == 0, result.stderr
    out = result.stdout
    assert "Exercise 1/2 · slides · seed 3" in out and "Exercise 2/2" in out
    assert f"✓ correct: {first.symbol}" in out
    assert "Backpropagation, one training step" in out  # the explanation asked for with y
    assert "✗ mistake: no_activation_derivative" in out
    assert "σ′(z) of a hidden unit was left out" in out
    assert out.count("Backpropagation, one training step") == 1  # not shown after n
    assert "Score: 1/2" in out


def test_quiz_pipe_ending_early_gives_the_score_and_bad_level_is_one_line():
    ex = exercise(seed=0, level="batch")
    result = _quiz(f"{ex.answer}\n", "--level", "batch", "--count", "3")
    assert result.returncode == 0, result.stderr
    assert "Score: 1/1" in result.stdout
    bad = _quiz("", "--level", "nope")
    assert bad.returncode == 2 and "--level must be one of" in bad.stderr
    assert "Traceback" not in bad.stderr


@pytest.mark.skipif(shutil.which("tmux") is None, reason="tmux is not installed")
def test_quiz_in_a_terminal_through_tmux():
    first, second = exercise(seed=10, level="slides"), exercise(seed=11, level="slides")
    wrong = -second.answer
    session = f"bpquiz-{uuid.uuid4().hex[:8]}"
    src = os.path.join(os.path.dirname(__file__), "..", "..", "src")
    command = (
        f"cd {os.getcwd()} && PYTHONPATH={os.path.abspath(src)} {sys.executable} "
        "-m backproplab quiz --seed 10 --count 2; sleep 30"
    )
    subprocess.run(
        ["tmux", "new-session", "-d", "-s", session, "-x", "120", "-y", "50", command],
        check=True,
        env=ENV,
    )
    try:

        def screen() -> str:
            return subprocess.run(
                ["tmux", "capture-pane", "-p", "-t", session, "-S", "-200"],
                capture_output=True,
                text=True,
            ).stdout

        def wait_for(text: str, count: int = 1) -> str:
            deadline = time.monotonic() + 60
            while time.monotonic() < deadline:
                shown = screen()
                if shown.count(text) >= count:
                    return shown
                time.sleep(0.2)
            raise AssertionError(f"{text!r} never appeared:\n{screen()}")

        def send(keys: str) -> None:
            subprocess.run(["tmux", "send-keys", "-t", session, "-l", "--", keys], check=True)
            subprocess.run(["tmux", "send-keys", "-t", session, "Enter"], check=True)

        wait_for("Your answer")
        send(f"{first.answer:.5g}")
        wait_for("explanation?")
        send("n")
        wait_for("Your answer", 2)
        send(f"{wrong:.6g}")
        shown = wait_for("explanation?", 2)
        assert f"✓ correct: {first.symbol}" in shown
        assert "✗ mistake: sign" in shown
        send("n")
        shown = wait_for("Score: 1/2")
    finally:
        subprocess.run(["tmux", "kill-session", "-t", session], capture_output=True)
