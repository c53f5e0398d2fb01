"""A headless deployment followed to the end, the template bucket's consent, and
``quilt-wizard status``, as real processes against moto (and a canned endpoint for a stack that
never finishes, to interrupt)."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from tests.aws.conftest import CannedEndpoint
from tests.cli_run import run_cli
from tests.conftest import DATA
from tests.moto import ACCOUNT, import_certificate, publisher_stack
from wizard.aws import AwsSession


def test_a_headless_execution_is_followed_to_create_complete(session: AwsSession, endpoint: str,
                                                             tmp_path: Path) -> None:
    template, answers = publisher_stack(tmp_path)
    result = run_cli("--answers", answers, "--template", template, "--out", str(tmp_path / "p.json"),
                     "--create-change-set", "--execute", "--yes", "--endpoint-url", endpoint)
    assert result.code == 0, result.err
    # capabilities named with the role that needs them, confirmed by --yes
    assert "CAPABILITY_IAM: the template creates IAM resources (Publisher) (confirmed by --yes)" in result.err
    assert "CAPABILITY_NAMED_IAM" not in result.err
    # one line per event on standard error, the end on standard output
    assert "Following stack quilt" in result.err
    assert [line for line in result.err.splitlines() if "CREATE_COMPLETE" in line and "quilt" in line]
    assert "Stack quilt: CREATE_COMPLETE" in result.out
    assert "for stack quilt: 2 changes (2 add). Executed." in result.out  # the summary says so
    assert session.client("cloudformation").describe_stacks(
        StackName="quilt")["Stacks"][0]["StackStatus"] == "CREATE_COMPLETE"


def test_json_carries_the_security_review_and_the_deployment(session: AwsSession, endpoint: str,
                                                             tmp_path: Path) -> None:
    template, answers = publisher_stack(tmp_path)
    result = run_cli("--answers", answers, "--template", template, "--out", str(tmp_path / "p.json"),
                     "--create-change-set", "--execute", "--yes", "--endpoint-url", endpoint, "--json")
    assert result.code == 0, result.err
    aws = json.loads(result.out)["aws"]
    security = aws["change_set"]["security"]
    publisher = security["resources"]["Publisher"]
    assert publisher["broadening"] is True
    assert {(g["principal"], tuple(g["actions"])) for g in publisher["added"]} >= {
        ("Publisher", ("sns:Publish",)), ("Service:lambda.amazonaws.com", ("sts:AssumeRole",))}
    assert [c["name"] for c in security["capabilities"]] == ["CAPABILITY_IAM"]
    assert aws["deployment"]["status"] == "CREATE_COMPLETE" and aws["deployment"]["succeeded"]


def test_the_embedded_template_without_a_bucket_asks_for_consent(session: AwsSession, endpoint: str,
                                                                 tmp_path: Path) -> None:
    arn = import_certificate(session, "quilt.example.com")
    result = run_cli("--answers", str(DATA / "answers" / "good-standard.yaml"), "--account-id", ACCOUNT,
                     "--set", f"CertificateArnELB={arn}", "--out", str(tmp_path / "p.json"),
                     "--create-change-set", "--endpoint-url", endpoint)
    assert result.code == 2, result.err
    assert "--create-template-bucket" in result.err
    assert session.client("s3").list_buckets()["Buckets"] == []
    assert not session.client("cloudformation").list_stacks()["StackSummaries"]


def test_the_managed_bucket_is_reused_without_asking(session: AwsSession, endpoint: str,
                                                     tmp_path: Path) -> None:
    managed = f"quilt-wizard-templates-{ACCOUNT}-us-east-1"
    session.client("s3").create_bucket(Bucket=managed)
    arn = import_certificate(session, "quilt.example.com")
    result = run_cli("--answers", str(DATA / "answers" / "good-standard.yaml"), "--account-id", ACCOUNT,
                     "--set", f"CertificateArnELB={arn}", "--out", str(tmp_path / "p.json"),
                     "--create-change-set", "--endpoint-url", endpoint, "--json")
    assert result.code == 0, result.err
    change_set = json.loads(result.out)["aws"]["change_set"]
    assert change_set["template_url"].startswith(f"https://{managed}.s3")
    assert change_set["capabilities"] == ["CAPABILITY_IAM"]  # the embedded template names no IAM resource
    security = change_set["security"]
    assert security["resources"]["RegistryRole"]["added"]
    assert f"Template bucket s3://{managed} (managed)" in result.err


def test_status_shows_the_state_and_the_outputs(session: AwsSession, endpoint: str) -> None:
    session.client("cloudformation").create_stack(
        StackName="quilt", TemplateBody="""\
Parameters:
  QuiltWebHost: {Type: String}
Resources:
  Topic: {Type: 'AWS::SNS::Topic'}
Outputs:
  TopicArn: {Value: !Ref Topic}
