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
    peer_textbook,
    peer_torch,
    processes,
    sklearn_script,
    tasks,
)
from benchmarks.harness import alternate, engine_path, max_param_diff

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
        [sys.executable, "-m", "benchmarks", "--tasks", "13"],
        cwd=ROOT, capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert proc.returncode == 2
    assert "--tasks must be numbers from 1 to 12" in proc.stderr


def test_the_compiled_epoch_allocates_nothing_per_step() -> None:
    import backproplab as bp

    net = bp.MLP([64, 128, 10], hidden="relu", loss="cross_entropy", dtype=np.float32, seed=0)
    m = memory.epoch_allocation(net, 32, 3, lr=0.01, momentum=0.9)
    # 3 steps and 30 steps: the same allocations, made when the call starts, none per step.
    assert m["compiled_allocations_per_step"] == 0
    assert m["compiled_allocations_per_call"] < 50
    # What Python allocates around the call (a few small tuples) is far below one layer.
    assert m["peak_bytes_per_epoch"] < 32 * 128 * 4


def test_task5_adam_on_digits_runs_for_all_three_from_the_same_start() -> None:
    outs = {f.__module__: f(S) for f in (peer_backproplab.digits_adam, peer_torch.digits_adam,
                                         peer_sklearn.digits_adam)}  # fmt: skip
    accs = [o.metrics["accuracy"] for o in outs.values()]
    assert all(o.units == S.adam_epochs * 1437 for o in outs.values())
    # One epoch of Adam at 0.001 from the same weights: well above chance (10%), and close.
    assert min(accs) > 0.5
    assert max(accs) - min(accs) < 0.1


def test_task5_scikit_learn_really_starts_from_our_weights() -> None:
    Xtr, ytr, _, _ = tasks.digits_data()
    net = tasks.digits_network()
    Started = peer_sklearn._starting_from(list(net.weights), list(net.biases))
    clf = Started(hidden_layer_sizes=(128,), solver="adam", alpha=0.0, learning_rate_init=1e-12,
                  max_iter=1, batch_size=32, random_state=0)  # fmt: skip
    with pytest.warns(Warning):  # ConvergenceWarning: one iteration
        clf.fit(Xtr, ytr)
    # A rate of 1e-12 leaves the weights where they started: ours, not scikit-learn's.
    assert max_param_diff(clf.coefs_, list(net.weights)) < 1e-6
    assert max_param_diff(clf.intercepts_, list(net.biases)) < 1e-6


def test_task6_per_call_steps_agree_with_pytorch_and_the_textbook_step() -> None:
    ours = peer_backproplab.percall_step(S)
    torch_run = peer_torch.percall_step(S)
    textbook = peer_textbook.percall_step(S)
    assert ours.units == torch_run.units == textbook.units == S.percall_calls
    # Same weights, same samples in the same order, one SGD step per call: same parameters.
    assert max_param_diff(ours.params, torch_run.params) < 1e-9
    assert max_param_diff(ours.params, textbook.params) < 1e-9
    assert ours.metrics["loss"] == pytest.approx(textbook.metrics["loss"], rel=1e-9)
    assert torch_run.metrics["loss"] == pytest.approx(ours.metrics["loss"], rel=1e-9)
    for call in (peer_backproplab.percall_gradients, peer_backproplab.percall_predict,
                 peer_backproplab.percall_loss, peer_textbook.percall_predict):  # fmt: skip
        assert call(S).units == S.percall_calls


def test_task6_textbook_gradients_are_the_gradients_net_gradients_returns() -> None:
    # The peer net.gradients is timed against computes the same dL/dW and dL/db (its last
    # call's sample), so the ratio compares the same NumPy work.
    textbook = peer_textbook.percall_gradients(S)
    xs, ys = tasks.percall_rows(S.percall_samples)
    last = (S.percall_calls - 1) % S.percall_samples
    ours = list(tasks.tiny_network().gradients(xs[last], ys[last]))
    assert textbook.units == S.percall_calls
    assert max_param_diff(ours, textbook.gradients) < 1e-14
    assert max(float(np.abs(g).max()) for g in ours) > 1e-3  # not a vacuous comparison


def test_task7_runs_the_readme_rows_as_the_readme_writes_them() -> None:
    readme = (ROOT / "README.md").read_text()
    for data, options in tasks.README_TRAIN_ROWS.items():
        assert f"| {data} | `{options}` |" in readme
        ours = processes.train_args(data, tasks.FULL)
        assert ours == ["train", data, *options.split()]
    quick = processes.train_args("iris", S)
    assert quick[quick.index("--epochs") + 1] == str(S.process_epochs)


def test_task7_scikit_learn_script_splits_the_same_rows_as_backproplab() -> None:
    from backproplab.train.datasets import load_dataset
    from backproplab.train.splits import split_indices

    for data, row in sklearn_script.ROWS.items():
        y = load_dataset(data).y
        theirs = sklearn_script.split(y, row["test_split"], row["split_seed"])
        ours = split_indices(len(y), row["test_split"], seed=row["split_seed"], stratify=y)
        for a, b in zip(theirs, ours, strict=True):
            np.testing.assert_array_equal(a, b)


