"""Outputs are checked before the work and never lost after it."""

from __future__ import annotations

import contextlib
import os
import stat
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest

from backproplab.engine.network import MLP
from backproplab.io import load_model_file, save_model
from tests.conftest import run_cli

QUICK = ["train", "moons", "--epochs", "5", "--samples", "60", "--quiet"]

# Run the CLI with every write under a folder failing as a full disk would (for machines
# where a small tmpfs cannot be mounted).
_SIMULATED_FULL = """
import errno, sys
from pathlib import Path
import backproplab.io as bio
full = Path(sys.argv[1]).resolve()
real = bio._atomic_write
def atomic_write(path, payload):
    if Path(path).resolve().parent == full:
        raise OSError(errno.ENOSPC, "No space left on device")
    return real(path, payload)
bio._atomic_write = atomic_write
from backproplab.cli import main
main(sys.argv[2:])
"""


@contextlib.contextmanager
def full_disk(directory: Path):
    """A 64 KiB tmpfs at ``directory``, filled up; None where mounting is not allowed."""
    directory.mkdir()
    mounted = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=64k", "tmpfs", str(directory)],
                             capture_output=True).returncode == 0  # fmt: skip
    try:
        if mounted:
            with contextlib.suppress(OSError), open(directory / "filler", "wb") as fh:
                while True:
                    fh.write(b"\0" * 4096)
                    fh.flush()
        yield mounted
    finally:
        if mounted:
            subprocess.run(["umount", str(directory)], check=False)


def test_a_full_disk_keeps_the_model_in_a_fallback_path(tmp_path: Path) -> None:
    full = tmp_path / "full"
    with full_disk(full) as mounted:
        args = [*QUICK, "--out", str(full / "m.bpl"), "--metrics", str(full / "m.json")]
        if mounted:
            result = run_cli(*args, cwd=tmp_path)
        else:  # simulated ENOSPC
            result = subprocess.run([sys.executable, "-c", _SIMULATED_FULL, str(full), *args],
                                    capture_output=True, text=True, cwd=tmp_path)  # fmt: skip
        assert result.returncode == 1, result.stderr
        assert "Traceback" not in result.stderr
        warning = next(line for line in result.stderr.splitlines() if "could not write the model")
        rescued = Path(warning.rsplit("saved it to ", 1)[1].removesuffix(" instead"))
        assert rescued.parent == tmp_path and "No space left" in warning
        assert load_model_file(rescued).net.layer_sizes == [2, 16, 16, 2]
        assert not [p for p in full.iterdir() if p.name.endswith(".tmp")]


def test_outputs_are_refused_before_training(tmp_path: Path) -> None:
    data = tmp_path / "d.csv"
    data.write_text("a,b,c\n" + "".join(f"{k},{k % 3},{k % 2}\n" for k in range(30)))
    before = data.read_bytes()
    (tmp_path / "adir").mkdir()
    cases = {
        "same file as the input": ["train", str(data), "--out", str(data)],
        "is a directory": ["train", "moons", "--out", str(tmp_path / "adir")],
        "cannot write": ["train", "moons", "--out", "/proc/m.bpl"],
        "same file as the input ": ["predict", str(tmp_path / "x.bpl"), str(data), "--out",
                                    str(data)],
    }  # fmt: skip
    save_model(MLP([2, 3, 2], loss="cross_entropy"), tmp_path / "x.bpl")
    for words, args in cases.items():
        start = time.perf_counter()
        result = run_cli(*args, "--epochs", "100000") if args[0] == "train" else run_cli(*args)
        assert result.returncode == 2 and words.strip() in result.stderr, result.stderr
        assert time.perf_counter() - start < 30  # refused up front, not after 100000 epochs
    assert data.read_bytes() == before


def test_an_unwritable_directory_is_refused_up_front(tmp_path: Path) -> None:
    # Root ignores permission bits, so a read-only bind mount stands in where possible.
    ro = tmp_path / "ro"
    ro.mkdir()
    ro.chmod(0o555)
    mounted = subprocess.run(["mount", "--bind", "-o", "ro", str(ro), str(ro)],
                             capture_output=True).returncode == 0  # fmt: skip
    try:
        if not mounted and os.geteuid() == 0:
            pytest.skip("as root without mount, no directory is unwritable")
        result = run_cli(*QUICK, "--out", str(ro / "m.bpl"))
        assert result.returncode == 2 and "cannot write in" in result.stderr
    finally:
        if mounted:
            subprocess.run(["umount", str(ro)], check=False)


def test_saved_files_honour_the_umask(tmp_path: Path) -> None:
    result = subprocess.run(
        ["sh", "-c", f"umask 022 && {sys.executable} -m backproplab " + " ".join(QUICK)
         + f" --out {tmp_path}/m.bpl --metrics {tmp_path}/m.json"],
        capture_output=True, text=True,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    for name in ("m.bpl", "m.json"):
        assert stat.S_IMODE((tmp_path / name).stat().st_mode) == 0o644
    result = subprocess.run(
        ["sh", "-c", f"umask 077 && {sys.executable} -m backproplab " + " ".join(QUICK)
         + f" --out {tmp_path}/p.bpl"],
        capture_output=True, text=True,
    )  # fmt: skip
    assert stat.S_IMODE((tmp_path / "p.bpl").stat().st_mode) == 0o600


def test_temporaries_of_killed_saves_are_removed_by_the_next_save(tmp_path: Path) -> None:
    dead = subprocess.Popen(["true"])
    dead.wait()
    stale = tmp_path / f".m.bpl.{dead.pid}.abc123.tmp"
    stale.write_bytes(b"x" * 1000)
    old_style = tmp_path / ".m.bpl.k3j4h5.tmp"
    old_style.write_bytes(b"x")
    os.utime(old_style, (time.time() - 7200, time.time() - 7200))
    alive = tmp_path / f".m.bpl.{os.getpid() + 0}.live.tmp"  # a save in progress (ours)
    alive.write_bytes(b"x")
    other = tmp_path / ".other.bpl.1.x.tmp"
    other.write_bytes(b"x")
    save_model(MLP([2, 2, 1]), tmp_path / "m.bpl")
    assert not stale.exists() and not old_style.exists()
    assert alive.exists() and other.exists()


def test_a_killed_save_leaves_the_old_file_and_the_next_save_cleans_up(tmp_path: Path) -> None:
    target = tmp_path / "m.bpl"
    save_model(MLP([2, 2, 1], seed=1), target)
    old = target.read_bytes()
    code = (
        "import os, numpy as np, backproplab.io as bio\n"
        "from backproplab.engine.network import MLP\n"
        "real = os.replace\n"
        "def die(*a): os.kill(os.getpid(), 9)\n"
        "os.replace = die\n"
        f"bio.save_model(MLP([2, 2, 1], seed=2), {str(target)!r})\n"
    )
    subprocess.run([sys.executable, "-c", code], check=False)
    assert target.read_bytes() == old
    assert [p for p in tmp_path.iterdir() if p.name.endswith(".tmp")]
    save_model(MLP([2, 2, 1], seed=3), target)
    assert not [p for p in tmp_path.iterdir() if p.name.endswith(".tmp")]
    assert np.array_equal(load_model_file(target).net.weights[0], MLP([2, 2, 1], seed=3).weights[0])
