"""The audit as an oracle: a stack deployed on moto, policies written as the application would.

A small stack (a role with an inline policy, a trust policy, a NotResource '*' placeholder
managed policy like the Quilt template's, a bucket) is deployed by executing a change set on
moto's server. Then, as the registry does at run time, policies are created under
``/quilt/<stack>/<region>/`` with boto3 and attached: one inside CustomerBucketPrefix, one
``s3:*`` on ``*``, and the placeholder gets a second version. The audit must report exactly the
out-of-envelope policy, no drift for the rest, and drift when something is changed by hand.
"""

from __future__ import annotations

import json
import time

import pytest

from tests.moto import REGION
from wizard.audit.verdict import audit
from wizard.aws.deployed import read_holdings
from wizard.cli import main

STACK = "qa"
PATH = f"/quilt/{STACK}/{REGION}/"

TEMPLATE = """\
AWSTemplateFormatVersion: '2010-09-09'
Parameters:
  CustomerBucketPrefix: {Type: String, Default: ''}
  AdminPassword: {Type: String, NoEcho: true, Default: change-me-please}
Resources:
  DataBucket:
    Type: AWS::S3::Bucket
  BucketReadPolicy:
    Type: AWS::IAM::ManagedPolicy
    Properties:
      Path: !Sub /quilt/${AWS::StackName}/${AWS::Region}/
      Description: Placeholder, grants nothing until a bucket is connected.
      Roles: [!Ref RegistryRole]
      PolicyDocument:
        Version: '2012-10-17'
        Statement:
          - {Effect: Allow, Action: [s3:GetObject, s3:ListBucket], NotResource: '*'}
  RegistryRole:
    Type: AWS::IAM::Role
    Properties:
      AssumeRolePolicyDocument:
        Version: '2012-10-17'
        Statement:
          - {Effect: Allow, Principal: {Service: ecs-tasks.amazonaws.com}, Action: sts:AssumeRole}
      Policies:
        - PolicyName: registry
          PolicyDocument:
            Version: '2012-10-17'
            Statement:
              - Effect: Allow
                Action: [iam:CreatePolicy, iam:CreatePolicyVersion, iam:GetPolicy]
                Resource: !Sub 'arn:${AWS::Partition}:iam::${AWS::AccountId}:policy/quilt/${AWS::StackName}/${AWS::Region}/Quilt-*'
              - {Effect: Allow, Action: s3:GetObject, Resource: !Sub '${DataBucket.Arn}/*'}
"""


def _deploy(session, prefix: str = "acme-") -> None:
    cloudformation = session.client("cloudformation")
    cloudformation.create_change_set(
        StackName=STACK, ChangeSetName="deploy", ChangeSetType="CREATE", TemplateBody=TEMPLATE,
        Capabilities=["CAPABILITY_IAM", "CAPABILITY_NAMED_IAM"],
        Parameters=[{"ParameterKey": "CustomerBucketPrefix", "ParameterValue": prefix}])
    cloudformation.get_waiter("change_set_create_complete").wait(
        StackName=STACK, ChangeSetName="deploy", WaiterConfig={"Delay": 1, "MaxAttempts": 30})
    cloudformation.execute_change_set(StackName=STACK, ChangeSetName="deploy")
    for _ in range(60):
        status = cloudformation.describe_stacks(StackName=STACK)["Stacks"][0]["StackStatus"]
        if status.endswith("_COMPLETE"):
            break
        time.sleep(0.2)
    assert status == "CREATE_COMPLETE"


def _role(session) -> str:
    resources = session.client("cloudformation").list_stack_resources(StackName=STACK)["StackResourceSummaries"]
    return next(r["PhysicalResourceId"] for r in resources if r["LogicalResourceId"] == "RegistryRole")


def _placeholder(session) -> str:
    resources = session.client("cloudformation").list_stack_resources(StackName=STACK)["StackResourceSummaries"]
    return next(r["PhysicalResourceId"] for r in resources if r["LogicalResourceId"] == "BucketReadPolicy")


def _document(*statements: dict) -> str:
    return json.dumps({"Version": "2012-10-17", "Statement": list(statements)})


def _write_run_time_policies(session) -> dict[str, str]:
    """What the registry does when buckets are connected (as boto3 calls, like the application)."""
    iam = session.client("iam")
    role = _role(session)
    inside = iam.create_policy(PolicyName="Quilt-acme-data", Path=PATH, PolicyDocument=_document(
        {"Effect": "Allow", "Action": ["s3:GetObject", "s3:PutObject"],
         "Resource": ["arn:aws:s3:::acme-data", "arn:aws:s3:::acme-data/*"]}))["Policy"]["Arn"]
    wide = iam.create_policy(PolicyName="Quilt-everything", Path=PATH, PolicyDocument=_document(
        {"Effect": "Allow", "Action": "s3:*", "Resource": "*"}))["Policy"]["Arn"]
    for arn in (inside, wide):
        iam.attach_role_policy(RoleName=role, PolicyArn=arn)
    iam.create_policy_version(PolicyArn=_placeholder(session), SetAsDefault=True, PolicyDocument=_document(
        {"Effect": "Allow", "Action": "s3:GetObject", "Resource": "arn:aws:s3:::acme-data/*"}))
    return {"inside": inside, "wide": wide}


