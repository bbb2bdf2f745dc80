// The lab's page: wires the controls, the network drawing, the data plot, the loss curve
// and the derivation panel to the server. It computes no maths: it asks the server (the
// engine) and draws what comes back.

import { api, ApiError } from "./api.js";
import { Controls } from "./controls.js";
import { DataPlot } from "./data-plot.js";
import { DerivationPanel } from "./derivation.js";
import { applyPhrases, etaLabel, lossLabel, num, phaseText, setVocabulary } from "./labels.js";
import { initFeatures } from "./lab-features.js";
import { renderLossChart } from "./loss-chart.js";
import { exportFigure, focusParam, renderNetwork } from "./network-view.js";
import { queryToConfig, writeUrl } from "./url-state.js";

const $ = (sel) => document.querySelector(sel);

const lab = {
  options: null,
  config: null,
  state: null,
  view: "values",
  fresh: new Set(),
  training: false,
  busy: false,
};

let controls;
let plot;
let panel;
let features; // own data, practice mode, gradient health (lab-features.js)

function status(message, isError = false) {
  const el = $("#status");
  el.textContent = message;
  el.classList.toggle("error", isError);
}

/** Run an API call; if the server forgot this tab (restart, expiry), configure it again. */
async function call(fn) {
  try {
    return await fn();
  } catch (err) {
    if (err instanceof ApiError && err.code === "unknown_session" && lab.config) {
      await api.configure(lab.config);
      return await fn();
    }
    throw err;
  }
}

function render() {
  const s = lab.state;
  if (!s) return;
  renderNetwork($("#network"), s, {
    view: lab.view,
    fresh: lab.fresh,
    selected: panel.param,
    onParam: (param) => openDerivation(param, { focus: true }),
  });
  plot.update({ data: s.data, heatmap: s.heatmap, selected: s.selected, batch: s.batch });
  renderLossChart($("#loss-chart"), s.history);
  $("#loss-value").textContent = num(s.loss);
  $("#loss-value").dataset.value = String(s.loss);
  $("#updates").textContent = String(s.updates);
  $("#epochs").textContent = String(s.epochs);
  $("#phase-text").innerHTML = phaseText(s.phase).html; // the server's words and MathML
  $("#lab").dataset.phase = s.phase;
  const batch = s.batch_size === 1 ? "1 sample" : `${s.batch_size} samples`;
  $("#batch-text").textContent = `batch: ${batch} · ${etaLabel().text} = ${num(s.lr)}`;
  $("#loss-name").textContent = lossLabel().text;
  updateButtons();
}

function updateButtons() {
  const phase = lab.state?.phase ?? "ready";
  const idle = !lab.training && !lab.busy;
  $("#btn-forward").disabled = !idle || phase === "forward" || phase === "backward";
  $("#btn-backward").disabled = !idle || phase !== "forward";
  $("#btn-update").disabled = !idle || phase !== "backward";
  $("#btn-step").disabled = !idle;
  $("#btn-reset").disabled = lab.busy && !lab.training;
  $("#btn-train").disabled = lab.busy && !lab.training;
  $("#btn-train").textContent = lab.training ? "Pause" : "Train";
  $("#btn-train").setAttribute("aria-pressed", String(lab.training));
}

function apply(state, fresh = new Set()) {
  if (!state.data && lab.state?.data) state.data = lab.state.data;
  if (!state.labels && lab.state?.labels) state.labels = lab.state.labels; // sent per network
  lab.state = state;
  lab.fresh = fresh;
  render();
  features?.onState(state);
}

/** A state with a new configuration (an uploaded CSV, another projection): adopt it. */
function adopt(state) {
  if (lab.training) stopTraining();
  lab.config = state.config;
  controls.setConfig(lab.config);
  writeUrl(lab.config, lab.view);
  panel.close();
  apply(state);
}

function setView(view) {
  lab.view = view;
  for (const radio of document.querySelectorAll("input[name=view]")) radio.checked = radio.value === view;
  writeUrl(lab.config, lab.view);
}

async function act(fn, { fresh = new Set(), view = null } = {}) {
  lab.busy = true;
  updateButtons();
  try {
    const state = await call(fn);
    if (view) setView(view);
    apply(state, fresh);
    status("");
    if (panel.param) await openDerivation(panel.param);
  } catch (err) {
    status(err.message, true);
    features?.onError(err);
  } finally {
    lab.busy = false;
    updateButtons();
  }
}

async function configure(config) {
  const state = await api.configure(config);
  lab.config = state.config;
  controls.setConfig(lab.config);
  writeUrl(lab.config, lab.view);
  panel.close();
  apply(state);
}

// Changes are applied one after another, in the order they were made.
let changes = Promise.resolve();

function onControlsChange(config, kind) {
  changes = changes.then(() => applyChange(config, kind));
  return changes;
}

async function applyChange(config, kind) {
  if (lab.training) stopTraining();
  if (kind === "settings") {
    const settings = { lr: config.lr };
    if (config.batch_size === null) settings.full_batch = true;
    else settings.batch_size = config.batch_size;
    await act(() => api.settings(settings));
    if (lab.state && !$("#status").classList.contains("error")) {
      lab.config = { ...lab.config, lr: config.lr, batch_size: config.batch_size };
      writeUrl(lab.config, lab.view);
    }
    return;
  }
  lab.busy = true;
  updateButtons();
  try {
    await configure(config);
    status("");
  } catch (err) {
    status(err.message, true);
    controls.setConfig(lab.config);
  } finally {
    lab.busy = false;
    updateButtons();
  }
}

