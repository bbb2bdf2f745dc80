"""The benchmark harness runs every task at a tiny size and its peers agree with us.

Nothing here is about time (speed is measured by ``python -m benchmarks``, not by tests);
these tests keep the harness working and check that the contenders compute the same thing.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from benchmarks import (
    blas_floor,
    memory,
    peer_backproplab,
    peer_micrograd,
    peer_plain,
    peer_sklearn,
    peer_torch,
    tasks,
)
from benchmarks.harness import alternate, max_param_diff

ROOT = Path(__file__).resolve().parents[1]
S = tasks.TINY


def test_task1_every_peer_trains_the_same_slides_network() -> None:
    ours = peer_backproplab.xor(S)
    torch_run = peer_torch.xor(S)
    plain = peer_plain.xor(S)
    # Same initial weights, same full-batch descent: the same parameters.
    assert max_param_diff(ours.params, torch_run.params) < 1e-9
    assert max_param_diff(ours.params, plain.params) < 1e-9
    micro = peer_micrograd.xor(tasks.replace(S, micrograd_epochs=S.xor_epochs))
    assert micro.metrics["loss"] == pytest.approx(ours.metrics["loss"], rel=1e-9)


def test_task2_digits_runs_for_all_three() -> None:
    outs = [f(S) for f in (peer_backproplab.digits, peer_torch.digits, peer_sklearn.digits)]
    for o in outs:
        assert o.units == S.digits_epochs * 1437
        assert 0.7 < o.metrics["accuracy"] <= 1.0  # one epoch already learns digits


def test_task3_wide_network_and_its_blas_floor_run() -> None:
    ours, theirs, floor = (f(S) for f in (peer_backproplab.wide, peer_torch.wide, blas_floor.wide))
    assert ours.units == theirs.units == floor.units == S.wide_samples
    # Same initial weights and batches, same SGD: the losses agree (float32).
    assert ours.metrics["loss"] == pytest.approx(theirs.metrics["loss"], rel=1e-3)


def test_task4_tiny_network_matches_pytorch_step_for_step() -> None:
    ours, theirs = peer_backproplab.tiny(S), peer_torch.tiny(S)
    assert ours.units == theirs.units == S.tiny_steps
    assert max_param_diff(ours.params, theirs.params) < 1e-9


def test_alternate_rotates_who_goes_first() -> None:
    calls: list[str] = []

    def runner(name: str):
        def run():
            calls.append(name)
            return peer_plain.xor(S)

        return run

    results = alternate({"a": runner("a"), "b": runner("b")}, repeats=2)
    assert calls == ["a", "b", "b", "a"]
    assert all(len(v) == 2 for v in results.values())


def test_a_training_step_allocates_nothing_proportional_to_batch_or_parameters() -> None:
    import backproplab as bp

    def net():
        return bp.MLP([64, 128, 10], hidden="relu", loss="cross_entropy", seed=0)

    small = memory.step_allocation(net(), 16, lr=0.01, momentum=0.9)
    large = memory.step_allocation(net(), 1024, lr=0.01, momentum=0.9)
    # A 1024 x 128 float64 hidden layer is 1 MiB and the parameters ~77 kB. A step
    # allocates no array of either size on the Python side (the compiled loop's own work
    # buffers are counted by test_the_compiled_epoch_allocates_nothing_per_step).
    assert large["peak_bytes_per_step"] < large["one_layer_batch_bytes"] / 10
    assert small["peak_bytes_per_step"] < small["parameter_bytes"] / 2


def test_command_line_writes_table_and_json(tmp_path: Path) -> None:
    proc = subprocess.run(
        [sys.executable, "-c", "import sys; from benchmarks.__main__ import report; "
         "from benchmarks import tasks; sys.exit(report(tasks.TINY, [1, 4], "
         f"__import__('pathlib').Path({str(tmp_path)!r}), memory_check=False, quick=True))"],
        cwd=ROOT, capture_output=True, text=True, timeout=600,
    )  # fmt: skip
    assert proc.returncode == 0, proc.stderr
    data = json.loads((tmp_path / "results-quick.json").read_text())
    names = {r["contender"] for r in data["rows"]}
    assert {"backproplab", "PyTorch", "micrograd", "plain Python (slide formulas)"} <= names
    assert "| task | contender |" in (tmp_path / "results-quick.md").read_text()
    assert np.isfinite([r["rate"] for r in data["rows"]]).all()


def test_bad_task_number_is_a_clear_error() -> None:
    proc = subprocess.run(
        [sys.executable, "-m", "benchmarks", "--tasks", "7"],
        cwd=ROOT, capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert proc.returncode == 2
    assert "--tasks must be numbers from 1 to 4" in proc.stderr


def test_the_compiled_epoch_allocates_nothing_per_step() -> None:
    import backproplab as bp

    net = bp.MLP([64, 128, 10], hidden="relu", loss="cross_entropy", dtype=np.float32, seed=0)
    m = memory.epoch_allocation(net, 32, 3, lr=0.01, momentum=0.9)
    # 3 steps and 30 steps: the same allocations, made when the call starts, none per step.
    assert m["compiled_allocations_per_step"] == 0
    assert m["compiled_allocations_per_call"] < 50
    # What Python allocates around the call (a few small tuples) is far below one layer.
    assert m["peak_bytes_per_epoch"] < 32 * 128 * 4