""", Parameters=[{"ParameterKey": "QuiltWebHost", "ParameterValue": "data.acme.com"}])
    result = run_cli("status", "--stack-name", "quilt", "--endpoint-url", endpoint)
    assert result.code == 0, result.err
    assert "Stack quilt: CREATE_COMPLETE" in result.out
    lines = result.out.splitlines()
    outputs = lines[lines.index("Outputs:") + 1:]
    assert "https://data.acme.com" in outputs[0] and "TopicArn" in outputs[1]
    assert "CREATE_COMPLETE" in result.err  # the latest events
    as_json = json.loads(run_cli("status", "--stack-name", "quilt", "--endpoint-url", endpoint, "--json").out)
    assert as_json["outputs"][0]["value"] == "https://data.acme.com"


def test_status_of_a_missing_stack_is_exit_3(endpoint: str) -> None:
    result = run_cli("status", "--stack-name", "nope", "--endpoint-url", endpoint)
    assert result.code == 3 and "There is no stack nope" in result.err


def test_ctrl_c_stops_following_and_says_how_to_resume(canned_endpoint: CannedEndpoint) -> None:
    # Every request gets one answer holding both a stack that is still updating and its events.
    canned_endpoint.status = 200
    canned_endpoint.body = b"""<Response>
<DescribeStacksResult><Stacks><member><StackName>quilt</StackName><StackId>id</StackId>
<StackStatus>UPDATE_IN_PROGRESS</StackStatus><CreationTime>2026-01-01T00:00:00Z</CreationTime>
</member></Stacks></DescribeStacksResult>
<DescribeStackEventsResult><StackEvents><member><EventId>e1</EventId><StackId>id</StackId>
<StackName>quilt</StackName><LogicalResourceId>quilt</LogicalResourceId>
<ResourceType>AWS::CloudFormation::Stack</ResourceType><ResourceStatus>UPDATE_IN_PROGRESS</ResourceStatus>
<Timestamp>2026-01-01T00:00:00Z</Timestamp></member></StackEvents></DescribeStackEventsResult>
</Response>"""
    process = subprocess.Popen([sys.executable, "-m", "wizard", "status", "--stack-name", "quilt", "--follow",
                                "--region", "us-east-1", "--endpoint-url", canned_endpoint.url],
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=dict(os.environ))
    deadline = time.monotonic() + 60
    while process.poll() is None and not any("DescribeStackEvents" in r for r in canned_endpoint.requests[1:]):
        assert time.monotonic() < deadline, "never started following"
        time.sleep(0.05)
    time.sleep(0.3)
    process.send_signal(signal.SIGINT)
    out, err = process.communicate(timeout=30)
    assert process.returncode == 130, err
    assert "quilt-wizard status --stack-name quilt --region us-east-1 --follow" in err
    assert "the deployment goes on" in err and "Traceback" not in err
    assert not any("CancelUpdateStack" in r for r in canned_endpoint.requests)


def test_a_deployment_that_rolled_back_is_exit_3() -> None:
    from datetime import datetime

    import pytest

    from wizard.aws.events import FollowResult, StackEvent
    from wizard.commands.aws_steps import AwsOutcome, gate
    from wizard.errors import AwsError

    failure = StackEvent("e3", datetime(2026, 1, 1), "RegistryRole", "AWS::IAM::Role", "CREATE_FAILED",
                         "Policy arn:aws:iam::aws:policy/Nope does not exist")
    outcome = AwsOutcome(deployment=FollowResult("quilt", "ROLLBACK_COMPLETE", first_failure=failure))
    with pytest.raises(AwsError, match="ended in ROLLBACK_COMPLETE: RegistryRole: Policy") as caught:
        gate(outcome)
    assert caught.value.exit_code == 3
    gate(AwsOutcome(deployment=FollowResult("quilt", "UPDATE_COMPLETE")))  # success passes
    gate(AwsOutcome(deployment=FollowResult("quilt", "UPDATE_IN_PROGRESS", stopped=True)))  # not finished


def test_the_bucket_used_is_recorded_in_a_saved_profile(session: AwsSession, endpoint: str,
                                                        tmp_path: Path) -> None:
    import yaml

    from wizard.flow.profiles import user_profiles_dir

    folder = user_profiles_dir()
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "acme.yaml").write_text("name: acme\nextends: standard\n")
    managed = f"quilt-wizard-templates-{ACCOUNT}-us-east-1"
    session.client("s3").create_bucket(Bucket=managed)
    arn = import_certificate(session, "quilt.example.com")
    common = ["--answers", str(DATA / "answers" / "good-standard.yaml"), "--profile", "acme",
              "--account-id", ACCOUNT, "--set", f"CertificateArnELB={arn}", "--create-change-set",
              "--endpoint-url", endpoint]
    first = run_cli(*common, "--out", str(tmp_path / "one.json"))
    assert first.code == 0, first.err
    saved = yaml.safe_load((folder / "acme.yaml").read_text())
    assert saved["accounts"][ACCOUNT]["template_bucket"] == managed
    assert saved["extends"] == "standard"
    second = run_cli(*common, "--out", str(tmp_path / "two.json"))
    assert second.code == 0, second.err
    assert f"Template bucket s3://{managed} (profile)" in second.err
    assert "recorded" not in second.err
