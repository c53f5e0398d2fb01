"""An endpoint that answers with a web page or an answer of the wrong shape, that never answers or
trickles its answer, is one line and exit 3 in time."""

from __future__ import annotations

import json
import socket
import threading
from collections.abc import Iterator

import pytest

from tests.aws.conftest import CannedEndpoint, Request, http_answer
from tests.moto import REGION
from wizard.aws import EndpointUnreachable, caller_identity, make_session
from wizard.aws import session as aws_session
from wizard.cli import main
from tests.conftest import DATA

GOOD = str(DATA / "answers" / "good-standard.yaml")


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


# -- answers of the wrong shape: one line naming the endpoint and what is missing, exit 3 ---------------

SMALL = str(DATA / "templates" / "fleet-small.yaml")
TARGET = "111122223333"  # the account of the answers file


def entry_points(out) -> dict[str, list[str]]:
    """Every command that talks to AWS, without its --endpoint-url."""
    return {
        "--preflight": ["--answers", GOOD, "--out", str(out), "--preflight"],
        "--create-change-set": ["--answers", GOOD, "--out", str(out), "--create-change-set",
                                "--template-bucket", "acme-cfn-templates"],
        "status": ["status", "--stack-name", "quilt", "--region", REGION],
        "status --follow": ["status", "--stack-name", "quilt", "--region", REGION, "--follow"],
        "audit": ["audit", "--stack-name", "quilt", "--region", REGION],
        "fleet deploy": ["fleet", "deploy", "--profile", "teams", "--stack-set-name", "quilt-fleet", "-t", SMALL,
                         "--yes", "--region", REGION],
        "fleet status": ["fleet", "status", "--stack-set-name", "quilt-fleet", "--region", REGION],
    }


def fleet_profile() -> None:
    from wizard.flow.profiles import user_profiles_dir

    folder = user_profiles_dir()
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "teams.yaml").write_text(f"name: teams\nextends: standard\nanswers: {{bucket_scope: acme-data-}}\n"
                                       f"accounts:\n  '{TARGET}': {{parameters: {{VPC: vpc-0123456789abcdef0}}}}\n")


def another_shape(request: Request, stopped) -> list[bytes]:
    """A well-formed answer of no AWS call (botocore finds no result element)."""
    if request.json:
        return [http_answer(b"[]", "application/x-amz-json-1.1")]
    return [http_answer(b"<Response><Unrelated/></Response>")]


def members_missing(request: Request, stopped) -> list[bytes]:
    """The result element of each call the commands make first, with members left out."""
    if request.json:
        return [http_answer(b"{}", "application/x-amz-json-1.1")]
    return [http_answer(b"<Response><GetCallerIdentityResult/>"
                        b"<DescribeStacksResult><Stacks><member/></Stacks></DescribeStacksResult>"
                        b"<DescribeStackEventsResult><StackEvents><member/></StackEvents></DescribeStackEventsResult>"
                        b"<DescribeStackSetResult><StackSet/></DescribeStackSetResult>"
                        b"<ListStackInstancesResult><Summaries><member/></Summaries></ListStackInstancesResult>"
                        b"</Response>")]


def json_members_missing(request: Request, stopped) -> list[bytes]:
    """STS and CloudFormation answer as AWS does; the JSON services (ACM, KMS...) answer ``{}``."""
    if request.json:
        return [http_answer(b"{}", "application/x-amz-json-1.1")]
    if request.operation == "GetCallerIdentity":
        return [http_answer(f"<GetCallerIdentityResponse><GetCallerIdentityResult><Account>{TARGET}</Account>"
                            f"<Arn>arn:aws:iam::{TARGET}:user/ops</Arn><UserId>AIDA</UserId>"
                            "</GetCallerIdentityResult></GetCallerIdentityResponse>".encode())]
    return [http_answer(b"<ErrorResponse><Error><Type>Sender</Type><Code>ValidationError</Code>"
                        b"<Message>Stack with id quilt does not exist</Message></Error></ErrorResponse>",
                        status="400 Bad Request")]


