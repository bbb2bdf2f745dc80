// The network as SVG: neurons with their activation (or delta), edges whose colour, dash
// and width show the weight's (or gradient's) sign and size, and a small square per bias.
// Every number drawn comes from the server's state and every name from its labels.
//
// The drawing is laid out in CSS pixels at the width of its panel (the viewBox is the
// rendered size), so a font size here is the size on screen: never below 11 px, and the
// label boxes computed here are the boxes the browser draws. Labels that find no free spot
// are left out rather than drawn over each other; hovering or focusing shows any value.

import {
  biasLabel,
  deltaLabel,
  gradientOf,
  lossLabel,
  mathHtml,
  nodeLabel,
  num,
  outputGradLabel,
  phrase,
  targetLabel,
  weightLabel,
} from "./labels.js";

const SVG = "http://www.w3.org/2000/svg";
/** Okabe & Ito's colour-blind-safe pair: blue for positive, vermillion for negative. */
export const POSITIVE = "#0072B2";
export const NEGATIVE = "#D55E00";
/** Edges are labelled with their numbers only while they stay readable. */
const MAX_LABELLED_EDGES = 24;
/** The least room between two columns of neurons for their edges to stay pickable. */
const MIN_GAP = 28;
const MIN_FONT = 11;

function make(tag, attrs = {}, text = null) {
  const node = document.createElementNS(SVG, tag);
  for (const [k, v] of Object.entries(attrs)) node.setAttribute(k, String(v));
  if (text !== null) node.textContent = text;
  return node;
}

let measureCtx = null;
/** The width of `text` in the drawing's font (the canvas measures it as the SVG draws it). */
function textWidth(text, font, bold = false) {
  measureCtx ??= document.createElement("canvas").getContext("2d");
  measureCtx.font = `${bold ? "600 " : ""}${font}px ${FONT_FAMILY}`;
  return measureCtx.measureText(text).width;
}
const FONT_FAMILY = 'system-ui, -apple-system, "Segoe UI", Roboto, sans-serif';

function color(value) {
  return value >= 0 ? POSITIVE : NEGATIVE;
}

/** The second cue besides colour: negative values are dashed. */
function dash(value, width) {
  return value < 0 ? `${(4 + width).toFixed(1)} ${(2.5 + width * 0.5).toFixed(1)}` : null;
}

function maxAbs(arrays) {
  let m = 0;
  for (const v of arrays.flat(Infinity)) if (Number.isFinite(v)) m = Math.max(m, Math.abs(v));
  return m || 1;
}

/** Boxes taken so far; a label goes only where its box is free. */
class Boxes {
  constructor(width, height) {
    this.list = [];
    this.width = width;
    this.height = height;
  }

  add(box) {
    this.list.push(box);
  }

  free(box, pad = 1) {
    if (box.x0 < 0 || box.y0 < 0 || box.x1 > this.width || box.y1 > this.height) return false;
    return !this.list.some(
      (b) => box.x0 - pad < b.x1 && b.x0 < box.x1 + pad && box.y0 - pad < b.y1 && b.y0 < box.y1 + pad,
    );
  }
}

/** The box of a text line: anchor "start", "middle" or "end" at x; baseline y. */
function textBox(x, y, width, font, anchor = "start") {
  const x0 = anchor === "middle" ? x - width / 2 : anchor === "end" ? x - width : x;
  return { x0, x1: x0 + width, y0: y - font * 0.95, y1: y + font * 0.3 };
}

