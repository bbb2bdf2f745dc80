"""What stands between the network and the lab: body limit, timeouts, Host check.

* :class:`BodyLimit` counts the bytes of a request body as they arrive -- with a
  Content-Length or chunked, it makes no difference -- and answers 413 as soon as they pass
  the limit, without reading the rest; a body that stalls for ``idle_timeout`` seconds gets
  408. (A check of the Content-Length header alone lets a chunked upload of any size in.)
* :class:`HostCheck` answers 400 to a request whose Host header names a machine the lab
  was not started for, on every bind address: a web page elsewhere cannot reach the lab
  through DNS rebinding, since its requests carry the attacker's host name.
* :func:`guarded_protocol` is Uvicorn's HTTP/1.1 protocol with a header timeout: a
  connection that has not sent a complete request head within ``header_timeout`` seconds
  (at the start, or after the previous response) is closed, so slow-header connections
  cannot pile up.
"""

from __future__ import annotations

import asyncio
import json
import socket
from collections.abc import Callable, Iterable
from typing import Any

from uvicorn.protocols.http.h11_impl import H11Protocol

Scope = dict[str, Any]

#: Seconds a client may take to send a request's head, or to send the next chunk of a body.
HEADER_TIMEOUT = 10.0
BODY_IDLE_TIMEOUT = 10.0


async def send_error(send: Any, status: int, message: str, code: str) -> None:
    """The lab's JSON error answer, sent from ASGI middleware (closes the connection)."""
    body = json.dumps({"error": message, "code": code}).encode("utf-8")
    await send(
        {
            "type": "http.response.start",
            "status": status,
            "headers": [
                (b"content-type", b"application/json"),
                (b"content-length", str(len(body)).encode("ascii")),
                (b"connection", b"close"),
            ],
        }
    )
    await send({"type": "http.response.body", "body": body})


#: Largest request head accepted (all header lines together).
MAX_HEADER_BYTES = 16 * 1024


class HeaderLimit:
    """ASGI middleware: 431 for request headers over ``max_bytes`` in all.

    (Uvicorn's own limit only applies to a head that arrives in pieces.)
    """

    def __init__(self, app: Any, max_bytes: int = MAX_HEADER_BYTES):
        self.app = app
        self.max_bytes = max_bytes

    async def __call__(self, scope: Scope, receive: Any, send: Any) -> None:
        if scope["type"] == "http":
            size = sum(len(k) + len(v) + 4 for k, v in scope["headers"])
            if size > self.max_bytes:
                await send_error(send, 431, f"request headers over {self.max_bytes} bytes",
                                 "headers_too_large")  # fmt: skip
                return
        await self.app(scope, receive, send)