def test_the_audit_reports_exactly_the_out_of_envelope_policy(session) -> None:
    _deploy(session)
    written = _write_run_time_policies(session)
    progress: list[str] = []
    holdings = read_holdings(session, STACK, on_progress=progress.append)
    result = audit(holdings)

    assert [(f.rule_id, f.resources) for f in result.findings] == [("QW-AUD-001", (written["wide"],))]
    finding = result.findings[0]
    assert finding.severity == "high" and "s3:*" in finding.message and "'acme-'" in finding.message
    assert {c.framework for c in finding.controls} >= {"soc2", "hipaa"}
    assert result.drift == []
    assert "AdminPassword" in holdings.stack.masked and "AdminPassword" not in holdings.stack.parameters
    assert result.to_json()["stack"]["parameters"]["AdminPassword"] == "****"
    assert "change-me-please" not in json.dumps(result.to_json(), default=str)
    # every policy under the path is listed with its versions and holders
    by_name = {p.policy.name: p for p in result.policies}
    assert by_name["Quilt-everything"].origin == "run time"
    assert by_name["Quilt-acme-data"].policy.attached_to == (("role", _role(session)),)
    placeholder = next(p for p in result.policies if p.placeholder)
    assert [v.version_id for v in placeholder.policy.versions] == ["v1", "v2"]
    assert placeholder.policy.default_version == "v2"
    # CloudTrail is best effort: moto cannot answer LookupEvents, and the audit says so
    assert holdings.cloudtrail.startswith("CloudTrail LookupEvents failed")
    assert any("reading policies" in line for line in progress)


def test_the_same_stack_without_run_time_writes_is_clean(session) -> None:
    _deploy(session)
    result = audit(read_holdings(session, STACK))
    assert result.findings == [] and result.drift == []
    assert sum(len(c.comparison.matched) for c in result.comparisons) >= 4


def test_a_hand_edited_inline_policy_is_drift_and_a_foreign_policy_is_outside_the_path(session) -> None:
    _deploy(session)
    iam = session.client("iam")
    role = _role(session)
    iam.put_role_policy(RoleName=role, PolicyName="registry", PolicyDocument=_document(
        {"Effect": "Allow", "Action": ["iam:CreatePolicy", "iam:CreatePolicyVersion", "iam:GetPolicy"],
         "Resource": f"arn:aws:iam::123456789012:policy{PATH}Quilt-*"},
        {"Effect": "Allow", "Action": "sqs:SendMessage", "Resource": "*"}))
    foreign = iam.create_policy(PolicyName="hand-made", Path="/ops/", PolicyDocument=_document(
        {"Effect": "Allow", "Action": "s3:GetObject", "Resource": "arn:aws:s3:::acme-logs/*"}))["Policy"]["Arn"]
    iam.attach_role_policy(RoleName=role, PolicyArn=foreign)

    result = audit(read_holdings(session, STACK))
    rules = sorted((f.rule_id, f.subject) for f in result.findings)
    assert ("QW-AUD-005", "hand-made on RegistryRole") in rules
    assert ("QW-AUD-006", "RegistryRole inline policy registry") in rules
    assert ("QW-AUD-007", "RegistryRole inline policy registry") in rules  # the bucket read was replaced
    assert [(label, kind) for label, kind, _ in result.drift] == [
        ("RegistryRole inline policy registry", "unexplained"), ("RegistryRole inline policy registry", "missing")]


def test_the_command_gates_writes_the_report_and_refuses_to_overwrite(session, endpoint, tmp_path, capsys) -> None:
    _deploy(session)
    _write_run_time_policies(session)
    out = tmp_path / "audit"
    argv = ["audit", "--stack-name", STACK, "--region", REGION, "--endpoint-url", endpoint,
            "--out", str(out), "--fail-on", "high"]
    assert main(argv) == 1
    captured = capsys.readouterr()
    assert "QW-AUD-001" in captured.out and "Quilt-everything" in captured.out
    assert "1 finding(s) at or above high" in captured.err
    assert "reading policies" in captured.err  # the progress goes to standard error
    markdown = (out / "audit-report.md").read_text()
    assert "Quilt-everything" in markdown and "QW-AUD-001" in markdown
    assert (out / "audit-report.html").read_text().startswith("<!DOCTYPE html>")
    assert main(argv) == 2
    assert "already there; give --force" in capsys.readouterr().err
    assert main([*argv[:-2], "--json", "--force"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert [f["rule_id"] for f in data["findings"]] == ["QW-AUD-001"]
    assert data["envelope"]["bucket_prefix"] == "acme-"


def test_a_missing_stack_is_one_line_and_exit_3(session, endpoint, capsys) -> None:
    assert main(["audit", "--stack-name", "nope", "--region", REGION, "--endpoint-url", endpoint]) == 3
    error = capsys.readouterr().err.strip().splitlines()[-1]
    assert error.startswith("quilt-wizard: ") and "nope does not exist" in error
