"""The widget's front end in Chromium, in JupyterLab, against a real kernel.

The test starts JupyterLab on a free loopback port with a token and temp directories,
opens a notebook that creates a ``Lab``, runs it, clicks Step in the widget and asks the
kernel itself (a second client on its connection file) for ``net.weights``.
"""

from __future__ import annotations

import json
import os
import secrets
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import nbformat
import pytest
from jupyter_client import BlockingKernelClient

import backproplab as bp
from backproplab.lab.server import bind_socket
from tests.widget.conftest import KERNEL
from tests.widget.test_notebook import widget_notebook

pytestmark = [pytest.mark.browser, pytest.mark.slow]

X, Y = [[0.05, 0.10]], [[0.01]]


class JupyterLab:
    def __init__(self, url: str, token: str, runtime: Path) -> None:
        self.url, self.token, self.runtime = url, token, runtime

    def api(self, path: str, body: dict | None = None) -> httpx.Response:
        """GET ``path`` of the server's REST API (POST ``body`` if given)."""
        headers = {"Authorization": f"token {self.token}"}
        if body is None:
            return httpx.get(f"{self.url}{path}", headers=headers, timeout=10)
        return httpx.post(f"{self.url}{path}", headers=headers, json=body, timeout=30)


def free_port() -> int:
    sock = bind_socket("127.0.0.1", 0)
    try:
        return sock.getsockname()[1]
    finally:
        sock.close()


@pytest.fixture
def jupyterlab(jupyter_dirs: Path) -> Iterator[JupyterLab]:
    """JupyterLab serving a temp notebook dir; always stopped (the whole process group)."""
    root, runtime = jupyter_dirs / "notebooks", jupyter_dirs / "runtime"
    root.mkdir()
    settings = jupyter_dirs / "settings"
    token, port = secrets.token_hex(16), free_port()
    command = [
        sys.executable, "-m", "jupyterlab", "--no-browser", "--ip=127.0.0.1", f"--port={port}",
        "--ServerApp.port_retries=0", f"--IdentityProvider.token={token}",
        f"--ServerApp.root_dir={root}", f"--LabApp.user_settings_dir={settings}",
        f"--LabApp.workspaces_dir={jupyter_dirs / 'workspaces'}",
        "--LabApp.expose_app_in_browser=True", "--ServerApp.terminals_enabled=False",
        "--LabApp.extension_manager=readonly", "--allow-root",  # CI runs as root
    ]  # fmt: skip
    log = (jupyter_dirs / "jupyterlab.log").open("wb")
    proc = subprocess.Popen(
        command, stdout=log, stderr=subprocess.STDOUT, env=os.environ.copy(),
        start_new_session=True,
    )  # fmt: skip
    lab = JupyterLab(f"http://127.0.0.1:{port}", token, runtime)
    try:
        deadline = time.monotonic() + 40
        while True:
            if proc.poll() is not None:
                tail = (jupyter_dirs / "jupyterlab.log").read_text()[-2000:]
                pytest.fail(f"JupyterLab exited ({proc.returncode}): {tail}")
            try:
                if lab.api("/api/status").status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            if time.monotonic() > deadline:
                pytest.fail("JupyterLab did not answer within 40 s")
            time.sleep(0.2)
        yield lab
    finally:
        # The server and the kernels it started share its process group.
        try:
            os.killpg(proc.pid, signal.SIGTERM)
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait(timeout=10)
        except ProcessLookupError:
            pass
        log.close()


def kernel_value(lab: JupyterLab, code: str) -> object:
    """Run ``code`` (which prints JSON) in the notebook's kernel, as a second client."""
    sessions = lab.api("/api/sessions").json()
    assert len(sessions) == 1, sessions
    kernel_id = sessions[0]["kernel"]["id"]
    client = BlockingKernelClient(connection_file=str(lab.runtime / f"kernel-{kernel_id}.json"))
    client.load_connection_file()
    client.start_channels()
    out: list[str] = []
    try:
        client.wait_for_ready(timeout=30)

        def hook(msg: dict) -> None:
            if msg["msg_type"] == "stream":
                out.append(msg["content"]["text"])
            elif msg["msg_type"] == "error":
                out.append("\n".join(msg["content"]["traceback"]))

        client.execute_interactive(code, output_hook=hook, timeout=30)
    finally:
        client.stop_channels()
    return json.loads("".join(out))


def test_step_in_the_widget_changes_the_weights_in_the_kernel(jupyterlab, browser) -> None:
    nb = widget_notebook(
        "import backproplab as bp\n"
        "from backproplab.widget import Lab\n"
        "net = bp.MLP.slides_network()\n"
        "lab = Lab(net)\n"
        "lab"
    )
    nbformat.write(nb, jupyter_dirs_root(jupyterlab) / "widget.ipynb")
    # The notebook's session and kernel exist before the page opens, so JupyterLab joins
    # them rather than asking which kernel to start.
    started = jupyterlab.api(
        "/api/sessions",
        {"path": "widget.ipynb", "type": "notebook", "name": "", "kernel": {"name": KERNEL}},
    )
    assert started.status_code == 201, started.text
    context = browser.new_context(viewport={"width": 1400, "height": 1000})
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    try:
        page.goto(f"{jupyterlab.url}/lab/tree/widget.ipynb?token={jupyterlab.token}")
        page.wait_for_function(
            "() => window.jupyterapp && document.querySelector('.jp-Notebook')", timeout=45_000
        )
        # Run the notebook as a user's Run All would, once its kernel is connected (before
        # that, JupyterLab would ask which kernel to start).
        page.wait_for_function(
            """() => {
                const context = window.jupyterapp.shell.currentWidget?.sessionContext;
                const kernel = context?.session?.kernel;
                return kernel?.connectionStatus === 'connected' && kernel.status === 'idle';
            }""",
            timeout=45_000,
            polling=200,
        )
        # Not awaited: the command's promise settles with the cells, which the test waits for.
        page.evaluate("() => { window.jupyterapp.commands.execute('notebook:run-all-cells'); }")
        widget = page.locator(".lab-widget[data-ready='1']")
        try:
            widget.wait_for(timeout=45_000)
        except Exception:
            page.screenshot(path="/tmp/jl-fail.png")
            raise
        assert widget.locator("#network text").count() > 0  # the page's drawing, in the cell

        widget.locator("#btn-step").click()
        page.locator(".lab-widget[data-phase='update']").wait_for(timeout=20_000)
        assert widget.locator(".updates").inner_text() == "1"

        weights = kernel_value(
            jupyterlab,
            "import json; print(json.dumps({'net': [w.tolist() for w in net.weights],"
            " 'same': lab.net is net, 'traits': lab.weights}))",
        )
    finally:
        context.close()
    expected = bp.MLP.slides_network()
    expected.step(X, Y, lr=0.5)
    assert weights["same"] is True
    assert weights["net"] == [w.tolist() for w in expected.weights]
    assert weights["net"] != [w.tolist() for w in bp.MLP.slides_network().weights]
    assert weights["traits"] == weights["net"]
    assert errors == []


def jupyter_dirs_root(lab: JupyterLab) -> Path:
    return lab.runtime.parent / "notebooks"
