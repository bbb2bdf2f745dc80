// Numbers and names as the page shows them.

/** Four significant digits, a true minus sign, no trailing zeros ("0.5933", "−0.2502"). */
export function fmt(value) {
  if (value === null || value === undefined || Number.isNaN(value)) return "–";
  if (!Number.isFinite(value)) return value > 0 ? "∞" : "−∞";
  if (value === 0) return "0";
  const abs = Math.abs(value);
  let text;
  if (abs >= 1e-3 && abs < 1e5) {
    text = value.toPrecision(4);
    if (text.includes(".")) text = text.replace(/0+$/, "").replace(/\.$/, "");
  } else {
    const [mant, exp] = value.toExponential(3).split("e");
    const m = mant.includes(".") ? mant.replace(/0+$/, "").replace(/\.$/, "") : mant;
    text = `${m}e${exp.replace("+", "")}`;
  }
  return text.replace("-", "−");
}

const SUP = { 0: "⁰", 1: "¹", 2: "²", 3: "³", 4: "⁴", 5: "⁵", 6: "⁶", 7: "⁷", 8: "⁸", 9: "⁹" };
const SUB = { 0: "₀", 1: "₁", 2: "₂", 3: "₃", 4: "₄", 5: "₅", 6: "₆", 7: "₇", 8: "₈", 9: "₉" };
const sup = (n) => String(n).split("").map((c) => SUP[c] ?? c).join("");
const sub = (n) => String(n).split("").map((c) => SUB[c] ?? c).join("");

/** The text name of a weight: w{l}_{i}{j}, or w{l}_{i}_{j} when an index has two digits. */
export function weightName(layer, i, j) {
  return i > 9 || j > 9 ? `w${layer}_${i}_${j}` : `w${layer}_${i}${j}`;
}

export function biasName(layer, j) {
  return `b${layer}_${j}`;
}

/** "w1_21" -> "w¹₂₁", "b2_1" -> "b²₁" (our notation, docs/notation.md). */
export function prettyParam(name) {
  const m = /^([wb])(\d+)_(\d+)(?:_(\d+))?$/.exec(name);
  if (!m) return name;
  const [, kind, layer, a, b] = m;
  if (kind === "b") return `b${sup(layer)}${sub(a)}`;
  if (b !== undefined) return `w${sup(layer)}${sub(a)},${sub(b)}`;
  return `w${sup(layer)}${sub(a)}`;
}

/** The label of neuron j (1-based) of layer l (0 = input) in a network of `sizes`. */
export function neuronLabel(sizes, slides, l, j) {
  const last = sizes.length - 1;
  if (slides) {
    if (l === 0) return `i${j}`;
    if (l === last) return "ŷ";
    return `O${j}`;
  }
  if (l === 0) return `x${sub(j)}`;
  if (l === last) return sizes[last] === 1 ? "ŷ" : `ŷ${sub(j)}`;
  return `a${sup(l)}${sub(j)}`;
}

export { sub, sup };
