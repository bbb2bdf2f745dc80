"""The lab's HTTP API over a real socket: every endpoint, the slides' numbers, bad requests."""

from __future__ import annotations

import threading

import httpx
import numpy as np
import pytest

import backproplab as bp
from backproplab.lab.models import MAX_BODY_BYTES, MAX_EPOCHS_PER_REQUEST

from .conftest import new_session_id

SLIDES_X = np.array([bp.SLIDES_INPUT])
SLIDES_Y = np.array([bp.SLIDES_TARGET])
XOR_CONFIG = {
    "data": "xor",
    "hidden": [{"units": 4, "activation": "tanh"}],
    "loss": "bce",
    "lr": 0.5,
    "slides_weights": False,
}


def ok(response: httpx.Response) -> dict:
    assert response.status_code == 200, response.text
    return response.json()


def central_differences(net: bp.MLP, X: np.ndarray, Y: np.ndarray, h: float = 1e-6):
    """dL/dW and dL/db by central differences of the loss (independent of backprop)."""
    grads = []
    for arrays in (net.weights, net.biases):
        layer_grads = []
        for k in range(len(arrays)):
            g = np.zeros_like(arrays[k])
            for idx in np.ndindex(arrays[k].shape):
                plus, minus = net.copy(), net.copy()
                wp = (plus.weights if arrays is net.weights else plus.biases)[k].copy()
                wm = (minus.weights if arrays is net.weights else minus.biases)[k].copy()
                wp[idx] += h
                wm[idx] -= h
                (plus.weights if arrays is net.weights else plus.biases)[k] = wp
                (minus.weights if arrays is net.weights else minus.biases)[k] = wm
                g[idx] = (plus.loss(X, Y) - minus.loss(X, Y)) / (2 * h)
            layer_grads.append(g)
        grads.append(layer_grads)
    return grads


# ---------------------------------------------------------------------- endpoints
def test_health_and_options(client: httpx.Client) -> None:
    health = ok(client.get("/api/health"))
    assert health["ok"] is True and health["version"] == bp.__version__
    options = ok(client.get("/api/options"))
    assert options["data"] == ["slides", "xor", "circles", "moons", "spirals", "gaussians", "csv"]
    assert set(options["losses"]) == {"mse", "bce", "cross_entropy"}
    assert options["limits"]["max_units"] >= 8
    assert options["defaults"]["data"] == "slides"


def test_page_and_static_files_are_served(lab_url: str) -> None:
    page = httpx.get(lab_url + "/")
    assert page.status_code == 200 and '<svg id="network"' in page.text
    for path in ("/static/lab.css", "/static/js/main.js", "/static/js/labels.js"):
        response = httpx.get(lab_url + path)
        assert response.status_code == 200 and len(response.text) > 100, path
    assert "javascript" in httpx.get(lab_url + "/static/js/main.js").headers["content-type"]


def test_config_starts_the_slides_network(client: httpx.Client) -> None:
    state = ok(client.post("/api/config", json={}))
    net = bp.MLP.slides_network()
    assert state["network"]["layer_sizes"] == [2, 2, 1]
    assert state["network"]["slides"] is True
    for got, want in zip(state["params"]["weights"], net.weights, strict=True):
        np.testing.assert_array_equal(got, want)
    assert state["phase"] == "ready" and state["forward"] is None and state["backward"] is None
    assert state["loss"] == pytest.approx(net.loss(SLIDES_X, SLIDES_Y), rel=1e-12)
    assert state["data"]["X"] == [list(bp.SLIDES_INPUT)]
    assert ok(client.get("/api/state"))["params"] == state["params"]


