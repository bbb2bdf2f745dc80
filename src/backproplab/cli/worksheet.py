"""``backproplab worksheet``: a seeded sheet of exercises and, separately, its answer key."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from ..engine.errors import InputError
from ..practice import LEVELS
from ..practice.worksheet import FORMATS, Worksheet, format_for, write
from .app import app, fail


@app.command()
def worksheet(
    out: Annotated[Path, typer.Option(help="The sheet: .md, .tex, .pdf, .json or .xml (Moodle).")],
    count: Annotated[int, typer.Option(min=1, help="Number of exercises.")] = 10,
    level: Annotated[str, typer.Option(help=f"One of {', '.join(LEVELS)}.")] = "slides",
    seed: Annotated[int, typer.Option(min=0, help="Seed of the first exercise.")] = 0,
    answers: Annotated[
        Path | None, typer.Option(help="Also write the answer key, with worked solutions.")
    ] = None,
    fmt: Annotated[
        str | None, typer.Option("--format", help=f"One of {', '.join(FORMATS)}.")
    ] = None,
    asks: Annotated[str | None, typer.Option(help="Ask this quantity in every exercise.")] = None,
) -> None:
    """Write a worksheet of backprop exercises (the seed is printed on it)."""
    try:
        sheet = Worksheet(level, seed, count, asks)
        write(sheet, out, format_for(out, fmt))
        if answers is not None:
            write(sheet, answers, format_for(answers, fmt), key=True)
    except (InputError, OSError) as exc:
        raise fail(str(exc)) from None
    typer.echo(f"wrote {out}" + (f" and the answer key {answers}" if answers else ""))
    typer.echo(f"regenerate with: {sheet.command}")
