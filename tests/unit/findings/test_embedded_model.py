"""The embedded model's enhanced mode, read through its grants and findings, not its text."""

from __future__ import annotations

import pytest

from wizard.cfn.evaluate import Evaluation
from wizard.cfn.parameters import resolve_parameters
from wizard.cfn.template import load_template
from wizard.findings import evaluate_findings
from wizard.findings.assurance import EVIDENCE, control_statuses
from wizard.findings.context import RuleContext
from wizard.iam.grants import extract
from wizard.iam.network import network_rules
from wizard.paths import DEFAULT_TEMPLATE

REQUIRED = {
    "AdminEmail": "admin@example.com", "QuiltWebHost": "quilt.example.com",
    "RegistryImage": "111122223333.dkr.ecr.us-east-1.amazonaws.com/quilt:1",
    "SearchDomainArn": "arn:aws:es:us-east-1:111122223333:domain/quilt", "CloudTrailBucket": "example-trail",
    "CertificateArnELB": "arn:aws:acm:us-east-1:123456789012:certificate/0f1e2d3c-4b5a-6978-8796-a5b4c3d2e1f0",
    "VPC": "vpc-0123456789abcdef0", "Subnets": "subnet-00000001,subnet-00000002", "PublicSubnets": "subnet-00000003,subnet-00000004",
}
ENHANCED = {**REQUIRED, "EnableEnhancedSecurity": "true", "CustomerBucketPrefix": "acme-"}


def evaluated(**parameters):
    template = load_template(DEFAULT_TEMPLATE)
    evaluation = Evaluation(template, resolve_parameters(template, parameters))
    grants, rules = extract(evaluation), network_rules(evaluation)
    return evaluation, grants, rules, RuleContext(evaluation, grants, rules)


@pytest.mark.parametrize("mode", ["Automatic", "ManualApproval", "PreCreated"])
def test_every_role_holding_or_rewriting_a_placeholder_carries_the_guardrail(mode):
    evaluation, grants, _, ctx = evaluated(**ENHANCED, PolicyCreationMode=mode)
    placeholders = {g.source.resource for g in grants if g.grants_nothing and g.not_resources == ("*",)}
    guardrail = evaluation.ref_token("QuiltGuardrailPolicy")
    holders = set()
    for name, holder in ctx.holders.items():
        attached = {ref.logical_id for ref in holder.attached.values()}
        rewrites = any(ctx.can(name, "iam:CreatePolicyVersion", ctx.policy_ref(evaluation.ref_token(p), None).target)
                       for p in placeholders)
        if attached & placeholders or rewrites:
            holders.add(name)
            denies = [g for g in ctx.denies.get(name, ()) if g.source.resource == "QuiltGuardrailPolicy"]
            assert guardrail in holder.attached and denies, f"{name} lacks the guardrail"
    assert {"IndexerRole", "PkgEventsRole", "RegistryRole", "ManagedUserRole"} <= holders


def test_cloudtrail_delivery_role_trusts_only_this_trail():
    _, grants, _, _ = evaluated(**REQUIRED, EnableCloudWatchIntegration="true")
    (trust,) = [g for g in grants if g.kind == "trust" and g.on == ("TrailCloudWatchLogsRole",)]
    assert trust.condition["StringEquals"] == {"aws:SourceAccount": "123456789012"}
    assert trust.condition["ArnLike"]["aws:SourceArn"].endswith(":trail/quilt-quilt")


def test_cloudwatch_integration_brings_the_cis_alarms_and_the_report_shows_them():
    evaluation, grants, rules, ctx = evaluated(**ENHANCED, EnableCloudWatchIntegration="true")
    findings = evaluate_findings(evaluation, grants, rules, ["cis-aws"])
    assert not [f for f in findings if f.rule_id in ("QW-LOG-002", "QW-LOG-008")]
    statuses = {s.control.id: s for s in control_statuses(ctx, findings, ["cis-aws"])["cis-aws"]}
    for cis in ("4.1", "4.3", "4.5", "4.10"):
        assert statuses[cis].status == EVIDENCE
        assert any(e.rule_id == "QW-LOG-008" and f"CIS {cis}:" in e.text and e.lines for e in statuses[cis].evidence)


def test_without_cloudwatch_integration_cis_4_is_not_claimed():
    evaluation, grants, rules, ctx = evaluated(**ENHANCED)
    findings = evaluate_findings(evaluation, grants, rules, ["cis-aws"])
    statuses = {s.control.id: s for s in control_statuses(ctx, findings, ["cis-aws"])["cis-aws"]}
    assert statuses["4.1"].status != EVIDENCE
    assert [f.rule_id for f in statuses["4.1"].findings] == ["QW-LOG-002"]