def test_forward_backward_update_are_the_engines_numbers(client: httpx.Client) -> None:
    ok(client.post("/api/config", json={"lr": 0.5}))
    net = bp.MLP.slides_network()
    trace = net.forward(SLIDES_X)

    fwd = ok(client.post("/api/forward"))
    assert fwd["phase"] == "forward" and fwd["backward"] is None
    for got, want in zip(fwd["forward"]["a"], trace.a, strict=True):
        np.testing.assert_allclose(got, want[0], rtol=1e-12)
    # The hand calculation of the slides: O1 = sigma(0.15*0.05 + 0.20*0.10 + 0.35).
    assert fwd["forward"]["a"][1][0] == pytest.approx(1 / (1 + np.exp(-0.3775)), rel=1e-12)

    back = ok(client.post("/api/backward"))
    assert back["phase"] == "backward"
    (fd_w, fd_b) = central_differences(net, SLIDES_X, SLIDES_Y)
    for got, want in zip(back["backward"]["weights"], fd_w, strict=True):
        np.testing.assert_allclose(got, want, rtol=1e-6, atol=1e-9)
    for got, want in zip(back["backward"]["biases"], fd_b, strict=True):
        np.testing.assert_allclose(got, want, rtol=1e-6, atol=1e-9)
    # A neuron's delta (dL/dz) is dL/db of its bias.
    for delta, want in zip(back["backward"]["deltas"], fd_b, strict=True):
        np.testing.assert_allclose(delta, want, rtol=1e-6)

    upd = ok(client.post("/api/update"))
    assert upd["phase"] == "update" and upd["updates"] == 1
    for new, old, g in zip(
        upd["params"]["weights"], net.weights, back["backward"]["weights"], strict=True
    ):
        np.testing.assert_allclose(new, old - 0.5 * np.array(g), rtol=1e-12)
    # The forward pass on display is still the one the gradients came from.
    assert upd["forward"] == fwd["forward"] | {"batch_loss": upd["forward"]["batch_loss"]}
    assert upd["history"][-1][0] == 1 and upd["loss"] < fwd["loss"]


def test_phases_in_the_wrong_order_are_refused_with_409(client: httpx.Client) -> None:
    ok(client.post("/api/config", json={}))
    for phase in ("backward", "update"):
        r = client.post(f"/api/{phase}")
        assert r.status_code == 409 and "Forward" in r.json()["error"]
    ok(client.post("/api/forward"))
    r = client.post("/api/forward")
    assert r.status_code == 409 and "Backward" in r.json()["error"]
    r = client.post("/api/update")
    assert r.status_code == 409 and "Backward" in r.json()["error"]


def test_step_is_the_engines_step(client: httpx.Client) -> None:
    ok(client.post("/api/config", json={"lr": 0.3}))
    net = bp.MLP.slides_network()
    for _ in range(3):
        state = ok(client.post("/api/step"))
        net.step(SLIDES_X, SLIDES_Y, lr=0.3)
    assert state["updates"] == 3
    for got, want in zip(state["params"]["weights"], net.weights, strict=True):
        np.testing.assert_allclose(got, want, rtol=1e-12)
    # Step after Forward finishes the cycle that was started.
    ok(client.post("/api/forward"))
    assert ok(client.post("/api/step"))["updates"] == 4


def test_train_on_xor_learns_and_moves_the_heat_map(client: httpx.Client) -> None:
    start = ok(client.post("/api/config", json=XOR_CONFIG))
    assert start["data"]["X"] == [[0, 0], [0, 1], [1, 0], [1, 1]]
    assert start["heatmap"]["kind"] == "binary" and len(start["heatmap"]["values"]) == 40 * 40
    state = start
    for _ in range(10):
        state = ok(client.post("/api/train", json={"epochs": 100}))
        if state["loss"] < 0.05:
            break
    assert state["loss"] < 0.05, state["loss"]
    assert state["epochs"] <= 1000 and state["updates"] == state["epochs"]  # full batch
    losses = [loss for _, loss in state["history"]]
    assert losses[-1] < losses[0]
    before = np.array(start["heatmap"]["values"])
    after = np.array(state["heatmap"]["values"])
    assert np.abs(after - before).max() > 0.3
    # The heat map is the network's prediction: at the corners it is the xor truth table.
    size = state["heatmap"]["size"]
    (x0, x1), (y0, y1) = state["heatmap"]["bounds"]

    def cell(x: float, y: float) -> float:
        col = int((x - x0) / (x1 - x0) * size)
        row = int((y1 - y) / (y1 - y0) * size)
        return after[row * size + col]

    assert cell(0, 0) < 0.5 and cell(1, 1) < 0.5 and cell(0, 1) > 0.5 and cell(1, 0) > 0.5