/** Everything the drawing shows as text, and where the neurons and edges go. */
function layout(state, view, width, font) {
  const sizes = state.network.layer_sizes;
  const gradients = view === "gradients";
  const nLayers = sizes.length;
  const last = nLayers - 1;
  const lineH = Math.round(font * 1.35);
  const r = Math.round(font * 0.9 + 4);
  const biasSize = Math.max(9, Math.round(font * 0.75));
  const values = sizes.map((n, l) => layerValues(state, gradients, l));
  const texts = values.map((vals) => (vals ? vals.map((v) => num(v)) : null));
  const halfW = texts.map((t) => Math.max(r, t ? Math.max(...t.map((s) => textWidth(s, font, true))) / 2 + 6 : r));
  const info = outputLines(state, gradients);
  const infoW = Math.max(0, ...info.flat().map(([, text]) => textWidth(text, font)));
  const sumW = halfW.reduce((a, b) => a + 2 * b, 0);
  let infoRight = info.length > 0 && (width - sumW - infoW - 12) / Math.max(1, last) >= MIN_GAP * 1.5;
  if (info.flat().length === 0) infoRight = false;
  let showValues = true;
  let usedHalf = halfW;
  if ((width - sumW - (infoRight ? infoW + 12 : 0)) / Math.max(1, last) < MIN_GAP) {
    // Too narrow for numbers inside the neurons: plain circles, the values on hover/focus.
    showValues = false;
    usedHalf = halfW.map(() => r);
    infoRight = false;
  }
  const maxUnits = Math.max(...sizes);
  const namesBelow = maxUnits <= 8;
  const slot = 2 * r + biasSize + 8 + (namesBelow ? lineH : 2);
  const infoBelow = infoRight ? 0 : info[0]?.length ?? 0;
  const top = lineH + 4;
  const bottom = 6 + infoBelow * lineH;
  const target = Math.min(Math.max(260, width * 0.62), Math.max(320, window.innerHeight * 0.8));
  const pitch = Math.max(slot, (target - top - bottom) / maxUnits);
  const height = Math.ceil(top + maxUnits * pitch + bottom);
  const left = usedHalf[0] + 4;
  const right = usedHalf[last] + (infoRight ? infoW + 14 : 4);
  const nodes = sizes.map((n, l) => {
    const x = left + (l * (width - left - right)) / Math.max(1, last);
    const offset = ((maxUnits - n) / 2) * pitch + (pitch - slot) / 2 + biasSize + 6 + r;
    return Array.from({ length: n }, (_, j) => ({ x, y: top + offset + j * pitch }));
  });
  return { sizes, nodes, r, halfW: usedHalf, biasSize, lineH, values, texts, info, infoRight, showValues, namesBelow, width, height, gradients };
}

function layerValues(state, gradients, l) {
  if (gradients) return l > 0 ? state.backward?.deltas[l - 1] ?? null : null;
  return state.forward?.a[l] ?? null;
}

/** Per output neuron: [class, text, kind] lines (target y, or ∂L/∂ŷ after Backward). */
function outputLines(state, gradients) {
  const names = state.labels;
  const n = state.network.layer_sizes[state.network.layer_sizes.length - 1];
  const out = [];
  for (let j = 0; j < n; j++) {
    const lines = [];
    if (!gradients && state.forward) lines.push(["output-target", `${targetLabel(names, j).text} = ${num(state.forward.target[j])}`, "activations"]);
    if (gradients && state.backward?.output_grad) {
      lines.push(["output-grad", `${outputGradLabel(names, j).text} = ${num(state.backward.output_grad[j])}`, "gradients"]);
    }
    if (lines.length) out.push(lines);
  }
  return out;
}

// The drawing's last arguments, for redrawing on resize and for the keyboard.
const drawn = new WeakMap();

/**
 * Draw `state` into `svg`. view: "values" (weights, activations) or "gradients"
 * (dL/dw on edges, delta on neurons). fresh: what the last action computed, highlighted.
 */
