"""The lab's server against hostile clients, over real sockets.

A ``backproplab lab --host 0.0.0.0`` subprocess for the body limit and the Host check
(its peak memory measured with ``os.wait4``), and an in-process server with short
timeouts for slow clients.
"""

from __future__ import annotations

import os
import re
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator

import pytest

from backproplab.lab.models import MAX_BODY_BYTES
from backproplab.lab.server import bind_socket, make_server
from tests.safety.hostile import MAX_RSS_BYTES

from .hostile import MEASURE


def _status(response: bytes) -> int:
    match = re.match(rb"HTTP/1\.[01] (\d{3})", response)
    assert match, response[:200]
    return int(match.group(1))


def _exchange(port: int, request: bytes, *, host: str = "127.0.0.1", timeout: float = 20) -> bytes:
    with socket.create_connection((host, port), timeout=timeout) as sock:
        sock.sendall(request)
        return _read_all(sock)


def _read_all(sock: socket.socket) -> bytes:
    chunks = []
    while True:
        try:
            data = sock.recv(65536)
        except (ConnectionResetError, TimeoutError):
            break
        if not data:
            break
        chunks.append(data)
        if b"\r\n\r\n" in b"".join(chunks) and _complete(b"".join(chunks)):
            break
    return b"".join(chunks)


def _complete(data: bytes) -> bool:
    head, _, body = data.partition(b"\r\n\r\n")
    match = re.search(rb"content-length: (\d+)", head, re.IGNORECASE)
    return match is not None and len(body) >= int(match.group(1))


def _chunked_oversize(port: int, total: int) -> tuple[int, int]:
    """Send a chunked body of ``total`` bytes; (status, bytes sent before the answer)."""
    sent = 0
    with socket.create_connection(("127.0.0.1", port), timeout=20) as sock:
        sock.sendall(b"POST /api/config HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Lab-Session: "
                     b"abcdefgh1234\r\nContent-Type: application/json\r\n"
                     b"Transfer-Encoding: chunked\r\n\r\n")  # fmt: skip
        chunk = b"10000\r\n" + b" " * 0x10000 + b"\r\n"
        try:
            while sent < total:
                sock.sendall(chunk)
                sent += 0x10000
        except (BrokenPipeError, ConnectionResetError):
            pass
        return _status(_read_all(sock)), sent


@pytest.fixture(scope="module")
def wildcard_lab(tmp_path_factory) -> Iterator[tuple[int, subprocess.Popen]]:
    env = dict(os.environ, PYTHONUNBUFFERED="1")
    rss = tmp_path_factory.mktemp("rss") / "lab"
    # Through the measuring wrapper: its own peak memory, not this test process's (hostile.py).
    proc = subprocess.Popen([sys.executable, str(MEASURE), str(rss), sys.executable, "-m",
                             "backproplab", "lab", "--host", "0.0.0.0", "--port", "0",
                             "--no-browser"], stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True, env=env)  # fmt: skip
    proc.rss_file = rss  # type: ignore[attr-defined]
    line = proc.stdout.readline()
    match = re.search(r":(\d+)/", line)
    assert match, line + proc.stderr.read()
    yield int(match.group(1)), proc
    if proc.poll() is None:
        proc.send_signal(signal.SIGINT)


