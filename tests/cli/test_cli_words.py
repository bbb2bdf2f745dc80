"""The CLI speaks in its own words: options, not Python arguments; JSON that is JSON."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np

import backproplab as bp
from backproplab.io import load_model_file
from backproplab.train.datasets import DATASET_NAMES
from tests.conftest import run_cli
from tests.safety.hostile import run_many

QUIET = ["--quiet", "--epochs", "5"]


def test_version() -> None:
    result = run_cli("--version")
    assert result.returncode == 0 and result.stdout.strip() == f"backproplab {bp.__version__}"


def test_did_you_mean_for_data_sets_and_columns(tmp_path: Path) -> None:
    assert "did you mean 'digits'" in run_cli("train", "digit").stderr
    assert "did you mean 'breast_cancer'" in run_cli("train", "breast_cancr").stderr
    data = tmp_path / "d.csv"
    data.write_text("height,weight,label\n" + "".join(f"{k},{k * 2},{k % 2}\n" for k in range(20)))
    result = run_cli("train", str(data), "--target", "lable")
    assert result.returncode == 2 and "did you mean 'label'" in result.stderr


def test_options_that_do_nothing_are_warned_about() -> None:
    result = run_cli("train", "moons", *QUIET, "--lr", "0", "--patience", "3")
    assert result.returncode == 0, result.stderr
    warnings = [line for line in result.stderr.splitlines() if line.startswith("warning:")]
    assert any("--lr 0" in w for w in warnings)
    assert any("--patience without --val-split" in w for w in warnings)
    result = run_cli("train", "moons", *QUIET, "--optimizer", "adam", "--momentum", "0.5")
    assert "--momentum does nothing with --optimizer adam" in result.stderr


def test_engine_errors_name_the_cli_options() -> None:
    result = run_cli(
        "train", "xor", "--layers", "2,2,1", "--val-split", "0.9", "--test-split", "0", *QUIET
    )
    assert result.returncode == 2 and "--val-split" in result.stderr
    assert "validation_split" not in result.stderr
    result = run_cli("train", "moons", "--hidden", "softmax", *QUIET)
    assert result.returncode == 2 and "activations[" not in result.stderr, result.stderr
    assert "Traceback" not in result.stderr


def test_evaluate_json_is_valid_json_with_null_for_nan(tmp_path: Path) -> None:
    train_csv = tmp_path / "t.csv"
    train_csv.write_text("x,y\n" + "".join(f"{k / 10},{k / 5 + 0.1}\n" for k in range(30)))
    flat = tmp_path / "flat.csv"
    flat.write_text("x,y\n" + "".join(f"{k / 10},2.5\n" for k in range(10)))  # R² undefined
    model = tmp_path / "m.bpl"
    assert run_cli("train", str(train_csv), *QUIET, "--out", str(model)).returncode == 0
    result = run_cli("evaluate", str(model), str(flat), "--json")
    assert result.returncode == 0, result.stderr
    assert "NaN" not in result.stdout
    assert json.loads(result.stdout)["r2"] is None


def test_evaluate_split_test_for_a_model_trained_on_a_csv(tmp_path: Path) -> None:
    data = tmp_path / "d.csv"
    rng = np.random.default_rng(0)
    X = rng.normal(size=(80, 2))
    data.write_text("a,b,label\n" + "".join(
        f"{float(a)!r},{float(b)!r},{'yes' if a + b > 0 else 'no'}\n" for a, b in X))  # fmt: skip
    model, metrics = tmp_path / "m.bpl", tmp_path / "m.json"
    trained = run_cli("train", str(data), "--epochs", "50", "--quiet", "--out", str(model),
                      "--metrics", str(metrics))  # fmt: skip
    assert trained.returncode == 0, trained.stderr
    summary = json.loads(metrics.read_text())
    for split in ("test", "train"):
        result = run_cli("evaluate", str(model), str(data), "--split", split, "--json")
        assert result.returncode == 0, result.stderr
        measured = json.loads(result.stdout)
        assert measured["accuracy"] == summary[split]["accuracy"]
        assert measured["n"] == summary[f"n_{split}"]
    data.write_text(data.read_text() + "0.5,0.5,yes\n")  # not the data it was trained on
    changed = run_cli("evaluate", str(model), str(data), "--split", "test")
    assert changed.returncode == 2 and "unchanged" in changed.stderr


def test_explain_model_applies_the_preprocessing_and_takes_class_names(tmp_path: Path) -> None:
    model = tmp_path / "iris.bpl"
    assert (
        run_cli("train", "iris", "--layers", "4,3,3", *QUIET, "--out", str(model)).returncode == 0
    )
    result = run_cli("explain", "--model", str(model), "--x", "5.1,3.5,1.4,0.2", "--y", "setosa",
                     "--format", "json")  # fmt: skip
    assert result.returncode == 0, result.stderr
    assert "standardised with the model's feature means" in result.stderr
    mf = load_model_file(model)
    x = mf.preprocessing.transform_X([[5.1, 3.5, 1.4, 0.2]])
    expected = bp.explain(mf.net, x, [mf.classes.index("setosa")], lr=0.5).to_json()
    assert json.loads(result.stdout) == json.loads(expected)


def test_gradcheck_passes_on_every_built_in_data_set(tmp_path: Path) -> None:
    outcomes = run_many([(["gradcheck", name], tmp_path) for name in DATASET_NAMES])
    for name, result in zip(DATASET_NAMES, outcomes, strict=True):
        assert result.returncode == 0, (name, result.stdout[-400:], result.stderr[-400:])
        assert "PASSED" in result.stdout


def test_gradcheck_xor_checks_the_slides_network() -> None:
    result = run_cli("gradcheck", "xor")
    assert result.returncode == 0, result.stdout
    assert "the slides' 2-2-1 network" in result.stdout
    assert result.stdout == run_cli("gradcheck").stdout


def test_the_absolute_floor_passes_tiny_correct_gradients_only() -> None:
    # A deep sigmoid stack: gradients of the first layer ~1e-7, pure rounding between them.
    net = bp.MLP([2] + [4] * 7 + [1], hidden="sigmoid", seed=0)
    X = np.random.default_rng(0).normal(size=(8, 2))
    Y = np.random.default_rng(1).normal(size=(8, 1))
    report = bp.gradcheck(net, X, Y, order=2)
    assert report.passed(tol=1e-6)
    assert report.max_abs_error < 1e-8
    wrong = bp.GradcheckReport(
        [type(report.checks[0])("weights[0]", (2, 4), 1e-4, 1e-3)], eps=report.eps
    )
    assert not wrong.passed(tol=1e-6)
