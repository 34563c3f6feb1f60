"""A tiny HTTPS application server on ``http.server``: requests in, responses out.

Each demo server is a function ``Request -> Response`` run by :class:`TLSServer` in a
background thread. Logging never shows query strings or bodies, where codes and tokens travel.
"""

from __future__ import annotations

import collections
import contextlib
import json
import logging
import socket
import socketserver
import ssl
import threading
import time
import traceback
from collections.abc import Callable
from dataclasses import dataclass, field
from email.message import Message
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

log = logging.getLogger("agol_jupyter.demo")

MAX_BODY = 1 << 20
SOCKET_TIMEOUT = 30


@dataclass
class Request:
    """One HTTP request, with its parameters decoded (first value of each name)."""

    method: str
    path: str
    query: dict[str, str]
    form: dict[str, str]
    headers: Message
    client_host: str
    body: bytes = b""

    def param(self, name: str) -> str | None:
        """A parameter from the form body, else from the query string."""
        if name in self.form:
            return self.form[name]
        return self.query.get(name)

    @property
    def params(self) -> dict[str, str]:
        """Query and form parameters together (the form wins)."""
        return {**self.query, **self.form}


@dataclass
class Response:
    """What to send back."""

    status: int = 200
    body: bytes = b""
    content_type: str = "application/json; charset=utf-8"
    headers: list[tuple[str, str]] = field(default_factory=list)


App = Callable[[Request], Response]


def json_response(data: Any, status: int = 200) -> Response:
    """A JSON body."""
    return Response(status, json.dumps(data).encode())


def html_response(
    html: str, status: int = 200, headers: list[tuple[str, str]] | None = None
) -> Response:
    """An HTML page."""
    return Response(status, html.encode(), "text/html; charset=utf-8", list(headers or []))


def redirect(location: str) -> Response:
    """A 302 to ``location``."""
    return Response(302, b"", "text/plain; charset=utf-8", [("Location", location)])


def arcgis_error(
    code: int, message: str, *, error: str | None = None, description: str | None = None
) -> Response:
    """ArcGIS's error envelope, sent with HTTP 200 as ArcGIS does."""
    body: dict[str, Any] = {"code": code}
    if error is not None:
        body["error"] = error
        body["error_description"] = description or message
    body["message"] = message
    body["details"] = []
    return json_response({"error": body})


def _first_values(qs: str) -> dict[str, str]:
    return {k: v[0] for k, v in parse_qs(qs, keep_blank_values=True).items()}


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "DemoPortal/1.0"
    sys_version = ""
    server: TLSServer

    def setup(self) -> None:
        # The TLS handshake runs here, in the connection's own thread, so a slow or
        # distrustful client never stalls the accept loop.
        self.request.settimeout(SOCKET_TIMEOUT)
        tls = self.server.tls.wrap_socket(
            self.request, server_side=True, do_handshake_on_connect=False
        )
        self.request = tls
        self.server.track(tls)
        tls.do_handshake()
        super().setup()

    def finish(self) -> None:
        try:
            super().finish()
        finally:
            self.server.untrack(self.request)

    def _handle(self) -> None:
        split = urlsplit(self.path)
        try:
            length = int(self.headers.get("Content-Length") or 0)
        except ValueError:
            length = -1
        if not 0 <= length <= MAX_BODY:
            self.send_error(400 if length < 0 else 413)
            return
        body = self.rfile.read(length) if length else b""
        form: dict[str, str] = {}
        ctype = (self.headers.get("Content-Type") or "").split(";")[0].strip().lower()
        if ctype == "application/x-www-form-urlencoded":
            form = _first_values(body.decode("utf-8", "replace"))
        request = Request(
            self.command,
            split.path,
            _first_values(split.query),
            form,
            self.headers,
            self.client_address[0],
            body,
        )
        started = time.perf_counter()
        try:
            response = self.server.app(request)
        except Exception as e:
            # Frames and the exception's type only: its message could quote a token.
            log.error(
                "demo server: %s answering %s %s\n%s",
                type(e).__name__,
                self.command,
                split.path,
                "".join(traceback.format_tb(e.__traceback__)),
            )
            response = Response(500, b"internal error", "text/plain; charset=utf-8")
        self.server.journal.record(self.command, split.path, time.perf_counter() - started)
        self._send(response)

    def _send(self, response: Response) -> None:
        self.send_response(response.status)
        self.send_header("Content-Type", response.content_type)
        self.send_header("Content-Length", str(len(response.body)))
        self.send_header("Cache-Control", "no-store")
        for name, value in response.headers:
            self.send_header(name, value)
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(response.body)

    do_GET = do_POST = do_HEAD = do_PUT = do_DELETE = _handle

    def date_time_string(self, timestamp: float | None = None) -> str:
        # The Date header follows the server's clock, which a test may have moved.
        return super().date_time_string(self.server.clock() if timestamp is None else timestamp)

    def send_error(self, code: int, message: str | None = None, explain: str | None = None) -> None:
        # The stdlib's messages quote the raw request line, query string included.
        super().send_error(code)

    def _logged_path(self) -> str:
        return urlsplit(getattr(self, "path", "") or "").path or "-"

    def log_request(self, code: int | str = "-", size: int | str = "-") -> None:
        log.debug("%s %s %s", getattr(self, "command", None) or "-", self._logged_path(), code)

    def log_message(self, format: str, *args: Any) -> None:
        # The stdlib would print the raw request line, query string included.
        log.debug("demo server: bad request on %s", self._logged_path())


