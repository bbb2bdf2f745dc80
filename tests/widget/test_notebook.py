"""The widget in a real kernel: a notebook executed by nbclient, as a front end would."""

from __future__ import annotations

import json
from pathlib import Path

import nbformat
from nbclient import NotebookClient
from nbformat.v4 import new_code_cell, new_notebook

import backproplab as bp
from tests.widget.conftest import KERNEL

X, Y = [[0.05, 0.10]], [[0.01]]
WIDGET_VIEW = "application/vnd.jupyter.widget-view+json"
WIDGET_STATE = "application/vnd.jupyter.widget-state+json"


def widget_notebook(*cells: str) -> nbformat.NotebookNode:
    nb = new_notebook(cells=[new_code_cell(c) for c in cells])
    nb.metadata["kernelspec"] = {"name": KERNEL, "display_name": KERNEL, "language": "python"}
    return nb


def run(nb: nbformat.NotebookNode, cwd: Path) -> nbformat.NotebookNode:
    client = NotebookClient(
        nb, kernel_name=KERNEL, timeout=60, startup_timeout=60, store_widget_state=True,
        resources={"metadata": {"path": str(cwd)}},
    )  # fmt: skip
    client.execute()
    return nb


def printed(cell: nbformat.NotebookNode) -> dict:
    text = "".join(o.get("text", "") for o in cell.outputs if o.output_type == "stream")
    return json.loads(text)


def test_net_step_in_python_updates_the_widgets_synced_state(jupyter_dirs: Path) -> None:
    nb = run(
        widget_notebook(
            "import json, sys\n"
            "import backproplab as bp\n"
            "print(json.dumps({'anywidget_loaded': 'anywidget' in sys.modules}))",
            "from backproplab.widget import Lab\n"
            "net = bp.MLP.slides_network()\n"
            "lab = Lab(net)\n"
            "lab",
            "loss = net.step([[0.05, 0.10]], [[0.01]], lr=0.5)",
            "print(json.dumps({'weights': lab.weights, 'biases': lab.biases, 'loss': lab.loss,\n"
            "    'revision': lab.revision, 'phase': lab.phase,\n"
            "    'net': [w.tolist() for w in net.weights], 'model': lab.model_id}))",
        ),
        jupyter_dirs,
    )
    assert printed(nb.cells[0]) == {"anywidget_loaded": False}  # import backproplab: no widget
    view = [o for o in nb.cells[1].outputs if WIDGET_VIEW in o.get("data", {})]
    assert len(view) == 1, nb.cells[1].outputs
    state = printed(nb.cells[3])

    expected = bp.MLP.slides_network()
    expected.step(X, Y, lr=0.5)
    start = bp.MLP.slides_network()
    assert state["net"] == [w.tolist() for w in expected.weights]
    # The traits followed the step made in Python, after its cell, with no call of ours.
    assert state["weights"] == state["net"]
    assert state["weights"] != [w.tolist() for w in start.weights]
    assert state["biases"] == [b.tolist() for b in expected.biases]
    assert state["revision"] == 1 and state["phase"] == "ready"
    assert abs(state["loss"] - expected.loss(X, Y)) < 1e-12

    # What a front end was sent: the widget state nbclient recorded from the comm messages.
    model = nb.metadata["widgets"][WIDGET_STATE]["state"][state["model"]]["state"]
    assert model["weights"] == state["weights"]
    assert model["revision"] == 1
    assert model["_esm"].rstrip().endswith("export default { render };")
