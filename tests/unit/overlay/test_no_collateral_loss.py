"""No access lost that no option asked for: the hardened vendor template, every restrictive
option chosen, in each PolicyCreationMode, read on its grants.

What takes effect for a role is what its identity policies allow (or, for a policy filled or
versioned at run time, what its permissions boundary admits), within its boundary, minus every
unconditional Deny of its identity policies and boundary.
"""

from __future__ import annotations

from functools import lru_cache

import pytest

from tests.conftest import REAL
from tests.unit.overlay.conftest import VENDOR_FILES
from wizard.findings import evaluate_findings
from wizard.iam.analysis import analyse
from wizard.overlay.edits import split_by_resource_type

ACCOUNT = "123456789012"
MODES = ("Automatic", "ManualApproval", "PreCreated")
KEY = "1234abcd-12ab-34cd-56ef-1234567890ab"
KEY_ARN = f"arn:aws:kms:us-east-1:{ACCOUNT}:key/{KEY}"

#: Every restrictive option the overlay offers.
RESTRICTIVE = {"EnableEnhancedSecurity": "true", "CustomerBucketPrefix": "acme-", "AllowedAthenaWorkgroups": "primary",
               "KMSKeyId": KEY, "EnableCloudWatchIntegration": "true", "TrustExternalPrincipals": "Remove",
               "ApproverPrincipalArn": f"arn:aws:iam::{ACCOUNT}:role/approver"}


def _file(name: str):
    if not REAL.is_file():
        pytest.skip("the real Quilt template fixture (../shared/fixtures/quilt-real) is absent")
    from wizard.cfn.template import load_template

    return load_template(REAL.parent / name)


@lru_cache(maxsize=None)
def _hardening(name: str):
    from wizard.overlay import harden

    return harden(_file(name))


@lru_cache(maxsize=None)
def vendor(name: str):
    return analyse(_file(name), VENDOR_FILES[name])


@lru_cache(maxsize=None)
def hardened(name: str, mode: str):
    template = _hardening(name).template
    chosen = {**RESTRICTIVE, "PolicyCreationMode": mode}
    if mode != "ManualApproval":
        chosen.pop("ApproverPrincipalArn")
    return analyse(template, {**VENDOR_FILES[name], **{k: v for k, v in chosen.items() if k in template.parameters}})


def findings(analysis, rule_id: str) -> list:
    return [f for f in evaluate_findings(analysis.evaluation, list(analysis.grants), list(analysis.rules))
            if f.rule_id == rule_id]


#: Actions the vendor grants on '*' that accept no resource type of the overlay's scoping.
UNSCOPABLE = ("sns:Unsubscribe", "sns:GetSubscriptionAttributes", "athena:ListWorkGroups", "athena:ListDataCatalogs",
              "athena:ListDatabases", "athena:ListEngineVersions")

PAIRS = [(name, mode) for name in VENDOR_FILES for mode in MODES]


# --- no action becomes ungrantable --------------------------------------------------------------

@pytest.mark.parametrize("name,mode", PAIRS)
def test_no_action_is_scoped_to_a_resource_it_does_not_accept(name, mode):
    """QW-IAM-110 (an action granted on a resource type it does not take) no higher than on the
    vendor's template: sns:Unsubscribe stays on '*', athena:List* stay grantable."""
    assert len(findings(hardened(name, mode), "QW-IAM-110")) <= len(findings(vendor(name), "QW-IAM-110"))


@pytest.mark.parametrize("name", ["stable.yaml", "stable-app.yaml"])
def test_actions_that_take_no_scoped_resource_keep_the_vendors_resources(name):
    def on_everything(found) -> set[tuple[str, str]]:
        return {(g.principal, a) for g in found if g.is_allow and g.kind == "identity" and "*" in g.resources
                for a in g.actions if a in UNSCOPABLE}
    before = on_everything(vendor(name).grants)
    assert {a for _p, a in before} == set(UNSCOPABLE)
    found = hardened(name, "Automatic").grants
    assert before <= on_everything(found)
    # what takes the scoped resource is scoped
    topics = [g for g in found if g.is_allow and g.principal == "AmazonECSTaskExecutionRole" and "sns:CreateTopic" in g.actions]
    assert topics and all(r == f"arn:aws:sns:us-east-1:{ACCOUNT}:*" for g in topics for r in g.resources)


def test_a_scoping_splits_a_statement_by_the_resource_types_each_action_accepts():
    workgroup = {"Fn::Sub": "arn:${AWS::Partition}:athena:${AWS::Region}:${AWS::AccountId}:workgroup/primary"}
    scoped, kept = split_by_resource_type(
        ["athena:GetQueryResults", "athena:ListWorkGroups", "athena:ListDatabases", "athena:Get*"], [workgroup])
    assert scoped == ["athena:GetQueryResults", "athena:Get*"]
    assert "athena:ListWorkGroups" in kept and "athena:ListDatabases" in kept
    # a wildcard keeps, by name, those of its actions that take no workgroup (athena:GetDataCatalog)
    assert "athena:GetDataCatalog" in kept
    topic = {"Fn::Sub": "arn:${AWS::Partition}:sns:${AWS::Region}:${AWS::AccountId}:*"}
    assert split_by_resource_type(["sns:CreateTopic", "sns:Unsubscribe"], [topic]) == (["sns:CreateTopic"], ["sns:Unsubscribe"])
    # resources that cannot be read as ARNs leave the scoping as it was
    assert split_by_resource_type(["sns:Unsubscribe"], [{"Ref": "Topics"}]) == (["sns:Unsubscribe"], [])
