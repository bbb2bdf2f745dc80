// Your own data, practice mode and gradient health: three panels below the lab.
// main.js calls initFeatures once and then onState(state) / onError(err); the panels talk
// to their own endpoints (feature_routes.py). Like the rest of the page, they compute no
// maths: the server checks the answers (backproplab.practice) and sends fit's figures.

import { DataUpload } from "./data-upload.js";
import { HealthPanel } from "./health.js";
import { PracticePanel } from "./practice.js";

/** Build the panels into #lab-features. hooks: adopt(state), apply(state), status(msg, isError). */
export function initFeatures(hooks) {
  const root = document.querySelector("#lab-features");
  if (!root) return { onState() {}, onError() {} };
  const panels = [new DataUpload(root, hooks), new PracticePanel(root, hooks), new HealthPanel(root, hooks)];
  return {
    onState(state) {
      for (const p of panels) p.update(state);
    },
    onError(err) {
      for (const p of panels) p.error?.(err);
    },
  };
}
