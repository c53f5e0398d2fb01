"""A real local AWS endpoint for the tests: moto's server on loopback, and a clean environment.

The server is started once per test session on 127.0.0.1 with a free port and stopped at
the end; every test that asks for ``endpoint`` starts from an empty account
(``/moto-api/reset``). ``aws_environment`` empties the environment of the operator's AWS
settings and gives fake credentials, so no test can reach a real account, the instance
metadata service or the internet. The AWS tests and the Textual wizard's AWS screens share
these fixtures (the root ``conftest`` registers them).
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

REGION = "us-east-1"
ACCOUNT = "123456789012"
"""The account moto answers as."""


def free_port() -> int:
    """A loopback port nothing listens on (a closed port, for unreachable endpoints)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def post(url: str, data: bytes = b"") -> bytes:
    """POST to moto's control API (reset, reset-auth)."""
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


def isolate_aws(monkeypatch: pytest.MonkeyPatch, folder: Path) -> None:
    """No real AWS settings: fake credentials, empty config files, no metadata service."""
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


def network_settings(aws: object) -> list[str]:
    """A VPC with two private and two public subnets in moto, as ``--set`` arguments (the
    preflight checks that the VPC and subnets the parameters name exist)."""
    ec2 = aws.client("ec2")
    vpc = ec2.create_vpc(CidrBlock="10.0.0.0/16")["Vpc"]["VpcId"]
    subnets = [ec2.create_subnet(VpcId=vpc, CidrBlock=f"10.0.{i}.0/24")["Subnet"]["SubnetId"] for i in range(4)]
    return ["--set", f"VPC={vpc}", "--set", f"Subnets={subnets[0]},{subnets[1]}",
            "--set", f"PublicSubnets={subnets[2]},{subnets[3]}"]


def import_certificate(aws: object, common_name: str, *names: str, days: int = 365) -> str:
    """Import a fresh self-signed certificate into ACM (``aws``: a wizard AWS session); its ARN."""
    cert, key = make_certificate(common_name, *names, days=days)
    return aws.client("acm").import_certificate(Certificate=cert, PrivateKey=key)["CertificateArn"]


# -- fixtures ---------------------------------------------------------------------------------

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
                post(f"{url}/moto-api/reset")
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


@pytest.fixture
def aws_environment(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Path:
    """The isolated AWS environment of one test; the folder holding its empty config files."""
    isolate_aws(monkeypatch, tmp_path)
    return tmp_path


@pytest.fixture
def endpoint(moto_server: str, aws_environment: Path) -> Iterator[str]:
    """moto's URL, with an empty account for this test."""
    post(f"{moto_server}/moto-api/reset")
    yield moto_server


@pytest.fixture(scope="session")
def boto_session(tmp_path_factory: pytest.TempPathFactory) -> object:
    """One boto3 session (fake credentials, isolated environment) for the whole run.

    Sharing it shares botocore's cache of service models, which makes a client cost
    milliseconds instead of a tenth of a second per test.
    """
    import boto3

    with pytest.MonkeyPatch.context() as monkeypatch:
        isolate_aws(monkeypatch, tmp_path_factory.mktemp("aws"))
        shared = boto3.Session(aws_access_key_id="testing", aws_secret_access_key="testing",
                               region_name=REGION)
        shared.get_credentials()
        shared.available_profiles  # reads the (empty) config files now, inside the isolation
    return shared


@pytest.fixture
def moto_session(endpoint: str, boto_session: object):
    """A wizard AWS session on moto in us-east-1 (fresh clients, shared service models)."""
    from wizard.aws import AwsSession

    return AwsSession(boto_session, region=REGION, endpoint_url=endpoint, max_attempts=2)


#: A one-topic stack: the smallest template moto deploys, for change sets and stack states.
TOPIC_TEMPLATE = """\
AWSTemplateFormatVersion: '2010-09-09'
Parameters:
  TopicName:
    Type: String
Resources:
  Topic:
    Type: AWS::SNS::Topic
    Properties:
      TopicName: !Ref TopicName
"""

#: The one-topic stack with a role that may publish to it: moto executes it to CREATE_COMPLETE,
#: it needs CAPABILITY_IAM, and its change set has a security change to show. (No outputs: moto
#: gives a stack created by executing a change set none.)
PUBLISHER_TEMPLATE = TOPIC_TEMPLATE + """\
  Publisher:
    Type: AWS::IAM::Role
    Properties:
      AssumeRolePolicyDocument:
        Version: '2012-10-17'
        Statement:
          - Effect: Allow
            Principal: {Service: lambda.amazonaws.com}
            Action: sts:AssumeRole
      Policies:
        - PolicyName: publish
          PolicyDocument:
            Version: '2012-10-17'
            Statement:
              - Effect: Allow
                Action: sns:Publish
                Resource: !Ref Topic
"""


def publisher_stack(folder: Path) -> tuple[str, str]:
    """``PUBLISHER_TEMPLATE`` and an answers file for it (stack quilt), written in ``folder``."""
    template = folder / "publisher.yaml"
    template.write_text(PUBLISHER_TEMPLATE)
    answers = folder / "answers.yaml"
    answers.write_text("version: 1\nparameters:\n  TopicName: quilt-events\n")
    return str(template), str(answers)
