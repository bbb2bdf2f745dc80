// Helpers of the own-data, practice and gradient-health panels (lab-features.js).

import { ApiError, sessionId } from "./api.js";

/** A request to one of the features' endpoints; errors as the page's ApiError. */
export async function featureRequest(method, path, body, contentType = "application/json") {
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
  if (!response.ok) {
    throw new ApiError(payload?.error ?? `${response.status} ${response.statusText}`, response.status, payload?.code ?? "http");
  }
  return payload;
}

/** A child element with attributes and text. */
export function el(parent, tag, attrs = {}, text = null) {
  const node = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) node.setAttribute(k, v);
  if (text !== null) node.textContent = text;
  if (parent) parent.append(node);
  return node;
}

const SVG = "http://www.w3.org/2000/svg";

/** An SVG child element with attributes (and text). */
export function svgEl(parent, tag, attrs = {}, text = null) {
  const node = document.createElementNS(SVG, tag);
  for (const [k, v] of Object.entries(attrs)) node.setAttribute(k, String(v));
  if (text !== null) node.textContent = text;
  if (parent) parent.append(node);
  return node;
}
