"""Manual approval end to end on moto's server: a small vendor-like stack, hardened by the overlay,
deployed with PolicyCreationMode=ManualApproval; the approver approves a bucket and the policies
are read back through boto3; a bucket outside the envelope is refused; ``--list`` shows the
versions; a stack in another mode, or no credentials, is one line.

The approver's credentials are a session of the deployed PolicyApproverRole (moto does not check
the trust's MFA condition; the trust itself is tested on the template).
"""

from __future__ import annotations

import ast
import json
import time
from pathlib import Path

import pytest

from tests.moto import ACCOUNT, REGION, TOPIC_TEMPLATE
from wizard.cfn.template import load_template
from wizard.cli import main
from wizard.overlay import harden

STACK = "qa"
TEMPLATE = Path(__file__).resolve().parents[1] / "data" / "approve" / "vendor-like.yaml"
APPROVER = f"arn:aws:iam::{ACCOUNT}:user/approver"


def _hardened() -> str:
    return harden(load_template(TEMPLATE)).text


def _deploy(session, stack: str = STACK, mode: str = "ManualApproval", prefix: str = "acme-") -> None:
    values = {"PolicyCreationMode": mode, "CustomerBucketPrefix": prefix, "ApproverPrincipalArn": APPROVER,
              "ApprovalEmail": "security@example.com"}
    cloudformation = session.client("cloudformation")
    cloudformation.create_change_set(
        StackName=stack, ChangeSetName="deploy", ChangeSetType="CREATE", TemplateBody=_hardened(),
        Capabilities=["CAPABILITY_IAM", "CAPABILITY_NAMED_IAM"],
        Parameters=[{"ParameterKey": k, "ParameterValue": v} for k, v in values.items()])
    cloudformation.get_waiter("change_set_create_complete").wait(
        StackName=stack, ChangeSetName="deploy", WaiterConfig={"Delay": 1, "MaxAttempts": 30})
    cloudformation.execute_change_set(StackName=stack, ChangeSetName="deploy")
    for _ in range(100):
        status = cloudformation.describe_stacks(StackName=stack)["Stacks"][0]["StackStatus"]
        if status.endswith("_COMPLETE"):
            break
        time.sleep(0.2)
    assert status == "CREATE_COMPLETE"


def _physical(session, logical: str, stack: str = STACK) -> str:
    resources = session.client("cloudformation").list_stack_resources(StackName=stack)["StackResourceSummaries"]
    return next(r["PhysicalResourceId"] for r in resources if r["LogicalResourceId"] == logical)


def _default_document(session, arn: str) -> tuple[str, dict]:
    iam = session.client("iam")
    version = iam.get_policy(PolicyArn=arn)["Policy"]["DefaultVersionId"]
    document = iam.get_policy_version(PolicyArn=arn, VersionId=version)["PolicyVersion"]["Document"]
    return version, document if isinstance(document, dict) else json.loads(document)


@pytest.fixture(autouse=True)
def joined_lists(monkeypatch):
    """moto's DescribeStacks gives a CommaDelimitedList parameter as the text of a Python list
    ("['arn:...']"); CloudFormation gives it joined by commas, as it was passed."""
    from dataclasses import replace

    from wizard.aws import deployed

    original = deployed.read_stack

    def read_stack(session, stack_name):
        stack = original(session, stack_name)
        fixed = {name: ",".join(ast.literal_eval(value)) if value.startswith("[") else value
                 for name, value in stack.parameters.items()}
        return replace(stack, parameters=fixed)

    monkeypatch.setattr(deployed, "read_stack", read_stack)


@pytest.fixture
def as_approver(session, monkeypatch):
    """The stack deployed in ManualApproval, and the environment's credentials a session of its
    PolicyApproverRole."""
    _deploy(session)
    role = session.client("iam").get_role(RoleName=_physical(session, "PolicyApproverRole"))["Role"]
    credentials = session.client("sts").assume_role(RoleArn=role["Arn"], RoleSessionName="alice")["Credentials"]
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", credentials["AccessKeyId"])
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", credentials["SecretAccessKey"])
    monkeypatch.setenv("AWS_SESSION_TOKEN", credentials["SessionToken"])
    return role


def _approve(endpoint: str, *more: str) -> int:
    return main(["approve", "--stack-name", STACK, "--region", REGION, "--endpoint-url", endpoint, *more])