@pytest.mark.parametrize("answer", [another_shape, members_missing], ids=["another shape", "members missing"])
@pytest.mark.parametrize("entry", list(entry_points("p.json")))
def test_an_answer_of_the_wrong_shape_is_one_line_naming_the_endpoint(entry, answer, scripted_endpoint, tmp_path,
                                                                      capsys) -> None:
    fleet_profile()
    endpoint = scripted_endpoint(answer)
    code = main([*entry_points(tmp_path / "p.json")[entry], "--endpoint-url", endpoint.url])
    err = capsys.readouterr().err
    assert code == 3, err
    assert "Traceback" not in err and "KeyError" not in err
    [line] = [line for line in err.splitlines() if line.startswith("quilt-wizard:")]
    assert line.startswith(f"quilt-wizard: The endpoint {endpoint.url} answered ")
    assert " without " in line or " another shape " in line, line
    assert endpoint.requests  # it was asked


def test_a_json_service_answering_the_wrong_shape_stops_the_preflight(scripted_endpoint, tmp_path, capsys) -> None:
    endpoint = scripted_endpoint(json_members_missing)
    out = tmp_path / "p.json"
    code = main(["--answers", GOOD, "--out", str(out), "--preflight", "--endpoint-url", endpoint.url])
    err = capsys.readouterr().err
    assert code == 3, err
    assert err.splitlines()[-1] == (f"quilt-wizard: The endpoint {endpoint.url} answered acm:DescribeCertificate "
                                    "without Certificate: is it an AWS endpoint? Check the endpoint URL and proxy "
                                    "settings.")
    assert not out.exists()


def test_a_member_read_from_an_answer_it_lacks_names_where_it_should_be() -> None:
    from wizard.aws.answers import MalformedAnswer, answer_of

    answer = answer_of({"Stacks": [{"StackName": "quilt"}], "Outputs": []}, "http://aws.test", "cloudformation:X")
    assert answer["Stacks"][0]["StackName"] == "quilt" and answer.get("Nope") is None
    with pytest.raises(MalformedAnswer, match=r"http://aws.test answered cloudformation:X without Stacks\[0\]\.StackId"):
        answer["Stacks"][0]["StackId"]
    with pytest.raises(MalformedAnswer, match=r"without Outputs\[0\]"):
        answer["Outputs"][0]
    assert isinstance(answer, dict) and json.loads(json.dumps(answer)) == {"Stacks": [{"StackName": "quilt"}],
                                                                           "Outputs": []}


# -- an endpoint that trickles: every call has an overall deadline -------------------------------------

def trickle(request: Request, stopped) -> Iterator[bytes]:
    """``200 OK`` and a long body, one byte at a time: each byte restarts botocore's read timeout."""
    yield b"HTTP/1.1 200 OK\r\nContent-Type: text/xml\r\nContent-Length: 100000\r\n\r\n<"
    while not stopped.wait(0.5):
        yield b" "


@pytest.mark.parametrize("entry", list(entry_points("p.json")))
def test_an_endpoint_that_trickles_is_given_up_at_the_deadline(entry, scripted_endpoint, tmp_path, capsys) -> None:
    fleet_profile()
    endpoint = scripted_endpoint(trickle)
    code = main([*entry_points(tmp_path / "p.json")[entry], "--endpoint-url", endpoint.url, "--aws-deadline", "1"])
    err = capsys.readouterr().err
    assert code == 3, err
    assert "Traceback" not in err
    [line] = [line for line in err.splitlines() if line.startswith("quilt-wizard:")]
    assert line.startswith(f"quilt-wizard: No complete answer from the endpoint {endpoint.url} (calling ")
    assert ") within 1 s: it answers too slowly or not at all" in line and "--aws-deadline" in line


