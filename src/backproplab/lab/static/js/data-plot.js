// The data and the network's prediction: a heat map of the output over the data's window
// (the decision boundary for classes, the prediction surface for the slides' target),
// with the samples drawn on top. Clicking a point selects that sample.

export const CLASS_COLORS = ["#e8590c", "#1c6fd1", "#2f9e44", "#ae3ec9", "#f08c00", "#0c8599"];

function rgb(hex) {
  const n = parseInt(hex.slice(1), 16);
  return [(n >> 16) & 255, (n >> 8) & 255, n & 255];
}

function mix(a, b, t) {
  return a.map((v, k) => Math.round(v + (b[k] - v) * t));
}

const WHITE = [255, 255, 255];
const LOW = rgb("#e8590c");
const HIGH = rgb("#1c6fd1");

/** The colour of one heat-map cell. */
function cellColor(heat, k) {
  const v = heat.values[k];
  if (v === null) return [200, 200, 200];
  if (heat.kind === "binary") {
    const p = Math.min(1, Math.max(0, v));
    // Pale near 0.5 (undecided), strong near 0 or 1: the boundary shows as a white band.
    const side = p >= 0.5 ? HIGH : LOW;
    return mix(WHITE, side, 0.15 + 0.55 * Math.abs(p - 0.5) * 2);
  }
  if (heat.kind === "multiclass") {
    const c = rgb(CLASS_COLORS[heat.classes[k] % CLASS_COLORS.length]);
    return mix(WHITE, c, 0.15 + 0.5 * Math.min(1, Math.max(0, v)));
  }
  const span = heat.vmax - heat.vmin || 1;
  const t = (v - heat.vmin) / span;
  return t >= 0.5 ? mix(WHITE, HIGH, (t - 0.5) * 1.4) : mix(WHITE, LOW, (0.5 - t) * 1.4);
}

export class DataPlot {
  constructor(canvas) {
    this.canvas = canvas;
    this.ctx = canvas.getContext("2d");
    this.data = null;
    this.heat = null;
    this.selected = 0;
    this.batch = null;
    canvas.addEventListener("click", (e) => this.click(e));
  }

  set onSelect(fn) {
    this._onSelect = fn;
  }

  toCanvas(x, y) {
    const [[x0, x1], [y0, y1]] = this.data.bounds;
    const { width, height } = this.canvas;
    return [((x - x0) / (x1 - x0)) * width, ((y1 - y) / (y1 - y0)) * height];
  }

  update({ data, heatmap, selected, batch }) {
    if (data) {
      this.data = data;
      this.canvas.dataset.bounds = JSON.stringify(data.bounds);
    }
    if (heatmap) this.heat = heatmap;
    if (selected !== undefined) {
      this.selected = selected;
      this.canvas.dataset.selected = String(selected);
    }
    this.batch = batch ? new Set(batch.indices) : null;
    this.draw();
  }

  draw() {
    const { ctx, canvas } = this;
    ctx.clearRect(0, 0, canvas.width, canvas.height);
    if (this.heat) this.drawHeat();
    if (this.data) this.drawPoints();
  }

  drawHeat() {
    const heat = this.heat;
    const n = heat.size;
    const image = new ImageData(n, n);
    for (let k = 0; k < n * n; k++) {
      const [r, g, b] = cellColor(heat, k);
      image.data.set([r, g, b, 255], k * 4);
    }
    const off = new OffscreenCanvas(n, n);
    off.getContext("2d").putImageData(image, 0, 0);
    this.ctx.imageSmoothingEnabled = true;
    this.ctx.drawImage(off, 0, 0, this.canvas.width, this.canvas.height);
  }

  pointColor(k) {
    const d = this.data;
    if (d.task === "classification") return CLASS_COLORS[d.labels[k] % CLASS_COLORS.length];
    const heat = this.heat;
    if (!heat || heat.kind !== "regression") return "#333";
    const span = heat.vmax - heat.vmin || 1;
    return (d.labels[k] - heat.vmin) / span >= 0.5 ? "#1c6fd1" : "#e8590c";
  }

  drawPoints() {
    const { ctx } = this;
    const d = this.data;
    const radius = d.X.length > 300 ? 3 : d.X.length > 50 ? 4 : 7;
    d.X.forEach(([x, y], k) => {
      const [cx, cy] = this.toCanvas(x, y);
      ctx.beginPath();
      ctx.arc(cx, cy, radius, 0, 2 * Math.PI);
      ctx.fillStyle = this.pointColor(k);
      ctx.fill();
      // The points of the current mini-batch get a dark rim.
      const inBatch = this.batch && this.batch.size < d.X.length && this.batch.has(k);
      ctx.lineWidth = inBatch ? 2 : 1;
      ctx.strokeStyle = inBatch ? "#111" : "#fff";
      ctx.stroke();
    });
    const sel = d.X[this.selected];
    if (sel) {
      const [cx, cy] = this.toCanvas(sel[0], sel[1]);
      ctx.beginPath();
      ctx.arc(cx, cy, radius + 4, 0, 2 * Math.PI);
      ctx.lineWidth = 2;
      ctx.strokeStyle = "#111";
      ctx.stroke();
    }
  }

  click(event) {
    if (!this.data || !this._onSelect) return;
    const rect = this.canvas.getBoundingClientRect();
    const px = ((event.clientX - rect.left) / rect.width) * this.canvas.width;
    const py = ((event.clientY - rect.top) / rect.height) * this.canvas.height;
    let best = -1;
    let bestDist = 15 * 15;
    this.data.X.forEach(([x, y], k) => {
      const [cx, cy] = this.toCanvas(x, y);
      const dist = (cx - px) ** 2 + (cy - py) ** 2;
      if (dist < bestDist) {
        best = k;
        bestDist = dist;
      }
    });
    if (best >= 0) this._onSelect(best);
  }
}
