// Talking to the lab's server. Each tab has its own session id, kept in sessionStorage
// (which is per tab) and sent with every request, so two tabs never share a network.

const KEY = "backproplab-lab-session";

function newSessionId() {
  if (crypto.randomUUID) return crypto.randomUUID();
  const bytes = crypto.getRandomValues(new Uint8Array(16));
  return Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
}

export function sessionId() {
  let id = sessionStorage.getItem(KEY);
  if (!id) {
    id = newSessionId();
    sessionStorage.setItem(KEY, id);
  }
  return id;
}

/** An error answer of the server: its one-line message, status and code. */
export class ApiError extends Error {
  constructor(message, status, code) {
    super(message);
    this.status = status;
    this.code = code;
  }
}

/**
 * The page's transport: fetch to the server that served it. A transport takes (method,
 * path, body, contentType) and resolves to {status, statusText, payload}; it rejects (with
 * an ApiError of status 0) only when the lab cannot be reached. `body` is sent as JSON, or
 * as it is (a File) with another contentType. The notebook widget plugs in its own, which
 * carries the same requests over the widget's model messages to the kernel.
 */
export async function fetchTransport(method, path, body, contentType = "application/json") {
  const init = { method, headers: { "X-Lab-Session": sessionId() } };
  if (body !== undefined) {
    init.headers["Content-Type"] = contentType;
    init.body = contentType === "application/json" ? JSON.stringify(body) : body;
  }
  let response;
  try {
    response = await fetch(path, init);
  } catch (err) {
    throw new ApiError("the lab's server does not answer (was it stopped?)", 0, "offline");
  }
  let payload = null;
  try {
    payload = await response.json();
  } catch (err) {
    payload = null;
  }
  return { status: response.status, statusText: response.statusText, payload };
}

/** The lab's API over `transport`; an answer outside 2xx becomes an ApiError. */
export function createApi(transport = fetchTransport) {
  async function request(method, path, body, contentType = "application/json") {
    const { status, statusText = "", payload } = await transport(method, path, body, contentType);
    if (status < 200 || status > 299) {
      const message = payload?.error ?? `${status} ${statusText}`.trim();
      throw new ApiError(message, status, payload?.code ?? "http");
    }
    return payload;
  }
  return {
    request,
    options: () => request("GET", "/api/options"),
    configure: (config) => request("POST", "/api/config", config),
    state: () => request("GET", "/api/state"),
    phase: (name) => request("POST", `/api/${name}`),
    train: (epochs, maxMs) => request("POST", "/api/train", { epochs, max_ms: maxMs }),
    reset: () => request("POST", "/api/reset"),
    select: (sample) => request("POST", "/api/select", { sample }),
    settings: (settings) => request("POST", "/api/settings", settings),
    explain: (param) => request("GET", `/api/explain?param=${encodeURIComponent(param)}`),
  };
}

export const api = createApi();

/** One call of the page's API (the lab's own-data, practice and health panels use it). */
export function request(method, path, body, contentType = "application/json") {
  return api.request(method, path, body, contentType);
}
