// The side panel: the derivation of one parameter, as backproplab.explain gives it —
// the formula, the same formula with the numbers substituted, and the value — ending
// with the update w(new) = w − η ∂L/∂w.

// Every formula arrives as MathML from explain's own renderer, at the page's precision.

import { etaLabel, mathHtml, num, phrase } from "./labels.js";

export class DerivationPanel {
  constructor(root, onClose) {
    this.root = root;
    this.title = root.querySelector("#derivation-title");
    this.body = root.querySelector("#derivation-body");
    root.querySelector("#derivation-close").addEventListener("click", onClose);
  }

  get param() {
    return this.root.hidden ? null : this.root.dataset.param ?? null;
  }

  close() {
    this.root.hidden = true;
    delete this.root.dataset.param;
    document.body.classList.remove("panel-open");
  }

  loading(param) {
    this.root.hidden = false;
    document.body.classList.add("panel-open");
    this.root.dataset.param = param;
    this.root.dataset.ready = "0";
    this.title.textContent = param;
  }

  error(param, message) {
    this.loading(param);
    this.body.replaceChildren(paragraph(message, "derivation-error"));
    this.root.dataset.ready = "1";
  }

  show(result) {
    this.loading(result.param);
    const kind = result.kind === "weight" ? "weight" : "bias";
    this.title.innerHTML = `${mathHtml(result.title.mathml)} — ${kind} ${result.param}`;
    const parts = [];
    const phase = {
      ready: "Derivation for the next forward pass (nothing computed yet on the page).",
      forward: "Derivation from the forward pass on the page.",
      backward: "Derivation from the forward pass on the page; the gradient is on the edge.",
      update: "The update just applied: the gradient from the last forward pass, then the new value.",
    }[result.phase];
    if (phase) parts.push(paragraph(phase, "derivation-phase"));
    const samples =
      result.samples.length === 1
        ? `data point ${result.samples[0]}`
        : `a batch of ${result.samples.length} (the gradient is the mean over it)`;
    parts.push(
      paragraph(`Value before the update: ${num(result.value)} · ${samples} · ${etaLabel().text} = ${num(result.lr)}`, "derivation-meta"),
    );
    if (result.note) parts.push(paragraph(result.note, "derivation-note"));
    if (result.steps.length === 0) {
      parts.push(paragraph("backproplab.explain has no step for this parameter.", "derivation-error"));
    }
    // First the result (the gradient over the batch and the update), then how it comes about.
    const rendered = (step) => result.rendered[result.steps.indexOf(step)];
    const own = result.steps.filter((st) => st.param === result.param && st.sample === null);
    if (own.length) {
      const summary = document.createElement("ul");
      summary.className = "steps summary";
      for (const step of own) summary.append(stepItem(step, rendered(step), result.samples, result.param, result.slides));
      parts.push(summary);
      parts.push(paragraph("The derivation, step by step (from backproplab.explain):", "derivation-meta"));
    }
    const list = document.createElement("ol");
    list.className = "steps";
    for (const step of result.steps) list.append(stepItem(step, rendered(step), result.samples, result.param, result.slides));
    parts.push(list);
    this.body.replaceChildren(...parts);
    this.root.dataset.ready = "1";
  }
}

function paragraph(text, cls) {
  const p = document.createElement("p");
  p.className = cls;
  p.textContent = text;
  return p;
}

function mathBlock(mathml) {
  const div = document.createElement("div");
  div.className = "step-math";
  div.innerHTML = mathml; // explain's own MathML, from this page's server
  return div;
}

function stepItem(step, shown, samples, param, slides = false) {
  const li = document.createElement("li");
  li.className = `step step-${step.kind}${step.param === param ? " own" : ""}`;
  li.dataset.kind = step.kind;
  li.dataset.id = step.id;
  if (step.param) li.dataset.param = step.param;
  const head = document.createElement("div");
  head.className = "step-kind";
  head.textContent = phrase(`step-${step.kind}`).text;
  if (step.sample !== null && step.sample !== undefined) {
    // explain numbers the batch's rows from 1; the page numbers the data's points from 0.
    const point = samples[step.sample - 1];
    head.textContent += ` · sample [${step.sample}]`;
    if (point !== undefined) head.textContent += ` (data point ${point})`;
  }
  if (step.chain) head.textContent += ` · chain rule: ${step.chain}`;
  if (slides && step.slides_label && (step.kind === "gradient" || step.kind === "update")) {
    // The slides name some output weights "to-from" (docs/notation.md): say what they call it.
    const label = document.createElement("span");
    label.className = "slides-label";
    label.textContent = ` · on the slides: ${step.slides_label}`;
    head.append(label);
  }
  li.append(head);
  li.append(mathBlock(shown.mathml));
  const plain = document.createElement("div");
  plain.className = "step-plain";
  const formula = document.createElement("code");
  formula.className = "step-formula";
  formula.textContent = `${step.symbol} = ${step.formula}`;
  const valueEl = document.createElement("strong");
  valueEl.className = "step-value";
  valueEl.dataset.value = String(step.value);
  valueEl.textContent = shown.value;
  plain.append(formula, document.createTextNode(" = "), valueEl);
  li.append(plain);
  if (step.note) li.append(paragraph(step.note, "step-note"));
  return li;
}
