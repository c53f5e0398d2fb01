"""An endpoint that answers with a web page, or never answers, is one line and exit 3 in time."""

from __future__ import annotations

import socket
import threading

import pytest

from tests.aws.conftest import CannedEndpoint
from tests.moto import REGION
from wizard.aws import EndpointUnreachable, caller_identity, make_session
from wizard.aws import session as aws_session
from wizard.cli import main
from tests.conftest import DATA


def test_a_web_page_instead_of_an_aws_answer_is_exit_3(canned_endpoint: CannedEndpoint) -> None:
    canned_endpoint.status = 200  # a proxy's page: botocore cannot parse it (ResponseParserError)
    canned_endpoint.content_type = "text/html"
    canned_endpoint.body = b"<html><body><h1>Sign in</h1><p>proxy<br></p></body></html>"
    session = make_session(region=REGION, endpoint_url=canned_endpoint.url, max_attempts=1)
    with pytest.raises(EndpointUnreachable, match="not an AWS response") as caught:
        caller_identity(session)
    assert caught.value.exit_code == 3


def test_a_web_page_through_the_command_line_is_one_line(canned_endpoint: CannedEndpoint, tmp_path, capsys,
                                                         monkeypatch) -> None:
    canned_endpoint.status = 200
    canned_endpoint.content_type = "text/html"
    canned_endpoint.body = b"<!DOCTYPE html><html><body>Welcome to the hotel network<br></body></html>"
    monkeypatch.setattr(aws_session, "DEFAULT_MAX_ATTEMPTS", 1)
    code = main(["--answers", str(DATA / "answers" / "good-standard.yaml"), "--out", str(tmp_path / "p.json"),
                 "--preflight", "--endpoint-url", canned_endpoint.url])
    err = capsys.readouterr().err
    assert code == 3, err
    assert "Traceback" not in err and "quilt-wizard:" in err


@pytest.fixture
def silent_endpoint():
    """Accepts connections and never answers."""
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(8)
    held: list[socket.socket] = []
    stop = threading.Event()

    def accept() -> None:
        server.settimeout(0.1)
        while not stop.is_set():
            try:
                held.append(server.accept()[0])
            except OSError:
                continue

    thread = threading.Thread(target=accept, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.getsockname()[1]}"
    stop.set()
    thread.join(timeout=5)
    for conn in held:
        conn.close()
    server.close()


def test_an_endpoint_that_never_answers_is_no_answer(silent_endpoint, monkeypatch) -> None:
    monkeypatch.setattr(aws_session, "READ_TIMEOUT", 0.3)
    session = make_session(region=REGION, endpoint_url=silent_endpoint, max_attempts=2)
    with pytest.raises(EndpointUnreachable, match="No answer from the endpoint") as caught:
        caller_identity(session)
    assert caught.value.exit_code == 3


def test_the_default_timeouts_give_up_within_30_seconds() -> None:
    """Each try waits at most READ_TIMEOUT for an answer; botocore's standard mode sleeps at
    most 2**n seconds before try n+1."""
    backoff = sum(2 ** n for n in range(aws_session.DEFAULT_MAX_ATTEMPTS - 1))
    assert backoff == aws_session.BACKOFF_CAP
    assert aws_session.DEFAULT_MAX_ATTEMPTS * aws_session.READ_TIMEOUT + backoff < 30
    assert aws_session.DEFAULT_MAX_ATTEMPTS * aws_session.CONNECT_TIMEOUT + backoff < 30
    config = make_session(region=REGION, endpoint_url="http://127.0.0.1:9").client("sts").meta.config
    assert config.read_timeout == aws_session.READ_TIMEOUT and config.connect_timeout == aws_session.CONNECT_TIMEOUT


def test_ctrl_c_during_an_aws_call_is_130_and_nothing_is_written(canned_endpoint: CannedEndpoint, tmp_path,
                                                                 capsys, monkeypatch) -> None:
    def interrupted(self, service, method, **params):
        raise KeyboardInterrupt

    monkeypatch.setattr(aws_session.AwsSession, "call", interrupted)
    out = tmp_path / "p.json"
    code = main(["--answers", str(DATA / "answers" / "good-standard.yaml"), "--out", str(out),
                 "--preflight", "--endpoint-url", canned_endpoint.url])
    err = capsys.readouterr().err
    assert code == 130 and "Traceback" not in err
    assert err.splitlines()[-1] == "quilt-wizard: interrupted; nothing was written"  # after the progress lines
    assert not out.exists()