def test_the_deployed_approver_role_trusts_only_the_approver_and_lives_under_the_path(session) -> None:
    _deploy(session)
    role = session.client("iam").get_role(RoleName=_physical(session, "PolicyApproverRole"))["Role"]
    assert role["Path"] == f"/quilt/{STACK}/{REGION}/"
    trust = role["AssumeRolePolicyDocument"]
    trust = trust if isinstance(trust, dict) else json.loads(trust)
    principals = {json.dumps(s["Principal"]["AWS"]) for s in trust["Statement"]}
    assert principals in ({json.dumps(APPROVER)}, {json.dumps([APPROVER])})
    # (moto's CloudFormation creates no e-mail subscription: the subscription is tested on the
    # template, in tests/unit/overlay/test_manual_approval.py)
    assert _physical(session, "PolicyApprovalTopic").startswith(f"arn:aws:sns:{REGION}:{ACCOUNT}:")


def test_the_approver_approves_a_bucket_and_the_policies_hold_it(session, endpoint, as_approver, capsys) -> None:
    read, write = _physical(session, "BucketReadPolicy"), _physical(session, "BucketWritePolicy")
    assert _approve(endpoint, "--bucket", "acme-data", "--yes") == 0
    captured = capsys.readouterr()
    assert f"Acting as arn:aws:sts::{ACCOUNT}:assumed-role/" in captured.err
    assert "Against the current version (v1)" in captured.out and "Envelope the deployment chose" in captured.out
    assert "within: Allow s3:Get*, s3:List* on arn:aws:s3:::acme-data, arn:aws:s3:::acme-data/*" in captured.out
    assert "Wrote BucketReadPolicy v2 (the default version) for bucket acme-data" in captured.out

    version, document = _default_document(session, read)
    assert version == "v2"
    [statement] = document["Statement"]
    assert statement["Action"] == ["s3:Get*", "s3:List*"]
    assert statement["Resource"] == ["arn:aws:s3:::acme-data", "arn:aws:s3:::acme-data/*"]
    assert statement["Condition"] == {"StringEquals": {"s3:ResourceAccount": ACCOUNT}}
    version, document = _default_document(session, write)
    assert version == "v2"
    actions = document["Statement"][0]["Action"]
    assert "s3:PutObject" in actions and "s3:*" not in actions and "s3:DeleteBucket" not in actions

    # a second bucket joins the same statements; the same bucket again writes nothing
    assert _approve(endpoint, "--bucket", "acme-more", "--yes") == 0
    _version, document = _default_document(session, read)
    assert document["Statement"][0]["Resource"] == ["arn:aws:s3:::acme-data", "arn:aws:s3:::acme-data/*",
                                                    "arn:aws:s3:::acme-more", "arn:aws:s3:::acme-more/*"]
    capsys.readouterr()
    assert _approve(endpoint, "--bucket", "acme-data", "--yes") == 0
    assert "Nothing to write: bucket acme-data is already approved." in capsys.readouterr().out


def test_a_bucket_outside_the_envelope_is_refused_in_one_line(session, endpoint, as_approver, capsys) -> None:
    read = _physical(session, "BucketReadPolicy")
    assert _approve(endpoint, "--bucket", "other-data", "--yes") == 2
    captured = capsys.readouterr()
    error = captured.err.strip().splitlines()[-1]
    assert error.startswith("quilt-wizard: --bucket: refused, outside the envelope: BucketReadPolicy statement Allow")
    assert "arn:aws:s3:::other-data" in error and "QW-AUD-001" in error and "'acme-'" in error
    assert "outside" in captured.out
    assert _default_document(session, read)[0] == "v1"  # nothing written


def test_list_shows_what_exists_under_the_path_with_its_versions(session, endpoint, as_approver, capsys) -> None:
    assert _approve(endpoint, "--bucket", "acme-data", "--yes") == 0
    capsys.readouterr()
    assert _approve(endpoint, "--list") == 0
    out = capsys.readouterr().out
    assert f"policies of the stack and under /quilt/{STACK}/{REGION}/" in out
    rows = [line.split() for line in out.splitlines() if "BucketReadPolicy" in line]
    assert [row[row.index("placeholder") + 1] if "placeholder" in row else None for row in rows]
    assert any("v1" in row for row in rows) and any("v2" in row and "(default)" in row for row in rows)