def test_train_with_a_time_budget_stops_early_and_says_so(client: httpx.Client) -> None:
    ok(client.post("/api/config", json=XOR_CONFIG))
    state = ok(client.post("/api/train", json={"epochs": 500, "max_ms": 1}))
    assert 1 <= state["trained_epochs"] < 500
    assert state["epochs"] == state["trained_epochs"] == len(state["history"]) - 1
    full = ok(client.post("/api/train", json={"epochs": 30}))
    assert full["trained_epochs"] == 30


def test_mini_batches_and_settings(client: httpx.Client) -> None:
    state = ok(client.post("/api/config", json={"data": "moons", "n_samples": 60, "seed": 3}))
    assert len(state["data"]["X"]) == 60 and state["batch_size"] == 60
    state = ok(client.post("/api/settings", json={"batch_size": 16, "lr": 0.2}))
    assert state["batch_size"] == 16 and state["lr"] == 0.2
    fwd = ok(client.post("/api/forward"))
    assert fwd["batch"]["size"] == 16 and len(set(fwd["batch"]["indices"])) == 16
    state = ok(client.post("/api/train", json={"epochs": 2}))
    assert state["updates"] == 2 * 4 and state["epochs"] >= 2  # ceil(60 / 16) = 4 per epoch
    state = ok(client.post("/api/settings", json={"full_batch": True}))
    assert state["batch_size"] == 60
    r = client.post("/api/settings", json={"full_batch": True, "batch_size": 4})
    assert r.status_code == 422 and "not both" in r.json()["error"]


def test_select_reset_and_multiclass(client: httpx.Client) -> None:
    config = {"data": "gaussians", "n_samples": 30, "loss": "cross_entropy", "lr": 0.1}
    state = ok(client.post("/api/config", json=config))
    assert state["network"]["layer_sizes"] == [2, 2, 3]
    assert state["network"]["activations"][-1] == "softmax"
    assert state["heatmap"]["kind"] == "multiclass"
    initial = state["params"]
    ok(client.post("/api/forward"))
    sel = ok(client.post("/api/select", json={"sample": 7}))
    assert sel["selected"] == 7 and sel["forward"]["sample"] == 7
    net = bp.MLP([2, 2, 3], ["sigmoid", "softmax"], loss="cross_entropy", seed=0)
    x7 = np.array(state["data"]["X"][7])
    np.testing.assert_allclose(sel["forward"]["a"][-1], net.predict(x7)[0], rtol=1e-12)
    r = client.post("/api/select", json={"sample": 30})
    assert r.status_code == 409 and "30 samples" in r.json()["error"]
    ok(client.post("/api/train", json={"epochs": 5}))
    reset = ok(client.post("/api/reset"))
    assert reset["params"] == initial and reset["updates"] == 0 and reset["phase"] == "ready"


def test_explain_gives_the_derivation_of_the_clicked_parameter(client: httpx.Client) -> None:
    ok(client.post("/api/config", json={"lr": 0.5}))
    expected = bp.explain(
        bp.MLP.slides_network(), SLIDES_X, SLIDES_Y, lr=0.5, param="w1_21"
    ).to_dict()["steps"]
    ready = ok(client.get("/api/explain", params={"param": "w1_21"}))
    assert ready["steps"] == expected and ready["phase"] == "ready"
    for phase in ("forward", "backward", "update"):
        ok(client.post(f"/api/{phase}"))
        got = ok(client.get("/api/explain", params={"param": "w1_21"}))
        # Through the whole cycle the derivation is the one of the step on display.
        assert got["steps"] == expected, phase
    assert got["value"] == 0.20
    update = next(s for s in got["steps"] if s["kind"] == "update")
    assert got["current"] == pytest.approx(update["value"], rel=1e-15)
    bias = ok(client.get("/api/explain", params={"param": "b2_1"}))
    assert bias["kind"] == "bias" and {s["param"] for s in bias["steps"]} >= {"b2_1"}


def test_explain_large_batches_follow_the_selected_sample(client: httpx.Client) -> None:
    ok(client.post("/api/config", json={"data": "circles", "n_samples": 40}))
    ok(client.post("/api/select", json={"sample": 5}))
    got = ok(client.get("/api/explain", params={"param": "w2_11"}))
    assert got["samples"] == [5] and "sample 5" in got["note"]


