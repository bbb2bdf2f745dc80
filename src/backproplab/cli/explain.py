"""``backproplab explain``: every partial derivative of one training step, with its numbers.

With no options: the slides' 2-2-1 network with its documented weights, input
(0.05, 0.10), target 0.01 and η = 0.5. The network may instead come from ``--weights``
(JSON, see backproplab.explain.weights_file), ``--model`` (a saved model file) or
``--layers`` (random weights from ``--seed``).
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated, Any

import typer

from ..engine import MLP, SLIDES_INPUT, SLIDES_TARGET
from ..engine.errors import InputError
from ..explain import explain as explain_step
from ..explain.weights_file import network_from_weights, read_weights_spec
from ..outputs import check_outputs
from .app import app, fail

FORMATS = ("text", "markdown", "latex", "html", "json")


def _numbers(text: str, option: str) -> list[float]:
    try:
        return [float(v) for v in text.replace(" ", "").split(",") if v != ""]
    except ValueError:
        raise InputError(f"{option} must be comma-separated numbers, got {text!r}") from None


def _sizes(text: str) -> list[int]:
    from .train import parse_layers

    return parse_layers(text) or []


def _network(
    weights: str | None,
    model: Path | None,
    layers: str | None,
    hidden: str | None,
    output: str | None,
    loss: str | None,
    seed: int,
    torch_file: Path | None = None,
) -> Any:
    """An MLP, or for --model the whole ModelFile (its preprocessing applies too)."""
    sources = (("--weights", weights), ("--model", model), ("--layers", layers),
               ("--torch", torch_file))  # fmt: skip
    chosen = [name for name, v in sources if v]
    if len(chosen) > 1:
        raise InputError(
            f"give only one of --weights, --model, --layers, --torch (got {' and '.join(chosen)})"
        )
    if torch_file is not None:
        from ..interop import load_torch

        return load_torch(torch_file, loss=loss)
    if weights:
        return network_from_weights(read_weights_spec(weights))
    if model is not None:
        from ..io import load_model_file

        return load_model_file(model)
    if layers:
        return MLP(_sizes(layers), hidden=hidden, output=output, loss=loss or "mse", seed=seed)
    if hidden or output or loss:
        raise InputError(
            "--hidden, --output and --loss need --layers (the slides' network is fixed)"
        )
    return MLP.slides_network()


def _inputs(net: MLP, xs: list[str] | None) -> list[list[float]]:
    if xs:
        return [_numbers(x, "--x") for x in xs]
    if net.n_inputs != len(SLIDES_INPUT):
        raise InputError(
            f"this network has {net.n_inputs} inputs: give them with --x (comma-separated)"
        )
    return [list(SLIDES_INPUT)]


def _targets(net: MLP, ys: list[str] | None, n: int, classes: list[Any] | None = None) -> list:
    if ys and classes:
        names = [str(c) for c in classes]
        if all(y.strip() in names for y in ys):
            labels = [names.index(y.strip()) for y in ys]
            if net.n_outputs == 1:
                return [[float(k)] for k in labels]
            if net.loss_name == "cross_entropy":
                return labels
            return [[1.0 if j == k else 0.0 for j in range(net.n_outputs)] for k in labels]
    if not ys:
        if net.n_outputs != 1 or n != 1:
            raise InputError("give the target(s) with --y (one per --x)")
        return [list(SLIDES_TARGET)]
    if len(ys) != n:
        raise InputError(f"give one --y per --x: got {n} --x and {len(ys)} --y")
    rows = [_numbers(y, "--y") for y in ys]
    if net.loss_name == "cross_entropy" and all(len(r) == 1 for r in rows) and net.n_outputs > 1:
        labels = [r[0] for r in rows]
        if not all(float(v).is_integer() for v in labels):
            raise InputError("--y for cross_entropy: a class label (0, 1, ...) or a one-hot row")
        return [int(v) for v in labels]
    return rows


def _weights_path(weights: str | None) -> Path | None:
    if weights is None or weights.strip().startswith("{"):
        return None
    return Path(weights)


def _preprocessed(pre: Any, X: list, Y: list, classes: list[Any] | None) -> tuple[list, list]:
    """--x (and a regression --y) in the model's raw units -> what the network sees."""
    notes = []
    if pre.features is not None:
        X = pre.transform_X(X).tolist()
        notes.append("--x standardised with the model's feature means and scales")
    if pre.target is not None and classes is None:
        Y = pre.transform_y(Y).reshape(len(Y), -1).tolist()
        notes.append("--y standardised with the model's target mean and scale")
    if notes:
        typer.echo(f"note: {'; '.join(notes)} (the network sees these numbers)", err=True)
    return X, Y


