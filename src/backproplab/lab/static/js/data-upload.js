// "Your data": a CSV file from the file input or dropped anywhere on the page. The server
// reads it with the CLI's own CSV reader (same rules, same messages) and its limits are
// stated here as the server gives them. For more than two features the plot is a
// projection (two features chosen here, the others at their mean), and a confusion matrix
// or a residual plot, counted by the server, shows the fit on all features.

import { featureRequest, el, svgEl } from "./feature-util.js";

const thousands = (n) => n.toLocaleString("en");

export class DataUpload {
  constructor(root, hooks) {
    this.hooks = hooks;
    const box = el(root, "section", { class: "feature own-data", id: "own-data", "aria-labelledby": "own-data-title" });
    el(box, "h2", { id: "own-data-title" }, "Your data");
    this.limits = el(box, "p", { class: "hint", id: "csv-limits" }, "A CSV file: numeric features and a target column.");
    this.drop = el(box, "div", { class: "drop-zone", id: "csv-drop" });
    el(this.drop, "span", {}, "Drop a CSV file here (or anywhere on the page), or ");
    const pick = el(this.drop, "label", { class: "file-pick" }, "choose a file");
    this.file = el(pick, "input", { type: "file", id: "csv-file", accept: ".csv,.tsv,.txt,text/csv,text/plain" });
    const row = el(box, "label", { class: "field" }, "Target column ");
    this.target = el(row, "input", { type: "text", id: "csv-target", placeholder: "the last column", maxlength: "200" });
    this.message = el(box, "p", { id: "csv-message", role: "status", "aria-live": "polite" });
    this.projection = el(box, "div", { id: "csv-projection", class: "projection" });
    this.projection.hidden = true;
    el(this.projection, "span", {}, "Plot ");
    this.px = el(el(this.projection, "label", {}, "x "), "select", { id: "proj-x" });
    this.py = el(el(this.projection, "label", {}, " against y "), "select", { id: "proj-y" });
    el(this.projection, "span", { class: "hint" }, " (the other features held at their mean)");
    this.fit = el(box, "div", { id: "csv-fit", class: "fit-view" });

    this.file.addEventListener("change", () => {
      if (this.file.files.length) this.upload(this.file.files[0]);
    });
    for (const select of [this.px, this.py]) select.addEventListener("change", () => this.project());
    // Dropping a file anywhere loads it (and keeps the browser from opening the file).
    window.addEventListener("dragover", (e) => {
      if ([...(e.dataTransfer?.types ?? [])].includes("Files")) {
        e.preventDefault();
        this.drop.classList.add("dragging");
      }
    });
    window.addEventListener("dragleave", () => this.drop.classList.remove("dragging"));
    window.addEventListener("drop", (e) => {
      const files = e.dataTransfer?.files;
      if (!files || !files.length) return;
      e.preventDefault();
      this.drop.classList.remove("dragging");
      this.upload(files[0]);
    });
    this.loadLimits();
  }

  async loadLimits() {
    try {
      const l = await featureRequest("GET", "/api/data-limits");
      this.limits.textContent =
        `A CSV file of at most ${thousands(l.max_bytes)} bytes (${l.max_bytes / 1048576} MiB), ` +
        `${l.min_rows} to ${thousands(l.max_rows)} rows, 2 to ${l.max_features} numeric features and ` +
        `a target column (at most ${l.max_classes} classes); the rules of backproplab train --data. ` +
        "Features (and a numeric target) are standardised.";
    } catch (err) {
      this.limits.textContent = err.message;
    }
  }

  say(text, isError = false) {
    this.message.textContent = text;
    this.message.classList.toggle("error", isError);
  }

  async upload(file) {
    const q = new URLSearchParams({ name: file.name || "upload.csv" });
    const target = this.target.value.trim();
    if (target) q.set("target", target);
    this.say(`reading ${file.name} …`);
    try {
      const state = await featureRequest("POST", `/api/data?${q}`, file, "application/octet-stream");
      this.hooks.adopt(state);
      this.say(state.data?.note ?? `${file.name} loaded`);
    } catch (err) {
      this.say(err.message, true);
    } finally {
      this.file.value = "";
    }
  }

  async project() {
    const x = Number(this.px.value);
    const y = Number(this.py.value);
    if (x === y) {
      this.say("choose two different features to plot", true);
      return;
    }
    try {
      this.hooks.adopt(await featureRequest("POST", "/api/projection", { x, y }));
      this.say("");
    } catch (err) {
      this.say(err.message, true);
    }
  }

  update(state) {
    const data = state.data;
    if (data) {
      const many = (data.features?.length ?? 2) > 2;
      this.projection.hidden = !many;
      if (many) {
        for (const [select, k] of [[this.px, 0], [this.py, 1]]) {
          select.replaceChildren(...data.features.map((f, i) => new Option(f, String(i))));
          select.value = String(data.view[k]);
        }
      }
      if (state.config?.data === "csv" && data.note && !this.message.classList.contains("error")) {
        this.message.textContent = data.note;
      }
    }
    this.renderFit(state.fit);
  }

  renderFit(fit) {
    this.fit.replaceChildren();
    if (!fit) return;
    if (fit.kind === "confusion") {
      const table = el(this.fit, "table", { class: "confusion", id: "confusion" });
      el(table, "caption", {}, `Confusion matrix on all features (rows: true class, columns: predicted) · accuracy ${(100 * fit.accuracy).toFixed(1)}%`);
      const head = el(el(table, "thead"), "tr");
      el(head, "th", { scope: "col" }, "true \\ predicted");
      for (const c of fit.classes) el(head, "th", { scope: "col" }, c);
      const body = el(table, "tbody");
      const most = Math.max(1, ...fit.matrix.flat());
      fit.matrix.forEach((row, i) => {
        const tr = el(body, "tr");
        el(tr, "th", { scope: "row" }, fit.classes[i] ?? String(i));
        row.forEach((n, j) => {
          const td = el(tr, "td", { class: i === j ? "diag" : "off" }, String(n));
          td.style.setProperty("--share", String(n / most));
        });
      });
      return;
    }
    this.renderResiduals(fit);
  }

  renderResiduals(fit) {
    const W = 300;
    const H = 180;
    const pad = 30;
    const pts = fit.predicted.map((p, k) => [p, fit.residual[k]]).filter(([p, r]) => p !== null && r !== null);
    const svg = svgEl(this.fit, "svg", { id: "residuals", viewBox: `0 0 ${W} ${H}`, role: "img", "aria-label": "residuals (target − prediction) against the prediction" });
    svgEl(svg, "text", { x: pad, y: 12, class: "axis-label" }, "residual y − ŷ against ŷ (standardised), all features");
    if (!pts.length) return;
    const xs = pts.map((p) => p[0]);
    const rs = pts.map((p) => p[1]);
    const x0 = Math.min(...xs);
    const x1 = Math.max(...xs);
    const r = Math.max(1e-9, ...rs.map(Math.abs));
    const sx = (v) => pad + ((v - x0) / (x1 - x0 || 1)) * (W - 2 * pad);
    const sy = (v) => H / 2 + 10 - (v / r) * (H / 2 - pad);
    svgEl(svg, "line", { x1: pad, x2: W - pad, y1: sy(0), y2: sy(0), class: "zero" });
    for (const [p, q] of pts) svgEl(svg, "circle", { cx: sx(p).toFixed(1), cy: sy(q).toFixed(1), r: 2.5, class: "residual" });
  }
}
