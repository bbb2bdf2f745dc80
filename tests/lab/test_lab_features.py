"""Own data, practice mode and gradient health through the lab's API, over a real socket."""

from __future__ import annotations

import signal

import httpx
import numpy as np
import pytest

import backproplab as bp
from backproplab.engine.fit import exploding_layer, vanishing_layers
from backproplab.lab.upload import MAX_UPLOAD_BYTES
from backproplab.practice import MISTAKES
from backproplab.practice.quantities import parse_quantity
from backproplab.practice.variants import wrong_values
from backproplab.train.csv import DataError, load_csv, load_csv_bytes
from backproplab.train.pipeline import predict_classes

from .csv_samples import bad_variants, classes_csv, cli_message, regression_csv
from .test_lab_cli import read_url, start_lab

SLIDES_X = np.array([bp.SLIDES_INPUT])
SLIDES_Y = np.array([bp.SLIDES_TARGET])


def ok(response: httpx.Response) -> dict:
    assert response.status_code == 200, response.text
    return response.json()


def upload(
    client: httpx.Client, text: str | bytes, name: str = "data.csv", **query
) -> httpx.Response:
    body = text.encode() if isinstance(text, str) else text
    return client.post("/api/data", params={"name": name, **query}, content=body)


def net_of(state: dict) -> bp.MLP:
    """The session's network, rebuilt from the state the page received."""
    n = state["network"]
    net = bp.MLP(n["layer_sizes"], n["activations"], loss=n["loss"], seed=0)
    net.weights = [np.array(w) for w in state["params"]["weights"]]
    net.biases = [np.array(b) for b in state["params"]["biases"]]
    return net


# ---------------------------------------------------------------------- your data
def test_an_uploaded_csv_trains_with_a_projection_and_a_confusion_matrix(
    client: httpx.Client,
) -> None:
    text = classes_csv()
    state = ok(upload(client, text, "flowers.csv", target="label"))
    assert state["config"]["data"] == "csv" and state["config"]["loss"] == "bce"
    assert state["network"]["layer_sizes"][0] == 3
    data = state["data"]
    assert data["features"] == ["petal", "sepal", "stem"] and data["view"] == [0, 1]
    assert "flowers.csv: 80 rows" in data["note"] and "standardised" in data["note"]
    # The network sees the CLI reader's features, standardised (mean 0, sd 1).
    ds = load_csv_bytes(text.encode(), "flowers.csv", target="label")
    X = (ds.X - ds.X.mean(axis=0)) / ds.X.std(axis=0)
    np.testing.assert_allclose(np.array(data["X"]), X[:, :2], atol=1e-12)
    assert data["labels"] == ds.y.tolist() and data["class_names"] == ["no", "yes"]
    start = state["loss"]
    trained = ok(client.post("/api/train", json={"epochs": 200}))
    assert trained["loss"] < 0.6 * start
    # The confusion matrix counts the engine's predictions on all three features.
    fit = trained["fit"]
    predicted = predict_classes(net_of(trained), X)
    expected = np.zeros((2, 2), dtype=int)
    np.add.at(expected, (ds.y, predicted), 1)
    assert fit["kind"] == "confusion" and fit["matrix"] == expected.tolist()
    assert fit["accuracy"] > 0.8
    # Another projection: the plot's columns and the heat map's inputs change.
    projected = ok(client.post("/api/projection", json={"x": 2, "y": 0}))
    assert projected["data"]["view"] == [2, 0]
    np.testing.assert_allclose(np.array(projected["data"]["X"]), X[:, [2, 0]], atol=1e-12)
    assert projected["heatmap"]["values"] != trained["heatmap"]["values"]
    r = client.post("/api/projection", json={"x": 1, "y": 1})
    assert r.status_code == 400 and "two different features" in r.json()["error"]
    # The tab keeps its CSV: configuring "csv" again rebuilds the network on it.
    again = ok(client.post("/api/config", json={**trained["config"], "hidden": []}))
    assert again["network"]["layer_sizes"] == [3, 1]


