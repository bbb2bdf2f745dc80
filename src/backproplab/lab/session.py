"""One tab's experiment: its network, its data, and where it is in the slides' cycle.

The cycle is the slides': Forward (z and a of every neuron for the batch), Backward
(every dL/dw and delta, from that forward pass), Update (w <- w - eta dL/dw for every
parameter at once). Every number comes from the engine: this module only decides which
engine call runs next and keeps its results for the page.
"""

from __future__ import annotations

import threading
import time

import numpy as np

from ..engine import MLP, DivergenceError, Gradients, InputError, Trace
from .data import LabData, load_lab_data
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
    sizes = [2, *(h.units for h in config.hidden), n_out]
    acts = [h.activation for h in config.hidden] + [output]
    if config.slides_weights and is_slides_architecture(sizes, acts, config.loss):
        return MLP.slides_network()
    return MLP(sizes, acts, loss=config.loss, seed=config.seed)


def is_slides_architecture(sizes: list[int], activations: list[str], loss: str) -> bool:
    """True for the slides' 2-2-1 network: sigmoid hidden units, a linear output, mse."""
    return sizes == [2, 2, 1] and activations == ["sigmoid", "identity"] and loss == "mse"


class LabSession:
    """The state of one browser tab. Callers hold ``lock`` around every method."""

    def __init__(self, session_id: str, config: LabConfig) -> None:
        self.id = session_id
        self.lock = threading.Lock()
        self.last_used = time.monotonic()
        self.configure(config)

    # ------------------------------------------------------------------ set-up
    def configure(self, config: LabConfig) -> None:
        """Load the data and build a fresh network for ``config``."""
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

        With ``max_seconds``, stops after the first epoch that ends past that time.
        Returns the number of epochs run.
        """
        n, bs = self.data.n_samples, self.batch_size
        per_epoch = -(-n // bs)
        if epochs * per_epoch > MAX_UPDATES_PER_REQUEST:
            raise LabConflict(
                f"{epochs} epochs x {per_epoch} batches per epoch is more than "
                f"{MAX_UPDATES_PER_REQUEST} updates in one request; ask for fewer epochs"
            )
        self._clear_cycle()
        net, lr = self.net, self.config.lr
        deadline = None if max_seconds is None else time.perf_counter() + max_seconds
        for done in range(1, epochs + 1):
            order = self.rng.permutation(n) if bs < n else None
            for start in range(0, n, bs):
                idx = slice(None) if order is None else order[start : start + bs]
                # The checked-array path of the engine: X and Y were validated once.
                grads = net._train_gradients(self.X[idx], self.Y[idx])
                if not np.isfinite(grads.loss):
                    self._record()
                    raise DivergenceError(
                        f"the loss became {grads.loss} in epoch {self.epochs + 1}; the "
                        "parameters keep their last finite values (try a smaller learning rate)"
                    )
                net.apply_gradients(grads, lr)
                self.updates += 1
            self.epochs += 1
            self._record()
            if deadline is not None and time.perf_counter() > deadline:
                return done
        return epochs

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
        self.history.append((self.updates, self.full_loss()))
        if len(self.history) > MAX_HISTORY:
            # Thin out the older half so a long run keeps its shape and its latest points.
            half = len(self.history) // 2
            self.history = self.history[:half:2] + self.history[half:]

    # ------------------------------------------------------------------ what is shown
    @property
    def display_net(self) -> MLP:
        """The network whose forward pass is on display (before the Update, after one)."""
        return self.before if self.phase == "update" and self.before is not None else self.net
