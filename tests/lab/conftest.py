"""Fixtures for the lab: a real Uvicorn server on a free port, and headless Chromium."""

from __future__ import annotations

import math
import threading
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from backproplab.lab.server import bind_socket, make_server

ROOT = Path(__file__).resolve().parents[2]
ARTIFACTS = ROOT / "test-artifacts"


@pytest.fixture(scope="session")
def lab_url() -> Iterator[str]:
    """The base URL of a lab server running in this process, on a free port."""
    sock = bind_socket("127.0.0.1", 0)
    server = make_server(sock)
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started:
        if time.monotonic() > deadline or not thread.is_alive():
            pytest.fail("the lab server did not start within 20 s")
        time.sleep(0.02)
    yield f"http://127.0.0.1:{sock.getsockname()[1]}"
    server.should_exit = True
    thread.join(timeout=10)
    sock.close()


def new_session_id() -> str:
    return uuid.uuid4().hex


@pytest.fixture
def client(lab_url: str) -> Iterator[httpx.Client]:
    """An HTTP client speaking for one fresh tab (its own session id)."""
    with httpx.Client(
        base_url=lab_url, headers={"X-Lab-Session": new_session_id()}, timeout=60
    ) as c:
        yield c


class ConsoleLog:
    """Console errors and uncaught exceptions of a page."""

    def __init__(self) -> None:
        self.errors: list[str] = []

    def on_console(self, message) -> None:
        if message.type == "error":
            self.errors.append(message.text)

    def on_page_error(self, error) -> None:
        self.errors.append(f"uncaught: {error}")


@pytest.fixture
def page(browser, lab_url: str):
    """A fresh tab (its own context and so its own sessionStorage) with a console log."""
    context = browser.new_context(viewport={"width": 1400, "height": 900})
    tab = context.new_page()
    log = ConsoleLog()
    tab.on("console", log.on_console)
    tab.on("pageerror", log.on_page_error)
    tab.console_log = log
    tab.set_default_timeout(15_000)
    yield tab
    context.close()


def open_lab(tab, lab_url: str, query: str = "") -> None:
    """Load the lab and wait until its first state is drawn."""
    tab.goto(f"{lab_url}/{query}")
    tab.wait_for_selector("body[data-ready='1']")
    tab.wait_for_selector("#network .node")


def shown_number(text: str) -> float:
    """A number as the page prints it ("−0.2502", "1.2e−5") as a float."""
    return float(text.strip().replace("−", "-"))


def assert_displayed(text: str, value: float, what: str) -> None:
    """``text`` is ``value`` to the page's precision (four significant digits)."""
    shown = shown_number(text)
    if value == 0:
        assert shown == 0, f"{what}: shows {text}, expected 0"
        return
    half_unit = 0.5 * 10 ** (math.floor(math.log10(abs(value))) - 3)
    assert abs(shown - value) <= half_unit * (1 + 1e-9), f"{what}: shows {text}, expected {value}"
