"""Every option of the embedded template, evaluated both ways: the exact grants and network
rules it adds and removes, and the broadening verdict of each direction."""

from __future__ import annotations

import pytest

from wizard.iam.analysis import compare
from wizard.paths import DEFAULT_TEMPLATE
from wizard.cfn.template import load_template

REQUIRED = {
    "AdminEmail": "admin@example.com",
    "QuiltWebHost": "quilt.example.com",
    "RegistryImage": "111122223333.dkr.ecr.us-east-1.amazonaws.com/quilt:1",
    "SearchDomainArn": "arn:aws:es:us-east-1:111122223333:domain/quilt",
    "CloudTrailBucket": "example-trail",
    "CertificateArnELB": "arn:aws:acm:us-east-1:123456789012:certificate/0f1e2d3c-4b5a-6978-8796-a5b4c3d2e1f0",
    "VPC": "vpc-0123456789abcdef0",
    "Subnets": "subnet-00000001,subnet-00000002",
    "PublicSubnets": "subnet-00000003,subnet-00000004",
}
POLICY_PATH = "arn:aws:iam::123456789012:policy/quilt/quilt/us-east-1/"
KEY = "arn:aws:kms:us-east-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab"


@pytest.fixture(scope="module")
def template():
    return load_template(DEFAULT_TEMPLATE)


def both_ways(template, **option):
    forward = compare(template, REQUIRED, {**REQUIRED, **option})
    backward = compare(template, {**REQUIRED, **option}, REQUIRED)
    return forward, backward


def grant_lines(changes):
    return {(c.grant.principal or c.grant.on[0], c.grant.effect, c.grant.actions, c.grant.resources) for c in changes}


def rule_lines(changes):
    return {(c.rule.kind, c.rule.resource, c.rule.from_port, c.rule.peer) for c in changes}


APPROVERS = "arn:aws:iam::123456789012:role/quilt-approver,arn:aws:iam::123456789012:user/alice"


def test_manual_approval_moves_policy_creation_to_an_approver(template):
    forward, backward = both_ways(template, PolicyCreationMode="ManualApproval", ApproverPrincipalArn=APPROVERS)
    removed = {g.grant.principal: g.grant for g in forward.removed}
    assert set(removed) == {"RegistryRole"}
    assert all(not ({"iam:CreatePolicy", "iam:CreatePolicyVersion"} & set(c.grant.actions))
               for c in forward.added if c.grant.principal == "RegistryRole")
    creators = [c for c in forward.added if "iam:CreatePolicy" in c.grant.actions]
    assert [c.grant.principal for c in creators] == ["PolicyApproverRole"]
    assert creators[0].grant.resources == (POLICY_PATH + "Quilt-*",)
    assert ("RegistryRole", "Allow", ("sns:Publish",), ("${PolicyApprovalTopic}",)) in grant_lines(forward.added)
    trust = [c.grant for c in forward.added if c.grant.kind == "trust"]
    assert trust and all(g.on == ("PolicyApproverRole",) for g in trust)
    assert forward.broadening  # a new role that may create policies, a new topic to publish to
    assert backward.broadening  # the running registry may write IAM policies again
    gone_topic = [c for c in backward.removed if c.grant.on == ("${PolicyApprovalTopic}",)]
    assert gone_topic and not any(c.broadening for c in gone_topic)  # its Deny left with the topic


def test_pre_created_policies_remove_run_time_creation(template):
    forward, backward = both_ways(template, PolicyCreationMode="PreCreated", CustomerBucketPrefix="acme-data-")
    everything = [c.grant for c in forward.added]
    assert not any("iam:CreatePolicy" in g.actions for g in everything)
    assert any("iam:CreatePolicy" in c.grant.actions for c in forward.removed)
    readers = [c for c in forward.added if c.grant.principal == "ManagedUserRole"]
    assert readers and all(set(c.grant.resources) <= {"arn:aws:s3:::acme-data-*", "arn:aws:s3:::acme-data-*/*"}
                           for c in readers)
    # The pre-created policies grant at deployment what the placeholders granted only once
    # filled at run time: visible, reviewable, and so counted as broadening the deployed stack.
    assert forward.broadening and all(c.grant.resources != ("*",) for c in forward.added if c.broadening)
    assert backward.broadening  # run-time policy creation comes back


