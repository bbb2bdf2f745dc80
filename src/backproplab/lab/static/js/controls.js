// The left column: data, the architecture editor and the training settings.
// It turns the form into a configuration for the server and back; the server checks it.

import { optionLabel } from "./labels.js";

const FUSED_OUTPUT = { bce: "sigmoid", cross_entropy: "softmax" };

function fillSelect(select, values) {
  select.replaceChildren(
    ...values.map((v) => {
      const option = document.createElement("option");
      option.value = v;
      option.textContent = optionLabel(v);
      return option;
    }),
  );
}

function button(text, cls, title) {
  const b = document.createElement("button");
  b.type = "button";
  b.className = cls;
  b.textContent = text;
  b.title = title;
  b.setAttribute("aria-label", title);
  return b;
}

export class Controls {
  /** onChange(config, kind): kind "network" (rebuild it) or "settings" (lr, batch size). */
  constructor(root, options, onChange) {
    this.root = root;
    this.options = options;
    this.onChange = onChange;
    this.limits = options.limits;
    this.q = (sel) => root.querySelector(sel);
    fillSelect(this.q("#data"), options.data);
    fillSelect(this.q("#output"), options.output_activations);
    fillSelect(this.q("#loss"), options.losses);
    this.hidden = [];
    const network = () => this.emit("network");
    for (const id of ["#data", "#n-samples", "#noise", "#output", "#loss", "#seed", "#slides-weights"]) {
      this.q(id).addEventListener("change", network);
    }
    for (const id of ["#lr", "#batch-size"]) {
      this.q(id).addEventListener("change", () => this.emit("settings"));
    }
    this.q("#add-layer").addEventListener("click", () => {
      if (this.hidden.length >= this.limits.max_hidden_layers) return;
      const last = this.hidden[this.hidden.length - 1];
      this.hidden.push({ units: last?.units ?? 2, activation: last?.activation ?? "tanh" });
      this.emit("network");
    });
    this.q("#n-samples").max = this.limits.max_samples;
    this.q("#n-samples").min = this.limits.min_samples;
    this.q("#lr").max = this.limits.max_learning_rate;
    this.q("#batch-size").max = this.limits.max_samples;
    this.q("#seed").max = this.limits.max_seed;
  }

  emit(kind) {
    const config = this.read();
    if (config === null) return;
    this.sync(config);
    this.onChange(config, kind);
  }

  setConfig(config) {
    this.current = structuredClone(config);
    this.hidden = config.hidden.map((h) => ({ ...h }));
    this.q("#data").value = config.data;
    this.q("#n-samples").value = config.n_samples ?? "";
    this.q("#noise").value = config.noise ?? "";
    this.q("#output").value = config.output;
    this.q("#loss").value = config.loss;
    this.q("#lr").value = config.lr;
    this.q("#batch-size").value = config.batch_size ?? "";
    this.q("#seed").value = config.seed;
    this.q("#slides-weights").checked = config.slides_weights;
    this.sync(config);
  }

  /** The configuration the form shows, or null (with the field marked) if unreadable. */
  read() {
    const bad = [];
    const number = (id, parse, { optional = false } = {}) => {
      const input = this.q(id);
      input.classList.remove("invalid");
      if (input.value.trim() === "") {
        if (optional) return null;
        bad.push(input);
        return null;
      }
      const value = parse(input.value);
      if (!Number.isFinite(value) || !input.checkValidity()) bad.push(input);
      return value;
    };
    const config = {
      data: this.q("#data").value,
      n_samples: number("#n-samples", (v) => Number(v), { optional: true }),
      noise: number("#noise", Number, { optional: true }),
      hidden: this.hidden.map((h) => ({ ...h })),
      output: this.q("#output").value,
      loss: this.q("#loss").value,
      lr: number("#lr", Number),
      batch_size: number("#batch-size", (v) => Number(v), { optional: true }),
      seed: number("#seed", (v) => Number(v)),
      slides_weights: this.q("#slides-weights").checked,
    };
    if (bad.length) {
      bad.forEach((input) => input.classList.add("invalid"));
      return null;
    }
    return config;
  }

  /** Bring the dependent parts of the form in line with `config`. */
  sync(config) {
    const fused = FUSED_OUTPUT[config.loss];
    const output = this.q("#output");
    output.disabled = Boolean(fused);
    if (fused) output.value = fused;
    const slidesShape =
      config.hidden.length === 1 &&
      config.hidden[0].units === 2 &&
      config.hidden[0].activation === "sigmoid" &&
      config.loss === "mse" &&
      config.output === "identity";
    this.q("#slides-weights").disabled = !slidesShape;
    this.q("#samples-row").hidden = config.data === "slides";
    this.q("#noise-row").hidden = config.data === "slides";
    this.q("#add-layer").disabled = this.hidden.length >= this.limits.max_hidden_layers;
    this.renderLayers();
  }

  renderLayers() {
    const box = this.q("#layers");
    const rows = this.hidden.map((layer, k) => {
      const row = document.createElement("div");
      row.className = "layer-row";
      row.dataset.layer = String(k + 1);
      const name = document.createElement("span");
      name.className = "layer-name";
      name.textContent = `hidden ${k + 1}`;
      const minus = button("−", "units-minus", `one neuron fewer in hidden layer ${k + 1}`);
      const units = document.createElement("span");
      units.className = "units";
      units.textContent = String(layer.units);
      const plus = button("+", "units-plus", `one neuron more in hidden layer ${k + 1}`);
      minus.disabled = layer.units <= 1;
      plus.disabled = layer.units >= this.limits.max_units;
      const act = document.createElement("select");
      act.className = "layer-activation";
      act.setAttribute("aria-label", `activation of hidden layer ${k + 1}`);
      fillSelect(act, this.options.hidden_activations);
      act.value = layer.activation;
      const remove = button("×", "layer-remove", `remove hidden layer ${k + 1}`);
      minus.addEventListener("click", () => {
        layer.units = Math.max(1, layer.units - 1);
        this.emit("network");
      });
      plus.addEventListener("click", () => {
        layer.units = Math.min(this.limits.max_units, layer.units + 1);
        this.emit("network");
      });
      act.addEventListener("change", () => {
        layer.activation = act.value;
        this.emit("network");
      });
      remove.addEventListener("click", () => {
        this.hidden.splice(k, 1);
        this.emit("network");
      });
      row.append(name, minus, units, plus, act, remove);
      return row;
    });
    if (rows.length === 0) {
      const none = document.createElement("p");
      none.className = "hint";
      none.textContent = "No hidden layer: the inputs feed the output directly.";
      rows.push(none);
    }
    box.replaceChildren(...rows);
  }
}