export function renderNetwork(svg, state, opts) {
  const { view, fresh = new Set(), selected = null } = opts;
  const previous = drawn.get(svg);
  // The server sends a network's labels with the network (config, state, reset), not with
  // every step: a state without them keeps the ones this drawing already has.
  if (!state.labels && previous?.state.labels) state = { ...state, labels: previous.state.labels };
  const names = state.labels;
  drawn.set(svg, { state, opts, active: previous?.active ?? null, roving: previous?.roving ?? null });
  watchSize(svg);
  const focused = svg.getRootNode().activeElement; // a shadow root (the widget) has its own
  const hadFocus = focused && svg.contains(focused) ? focused.dataset.param : null;
  const width = Math.max(240, Math.floor(svg.getBoundingClientRect().width || svg.parentElement.clientWidth));
  const font = Math.max(MIN_FONT, parseFloat(getComputedStyle(svg).getPropertyValue("--net-font")) || 12);
  const L = layout(state, view, width, font);
  const { sizes, nodes, r, halfW, gradients } = L;
  const back = state.backward;
  const edgeValues = gradients ? back?.weights ?? null : state.params.weights;
  const biasValues = gradients ? back?.biases ?? null : state.params.biases;
  const scale = edgeValues ? maxAbs(edgeValues) : 1;
  const biasScale = biasValues ? maxAbs(biasValues) : 1;
  const nEdges = sizes.slice(1).reduce((acc, n, l) => acc + n * sizes[l], 0);
  const labelled = nEdges <= MAX_LABELLED_EDGES && L.showValues;

  svg.replaceChildren();
  svg.setAttribute("viewBox", `0 0 ${width} ${L.height}`);
  svg.setAttribute("height", String(L.height));
  svg.style.setProperty("--net-font-used", `${font}px`);
  svg.dataset.view = view;
  svg.dataset.layers = sizes.join("-");
  svg.dataset.values = L.showValues ? "inside" : "on-hover";

  const boxes = new Boxes(width, L.height);
  const edgeLayer = make("g", { class: "edges" });
  const nodeLayer = make("g", { class: "nodes" });
  const labelLayer = make("g", { class: "labels" });
  svg.append(edgeLayer, nodeLayer, labelLayer);
  const freshEdges = fresh.has(gradients ? "gradients" : "weights");
  const freshNodes = fresh.has(gradients ? "gradients" : "activations");
  const freshTag = (el, on) => on && el.classList.add("fresh");

  // Neurons first: their boxes (and names) are what every other label must keep clear of.
  nodes.forEach((column, l) => {
    column.forEach(({ x, y }, j) => {
      const hw = halfW[l];
      boxes.add({ x0: x - hw, x1: x + hw, y0: y - r, y1: y + r });
    });
  });
  nodes.forEach((column, l) => {
    const vals = L.values[l];
    const layerScale = vals ? maxAbs(vals) : 1;
    column.forEach(({ x, y }, j) => {
      const key = `${l}_${j + 1}`;
      const value = vals ? vals[j] : null;
      const name = gradients && l > 0 ? deltaLabel(names, l, j) : nodeLabel(names, l, j);
      const g = make("g", { class: `node${l === 0 ? " input" : ""}`, "data-node": key });
      const hw = halfW[l];
      const tint = value === null ? 0 : Math.min(1, Math.abs(value) / layerScale);
      const shape = { x: x - hw, y: y - r, width: 2 * hw, height: 2 * r, rx: r };
      g.append(make("rect", { ...shape, class: "node-circle" }));
      const tintAttrs = { ...shape, class: "node-tint", fill: value === null ? "#fff" : color(value) };
      tintAttrs["fill-opacity"] = (0.1 + 0.3 * tint).toFixed(2);
      g.append(make("rect", tintAttrs));
      if (value !== null && L.showValues) {
        const text = make("text", { x, y: y + font * 0.36, class: "node-value", "data-node": key, "text-anchor": "middle" }, num(value));
        freshTag(text, freshNodes);
        g.append(text);
      } else if (value === null && 2 * hw >= textWidth(nodeLabel(names, l, j).text, font) + 6) {
        // Nothing computed yet: the neuron shows its name instead.
        g.append(make("text", { x, y: y + font * 0.36, class: "node-name inside", "text-anchor": "middle" }, nodeLabel(names, l, j).text));
      }
      if (L.namesBelow && value !== null) {
        const label = nodeLabel(names, l, j).text;
        const by = y + r + font + 1;
        const box = textBox(x, by, textWidth(label, font), font, "middle");
        if (boxes.free(box)) {
          boxes.add(box);
          g.append(make("text", { x, y: by, class: "node-name", "text-anchor": "middle" }, label));
        }
      }
      const what = gradients && l > 0 ? `${name.text} (${phrase("delta-note").text})` : name.text;
      g.append(make("title", {}, `${what} = ${value === null ? "not computed yet" : num(value)}`));
      g.dataset.info = JSON.stringify({ mathml: name.mathml, value: value === null ? null : num(value) });
      nodeLayer.append(g);
    });
  });

  // The output's target or ∂L/∂ŷ, and the batch's loss.
  const lastCol = nodes[sizes.length - 1];
  L.info.forEach((lines, j) => {
    const { x, y } = lastCol[j];
    const hw = halfW[sizes.length - 1];
    lines.forEach(([cls, text, kind], k) => {
      const w = textWidth(text, font);
      let tx;
      let ty;
      if (L.infoRight) {
        tx = x + hw + 8;
        ty = y + font * 0.36 + (k - (lines.length - 1) / 2) * L.lineH;
      } else {
        tx = Math.min(Math.max(2, x - w / 2), width - w - 2);
        ty = (L.namesBelow ? y + r + font + 1 + L.lineH : y + r + font + 2) + k * L.lineH;
      }
      const box = textBox(tx, ty, w, font);
      if (!boxes.free(box, 0)) return;
      boxes.add(box);
      const t = make("text", { x: tx, y: ty, class: cls, "data-output": j + 1 }, text);
      freshTag(t, fresh.has(kind));
      labelLayer.append(t);
    });
  });
  if (state.forward || back) {
    const lossValue = gradients && back ? back.loss : state.forward?.batch_loss;
    const n = state.batch?.size ?? 1;
    const text = `${lossLabel().text} = ${num(lossValue)}${n > 1 ? ` (batch of ${n})` : ""}`;
    const w = textWidth(text, font, true);
    const box = textBox(width - 4, font + 2, w, font, "end");
    boxes.add(box);
    const t = make("text", { x: width - 4, y: font + 2, class: "batch-loss", "text-anchor": "end" }, text);
    freshTag(t, fresh.has("activations"));
    labelLayer.append(t);
  }

  // Bias squares (and their numbers), then the edges and the numbers that fit on them.
  for (let l = 1; l < sizes.length; l++) {
    nodes[l].forEach(({ x, y }, j) => {
      const value = biasValues ? biasValues[l - 1][j] : null;
      nodeLayer.append(biasMark(l, j, x, y, L, value, { names, labelled, fresh: freshEdges, selected, gradients, scale: biasScale, boxes, font }));
    });
  }
  for (let l = 1; l < sizes.length; l++) {
    for (let i = 0; i < sizes[l - 1]; i++) {
      for (let j = 0; j < sizes[l]; j++) {
        const name = weightLabel(names, l, i, j);
        const a = nodes[l - 1][i];
        const b = nodes[l][j];
        const value = edgeValues ? edgeValues[l - 1][i][j] : null;
        const g = make("g", { class: "edge", "data-param": name.id, tabindex: -1, role: "button" });
        if (name.id === selected) g.classList.add("selected");
        const coords = { x1: a.x + halfW[l - 1], y1: a.y, x2: b.x - halfW[l], y2: b.y };
        const w = value === null ? 1 : 0.75 + 5 * Math.min(1, Math.abs(value) / scale);
        const line = { ...coords, class: `edge-line${value === null ? " unknown" : ""}` };
        line.stroke = value === null ? "#8a91a3" : color(value);
        line["stroke-width"] = w.toFixed(2);
        const pattern = value === null ? "2 3" : dash(value, w);
        if (pattern) line["stroke-dasharray"] = pattern;
        g.append(make("line", line));
        const shownName = gradients ? gradientOf(names, name) : name;
        const described = `${shownName.text} = ${value === null ? "not computed yet" : num(value)}`;
        g.setAttribute("aria-label", described);
        g.append(make("title", {}, described));
        g.dataset.info = JSON.stringify({ mathml: shownName.mathml, value: value === null ? null : num(value) });
        g.dataset.coords = [coords.x1, coords.y1, coords.x2, coords.y2].map((v) => v.toFixed(1)).join(",");
        edgeLayer.append(g);
        if (labelled && value !== null) {
          const text = num(value);
          const spot = placeOnEdge(coords, text, font, boxes);
          if (spot) {
            const label = make("text", { x: spot.x, y: spot.y, class: "edge-value", "data-param": name.id, "text-anchor": "middle" }, text);
            freshTag(label, freshEdges);
            labelLayer.append(label);
          }
        }
      }
    }
  }
  setupInteraction(svg);
  const roving = drawn.get(svg).roving;
  const keep = svg.querySelector(`[data-param="${CSS.escape(roving ?? "")}"]`) ?? svg.querySelector(".edge");
  if (keep) keep.setAttribute("tabindex", "0");
  if (hadFocus) svg.querySelector(`[data-param="${CSS.escape(hadFocus)}"]`)?.focus({ preventScroll: true });
}

