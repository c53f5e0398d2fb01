"""The envelope rules, statement by statement, without AWS."""

from __future__ import annotations

import pytest

from wizard.audit.envelope import (ATHENA_OUTSIDE_WORKGROUPS, BEYOND_GUARDRAIL, PLACEHOLDER_ACTIONS,
                                   S3_OUTSIDE_PREFIX, Envelope, judge)
from wizard.audit.statements import normalize

PREFIXED = Envelope(partition="aws", path="/quilt/q/us-east-1/", bucket_prefix="acme-",
                    own_buckets=("q-analytics-1",), workgroups=("primary", "q-wg"))
OPEN = Envelope(partition="aws", path="/quilt/q/us-east-1/")


def rules(statement: dict, envelope: Envelope = PREFIXED, **kwargs) -> list[str]:
    return [rule for rule, _ in judge(normalize(statement), envelope, **kwargs)]


def allow(action, resource=None, **more) -> dict:
    statement = {"Effect": "Allow", "Action": action, **more}
    if resource is not None:
        statement["Resource"] = resource
    return statement


@pytest.mark.parametrize("resource", [
    "arn:aws:s3:::acme-data", "arn:aws:s3:::acme-data/*", ["arn:aws:s3:::acme-*", "arn:aws:s3:::acme-*/*"],
    "arn:aws:s3:::q-analytics-1/athena-results/*", "arn:aws:sqs:us-east-1:1:queue"])
def test_s3_inside_the_prefix_or_the_stacks_own_buckets_is_within(resource) -> None:
    assert rules(allow(["s3:GetObject", "s3:PutObject"], resource)) == []


@pytest.mark.parametrize("statement", [
    allow("s3:*", "*"), allow("s3:GetObject", "arn:aws:s3:::other/*"), allow("s3:GetObject", "arn:aws:s3:::acm*"),
    allow("*", "arn:aws:s3:::*"), allow("s3:GetObject", None, NotResource="arn:aws:s3:::acme-*"),
    {"Effect": "Allow", "NotAction": "iam:*", "Resource": "*"}])
def test_s3_outside_the_prefix_is_a_finding(statement) -> None:
    assert S3_OUTSIDE_PREFIX in rules(statement)


def test_without_a_prefix_only_every_bucket_is_outside() -> None:
    assert rules(allow("s3:GetObject", "arn:aws:s3:::any-bucket/*"), OPEN) == []
    assert rules(allow("s3:GetObject", "*"), OPEN) == [S3_OUTSIDE_PREFIX]


def test_deny_and_placeholder_statements_are_not_judged() -> None:
    assert rules({"Effect": "Deny", "Action": "s3:*", "Resource": "*"}) == []
    assert rules(allow("s3:*", None, NotResource="*")) == []


def test_athena_outside_the_workgroups() -> None:
    inside = allow("athena:StartQueryExecution", "arn:aws:athena:us-east-1:1:workgroup/q-wg")
    outside = allow("athena:StartQueryExecution", "arn:aws:athena:us-east-1:1:workgroup/finance")
    assert rules(inside) == []
    assert rules(outside) == [ATHENA_OUTSIDE_WORKGROUPS]
    assert rules(allow("athena:GetQueryResults", "*")) == [ATHENA_OUTSIDE_WORKGROUPS]
    assert rules(allow("athena:ListWorkGroups", "*")) == []  # List calls take no resource
    assert rules(outside, OPEN) == []  # AllowedAthenaWorkgroups empty: not bounded


def test_without_a_guardrail_iam_writes_and_passrole_are_beyond_it() -> None:
    assert rules(allow("iam:AttachRolePolicy", "*")) == [BEYOND_GUARDRAIL]
    assert rules(allow("iam:PassRole", "arn:aws:iam::1:role/x")) == [BEYOND_GUARDRAIL]
    assert rules(allow("iam:GetPolicy", "*")) == []


def test_denies_on_other_services_are_no_guardrail_for_iam() -> None:
    """The manual-approval topic's Denies do not bound what a run-time statement may do in IAM."""
    topic = (normalize({"Sid": "NoChangeToApprovalTopic", "Effect": "Deny", "Action": ["sns:DeleteTopic"],
                        "Resource": "arn:aws:sns:us-east-1:1:approval"}),)
    envelope = Envelope(partition="aws", path=PREFIXED.path, bucket_prefix="acme-", guardrail=topic)
    assert rules(allow("iam:AttachRolePolicy", "*"), envelope) == [BEYOND_GUARDRAIL]
    assert rules(allow("iam:GetPolicy", "*"), envelope) == []
    assert rules(allow("sns:DeleteTopic", "arn:aws:sns:us-east-1:1:approval"), envelope) == [BEYOND_GUARDRAIL]


def test_with_a_guardrail_its_denies_decide() -> None:
    guardrail = (
        normalize({"Sid": "DenyPolicyWritesOutsideQuiltPath", "Effect": "Deny", "Action": ["iam:CreatePolicyVersion"],
                   "NotResource": "arn:aws:iam::1:policy/quilt/q/us-east-1/*"}),
        normalize({"Sid": "DenyS3OutsideBucketPrefix", "Effect": "Deny", "Action": "s3:*",
                   "NotResource": ["arn:aws:s3:::acme-*", "arn:aws:s3:::acme-*/*"]}),
    )
    guarded = Envelope(partition="aws", path=PREFIXED.path, bucket_prefix="acme-", guardrail=guardrail)
    found = judge(normalize(allow("iam:CreatePolicyVersion", "arn:aws:iam::1:policy/elsewhere")), guarded)
    assert [rule for rule, _ in found] == [BEYOND_GUARDRAIL] and "DenyPolicyWritesOutsideQuiltPath" in found[0][1]
    assert rules(allow("iam:CreatePolicyVersion", "arn:aws:iam::1:policy/quilt/q/us-east-1/Quilt-x"), guarded) == []
    assert rules(allow("s3:GetObject", "arn:aws:s3:::other/*"), guarded) == [S3_OUTSIDE_PREFIX, BEYOND_GUARDRAIL]
    assert rules(allow("s3:GetObject", "arn:aws:s3:::acme-x/*"), guarded) == []


def test_a_placeholder_holds_only_what_it_was_declared_for() -> None:
    declared = ("s3:getobject", "s3:listbucket")
    assert rules(allow("s3:GetObject", "arn:aws:s3:::acme-x/*"), intended=declared) == []
    assert rules(allow(["s3:GetObject", "s3:DeleteObject"], "arn:aws:s3:::acme-x/*"),
                 intended=declared) == [PLACEHOLDER_ACTIONS]
    assert rules(allow("s3:DeleteObject", "arn:aws:s3:::acme-x/*"), intended=("s3:*",)) == []
    assert PLACEHOLDER_ACTIONS in rules(allow("sts:AssumeRole", "arn:aws:iam::1:role/x"), intended=declared)
