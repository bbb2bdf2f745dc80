// The network as SVG: neurons with their activation (or delta), edges whose colour and
// width show the weight's (or gradient's) sign and size, and a small square per bias.
// Every number drawn comes from the server's state (the engine's arrays).

import { biasName, fmt, neuronLabel, prettyParam, weightName } from "./format.js";

const SVG = "http://www.w3.org/2000/svg";
const WIDTH = 720;
const HEIGHT = 440;
const POSITIVE = "#1c6fd1";
const NEGATIVE = "#e8590c";
/** Edges are labelled with their numbers only while they stay readable. */
const MAX_LABELLED_EDGES = 24;

function make(tag, attrs = {}, text = null) {
  const node = document.createElementNS(SVG, tag);
  for (const [k, v] of Object.entries(attrs)) node.setAttribute(k, String(v));
  if (text !== null) node.textContent = text;
  return node;
}

function layout(sizes) {
  const left = 70;
  const right = 170;
  const top = 56;
  const bottom = 24;
  const L = sizes.length - 1;
  const maxUnits = Math.max(...sizes);
  const spacing = Math.min(130, (HEIGHT - top - bottom) / maxUnits);
  const r = Math.max(8, Math.min(27, spacing * 0.3));
  const nodes = sizes.map((n, l) => {
    const x = left + (l * (WIDTH - left - right)) / L;
    const mid = top + (HEIGHT - top - bottom) / 2;
    return Array.from({ length: n }, (_, j) => ({ x, y: mid + (j - (n - 1) / 2) * spacing }));
  });
  return { nodes, r };
}

function color(value) {
  return value >= 0 ? POSITIVE : NEGATIVE;
}

function maxAbs(arrays) {
  let m = 0;
  for (const v of arrays.flat(Infinity)) if (Number.isFinite(v)) m = Math.max(m, Math.abs(v));
  return m || 1;
}

/**
 * Draw `state` into `svg`. view: "values" (weights, activations) or "gradients"
 * (dL/dw on edges, delta on neurons). fresh: what the last action computed, highlighted.
 */
