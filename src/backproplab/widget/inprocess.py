"""The lab's ASGI application called in this process, without a socket.

The widget's requests go to the very application the lab's server runs (its routes,
request models, limits and error answers), so the notebook gets the same behaviour and the
same one-line messages as the page, and nothing of the lab is written twice. The calls
run on an event loop of their own thread: the kernel's own loop is busy running the cell
or the comm handler that asks.
"""

from __future__ import annotations

import asyncio
import json
import threading
from typing import Any

#: Seconds one request may take (a /api/train request stops itself within 2 s).
REQUEST_TIMEOUT = 120.0

_loop: asyncio.AbstractEventLoop | None = None
_loop_lock = threading.Lock()


def _shared_loop() -> asyncio.AbstractEventLoop:
    """One background loop for every widget of the process, started on first use."""
    global _loop
    with _loop_lock:
        if _loop is None:
            loop = asyncio.new_event_loop()
            threading.Thread(
                target=loop.run_forever, name="backproplab-widget", daemon=True
            ).start()
            _loop = loop
        return _loop


def call_app(
    app: Any, method: str, path: str, body: Any = None, *, session_id: str
) -> tuple[int, Any]:
    """(status, JSON payload) of one request to ``app``, as the page would make it."""
    future = asyncio.run_coroutine_threadsafe(
        _call(app, method, path, body, session_id), _shared_loop()
    )
    status, raw = future.result(REQUEST_TIMEOUT)
    try:
        return status, json.loads(raw) if raw else None
    except ValueError:
        return status, {"error": raw.decode("utf-8", "replace")[:200], "code": "http"}


async def _call(app: Any, method: str, path: str, body: Any, session_id: str) -> tuple[int, bytes]:
    path, _, query = path.partition("?")
    content = b"" if body is None else json.dumps(body).encode("utf-8")
    headers = [
        (b"host", b"127.0.0.1"),
        (b"x-lab-session", session_id.encode("ascii")),
        (b"content-length", str(len(content)).encode("ascii")),
    ]
    if body is not None:
        headers.append((b"content-type", b"application/json"))
    scope = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": method,
        "scheme": "http",
        "path": path,
        "raw_path": path.encode("utf-8"),
        "query_string": query.encode("utf-8"),
        "root_path": "",
        "headers": headers,
        "client": ("127.0.0.1", 0),
        "server": ("127.0.0.1", 0),
    }
    pending = [{"type": "http.request", "body": content, "more_body": False}]
    done = asyncio.Event()
    status = 500
    chunks: list[bytes] = []

    async def receive() -> dict[str, Any]:
        if pending:
            return pending.pop()
        await done.wait()  # nothing more to read: the client "leaves" once answered
        return {"type": "http.disconnect"}

    async def send(message: dict[str, Any]) -> None:
        nonlocal status
        if message["type"] == "http.response.start":
            status = message["status"]
        elif message["type"] == "http.response.body":
            chunks.append(message.get("body", b""))
            if not message.get("more_body", False):
                done.set()

    try:
        await app(scope, receive, send)
    except Exception as exc:  # the app already answered 500 (or could not): say what broke
        message = f"internal error in the lab: {type(exc).__name__}: {exc}".splitlines()[0]
        return 500, json.dumps({"error": message, "code": "internal"}).encode("utf-8")
    finally:
        done.set()
    return status, b"".join(chunks)
