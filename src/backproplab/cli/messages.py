"""What the CLI says: option checks and warnings up front, and errors in the CLI's words.

The engine names its Python arguments (``validation_split``, ``activations[0]``); a user
of the command line typed options (``--val-split``, ``--hidden``), so the messages are
translated before they are printed. Options that would do nothing get a warning.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable
from typing import Any

import typer

from ..engine import ACTIVATION_NAMES, LOSS_NAMES
from ..engine.activations import get_activation
from ..engine.errors import InputError
from ..engine.losses import get_loss
from ..limits import check_samples, did_you_mean
from ..train.datasets import ALIASES, DATASET_NAMES

OPTIMIZERS = ("sgd", "momentum", "nesterov", "adam")
SCHEDULES = ("constant", "step", "exponential", "cosine", "inverse_time")
TASKS = ("auto", "classification", "regression")

#: Python argument names in engine messages -> the CLI option a user typed.
_WORDS = {
    "validation_split": "--val-split",
    "batch_size": "--batch-size",
    "weight_decay": "--weight-decay",
    "n_samples": "--samples",
    "split_seed": "--split-seed",
    "test_split": "--test-split",
}
_LEADING = ("lr", "momentum", "patience", "epochs", "schedule", "optimizer", "seed", "noise")


def cli_words(message: str) -> str:
    """An engine message with its Python names replaced by the CLI's options."""
    for word, option in _WORDS.items():
        message = re.sub(rf"\b{word}\b", option, message)
    message = re.sub(r"\bactivations\[(\d+)\]", lambda m: f"the activation of layer "
                     f"{int(m.group(1)) + 1} (--hidden / --output)", message)  # fmt: skip
    first = message.split(" ", 1)[0]
    if first in _LEADING:
        message = f"--{first.replace('_', '-')}" + message[len(first) :]
    return message


def make_warner() -> Callable[[str], None]:
    def warn(message: str) -> None:
        typer.echo(f"warning: {message}", err=True)

    return warn


def is_builtin(name: str) -> bool:
    key = name.lower()
    return key in DATASET_NAMES or key in ALIASES


def _choice(
    value: str | None, choices: tuple[str, ...], option: str, known: Callable[[str], Any] = None
) -> None:
    if value is None or value.lower() in choices:
        return
    if known is not None:  # the engine's own lookup, which also knows other spellings
        try:
            known(value)
            return
        except (InputError, KeyError, ValueError):
            pass
    raise InputError(
        f"{option} must be one of {', '.join(choices)}, got {value!r}{did_you_mean(value, choices)}"
    )


def _fraction(value: float, option: str) -> None:
    if not (math.isfinite(value) and 0.0 <= value < 1.0):
        raise InputError(f"{option} must be a fraction in [0, 1), got {value:g}")


def check_run_options(run: dict[str, Any], warn: Callable[[str], None]) -> None:
    """Refuse impossible training options and warn about those that would do nothing."""
    _choice(run["optimizer"], OPTIMIZERS, "--optimizer")
    hidden = tuple(a for a in ACTIVATION_NAMES if a != "softmax")
    _choice(run["hidden"], hidden, "--hidden", get_activation)
    _choice(run["output"], ACTIVATION_NAMES, "--output", get_activation)
    _choice(run["loss"], LOSS_NAMES, "--loss", get_loss)
    _choice(run["schedule"], SCHEDULES, "--schedule")
    _choice(run["task"], TASKS, "--task")
    _fraction(run["test_split"], "--test-split")
    _fraction(run["val_split"], "--val-split")
    lr = run["lr"]
    if lr is not None:
        if not math.isfinite(lr) or lr < 0:
            raise InputError(f"--lr must be a finite number >= 0, got {lr:g}")
        if lr == 0:
            warn("--lr 0: the weights will not change (every update is 0 x the gradient)")
    wd = run["weight_decay"]
    if not math.isfinite(wd) or wd < 0:
        raise InputError(f"--weight-decay must be a finite number >= 0, got {wd:g}")
    momentum = run["momentum"]
    if momentum is not None:
        if not (math.isfinite(momentum) and 0 <= momentum < 1):
            raise InputError(f"--momentum must lie in [0, 1), got {momentum:g}")
        if run["optimizer"].lower() == "adam":
            warn("--momentum does nothing with --optimizer adam (Adam has its own moments)")
    if run["noise"] is not None and (not math.isfinite(run["noise"]) or run["noise"] < 0):
        raise InputError(f"--noise must be a finite number >= 0, got {run['noise']:g}")
    if run["samples"] is not None:
        check_samples(run["samples"])
    if run["patience"] is not None and run["val_split"] == 0:
        warn(
            "--patience without --val-split: early stopping watches the training loss, "
            "which rarely stops improving; give --val-split 0.2 to watch held-out rows"
        )
    if run["split_seed"] is not None and run["test_split"] == 0:
        warn("--split-seed does nothing with --test-split 0 (no test rows are drawn)")
