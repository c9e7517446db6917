"""A real HTTP(S) server on 127.0.0.1 whose answers a test scripts.

Each vendor stand-in supplies `handle(request) -> Reply` for the documented
behaviour; a test queues faults with `fail_next(...)`, which are served first,
one per request, before normal service resumes. Every request is recorded.
"""

from __future__ import annotations

import io
import json
import socket
import ssl
import struct
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Self
from urllib.parse import parse_qs, urlsplit

# A hung request is held at most this long, so a stopped test never waits on it.
HANG_SECONDS = 5.0
TRICKLE_INTERVAL = 0.1
"""A trickled answer sends one byte this often: far sooner than any read timeout."""
TRICKLE_SECONDS = 30.0
"""A trickle stops after this long, or as soon as the client goes away."""
TRICKLE_PADDING = 1000
"""White space after a trickled JSON body (still the same JSON), so that the trickle
outlasts any deadline a test sets."""


@dataclass(frozen=True)
class Request:
    method: str
    path: str
    query: dict[str, str]
    headers: dict[str, str]
    body: bytes

    def json(self) -> Any:
        return json.loads(self.body or b"null")

    @property
    def authorization(self) -> str:
        return self.headers.get("authorization", "")


@dataclass
class Reply:
    status: int = 200
    body: Any = None
    """bytes as they are; anything else is sent as JSON."""
    headers: dict[str, str] = field(default_factory=dict)
    content_type: str = "application/json"
    delay: float = 0.0
    """Seconds to wait before answering (a distant or slow API)."""
    action: str | None = None
    """`hang` (never answer), `reset` (RST before answering), `cut` (RST mid-body),
    `oversized` (a body larger than any client should read), `trickle` (the whole answer,
    status line first, one byte every TRICKLE_INTERVAL), `trickle-body` (the status line
    and headers at once, then the body one byte at a time)."""

    def encoded(self) -> bytes:
        if self.body is None:
            return b""
        if isinstance(self.body, bytes):
            return self.body
        return json.dumps(self.body).encode("utf-8")


Handler = Callable[[Request], Reply]


class StandIn:
    """Serve `handle` on 127.0.0.1 over HTTP, or HTTPS when given a TLS context."""

    def __init__(self, tls: ssl.SSLContext | None = None) -> None:
        self.requests: list[Request] = []
        self._faults: list[Reply] = []
        self._lock = threading.Lock()
        self._tls = tls
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None

    # Subclasses implement the vendor's documented behaviour.
    def handle(self, request: Request) -> Reply:
        return Reply(404, {"error": "not found"})

    def fail_next(self, *replies: Reply) -> None:
        with self._lock:
            self._faults.extend(replies)

    def _next(self, request: Request) -> Reply:
        with self._lock:
            self.requests.append(request)
            if self._faults:
                return self._faults.pop(0)
        return self.handle(request)

    @property
    def origin(self) -> str:
        assert self._server is not None
        scheme = "https" if self._tls else "http"
        return f"{scheme}://127.0.0.1:{self._server.server_address[1]}"

    def start(self) -> Self:
        stand_in = self

        class _Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"
            # Headers and body go out in separate writes: without this, Nagle holds the body
            # back for the client's delayed ACK (40 ms a request on loopback).
            disable_nagle_algorithm = True

            def log_message(self, format: str, *args: Any) -> None:
                return

            def _serve(self) -> None:
                parts = urlsplit(self.path)
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length) if length else b""
                request = Request(
                    method=self.command,
                    path=parts.path,
                    query={k: v[-1] for k, v in parse_qs(parts.query).items()},
                    headers={k.lower(): v for k, v in self.headers.items()},
                    body=body,
                )
                reply = stand_in._next(request)
                self._send(reply)

            def _send(self, reply: Reply) -> None:
                if reply.delay:
                    time.sleep(reply.delay)
                if reply.action == "hang":
                    time.sleep(HANG_SECONDS)
                    self.close_connection = True
                    return
                if reply.action == "reset":
                    _reset(self.connection)
                    self.close_connection = True
                    return
                payload = reply.encoded()
                if reply.action == "oversized":
                    payload = b"x" * (4 * 1024 * 1024)
                if reply.action in ("trickle", "trickle-body"):
                    payload += b" " * TRICKLE_PADDING
                if reply.action == "trickle":
                    # The head is buffered by send_header; collect it instead of sending it.
                    buffer = io.BytesIO()
                    sent, self.wfile = self.wfile, buffer
                    self._head(reply, payload)
                    self.wfile = sent
                    self._trickle(buffer.getvalue() + payload)
                    return
                self._head(reply, payload)
                if reply.action == "trickle-body":
                    self.wfile.flush()
                    self._trickle(payload)
                    return
                if reply.action == "cut":
                    self.wfile.write(payload[: max(1, len(payload) // 2)])
                    self.wfile.flush()
                    _reset(self.connection)
                    self.close_connection = True
                    return
                self.wfile.write(payload)

            def _head(self, reply: Reply, payload: bytes) -> None:
                self.send_response(reply.status)
                if payload or reply.status not in (204, 304):
                    self.send_header("Content-Type", reply.content_type)
                for name, value in reply.headers.items():
                    self.send_header(name, value)
                self.send_header("Content-Length", str(len(payload)))
                self.end_headers()

            def _trickle(self, data: bytes) -> None:
                self.close_connection = True
                ends = time.monotonic() + TRICKLE_SECONDS
                for offset in range(len(data)):
                    if time.monotonic() > ends:
                        return
                    try:
                        self.wfile.write(data[offset : offset + 1])
                        self.wfile.flush()
                    except OSError:
                        return  # the client went away
                    time.sleep(TRICKLE_INTERVAL)

            do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = _serve  # noqa: N815

        server = _QuietServer(("127.0.0.1", 0), _Handler)
        server.daemon_threads = True
        server.block_on_close = False
        if self._tls:
            server.socket = self._tls.wrap_socket(server.socket, server_side=True)
        self._server = server
        self._thread = threading.Thread(
            target=server.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        if self._server:
            self._server.shutdown()
            self._server.server_close()
            self._server = None

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()


class _QuietServer(ThreadingHTTPServer):
    def handle_error(self, request: object, client_address: object) -> None:
        # Faults cut connections on purpose; socketserver would print a traceback for each.
        return


def _reset(connection: socket.socket) -> None:
    """Close with RST rather than FIN: what a crashed or cut-off server does."""
    try:
        connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        connection.close()
    except OSError:
        pass


def closed_port() -> int:
    """A port on 127.0.0.1 with nothing listening: connections are refused."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])
