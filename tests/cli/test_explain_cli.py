"""``backproplab explain`` as a real subprocess: defaults, formats, networks, bad input."""

from __future__ import annotations

import json

import numpy as np
import pytest

import backproplab as bp
from tests.conftest import run_cli
from tests.explain.helpers import close, evaluate


def _json(*args: str) -> dict:
    result = run_cli("explain", "--format", "json", *args)
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


def test_default_run_is_the_slides_example() -> None:
    result = run_cli("explain")
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert lines[1] == "MLP 2-2-1 (sigmoid, identity), loss mse, η = 0.5, 1 sample"
    assert lines[2] == "input (0.05, 0.1), target (0.01)"
    for symbol in ("O1 = σ(z1_1)", "∂L/∂ŷ = 2(ŷ − y)", "∂L/∂w1_11 = ∂L/∂O1", "b2_1(new) ="):
        assert symbol in result.stdout
    data = _json()
    assert data["inputs"] == [[0.05, 0.10]] and data["targets"] == [[0.01]] and data["lr"] == 0.5
    net = bp.MLP.slides_network()
    g = net.gradients([0.05, 0.10], [0.01])
    step = next(s for s in data["steps"] if s["id"] == "gradient:w1_11")
    assert close(step["value"], float(g.weights[0][0, 0]))


@pytest.mark.parametrize(
    ("fmt", "marker"),
    [
        ("text", "Forward pass"),
        ("markdown", "### Forward pass"),
        ("latex", r"\begin{document}"),
        ("html", "<!DOCTYPE html>"),
        ("json", '"format": "backproplab.explanation"'),
    ],
)
def test_each_format(fmt: str, marker: str, tmp_path) -> None:
    result = run_cli("explain", "--format", fmt)
    assert result.returncode == 0, result.stderr
    assert marker in result.stdout
    out = tmp_path / f"explain.{fmt}"
    result = run_cli("explain", "--format", fmt, "--out", str(out), "--slides-labels")
    assert result.returncode == 0, result.stderr
    assert marker in out.read_text(encoding="utf-8")


def test_deeper_network_and_focus() -> None:
    data = _json("--layers", "2,3,3,1", "--hidden", "tanh", "--seed", "4", "--x", "0.5,-1")
    assert data["network"]["layer_sizes"] == [2, 3, 3, 1]
    assert data["network"]["activations"] == ["tanh", "tanh", "identity"]
    net = bp.MLP([2, 3, 3, 1], hidden="tanh", seed=4)
    g = net.gradients([0.5, -1.0], [0.01])
    for s in data["steps"]:
        assert close(evaluate(s["substituted"]), s["value"]), s["id"]
    step = next(s for s in data["steps"] if s["id"] == "gradient:w1_23")
    assert close(step["value"], float(g.weights[0][1, 2]))
    focused = _json("--layers", "2,3,3,1", "--hidden", "tanh", "--seed", "4", "--x", "0.5,-1",
                    "--param", "w1_23")  # fmt: skip
    assert {s["param"] for s in focused["steps"] if s["param"]} == {"w1_23"}
    neuron = _json("--neuron", "O2")
    assert [s["param"] for s in neuron["steps"] if s["kind"] == "gradient"] == [
        "w1_12",
        "w1_22",
        "b1_2",
    ]


def test_batch_from_repeated_x() -> None:
    data = _json("--x", "0.05,0.10", "--x", "0.3,-0.2", "--y", "0.01", "--y", "0.5", "--lr", "0.1")
    assert data["n_samples"] == 2 and data["lr"] == 0.1
    net = bp.MLP.slides_network()
    g = net.gradients([[0.05, 0.10], [0.3, -0.2]], [0.01, 0.5])
    total = next(s for s in data["steps"] if s["id"] == "gradient:b1_2")
    assert close(total["value"], float(g.biases[0][1]))
    assert [s["sample"] for s in data["steps"] if s["param"] == "b1_2"] == [1, 2, None, None]


