"""``backproplab gradcheck``: backpropagation against central differences, on real data.

With no arguments, or ``xor`` without ``--layers``: the slides' network (its documented
weights) on XOR. With a data set or CSV: a network shaped by ``--layers`` (or the model file
given with ``--model``) on a few of its rows. Prints the engine's report; exit code 1 if an
array's relative error exceeds ``--tol`` and its absolute error exceeds ``--atol``.
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import Annotated

import numpy as np
import typer
from rich.console import Console

from ..engine.gradcheck import DEFAULT_ATOL
from ..engine.gradcheck import gradcheck as run_gradcheck
from ..engine.network import MLP
from ..io import load_model_file
from ..train.datasets import load_dataset
from ..train.pipeline import build_network, load_data, network_targets, prepare
from ..train.preprocessing import Preprocessing
from .app import app, fail
from .train import parse_layers


@app.command()
def gradcheck(
    ctx: typer.Context,
    data: Annotated[
        str | None, typer.Argument(help="A data set or CSV (default: XOR, the slides' net).")
    ] = None,
    model: Annotated[Path | None, typer.Option(help="Check this model file's network.")] = None,
    layers: Annotated[str | None, typer.Option(help="Layer sizes, e.g. 2,8,2.")] = None,
    hidden: Annotated[str, typer.Option(help="Hidden activation.")] = "tanh",
    loss: Annotated[str | None, typer.Option(help="mse, bce or cross_entropy.")] = None,
    target: Annotated[str | None, typer.Option(help="CSV: the target column.")] = None,
    samples: Annotated[int, typer.Option(min=1, help="Rows to check on.")] = 16,
    seed: Annotated[int, typer.Option(min=0, help="Seed of the weights and the rows.")] = 0,
    eps: Annotated[float, typer.Option(help="Step h of the central differences.")] = 1e-6,
    tol: Annotated[float, typer.Option(help="Largest relative error that passes.")] = 1e-6,
    atol: Annotated[
        float, typer.Option(help="Absolute error that passes whatever the relative one.")
    ] = DEFAULT_ATOL,
) -> None:
    """Compare backprop's gradients with central differences, array by array."""
    if not (0 < eps < 1):
        raise fail(f"--eps must lie in (0, 1), got {eps}")
    if not (math.isfinite(tol) and tol >= 0) or not (math.isfinite(atol) and atol >= 0):
        raise fail(f"--tol and --atol must be finite numbers >= 0, got {tol:g} and {atol:g}")
    slides_xor = data is not None and data.lower() == "xor" and layers is None and model is None
    if slides_xor and (
        loss is not None or ctx.get_parameter_source("hidden").name == "COMMANDLINE"
    ):
        raise fail("--hidden and --loss need --layers (gradcheck xor checks the slides' network)")
    if data is None or slides_xor:
        if model is not None:
            raise fail("--model needs a DATA argument to check on")
        xor = load_dataset("xor")
        net = MLP.slides_network()
        X, Y = xor.X, xor.y.reshape(-1, 1).astype(np.float64)
        what = "the slides' 2-2-1 network (documented weights) on XOR"
    else:
        ds = load_data(data, target=target, seed=seed)
        rows = np.random.default_rng(seed).permutation(ds.n_samples)[: min(samples, ds.n_samples)]
        if model is not None:
            mf = load_model_file(model)
            net, pre = mf.net, mf.preprocessing or Preprocessing()
            if net.dtype != np.float64:
                raise fail("gradcheck needs a float64 network (float32 rounding swamps h)")
            if net.n_inputs != ds.n_features:
                raise fail(
                    f"the model takes {net.n_inputs} inputs; {ds.name!r} has {ds.n_features}"
                )
            what = f"{model.name} on {len(rows)} rows of {ds.name}"
        else:
            net = build_network(ds, parse_layers(layers), hidden=hidden, loss=loss, seed=seed)
            pre = prepare(ds, test_split=0.0, seed=seed).preprocessing
            shape = "-".join(map(str, net.layer_sizes))
            what = f"{shape} {net.loss_name} on {len(rows)} rows of {ds.name}"
        X = pre.transform_X(ds.X[rows])
        Y = network_targets(net, ds, ds.y[rows], pre)
    report = run_gradcheck(net, X, Y, eps=eps)
    console = Console()
    console.print(f"gradcheck: {what}, h = {eps:g}")
    console.print(str(report), highlight=False)
    ok = report.passed(tol, atol)
    verdict = "PASSED" if ok else "FAILED"
    console.print(
        f"{verdict}: largest relative error {report.max_rel_error:.3e} (tolerance {tol:g}), "
        f"largest absolute error {report.max_abs_error:.3e} (floor {atol:g})"
    )
    if not ok:
        raise typer.Exit(1)
