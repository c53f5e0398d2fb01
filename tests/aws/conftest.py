"""Fixtures for the AWS tests: a real local AWS endpoint (moto's server) and a clean environment.

The server is started once per test session on 127.0.0.1 with a free port and stopped at
the end; every test that uses it starts from an empty account (``/moto-api/reset``). The
environment is emptied of the operator's AWS settings and given fake credentials, so no
test can reach a real account, the instance metadata service or the internet.
"""

from __future__ import annotations

import http.server
import os
import shutil
import socket
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from wizard.aws import AwsSession

REGION = "us-east-1"
ACCOUNT = "123456789012"
"""The account moto answers as."""


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _post(url: str, data: bytes = b"") -> bytes:
    request = urllib.request.Request(url, data=data, method="POST",
                                     headers={"Content-Type": "text/plain"})
    with urllib.request.urlopen(request, timeout=5) as answer:
        return answer.read()


def _moto_command(port: int) -> list[str]:
    beside = Path(sys.executable).with_name("moto_server")
    found = str(beside) if beside.exists() else shutil.which("moto_server")
    if found:
        return [found, "-H", "127.0.0.1", "-p", str(port)]
    return [sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(port)]


@pytest.fixture(scope="session")
def moto_server() -> Iterator[str]:
    """The URL of a moto server running for the whole test session."""
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
    env.update(AWS_ACCESS_KEY_ID="testing", AWS_SECRET_ACCESS_KEY="testing",
               AWS_DEFAULT_REGION=REGION, MOTO_ACM_VALIDATION_WAIT="86400",
               NO_PROXY="127.0.0.1,localhost", no_proxy="127.0.0.1,localhost")
    process = subprocess.Popen(_moto_command(port), env=env, stdin=subprocess.DEVNULL,
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    try:
        while True:
            if process.poll() is not None:
                pytest.fail(f"moto's server exited with status {process.returncode}")
            try:
                _post(f"{url}/moto-api/reset")
                break
            except (urllib.error.URLError, ConnectionError, TimeoutError):
                if time.monotonic() > deadline:
                    pytest.fail("moto's server did not answer within 60 s")
                time.sleep(0.1)
        yield url
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def _isolate(monkeypatch: pytest.MonkeyPatch, folder: Path) -> None:
    for name in list(os.environ):
        if name.startswith("AWS_"):
            monkeypatch.delenv(name)
    config = folder / "aws-config"
    credentials = folder / "aws-credentials"
    config.write_text("")
    credentials.write_text("")
    monkeypatch.setenv("AWS_CONFIG_FILE", str(config))
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(credentials))
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    monkeypatch.setenv("AWS_DEFAULT_REGION", REGION)
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")
    monkeypatch.setenv("NO_PROXY", "127.0.0.1,localhost")
    monkeypatch.setenv("no_proxy", "127.0.0.1,localhost")


@pytest.fixture(autouse=True)
def aws_environment(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Path:
    """No real AWS settings, fake credentials, empty config files, no metadata service."""
    _isolate(monkeypatch, tmp_path)
    return tmp_path


@pytest.fixture
def endpoint(moto_server: str) -> Iterator[str]:
    """moto's URL, with an empty account for this test."""
    _post(f"{moto_server}/moto-api/reset")
    yield moto_server


@pytest.fixture(scope="session")
def boto_session(tmp_path_factory: pytest.TempPathFactory) -> object:
    """One boto3 session (fake credentials, isolated environment) for the whole run.

    Sharing it shares botocore's cache of service models, which makes a client cost
    milliseconds instead of a tenth of a second per test.
    """
    import boto3

    with pytest.MonkeyPatch.context() as monkeypatch:
        _isolate(monkeypatch, tmp_path_factory.mktemp("aws"))
        shared = boto3.Session(aws_access_key_id="testing", aws_secret_access_key="testing",
                               region_name=REGION)
        shared.get_credentials()
        shared.available_profiles  # reads the (empty) config files now, inside the isolation
    return shared


@pytest.fixture
def session(endpoint: str, boto_session: object) -> AwsSession:
    """A wizard session on moto in us-east-1 (fresh clients, shared service models)."""
    return AwsSession(boto_session, region=REGION, endpoint_url=endpoint, max_attempts=2)


@pytest.fixture
def iam_enforced(endpoint: str) -> Iterator[None]:
    """moto checks signatures and IAM policies for this test (off again afterwards)."""
    _post(f"{endpoint}/moto-api/reset-auth", b"0")
    try:
        yield
    finally:
        _post(f"{endpoint}/moto-api/reset-auth", b"inf")


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


def make_certificate(common_name: str, *names: str, days: int = 365) -> tuple[bytes, bytes]:
    """A self-signed certificate (PEM) and its key, for ACM's import_certificate."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common_name)])
    now = datetime.now(UTC)
    builder = (x509.CertificateBuilder().subject_name(subject).issuer_name(subject)
               .public_key(key.public_key()).serial_number(x509.random_serial_number())
               .not_valid_before(now - timedelta(days=1))
               .not_valid_after(now + timedelta(days=days)))
    builder = builder.add_extension(
        x509.SubjectAlternativeName([x509.DNSName(n) for n in (common_name, *names)]),
        critical=False)
    cert = builder.sign(key, hashes.SHA256())
    key_pem = key.private_bytes(serialization.Encoding.PEM,
                                serialization.PrivateFormat.PKCS8,
                                serialization.NoEncryption())
    return cert.public_bytes(serialization.Encoding.PEM), key_pem
