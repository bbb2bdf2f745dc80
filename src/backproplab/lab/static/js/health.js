// Gradient health: each layer's gradient norm over training (log scale), its latest norm and
// update/weight ratio, the engine's flags for vanishing and exploding gradients, and, when
// training diverged, fit's diagnosis (the layer, the update, a learning rate to try). Every
// figure comes from the server (fit's History and DivergenceError); nothing is computed here
// but the chart's coordinates.

import { featureRequest, el, svgEl } from "./feature-util.js";

const W = 320;
const H = 150;
const PAD = 34;
const DASHES = ["", "6 3", "2 3", "8 3 2 3", "1 2", "10 4", "4 4"];

const short = (v) => (v === null || v === undefined ? "–" : Math.abs(v) >= 1e4 || (v !== 0 && Math.abs(v) < 1e-3) ? v.toExponential(2) : v.toPrecision(3));

export class HealthPanel {
  constructor(root) {
    const box = el(root, "section", { class: "feature health", id: "health-panel", "aria-labelledby": "health-title" });
    el(box, "h2", { id: "health-title" }, "Gradient health");
    el(box, "p", { class: "hint" }, "From fit's History while training (Train): each layer's ‖∂L/∂W, ∂L/∂b‖ at an epoch's first update, and how much that update changed the layer.");
    this.chart = svgEl(box, "svg", { id: "health-chart", viewBox: `0 0 ${W} ${H}`, role: "img", "aria-label": "gradient norm of each layer over the updates (log scale)" });
    this.table = el(box, "table", { id: "health-table", class: "health-table" });
    this.flags = el(box, "ul", { id: "health-flags", class: "flags" });
    this.diagnosis = el(box, "p", { id: "health-diagnosis", role: "alert" });
  }

  update(state) {
    if (state.health) this.render(state.health);
  }

  async error(err) {
    if (err?.code !== "diverged") return;
    try {
      this.render(await featureRequest("GET", "/api/gradient-health"));
    } catch (e) {
      this.diagnosis.textContent = err.message;
    }
  }

  render(h) {
    this.renderChart(h);
    this.renderTable(h);
    this.flags.replaceChildren();
    for (const v of h.vanishing) {
      el(this.flags, "li", { class: "flag vanishing", "data-layer": String(v.layer) }, `⚠ vanishing: layer ${v.layer}'s gradients are ${short(v.ratio)} of the output layer's, so it barely learns (a stack of sigmoids shrinks them by σ′ ≤ ¼ a layer; try tanh or relu)`);
    }
    if (h.exploding) {
      el(this.flags, "li", { class: "flag exploding", "data-layer": String(h.exploding.layer) }, `⚠ exploding: layer ${h.exploding.layer}'s gradients grew over tenfold from update ${h.exploding.update}`);
    }
    const d = h.diagnosis;
    this.diagnosis.textContent = d ? d.message : "";
    this.diagnosis.dataset.layer = d?.layer ?? "";
  }

  renderTable(h) {
    this.table.replaceChildren();
    const last = h.grad_norm.length - 1;
    if (last < 0) {
      el(el(el(this.table, "tbody"), "tr"), "td", {}, "No training yet: press Train to see the gradients' health.");
      return;
    }
    const head = el(el(this.table, "thead"), "tr");
    for (const t of ["layer", "gradient norm", "update / weight"]) el(head, "th", { scope: "col" }, t);
    const body = el(this.table, "tbody");
    for (let l = 0; l < h.layers; l++) {
      const tr = el(body, "tr", { "data-layer": String(l + 1) });
      el(tr, "th", { scope: "row" }, `${l + 1}${l === h.layers - 1 ? " (output)" : ""}`);
      el(tr, "td", {}, short(h.grad_norm[last][l]));
      el(tr, "td", {}, short(h.update_ratio[last]?.[l]));
    }
    el(this.table, "caption", {}, `at update ${h.updates[last]}`);
  }

  renderChart(h) {
    const svg = this.chart;
    svg.replaceChildren();
    const n = h.updates.length;
    if (!n) return;
    const logs = h.grad_norm.map((row) => row.map((v) => (v !== null && v > 0 ? Math.log10(v) : null)));
    const flat = logs.flat().filter((v) => v !== null);
    if (!flat.length) return;
    const lo = Math.floor(Math.min(...flat));
    const hi = Math.max(lo + 1, Math.ceil(Math.max(...flat)));
    const u0 = h.updates[0];
    const u1 = Math.max(u0 + 1, h.updates[n - 1]);
    const sx = (u) => PAD + ((u - u0) / (u1 - u0)) * (W - PAD - 8);
    const sy = (v) => 10 + ((hi - v) / (hi - lo)) * (H - 34);
    for (const v of [lo, hi]) {
      svgEl(svg, "line", { x1: PAD, x2: W - 8, y1: sy(v), y2: sy(v), class: "grid" });
      svgEl(svg, "text", { x: 2, y: sy(v) + 4, class: "axis-label" }, `1e${v}`);
    }
    svgEl(svg, "text", { x: PAD, y: H - 4, class: "axis-label" }, `updates ${u0}–${h.updates[n - 1]}`);
    for (let l = 0; l < h.layers; l++) {
      const pts = [];
      logs.forEach((row, k) => {
        if (row[l] !== null) pts.push(`${sx(h.updates[k]).toFixed(1)},${sy(row[l]).toFixed(1)}`);
      });
      if (!pts.length) continue;
      svgEl(svg, "polyline", { points: pts.join(" "), class: `layer-line layer-${(l % 7) + 1}`, "stroke-dasharray": DASHES[l % DASHES.length], "data-layer": l + 1 });
      svgEl(svg, "text", { x: W - 60, y: 14 + 12 * l, class: `axis-label layer-${(l % 7) + 1}` }, `layer ${l + 1}`);
    }
  }
}
