"""Figures as PNG files (Matplotlib, Agg backend: no display needed).

* :func:`plot_loss` -- the loss curve of a :class:`~backproplab.engine.fit.History`
  (and the validation loss when there is one).
* :func:`plot_decision_boundary` -- for a network with 2 inputs, the class it predicts at
  every point of the plane, with the data on top. Every prediction comes from
  ``net.predict``; nothing is computed here that the engine does not compute.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import numpy as np  # noqa: E402

# Figures are built with Matplotlib's object API on their own Agg canvas: the global
# backend (a notebook user's inline or widget backend) is never switched or touched.
from matplotlib import colormaps
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.colors import ListedColormap
from matplotlib.figure import Figure

from .engine.errors import InputError  # noqa: E402
from .engine.fit import History  # noqa: E402
from .engine.network import MLP  # noqa: E402

#: Figure size in inches and resolution: 6.4 x 4.8 in at 100 dpi is 640 x 480 pixels.
FIGSIZE = (6.4, 4.8)
DPI = 100
_COLORS = ["#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b", "#e377c2"]


def plot_loss(history: History, path: str | os.PathLike[str], *, title: str | None = None) -> Path:
    """Write the training (and validation) loss per epoch to ``path`` as a PNG."""
    if not history.loss:
        raise InputError("the History is empty: train for at least one epoch first")
    fig = Figure(figsize=FIGSIZE, dpi=DPI)
    FigureCanvasAgg(fig)
    ax = fig.add_subplot()
    try:
        ax.plot(history.epochs, history.loss, label="training loss", color=_COLORS[0])
        if "val_loss" in history:
            ax.plot(history.epochs, history["val_loss"], label="validation loss", color=_COLORS[1])
        losses = np.asarray(history.loss)
        if (losses > 0).all() and losses.max() / losses.min() > 100:
            ax.set_yscale("log")  # a loss falling by orders of magnitude reads best on a log axis
        ax.set_xlabel("epoch")
        ax.set_ylabel("loss")
        ax.set_title(title or "Loss per epoch")
        ax.grid(True, alpha=0.3)
        ax.legend()
        return _save(fig, path)
    finally:
        fig.clear()  # no pyplot figure manager holds it; free its artists now


def plot_decision_boundary(
    net: MLP,
    X: Any,
    y: Any,
    path: str | os.PathLike[str],
    *,
    transform: Callable[[np.ndarray], np.ndarray] | None = None,
    class_names: Sequence[str] | None = None,
    resolution: int = 200,
    title: str | None = None,
) -> Path:
    """The predicted class over the plane of the two inputs, with the data points.

    ``X`` holds the raw 2-D points (as plotted) and ``y`` their class indices;
    ``transform`` maps raw points to what the network takes (e.g. the saved
    standardisation). The shade shows the network's confidence in its class.
    """
    X = np.asarray(X, dtype=np.float64)
    y = np.asarray(y).astype(np.int64).ravel()
    if X.ndim != 2 or X.shape[1] != 2 or net.n_inputs != 2:
        raise InputError("a decision boundary needs a network with exactly 2 inputs and 2-D data")
    if y.shape[0] != X.shape[0]:
        raise InputError(f"y has {y.shape[0]} labels for {X.shape[0]} points")
    pad = 0.1 * (X.max(axis=0) - X.min(axis=0) + 1e-9)
    lo, hi = X.min(axis=0) - pad, X.max(axis=0) + pad
    gx, gy = np.meshgrid(
        np.linspace(lo[0], hi[0], resolution), np.linspace(lo[1], hi[1], resolution)
    )
    grid = np.column_stack([gx.ravel(), gy.ravel()])
    out = net.predict(transform(grid) if transform is not None else grid)
    if out.shape[1] == 1:
        p = out[:, 0]
        probs = np.column_stack([1.0 - p, p])
    else:
        probs = out
    k = max(probs.shape[1], int(y.max()) + 1)
    cmap = ListedColormap(_COLORS[:k] if k <= len(_COLORS) else colormaps["tab20"].colors[:k])
    cls = np.argmax(probs, axis=1).reshape(gx.shape)
    confidence = np.clip(np.max(probs, axis=1), 0.0, 1.0).reshape(gx.shape)
    fig = Figure(figsize=FIGSIZE, dpi=DPI)
    FigureCanvasAgg(fig)
    ax = fig.add_subplot()
    try:
        rgba = cmap(cls)
        rgba[..., 3] = 0.15 + 0.45 * confidence  # surer regions are darker
        ax.imshow(rgba, origin="lower", extent=(lo[0], hi[0], lo[1], hi[1]), aspect="auto")
        if probs.shape[1] >= 2:
            ax.contour(gx, gy, cls, levels=np.arange(k) + 0.5, colors="k", linewidths=0.8)
        names = list(class_names) if class_names is not None else [str(c) for c in range(k)]
        for c in range(k):
            mask = y == c
            if mask.any():
                label = names[c] if c < len(names) else str(c)
                ax.scatter(X[mask, 0], X[mask, 1], s=18, color=cmap(c), edgecolors="k",
                           linewidths=0.5, label=label)  # fmt: skip
        ax.set_xlim(lo[0], hi[0])
        ax.set_ylim(lo[1], hi[1])
        ax.set_xlabel("x1")
        ax.set_ylabel("x2")
        ax.set_title(title or "Decision boundary")
        ax.legend(loc="best", fontsize="small")
        return _save(fig, path)
    finally:
        fig.clear()  # no pyplot figure manager holds it; free its artists now


def _save(fig: Any, path: str | os.PathLike[str]) -> Path:
    path = Path(path)
    if not path.parent.is_dir():
        raise InputError(f"cannot write {path}: the directory {path.parent} does not exist")
    fig.savefig(path, format="png", dpi=DPI)
    return path
