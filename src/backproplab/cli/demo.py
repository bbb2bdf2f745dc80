"""``backproplab demo``: the main job -- the slides' 2-2-1 network learns XOR."""

from __future__ import annotations

from typing import Annotated

import numpy as np
import typer
from rich.console import Console
from rich.table import Table

from ..engine import MLP, XOR_SEED
from .app import app, fail

XOR_X = np.array([[0.0, 0.0], [0.0, 1.0], [1.0, 0.0], [1.0, 1.0]])
XOR_Y = np.array([[0.0], [1.0], [1.0], [0.0]])


def _print_version(value: bool) -> None:
    if value:
        from .. import __version__

        typer.echo(f"backproplab {__version__}")
        raise typer.Exit()


@app.callback(invoke_without_command=True)
def _default(
    ctx: typer.Context,
    version: Annotated[
        bool,
        typer.Option(
            "--version", is_eager=True, callback=_print_version, help="Print the version."
        ),
    ] = False,
) -> None:
    """With no command, run the demo (the main job)."""
    if ctx.invoked_subcommand is None:
        demo()


@app.command()
def demo(
    epochs: Annotated[int, typer.Option(min=1, help="Full-batch gradient-descent epochs.")] = 5000,
    lr: Annotated[float, typer.Option(help="Learning rate eta in w <- w - eta dL/dw.")] = 0.5,
    seed: Annotated[int, typer.Option(help="Seed of the initial weights.")] = XOR_SEED,
    report_every: Annotated[int, typer.Option(min=1, help="Print the loss every N epochs.")] = 500,
) -> None:
    """Train the slides' 2-2-1 network (sigmoid hidden, linear output, MSE) on XOR."""
    if not np.isfinite(lr) or lr <= 0:
        raise fail(f"--lr must be a positive number, got {lr}")
    console = Console()
    net = MLP.slides_network(seed=seed)
    console.print(
        f"[bold]The slides' network[/bold] 2-2-1, sigmoid hidden units O1, O2, linear output, "
        f"L = (1/n) sum (y-hat - y)^2; XOR, full batch, eta = {lr}, seed = {seed}"
    )
    loss = float("nan")
    for epoch in range(1, epochs + 1):
        loss = net.step(XOR_X, XOR_Y, lr)
        if epoch == 1 or epoch % report_every == 0 or epoch == epochs:
            console.print(f"epoch {epoch:>6}  loss {loss:.6g}")
    final = net.loss(XOR_X, XOR_Y)
    table = Table(title=f"XOR after {epochs} epochs (loss {final:.3g})")
    for col in ("i1", "i2", "y", "y-hat"):
        table.add_column(col, justify="right")
    for x, y, p in zip(XOR_X, XOR_Y, net.predict(XOR_X), strict=True):
        table.add_row(f"{x[0]:g}", f"{x[1]:g}", f"{y[0]:g}", f"{p[0]:.4f}")
    console.print(table)
