"""The weights format of ``backproplab explain --weights``: JSON, in a file or inline.

    {"weights": [W1, W2, ...], "biases": [b1, b2, ...],
     "activations": ["sigmoid", "identity"], "loss": "mse"}

``weights[l][i][j]`` is w^(l+1)_(i+1)(j+1), the weight from neuron i+1 of one layer to
neuron j+1 of the next -- the layout of ``net.weights`` (rows: inputs, columns: units).
``biases[l][j]`` is b^(l+1)_(j+1). The layer sizes follow from the shapes. ``activations``
and ``loss`` are optional: without them the hidden layers are sigmoid and the output is
what the loss implies (identity for the default mse), as in the slides.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np

from ..engine import MLP
from ..engine.errors import InputError
from ..limits import MAX_JSON_BYTES, MAX_JSON_DEPTH, check_input_file, json_depth

KEYS = ("weights", "biases", "activations", "loss")


def read_weights_spec(spec: str) -> dict[str, Any]:
    """Parse ``spec``: inline JSON when it starts with '{', otherwise a file's path."""
    text = spec.strip()
    source = "--weights"
    if not text.startswith("{"):
        path = Path(spec)
        if not path.exists():
            raise InputError(f"--weights: no such file {spec!r} (give a JSON file or inline JSON)")
        check_input_file(path, "--weights JSON file", MAX_JSON_BYTES)
        try:
            text = path.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            raise InputError(f"--weights: cannot read {spec!r}: {exc}") from None
        source = f"--weights file {spec!r}"
    if json_depth(text) > MAX_JSON_DEPTH:
        raise InputError(f"{source}: JSON nested deeper than {MAX_JSON_DEPTH} levels (the limit)")
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise InputError(
            f"{source} is not valid JSON ({exc.msg} at line {exc.lineno}, column {exc.colno})"
        ) from None
    except (ValueError, RecursionError) as exc:
        raise InputError(f"{source} is not usable JSON ({exc})") from None
    if not isinstance(data, dict):
        raise InputError(f'{source} must be a JSON object {{"weights": [...], "biases": [...]}}')
    unknown = sorted(set(data) - set(KEYS))
    if unknown:
        raise InputError(f"{source}: unknown key(s) {unknown}; expected {list(KEYS)}")
    for key in ("weights", "biases"):
        if key not in data:
            raise InputError(f'{source} needs a "{key}" list (one entry per layer)')
    return data


def network_from_weights(data: dict[str, Any]) -> MLP:
    """An MLP carrying exactly these weights and biases (shapes checked layer by layer)."""
    weights, biases = data["weights"], data["biases"]
    if not isinstance(weights, list) or not weights:
        raise InputError('--weights: "weights" must be a non-empty list of matrices')
    if not isinstance(biases, list) or len(biases) != len(weights):
        raise InputError(
            f'--weights: "biases" must be a list of {len(weights)} vectors, one per weight matrix'
        )
    arrays = []
    for l, (w, b) in enumerate(zip(weights, biases, strict=True), start=1):
        W = _numeric(w, f"weights[{l - 1}] (layer {l})")
        B = _numeric(b, f"biases[{l - 1}] (layer {l})")
        if W.ndim != 2:
            raise InputError(
                f"--weights: weights[{l - 1}] (layer {l}) must be a matrix (a list of rows), "
                f"got shape {W.shape}"
            )
        if B.shape != (W.shape[1],):
            raise InputError(
                f"--weights: biases[{l - 1}] (layer {l}) must have {W.shape[1]} values "
                f"(one per column of weights[{l - 1}]), got shape {B.shape}"
            )
        if arrays and arrays[-1][0].shape[1] != W.shape[0]:
            raise InputError(
                f"--weights: weights[{l - 1}] has {W.shape[0]} rows but layer {l - 1} has "
                f"{arrays[-1][0].shape[1]} units"
            )
        arrays.append((W, B))
    sizes = [arrays[0][0].shape[0]] + [W.shape[1] for W, _ in arrays]
    loss = data.get("loss", "mse")
    activations = data.get("activations")
    net = MLP(sizes, activations, loss=loss) if activations is not None else MLP(sizes, loss=loss)
    net.weights = [W for W, _ in arrays]
    net.biases = [B for _, B in arrays]
    return net


def _numeric(value: Any, name: str) -> np.ndarray:
    try:
        arr = np.array(value, dtype=float)
    except (TypeError, ValueError):
        raise InputError(f"--weights: {name} must be numbers in nested lists") from None
    if not np.isfinite(arr).all():
        raise InputError(f"--weights: {name} contains NaN or inf")
    return arr