async function openDerivation(param, { focus = false } = {}) {
  panel.loading(param);
  // Opened by the learner (not refreshed after an action): the keyboard goes to the panel.
  if (focus) $("#derivation-close").focus();
  render();
  try {
    panel.show(await call(() => api.explain(param)));
  } catch (err) {
    panel.error(param, err.message);
  }
}

// ---------------------------------------------------------------- live training
function epochsCap() {
  const s = lab.state;
  const limits = lab.options.limits;
  const n = lab.state?.data?.X.length ?? 1;
  const perEpoch = Math.ceil(n / Math.max(1, s?.batch_size ?? n));
  return Math.max(1, Math.min(limits.max_epochs_per_request, Math.floor(limits.max_updates_per_request / perEpoch)));
}

function stopTraining() {
  lab.training = false;
  updateButtons();
}

async function trainLoop() {
  // Each request asks for as many epochs as allowed and one frame's time: the server
  // stops when the time is up, so a frame is quick whatever the data and network.
  const frameMs = 40;
  while (lab.training) {
    let state;
    try {
      state = await call(() => api.train(epochsCap(), frameMs));
    } catch (err) {
      status(err.message, true);
      features?.onError(err);
      stopTraining();
      break;
    }
    if (lab.view === "gradients") setView("values");
    apply(state);
    // The next frame; a hidden tab gets no frames, so it goes on at a timer's pace.
    await new Promise((resolve) => {
      requestAnimationFrame(resolve);
      setTimeout(resolve, 100);
    });
  }
  if (panel.param) openDerivation(panel.param);
}

function toggleTraining() {
  if (lab.training) {
    stopTraining();
    return;
  }
  lab.training = true;
  status("");
  updateButtons();
  trainLoop();
}

// ---------------------------------------------------------------- start
async function main() {
  panel = new DerivationPanel($("#derivation"), () => {
    const param = panel.param;
    panel.close();
    render();
    if (param) focusParam($("#network"), param); // back where the keyboard was
  });
  document.addEventListener("keydown", (e) => {
    if (e.key === "Escape" && panel.param) $("#derivation-close").click();
  });
  plot = new DataPlot($("#data-plot"));
  plot.onSelect = (k) => act(() => api.select(k), { fresh: new Set(["activations"]) });
  try {
    lab.options = await api.options();
  } catch (err) {
    status(err.message, true);
    return;
  }
  setVocabulary(lab.options.vocabulary);
  applyPhrases();
  controls = new Controls($("#controls"), lab.options, onControlsChange);
  features = initFeatures({ adopt, apply: (state) => apply(state), status });
  const { config, view } = queryToConfig(location.search, lab.options.defaults);
  lab.view = view;
  setViewRadios();
  try {
    await configure(config);
  } catch (err) {
    status(`${err.message} (the URL's configuration was replaced by the default)`, true);
    await configure(lab.options.defaults);
  }

  $("#btn-forward").addEventListener("click", () =>
    act(() => api.phase("forward"), { fresh: new Set(["activations"]), view: "values" }),
  );
  $("#btn-backward").addEventListener("click", () =>
    act(() => api.phase("backward"), { fresh: new Set(["gradients"]), view: "gradients" }),
  );
  $("#btn-update").addEventListener("click", () =>
    act(() => api.phase("update"), { fresh: new Set(["weights"]), view: "values" }),
  );
  $("#btn-step").addEventListener("click", () =>
    act(() => api.phase("step"), { fresh: new Set(["activations", "gradients", "weights"]), view: "values" }),
  );
  $("#btn-reset").addEventListener("click", () => {
    stopTraining();
    act(() => api.reset());
  });
  $("#btn-train").addEventListener("click", toggleTraining);
  $("#btn-present").addEventListener("click", togglePresenting);
  $("#btn-export").addEventListener("click", downloadFigure);
  document.addEventListener("fullscreenchange", () => {
    if (!document.fullscreenElement && lab.presentingFullscreen) setPresenting(false);
  });
  window.addEventListener("resize", () => lab.state && renderLossChart($("#loss-chart"), lab.state.history));
  for (const radio of document.querySelectorAll("input[name=view]")) {
    radio.addEventListener("change", () => {
      setView(radio.value);
      render();
    });
  }
  document.body.dataset.ready = "1";
}

// ---------------------------------------------------------------- presenting
function setPresenting(on) {
  document.body.classList.toggle("presenting", on);
  $("#btn-present").setAttribute("aria-pressed", String(on));
  $("#btn-present").textContent = on ? "Exit full screen" : "Full screen";
  if (!on) lab.presentingFullscreen = false;
  render(); // the drawing's type size changed with the page's
}

/** Full screen with large type, for a projector (the large type works without the API too). */
async function togglePresenting() {
  const on = !document.body.classList.contains("presenting");
  setPresenting(on);
  try {
    if (on && document.documentElement.requestFullscreen) {
      await document.documentElement.requestFullscreen();
      lab.presentingFullscreen = true;
    } else if (!on && document.fullscreenElement) {
      await document.exitFullscreen();
    }
  } catch (err) {
    /* full screen refused (an embedded page): the large type alone */
  }
}

/** The network as drawn now, as an SVG file. */
function downloadFigure() {
  const blob = new Blob([exportFigure($("#network"))], { type: "image/svg+xml" });
  const link = document.createElement("a");
  link.href = URL.createObjectURL(blob);
  link.download = `backproplab-network-${lab.state?.network.layer_sizes.join("-") ?? "lab"}.svg`;
  document.body.append(link);
  link.click();
  link.remove();
  setTimeout(() => URL.revokeObjectURL(link.href), 10_000);
}

function setViewRadios() {
  for (const radio of document.querySelectorAll("input[name=view]")) radio.checked = radio.value === lab.view;
}

main();