def test_hostile_requests_to_a_lab_on_0000_get_4xx_and_little_memory(wildcard_lab) -> None:
    port, proc = wildcard_lab
    session = b"X-Lab-Session: abcdefgh1234\r\n"
    status, sent = _chunked_oversize(port, 128 * 2**20)
    assert status == 413 and sent < 64 * 2**20, (status, sent)
    requests = {
        "foreign Host": b"GET /api/health HTTP/1.1\r\nHost: evil.example\r\n\r\n",
        "foreign Host with port": b"GET /api/health HTTP/1.1\r\nHost: evil.example:8765\r\n\r\n",
        "rebinding name": b"GET /api/options HTTP/1.1\r\nHost: 127.0.0.1.nip.io\r\n\r\n",
        "two Host headers": b"GET /api/health HTTP/1.1\r\nHost: 127.0.0.1\r\nHost: evil\r\n\r\n",
        "no Host": b"GET /api/health HTTP/1.0\r\n\r\n",
        "huge Content-Length": b"POST /api/config HTTP/1.1\r\nHost: localhost\r\n" + session
        + b"Content-Type: application/json\r\nContent-Length: 999999999999\r\n\r\n{}",
        "bad Content-Length": b"POST /api/config HTTP/1.1\r\nHost: localhost\r\n" + session
        + b"Content-Length: -5\r\n\r\n",
        "huge header": b"GET /api/health HTTP/1.1\r\nHost: localhost\r\nX-Pad: "
        + b"a" * 40_000 + b"\r\n\r\n",
        "not HTTP": b"\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03" + b"\0" * 64 + b"\r\n\r\n",
        "deep JSON": b"POST /api/config HTTP/1.1\r\nHost: localhost\r\n" + session
        + b"Content-Type: application/json\r\nContent-Length: 60000\r\n\r\n"
        + b"[" * 30000 + b"]" * 30000,
    }  # fmt: skip
    for name, request in requests.items():
        response = _exchange(port, request)
        assert 400 <= _status(response) < 500, (name, response[:300])
    ok = _exchange(port, b"GET /api/health HTTP/1.1\r\nHost: localhost:1\r\n\r\n")
    assert _status(ok) == 200
    assert _status(_exchange(port, f"GET /api/health HTTP/1.1\r\nHost: {socket.gethostname()}"
                                   "\r\n\r\n".encode()))  == 200  # fmt: skip
    proc.send_signal(signal.SIGINT)
    _, code, _usage = os.wait4(proc.pid, 0)
    proc.returncode = os.waitstatus_to_exitcode(code)
    assert int(proc.rss_file.read_text()) < MAX_RSS_BYTES
    assert "Traceback" not in proc.stderr.read()


@pytest.fixture
def quick_lab() -> Iterator[int]:
    """An in-process lab whose clients get 0.5 s for a request head and per body part."""
    sock = bind_socket("127.0.0.1", 0)
    server = make_server(sock, header_timeout=0.5, body_idle_timeout=0.5)
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    while not server.started:
        time.sleep(0.01)
    yield sock.getsockname()[1]
    server.should_exit = True
    thread.join(timeout=10)
    sock.close()


def test_slow_headers_are_cut_off(quick_lab: int) -> None:
    slow = []
    for _ in range(50):
        s = socket.create_connection(("127.0.0.1", quick_lab), timeout=5)
        s.sendall(b"GET /api/health HTTP/1.1\r\nHost: local")  # ... and never the rest
        slow.append(s)
    time.sleep(1.5)
    for s in slow:
        assert s.recv(100) == b""  # the server closed it
        s.close()
    # A keep-alive client that is slow with its second request is cut off too.
    with socket.create_connection(("127.0.0.1", quick_lab), timeout=5) as s:
        s.sendall(b"GET /api/health HTTP/1.1\r\nHost: localhost\r\n\r\n")
        assert _status(_read_all(s)) == 200
        s.sendall(b"GET /api/he")
        time.sleep(1.5)
        assert s.recv(100) == b""
    assert _status(_exchange(quick_lab, b"GET /api/health HTTP/1.1\r\nHost: localhost\r\n\r\n"))\
        == 200  # fmt: skip


def test_a_stalled_body_gets_408(quick_lab: int) -> None:
    with socket.create_connection(("127.0.0.1", quick_lab), timeout=5) as s:
        head = (b"POST /api/config HTTP/1.1\r\nHost: localhost\r\nX-Lab-Session: abcdefgh12\r\n"
                b"Content-Type: application/json\r\nContent-Length: 100\r\n\r\n")  # fmt: skip
        s.sendall(head + b"{")
        assert _status(_read_all(s)) == 408


def test_the_limit_counts_chunked_bytes_below_it_too(quick_lab: int) -> None:
    body = b'{"data": "xor"}'
    request = (b"POST /api/config HTTP/1.1\r\nHost: localhost\r\nX-Lab-Session: abcdefgh1234\r\n"
               b"Content-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n"
               + f"{len(body):x}\r\n".encode() + body + b"\r\n0\r\n\r\n")  # fmt: skip
    assert _status(_exchange(quick_lab, request)) == 200
    big = b" " * (MAX_BODY_BYTES + 1)
    request = request.replace(f"{len(body):x}\r\n".encode() + body,
                              f"{len(big):x}\r\n".encode() + big)  # fmt: skip
    assert _status(_exchange(quick_lab, request)) == 413