export function renderNetwork(svg, state, { view, fresh = new Set(), selected = null, onParam }) {
  const sizes = state.network.layer_sizes;
  const slides = state.network.slides;
  const { nodes, r } = layout(sizes);
  const gradients = view === "gradients";
  const back = state.backward;
  const fwd = state.forward;
  const edgeValues = gradients ? back?.weights ?? null : state.params.weights;
  const biasValues = gradients ? back?.biases ?? null : state.params.biases;
  const scale = edgeValues ? maxAbs(edgeValues) : 1;
  const nEdges = sizes.slice(1).reduce((acc, n, l) => acc + n * sizes[l], 0);
  const labelled = nEdges <= MAX_LABELLED_EDGES;

  svg.replaceChildren();
  svg.setAttribute("viewBox", `0 0 ${WIDTH} ${HEIGHT}`);
  svg.dataset.view = view;
  svg.dataset.layers = sizes.join("-");

  const edgeLayer = make("g", { class: "edges" });
  const labelLayer = make("g", { class: "edge-labels" });
  const nodeLayer = make("g", { class: "nodes" });
  svg.append(edgeLayer, nodeLayer, labelLayer);

  const freshEdges = fresh.has(gradients ? "gradients" : "weights");
  // Boxes already taken by labels (and by the bias squares with theirs), so that the
  // edge labels can be put where they do not overlap.
  const placed = [];
  if (labelled) {
    for (let l = 1; l < sizes.length; l++) {
      nodes[l].forEach(({ x, y }, j) => {
        const size = biasSize(r);
        const text = biasValues ? fmt(biasValues[l - 1][j]) : "";
        const width = size + 6 + textWidth(text);
        placed.push({ x0: x - r * 0.7 - width, x1: x - r * 0.7, y0: y - r - size - 4, y1: y - r });
      });
    }
  }
  for (let l = 1; l < sizes.length; l++) {
    for (let i = 0; i < sizes[l - 1]; i++) {
      for (let j = 0; j < sizes[l]; j++) {
        const name = weightName(l, i + 1, j + 1);
        const a = nodes[l - 1][i];
        const b = nodes[l][j];
        const value = edgeValues ? edgeValues[l - 1][i][j] : null;
        const g = make("g", { class: "edge", "data-param": name, tabindex: 0, role: "button" });
        if (name === selected) g.classList.add("selected");
        const coords = { x1: a.x + r, y1: a.y, x2: b.x - r, y2: b.y };
        g.append(make("line", { ...coords, class: "edge-hit" }));
        const width = value === null ? 1 : 0.6 + 6 * Math.min(1, Math.abs(value) / scale);
        g.append(
          make("line", {
            ...coords,
            class: `edge-line${value === null ? " unknown" : ""}`,
            stroke: value === null ? "#bbb" : color(value),
            "stroke-width": width.toFixed(2),
          }),
        );
        const what = gradients ? `∂L/∂${prettyParam(name)}` : prettyParam(name);
        g.append(make("title", {}, `${what} = ${value === null ? "not computed yet" : fmt(value)}`));
        g.addEventListener("click", () => onParam(name));
        g.addEventListener("keydown", (e) => e.key === "Enter" && onParam(name));
        edgeLayer.append(g);
        if (labelled && value !== null) {
          const text = fmt(value);
          const { x, y } = placeLabel(coords, text, placed);
          const label = make(
            "text",
            { x, y, class: "edge-value", "data-param": name, "text-anchor": "middle" },
            text,
          );
          if (freshEdges) label.classList.add("fresh");
          label.addEventListener("click", () => onParam(name));
          labelLayer.append(label);
        }
      }
    }
  }

  const freshNodes = fresh.has(gradients ? "gradients" : "activations");
  for (let l = 0; l < sizes.length; l++) {
    const layerValues = gradients ? (l > 0 ? back?.deltas[l - 1] : null) : fwd?.a[l];
    const layerScale = layerValues ? maxAbs(layerValues) : 1;
    for (let j = 0; j < sizes[l]; j++) {
      const { x, y } = nodes[l][j];
      const key = `${l}_${j + 1}`;
      const value = layerValues ? layerValues[j] : null;
      const g = make("g", { class: `node${l === 0 ? " input" : ""}`, "data-node": key });
      const tint = value === null ? 0 : Math.min(1, Math.abs(value) / layerScale);
      const fill = value === null ? "#fff" : value >= 0 ? POSITIVE : NEGATIVE;
      g.append(make("circle", { cx: x, cy: y, r, class: "node-circle" }));
      g.append(make("circle", { cx: x, cy: y, r, fill, "fill-opacity": (0.08 + 0.3 * tint).toFixed(2), class: "node-tint" }));
      const label = neuronLabel(sizes, slides, l, j + 1);
      // Names under every neuron while there is room; in a crowded layer only the ends.
      const crowded = r < 12 && l > 0 && l < sizes.length - 1;
      if (!crowded || j === 0 || j === sizes[l] - 1) {
        g.append(make("text", { x, y: y + r + 13, class: "node-name", "text-anchor": "middle" }, label));
      }
      if (value !== null) {
        const shown = fmt(value);
        // Shrink a long number so that it stays inside its circle.
        const fontSize = Math.min(11, (2 * r - 4) / (0.62 * shown.length));
        const text = make(
          "text",
          {
            x,
            y: y + fontSize * 0.36,
            class: "node-value",
            "data-node": key,
            "text-anchor": "middle",
            "font-size": fontSize.toFixed(1),
          },
          shown,
        );
        if (freshNodes) text.classList.add("fresh");
        g.append(text);
      }
      const what = gradients ? `δ of ${label} (∂L/∂z, summed over the batch)` : `${label}`;
      g.append(make("title", {}, `${what} = ${value === null ? "not computed yet" : fmt(value)}`));
      nodeLayer.append(g);
      if (l > 0) nodeLayer.append(biasMark(l, j, x, y, r, biasValues, { labelled, fresh: fresh.has(gradients ? "gradients" : "weights"), selected, onParam, gradients, scale: biasValues ? maxAbs(biasValues) : 1 }));
    }
  }
  svg.append(outputInfo(state, nodes[sizes.length - 1], r, gradients, fresh));
}