@dataclass(frozen=True)
class Served:
    """One answered request: method, path (never the query) and the time spent answering."""

    method: str
    path: str
    seconds: float
    at: float


class Journal:
    """The last requests a server answered, for tests and benchmarks."""

    LIMIT = 10_000

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._entries: collections.deque[Served] = collections.deque(maxlen=self.LIMIT)

    def record(self, method: str, path: str, seconds: float) -> None:
        with self._lock:
            self._entries.append(Served(method, path, seconds, time.time()))

    def entries(self, since: float = 0.0) -> list[Served]:
        """Requests answered at or after ``since`` (epoch seconds)."""
        with self._lock:
            return [e for e in self._entries if e.at >= since]


class TLSServer(ThreadingHTTPServer):
    """A threaded HTTPS server for one :data:`App`, started in a background thread."""

    daemon_threads = True

    def __init__(self, host: str, port: int, app: App, cert_pem: Path) -> None:
        self.app = app
        self.journal = Journal()
        self.clock: Callable[[], float] = time.time
        self.tls = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        self.tls.load_cert_chain(cert_pem)
        super().__init__((host, port), _Handler)
        self._thread: threading.Thread | None = None
        self._connections: set[socket.socket] = set()
        self._connections_lock = threading.Lock()

    def track(self, connection: socket.socket) -> None:
        """Remember an open connection, so that :meth:`stop` can cut it."""
        with self._connections_lock:
            self._connections.add(connection)

    def untrack(self, connection: socket.socket) -> None:
        """Forget a connection that closed."""
        with self._connections_lock:
            self._connections.discard(connection)

    @property
    def port(self) -> int:
        """The bound port (useful after binding port 0)."""
        return int(self.server_address[1])

    def start(self, name: str) -> None:
        """Serve in a daemon thread."""
        # A short poll interval makes stop() quick (shutdown waits for the loop to notice).
        self._thread = threading.Thread(
            target=self.serve_forever, kwargs={"poll_interval": 0.05}, name=name, daemon=True
        )
        self._thread.start()

    def stop(self) -> None:
        """Stop serving and close the listening socket."""
        self.shutdown()
        self.server_close()
        # Keep-alive connections would otherwise go on answering after the "portal" stopped.
        with self._connections_lock:
            connections = list(self._connections)
        for connection in connections:
            with contextlib.suppress(OSError):
                connection.shutdown(socket.SHUT_RDWR)
        if self._thread is not None:
            self._thread.join(timeout=5)

    def handle_error(self, request: Any, client_address: Any) -> None:
        # TLS handshakes that a client aborts (untrusted CA, port probes) are routine here.
        log.debug("demo server: connection from %s ended with an error", client_address[0])

    def server_bind(self) -> None:
        # HTTPServer.server_bind would resolve the host name (socket.getfqdn), which can
        # take seconds on machines without reverse DNS; loopback needs none of that.
        socketserver.TCPServer.server_bind(self)
        host, port = self.server_address[:2]
        self.server_name = str(host)
        self.server_port = int(port)
