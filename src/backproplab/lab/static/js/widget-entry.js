// The lab in a notebook cell (backproplab.widget.Lab, an anywidget): the page's own
// drawing modules, and the page's API over the widget's model messages instead of fetch.
// The kernel answers each request with the lab's application, on the network that lives
// there; this module, like the page, computes no maths.

import { ApiError, createApi } from "./api.js";
import { DataPlot } from "./data-plot.js";
import { DerivationPanel } from "./derivation.js";
import { renderLossChart } from "./loss-chart.js";
import { renderNetwork } from "./network-view.js";

const MARKUP = `
<p class="status" role="status" aria-live="polite"></p>
<div class="layout">
  <section class="panel centre">
    <div class="toolbar" role="toolbar" aria-label="backpropagation">
      <button id="btn-forward" type="button" title="Phase 1: z and a of every neuron">Forward</button>
      <button id="btn-backward" type="button" title="Phase 2: every ∂L/∂w and δ">Backward</button>
      <button id="btn-update" type="button" title="Phase 3: w ← w − η ∂L/∂w">Update</button>
      <button id="btn-step" type="button" title="All three phases">Step</button>
      <button id="btn-train" type="button" class="primary" title="Train live">Train</button>
      <button id="btn-reset" type="button" title="Back to the weights the widget started from">Reset</button>
    </div>
    <div class="viewbar">
      <span>Show:</span>
      <label><input type="radio" value="values" checked> weights &amp; activations</label>
      <label><input type="radio" value="gradients"> gradients (∂L/∂w, δ)</label>
    </div>
    <svg id="network" role="img" aria-label="the network" xmlns="http://www.w3.org/2000/svg"></svg>
  </section>
  <section class="panel side">
    <canvas id="data-plot" width="300" height="300" aria-label="data and prediction"></canvas>
    <svg id="loss-chart" role="img" aria-label="loss curve" xmlns="http://www.w3.org/2000/svg"></svg>
    <p class="hint">L (all data) = <strong class="loss-value">–</strong> · phase <span class="phase-name"></span>
      · updates <span class="updates">0</span> · epochs <span class="epochs">0</span></p>
  </section>
  <aside id="derivation" class="derivation" hidden aria-live="polite">
    <button id="derivation-close" type="button" aria-label="close the derivation">×</button>
    <h2 id="derivation-title"></h2>
    <div id="derivation-body"></div>
  </aside>
</div>`;

/**
 * A transport for api.js that sends each request as a model message; the kernel answers
 * with {type: "response", id, status, payload}. Every view of the widget listens to the
 * same model, so ids carry a per-view prefix.
 */
export function modelTransport(model, timeoutMs = 120000) {
  const pending = new Map();
  const prefix = Math.random().toString(36).slice(2);
  let count = 0;
  const onMessage = (msg) => {
    const waiter = msg?.type === "response" ? pending.get(msg.id) : undefined;
    if (!waiter) return;
    pending.delete(msg.id);
    clearTimeout(waiter.timer);
    waiter.resolve({ status: msg.status, payload: msg.payload });
  };
  model.on("msg:custom", onMessage);
  const transport = (method, path, body) =>
    new Promise((resolve, reject) => {
      const id = `${prefix}-${++count}`;
      const timer = setTimeout(() => {
        pending.delete(id);
        reject(new ApiError("the notebook's kernel does not answer (busy, or stopped?)", 0, "offline"));
      }, timeoutMs);
      pending.set(id, { resolve, timer });
      model.send({ type: "request", id, method, path, body: body ?? null });
    });
  transport.close = () => {
    model.off("msg:custom", onMessage);
    for (const waiter of pending.values()) clearTimeout(waiter.timer);
    pending.clear();
  };
  return transport;
}

