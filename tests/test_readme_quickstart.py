"""The README's two Quickstart commands: the first runs as written on a clean clone; the
second is exactly what CI runs (CI itself is the proof that it works)."""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import pytest

from tests.conftest import ROOT


def quickstart_commands() -> list[str]:
    text = (ROOT / "README.md").read_text()
    section = text.split("## Quickstart", 1)[1].split("\n## ", 1)[0]
    return [block.strip() for block in re.findall(r"```bash\n(.*?)```", section, re.S)]


def test_readme_has_exactly_two_quickstart_commands():
    commands = quickstart_commands()
    assert len(commands) == 2
    assert all("\n" not in c for c in commands)


def test_ci_runs_the_readme_test_command():
    ci_lines = (ROOT / ".ci" / "run").read_text().splitlines()
    assert quickstart_commands()[1] in ci_lines


@pytest.mark.slow
def test_first_quickstart_command_runs_on_a_clean_clone(tmp_path: Path):
    if not (ROOT / ".git").exists():
        pytest.fail("this test needs the git checkout to clone from")
    clone = tmp_path / "clone"
    subprocess.run(["git", "clone", "-q", str(ROOT), str(clone)], check=True)
    # The tests run from the working tree: bring uncommitted changes to the files the
    # command installs, so that the clone is what is being tested.
    for rel in ("pyproject.toml", "README.md"):
        shutil.copy(ROOT / rel, clone / rel)
    shutil.rmtree(clone / "src")
    shutil.copytree(ROOT / "src", clone / "src", ignore=shutil.ignore_patterns("*.egg-info"))
    result = subprocess.run(
        ["bash", "-c", quickstart_commands()[0]],
        cwd=clone,
        capture_output=True,
        text=True,
        timeout=900,
    )
    assert result.returncode == 0, result.stdout[-2000:] + result.stderr[-2000:]
    losses = [float(x) for x in re.findall(r"loss\s+([\d.e+-]+)\n", result.stdout)]
    assert losses and losses[-1] < 0.01
    assert "y-hat" in result.stdout