# ---------------------------------------------------------------------- bad requests
@pytest.mark.parametrize(
    ("body", "status", "words"),
    [
        ('{"lr": 0.5', 400, "malformed JSON"),
        ('{"lr": "fast"}', 422, "lr"),
        ('{"hidden": [{"units": 10000, "activation": "tanh"}]}', 422, "hidden.0.units"),
        ('{"hidden": [{"units": 2.5}]}', 422, "hidden.0.units"),
        ('{"lr": -0.1}', 422, "lr"),
        ('{"lr": 0}', 422, "greater than 0"),
        ('{"data": "mnist"}', 422, "data"),
        ('{"loss": "hinge"}', 422, "loss"),
        ('{"n_samples": 100000, "data": "moons"}', 422, "n_samples"),
        ('{"hidden": [' + ",".join(['{"units": 2}'] * 7) + "]}", 422, "hidden"),
        ('{"seed": -1}', 422, "seed"),
        ('{"learning_rate": 0.1}', 422, "learning_rate"),
        ("[1, 2]", 422, "body"),
        ('{"lr": NaN}', 422, "finite"),
    ],
)
def test_bad_configurations_get_4xx_with_a_message(
    client: httpx.Client, body: str, status: int, words: str
) -> None:
    r = client.post("/api/config", content=body, headers={"Content-Type": "application/json"})
    assert r.status_code == status, r.text
    message = r.json()["error"]
    assert words in message and "\n" not in message


@pytest.mark.parametrize(
    ("config", "words"),
    [
        ({"output": "softmax", "data": "xor"}, "softmax"),
        ({"loss": "cross_entropy"}, "needs classes"),
        ({"hidden": [{"units": 2, "activation": "sigmoid"}] * 2, "output": "softmax"}, "softmax"),
    ],
)
def test_combinations_that_cannot_work_get_400(
    client: httpx.Client, config: dict, words: str
) -> None:
    ok(client.post("/api/config", json={"data": "moons", "n_samples": 20}))
    r = client.post("/api/config", json=config)
    assert r.status_code == 400 and words in r.json()["error"]
    # The tab keeps its previous, working experiment.
    assert ok(client.get("/api/state"))["data"]["name"] == "moons"


def test_bad_requests_to_every_other_endpoint(client: httpx.Client, lab_url: str) -> None:
    ok(client.post("/api/config", json={}))
    cases = [
        client.post("/api/train", json={"epochs": 0}),
        client.post("/api/train", json={"epochs": MAX_EPOCHS_PER_REQUEST + 1}),
        client.post("/api/train", json={"epochs": "ten"}),
        client.post("/api/train"),
        client.post("/api/select", json={"sample": -1}),
        client.post("/api/settings", json={"lr": -1}),
        client.post("/api/settings", json={"batch_size": 0}),
        client.get("/api/explain", params={"param": "w9_11"}),
        client.get("/api/explain", params={"param": "w1_31"}),
        client.get("/api/explain", params={"param": "x<script>"}),
        client.get("/api/explain"),
        client.post("/api/train", content='{"epochs": 1}', headers={"Content-Type": "text/plain"}),
        client.post("/api/config", content="x" * (MAX_BODY_BYTES + 1)),
        client.get("/api/forward"),
        client.get("/api/nowhere"),
        httpx.post(lab_url + "/api/forward"),  # no session header
        httpx.post(lab_url + "/api/forward", headers={"X-Lab-Session": "no"}),
        httpx.post(lab_url + "/api/forward", headers={"X-Lab-Session": new_session_id()}),
    ]
    for r in cases:
        assert 400 <= r.status_code < 500, (r.request.url, r.status_code, r.text)
        assert r.json()["error"], r.request.url
    assert cases[-1].status_code == 404 and cases[-1].json()["code"] == "unknown_session"
    assert cases[12].status_code == 413


