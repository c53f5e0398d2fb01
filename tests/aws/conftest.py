"""Fixtures for the AWS tests: every test here runs in the isolated AWS environment.

moto's server, the isolation and the certificate helper live in ``tests.moto`` (shared with
the Textual wizard's AWS screens); this file adds what only these tests use: the ``session``
name for a session on moto, moto's IAM enforcement, and a canned endpoint for the failures
moto cannot produce.
"""

from __future__ import annotations

import http.server
import threading
from collections.abc import Iterator
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