def test_a_regression_csv_gets_a_residual_plot(client: httpx.Client) -> None:
    state = ok(upload(client, regression_csv(), "houses.csv"))
    assert state["config"]["loss"] == "mse" and state["data"]["task"] == "regression"
    trained = ok(client.post("/api/train", json={"epochs": 100}))
    fit = trained["fit"]
    assert fit["kind"] == "residuals"
    predicted = net_of(trained).predict(np.array(_all_inputs(client)))[:, 0]
    np.testing.assert_allclose(fit["predicted"], predicted, rtol=1e-3, atol=1e-4)
    residual = np.array(state["data"]["labels"])
    np.testing.assert_allclose(fit["residual"], residual - predicted, rtol=1e-3, atol=1e-3)


def _all_inputs(client: httpx.Client) -> list[list[float]]:
    """All features of the tab's data, from projections of two columns at a time."""
    a = ok(client.post("/api/projection", json={"x": 0, "y": 1}))["data"]["X"]
    b = ok(client.post("/api/projection", json={"x": 2, "y": 0}))["data"]["X"]
    return [[r[0], r[1], s[0]] for r, s in zip(a, b, strict=True)]


@pytest.mark.parametrize("name", sorted(bad_variants()))
def test_bad_csv_files_get_the_clis_messages(client: httpx.Client, tmp_path, name: str) -> None:
    text = bad_variants()[name]
    r = upload(client, text, name)
    assert r.status_code == 400 and r.json()["code"] == "bad_input"
    assert r.json()["error"] == cli_message(tmp_path, name, text)


def test_more_bad_uploads_are_one_line_4xx(client: httpx.Client, tmp_path) -> None:
    latin = "a,b,label\n1,2,caf\xe9\n3,4,x\n".encode("latin-1")
    r = upload(client, latin, "latin.csv")
    assert r.status_code == 400 and r.json()["error"] == cli_message(tmp_path, "latin.csv", latin)
    r = upload(client, "a,b,label\n", "header.csv")
    assert r.json()["error"] == cli_message(tmp_path, "header.csv", "a,b,label\n")
    r = upload(client, classes_csv(), "flowers.csv", target="colour")
    assert r.status_code == 400 and "unknown target column 'colour'" in r.json()["error"]
    one = "x,label\n" + "".join(f"{k},{k % 2}\n" for k in range(10))
    r = upload(client, one, "one.csv")
    assert r.status_code == 400 and "the lab draws 2 to 16 inputs" in r.json()["error"]
    many = classes_csv(n=1001)
    r = upload(client, many, "many.csv")
    assert r.status_code == 400 and "1,001 data rows; the lab takes 4 to 1,000" in r.json()["error"]
    r = upload(client, "x" * 10, "../../etc/passwd")
    assert r.status_code == 400 and r.json()["error"].startswith("passwd")