def test_a_request_for_another_host_name_is_refused(lab_url: str) -> None:
    # A page on another site that rebinds its DNS name to 127.0.0.1 still sends its name.
    r = httpx.get(lab_url + "/api/health", headers={"Host": "evil.example"})
    assert r.status_code == 400
    assert httpx.get(lab_url + "/api/health", headers={"Host": "localhost"}).status_code == 200


def test_too_many_updates_in_one_request_are_refused(client: httpx.Client) -> None:
    ok(client.post("/api/config", json={"data": "moons", "n_samples": 1000, "batch_size": 1}))
    r = client.post("/api/train", json={"epochs": 100})
    assert r.status_code == 409 and "fewer epochs" in r.json()["error"]


def test_divergence_is_reported_and_the_parameters_stay_finite(client: httpx.Client) -> None:
    ok(client.post("/api/config", json={"lr": 10.0}))
    r = client.post("/api/train", json={"epochs": 500})
    assert r.status_code == 422 and r.json()["code"] == "diverged"
    assert "smaller learning rate" in r.json()["error"]
    state = ok(client.get("/api/state"))
    assert all(np.isfinite(w).all() for w in map(np.array, state["params"]["weights"]))


# ---------------------------------------------------------------------- sessions
def test_two_tabs_training_at_once_do_not_affect_each_other(lab_url: str) -> None:
    configs = {
        "a": XOR_CONFIG,
        "b": {"data": "moons", "n_samples": 100, "batch_size": 10, "lr": 0.3, "seed": 2},
    }

    def run(sid: str, config: dict, out: dict, key: str) -> None:
        with httpx.Client(base_url=lab_url, headers={"X-Lab-Session": sid}, timeout=60) as c:
            ok(c.post("/api/config", json=config))
            for _ in range(8):
                state = ok(c.post("/api/train", json={"epochs": 20}))
            out[key] = state

    together: dict = {}
    threads = [
        threading.Thread(target=run, args=(new_session_id(), cfg, together, key))
        for key, cfg in configs.items()
    ]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    alone: dict = {}
    for key, cfg in configs.items():
        run(new_session_id(), cfg, alone, key)
    for key in configs:
        assert together[key]["params"] == alone[key]["params"], key
        assert together[key]["history"] == alone[key]["history"], key
    assert together["a"]["network"]["layer_sizes"] == [2, 4, 1]
    assert together["b"]["network"]["layer_sizes"] == [2, 2, 1]


def test_a_session_is_its_own(lab_url: str) -> None:
    a = httpx.Client(base_url=lab_url, headers={"X-Lab-Session": new_session_id()})
    b = httpx.Client(base_url=lab_url, headers={"X-Lab-Session": new_session_id()})
    ok(a.post("/api/config", json={"data": "spirals"}))
    ok(b.post("/api/config", json={}))
    ok(a.post("/api/train", json={"epochs": 3}))
    assert ok(b.get("/api/state"))["updates"] == 0
    assert ok(a.get("/api/state"))["updates"] == 3
    a.close()
    b.close()


def test_training_through_fit_matches_the_engine_stepping_alone(client: httpx.Client) -> None:
    # The session trains through net.fit (its fast paths) in time-budgeted chunks: the
    # parameters are still exactly those of as many plain net.step calls, full batch.
    ok(client.post("/api/config", json=XOR_CONFIG))
    done = 0
    for max_ms in (1, 5, None):
        body = {"epochs": 40} | ({} if max_ms is None else {"max_ms": max_ms})
        state = ok(client.post("/api/train", json=body))
        done += state["trained_epochs"]
    assert state["updates"] == state["epochs"] == done
    net = bp.MLP([2, 4, 1], ["tanh", "sigmoid"], loss="bce", seed=0)
    X = np.array([[0, 0], [0, 1], [1, 0], [1, 1]])
    y = np.array([[0], [1], [1], [0]])
    for _ in range(done):
        net.step(X, y, lr=XOR_CONFIG["lr"])
    for got, want in zip(state["params"]["weights"], net.weights, strict=True):
        np.testing.assert_allclose(got, want, rtol=1e-9, atol=1e-12)
    # The loss curve has one point per epoch, ending with L after the last update.
    assert len(state["history"]) == done + 1
    assert state["history"][-1][1] == pytest.approx(float(net.loss(X, y)), rel=1e-9)
