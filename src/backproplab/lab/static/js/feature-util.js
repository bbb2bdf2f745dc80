// Helpers of the own-data, practice and gradient-health panels (lab-features.js).

import { request } from "./api.js";

/** A request to one of the features' endpoints (the page's own request, errors as ApiError). */
export const featureRequest = request;

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
