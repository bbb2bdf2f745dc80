// A small LaTeX-to-MathML renderer for the formulas of backproplab.explain.
//
// It covers the maths the derivations use (fractions, sub/superscripts, partials, Greek
// letters, hats, sums, operators, \text and \mathrm) and renders offline through the
// browser's own MathML. Anything it cannot read comes back as plain text, never an error.

const NS = "http://www.w3.org/1998/Math/MathML";

const LETTERS = {
  alpha: "α", beta: "β", gamma: "γ", delta: "δ", Delta: "Δ", epsilon: "ε", varepsilon: "ε",
  zeta: "ζ", eta: "η", theta: "θ", lambda: "λ", mu: "μ", nu: "ν", xi: "ξ", pi: "π",
  rho: "ρ", sigma: "σ", Sigma: "Σ", tau: "τ", phi: "φ", varphi: "φ", chi: "χ", psi: "ψ",
  omega: "ω", Omega: "Ω", partial: "∂", nabla: "∇", ell: "ℓ", infty: "∞",
};
const OPERATORS = {
  cdot: "·", times: "×", div: "÷", leftarrow: "←", gets: "←", rightarrow: "→", to: "→",
  Rightarrow: "⇒", approx: "≈", le: "≤", leq: "≤", ge: "≥", geq: "≥", ne: "≠", neq: "≠",
  pm: "±", mp: "∓", odot: "⊙", circ: "∘", sum: "∑", prod: "∏", ldots: "…", cdots: "⋯",
  dots: "…", mid: "|", in: "∈", prime: "′", lvert: "|", rvert: "|", vert: "|", coloneqq: "≔",
  equiv: "≡", propto: "∝", top: "⊤", langle: "⟨", rangle: "⟩",
};
const FUNCTIONS = new Set(["exp", "log", "ln", "max", "min", "tanh", "sinh", "cosh", "sum"]);
const ACCENTS = { hat: "^", widehat: "^", bar: "¯", overline: "¯", tilde: "~", vec: "→", dot: "˙" };
const TEXT_COMMANDS = new Set(["text", "mathrm", "operatorname", "textrm", "mbox", "textit"]);
const STYLE_COMMANDS = new Set(["mathbf", "boldsymbol", "mathit", "mathsf", "mathcal", "displaystyle"]);
const SPACES = { ",": "0.17em", ":": "0.22em", ";": "0.28em", quad: "1em", qquad: "2em", "!": "0em", " ": "0.25em" };

function tokenize(src) {
  const tokens = [];
  let i = 0;
  while (i < src.length) {
    const c = src[i];
    if (c === "\\") {
      const m = /^\\([A-Za-z]+|.)/.exec(src.slice(i));
      if (!m) break;
      tokens.push({ t: "cmd", v: m[1] });
      i += m[0].length;
    } else if (/\s/.test(c)) {
      i += 1;
    } else if (/[0-9.]/.test(c)) {
      const m = /^[0-9]*\.?[0-9]+|^[0-9]+\.?/.exec(src.slice(i));
      tokens.push({ t: "num", v: m[0] });
      i += m[0].length;
    } else if (/[A-Za-z]/.test(c)) {
      tokens.push({ t: "letter", v: c });
      i += 1;
    } else {
      tokens.push({ t: "char", v: c });
      i += 1;
    }
  }
  return tokens;
}

function el(tag, children = [], text = null) {
  const node = document.createElementNS(NS, tag);
  if (text !== null) node.textContent = text;
  for (const child of children) node.appendChild(child);
  return node;
}

const mrow = (children) => (children.length === 1 ? children[0] : el("mrow", children));

class Parser {
  constructor(tokens) {
    this.tokens = tokens;
    this.pos = 0;
  }

  peek() {
    return this.tokens[this.pos];
  }

  next() {
    return this.tokens[this.pos++];
  }

  expression(stopAt = null) {
    const items = [];
    while (this.pos < this.tokens.length) {
      const tok = this.peek();
      if (tok.t === "char" && tok.v === stopAt) break;
      if (tok.t === "cmd" && tok.v === "right" && stopAt === "\\right") break;
      const atom = this.atom();
      if (atom) items.push(this.scripts(atom));
    }
    return items;
  }