def test_task7_scikit_learn_script_does_the_training() -> None:
    out = processes.sklearn_train("iris", tasks.FULL)  # the README's 200 epochs
    assert out.metrics["accuracy"] >= 0.9  # the README's row: 0.978 with backproplab


def test_task7_estimator_script_fits_either_library_in_its_own_process() -> None:
    # One MLPClassifier fit per fresh process; the script imports only the library it names.
    quick = tasks.replace(S, estimator_digits_epochs=5)
    ours = processes.estimator_fit("backproplab", "sgd", quick)
    theirs = processes.estimator_fit("sklearn", "sgd", quick)
    assert ours.metrics["accuracy"] > 0.5 and theirs.metrics["accuracy"] > 0.5  # 5 epochs
    assert abs(ours.metrics["accuracy"] - theirs.metrics["accuracy"]) < 0.05
    probe = [sys.executable, "-X", "importtime", str(processes.ESTIMATOR_SCRIPT), "sklearn",
             "sgd", "--epochs", "1"]  # fmt: skip
    imports = subprocess.run(probe, capture_output=True, text=True, check=True).stderr
    assert "sklearn.neural_network" in imports and "backproplab" not in imports


def test_task7_a_cold_run_gets_a_new_empty_numba_cache() -> None:
    probe = "import os; d = os.environ['NUMBA_CACHE_DIR']; print(d, len(os.listdir(d)))"
    _, stdout = processes.run([sys.executable, "-c", probe], cold=True)
    folder, entries = stdout.split()
    assert entries == "0"
    assert not Path(folder).exists()  # removed afterwards
    with pytest.raises(RuntimeError, match="exited with 3"):
        processes.run([sys.executable, "-c", "raise SystemExit(3)"])


def test_engine_path_names_the_compiled_modules_that_ran() -> None:
    from numba import njit
    from numba.core.registry import CPUDispatcher

    import backproplab as bp

    space: dict = {"__name__": "backproplab.engine.compiled.fake_kernel"}
    exec("def double(x):\n    return 2.0 * x", space)
    double = njit(space["double"])
    assert double(1.0) == 2.0  # compiled before the probe
    assert engine_path(lambda: double(2.0)) == "compiled: fake"
    net = bp.MLP([2, 3, 1], seed=0)
    assert engine_path(lambda: net.predict([[0.0, 1.0]])) == "NumPy"
    assert "__call__" not in CPUDispatcher.__dict__  # numba's own call is back
    assert double(3.0) == 6.0


@pytest.mark.slow
def test_command_line_runs_tasks_5_to_7_with_targets(tmp_path: Path) -> None:
    proc = subprocess.run(
        [sys.executable, "-c", "import sys; from benchmarks.__main__ import report; "
         "from benchmarks import tasks; sys.exit(report(tasks.TINY, [5, 6, 7], "
         f"__import__('pathlib').Path({str(tmp_path)!r}), memory_check=False, quick=True))"],
        cwd=ROOT, capture_output=True, text=True, timeout=600,
    )  # fmt: skip
    assert proc.returncode == 0, proc.stderr
    data = json.loads((tmp_path / "results-quick.json").read_text())
    rows = {(r["task_id"], r["contender"]): r for r in data["rows"]}
    for key in [(5, "scikit-learn"), (6, "textbook NumPy step"), (6, "backproplab net.predict"),
                (7, "backproplab --help"), (7, "scikit-learn script iris")]:  # fmt: skip
        assert key in rows
    path = rows[(5, "backproplab")]["path"]  # probed: which way the engine went
    assert path == "NumPy" or path.startswith("compiled: ")
    assert rows[(7, "backproplab train iris (warm numba cache)")]["ratio"] > 0
    assert all(r["path"] for r in data["rows"])
    targets = "\n".join(data["targets"])
    for line in ("task 5: ≥ 4× scikit-learn", "task 6: ≥ 20× PyTorch",
                 "task 6: ≥ 3× textbook NumPy step", "task 6: params equal the PyTorch's",
                 "task 7: backproplab train iris (warm numba cache) ≤ 0.7×"):  # fmt: skip
        assert line in targets
    assert data["checks"]["6"]["max |param difference| PyTorch"] < 1e-9
    assert "| 7. whole processes" in (tmp_path / "results-quick.md").read_text()


def test_tasks_9_to_12_run_both_estimators_with_one_constructor_call() -> None:
    from benchmarks import peer_estimators

    for solver, data in (("adam", "digits"), ("sgd", "tabular")):
        ours = peer_estimators.run("backproplab", solver, data, S)
        theirs = peer_estimators.run("sklearn", solver, data, S)
        floor = peer_estimators.floor(solver, data, S)
        assert ours.units == theirs.units == floor.units > 0  # the same epochs and rows
        assert abs(ours.metrics["accuracy"] - theirs.metrics["accuracy"]) < 0.1