def test_the_bucket_prefix_scopes_s3(template):
    forward, backward = both_ways(template, CustomerBucketPrefix="acme-data-")
    [removed] = forward.removed
    [added] = forward.added
    assert removed.grant.resources == ("*",) and added.grant.resources == ("arn:aws:s3:::acme-data-*",)
    assert removed.grant.actions == added.grant.actions and added.grant.principal == "RegistryRole"
    assert not forward.broadening and backward.broadening


def test_athena_workgroups_replace_the_wildcard(template):
    forward, backward = both_ways(template, AllowedAthenaWorkgroups="primary,etl")
    assert {c.grant.principal for c in forward.removed} == {"ManagedUserRole", "AccessCountsRole"}
    for change in forward.added:
        assert "arn:aws:athena:us-east-1:123456789012:workgroup/primary" in change.grant.resources
        assert "arn:aws:athena:us-east-1:123456789012:workgroup/etl" in change.grant.resources
        assert "*" not in change.grant.resources
    assert not forward.broadening and backward.broadening


def test_cloudwatch_integration_adds_the_delivery_role(template):
    forward, backward = both_ways(template, EnableCloudWatchIntegration="true")
    assert grant_lines(forward.added) == {
        ("TrailCloudWatchLogsRole", "Allow", ("logs:CreateLogStream", "logs:PutLogEvents"), ("${TrailLogGroup.Arn}",)),
        ("Service:cloudtrail.amazonaws.com", "Allow", ("sts:AssumeRole",), ()),
    } or {c.grant.principal or c.grant.on[0] for c in forward.added} == {"TrailCloudWatchLogsRole",
                                                                           "Service:cloudtrail.amazonaws.com"}
    assert not forward.removed
    assert forward.broadening and not backward.broadening


def test_the_kms_key_adds_only_service_bound_key_use(template):
    forward, backward = both_ways(template, KMSKeyId=KEY)
    assert forward.added and not forward.removed
    for change in forward.added:
        assert change.grant.resources == (KEY,)  # a key ARN: that key only
        assert "kms:ViaService" in change.grant.condition["StringEquals"]
    assert forward.broadening and not backward.broadening
    key_id = KEY.rsplit("/", 1)[1]
    forward, _ = both_ways(template, KMSKeyId=key_id)
    assert {c.grant.resources for c in forward.added} == {(KEY,)}  # a bare key id: the same key's ARN
    forward, _ = both_ways(template, KMSKeyId="alias/quilt")
    # an alias cannot be resolved by CloudFormation: the account's keys, bound to one service each
    assert {c.grant.resources for c in forward.added} == {("arn:aws:kms:us-east-1:123456789012:key/*",)}


def test_enhanced_security_narrows_everything_it_touches(template):
    forward, backward = both_ways(template, EnableEnhancedSecurity="true")
    assert not forward.broadening, [c.reason for c in forward.added if c.broadening]
    assert backward.broadening
    denies = [c.grant for c in forward.added if c.grant.effect == "Deny"]
    assert {g.principal for g in denies} >= {"RegistryRole", "ManagedUserRole"}
    trust = [c.grant for c in forward.added if c.grant.kind == "trust"]
    assert all(g.condition for g in trust)


def test_task_tls_moves_the_tasks_off_port_80(template):
    forward, backward = both_ways(template, EnableTaskTLS="true")
    assert not forward.added and not forward.removed
    assert {r[2] for r in rule_lines(forward.network_removed)} == {80}
    assert {r[2] for r in rule_lines(forward.network_added)} == {443}
    assert ("ingress", "ServiceSecurityGroup", 443, "LoadBalancerSecurityGroup") in rule_lines(forward.network_added)
    assert not forward.broadening and not backward.broadening


def test_the_internal_port_moves_or_disappears(template):
    moved, _ = both_ways(template, InternalApiPort="8443")
    assert rule_lines(moved.network_added) == {
        ("ingress", "ElbPrivateSecurityGroup", 8443, "ElbPrivateAccessorSecurityGroup"),
        ("egress", "ElbPrivateAccessorSecurityGroup", 8443, "ElbPrivateSecurityGroup"),
        ("listener", "PrivateListener", 8443, "LoadBalancer"),
    }
    assert not moved.broadening
    disabled, enabled = both_ways(template, InternalApiPort="0")
    assert not disabled.network_added and not disabled.broadening
    assert ("ingress", "ElbPrivateSecurityGroup", 444, "ElbPrivateAccessorSecurityGroup") in rule_lines(disabled.network_removed)
    assert enabled.broadening  # the 444 listener and rule come back


