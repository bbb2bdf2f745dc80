"""Never lose a run: Ctrl-C/SIGTERM stop at an epoch's end, checkpoints, saves that fall back.

:class:`InterruptCallback` turns the first SIGINT or SIGTERM into "stop after this epoch"
(a fit callback returning True); a second one stops at once. :class:`RunSaver` writes the
model -- with the engine's training state, so that ``--resume`` continues bit for bit --
at checkpoints, at the end, after an interrupt, and after a divergence (the parameters the
engine kept, marked so in the metadata).
"""

from __future__ import annotations

import contextlib
import hashlib
import signal
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

from ..engine.fit import Callback
from ..engine.network import MLP
from ..io import save_model
from ..outputs import OutputError, save_with_fallback


def file_sha256(path: Path) -> str | None:
    """The SHA-256 of a data file (to know later whether it is still the same data)."""
    digest = hashlib.sha256()
    try:
        with open(path, "rb") as fh:
            for block in iter(lambda: fh.read(1 << 20), b""):
                digest.update(block)
    except OSError:
        return None
    return digest.hexdigest()


class InterruptCallback(Callback):
    """Stops training at the end of the epoch in which SIGINT or SIGTERM arrived."""

    SIGNALS = (signal.SIGINT, signal.SIGTERM)

    def __init__(
        self, notify: Callable[[], None], on_begin: Callable[[], None] | None = None
    ) -> None:
        self.fired = False
        self.notify = notify
        self.on_begin = on_begin

    def on_train_begin(self, net: MLP, info: dict[str, Any]) -> None:
        if self.on_begin is not None:
            self.on_begin()

    def _handler(self, signum: int, frame: Any) -> None:
        if self.fired:  # asked twice: the user means now
            raise KeyboardInterrupt
        self.fired = True
        self.notify()

    @contextlib.contextmanager
    def installed(self) -> Iterator[InterruptCallback]:
        previous = {sig: signal.getsignal(sig) for sig in self.SIGNALS}
        for sig in self.SIGNALS:
            signal.signal(sig, self._handler)
        try:
            yield self
        finally:
            for sig, handler in previous.items():
                signal.signal(sig, handler)

    def on_epoch_end(self, epoch: int, logs: dict[str, float]) -> bool | None:
        return True if self.fired else None


class RunSaver(Callback):
    """Writes the model of a ``train`` run: checkpoints, the final file, the rescue files."""

    def __init__(self, *, dataset_name: str, out: Path | None, warn: Callable[[str], None]):
        self.dataset_name = dataset_name
        self.out = out
        self.warn = warn
        self.net: MLP | None = None
        self.preprocessing: Any = None
        self.classes: list[Any] | None = None
        self.settings: dict[str, Any] = {}
        self.epochs: int | None = None
        self.last_epoch = 0
        self.rescued = False
        self._checkpoint_failed = False

    # -- hooks
    def prepared(self, prepared: Any, net: MLP, settings: dict[str, Any]) -> None:
        """From ``pipeline.train``'s ``on_prepared``: what every save needs besides weights."""
        self.net = net
        self.preprocessing = prepared.preprocessing
        ds = prepared.dataset
        self.classes = list(ds.class_names) if ds.is_classification else None
        self.settings = settings

    def on_train_begin(self, net: MLP, info: dict[str, Any]) -> None:
        self.net = net
        self.epochs = info.get("epochs")

    def on_epoch_end(self, epoch: int, logs: dict[str, float]) -> bool | None:
        self.last_epoch = epoch
        return None

    # -- saves
    def _write(self, path: Path, *, state: Any, status: dict[str, Any], metrics: Any) -> None:
        assert self.net is not None
        save_model(
            self.net, path, preprocessing=self.preprocessing, classes=self.classes,
            extra={"settings": self.settings, "metrics": metrics},
            training_state=state, status=status,
        )  # fmt: skip

    def checkpoint(self, state: Any) -> None:
        """``on_checkpoint`` of fit: the model so far, resumable; a failure only warns."""
        if self.out is None or self.net is None:
            return
        epoch = getattr(state, "epoch", None) or self.last_epoch
        status = {"state": "checkpoint", "epoch": epoch, "of": self.epochs}
        try:
            self._write(self.out, state=state, status=status, metrics=None)
        except OSError as exc:
            if not self._checkpoint_failed:
                self.warn(f"checkpoint to {self.out} failed ({exc.strerror}); training goes on")
            self._checkpoint_failed = True

    def _rescue_path(self) -> Path:
        path = Path.cwd() / f"{self.dataset_name}-interrupted.bpl"
        k = 1
        while path.exists():
            k += 1
            path = Path.cwd() / f"{self.dataset_name}-interrupted-{k}.bpl"
        return path

    def save_final(
        self, result: Any, extra: dict[str, Any], state_name: str, *, rescue: bool
    ) -> Path | None:
        """The model at the end (or at the interrupt); None when there is nowhere to go."""
        self.settings = extra["settings"]
        target = self.out
        if target is None:
            if not rescue:
                return None
            target = self._rescue_path()  # an interrupted run is never thrown away
            self.warn(f"no --out given: saving the interrupted run to {target}")
        last = result.history.epochs[-1] if result.history.epochs else 0
        status = {"state": state_name, "epoch": last, "of": result.settings.get("epochs")}
        state = getattr(result.history, "state", None)
        saved = save_with_fallback(
            lambda p: self._write(p, state=state, status=status, metrics=extra["metrics"]),
            target, "model", self.warn,
        )  # fmt: skip
        self.rescued = saved != target
        return saved

    def diverged(self, exc: BaseException, settings: dict[str, Any]) -> str:
        """The error line for a divergence; the kept parameters saved to --out first."""
        message = str(exc)
        if self.out is None or self.net is None:
            return message
        if not self.settings:
            self.settings = settings
        status = {"state": "diverged", "epoch": getattr(exc, "epoch", None), "message": message}
        try:
            saved = save_with_fallback(
                lambda p: self._write(p, state=getattr(exc, "state", None), status=status,
                                      metrics=None),
                self.out, "model", self.warn,
            )  # fmt: skip
        except OutputError as err:
            return f"{message}; {err}"
        return (
            f"{message}; the parameters it kept are saved to {saved} "
            "(marked 'diverged' in its metadata)"
        )
