"""The Typer application; each module below adds its commands to ``app``.

A command module never computes a derivative itself: it calls the engine.
Errors the user can fix (bad input) end with a one-line message and exit code 2.
"""

from __future__ import annotations

import sys

import typer

from ..engine.errors import BackpropLabError

app = typer.Typer(
    name="backproplab",
    help="See, check and use backpropagation: the slides' network, exact, then any MLP.",
    no_args_is_help=False,
    add_completion=False,
    pretty_exceptions_enable=False,
    rich_markup_mode="rich",
)


def fail(message: str, code: int = 2) -> typer.Exit:
    """Print a one-line error (no traceback) and return the Exit to raise."""
    typer.echo(f"error: {message}", err=True)
    return typer.Exit(code)


# Command modules register themselves on import (keep this list sorted).
from . import demo  # noqa: E402,F401,I001
from . import explain  # noqa: E402,F401
from . import gradcheck  # noqa: E402,F401
from . import lab  # noqa: E402,F401
from . import predict  # noqa: E402,F401
from . import quiz  # noqa: E402,F401
from . import train  # noqa: E402,F401
from . import worksheet  # noqa: E402,F401


def main(argv: list[str] | None = None) -> None:
    """Entry point of the ``backproplab`` console script and ``python -m backproplab``."""
    try:
        app(args=argv, prog_name="backproplab")
    except BackpropLabError as exc:  # a user error that escaped a command: one line, exit 2
        typer.echo(f"error: {exc}", err=True)
        sys.exit(2)