function textWidth(text) {
  return text.length * 6.2 + 4; // 11px sans-serif digits, with the white halo
}

/** A spot along the edge (as a fraction t of its length) whose label box is free. */
function placeLabel(c, text, placed) {
  const w = textWidth(text);
  const h = 13;
  let best = null;
  for (const t of [0.27, 0.42, 0.57, 0.72, 0.2, 0.82, 0.5, 0.35, 0.65]) {
    const x = c.x1 + t * (c.x2 - c.x1);
    const y = c.y1 + t * (c.y2 - c.y1) - 4;
    const box = { x0: x - w / 2, x1: x + w / 2, y0: y - h + 2, y1: y + 2 };
    const clash = placed.some((b) => box.x0 < b.x1 && b.x0 < box.x1 && box.y0 < b.y1 && b.y0 < box.y1);
    best = best ?? { x, y, box };
    if (!clash) {
      best = { x, y, box };
      break;
    }
  }
  placed.push(best.box);
  return best;
}

function biasSize(r) {
  return Math.max(9, Math.min(14, r * 0.6));
}

function biasMark(l, j, x, y, r, values, opts) {
  const name = biasName(l, j + 1);
  const value = values ? values[l - 1][j] : null;
  const size = biasSize(r);
  const bx = x - r * 0.7 - size;
  const by = y - r - size - 2;
  const g = make("g", { class: "bias", "data-param": name, tabindex: 0, role: "button" });
  if (name === opts.selected) g.classList.add("selected");
  g.append(make("line", { x1: bx + size / 2, y1: by + size, x2: x - r * 0.55, y2: y - r * 0.55, class: "bias-link" }));
  const strength = value === null ? 0 : Math.min(1, Math.abs(value) / opts.scale);
  g.append(
    make("rect", {
      x: bx,
      y: by,
      width: size,
      height: size,
      rx: 2,
      class: "bias-box",
      fill: value === null ? "#eee" : color(value),
      "fill-opacity": (0.25 + 0.75 * strength).toFixed(2),
    }),
  );
  const what = opts.gradients ? `∂L/∂${prettyParam(name)}` : prettyParam(name);
  g.append(make("title", {}, `${what} = ${value === null ? "not computed yet" : fmt(value)}`));
  if (opts.labelled && value !== null) {
    const text = make(
      "text",
      { x: bx - 3, y: by + size - 2, class: "bias-value", "data-param": name, "text-anchor": "end" },
      fmt(value),
    );
    if (opts.fresh) text.classList.add("fresh");
    g.append(text);
  }
  g.addEventListener("click", () => opts.onParam(name));
  g.addEventListener("keydown", (e) => e.key === "Enter" && opts.onParam(name));
  return g;
}

function outputInfo(state, outputs, r, gradients, fresh) {
  const g = make("g", { class: "output-info" });
  const fwd = state.forward;
  const back = state.backward;
  outputs.forEach(({ x, y }, j) => {
    const lines = [];
    if (!gradients && fwd) {
      lines.push(["output-target", `y = ${fmt(fwd.target[j])}`, "activations"]);
    }
    if (gradients && back?.output_grad) {
      lines.push(["output-grad", `∂L/∂ŷ = ${fmt(back.output_grad[j])}`, "gradients"]);
    }
    lines.forEach(([cls, text, kind], k) => {
      const t = make("text", { x: x + r + 8, y: y + 4 + k * 16, class: cls, "data-output": j + 1 }, text);
      if (fresh.has(kind)) t.classList.add("fresh");
      g.append(t);
    });
  });
  if (fwd || back) {
    const last = outputs[outputs.length - 1];
    const lossValue = gradients && back ? back.loss : fwd?.batch_loss;
    const n = state.batch?.size ?? 1;
    const t = make(
      "text",
      { x: last.x - r, y: last.y + r + 32, class: "batch-loss" },
      `L = ${fmt(lossValue)}${n > 1 ? ` (batch of ${n})` : ""}`,
    );
    if (fresh.has("activations")) t.classList.add("fresh");
    g.append(t);
  }
  return g;
}
