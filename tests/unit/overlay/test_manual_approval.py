"""Manual approval on the vendor's real template is a workflow, not an IAM shell: the approver
role trusts only the principals named in ApproverPrincipalArn (users with MFA, role sessions
as they are, an IAM Identity Center role named by its ARN), lives under the stack's path; the
approval topic takes the customer's key and an e-mail subscription when given; no role of the
stack may change, delete or subscribe to it."""

from __future__ import annotations

from pathlib import Path

from tests.unit.overlay.helpers import allows, grants
from wizard.cfn.template import load_template
from wizard.iam.analysis import analyse
from wizard.iam.grants import TRUST
from wizard.iam.wildcards import action_matches
from wizard.overlay import harden

ACCOUNT = "123456789012"
USER = f"arn:aws:iam::{ACCOUNT}:user/alice"
SSO_ROLE = f"arn:aws:iam::{ACCOUNT}:role/aws-reserved/sso.amazonaws.com/us-east-1/AWSReservedSSO_Admin_0123456789abcdef"
MANUAL = {"PolicyCreationMode": "ManualApproval", "CustomerBucketPrefix": "acme-",
          "ApproverPrincipalArn": f"{USER},{SSO_ROLE}"}
KEY = f"arn:aws:kms:us-east-1:{ACCOUNT}:key/1234abcd-12ab-34cd-56ef-1234567890ab"
TOPIC_CHANGES = ("sns:SetTopicAttributes", "sns:DeleteTopic", "sns:AddPermission", "sns:RemovePermission",
                 "sns:Subscribe")


def _evaluation(hardening, values, **more):
    return analyse(hardening.template, {**values, **MANUAL, **more}).evaluation


def test_the_approver_role_trusts_only_the_named_principals_and_users_only_with_mfa(vendor):
    _template, hardening, values = vendor
    trust = [g for g in grants(hardening.template, {**values, **MANUAL})
             if g.kind == TRUST and g.on == ("PolicyApproverRole",)]
    assert {g.principal for g in trust} == {f"AWS:{USER}", f"AWS:{SSO_ROLE}"}
    for grant in trust:
        kind = grant.condition["StringEquals"]["aws:PrincipalType"]
        if kind == "User":
            assert grant.condition["Bool"] == {"aws:MultiFactorAuthPresent": "true"}
            assert grant.condition["NumericLessThan"] == {"aws:MultiFactorAuthAge": "3600"}
        else:
            assert kind == "AssumedRole" and "Bool" not in grant.condition
    assert {g.condition["StringEquals"]["aws:PrincipalType"] for g in trust} == {"User", "AssumedRole"}


def test_the_approver_role_lives_under_the_stack_path_and_says_how_identity_center_qualifies(vendor):
    _template, hardening, values = vendor
    role = _evaluation(hardening, values).resource("PolicyApproverRole")["Properties"]
    assert role["Path"] == "/quilt/quilt/us-east-1/"
    assert "AWSReservedSSO_" in role["Description"] and "MFA" in role["Description"]
    assert len(role["Description"]) <= 1000  # IAM's limit on a role's description
    approver = [g for g in grants(hardening.template, {**values, **MANUAL})
                if g.principal == "PolicyApproverRole" and allows(g)]
    assert not [g for g in approver if any(a.startswith("sns:") for a in g.actions)], "the approver holds no SNS right"


def test_manual_approval_needs_approvers_and_their_form_is_checked(vendor):
    _template, hardening, values = vendor
    without = analyse(hardening.template, {**values, **MANUAL, "ApproverPrincipalArn": ""}).evaluation
    assert [name for name, _ in without.rule_violations()] == ["ManualApprovalNeedsApprovers"]
    assert _evaluation(hardening, values).rule_violations() == []
    automatic = analyse(hardening.template, {**values, "PolicyCreationMode": "Automatic"}).evaluation
    assert automatic.rule_violations() == []
    spec = hardening.template.parameters["ApproverPrincipalArn"]
    assert spec.problem(f"{USER},{SSO_ROLE}") is None
    for bad in (f"arn:aws:iam::{ACCOUNT}:root", f"arn:aws:sts::{ACCOUNT}:assumed-role/Admin/alice", "alice",
                f"arn:aws:iam::{ACCOUNT}:group/admins", f"{USER}, {SSO_ROLE}"):
        assert spec.problem(bad), bad


def test_the_topic_takes_the_key_when_given_and_the_address_when_given(vendor):
    _template, hardening, values = vendor
    plain = _evaluation(hardening, values)
    assert plain.resource("PolicyApprovalTopic")["Properties"]["KmsMasterKeyId"] == "alias/aws/sns"
    assert not plain.exists("PolicyApprovalSubscription")
    keyed = _evaluation(hardening, values, KMSKeyId=KEY, ApprovalEmail="security@example.com")
    assert keyed.resource("PolicyApprovalTopic")["Properties"]["KmsMasterKeyId"] == KEY
    subscription = keyed.resource("PolicyApprovalSubscription")["Properties"]
    assert subscription == {"Protocol": "email", "Endpoint": "security@example.com",
                            "TopicArn": "${PolicyApprovalTopic}"}
    # the roles that ask on the topic may use the customer's key through SNS, and only then
    def key_users(found):
        return {g.principal for g in found if allows(g) and "kms:GenerateDataKey*" in g.actions
                and g.source.policy == "request-bucket-policies"}
    assert key_users(grants(hardening.template, {**values, **MANUAL, "KMSKeyId": KEY}))
    assert not key_users(grants(hardening.template, {**values, **MANUAL}))


def test_no_role_of_the_stack_may_change_delete_or_subscribe_to_the_approval_topic(vendor):
    _template, hardening, values = vendor
    found = grants(hardening.template, {**values, **MANUAL})
    managers = {g.principal for g in found if allows(g) and g.kind == "identity"
                and any(action_matches(a, change) for a in g.actions for change in TOPIC_CHANGES)}
    assert managers, "the vendor's task role manages SNS topics"
    for role in managers:
        denies = [g for g in found if g.principal == role and g.effect == "Deny" and g.resources == ("${PolicyApprovalTopic}",)]
        assert denies and all(any(action_matches(a, change) for g in denies for a in g.actions)
                              for change in TOPIC_CHANGES), role
        # sns:Unsubscribe takes only '*': a Deny of it on the topic's subscriptions would protect nothing.
        assert not any(g.effect == "Deny" and g.resource_mismatches for g in found if g.principal == role), role


def test_without_the_trail_rule_the_topic_keeps_the_aws_key_and_nothing_dangles():
    template = load_template(Path(__file__).resolve().parents[2] / "data" / "overlay" / "small-vendor.yaml")
    hardening = harden(template)
    assert "KMSKeyId" not in hardening.template.parameters
    topic = hardening.template.body["Resources"]["PolicyApprovalTopic"]["Properties"]
    assert topic["KmsMasterKeyId"] == "alias/aws/sns"
    assert "Overlay::IfDeclared" not in hardening.text