def test_vpc_endpoints_add_an_endpoint_security_group(template):
    forward, backward = both_ways(template, UseVPCEndpoints="true")
    assert ("ingress", "VpcEndpointSecurityGroup", 443, "OutboundSecurityGroup") in rule_lines(forward.network_added)
    assert forward.broadening and not backward.broadening


def test_an_internal_load_balancer_closes_the_internet_entry(template):
    forward, backward = both_ways(template, LoadBalancerScheme="internal")
    assert ("ingress", "LoadBalancerSecurityGroup", 443, "0.0.0.0/0") in rule_lines(forward.network_removed)
    assert ("ingress", "LoadBalancerSecurityGroup", 443, "10.0.0.0/8") in rule_lines(forward.network_added)
    assert not forward.broadening and backward.broadening


def test_qurator_adds_bedrock(template):
    forward, backward = both_ways(template, Qurator="Enabled")
    assert [(c.grant.principal, c.grant.actions) for c in forward.added] == [("ManagedUserRole", ("bedrock:InvokeModel",))]
    assert forward.broadening and not backward.broadening


def test_the_placeholders_grant_nothing_until_buckets_are_connected(template):
    from wizard.iam.analysis import analyse

    grants = analyse(template, REQUIRED).grants
    for policy in ("BucketReadPolicy", "BucketWritePolicy", "RegistryAssumeRolePolicy"):
        found = [g for g in grants if g.source.resource == policy]
        assert found and all(g.grants_nothing for g in found), policy


def test_the_template_rules_refuse_what_cloudformation_would(template):
    from wizard.iam.analysis import analyse

    assert analyse(template, {**REQUIRED, "PolicyCreationMode": "PreCreated"}).evaluation.rule_violations() == [
        ("PreCreatedPoliciesNeedBucketPrefix", "PolicyCreationMode PreCreated needs a CustomerBucketPrefix.")]
    assert analyse(template, REQUIRED).evaluation.rule_violations() == []


def test_the_approver_role_trusts_only_the_named_approvers_users_with_mfa(template):
    """The approver role's trust names the principals of ApproverPrincipalArn and nobody else (no
    account root): a role's sessions qualify as they are, a user needs MFA under an hour old; the
    role sits under the stack's path; ManualApproval without approvers breaks the template's Rule."""
    from wizard.iam.analysis import analyse

    chosen = {**REQUIRED, "PolicyCreationMode": "ManualApproval", "ApproverPrincipalArn": APPROVERS}
    analysis = analyse(template, chosen)
    trust = [g for g in analysis.grants if g.kind == "trust" and g.on == ("PolicyApproverRole",)]
    assert {g.principal for g in trust} == {f"AWS:{a}" for a in APPROVERS.split(",")}
    assert not any(g.principal.endswith(":root") for g in trust)
    for grant in trust:
        kind = grant.condition["StringEquals"]["aws:PrincipalType"]
        if kind == "User":
            assert grant.condition["Bool"] == {"aws:MultiFactorAuthPresent": "true"}
            assert grant.condition["NumericLessThan"] == {"aws:MultiFactorAuthAge": "3600"}
        else:
            assert kind == "AssumedRole" and set(grant.condition) == {"StringEquals"}
    assert {g.condition["StringEquals"]["aws:PrincipalType"] for g in trust} == {"User", "AssumedRole"}
    role = analysis.evaluation.resources("AWS::IAM::Role")["PolicyApproverRole"]["Properties"]
    assert role["Path"] == "/quilt/quilt/us-east-1/"
    assert "IAM Identity Center" in role["Description"] and "AWSReservedSSO_" in role["Description"]
    refused = analyse(template, {**REQUIRED, "PolicyCreationMode": "ManualApproval"}).evaluation
    assert [name for name, _ in refused.rule_violations()] == ["ManualApprovalNeedsApprovers"]
