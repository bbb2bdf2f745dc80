"""``backproplab quiz``: backprop exercises in the terminal, each answer checked and named.

Shows the network and its numbers, asks for one quantity, reads the answer, says whether it
is right or which classic mistake it is, offers the step-by-step explanation and keeps the
score. Answers may come from a pipe (one line each; the explanation prompt takes y or n).
"""

from __future__ import annotations

import sys
from typing import Annotated

import typer
from rich.console import Console
from rich.panel import Panel
from rich.prompt import Confirm, Prompt

from ..engine.errors import InputError
from ..practice import LEVELS, exercise
from .app import app, fail

_END = object()  # the input ended (a pipe ran out): stop the quiz and give the score


def _read_answer(console: Console) -> float | object | None:
    """A number from the learner; None when they skip (an empty line), _END when input ends."""
    while True:
        try:
            text = Prompt.ask("Your answer", console=console, default="", show_default=False)
        except EOFError:
            console.print()
            return _END
        if not sys.stdin.isatty():
            console.print(text, highlight=False)  # echo a piped answer, so the log reads well
        if not text.strip():
            return None
        try:
            return float(text.strip().replace("−", "-"))
        except ValueError:
            console.print(f"[red]{text!r} is not a number[/red]; type a number, or nothing to skip")


@app.command()
def quiz(
    level: Annotated[str, typer.Option(help=f"One of {', '.join(LEVELS)}.")] = "slides",
    seed: Annotated[int, typer.Option(min=0, help="Seed of the first exercise.")] = 0,
    count: Annotated[int, typer.Option(min=1, help="Number of exercises.")] = 5,
    asks: Annotated[
        str | None, typer.Option(help="Always ask this quantity, e.g. dL/dw1_11.")
    ] = None,
) -> None:
    """Backprop exercises, checked: a wrong answer is named as the mistake it is."""
    if level not in LEVELS:
        raise fail(f"--level must be one of {', '.join(LEVELS)}, got {level!r}")
    console = Console(highlight=False)
    score = 0
    asked = 0
    for k in range(count):
        try:
            ex = exercise(seed=seed + k, level=level, asks=asks)
        except InputError as exc:
            raise fail(str(exc)) from None
        console.print(
            Panel(ex.question, title=f"Exercise {k + 1}/{count} · {level} · seed {seed + k}")
        )
        value = _read_answer(console)
        if value is _END:
            break
        asked += 1
        if value is None:
            console.print(f"skipped: {ex.symbol} = {ex.answer:.6g}")
            continue
        feedback = ex.check(float(value))  # type: ignore[arg-type]
        if feedback.correct:
            score += 1
            console.print(f"[green]✓ {feedback.message}[/green]")
        else:
            label = ", ".join(feedback.mistakes) if feedback.mistakes else "unknown"
            console.print(f"[red]✗ mistake: {label}[/red]")
            console.print(feedback.message)
        try:
            show = Confirm.ask("Show the step-by-step explanation?", console=console, default=False)
        except EOFError:
            show = False
        if not sys.stdin.isatty():
            console.print("y" if show else "n")
        if show:
            console.print(ex.explanation().to_text())
    console.print(f"[bold]Score: {score}/{asked}[/bold]")
