// The loss curve: L over all the data after each update (each epoch while training),
// on a log scale so that the late, small improvements stay visible.

import { num } from "./labels.js";

const SVG = "http://www.w3.org/2000/svg";
const BASE_PAD = { left: 52, right: 10, top: 12, bottom: 28 };

function make(tag, attrs = {}, text = null) {
  const node = document.createElementNS(SVG, tag);
  for (const [k, v] of Object.entries(attrs)) node.setAttribute(k, String(v));
  if (text !== null) node.textContent = text;
  return node;
}

export function renderLossChart(svg, history) {
  // Drawn at its rendered size, so that its 12 px labels are 12 px on any screen.
  const W = Math.max(200, Math.floor(svg.getBoundingClientRect().width || 340));
  const H = Math.round(Math.min(240, Math.max(150, W / 2)));
  svg.replaceChildren();
  svg.setAttribute("viewBox", `0 0 ${W} ${H}`);
  svg.setAttribute("height", String(H));
  const points = history.filter(([, loss]) => loss !== null && Number.isFinite(loss));
  svg.dataset.points = String(points.length);
  if (points.length === 0) return;
  const positive = points.every(([, loss]) => loss > 0);
  const ys = points.map(([, loss]) => (positive ? Math.log10(loss) : loss));
  let lo = Math.min(...ys);
  let hi = Math.max(...ys);
  if (hi - lo < 1e-9) {
    lo -= 0.5;
    hi += 0.5;
  }
  const xMax = Math.max(1, points[points.length - 1][0]);
  const label = (y) => num(positive ? 10 ** y : y);
  // Room on the left for the longer of the two axis labels (12 px digits, ~7 px each).
  const PAD = { ...BASE_PAD, left: Math.max(BASE_PAD.left, 10 + 7 * Math.max(label(hi).length, label(lo).length)) };
  const px = (x) => PAD.left + (x / xMax) * (W - PAD.left - PAD.right);
  const py = (y) => PAD.top + ((hi - y) / (hi - lo)) * (H - PAD.top - PAD.bottom);
  svg.append(make("line", { x1: PAD.left, y1: H - PAD.bottom, x2: W - PAD.right, y2: H - PAD.bottom, class: "axis" }));
  svg.append(make("line", { x1: PAD.left, y1: PAD.top, x2: PAD.left, y2: H - PAD.bottom, class: "axis" }));
  svg.append(make("text", { x: PAD.left - 4, y: PAD.top + 8, class: "tick", "text-anchor": "end" }, label(hi)));
  svg.append(make("text", { x: PAD.left - 4, y: H - PAD.bottom, class: "tick", "text-anchor": "end" }, label(lo)));
  svg.append(make("text", { x: W - PAD.right, y: H - 6, class: "tick", "text-anchor": "end" }, `${xMax} updates`));
  svg.append(make("text", { x: PAD.left, y: H - 6, class: "tick" }, "0"));
  if (positive) {
    svg.append(make("text", { x: W - PAD.right, y: PAD.top + 8, class: "tick", "text-anchor": "end" }, "L, log scale"));
  }
  const d = points.map(([x], k) => `${k ? "L" : "M"}${px(x).toFixed(1)},${py(ys[k]).toFixed(1)}`).join("");
  svg.append(make("path", { d, class: "loss-line" }));
  const [lx] = points[points.length - 1];
  svg.append(make("circle", { cx: px(lx), cy: py(ys[ys.length - 1]), r: 3, class: "loss-dot" }));
}
