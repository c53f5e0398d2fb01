"""Upgrades lose nothing: turning an option on in a deployed stack replaces no vendor resource.

CloudFormation replaces a managed policy whose ``Path`` or ``ManagedPolicyName`` changes (and a
role whose ``Path`` or ``RoleName`` does); a replaced run-time policy loses every version the
application wrote. So with every option on, each vendor IAM resource keeps the properties that
force a replacement exactly as the vendor's template evaluates them; the guardrail lets the
run-time policies be versioned where they are, and the escalation model still sees that they can
be rewritten.
"""

from __future__ import annotations

import pytest

from wizard.findings.context import RuleContext
from wizard.findings.paths import REWRITE, StackPaths
from wizard.iam.analysis import analyse

#: Properties whose change makes CloudFormation replace the resource.
REPLACING = {
    "AWS::IAM::ManagedPolicy": ("Path", "ManagedPolicyName"),
    "AWS::IAM::Role": ("Path", "RoleName"),
    "AWS::IAM::User": ("Path", "UserName"),
    "AWS::IAM::Group": ("Path", "GroupName"),
    "AWS::IAM::InstanceProfile": ("Path", "InstanceProfileName"),
}
EVERYTHING = {"EnableEnhancedSecurity": "true", "CustomerBucketPrefix": "acme-", "TrustExternalPrincipals": "Remove",
              "EnableCloudWatchIntegration": "true", "KMSKeyId": "alias/audit", "RecordS3DataEvents": "true"}


def _replacing(evaluation) -> dict[str, dict]:
    return {logical_id: {p: (resource.get("Properties") or {}).get(p) for p in REPLACING[resource["Type"]]}
            for logical_id, resource in evaluation.resources(*REPLACING).items()}


@pytest.mark.parametrize("mode", ["Automatic", "ManualApproval", "PreCreated"])
def test_every_option_keeps_what_forces_a_replacement(any_vendor, mode):
    template, hardening, values = any_vendor
    vendor = _replacing(analyse(template, values).evaluation)
    chosen = {k: v for k, v in {**EVERYTHING, "PolicyCreationMode": mode}.items() if k in hardening.template.parameters}
    hardened = _replacing(analyse(hardening.template, {**values, **chosen}).evaluation)
    assert {k: v for k, v in hardened.items() if k in vendor} == vendor
    if "BucketReadPolicy" in vendor:
        assert vendor["BucketReadPolicy"]["Path"] is None and vendor["BucketWritePolicy"]["Path"] is None


def test_the_run_time_policies_can_still_be_rewritten_and_the_model_sees_it(vendor):
    _template, hardening, values = vendor
    analysis = analyse(hardening.template, {**values, "EnableEnhancedSecurity": "true", "CustomerBucketPrefix": "acme-"})
    ctx = RuleContext(analysis.evaluation, list(analysis.grants), list(analysis.rules))
    rewrites = [e for e in StackPaths(ctx).edges if e.kind == REWRITE and e.how == "iam:CreatePolicyVersion"]
    rewritten = {e.via for e in rewrites}
    assert {"BucketReadPolicy", "BucketWritePolicy"} <= rewritten or {
        "arn:aws:iam::123456789012:policy/BucketReadPolicy",
        "arn:aws:iam::123456789012:policy/BucketWritePolicy"} <= rewritten, rewritten
    assert "AmazonECSTaskExecutionRole" in {e.target for e in rewrites}
