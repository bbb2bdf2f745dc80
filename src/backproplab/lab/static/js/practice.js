// Practice mode: the server withholds one phase's numbers (the gradients after Backward, or
// the new weights after Update) until the learner types the asked quantity; the answer is
// checked on the server by backproplab.practice, which names the mistake it matches and the
// step to re-check. The page only sends the text typed and shows the verdict and the score.

import { featureRequest, el } from "./feature-util.js";

const HIDE = {
  backward: "the gradients after Backward",
  update: "the new weights after Update",
};
const NEXT = {
  backward: "Press Forward, then Backward: the gradients stay hidden until you answer.",
  update: "Press Forward, Backward, then Update: the new weights stay hidden until you answer.",
};

export class PracticePanel {
  constructor(root, hooks) {
    this.hooks = hooks;
    const box = el(root, "section", { class: "feature practice", id: "practice-panel", "aria-labelledby": "practice-title" });
    el(box, "h2", { id: "practice-title" }, "Practice");
    const on = el(box, "label", { class: "check" });
    this.on = el(on, "input", { type: "checkbox", id: "practice-on" });
    on.append(" practice mode: hide numbers and ask for one");
    const hide = el(box, "label", { class: "field" }, "Hide ");
    this.hide = el(hide, "select", { id: "practice-hide" });
    for (const [value, text] of Object.entries(HIDE)) this.hide.append(new Option(text, value));
    const asks = el(box, "label", { class: "field" }, "Ask for ");
    this.asks = el(asks, "select", { id: "practice-asks" });
    this.question = el(box, "p", { id: "practice-question", class: "question" });
    this.form = el(box, "form", { id: "practice-form", class: "answer-row" });
    const answer = el(this.form, "label", {}, "Your value ");
    this.answer = el(answer, "input", { type: "text", id: "practice-answer", inputmode: "decimal", autocomplete: "off", maxlength: "40" });
    this.check = el(this.form, "button", { type: "submit", id: "practice-check" }, "Check");
    this.feedback = el(box, "p", { id: "practice-feedback", role: "status", "aria-live": "polite" });
    this.score = el(box, "p", { id: "practice-score", class: "score" });

    this.on.addEventListener("change", () => this.configure());
    this.hide.addEventListener("change", () => this.configure(false));
    this.asks.addEventListener("change", () => this.configure(true));
    this.form.addEventListener("submit", (e) => {
      e.preventDefault();
      this.submit();
    });
    this.render(null);
  }

  async configure(keepAsks = false) {
    const body = { enabled: this.on.checked, hide: this.hide.value };
    if (keepAsks && this.asks.value) body.asks = this.asks.value;
    this.pending = true; // a state arriving meanwhile (a training frame) keeps the choice shown
    try {
      const state = await featureRequest("POST", "/api/practice", body);
      this.pending = false;
      this.hooks.apply(state);
    } catch (err) {
      this.feedback.textContent = err.message;
      this.feedback.className = "wrong";
    } finally {
      this.pending = false;
    }
  }

  async submit() {
    const text = this.answer.value.trim();
    if (!text) {
      this.answer.focus();
      return;
    }
    try {
      const state = await featureRequest("POST", "/api/practice/answer", { answer: text });
      const fb = state.feedback;
      this.hooks.apply(state);
      this.feedback.textContent = fb.message;
      this.feedback.className = fb.correct ? "correct" : "wrong";
      this.feedback.dataset.mistake = fb.mistake ?? "";
      this.answer.value = "";
    } catch (err) {
      this.feedback.textContent = err.message;
      this.feedback.className = "wrong";
    }
  }

  update(state) {
    if (!this.pending) this.render(state.practice ?? null, state.phase);
  }

  render(p, phase = "ready") {
    this.on.checked = Boolean(p);
    this.hide.disabled = !p;
    this.asks.disabled = !p;
    this.form.hidden = !p?.hidden;
    if (!p) {
      this.question.textContent = "Off: every number is shown.";
      this.score.textContent = "";
      return;
    }
    this.hide.value = p.hide;
    const current = [...this.asks.options].map((o) => o.value).join("|");
    if (current !== p.choices.join("|")) this.asks.replaceChildren(...p.choices.map((c) => new Option(c.replace("dL/d", "∂L/∂"), c)));
    this.asks.value = p.asks;
    if (p.hidden) {
      const per = p.hide === "backward" ? "for this batch (the mean over its samples)" : "after this update";
      this.question.textContent = `What is ${p.symbol} ${per}? Type it to 4 significant figures; ${HIDE[p.hide]} are hidden until then.`;
    } else {
      this.question.textContent = phase === p.hide ? "Answered: the numbers are shown again." : NEXT[p.hide];
    }
    this.score.textContent = `Score: ${p.correct} right of ${p.answered} answered`;
  }
}
