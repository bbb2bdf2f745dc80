"""``backproplab train / predict / evaluate / gradcheck`` as real subprocesses."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import pytest

from backproplab.io import load_model_file
from tests.conftest import run_cli
from tests.test_plots import assert_real_png

DIGITS = ["--layers", "64,64,10", "--optimizer", "nesterov", "--lr", "0.02", "--epochs", "50",
          "--batch-size", "16", "--schedule", "cosine", "--test-split", "0.25"]  # fmt: skip
IRIS = ["--layers", "4,16,3", "--optimizer", "adam", "--lr", "0.01", "--epochs", "200",
        "--weight-decay", "0.001", "--test-split", "0.3", "--split-seed", "3"]  # fmt: skip
DIABETES = ["--layers", "10,8,1", "--lr", "0.05", "--epochs", "200"]
XOR = ["--layers", "2,2,1", "--hidden", "sigmoid", "--output", "identity", "--loss", "mse",
       "--lr", "0.5", "--epochs", "5000", "--test-split", "0", "--no-standardize"]  # fmt: skip


def _train(tmp_path: Path, data: str, *options: str) -> dict:
    metrics = tmp_path / f"{Path(data).stem}.json"
    model = tmp_path / f"{Path(data).stem}.bpl"
    result = run_cli("train", data, *options, "--out", str(model), "--metrics", str(metrics))
    assert result.returncode == 0, result.stderr
    assert "Trained on" in result.stdout
    return json.loads(metrics.read_text())


@pytest.mark.slow
def test_digits_via_cli_reaches_97_percent_and_evaluates_the_same(tmp_path: Path) -> None:
    summary = _train(tmp_path, "digits", *DIGITS)
    assert summary["test"]["accuracy"] >= 0.97
    table = run_cli("evaluate", str(tmp_path / "digits.bpl"), "digits").stdout
    assert "accuracy" in table and "1797" in table
    ev = run_cli("evaluate", str(tmp_path / "digits.bpl"), "digits", "--split", "test", "--json")
    assert ev.returncode == 0, ev.stderr
    assert json.loads(ev.stdout)["accuracy"] == summary["test"]["accuracy"]
    assert json.loads(ev.stdout)["n"] == 450


def test_iris_via_cli_reaches_95_percent(tmp_path: Path) -> None:
    assert _train(tmp_path, "iris", *IRIS)["test"]["accuracy"] >= 0.95


def test_diabetes_via_cli_r2_at_least_045(tmp_path: Path) -> None:
    summary = _train(tmp_path, "diabetes", *DIABETES)
    assert summary["test"]["r2"] >= 0.45
    ev = run_cli("evaluate", str(tmp_path / "diabetes.bpl"), "diabetes", "--split", "test",
                 "--json")  # fmt: skip
    assert ev.returncode == 0, ev.stderr
    assert json.loads(ev.stdout)["r2"] == summary["test"]["r2"]


def test_the_slides_network_learns_xor_via_cli(tmp_path: Path) -> None:
    summary = _train(tmp_path, "xor", *XOR)
    assert summary["train"]["accuracy"] == 1.0 and summary["final_loss"] < 1e-3
    model = load_model_file(tmp_path / "xor.bpl")
    assert model.net.layer_sizes == [2, 2, 1] and model.net.activations == ["sigmoid", "identity"]


def test_csv_train_predict_evaluate_and_plots(tmp_path: Path) -> None:
    from backproplab.train.datasets import load_dataset

    ds = load_dataset("moons", n_samples=200, seed=4)
    data = tmp_path / "moons.csv"
    with data.open("w", newline="") as fh:
        writer = csv.writer(fh)
        writer.writerow(["x1", "x2", "shape"])
        for x, y in zip(ds.X, ds.y, strict=True):
            writer.writerow([repr(float(x[0])), repr(float(x[1])), ["upper", "lower"][y]])
    figures = tmp_path / "figs"
    run = run_cli("train", str(data), "--target", "shape", "--layers", "2,16,2", "--epochs",
                  "200", "--optimizer", "adam", "--val-split", "0.2", "--out",
                  str(tmp_path / "m.bpl"), "--plot", str(figures))  # fmt: skip
    assert run.returncode == 0, run.stderr
    assert "validation accuracy" in run.stdout and "300/300" not in run.stderr
    assert_real_png(figures / "loss.png")
    assert_real_png(figures / "decision_boundary.png")
    assert load_model_file(tmp_path / "m.bpl").classes == ["lower", "upper"]

    out = tmp_path / "preds.csv"
    pred = run_cli("predict", str(tmp_path / "m.bpl"), str(data), "--out", str(out))
    assert pred.returncode == 0, pred.stderr
    rows = list(csv.DictReader(out.open()))
    assert len(rows) == 200 and set(rows[0]) == {"prediction", "p_lower", "p_upper"}
    for row in rows:
        p_lower, p_upper = float(row["p_lower"]), float(row["p_upper"])
        assert abs(p_lower + p_upper - 1) < 1e-5
        assert row["prediction"] == ("upper" if p_upper > p_lower else "lower")
    truth = [["upper", "lower"][y] for y in ds.y]
    agree = sum(r["prediction"] == t for r, t in zip(rows, truth, strict=True)) / 200
    ev = run_cli("evaluate", str(tmp_path / "m.bpl"), str(data), "--json")
    assert ev.returncode == 0, ev.stderr
    assert json.loads(ev.stdout)["accuracy"] == pytest.approx(agree)


@pytest.mark.parametrize(
    ("text", "options", "expected"),
    [
        ("a,b,y\n1,2,x\n3,,y\n", [], "line 3, column 'b': missing value"),
        ("a,b,y\n1,2,x\n3,abc,y\n", [], "line 3, column 'b': 'abc' is not a number"),
        ("a,b,y\n1,2,x\n3,4,y\n", ["--target", "label"], "unknown target column 'label'"),
        ("a,b,y\n1,2,x\n3,4,x\n", [], "column 'y': a single class"),
        ("a,b,y\n", [], "no data rows"),
    ],
)
def test_csv_errors_are_one_line_exit_2(tmp_path: Path, text, options, expected) -> None:
    data = tmp_path / "bad.csv"
    data.write_text(text)
    result = run_cli("train", str(data), *options, "--out", str(tmp_path / "m.bpl"))
    assert result.returncode == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: ") and expected in lines[0]
    assert "Traceback" not in result.stderr
    assert not (tmp_path / "m.bpl").exists()


def test_diverging_training_names_the_epoch_and_saves_what_it_kept(tmp_path: Path) -> None:
    model = tmp_path / "m.bpl"
    model.write_bytes(b"old model")
    result = run_cli("train", "curve", "--layers", "1,32,1", "--hidden", "relu", "--lr", "30",
                     "--out", str(model))  # fmt: skip
    assert result.returncode == 2
    line = result.stderr.strip().splitlines()[-1]
    assert line.startswith("error: training diverged at epoch ")
    assert "smaller learning rate" in line
    # The parameters the engine kept are saved, marked (tests/safety/test_interrupts.py).
    assert load_model_file(model).status["state"] == "diverged"


def test_bad_model_file_and_layers_are_one_line_errors(tmp_path: Path) -> None:
    bad = tmp_path / "bad.bpl"
    bad.write_bytes(b"not a model")
    result = run_cli("predict", str(bad), "iris")
    assert result.returncode == 2 and "not a backproplab model file" in result.stderr
    result = run_cli("train", "moons", "--layers", "3,8,2")
    assert result.returncode == 2
    assert "error: --layers starts with 3 inputs but 'moons' has 2 features" in result.stderr


def test_gradcheck_command(tmp_path: Path) -> None:
    result = run_cli("gradcheck")
    assert result.returncode == 0, result.stderr
    assert "slides' 2-2-1 network" in result.stdout and "PASSED" in result.stdout
    assert "weights[0]" in result.stdout
    result = run_cli("gradcheck", "iris", "--layers", "4,5,3", "--samples", "10")
    assert result.returncode == 0 and "PASSED" in result.stdout
    result = run_cli("gradcheck", "iris", "--layers", "4,5,3", "--tol", "1e-300", "--atol", "0")
    assert result.returncode == 1 and "FAILED" in result.stdout


def test_a_diverging_run_names_the_layer_and_a_learning_rate_that_works() -> None:
    result = run_cli("train", "curve", "--layers", "1,16,16,1", "--hidden", "relu", "--lr", "5",
                     "--epochs", "300")  # fmt: skip
    assert result.returncode == 2
    line = result.stderr.strip().splitlines()[-1]
    assert "Traceback" not in result.stderr
    assert "the gradients of layer " in line and "exploded first (from epoch " in line
    suggested = line.rsplit("about ", 1)[1].split(" ", 1)[0]
    again = run_cli("train", "curve", "--layers", "1,16,16,1", "--hidden", "relu", "--lr",
                    suggested, "--epochs", "300")  # fmt: skip
    assert again.returncode == 0, again.stderr