function render({ model, el }) {
  // A shadow root keeps the page's style sheet to the widget and the notebook's away.
  const root = el.shadowRoot ?? el.attachShadow({ mode: "open" });
  const style = document.createElement("style");
  style.textContent = model.get("_lab_css");
  const box = document.createElement("div");
  box.className = "lab-widget";
  box.innerHTML = MARKUP;
  root.replaceChildren(style, box);
  const $ = (sel) => box.querySelector(sel);
  const radios = [...box.querySelectorAll(".viewbar input")];
  const name = `view-${Math.random().toString(36).slice(2)}`;
  for (const radio of radios) radio.name = name;

  const transport = modelTransport(model);
  const api = createApi(transport);
  const ui = { state: null, options: null, view: "values", fresh: new Set(), busy: false, training: false };
  const panel = new DerivationPanel($("#derivation"), () => {
    panel.close();
    draw();
  });
  const plot = new DataPlot($("#data-plot"));

  function status(message, isError = false) {
    $(".status").textContent = message;
    $(".status").classList.toggle("error", isError);
  }

  function draw() {
    const s = ui.state;
    if (!s) return;
    renderNetwork($("#network"), s, { view: ui.view, fresh: ui.fresh, selected: panel.param, onParam: explain });
    plot.update({ data: s.data, heatmap: s.heatmap, selected: s.selected, batch: s.batch });
    renderLossChart($("#loss-chart"), s.history);
    $(".loss-value").textContent = s.loss === null ? "–" : Number(s.loss).toPrecision(6);
    $(".phase-name").textContent = s.phase;
    $(".updates").textContent = String(s.updates);
    $(".epochs").textContent = String(s.epochs);
    box.dataset.phase = s.phase;
    buttons();
  }

  function buttons() {
    const phase = ui.state?.phase ?? "ready";
    const idle = !ui.training && !ui.busy && ui.state !== null;
    $("#btn-forward").disabled = !idle || phase === "forward" || phase === "backward";
    $("#btn-backward").disabled = !idle || phase !== "forward";
    $("#btn-update").disabled = !idle || phase !== "backward";
    $("#btn-step").disabled = !idle;
    $("#btn-reset").disabled = ui.busy && !ui.training;
    $("#btn-train").disabled = ui.state === null || (ui.busy && !ui.training);
    $("#btn-train").textContent = ui.training ? "Pause" : "Train";
    $("#btn-train").setAttribute("aria-pressed", String(ui.training));
  }

  function show(state, fresh = new Set()) {
    if (!state.data && ui.state?.data) state.data = ui.state.data;
    ui.state = state;
    ui.fresh = fresh;
    draw();
  }

  function setView(view) {
    ui.view = view;
    for (const radio of radios) radio.checked = radio.value === view;
  }

  async function act(fn, { fresh = new Set(), view = null } = {}) {
    ui.busy = true;
    buttons();
    try {
      const state = await fn();
      if (view) setView(view);
      show(state, fresh);
      status("");
      if (panel.param) await explain(panel.param);
    } catch (err) {
      status(err.message, true);
    } finally {
      ui.busy = false;
      buttons();
    }
  }

  async function explain(param) {
    panel.loading(param);
    draw();
    try {
      panel.show(await api.explain(param));
    } catch (err) {
      panel.error(param, err.message);
    }
  }

  function epochsCap() {
    const limits = ui.options.limits;
    const n = ui.state?.data?.X.length ?? 1;
    const perEpoch = Math.ceil(n / Math.max(1, ui.state?.batch_size ?? n));
    return Math.max(1, Math.min(limits.max_epochs_per_request, Math.floor(limits.max_updates_per_request / perEpoch)));
  }

  async function trainLoop() {
    // One request per frame, each stopped by the kernel after frameMs of training.
    const frameMs = 40;
    while (ui.training) {
      try {
        show(await api.train(epochsCap(), frameMs));
      } catch (err) {
        status(err.message, true);
        break;
      }
      await new Promise((resolve) => setTimeout(resolve, 30));
    }
    ui.training = false;
    buttons();
  }

  const phases = [
    ["#btn-forward", "forward", ["activations"], "values"],
    ["#btn-backward", "backward", ["gradients"], "gradients"],
    ["#btn-update", "update", ["weights"], "values"],
    ["#btn-step", "step", ["activations", "gradients", "weights"], "values"],
  ];
  for (const [sel, phase, fresh, view] of phases) {
    $(sel).addEventListener("click", () => act(() => api.phase(phase), { fresh: new Set(fresh), view }));
  }
  $("#btn-reset").addEventListener("click", () => {
    ui.training = false;
    act(() => api.reset());
  });
  $("#btn-train").addEventListener("click", () => {
    ui.training = !ui.training;
    buttons();
    if (ui.training) {
      status("");
      trainLoop();
    }
  });
  for (const radio of radios) {
    radio.addEventListener("change", () => {
      setView(radio.value);
      draw();
    });
  }
  plot.onSelect = (k) => act(() => api.select(k), { fresh: new Set(["activations"]) });
  // Python changed the network (net.step, net.weights = ...): draw what it is now.
  const onRevision = () => act(() => api.state());
  model.on("change:revision", onRevision);

  buttons();
  (async () => {
    try {
      ui.options = await api.options();
      show(await api.state());
      box.dataset.ready = "1";
    } catch (err) {
      status(err.message, true);
    }
  })();

  return () => {
    ui.training = false;
    model.off("change:revision", onRevision);
    transport.close();
  };
}

export default { render };
