// The page's vocabulary, as the server sends it: every name and formula (plain text for
// SVG <text> and tooltips, MathML for HTML) and the one precision numbers are shown with.
// Nothing is named or derived here: this module only looks up what arrived.

// The fixed words are the same for every drawing on a page; a network's own labels travel
// with its state (state.labels), so that two drawings of two networks never mix names.
let vocab = { digits: 4, phases: {}, phrases: {}, options: {}, symbols: {} };

/** The fixed words of /api/options' `vocabulary`. */
export function setVocabulary(vocabulary) {
  if (vocabulary) vocab = vocabulary;
}

export function digits() {
  return vocab.digits ?? 4;
}

function stripZeros(text) {
  return text.includes(".") ? text.replace(/0+$/, "").replace(/\.$/, "") : text;
}

/**
 * `value` at the server's precision, written as the server writes it (Python's "%.{d}g"
 * with a true minus sign), so the drawing and the derivation print the same digits.
 */
export function num(value) {
  if (value === null || value === undefined || Number.isNaN(value)) return "–";
  if (!Number.isFinite(value)) return value > 0 ? "∞" : "−∞";
  if (value === 0) return "0";
  const d = digits();
  const [mantissa, exp] = Math.abs(value).toExponential(d - 1).split("e");
  const e = Number(exp);
  let text;
  if (e < -4 || e >= d) {
    text = `${stripZeros(mantissa)}e${e < 0 ? "-" : "+"}${String(Math.abs(e)).padStart(2, "0")}`;
  } else {
    text = stripZeros(Math.abs(value).toFixed(Math.max(0, d - 1 - e)));
  }
  return value < 0 ? `−${text}` : text;
}

// `names` below is a network's state.labels (labels.py's network_labels).

/** {text, mathml} of neuron j (0-based) of layer l (0 = the inputs). */
export function nodeLabel(names, l, j) {
  return names?.nodes[l]?.[j] ?? { text: "", mathml: "" };
}

/** {text, mathml} of the δ of neuron j of layer l ≥ 1. */
export function deltaLabel(names, l, j) {
  return names?.deltas[l - 1]?.[j] ?? { text: "", mathml: "" };
}

/** {id, text, mathml} of weight i→j (0-based) of weight layer l (1-based). */
export function weightLabel(names, l, i, j) {
  return names.weights[l - 1][i][j];
}

export function biasLabel(names, l, j) {
  return names.biases[l - 1][j];
}

/** ∂L/∂(label), from the server's template. */
export function gradientOf(names, label) {
  const t = names?.gradient_of ?? { text: "∂L/∂{}", mathml: "{}" };
  return { text: t.text.replace("{}", label.text), mathml: t.mathml.replace("{}", label.mathml) };
}

export function targetLabel(names, j) {
  return names?.targets[j] ?? { text: "y", mathml: "<mi>y</mi>" };
}

export function outputGradLabel(names, j) {
  return names?.output_grads[j] ?? { text: "", mathml: "" };
}

export function lossLabel() {
  return vocab.symbols?.loss ?? { text: "L", mathml: "<mi>L</mi>" };
}

export function etaLabel() {
  return vocab.symbols?.eta ?? { text: "η", mathml: "<mi>η</mi>" };
}

/** {text, html} of a phrase of the page ("view-gradients", "title-update", ...). */
export function phrase(key) {
  return vocab.phrases?.[key] ?? vocab.phases?.[key] ?? { text: key, html: "" };
}

export function phaseText(phase) {
  return vocab.phases?.[phase] ?? { text: phase, html: "" };
}

/** The label of a menu choice (a data set, an activation, a loss). */
export function optionLabel(value) {
  return vocab.options?.[value] ?? value;
}

/** Put the server's phrases into the page: data-vocab="key" (HTML), data-vocab-title="key". */
export function applyPhrases(root = document) {
  for (const el of root.querySelectorAll("[data-vocab]")) el.innerHTML = phrase(el.dataset.vocab).html;
  for (const el of root.querySelectorAll("[data-vocab-title]")) el.title = phrase(el.dataset.vocabTitle).text;
}

/** Inline MathML for a label inside HTML. */
export function mathHtml(mathml) {
  return `<math>${mathml}</math>`;
}
