"""``backproplab lab``: the local web page to step through backpropagation and train live."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from ..lab.defaults import DEFAULT_HOST, DEFAULT_PORT, is_loopback
from .app import app, fail


@app.command()
def lab(
    port: Annotated[
        int, typer.Option(min=0, max=65535, help="TCP port (0: any free port).")
    ] = DEFAULT_PORT,
    host: Annotated[
        str, typer.Option(help="Address to listen on; keep the default to stay on this machine.")
    ] = DEFAULT_HOST,
    no_browser: Annotated[
        bool, typer.Option("--no-browser", help="Do not open a browser window.")
    ] = False,
    data: Annotated[
        Path | None,
        typer.Option(help="A CSV file: every tab starts on it (as 'csv' in the Data menu)."),
    ] = None,
    target: Annotated[
        str | None, typer.Option(help="With --data: the target column (default: the last).")
    ] = None,
) -> None:
    """Serve the lab on this machine and open it in the browser (Ctrl-C stops it)."""
    from ..engine.errors import BackpropLabError
    from ..lab.server import LabStartError, serve  # FastAPI and Uvicorn load only for this

    if target is not None and data is None:
        raise fail("--target needs --data FILE.csv")
    own = None
    if data is not None:
        from ..lab.upload import lab_data_from_dataset
        from ..train.csv import load_csv

        try:  # the reader of `backproplab train --data`, then the lab's limits
            own = lab_data_from_dataset(load_csv(data, target=target), data.name)
        except BackpropLabError as exc:
            raise fail(str(exc)) from None

    if not is_loopback(host):
        typer.echo(
            f"warning: --host {host} makes the lab reachable from other machines; it has no "
            "login, so anyone who can reach this port can use it",
            err=True,
        )
    try:
        serve(host, port, open_browser=not no_browser, echo=lambda s: typer.echo(s), data=own)
    except LabStartError as exc:
        raise fail(str(exc)) from None
