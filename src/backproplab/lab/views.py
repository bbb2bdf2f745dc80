"""What the page receives: a session turned into plain JSON-ready values.

Nothing here computes a derivative: the gradients and deltas are the engine's, the node
values are the engine's forward pass, and the heat map is the engine's prediction on a
grid of points. This module picks, sums over a batch's rows and lists them.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from .feature_views import feature_views
from .labels import network_labels
from .session import LabSession, is_slides_architecture

#: Cells per side of the heat map (the prediction over the data's window).
HEATMAP_SIZE = 40


def state_view(session: LabSession, *, include_data: bool = False) -> dict[str, Any]:
    """The whole state of a tab, as the page draws it."""
    net = session.net
    view: dict[str, Any] = {
        "session": session.id,
        "config": session.config.model_dump(),
        "network": {
            "layer_sizes": list(net.layer_sizes),
            "activations": net.activations,
            "loss": net.loss_name,
            "slides": is_slides_architecture(net.layer_sizes, net.activations, net.loss_name),
            "n_parameters": net.n_parameters,
        },
        "params": {
            "weights": [w.tolist() for w in net.weights],
            "biases": [b.tolist() for b in net.biases],
        },
        "phase": session.phase,
        "updates": session.updates,
        "epochs": session.epochs,
        "lr": session.config.lr,
        "batch_size": session.batch_size,
        "selected": session.selected,
        "batch": None if session.batch is None else _batch_view(session),
        "forward": _forward_view(session),
        "backward": _backward_view(session),
        "loss": session.history[-1][1],
        "history": [[u, loss] for u, loss in session.history],
        "heatmap": heatmap_view(session),
    }
    if include_data:
        # Sent when the network is (re)built: the names depend on its layout alone.
        view["data"] = data_view(session)
        view["labels"] = network_labels(net.layer_sizes)
    feature_views(session, view)  # own data, practice mode, gradient health
    return view


def _batch_view(session: LabSession) -> dict[str, Any]:
    batch = session.batch
    assert batch is not None
    return {"size": int(batch.size), "indices": batch.tolist()}


def _forward_view(session: LabSession) -> dict[str, Any] | None:
    """z and a of every neuron for the selected sample, from the forward pass shown."""
    if session.phase == "ready" or session.trace is None or session.batch is None:
        return None
    trace, batch, sel = session.trace, session.batch, session.selected
    rows = np.flatnonzero(batch == sel)
    if rows.size:
        r = int(rows[0])
        zs = [z[r] for z in trace.z]
        acts = [a[r] for a in trace.a]
    else:  # the selected sample is not in this batch: its own forward pass, same weights
        own = session.display_net.forward(session.X[sel : sel + 1])
        zs = [z[0] for z in own.z]
        acts = [a[0] for a in own.a]
    target = session.Y[sel]
    return {
        "sample": sel,
        "in_batch": bool(rows.size),
        "z": [z.tolist() for z in zs],
        "a": [a.tolist() for a in acts],
        "target": np.atleast_1d(target).tolist(),
        "batch_loss": _batch_loss(session),
    }


def _batch_loss(session: LabSession) -> float:
    """L over the batch of the forward pass on display (the engine's loss of its trace)."""
    trace, batch = session.trace, session.batch
    assert trace is not None and batch is not None
    net = session.display_net
    return float(net.loss_function.value(trace.z[-1], trace.output, session.Y[batch]))


def _backward_view(session: LabSession) -> dict[str, Any] | None:
    """dL/dw, dL/db, and each neuron's delta summed over the batch (= dL/db)."""
    grads = session.grads
    if session.phase not in ("backward", "update") or grads is None:
        return None
    out_grad = grads.activation_grads[-1] if grads.activation_grads else None
    return {
        "loss": float(grads.loss),
        "weights": [g.tolist() for g in grads.weights],
        "biases": [g.tolist() for g in grads.biases],
        # Each row of a delta is one sample's term, already carrying the 1/n of the mean.
        "deltas": [d.sum(axis=0).tolist() for d in grads.deltas],
        "output_grad": None if out_grad is None else out_grad.sum(axis=0).tolist(),
    }


def heatmap_grid(session: LabSession, size: int = HEATMAP_SIZE) -> np.ndarray:
    """Cell centres of the heat map, row 0 at the top (largest x2), as network inputs
    (size*size, d): for d > 2 the plotted two features, the others at their mean."""
    (x0, x1), (y0, y1) = session.data.bounds
    xs = x0 + (np.arange(size) + 0.5) * (x1 - x0) / size
    ys = y1 - (np.arange(size) + 0.5) * (y1 - y0) / size
    gx, gy = np.meshgrid(xs, ys)
    return session.data.inputs_for(np.column_stack([gx.ravel(), gy.ravel()]))


def heatmap_view(session: LabSession, size: int = HEATMAP_SIZE) -> dict[str, Any]:
    """The current network's prediction over the data's window."""
    out = session.net.predict(heatmap_grid(session, size))
    view: dict[str, Any] = {"size": size, "bounds": [list(b) for b in session.data.bounds]}
    with np.errstate(invalid="ignore"):
        if session.data.task == "regression":
            values = out[:, 0]
            finite = values[np.isfinite(values)]
            view.update(
                kind="regression",
                values=_rounded(values),
                vmin=float(finite.min()) if finite.size else 0.0,
                vmax=float(finite.max()) if finite.size else 1.0,
            )
        elif out.shape[1] == 1:
            view.update(kind="binary", values=_rounded(out[:, 0]))
        else:
            view.update(
                kind="multiclass",
                classes=out.argmax(axis=1).tolist(),
                values=_rounded(out.max(axis=1)),
            )
    return view


def data_view(session: LabSession) -> dict[str, Any]:
    data = session.data
    return {
        "name": data.name,
        "task": data.task,
        "class_names": list(data.class_names),
        "X": data.shown().tolist(),
        "labels": data.labels.tolist(),
        "bounds": [list(b) for b in data.bounds],
    }


def _rounded(values: np.ndarray) -> list[float | None]:
    """Four decimals are plenty for a colour; non-finite values become null."""
    rounded = np.round(values.astype(np.float64), 4)
    if np.isfinite(rounded).all():
        return rounded.tolist()
    return [float(v) if np.isfinite(v) else None for v in rounded]
