// The configuration lives in the URL's query, so a set-up can be bookmarked or shared
// and a reload comes back to it. The server validates whatever arrives from here.

const CODES = {
  s: "sigmoid",
  t: "tanh",
  r: "relu",
  l: "leaky_relu",
  i: "identity",
  e: "elu",
  p: "softplus",
  u: "silu",
  g: "gelu",
};
const NAMES = Object.fromEntries(Object.entries(CODES).map(([k, v]) => [v, k]));

/** "2s,4t" <-> [{units: 2, activation: "sigmoid"}, {units: 4, activation: "tanh"}] */
function encodeHidden(hidden) {
  return hidden.map((h) => `${h.units}${NAMES[h.activation] ?? "s"}`).join(",");
}

function decodeHidden(text) {
  if (text === "") return [];
  return text.split(",").map((part) => {
    const m = /^(\d+)([a-z]?)$/.exec(part.trim());
    if (!m) throw new Error(`bad layer ${part}`);
    return { units: Number(m[1]), activation: CODES[m[2]] ?? "sigmoid" };
  });
}

export function configToQuery(config, view) {
  const q = new URLSearchParams();
  q.set("data", config.data);
  if (config.data !== "slides" && config.n_samples !== null) q.set("n", String(config.n_samples));
  if (config.noise !== null && config.noise !== undefined) q.set("noise", String(config.noise));
  q.set("hidden", encodeHidden(config.hidden));
  q.set("out", config.output);
  q.set("loss", config.loss);
  q.set("lr", String(config.lr));
  q.set("batch", config.batch_size === null ? "full" : String(config.batch_size));
  q.set("seed", String(config.seed));
  q.set("sw", config.slides_weights ? "1" : "0");
  if (view && view !== "values") q.set("view", view);
  return q.toString();
}

/** The configuration in `search` on top of `defaults`; unreadable parts keep the default. */
export function queryToConfig(search, defaults) {
  const q = new URLSearchParams(search);
  const config = structuredClone(defaults);
  const num = (key, parse) => {
    if (!q.has(key)) return undefined;
    const value = parse(q.get(key));
    return Number.isFinite(value) ? value : undefined;
  };
  const set = (field, value) => {
    if (value !== undefined) config[field] = value;
  };
  if (q.has("data")) config.data = q.get("data");
  set("n_samples", num("n", (v) => parseInt(v, 10)));
  set("noise", num("noise", parseFloat));
  if (q.has("hidden")) {
    try {
      config.hidden = decodeHidden(q.get("hidden"));
    } catch (err) {
      /* keep the default layers */
    }
  }
  if (q.has("out")) config.output = q.get("out");
  if (q.has("loss")) config.loss = q.get("loss");
  set("lr", num("lr", parseFloat));
  if (q.get("batch") === "full") config.batch_size = null;
  else set("batch_size", num("batch", (v) => parseInt(v, 10)));
  set("seed", num("seed", (v) => parseInt(v, 10)));
  if (q.has("sw")) config.slides_weights = q.get("sw") !== "0";
  const view = q.get("view") === "gradients" ? "gradients" : "values";
  return { config, view };
}

export function writeUrl(config, view) {
  const url = `${location.pathname}?${configToQuery(config, view)}`;
  if (url !== `${location.pathname}${location.search}`) history.replaceState(null, "", url);
}