/** A spot along the edge whose label box is free, or null. */
function placeOnEdge(c, text, font, boxes) {
  const w = textWidth(text, font);
  for (const t of [0.3, 0.45, 0.6, 0.72, 0.22, 0.82, 0.52, 0.38, 0.66]) {
    const x = c.x1 + t * (c.x2 - c.x1);
    const y = c.y1 + t * (c.y2 - c.y1) - 3;
    const box = textBox(x, y, w, font, "middle");
    if (boxes.free(box)) {
      boxes.add(box);
      return { x, y };
    }
  }
  return null;
}

function biasMark(l, j, x, y, L, value, opts) {
  const names = opts.names;
  const name = biasLabel(names, l, j);
  const size = L.biasSize;
  const bx = x - L.halfW[l] * 0.6 - size;
  const by = y - L.r - size - 4;
  const g = make("g", { class: "bias", "data-param": name.id, tabindex: -1, role: "button" });
  if (name.id === opts.selected) g.classList.add("selected");
  g.append(make("line", { x1: bx + size / 2, y1: by + size, x2: x - L.halfW[l] * 0.45, y2: y - L.r * 0.8, class: "bias-link" }));
  const strength = value === null ? 0 : Math.min(1, Math.abs(value) / opts.scale);
  const rect = { x: bx, y: by, width: size, height: size, rx: 2, class: "bias-box" };
  rect.fill = value === null ? "#eee" : color(value);
  rect["fill-opacity"] = (0.25 + 0.75 * strength).toFixed(2);
  if (value !== null && value < 0) rect["stroke-dasharray"] = "2 1.5";
  g.append(make("rect", rect));
  opts.boxes.add({ x0: bx, x1: bx + size, y0: by, y1: by + size });
  const shownName = opts.gradients ? gradientOf(names, name) : name;
  const described = `${shownName.text} = ${value === null ? "not computed yet" : num(value)}`;
  g.setAttribute("aria-label", described);
  g.append(make("title", {}, described));
  g.dataset.info = JSON.stringify({ mathml: shownName.mathml, value: value === null ? null : num(value) });
  if (opts.labelled && value !== null) {
    const text = num(value);
    const w = textWidth(text, opts.font);
    const spots = [
      [bx - 3, by + size - 3, "end"],
      [bx + size / 2, by - 3, "middle"],
      [bx + size + 3, by + size - 3, "start"],
    ];
    for (const [tx, ty, anchor] of spots) {
      const box = textBox(tx, ty, w, opts.font, anchor);
      if (!opts.boxes.free(box)) continue;
      opts.boxes.add(box);
      const t = make("text", { x: tx, y: ty, class: "bias-value", "data-param": name.id, "text-anchor": anchor }, text);
      if (opts.fresh) t.classList.add("fresh");
      g.append(t);
      break;
    }
  }
  return g;
}