@app.command()
def explain(
    x: Annotated[
        list[str] | None,
        typer.Option("--x", help="Input, comma-separated (repeat for a batch). Default 0.05,0.10."),
    ] = None,
    y: Annotated[
        list[str] | None,
        typer.Option(
            "--y",
            help="Target, comma-separated, one per --x (cross_entropy: a class label). "
            "Default 0.01.",
        ),
    ] = None,
    lr: Annotated[
        float, typer.Option("--lr", help="Learning rate η of w(new) = w − η ∂L/∂w.")
    ] = 0.5,
    weights: Annotated[
        str | None,
        typer.Option(
            "--weights",
            help='JSON file or inline JSON: {"weights": [[[...]]], "biases": [[...]]}, '
            'optionally "activations" and "loss".',
        ),
    ] = None,
    model: Annotated[
        Path | None, typer.Option("--model", help="A saved model file (backproplab.io.save_model).")
    ] = None,
    torch_file: Annotated[
        Path | None,
        typer.Option(
            "--torch",
            help="A PyTorch Sequential: TorchScript, or a torch.save of its state_dict and "
            "architecture (backproplab.interop.save_torch); --loss names its loss.",
        ),
    ] = None,
    layers: Annotated[
        str | None,
        typer.Option(
            "--layers",
            help="Layer sizes of a new network, e.g. 2,3,3,1 (random weights from --seed).",
        ),
    ] = None,
    hidden: Annotated[
        str | None,
        typer.Option("--hidden", help="Hidden activation with --layers (default sigmoid)."),
    ] = None,
    output: Annotated[
        str | None,
        typer.Option("--output", help="Output activation with --layers (default: from the loss)."),
    ] = None,
    loss: Annotated[
        str | None, typer.Option("--loss", help="Loss with --layers: mse, bce or cross_entropy.")
    ] = None,
    seed: Annotated[
        int, typer.Option("--seed", help="Seed of the random weights with --layers.")
    ] = 0,
    param: Annotated[
        str | None,
        typer.Option("--param", help="Show only the steps of one parameter, e.g. w2_11 or b1_2."),
    ] = None,
    neuron: Annotated[
        str | None,
        typer.Option(
            "--neuron",
            help="Show only the steps of one neuron, e.g. a1_2 (neuron 2 of layer 1) or O1.",
        ),
    ] = None,
    fmt: Annotated[
        str, typer.Option("--format", help="text, markdown, latex, html or json.")
    ] = "text",
    out: Annotated[
        Path | None, typer.Option("--out", help="Write to this file instead of the terminal.")
    ] = None,
    slides_labels: Annotated[
        bool, typer.Option("--slides-labels", help="Print the slides' labels beside ours.")
    ] = False,
) -> None:
    """Explain one training step: each partial derivative, its formula, its numbers."""
    pre = None
    if fmt not in FORMATS:
        raise fail(f"--format must be one of {', '.join(FORMATS)}, got {fmt!r}")
    try:
        check_outputs([("--out", out)], inputs=[model, _weights_path(weights), torch_file])
        net = _network(weights, model, layers, hidden, output, loss, seed, torch_file)
        classes = None
        if not isinstance(net, MLP):  # a model file: its preprocessing applies to --x, --y
            net, pre, classes = net.net, net.preprocessing, net.classes
        X = _inputs(net, x)
        for k, row in enumerate(X, start=1):
            if len(row) != net.n_inputs:
                raise InputError(
                    f"--x number {k} has {len(row)} values but the network has "
                    f"{net.n_inputs} inputs"
                )
        Y = _targets(net, y, len(X), classes)
        if model is not None and pre is not None:
            X, Y = _preprocessed(pre, X, Y, classes)
        exp = explain_step(net, X, Y, lr, param=param, neuron=neuron, slides_labels=slides_labels)
        text = exp.render(fmt)
        if out is not None:
            from ..io import atomic_write_text

            atomic_write_text(out, text)
            typer.echo(f"wrote {out}", err=True)
            return
    except InputError as exc:
        raise fail(str(exc)) from None
    if fmt == "text" and sys.stdout.isatty():
        _print_rich(text, [sec.title for sec in exp.sections])
    else:
        sys.stdout.write(text)


def _print_rich(text: str, titles: list[str]) -> None:
    """Section titles in bold, notes dimmed: the same text, easier to scan."""
    from rich.console import Console

    console = Console(highlight=False)
    for line in text.splitlines():
        style = "bold" if line in titles or line == text.splitlines()[0] else None
        if line.startswith("    (") or (
            line.startswith("  ") and not line.startswith("   ") and "=" not in line
        ):
            style = "dim"
        console.print(line, style=style, markup=False, soft_wrap=True)