def test_at_five_versions_the_oldest_that_is_not_the_default_goes_first(session, endpoint, as_approver,
                                                                         capsys) -> None:
    read = _physical(session, "BucketReadPolicy")
    iam = session.client("iam")
    for name in ("acme-a", "acme-b", "acme-c", "acme-d"):
        assert _approve(endpoint, "--bucket", name, "--yes") == 0
    assert [v["VersionId"] for v in iam.list_policy_versions(PolicyArn=read)["Versions"]] != []
    assert len(iam.list_policy_versions(PolicyArn=read)["Versions"]) == 5
    capsys.readouterr()
    assert _approve(endpoint, "--bucket", "acme-e", "--yes") == 0
    out = capsys.readouterr().out
    assert "IAM keeps at most 5 versions of BucketReadPolicy: deleting v1, the oldest that is not the default" in out
    versions = {v["VersionId"]: v["IsDefaultVersion"] for v in iam.list_policy_versions(PolicyArn=read)["Versions"]}
    assert "v1" not in versions and versions["v6"] is True and len(versions) == 5


def test_without_the_typed_bucket_name_nothing_is_written(session, endpoint, as_approver, capsys, monkeypatch) -> None:
    read = _physical(session, "BucketReadPolicy")
    monkeypatch.setattr("sys.stdin.isatty", lambda: True)
    monkeypatch.setattr("builtins.input", lambda prompt: "acme-dat")
    assert _approve(endpoint, "--bucket", "acme-data") == 0
    assert "Not written." in capsys.readouterr().err
    assert _default_document(session, read)[0] == "v1"
    monkeypatch.setattr("builtins.input", lambda prompt: "acme-data")
    assert _approve(endpoint, "--bucket", "acme-data") == 0
    assert _default_document(session, read)[0] == "v2"


def test_without_a_terminal_and_without_yes_it_stops_before_any_call(endpoint, capsys, monkeypatch) -> None:
    monkeypatch.setattr("sys.stdin.isatty", lambda: False)
    assert _approve(endpoint, "--bucket", "acme-data") == 2
    assert "--bucket: writing needs the bucket's name typed at a terminal, or --yes" in capsys.readouterr().err


def _small_stack(session, template: str, parameters: dict[str, str]) -> None:
    session.client("cloudformation").create_stack(
        StackName=STACK, TemplateBody=template,
        Parameters=[{"ParameterKey": k, "ParameterValue": v} for k, v in parameters.items()])


def test_a_stack_in_another_mode_is_refused_in_one_line(session, endpoint, capsys) -> None:
    # (moto cannot deploy the hardened stack in the other modes: it keeps the AWS::NoValue of a
    # role's Policies; the mode is read from the stack's parameters before anything else)
    template = TOPIC_TEMPLATE.replace("Parameters:\n", "Parameters:\n  PolicyCreationMode:\n    Type: String\n")
    _small_stack(session, template, {"TopicName": "quilt-events", "PolicyCreationMode": "Automatic"})
    assert _approve(endpoint, "--bucket", "acme-data", "--yes") == 2
    error = capsys.readouterr().err.strip().splitlines()
    assert error[-1] == ("quilt-wizard: --stack-name: stack qa runs PolicyCreationMode Automatic, not ManualApproval: "
                         "there is nothing to approve: its application writes the bucket policies itself")
    assert _approve(endpoint, "--list") == 2


def test_a_stack_without_the_option_is_refused_in_one_line(session, endpoint, capsys) -> None:
    _small_stack(session, TOPIC_TEMPLATE, {"TopicName": "quilt-events"})
    assert _approve(endpoint, "--list") == 2
    error = capsys.readouterr().err.strip().splitlines()[-1]
    assert error.startswith("quilt-wizard: --stack-name: stack qa has no PolicyCreationMode parameter")


def test_without_credentials_it_says_so_in_one_line(endpoint, capsys, monkeypatch) -> None:
    for name in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN"):
        monkeypatch.delenv(name, raising=False)
    assert _approve(endpoint, "--list") == 3
    lines = capsys.readouterr().err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("quilt-wizard: ") and "credentials" in lines[0].lower()


def test_a_bad_bucket_name_is_refused_before_any_call(capsys) -> None:
    assert main(["approve", "--stack-name", STACK, "--bucket", "Acme_Data", "--yes",
                 "--endpoint-url", "http://127.0.0.1:9"]) == 2
    assert "--bucket: 'Acme_Data' is not an S3 bucket name" in capsys.readouterr().err


def test_the_aws_deadline_reaches_the_session(monkeypatch) -> None:
    from wizard.aws import session as sessions

    seen = {}

    def refuse(**kwargs):
        seen.update(kwargs)
        raise sessions.AwsError("stopped here")

    monkeypatch.setattr(sessions, "make_session", refuse)
    assert main(["approve", "--stack-name", STACK, "--list", "--aws-deadline", "7"]) == 3
    assert seen["deadline"] == 7