// ---------------------------------------------------------------- interaction
// Pointer: the edge nearest the pointer (within a few pixels) is the one highlighted and
// the one a click opens, so converging edges in a dense layer never steal each other's
// clicks. Keyboard: one tab stop; ↑/↓ walk the edges into a neuron then its bias, on to the
// next neuron; ←/→ go to the layer before/after; Enter or Space opens the derivation.

const PICK_RADIUS = 9;

function nearestEdge(svg, px, py) {
  let best = null;
  let bestD = PICK_RADIUS;
  for (const g of svg.querySelectorAll(".edge")) {
    const [x1, y1, x2, y2] = g.dataset.coords.split(",").map(Number);
    const dx = x2 - x1;
    const dy = y2 - y1;
    const t = Math.max(0, Math.min(1, ((px - x1) * dx + (py - y1) * dy) / (dx * dx + dy * dy || 1)));
    const d = Math.hypot(px - (x1 + t * dx), py - (y1 + t * dy));
    if (d < bestD) {
      bestD = d;
      best = g;
    }
  }
  return best;
}

function svgPoint(svg, event) {
  const rect = svg.getBoundingClientRect();
  const [, , w, h] = svg.getAttribute("viewBox").split(" ").map(Number);
  return [((event.clientX - rect.left) * w) / rect.width, ((event.clientY - rect.top) * h) / rect.height];
}

