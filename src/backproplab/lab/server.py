"""Serving the lab with Uvicorn on a socket we bind ourselves.

Binding first (rather than letting Uvicorn do it) means a busy port is reported as one
clear line before anything starts, there is no window between checking and binding, and
``port=0`` works: the URL printed carries the port the system chose.
"""

from __future__ import annotations

import socket
import threading
import webbrowser
from collections.abc import Callable

import uvicorn

from ..engine.errors import BackpropLabError
from .app import LOOPBACK_HOSTS, create_app
from .data import LabData
from .defaults import DEFAULT_HOST, DEFAULT_PORT, is_loopback
from .guards import BODY_IDLE_TIMEOUT, HEADER_TIMEOUT, guarded_protocol, machine_names

__all__ = ["DEFAULT_HOST", "DEFAULT_PORT", "LabStartError", "bind_socket", "is_loopback", "serve"]


class LabStartError(BackpropLabError):
    """The server could not start (busy port, unknown host)."""


def bind_socket(host: str, port: int) -> socket.socket:
    """A listening TCP socket on (host, port), or a LabStartError saying why not."""
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM, flags=socket.AI_PASSIVE)
    except socket.gaierror as exc:
        raise LabStartError(f"cannot resolve host {host!r}: {exc.strerror}") from None
    family, kind, proto, _, address = infos[0]
    # proto must be IPPROTO_TCP (getaddrinfo's, not 0): asyncio sets TCP_NODELAY only on
    # sockets that say so, and without it each response waits ~40 ms on a delayed ACK.
    sock = socket.socket(family, kind, proto or socket.IPPROTO_TCP)
    try:
        # Not SO_REUSEADDR's "steal a port": on Linux it only skips TIME_WAIT leftovers;
        # a port some process listens on still fails below.
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind(address)
        sock.listen(128)
    except OSError as exc:
        sock.close()
        reason = exc.strerror or str(exc)
        raise LabStartError(
            f"cannot listen on {host}:{port} ({reason}); is another server using the port? "
            "Choose another with --port"
        ) from None
    sock.set_inheritable(True)
    return sock


def url_for(host: str, port: int) -> str:
    shown = host
    if host in ("0.0.0.0", "::", ""):
        shown = "127.0.0.1"  # the address a browser on this machine should open
    elif ":" in host:
        shown = f"[{host}]"
    return f"http://{shown}:{port}/"


def make_server(
    sock: socket.socket,
    host: str = DEFAULT_HOST,
    *,
    header_timeout: float = HEADER_TIMEOUT,
    body_idle_timeout: float = BODY_IDLE_TIMEOUT,
    keep_alive_timeout: int = 5,
    data: LabData | None = None,
) -> uvicorn.Server:
    """A Uvicorn server for the lab; run it with ``server.run(sockets=[sock])``.

    Whatever the bind address, only requests whose Host header names this machine (its
    loopback names, the bound address, and for 0.0.0.0 or :: its host names and their
    addresses) are answered. A request head must arrive within ``header_timeout``
    seconds, and each part of a body within ``body_idle_timeout``; an idle keep-alive
    connection is closed after ``keep_alive_timeout``.
    """
    config = uvicorn.Config(
        create_app(
            allowed_hosts=sorted(machine_names(host) | set(LOOPBACK_HOSTS)),
            body_idle_timeout=body_idle_timeout,
            data=data,
        ),
        log_level="warning",
        access_log=False,
        lifespan="off",
        workers=1,
        http=guarded_protocol(header_timeout),
        timeout_keep_alive=keep_alive_timeout,
        h11_max_incomplete_event_size=16 * 1024,  # a request head over 16 KiB: 400
    )
    return uvicorn.Server(config)


def serve(
    host: str = DEFAULT_HOST,
    port: int = DEFAULT_PORT,
    *,
    open_browser: bool = True,
    echo: Callable[[str], None] = print,
    data: LabData | None = None,
) -> None:
    """Serve the lab until Ctrl-C (returns normally then); ``data``: every tab's own CSV."""
    sock = bind_socket(host, port)
    url = url_for(host, sock.getsockname()[1])
    server = make_server(sock, host, data=data)
    echo(f"backproplab lab: {url}  (Ctrl-C stops it)")
    if open_browser:
        # Once Uvicorn is accepting: a browser opened earlier could hit a refused connection.
        def _open() -> None:
            for _ in range(100):
                if server.started:
                    webbrowser.open(url)
                    return
                threading.Event().wait(0.05)

        threading.Thread(target=_open, daemon=True).start()
    try:
        server.run(sockets=[sock])
    except KeyboardInterrupt:
        pass  # Uvicorn has shut down gracefully and re-raised the signal: we are done
    finally:
        sock.close()
    echo("backproplab lab: stopped")