def test_an_endpoint_that_never_answers_is_given_up_at_the_deadline(silent_endpoint, tmp_path, capsys) -> None:
    out = tmp_path / "p.json"
    code = main(["--answers", GOOD, "--out", str(out), "--preflight", "--endpoint-url", silent_endpoint,
                 "--aws-deadline", "0.5"])
    err = capsys.readouterr().err
    assert code == 3, err
    assert err.splitlines()[-1] == (f"quilt-wizard: No complete answer from the endpoint {silent_endpoint} (calling "
                                    "sts:GetCallerIdentity) within 0.5 s: it answers too slowly or not at all. Check "
                                    "the network, proxy settings and any endpoint URL given, or allow longer with "
                                    "--aws-deadline.")
    assert not out.exists()


@pytest.mark.parametrize("value", ["0", "-1", "soon", "nan", "inf"])
def test_a_deadline_that_is_not_a_number_of_seconds_is_refused(value, capsys) -> None:
    with pytest.raises(SystemExit) as caught:
        main(["status", "--stack-name", "quilt", "--aws-deadline", value])
    assert caught.value.code == 2
    assert f"argument --aws-deadline: expected a number of seconds above 0, found {value!r}" in capsys.readouterr().err


def test_every_command_that_calls_aws_says_its_deadline_in_help(capsys) -> None:
    from wizard.commands import aws_options

    assert aws_options.DEFAULT_DEADLINE == aws_session.DEFAULT_DEADLINE
    for command in ([], ["status"], ["audit"], ["fleet", "deploy"], ["fleet", "status"]):
        with pytest.raises(SystemExit):
            main([*command, "--help"])
        assert "--aws-deadline SECONDS" in " ".join(capsys.readouterr().out.split())
    assert make_session(region=REGION, endpoint_url="http://127.0.0.1:9").deadline == aws_session.DEFAULT_DEADLINE


async def test_the_wizards_screens_keep_the_deadline(silent_endpoint, tmp_path, aws_environment) -> None:
    """``quilt-wizard --aws-deadline`` reaches the screens: the preflight against an endpoint that
    never answers fails at the deadline given, in one line naming it."""
    from screens.app import build_app
    from screens.aws.preflight import PreflightScreen
    from tests.functional.helpers import EMBEDDED_REQUIRED, press, settle, write_parameter_file

    app = build_app(out=tmp_path / "p.json", settings=EMBEDDED_REQUIRED, endpoint_url=silent_endpoint,
                    aws_deadline=0.5)
    async with app.run_test(size=(120, 40)) as pilot:
        await write_parameter_file(pilot)
        await press(pilot, "p", "enter")
        screen = app.screen
        assert isinstance(screen, PreflightScreen)
        await app.workers.wait_for_complete()
        await settle(pilot)
        assert screen.status_text.startswith(f"Failed: No complete answer from the endpoint {silent_endpoint}")
        assert "within 0.5 s" in screen.status_text and "\n" not in screen.status_text


def test_the_command_passes_the_deadline_to_the_screens(monkeypatch) -> None:
    import screens.app

    built = {}
    monkeypatch.setattr(screens.app.QuiltWizardApp, "run", lambda self: built.setdefault("app", self))
    assert main(["--aws-deadline", "5"]) == 0
    assert built["app"].options.aws_deadline == 5.0

def test_the_audits_cloudtrail_lookup_keeps_the_callers_deadline(silent_endpoint, aws_environment) -> None:
    """The audit asks CloudTrail in IAM's region through a session of its own: that session keeps
    the deadline of the command's (``audit --aws-deadline``)."""
    from types import SimpleNamespace

    from wizard.aws.deployed import _creators

    session = make_session(region=REGION, endpoint_url=silent_endpoint, deadline=0.5)
    found, why = _creators(session, SimpleNamespace(region="eu-west-1"),
                           ["arn:aws:iam::111122223333:policy/quilt/x"], say=lambda _line: None)
    assert found == {}
    assert why.startswith("CloudTrail LookupEvents failed (No complete answer from the endpoint")
    assert "within 0.5 s" in why
