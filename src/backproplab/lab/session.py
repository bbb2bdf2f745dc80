"""One tab's experiment: its network, its data, and where it is in the slides' cycle.

The cycle is the slides': Forward (z and a of every neuron for the batch), Backward
(every dL/dw and delta, from that forward pass), Update (w <- w - eta dL/dw for every
parameter at once). Every number comes from the engine: this module only decides which
engine call runs next and keeps its results for the page.
"""

from __future__ import annotations

import threading
import time
from typing import Any

import numpy as np

from ..engine import MLP, DivergenceError, Gradients, InputError, Trace
from .data import LabData, load_lab_data
from .health import HealthLog
from .models import MAX_UPDATES_PER_REQUEST, LabConfig

#: The phases; "ready" means nothing of the current cycle is computed yet.
PHASES = ("ready", "forward", "backward", "update")
#: Loss-curve points kept per session (older ones are thinned out, never the newest).
MAX_HISTORY = 2000


class LabConflict(Exception):
    """The request is valid but does not fit the session's state (HTTP 409)."""


def build_network(config: LabConfig, data: LabData) -> MLP:
    """The network the configuration describes (the engine checks the combination)."""
    n_out = data.output_units(config.loss)
    output = {"bce": "sigmoid", "cross_entropy": "softmax"}.get(config.loss, config.output)
    # Say it in the lab's terms: the user picks data and loss, not the output's size.
    if config.loss == "cross_entropy" and data.task == "regression":
        raise InputError(
            "loss cross_entropy needs classes, and the slides' example has a numeric target "
            "(y = 0.01): use mse, or bce for a target between 0 and 1"
        )
    if output == "softmax" and n_out == 1:
        raise InputError(
            "output softmax over this data's one output unit is always 1: choose identity, "
            "sigmoid or tanh (or loss cross_entropy, which gives one unit per class)"
        )
    sizes = [data.n_features, *(h.units for h in config.hidden), n_out]
    acts = [h.activation for h in config.hidden] + [output]
    if config.slides_weights and is_slides_architecture(sizes, acts, config.loss):
        return MLP.slides_network()
    return MLP(sizes, acts, loss=config.loss, seed=config.seed)


def is_slides_architecture(sizes: list[int], activations: list[str], loss: str) -> bool:
    """True for the slides' 2-2-1 network: sigmoid hidden units, a linear output, mse."""
    return sizes == [2, 2, 1] and activations == ["sigmoid", "identity"] and loss == "mse"


