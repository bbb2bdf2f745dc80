"""Gradient health for the page: each layer's gradient norm and update/weight ratio over training.

Every figure is ``fit``'s: the lab trains through ``net.fit``, whose History records both
per layer at each epoch's first step (``History.health``), and the flags are the engine's
own checks (:func:`~backproplab.engine.fit.vanishing_layers`,
:func:`~backproplab.engine.fit.exploding_layer`). When training diverges, the diagnosis
is the one :class:`~backproplab.engine.errors.DivergenceError` carries (the layer, the
step, a learning rate that would have been stable). This module only keeps the rows
(counted in the session's updates) and lists them.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from ..engine.fit import History, exploding_layer, vanishing_layers

#: Rows kept per session (older ones are thinned out, never the first or the newest).
MAX_ROWS = 120


@dataclass
class HealthLog:
    """The gradient-health rows of one session, and the diagnosis of its last divergence."""

    n_layers: int
    #: The session's update count at each row (the first update of a fit epoch).
    updates: list[int] = field(default_factory=list)
    grad_norm: list[list[float]] = field(default_factory=list)
    update_ratio: list[list[float]] = field(default_factory=list)
    diagnosis: dict[str, Any] | None = None

    def record(self, history: History | None, first_update: int, per_epoch: int) -> None:
        """Add the rows of one ``fit`` call that started after ``first_update`` updates."""
        if history is None or not history.epochs:
            return
        norms = history.layer_metric("grad_norm", self.n_layers)
        ratios = history.layer_metric("update_ratio", self.n_layers)
        for k in range(len(norms)):
            self.updates.append(first_update + k * per_epoch + 1)
            self.grad_norm.append(norms[k].tolist())
            self.update_ratio.append(ratios[k].tolist())
        if len(self.updates) > MAX_ROWS:
            # Thin out the older half so a long run keeps its first row and its latest ones.
            half = len(self.updates) // 2
            for rows in (self.updates, self.grad_norm, self.update_ratio):
                rows[:] = rows[:half:2] + rows[half:]

    def diverged(self, exc: Any, first_update: int, per_epoch: int, lr: float) -> str:
        """Keep fit's diagnosis of a divergence (counted in the session's updates); its text."""
        history = getattr(exc, "history", None)
        self.record(history, first_update, per_epoch)
        layer = getattr(exc, "layer", None)
        step = getattr(exc, "step", None)
        update = first_update + step if step is not None else None
        since = None
        if layer is not None and history is not None and history.epochs:
            # Where the named layer's gradients began to explode: the engine's test on that
            # layer's norms in the fit call that broke (whole, not thinned like the log).
            norms = history.layer_metric("grad_norm", self.n_layers)[:, [layer - 1]]
            exploded = exploding_layer(norms)
            if exploded is not None:
                since = first_update + exploded[0] * per_epoch + 1
        suggested = getattr(exc, "suggested_lr", None) or None
        parts = ["training diverged"]
        if update is not None:
            parts.append(f" at update {update}")
        parts.append(": the loss became infinite or NaN")
        if layer is not None:
            parts.append(f"; the gradients of layer {layer} exploded first")
            if since is not None:
                parts.append(f" (from update {since})")
        parts.append("; the parameters keep their last finite values; try a smaller learning rate")
        parts.append(
            f" (lr was {lr:g}" + (f"; about {suggested:g} should be stable)" if suggested else ")")
        )
        message = "".join(parts)
        self.diagnosis = {
            "layer": layer,
            "update": update,
            "since_update": since,
            "lr": lr,
            "suggested_lr": suggested,
            "message": message,
        }
        return message

    def _norms(self) -> np.ndarray:
        return np.array(self.grad_norm, dtype=float).reshape(len(self.grad_norm), self.n_layers)

    def view(self) -> dict[str, Any]:
        """What the health panel draws: the rows, the latest figures and the flags."""
        norms = self._norms()
        exploded = exploding_layer(norms)
        return {
            "layers": self.n_layers,
            "updates": list(self.updates),
            "grad_norm": [_rounded(row) for row in self.grad_norm],
            "update_ratio": [_rounded(row) for row in self.update_ratio],
            "vanishing": [{"layer": l, "ratio": _sig(r)} for l, r in vanishing_layers(norms)],
            "exploding": None
            if exploded is None
            else {"layer": exploded[1], "update": self.updates[exploded[0]]},
            "diagnosis": self.diagnosis,
        }


def _sig(value: float) -> float | None:
    """Four significant digits are plenty for a chart; non-finite values become null."""
    if not math.isfinite(value):
        return None
    return float(f"{value:.4g}")


def _rounded(row: list[float]) -> list[float | None]:
    return [_sig(v) for v in row]