function setActive(svg, el) {
  const state = drawn.get(svg);
  for (const old of svg.querySelectorAll(".active")) if (old !== el) old.classList.remove("active");
  svg.classList.toggle("has-active", Boolean(el?.classList.contains("edge")));
  const info = state.opts.info ?? svg.getRootNode().getElementById?.("network-info");
  if (!el) {
    state.active = null;
    if (info) info.replaceChildren();
    return;
  }
  el.classList.add("active");
  state.active = el.dataset.param ?? el.dataset.node;
  if (info && el.dataset.info) {
    const { mathml, value } = JSON.parse(el.dataset.info);
    info.innerHTML = `${mathHtml(mathml)} = <strong>${value ?? "not computed yet"}</strong>`;
  }
}

function paramOf(target) {
  const el = target.closest?.(".bias, .edge-value, .bias-value");
  return el ? el.dataset.param : null;
}

function open(svg, name) {
  drawn.get(svg)?.opts.onParam?.(name);
}

function keyOrder(svg, name) {
  // The parameters of name's weight layer: into neuron 1 (w_11, w_21, ..., b_1), neuron 2, ...
  const { state } = drawn.get(svg);
  const names = state.labels;
  const sizes = state.network.layer_sizes;
  const layer = Number(/^[wb](\d+)_/.exec(name)?.[1] ?? 1);
  const order = [];
  for (let j = 0; j < sizes[layer]; j++) {
    for (let i = 0; i < sizes[layer - 1]; i++) order.push(weightLabel(names, layer, i, j).id);
    order.push(biasLabel(names, layer, j).id);
  }
  return { order, layer, sizes };
}

function moveFocus(svg, name) {
  const el = svg.querySelector(`[data-param="${CSS.escape(name)}"]`);
  if (!el) return;
  for (const other of svg.querySelectorAll("[tabindex='0']")) other.setAttribute("tabindex", "-1");
  el.setAttribute("tabindex", "0");
  el.focus();
}

