"""Where a training run stands, so that it can stop and go on exactly where it was.

``fit`` returns it as ``History.state`` (and on ``DivergenceError.state``, and to an
``on_checkpoint`` function as training goes); ``fit(..., resume=state)`` with the same
arguments continues from it, and the run ends with the same parameters, bit for bit, as
one that never stopped: the state holds the optimiser's buffers and step count, the epoch
counter, the shuffling generator's state and the current row order, the early-stopping
bookkeeping, the History so far, and which path (NumPy or compiled) the run took.

It round-trips through plain arrays and JSON (``to_arrays``, ``to_json``,
``from_parts``), which is how model files store it: no pickle.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from .errors import InputError

Array = np.ndarray

FORMAT = 1


@dataclass
class TrainingState:
    #: Epochs finished so far, and the run's planned total (``epochs`` of the first call).
    epoch: int
    epochs: int
    #: "numpy" or "compiled": a resumed run keeps the path, so the rounding is the same.
    path: str
    #: The optimiser's name, step count and buffers (``velocity``, ``m``, ``v``).
    optimizer: str
    steps: int
    buffers: dict[str, Array] = field(default_factory=dict)
    #: The shuffling generator's state (numpy's bit_generator.state) and the row order.
    rng: dict[str, Any] = field(default_factory=dict)
    order: Array | None = None
    #: Early stopping: best score, its epoch, epochs waited, and the best parameters.
    best_score: float | None = None
    best_epoch: int | None = None
    waited: int = 0
    best: list[Array] | None = None
    #: The History so far (a ``History``, or its ``to_dict()`` once read back from a file).
    history: Any = field(default_factory=dict)
    #: Why the run stopped ("completed", "callback", "early_stopping", "diverged", ...).
    stop_reason: str = "completed"

    @property
    def finished(self) -> bool:
        return self.epoch >= self.epochs or self.stop_reason in ("early_stopping", "diverged")

    # ------------------------------------------------------------------ files
    def to_arrays(self) -> dict[str, Array]:
        """The state's arrays, named for an npz archive."""
        out = {f"buffer.{k}": np.asarray(v) for k, v in self.buffers.items()}
        if self.order is not None:
            out["order"] = np.asarray(self.order, dtype=np.int64)
        for i, p in enumerate(self.best or []):
            out[f"best.{i}"] = np.asarray(p)
        return out

    def to_json(self) -> dict[str, Any]:
        """Everything else, as JSON-safe values (NaN/inf become null)."""
        return _json_safe(
            {
                "format": FORMAT,
                "epoch": self.epoch,
                "epochs": self.epochs,
                "path": self.path,
                "optimizer": self.optimizer,
                "steps": self.steps,
                "rng": self.rng,
                "best_score": self.best_score,
                "best_epoch": self.best_epoch,
                "waited": self.waited,
                "n_best": len(self.best or []),
                "history": self.history
                if isinstance(self.history, dict)
                else self.history.to_dict(),
                "stop_reason": self.stop_reason,
            }
        )

    @classmethod
    def from_parts(cls, arrays: dict[str, Array], meta: dict[str, Any]) -> TrainingState:
        """Rebuild a state from :meth:`to_arrays` and :meth:`to_json` (checked)."""
        try:
            if meta.get("format") != FORMAT:
                raise InputError(f"training state format {meta.get('format')!r} is not {FORMAT}")
            n_best = int(meta.get("n_best", 0))
            state = cls(
                epoch=int(meta["epoch"]),
                epochs=int(meta["epochs"]),
                path=str(meta["path"]),
                optimizer=str(meta["optimizer"]),
                steps=int(meta["steps"]),
                buffers={
                    k.split(".", 1)[1]: np.asarray(v)
                    for k, v in arrays.items()
                    if k.startswith("buffer.")
                },
                rng=dict(meta["rng"]),
                order=np.asarray(arrays["order"]) if "order" in arrays else None,
                best_score=_number_or_none(meta.get("best_score")),
                best_epoch=None if meta.get("best_epoch") is None else int(meta["best_epoch"]),
                waited=int(meta.get("waited", 0)),
                best=[np.asarray(arrays[f"best.{i}"]) for i in range(n_best)] or None,
                history=dict(meta.get("history", {})),
                stop_reason=str(meta.get("stop_reason", "completed")),
            )
        except (KeyError, TypeError, ValueError) as exc:
            raise InputError(f"the training state is incomplete or malformed ({exc})") from None
        if state.path not in ("numpy", "compiled") or not 0 <= state.epoch <= state.epochs:
            raise InputError("the training state is malformed (path or epoch counter)")
        return state

    def dumps(self) -> str:
        return json.dumps(self.to_json(), allow_nan=False)


def _number_or_none(value: Any) -> float | None:
    return None if value is None else float(value)


def _json_safe(value: Any) -> Any:
    if isinstance(value, dict):
        return {str(k): _json_safe(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_json_safe(v) for v in value]
    if isinstance(value, float | np.floating):
        return float(value) if np.isfinite(value) else None
    if isinstance(value, np.integer):
        return int(value)
    return value