def test_weights_inline_and_from_a_file(tmp_path) -> None:
    spec = {
        "weights": [[[0.1, -0.2, 0.3], [0.4, 0.5, -0.6]], [[0.7], [-0.8], [0.9]]],
        "biases": [[0.01, 0.02, 0.03], [0.04]],
        "activations": ["tanh", "identity"],
    }
    inline = _json("--weights", json.dumps(spec), "--x", "1,2", "--y", "0.3")
    path = tmp_path / "w.json"
    path.write_text(json.dumps(spec), encoding="utf-8")
    from_file = _json("--weights", str(path), "--x", "1,2", "--y", "0.3")
    assert inline == from_file
    net = bp.MLP([2, 3, 1], hidden="tanh", seed=0)
    net.weights = [np.array(w) for w in spec["weights"]]
    net.biases = [np.array(b) for b in spec["biases"]]
    g = net.gradients([1.0, 2.0], [0.3])
    step = next(s for s in inline["steps"] if s["id"] == "gradient:w1_13")
    assert close(step["value"], float(g.weights[0][0, 2]))


def test_saved_model(tmp_path) -> None:
    from backproplab.io import save_model

    net = bp.MLP([2, 4, 3], hidden="relu", loss="cross_entropy", seed=9)
    path = save_model(net, tmp_path / "model.bpl")
    data = _json("--model", str(path), "--x", "0.2,0.7", "--y", "2")
    assert data["network"]["loss"] == "cross_entropy"
    g = net.gradients([0.2, 0.7], [2])
    step = next(s for s in data["steps"] if s["id"] == "gradient:w2_43")
    assert close(step["value"], float(g.weights[1][3, 2]))


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--x", "0.05,0.10,0.2"], "has 3 values but the network has 2 inputs"),
        (["--x", "0.05,abc"], "--x must be comma-separated numbers"),
        (["--param", "w7_11"], "layer 7 does not exist"),
        (["--param", "weight"], "unknown parameter name 'weight'"),
        (["--neuron", "a3_1"], "layer 3 does not exist"),
        (["--format", "pdf"], "--format must be one of"),
        (["--weights", "{not json"], "not valid JSON"),
        (["--weights", '{"weights": [[[1, 2]]], "biases": [[1, 2, 3]]}'], "must have 2 values"),
        (["--weights", "missing.json"], "no such file"),
        (["--lr", "-1"], "lr must be"),
        (["--layers", "2,x,1"], "--layers must be positive whole numbers separated by commas"),
        (["--layers", "3,2,1"], "give them with --x"),
        (["--x", "1,2", "--x", "3,4", "--y", "1"], "one --y per --x"),
        (["--model", "nowhere.bpl"], ""),
    ],
)
def test_bad_input_is_one_line_and_exit_code_2(args: list[str], message: str, tmp_path) -> None:
    result = run_cli("explain", *args, cwd=tmp_path)
    assert result.returncode == 2, (result.stdout, result.stderr)
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: "), result.stderr
    assert message in lines[0]
    assert "Traceback" not in result.stderr and result.stdout == ""


def test_malformed_weights_file_leaves_the_output_file_alone(tmp_path) -> None:
    bad = tmp_path / "bad.json"
    bad.write_text('{"weights": [[[0.1, 0.2], [0.3, 0.4]]], "biases": [[0.1]]}', encoding="utf-8")
    out = tmp_path / "explanation.txt"
    out.write_text("keep me", encoding="utf-8")
    result = run_cli("explain", "--weights", str(bad), "--out", str(out))
    assert result.returncode == 2 and "biases[0] (layer 1) must have 2 values" in result.stderr
    assert out.read_text(encoding="utf-8") == "keep me"


def test_readme_shows_the_default_explanations_first_lines() -> None:
    from tests.conftest import ROOT

    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    section = readme.split("## Explain a training step", 1)[1]
    block = section.split("```text\n", 1)[1].split("```", 1)[0].splitlines()
    assert block[0] == "$ backproplab explain"
    result = run_cli("explain")
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines()[: len(block) - 1] == block[1:]