function onKey(svg, event) {
  const el = event.target.closest?.(".edge, .bias");
  if (!el) return;
  const name = el.dataset.param;
  if (event.key === "Enter" || event.key === " ") {
    event.preventDefault();
    open(svg, name);
    return;
  }
  const { order, layer, sizes } = keyOrder(svg, name);
  const k = order.indexOf(name);
  let next = null;
  if (event.key === "ArrowDown") next = order[(k + 1) % order.length];
  else if (event.key === "ArrowUp") next = order[(k - 1 + order.length) % order.length];
  else if (event.key === "Home") next = order[0];
  else if (event.key === "End") next = order[order.length - 1];
  else if (event.key === "ArrowRight" || event.key === "ArrowLeft") {
    const to = layer + (event.key === "ArrowRight" ? 1 : -1);
    if (to >= 1 && to < sizes.length) {
      const per = sizes[layer - 1] + 1;
      const j = Math.min(Math.floor(k / per), sizes[to] - 1);
      next = weightLabel(drawn.get(svg).state.labels, to, 0, j).id;
    }
  }
  if (next) {
    event.preventDefault();
    moveFocus(svg, next);
  }
}

function setupInteraction(svg) {
  if (svg.dataset.interactive) return;
  svg.dataset.interactive = "1";
  svg.addEventListener("pointermove", (e) => {
    const own = e.target.closest?.(".bias, .node");
    setActive(svg, own ?? nearestEdge(svg, ...svgPoint(svg, e)));
  });
  svg.addEventListener("pointerleave", () => setActive(svg, null));
  svg.addEventListener("click", (e) => {
    const name = paramOf(e.target) ?? nearestEdge(svg, ...svgPoint(svg, e))?.dataset.param;
    if (name) open(svg, name);
  });
  svg.addEventListener("keydown", (e) => onKey(svg, e));
  svg.addEventListener("focusin", (e) => {
    const el = e.target.closest?.(".edge, .bias");
    if (!el) return;
    drawn.get(svg).roving = el.dataset.param;
    setActive(svg, el);
  });
  svg.addEventListener("focusout", () => setActive(svg, null));
}

/** Put the keyboard focus on a parameter's edge or bias square (after its panel closes). */
export function focusParam(svg, name) {
  moveFocus(svg, name);
}

const resizeObservers = new WeakMap();
function watchSize(svg) {
  if (resizeObservers.has(svg)) return;
  let lastWidth = 0;
  let pending = false;
  const observer = new ResizeObserver(() => {
    const width = Math.floor(svg.getBoundingClientRect().width);
    if (Math.abs(width - lastWidth) < 1 || pending) return;
    lastWidth = width;
    pending = true;
    requestAnimationFrame(() => {
      pending = false;
      const last = drawn.get(svg);
      if (last) renderNetwork(svg, last.state, last.opts);
    });
  });
  observer.observe(svg);
  resizeObservers.set(svg, observer);
}

// ---------------------------------------------------------------- export
const EXPORTED_STYLES = [
  "fill",
  "fill-opacity",
  "stroke",
  "stroke-width",
  "stroke-dasharray",
  "stroke-opacity",
  "opacity",
  "font-size",
  "font-family",
  "font-weight",
  "paint-order",
];

/** The drawing as a standalone SVG file (styles inlined, a white background). */
export function exportFigure(svg) {
  const clone = svg.cloneNode(true);
  const source = svg.querySelectorAll("*");
  const target = clone.querySelectorAll("*");
  source.forEach((el, k) => {
    const style = getComputedStyle(el);
    const out = target[k];
    const inline = EXPORTED_STYLES.map((p) => `${p}:${style.getPropertyValue(p)}`).join(";");
    out.setAttribute("style", inline);
    for (const attr of ["tabindex", "role", "data-info", "data-coords"]) out.removeAttribute(attr);
    out.classList.remove("active", "fresh");
  });
  const [, , w, h] = svg.getAttribute("viewBox").split(" ");
  clone.setAttribute("xmlns", SVG);
  clone.setAttribute("width", w);
  clone.setAttribute("height", h);
  clone.removeAttribute("class");
  clone.removeAttribute("style");
  clone.insertBefore(make("rect", { x: 0, y: 0, width: w, height: h, fill: "#fff" }), clone.firstChild);
  return `<?xml version="1.0" encoding="UTF-8"?>\n${new XMLSerializer().serializeToString(clone)}\n`;
}