  group() {
    // A braced group, or a single token as LaTeX allows (\frac12, x^2).
    const tok = this.peek();
    if (!tok) throw new Error("missing argument");
    if (tok.t === "char" && tok.v === "{") {
      this.next();
      const items = this.expression("}");
      if (!this.peek()) throw new Error("unclosed {");
      this.next();
      return mrow(items);
    }
    return this.atom() ?? el("mrow");
  }

  rawGroup() {
    // The text of a braced group, for \text{...}.
    const tok = this.next();
    if (!tok || tok.v !== "{") throw new Error("\\text needs {...}");
    let depth = 1;
    let text = "";
    while (this.pos < this.tokens.length) {
      const t = this.next();
      if (t.v === "{") depth += 1;
      if (t.v === "}" && --depth === 0) return text;
      text += t.t === "cmd" ? (SPACES[t.v] !== undefined ? " " : t.v) : t.v;
    }
    throw new Error("unclosed {");
  }

  scripts(base) {
    let sub = null;
    let sup = null;
    for (;;) {
      const tok = this.peek();
      if (!tok || tok.t !== "char" || (tok.v !== "_" && tok.v !== "^" && tok.v !== "'")) break;
      this.next();
      if (tok.v === "'") sup = el("mo", [], "′");
      else if (tok.v === "_") sub = this.group();
      else sup = this.group();
    }
    if (sub && sup) return el("msubsup", [base, sub, sup]);
    if (sub) return el("msub", [base, sub]);
    if (sup) return el("msup", [base, sup]);
    return base;
  }

  atom() {
    const tok = this.next();
    if (tok.t === "num") return el("mn", [], tok.v);
    if (tok.t === "letter") return el("mi", [], tok.v);
    if (tok.t === "char") {
      if (tok.v === "{") {
        const items = this.expression("}");
        this.next();
        return mrow(items);
      }
      if (tok.v === "}") return null;
      const map = { "-": "−", "*": "·" };
      return el("mo", [], map[tok.v] ?? tok.v);
    }
    return this.command(tok.v);
  }

  command(name) {
    if (name === "frac" || name === "dfrac" || name === "tfrac") {
      const num = this.group();
      const den = this.group();
      return el("mfrac", [num, den]);
    }
    if (name === "sqrt") return el("msqrt", [this.group()]);
    if (name in ACCENTS) {
      const accent = el("mo", [], ACCENTS[name]);
      const node = el("mover", [this.group(), accent]);
      node.setAttribute("accent", "true");
      return node;
    }
    if (TEXT_COMMANDS.has(name)) {
      const text = this.rawGroup();
      return name === "mathrm" || name === "operatorname" ? el("mi", [], text) : el("mtext", [], text);
    }
    if (STYLE_COMMANDS.has(name)) return name === "displaystyle" ? null : this.group();
    if (name === "left" || name === "right" || name === "big" || name === "Big" || name === "bigl" || name === "bigr") {
      const tok = this.next();
      if (!tok || tok.v === ".") return null;
      const map = { "{": "{", "}": "}", "|": "|", lvert: "|", rvert: "|", langle: "⟨", rangle: "⟩" };
      return el("mo", [], map[tok.v] ?? tok.v);
    }
    if (name in SPACES) {
      const space = el("mspace");
      space.setAttribute("width", SPACES[name]);
      return space;
    }
    if (name === "{" || name === "}" || name === "|" || name === "%" || name === "_") {
      return el("mo", [], name);
    }
    if (name === "\\") return el("mspace");
    if (name in LETTERS) return el("mi", [], LETTERS[name]);
    if (name in OPERATORS) return el("mo", [], OPERATORS[name]);
    if (FUNCTIONS.has(name)) return el("mi", [], name);
    return el("mi", [], name); // unknown command: show its name rather than fail
  }
}

/** A <math> element for `latex`, or a <span> holding `fallback` if it cannot be read. */
export function renderLatex(latex, { display = false, fallback = null } = {}) {
  try {
    const parser = new Parser(tokenize(latex));
    const items = parser.expression();
    const math = el("math", [el("mrow", items)]);
    if (display) math.setAttribute("display", "block");
    return math;
  } catch (err) {
    const span = document.createElement("span");
    span.className = "math-fallback";
    span.textContent = fallback ?? latex;
    return span;
  }
}
