"""Fixtures for the AWS tests: every test here runs in the isolated AWS environment.

moto's server, the isolation and the certificate helper live in ``tests.moto`` (shared with
the Textual wizard's AWS screens); this file adds what only these tests use: the ``session``
name for a session on moto, moto's IAM enforcement, and a canned endpoint for the failures
moto cannot produce.
"""

from __future__ import annotations

import http.server
import re
import socket
import threading
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from tests.moto import post
from wizard.aws import AwsSession


@pytest.fixture(autouse=True)
def aws_environment(aws_environment: Path) -> Path:
    """No real AWS settings, fake credentials, empty config files, no metadata service."""
    return aws_environment


@pytest.fixture
def session(moto_session: AwsSession) -> AwsSession:
    """A wizard session on moto in us-east-1 (fresh clients, shared service models)."""
    return moto_session


@pytest.fixture
def iam_enforced(endpoint: str) -> Iterator[None]:
    """moto checks signatures and IAM policies for this test (off again afterwards)."""
    post(f"{endpoint}/moto-api/reset-auth", b"0")
    try:
        yield
    finally:
        post(f"{endpoint}/moto-api/reset-auth", b"inf")


@dataclass
class CannedEndpoint:
    """A local HTTP endpoint that answers every request with one canned AWS error."""

    url: str
    status: int = 400
    body: bytes = b""
    content_type: str = "text/xml"
    requests: list[str] = field(default_factory=list)

    def error(self, code: str, message: str, *, status: int = 400) -> None:
        """Answer in the query protocol (CloudFormation, STS)."""
        self.status = status
        self.body = (
            "<ErrorResponse><Error><Type>Sender</Type>"
            f"<Code>{code}</Code><Message>{message}</Message></Error>"
            "<RequestId>canned</RequestId></ErrorResponse>").encode()


@pytest.fixture
def canned_endpoint() -> Iterator[CannedEndpoint]:
    """For failures moto cannot produce (throttling, expired tokens), over real HTTP."""
    canned = CannedEndpoint(url="")

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_POST(self) -> None:  # noqa: N802 - the stdlib's name
            length = int(self.headers.get("Content-Length") or 0)
            canned.requests.append(self.rfile.read(length).decode(errors="replace"))
            self.send_response(canned.status)
            self.send_header("Content-Type", canned.content_type)
            self.send_header("Content-Length", str(len(canned.body)))
            self.end_headers()
            self.wfile.write(canned.body)

        def log_message(self, *args: object) -> None:
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    canned.url = f"http://127.0.0.1:{server.server_address[1]}"
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05},
                              daemon=True)
    thread.start()
    try:
        yield canned
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)


@dataclass(frozen=True)
class Request:
    """One request a scripted endpoint received: the AWS operation it asked for and its protocol."""

    method: str
    operation: str
    """``Action=`` of the query protocol or the ``X-Amz-Target`` of the JSON one ('' for S3's REST)."""
    json: bool


Answer = Callable[[Request, threading.Event], Iterable[bytes]]
"""What a scripted endpoint sends for a request: chunks of the raw HTTP answer, as they come (a
generator may wait between two, on the event, which is set when the endpoint stops)."""


def http_answer(body: bytes, content_type: str = "text/xml", status: str = "200 OK") -> bytes:
    return (f"HTTP/1.1 {status}\r\nContent-Type: {content_type}\r\nContent-Length: {len(body)}\r\n"
            "\r\n").encode() + body


class ScriptedEndpoint:
    """A raw HTTP endpoint on 127.0.0.1 that answers each request as ``answer`` says.

    Bounded: it stops by itself after ``lifetime`` seconds (closing every connection) even when a
    test never stops it, and never holds more than ``most`` connections."""

    def __init__(self, answer: Answer, *, lifetime: float = 60, most: int = 64) -> None:
        self.answer = answer
        self.requests: list[Request] = []
        self.stopped = threading.Event()
        self._most = most
        self._connections: list[socket.socket] = []
        self._lock = threading.Lock()
        self._server = socket.create_server(("127.0.0.1", 0))
        self._server.settimeout(0.05)
        self.url = f"http://127.0.0.1:{self._server.getsockname()[1]}"
        self._threads = [threading.Thread(target=self._accept, daemon=True)]
        self._timer = threading.Timer(lifetime, self.stop)
        self._timer.daemon = True
        self._timer.start()
        self._threads[0].start()

    def stop(self) -> None:
        self.stopped.set()
        self._timer.cancel()
        with self._lock:
            for conn in self._connections:
                try:
                    conn.shutdown(socket.SHUT_RDWR)
                except OSError:
                    pass
                conn.close()
        for thread in list(self._threads):
            if thread is not threading.current_thread():
                thread.join(timeout=5)
        self._server.close()

    def _accept(self) -> None:
        while not self.stopped.is_set():
            try:
                conn, _ = self._server.accept()
            except OSError:
                continue
            with self._lock:
                if self.stopped.is_set() or len(self._connections) >= self._most:
                    conn.close()
                    continue
                self._connections.append(conn)
                thread = threading.Thread(target=self._serve, args=(conn,), daemon=True)
                self._threads.append(thread)
            thread.start()

    def _serve(self, conn: socket.socket) -> None:
        conn.settimeout(0.2)
        pending = b""
        try:
            while not self.stopped.is_set():
                request, pending = self._read(conn, pending)
                if request is None:
                    return
                self.requests.append(request)
                for chunk in self.answer(request, self.stopped):
                    if self.stopped.is_set():
                        return
                    conn.sendall(chunk)
        except OSError:
            return

    def _read(self, conn: socket.socket, data: bytes) -> tuple[Request | None, bytes]:
        while b"\r\n\r\n" not in data:
            try:
                chunk = conn.recv(65536)
            except socket.timeout:
                if self.stopped.is_set():
                    return None, b""
                continue
            if not chunk:
                return None, b""
            data += chunk
        head, _, rest = data.partition(b"\r\n\r\n")
        length = re.search(rb"(?im)^content-length:\s*(\d+)", head)
        while length and len(rest) < int(length.group(1)) and not self.stopped.is_set():
            try:
                chunk = conn.recv(65536)
            except socket.timeout:
                continue
            if not chunk:
                return None, b""
            rest += chunk
        size = int(length.group(1)) if length else 0
        body, rest = rest[:size], rest[size:]
        target = re.search(rb"(?im)^x-amz-target:\s*(\S+)", head)
        action = re.search(rb"(?:^|&)Action=([A-Za-z]+)", body)
        operation = (target or action).group(1).decode() if (target or action) else ""
        return Request(head.split(b" ", 1)[0].decode(), operation, target is not None), rest


@pytest.fixture
def scripted_endpoint() -> Iterator[Callable[..., ScriptedEndpoint]]:
    """Start a :class:`ScriptedEndpoint` (``scripted_endpoint(answer)``); each is stopped at the end."""
    started: list[ScriptedEndpoint] = []

    def start(answer: Answer, **limits: float) -> ScriptedEndpoint:
        started.append(ScriptedEndpoint(answer, **limits))
        return started[-1]

    try:
        yield start
    finally:
        for endpoint in started:
            endpoint.stop()