class BodyLimit:
    """ASGI middleware: at most ``max_bytes`` of request body, counted as received."""

    def __init__(
        self,
        app: Any,
        max_bytes: int,
        idle_timeout: float = BODY_IDLE_TIMEOUT,
        per_path: dict[str, tuple[int, Callable[[Scope, int | None], str]]] | None = None,
    ):
        """``per_path``: path -> (its own limit, the message for a body over it, given
        the scope and the announced size, or None when counted past the limit)."""
        self.app = app
        self.max_bytes = max_bytes
        self.idle_timeout = idle_timeout
        self.per_path = per_path or {}

    def _over(self, scope: Scope, size: int | None) -> str:
        return f"request body over {self.max_bytes} bytes"

    async def __call__(self, scope: Scope, receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        max_bytes, too_large = self.per_path.get(
            scope.get("path", ""), (self.max_bytes, self._over)
        )
        for name, value in scope["headers"]:
            if name == b"content-length" and (not value.isdigit() or int(value) > max_bytes):
                size = int(value) if value.isdigit() else None
                await send_error(send, 413, too_large(scope, size), "too_large")
                return
        chunks: list[bytes] = []
        total = 0
        while True:
            try:
                message = await asyncio.wait_for(receive(), self.idle_timeout)
            except TimeoutError:
                await send_error(send, 408, "the request body stalled; send it at once",
                                 "timeout")  # fmt: skip
                return
            if message["type"] == "http.disconnect":
                return
            body = message.get("body", b"")
            total += len(body)
            if total > max_bytes:
                await send_error(send, 413, too_large(scope, None), "too_large")
                return
            chunks.append(body)
            if not message.get("more_body", False):
                break
        whole = b"".join(chunks)
        replayed = False

        async def replay() -> dict[str, Any]:
            nonlocal replayed
            if not replayed:
                replayed = True
                return {"type": "http.request", "body": whole, "more_body": False}
            return await receive()

        await self.app(scope, replay, send)


def host_of(header: str) -> str:
    """'Example.org:8765' -> 'example.org'; '[::1]:8765' -> '::1'."""
    header = header.strip().lower()
    if header.startswith("["):
        return header[1:].split("]", 1)[0]
    if header.count(":") == 1:
        header = header.split(":", 1)[0]
    return header.rstrip(".")


def machine_names(bind_host: str) -> set[str]:
    """The Host names a browser may use for a lab bound to ``bind_host``.

    Always this machine's loopback names; the bound address itself; for a wildcard
    address (0.0.0.0, ::) also the machine's host names and the addresses they resolve to.
    """
    names = {"127.0.0.1", "localhost", "::1", host_of(bind_host) if bind_host else ""}
    if bind_host in ("0.0.0.0", "::", ""):
        for name in {socket.gethostname(), socket.getfqdn()}:
            names.add(name.lower())
            try:
                for info in socket.getaddrinfo(name, None):
                    names.add(str(info[4][0]).lower())
            except OSError:
                pass
    names.discard("")
    names.discard("0.0.0.0")
    names.discard("::")
    return names


class HostCheck:
    """ASGI middleware: 400 unless the Host header is one of ``allowed`` (or the very
    address the client connected to, which no rebinding domain name can be)."""

    def __init__(self, app: Any, allowed: Iterable[str]):
        self.app = app
        self.allowed = {host_of(h) for h in allowed}

    async def __call__(self, scope: Scope, receive: Any, send: Any) -> None:
        if scope["type"] not in ("http", "websocket"):
            await self.app(scope, receive, send)
            return
        values = [v for k, v in scope["headers"] if k == b"host"]
        host = host_of(values[0].decode("latin-1")) if len(values) == 1 else ""
        server = scope.get("server") or ("", None)
        if host and (host in self.allowed or host == str(server[0]).lower()):
            await self.app(scope, receive, send)
            return
        shown = values[0].decode("latin-1")[:60] if values else "(none)"
        await send_error(
            send, 400, f"the lab does not answer for the host {shown!r}", "invalid_host"
        )


class GuardedH11Protocol(H11Protocol):
    """Uvicorn's h11 protocol, closing connections that are slow to send a request head."""

    header_timeout = HEADER_TIMEOUT

    def connection_made(self, transport: Any) -> None:  # type: ignore[override]
        super().connection_made(transport)
        self._header_timer: asyncio.TimerHandle | None = None
        self._arm_header_timer()

    def _arm_header_timer(self) -> None:
        self._cancel_header_timer()
        self._header_timer = self.loop.call_later(self.header_timeout, self._header_timed_out)

    def _cancel_header_timer(self) -> None:
        timer = getattr(self, "_header_timer", None)
        if timer is not None:
            timer.cancel()
            self._header_timer = None

    def _waiting_for_head(self) -> bool:
        return self.cycle is None or self.cycle.response_complete

    def handle_events(self) -> None:
        super().handle_events()
        if not self._waiting_for_head():
            self._cancel_header_timer()  # a request is in: its head arrived in time

    def on_response_complete(self) -> None:
        super().on_response_complete()
        if self._waiting_for_head() and not self.transport.is_closing():
            self._arm_header_timer()

    def connection_lost(self, exc: Exception | None) -> None:
        self._cancel_header_timer()
        super().connection_lost(exc)

    def _header_timed_out(self) -> None:
        self._header_timer = None
        if self._waiting_for_head() and not self.transport.is_closing():
            self.transport.close()


def guarded_protocol(header_timeout: float = HEADER_TIMEOUT) -> type[GuardedH11Protocol]:
    """The protocol class to give Uvicorn (``http=``), with this header timeout."""
    return type("LabH11Protocol", (GuardedH11Protocol,), {"header_timeout": header_timeout})