class LabSession:
    """The state of one browser tab. Callers hold ``lock`` around every method."""

    def __init__(self, session_id: str, config: LabConfig, uploaded: LabData | None = None) -> None:
        self.id = session_id
        self.lock = threading.Lock()
        self.last_used = time.monotonic()
        #: The tab's own data (a CSV, see upload.py): what ``data="csv"`` means.
        self.uploaded = uploaded
        self.practice: Any = None  # practice mode, see practice_view.py
        self.configure(config)

    # ------------------------------------------------------------------ set-up
    def configure(self, config: LabConfig) -> None:
        """Load the data and build a fresh network for ``config``."""
        if config.data == "csv":
            if self.uploaded is None:
                raise LabConflict(
                    "no CSV file in this tab yet: choose one under 'Your data' (or drop it on "
                    "the page)"
                )
            data = self.uploaded
        else:
            data = load_lab_data(
                config.data, n_samples=config.n_samples, noise=config.noise, seed=config.seed
            )
        net = build_network(config, data)  # may raise InputError: nothing changed yet
        self.config = config
        self.data = data
        self._start(net)

    def reset(self) -> None:
        """The same configuration from its initial weights (same seed)."""
        self._start(build_network(self.config, self.data))

    def _start(self, net: MLP) -> None:
        self.net = net
        self.X = net.check_X(self.data.X)
        self.Y = net.check_Y(self.data.targets(self.config.loss), self.X.shape[0])
        self.rng = np.random.default_rng(self.config.seed)
        self.order = np.arange(self.data.n_samples)
        self.cursor = 0
        self.phase = "ready"
        self.batch: np.ndarray | None = None
        self.trace: Trace | None = None
        self.grads: Gradients | None = None
        self.before: MLP | None = None  # the network before the last Update
        self.updates = 0
        self.epochs = 0
        self.selected = 0
        self.history: list[tuple[int, float]] = []
        self.health = HealthLog(net.n_layers)
        self._record()

    # ------------------------------------------------------------------ settings
    def set_learning_rate(self, lr: float) -> None:
        self.config = self.config.model_copy(update={"lr": lr})

    def set_batch_size(self, batch_size: int | None) -> None:
        self.config = self.config.model_copy(update={"batch_size": batch_size})
        self.cursor = 0

    def select(self, sample: int) -> None:
        if sample >= self.data.n_samples:
            raise LabConflict(
                f"sample {sample} does not exist: the data has {self.data.n_samples} samples "
                f"(0 to {self.data.n_samples - 1})"
            )
        self.selected = sample

    @property
    def batch_size(self) -> int:
        """The effective batch size (no batch size: the full batch, as in the slides)."""
        bs = self.config.batch_size
        return self.data.n_samples if bs is None else min(bs, self.data.n_samples)

    # ------------------------------------------------------------------ the cycle
    def forward(self) -> None:
        if self.phase in ("forward", "backward"):
            nxt = "Backward" if self.phase == "forward" else "Update"
            raise LabConflict(f"Forward is done for this batch; the next phase is {nxt}")
        self.batch = self._next_batch()
        self.trace = self.net.forward(self.X[self.batch])
        self.grads = None
        self.before = None
        self.phase = "forward"

    def backward(self) -> None:
        if self.phase != "forward":
            raise LabConflict(
                "Backward needs the forward pass of this batch: run Forward first"
                if self.phase in ("ready", "update")
                else "Backward is done for this batch; the next phase is Update"
            )
        assert self.trace is not None and self.batch is not None
        self.grads = self.net.backward(self.trace, self.Y[self.batch])
        self.phase = "backward"

    def update(self) -> None:
        if self.phase != "backward":
            raise LabConflict(
                "Update needs the gradients of this batch: run Backward first"
                if self.phase == "forward"
                else "Update needs gradients: run Forward, then Backward"
            )
        assert self.grads is not None
        if not np.isfinite(self.grads.loss):
            raise DivergenceError(
                f"the loss is {self.grads.loss}; the parameters were left unchanged "
                "(try a smaller learning rate)"
            )
        self.before = self.net.copy()
        self.net.apply_gradients(self.grads, self.config.lr)
        self.updates += 1
        self.phase = "update"
        self._record()

    def step(self) -> None:
        """Whatever is left of the cycle: Forward, Backward and Update."""
        if self.phase in ("ready", "update"):
            self.forward()
        if self.phase == "forward":
            self.backward()
        self.update()

    def train(self, epochs: int, max_seconds: float | None = None) -> int:
        """``epochs`` passes over the data in shuffled mini-batches (or full batches).

        The epochs run through the engine's public ``net.fit`` (and so its compiled fast
        paths), in chunks of whole epochs. With ``max_seconds``, each chunk is sized from
        the time the ones before took, and training stops after the first chunk that ends
        past that time. Returns the number of epochs run.
        """
        n, bs = self.data.n_samples, self.batch_size
        per_epoch = -(-n // bs)
        if epochs * per_epoch > MAX_UPDATES_PER_REQUEST:
            raise LabConflict(
                f"{epochs} epochs x {per_epoch} batches per epoch is more than "
                f"{MAX_UPDATES_PER_REQUEST} updates in one request; ask for fewer epochs"
            )
        self._clear_cycle()
        started = time.perf_counter()
        deadline = None if max_seconds is None else started + max_seconds
        done, chunk = 0, epochs if deadline is None else 1
        while done < epochs:
            chunk = min(chunk, epochs - done)
            self._fit(chunk, per_epoch)
            done += chunk
            if deadline is None:
                continue
            now = time.perf_counter()
            if now > deadline:
                break
            # Fill the rest of the budget at the rate measured so far (at most doubling,
            # so that one slow epoch cannot make a chunk run far past the deadline).
            per = (now - started) / done
            chunk = max(1, min(2 * done, int((deadline - now) / per) if per > 0 else 2 * done))
        return done

    def _fit(self, epochs: int, per_epoch: int) -> None:
        """``epochs`` epochs of ``net.fit``; the loss curve gets one point per epoch."""
        # A fresh shuffling seed per call, drawn from the session's generator: the same
        # configuration gives the same run, and no two calls repeat the same order.
        seed = int(self.rng.integers(2**63))
        first = self.updates
        try:
            history = self.net.fit(
                self.X, self.Y, epochs=epochs, lr=self.config.lr,
                batch_size=None if per_epoch == 1 else self.batch_size, seed=seed,
            )  # fmt: skip
        except DivergenceError as exc:
            self._diverged(exc, per_epoch)
        losses = history.metrics["loss"]
        # fit's loss of an epoch is measured during it (for full batch: before its update),
        # so the epoch k > 1 of full batch gives L after k - 1 updates exactly; mini-batch
        # epochs give their mean batch loss, drawn at the epoch's end.
        full = per_epoch == 1
        for k in range(1, epochs):
            loss = losses[k] if full else losses[k - 1]
            self._append(first + (k if full else k * per_epoch), loss)
        self.health.record(history, first, per_epoch)
        self.updates += epochs * per_epoch
        self.epochs += epochs
        self._record()

    def _diverged(self, exc: DivergenceError, per_epoch: int) -> None:
        """Count what fit kept, and say where it broke in this session's epochs."""
        history = getattr(exc, "history", None)
        completed = len(history) if history is not None else 0
        # fit put back the parameters of an epoch start before the one that broke.
        kept = max(completed - 1, 0)
        self.updates += kept * per_epoch
        self.epochs += kept
        self._record()
        epoch = self.epochs + (completed - kept) + 1
        # fit's diagnosis, counted in this session's updates (health.py words it).
        first = self.updates - kept * per_epoch
        error = DivergenceError(self.health.diverged(exc, first, per_epoch, self.config.lr))
        for attr in ("layer", "step", "suggested_lr"):
            if hasattr(exc, attr):
                setattr(error, attr, getattr(exc, attr))
        error.history = history  # type: ignore[attr-defined]
        error.epoch = epoch  # type: ignore[attr-defined]
        raise error from None

    def _clear_cycle(self) -> None:
        self.phase = "ready"
        self.batch = None
        self.trace = None
        self.grads = None
        self.before = None

    def _next_batch(self) -> np.ndarray:
        n, bs = self.data.n_samples, self.batch_size
        if bs >= n:
            return np.arange(n)  # the slides' full batch, in the data's order
        if self.cursor == 0:
            self.order = self.rng.permutation(n)
        batch = self.order[self.cursor : self.cursor + bs]
        self.cursor += bs
        if self.cursor >= n:
            self.cursor = 0
            self.epochs += 1
        return batch

    # ------------------------------------------------------------------ loss curve
    def full_loss(self) -> float:
        """L over all the data for the current parameters."""
        return float(self.net.loss(self.X, self.Y))

    def _record(self) -> None:
        self._append(self.updates, self.full_loss())

    def _append(self, updates: int, loss: float) -> None:
        self.history.append((updates, float(loss)))
        if len(self.history) > MAX_HISTORY:
            # Thin out the older half so a long run keeps its shape and its latest points.
            half = len(self.history) // 2
            self.history = self.history[:half:2] + self.history[half:]

    # ------------------------------------------------------------------ what is shown
    @property
    def display_net(self) -> MLP:
        """The network whose forward pass is on display (before the Update, after one)."""
        return self.before if self.phase == "update" and self.before is not None else self.net