def test_a_csv_too_large_is_refused_by_its_length_and_as_it_streams(lab_url: str) -> None:
    big = b"1,2,3\n" * (MAX_UPLOAD_BYTES // 6 + 10)
    limit = f"the limit for a CSV file in the lab is {MAX_UPLOAD_BYTES:,} bytes"
    expected = f"big.csv: {len(big):,} bytes; {limit}"
    with httpx.Client(base_url=lab_url, headers={"X-Lab-Session": "big-upload-1"}) as c:
        r = c.post("/api/data", params={"name": "big.csv"}, content=big)
        assert r.status_code == 413 and r.json()["error"] == expected

        def chunks():  # no Content-Length: counted as it arrives
            for k in range(0, len(big), 65536):
                yield big[k : k + 65536]

        r = c.post("/api/data", params={"name": "big.csv"}, content=chunks())
        assert r.status_code == 413
        assert r.json()["error"] == (
            f"big.csv: over {MAX_UPLOAD_BYTES:,} bytes; the limit for a CSV file in the lab is "
            f"{MAX_UPLOAD_BYTES:,} bytes"
        )


def test_csv_without_an_upload_is_a_409(client: httpx.Client) -> None:
    r = client.post("/api/config", json={"data": "csv"})
    assert r.status_code == 409 and "no CSV file in this tab yet" in r.json()["error"]


# ---------------------------------------------------------------------- practice
def test_practice_hides_the_gradients_and_checks_answers_with_backproplab_practice(
    client: httpx.Client,
) -> None:
    ok(client.post("/api/config", json={}))  # the slides' network and example
    state = ok(client.post("/api/practice", json={"enabled": True, "asks": "dL/dw1_11"}))
    assert state["practice"]["asks"] == "dL/dw1_11" and not state["practice"]["hidden"]
    r = client.post("/api/practice/answer", json={"answer": 0.1})
    assert r.status_code == 409 and "no practice question is open" in r.json()["error"]
    ok(client.post("/api/forward"))
    hidden = ok(client.post("/api/backward"))
    assert hidden["backward"] is None and hidden["practice"]["hidden"]
    r = client.get("/api/explain", params={"param": "w1_11"})
    assert r.status_code == 409 and "type your answer first" in r.json()["error"]
    # A planted mistake: the value without the hidden unit's activation derivative.
    net = bp.MLP.slides_network()
    q = parse_quantity("dL/dw1_11", net.layer_sizes)
    planted = wrong_values(net, SLIDES_X, SLIDES_Y, 0.5, q)["no_activation_derivative"]
    answered = ok(client.post("/api/practice/answer", json={"answer": f"{planted:.6g}"}))
    fb = answered["feedback"]
    assert not fb["correct"] and fb["mistake"] == "no_activation_derivative"
    assert MISTAKES["no_activation_derivative"] in fb["message"] and "re-check" in fb["message"]
    assert answered["backward"] is not None  # answered: the numbers show again
    assert (answered["practice"]["correct"], answered["practice"]["answered"]) == (0, 1)
    ok(client.get("/api/explain", params={"param": "w1_11"}))
    # Next cycle: the right value, from the engine, is accepted.
    ok(client.post("/api/update"))
    net.step(SLIDES_X, SLIDES_Y, lr=0.5)
    right = net.gradients(SLIDES_X, SLIDES_Y).weights[0][0, 0]
    ok(client.post("/api/forward"))
    assert ok(client.post("/api/backward"))["practice"]["hidden"]
    fb = ok(client.post("/api/practice/answer", json={"answer": str(right)}))
    assert fb["feedback"]["correct"] and (
        fb["practice"]["correct"],
        fb["practice"]["answered"],
    ) == (1, 2)
    assert fb["backward"]["weights"][0][0][0] == pytest.approx(right, rel=1e-12)


def test_practice_can_hide_the_update_and_refuses_bad_requests(client: httpx.Client) -> None:
    ok(client.post("/api/config", json={}))
    before = ok(client.post("/api/practice", json={"enabled": True, "hide": "update"}))
    assert before["practice"]["asks"] == "w1_11(new)"
    state = ok(client.post("/api/step"))
    assert state["practice"]["hidden"] and state["params"] == before["params"]
    net = bp.MLP.slides_network()
    net.step(SLIDES_X, SLIDES_Y, lr=0.5)
    fb = ok(client.post("/api/practice/answer", json={"answer": net.weights[0][0, 0]}))
    assert fb["feedback"]["correct"]
    assert fb["params"]["weights"][0][0][0] == pytest.approx(net.weights[0][0, 0], rel=1e-12)
    r = client.post("/api/practice", json={"enabled": True, "asks": "dL/dw9_99"})
    assert r.status_code == 400 and "practice cannot ask 'dL/dw9_99'" in r.json()["error"]
    r = client.post("/api/practice/answer", json={"answer": "abc"})
    assert r.status_code == 409
    ok(client.post("/api/practice", json={"enabled": True, "hide": "update"}))
    ok(client.post("/api/step"))
    r = client.post("/api/practice/answer", json={"answer": "abc"})
    assert r.status_code == 400 and "must be a number" in r.json()["error"]
    off = ok(client.post("/api/practice", json={"enabled": False}))
    assert off["practice"] is None and off["params"] != before["params"]


# ---------------------------------------------------------------------- gradient health
def test_gradient_health_is_fits_per_layer_norms(client: httpx.Client) -> None:
    start = ok(
        client.post(
            "/api/config",
            json={
                "data": "xor",
                "hidden": [{"units": 3, "activation": "tanh"}],
                "loss": "bce",
                "slides_weights": False,
            },
        )
    )
    assert start["health"]["updates"] == []
    trained = ok(client.post("/api/train", json={"epochs": 30}))
    h = trained["health"]
    assert h["layers"] == 2 and len(h["updates"]) == 30 and h["updates"][:3] == [1, 2, 3]
    # Row 1 is the first update's gradients: those of the initial weights (full batch).
    X = np.array(start["data"]["X"])
    Y = np.array(start["data"]["labels"], dtype=float).reshape(-1, 1)
    g = net_of(start).gradients(X, Y)
    norms = [np.sqrt(np.sum(w**2) + np.sum(b**2)) for w, b in zip(g.weights, g.biases, strict=True)]
    np.testing.assert_allclose(h["grad_norm"][0], norms, rtol=1e-3)
    assert all(0 < r < 1 for r in h["update_ratio"][0])
    assert h["vanishing"] == [] and h["exploding"] is None and h["diagnosis"] is None
    assert ok(client.get("/api/gradient-health")) == h


def test_a_sigmoid_stack_is_flagged_as_vanishing(client: httpx.Client) -> None:
    hidden = [{"units": 2, "activation": "sigmoid"}] * 6
    ok(client.post("/api/config", json={"data": "xor", "hidden": hidden, "loss": "bce", "seed": 1}))
    h = ok(client.post("/api/train", json={"epochs": 10}))["health"]
    expected = vanishing_layers(np.array(h["grad_norm"], dtype=float))
    assert expected and [v["layer"] for v in h["vanishing"]] == [l for l, _ in expected]
    assert h["vanishing"][0]["layer"] == 1


def test_divergence_names_the_layer_the_update_and_a_learning_rate(client: httpx.Client) -> None:
    config = {"data": "xor", "hidden": [{"units": 4, "activation": "relu"}], "lr": 10.0}
    ok(client.post("/api/config", json=config))
    r = client.post("/api/train", json={"epochs": 500})
    assert r.status_code == 422 and r.json()["code"] == "diverged"
    d = ok(client.get("/api/gradient-health"))["diagnosis"]
    # The engine's own diagnosis of the same run, through fit.
    net = bp.MLP([2, 4, 1], ["relu", "identity"], loss="mse", seed=0)
    X = np.array([[0, 0], [0, 1], [1, 0], [1, 1]], dtype=float)
    Y = np.array([[0], [1], [1], [0]], dtype=float)
    with pytest.raises(bp.DivergenceError) as info:
        net.fit(X, Y, epochs=500, lr=10.0, seed=int(np.random.default_rng(0).integers(2**63)))
    exc = info.value
    assert (d["layer"], d["update"], d["suggested_lr"]) == (exc.layer, exc.step, exc.suggested_lr)
    norms = exc.history.layer_metric("grad_norm", 2)[:, [exc.layer - 1]]
    assert d["since_update"] == exploding_layer(norms)[0] + 1
    message = r.json()["error"]
    assert message == d["message"]
    assert f"at update {exc.step}" in message and f"layer {exc.layer} exploded first" in message
    assert f"about {exc.suggested_lr:g} should be stable" in message


# ---------------------------------------------------------------------- the CLI flag
def test_lab_data_flag_starts_every_tab_on_the_csv(tmp_path) -> None:
    path = tmp_path / "flowers.csv"
    path.write_text(classes_csv(), encoding="utf-8")
    proc = start_lab("--port", "0", "--data", str(path), "--target", "label")
    try:
        url = read_url(proc)
        options = httpx.get(url + "api/options", timeout=10).json()
        assert options["defaults"]["data"] == "csv"
        sid = {"X-Lab-Session": "cli-data-session"}
        state = httpx.post(url + "api/config", json=options["defaults"], headers=sid, timeout=10)
        assert state.status_code == 200, state.text
        assert state.json()["network"]["layer_sizes"][0] == 3
        assert state.json()["data"]["features"] == ["petal", "sepal", "stem"]
        proc.send_signal(signal.SIGINT)
        _, err = proc.communicate(timeout=20)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert proc.returncode == 0 and "Traceback" not in err
    bad = tmp_path / "missing.csv"
    bad.write_text(bad_variants()["missing.csv"], encoding="utf-8")
    proc = start_lab("--port", "0", "--data", str(bad))
    out, err = proc.communicate(timeout=60)
    try:
        load_csv(bad)
    except DataError as exc:
        expected = str(exc)
    assert proc.returncode == 2 and err.strip() == f"error: {expected}"
    assert "http://" not in out
