"""What ``quilt-wizard approve`` works out on the vendor's real template, hardened and deployed in
ManualApproval (the deployed stack given by hand, no AWS): each placeholder gets the
application's pattern for the bucket, judged against the envelope; a bucket outside the prefix
is refused; at IAM's five versions the oldest that is not the default goes first."""

from __future__ import annotations

import pytest

from tests.conftest import REAL, REAL_REQUIRED
from wizard.audit.approval import merged, oldest_to_drop, plan_approval, policy_records, require_manual_approval
from wizard.audit.expected import expected_of
from wizard.audit.holdings import (DeployedStack, HeldPolicy, Holdings, PolicyVersion, StackResource,
                                   path_prefix)
from wizard.errors import InputError

ACCOUNT = "123456789012"
PLACEHOLDER = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "s3:*", "NotResource": "*"}]}
MANUAL = {"PolicyCreationMode": "ManualApproval", "CustomerBucketPrefix": "acme-",
          "ApproverPrincipalArn": f"arn:aws:iam::{ACCOUNT}:role/quilt-approver"}


@pytest.fixture(scope="module")
def hardened_text():
    if not REAL.is_file():
        pytest.skip("the real Quilt template fixture (../shared/fixtures/quilt-real) is absent")
    from wizard.cfn.template import load_template
    from wizard.overlay import harden

    return harden(load_template(REAL)).text


def _policy(logical: str, versions: int = 1) -> HeldPolicy:
    arn = f"arn:aws:iam::{ACCOUNT}:policy/quilt-{logical}-ABC"
    held = tuple(PolicyVersion(f"v{n}", n == versions, f"2026-01-0{n}T00:00:00", PLACEHOLDER)
                 for n in range(1, versions + 1))
    return HeldPolicy(arn=arn, name=f"quilt-{logical}-ABC", path="/", default_version=f"v{versions}", versions=held)


def _holdings(text: str, versions: int = 1, **parameters: str) -> Holdings:
    policies = {logical: _policy(logical, versions) for logical in ("BucketReadPolicy", "BucketWritePolicy")}
    stack = DeployedStack(
        name="quilt", stack_id=f"arn:aws:cloudformation:us-east-1:{ACCOUNT}:stack/quilt/0000", region="us-east-1",
        account_id=ACCOUNT, status="CREATE_COMPLETE", template_body=text,
        parameters={**REAL_REQUIRED, **MANUAL, **parameters},
        resources=tuple(StackResource(logical, "AWS::IAM::ManagedPolicy", p.arn) for logical, p in policies.items()))
    return Holdings(stack=stack, path_prefix=path_prefix("quilt", "us-east-1"),
                    policies={p.arn: p for p in policies.values()})


def test_each_placeholder_gets_the_application_s_pattern_for_the_bucket(hardened_text):
    approval = plan_approval(_holdings(hardened_text), "acme-data")
    assert approval.refusals == []
    by_name = {c.target.name: c for c in approval.changes}
    assert {c.target.purpose for c in approval.changes} == {"read", "write"}
    read = by_name["BucketReadPolicy"].document["Statement"]
    assert read == [{"Effect": "Allow", "Action": ["s3:Get*", "s3:List*"],
                     "Resource": ["arn:aws:s3:::acme-data", "arn:aws:s3:::acme-data/*"],
                     "Condition": {"StringEquals": {"s3:ResourceAccount": ACCOUNT}}}]
    write = by_name["BucketWritePolicy"].document["Statement"]
    assert len(write) == 1 and "s3:PutObject" in write[0]["Action"] and "s3:DeleteBucket" not in write[0]["Action"]
    change = by_name["BucketReadPolicy"]
    assert [g.grants_nothing for g in (c.grant for c in change.diff.removed)] == [True]
    assert [c.grant.actions for c in change.diff.added] == [("s3:Get*", "s3:List*")]
    assert all(not broken for _brief, broken in change.verdicts)


def test_a_bucket_outside_the_prefix_is_refused_naming_the_statement(hardened_text):
    refusals = plan_approval(_holdings(hardened_text), "other-data").refusals
    assert refusals and refusals[0].startswith("BucketReadPolicy statement Allow s3:Get*, s3:List* on "
                                               "arn:aws:s3:::other-data, arn:aws:s3:::other-data/*: QW-AUD-001")
    assert "outside CustomerBucketPrefix 'acme-'" in refusals[0]


def test_at_five_versions_the_oldest_that_is_not_the_default_is_dropped(hardened_text):
    approval = plan_approval(_holdings(hardened_text, versions=5), "acme-data")
    assert {c.drop for c in approval.changes} == {"v1"}
    assert oldest_to_drop(_policy("BucketReadPolicy", 4)) is None


def test_another_mode_has_nothing_to_approve(hardened_text):
    holdings = _holdings(hardened_text, PolicyCreationMode="Automatic")
    with pytest.raises(InputError, match="runs PolicyCreationMode Automatic, not ManualApproval"):
        require_manual_approval(holdings.stack)


def test_the_listing_names_the_placeholders_as_the_audit_does(hardened_text):
    holdings = _holdings(hardened_text, versions=2)
    records = policy_records(holdings, expected_of(holdings))
    assert [(r.origin, r.logical_id, r.placeholder) for r in records] == [
        ("template", "BucketReadPolicy", True), ("template", "BucketWritePolicy", True)]


def test_a_bucket_joins_the_statement_with_the_same_actions_and_condition():
    current = [{"Effect": "Allow", "Action": ["s3:Get*"], "Resource": ["arn:aws:s3:::a", "arn:aws:s3:::a/*"]}]
    wanted = [{"Effect": "Allow", "Action": ["s3:Get*"], "Resource": ["arn:aws:s3:::b", "arn:aws:s3:::b/*"]},
              {"Effect": "Allow", "Action": ["s3:Put*"], "Resource": "arn:aws:s3:::b/*"}]
    assert merged(current, wanted) == [
        {"Effect": "Allow", "Action": ["s3:Get*"],
         "Resource": ["arn:aws:s3:::a", "arn:aws:s3:::a/*", "arn:aws:s3:::b", "arn:aws:s3:::b/*"]},
        {"Effect": "Allow", "Action": ["s3:Put*"], "Resource": "arn:aws:s3:::b/*"}]
    assert current[0]["Resource"] == ["arn:aws:s3:::a", "arn:aws:s3:::a/*"], "the current version is not changed"
