"""What each promised option does to the vendor's real template, proven on grants, not text.

Every test runs on the monolithic template and on the application part of the split form; the
IAM part (placeholders only) has its own checks. The vendor's template is read in place.
"""

from __future__ import annotations

import hashlib

import pytest

from tests.unit.overlay.helpers import allows, compare, grants
from wizard.cfn.pseudo import Pseudo
from wizard.iam.analysis import analyse
from wizard.iam import resource_types
from wizard.iam.grants import TRUST
from wizard.iam.wildcards import action_matches
from wizard.overlay.apply import PROVENANCE_KEY

ACCOUNT = "123456789012"
POLICY_WRITES = ("iam:CreatePolicy", "iam:CreatePolicyVersion", "iam:SetDefaultPolicyVersion",
                 "iam:DeletePolicy", "iam:DeletePolicyVersion")


def holds(grant, action: str) -> bool:
    """Whether an Allow grant gives ``action`` (wildcards and NotAction honoured)."""
    if grant.not_actions:
        return not any(action_matches(n, action) for n in grant.not_actions)
    return any(action_matches(a, action) for a in grant.actions)


def service_trusted_roles(found) -> set[str]:
    return {g.on[0] for g in found if g.kind == TRUST and g.principal.startswith("Service:")}


def run_time_roles(found) -> set[str]:
    """Roles holding a placeholder (grants nothing until filled) or a policy some role re-versions."""
    rewritten = {r for g in found if allows(g) and holds(g, "iam:CreatePolicyVersion") for r in g.resources}
    holders = {g.principal for g in found if g.kind == "identity" and g.grants_nothing and g.attachment is None
               and any(a.startswith("s3:") for a in g.actions)}
    holders |= {g.principal for g in found if g.attachment in rewritten}
    writers = {g.principal for g in found if allows(g) and holds(g, "iam:CreatePolicyVersion")}
    return holders | writers


def s3_on_everything(found, roles) -> list:
    return [g for g in found if allows(g) and g.kind == "identity" and g.principal in roles
            and "*" in g.resources and any(a.lower().startswith("s3:") or a == "*" for a in g.actions)]


# --- defaults --------------------------------------------------------------------------------

def test_at_every_default_the_hardened_template_grants_exactly_the_vendors(any_vendor):
    template, hardening, values = any_vendor
    change = compare(template, values, hardening.template, values)
    assert change.empty, change.summary()
    assert [r.key for r in analyse(template, values).rules] == [r.key for r in analyse(hardening.template, values).rules]


def test_the_defaults_are_the_vendors_behaviour_and_every_option_has_a_constraint(vendor):
    _template, hardening, _values = vendor
    parameters = hardening.template.parameters
    for name in hardening.added_parameters:
        raw = hardening.template.body["Parameters"][name]
        assert "Default" in raw and raw.get("Description")
        assert {"AllowedValues", "AllowedPattern", "MinValue"} & set(raw), name
    assert parameters["PolicyCreationMode"].default == "Automatic"
    assert parameters["TrustExternalPrincipals"].default == "Keep"


# --- policy creation (concern 3) -------------------------------------------------------------

@pytest.mark.parametrize("mode", ["ManualApproval", "PreCreated"])
def test_no_role_an_aws_service_assumes_keeps_iam_policy_writes(vendor, mode):
    _template, hardening, values = vendor
    before = grants(hardening.template, values)
    writers = lambda found: {(g.principal, w) for g in found if allows(g) and g.kind == "identity"  # noqa: E731
                             and g.principal in service_trusted_roles(found) for w in POLICY_WRITES if holds(g, w)}
    assert writers(before), "the vendor's registry role should start with policy writes"
    after = grants(hardening.template, {**values, "PolicyCreationMode": mode, "CustomerBucketPrefix": "acme-"})
    assert writers(after) == set()


def test_manual_approval_moves_the_writes_to_an_approver_with_mfa(vendor):
    _template, hardening, values = vendor
    approver_arn = f"arn:aws:iam::{ACCOUNT}:user/approver"
    after = grants(hardening.template, {**values, "PolicyCreationMode": "ManualApproval",
                                        "ApproverPrincipalArn": approver_arn})
    approver = [g for g in after if g.principal == "PolicyApproverRole" and allows(g)]
    assert any(holds(g, "iam:CreatePolicyVersion") for g in approver)
    trust = [g for g in after if g.kind == TRUST and g.on == ("PolicyApproverRole",)]
    assert trust and all(g.principal == f"AWS:{approver_arn}" for g in trust)
    users = [g for g in trust if g.condition["StringEquals"]["aws:PrincipalType"] == "User"]
    assert users and all(g.condition["Bool"]["aws:MultiFactorAuthPresent"] == "true" for g in users)


def test_the_approver_gets_each_policy_write_only_where_the_service_had_it(vendor):
    """The approver holds, statement by statement, the vendor's own (action, resources) pairs:
    creating a policy stays on the stack's path, and no write spreads to another statement's
    policies (a union of the resources let it create policies at the account's root)."""
    from wizard.findings import evaluate_findings

    _template, hardening, values = vendor
    before = grants(hardening.template, values)
    vendor_pairs = {(w, r) for g in before if allows(g) and g.principal in service_trusted_roles(before)
                    for w in POLICY_WRITES if holds(g, w) for r in g.resources}
    manual = {**values, "PolicyCreationMode": "ManualApproval"}
    approver = [g for g in grants(hardening.template, manual) if g.principal == "PolicyApproverRole" and allows(g)]
    pairs = {(w, r) for g in approver for w in POLICY_WRITES if holds(g, w) for r in g.resources}
    assert pairs and pairs <= vendor_pairs
    creatable = {r for w, r in pairs if w == "iam:CreatePolicy"}
    assert creatable and all(r.startswith(f"arn:aws:iam::{ACCOUNT}:policy/quilt/quilt/us-east-1/") for r in creatable)
    analysis = analyse(hardening.template, manual)
    flagged = [f for f in evaluate_findings(analysis.evaluation, list(analysis.grants), list(analysis.rules))
               if f.rule_id == "QW-IAM-004" and f.subject == "PolicyApproverRole"]
    assert flagged == []


def test_pre_created_policies_grant_only_the_prefix(any_vendor):
    template, hardening, values = any_vendor
    if "PolicyCreationMode" not in hardening.template.parameters:
        pytest.skip("this part holds no policy writes")
    after = grants(hardening.template, {**values, "PolicyCreationMode": "PreCreated", "CustomerBucketPrefix": "acme-"})
    filled = [g for g in after if g.source.resource in ("BucketReadPolicy", "BucketWritePolicy") and allows(g)]
    # and the buckets the stack creates for Quilt to connect itself (the canaries'), when this part has them
    canaries = {f"${{{b}.Arn}}{tail}" for b in ("CanaryBucketAllowed", "CanaryBucketRestricted") for tail in ("", "/*")}
    for grant in filled:
        assert set(grant.resources) - canaries == {"arn:aws:s3:::acme-*", "arn:aws:s3:::acme-*/*"}


def test_pre_created_needs_a_prefix(vendor):
    _template, hardening, values = vendor
    refused = analyse(hardening.template, {**values, "PolicyCreationMode": "PreCreated"}).evaluation
    assert [name for name, _ in refused.rule_violations()] == ["PreCreatedPoliciesNeedBucketPrefix"]
    accepted = analyse(hardening.template, {**values, "PolicyCreationMode": "PreCreated",
                                            "CustomerBucketPrefix": "acme-"}).evaluation
    assert accepted.rule_violations() == []


# --- bucket prefix (concern 2) ---------------------------------------------------------------

def test_a_bucket_prefix_scopes_every_s3_grant_on_star_of_the_bucket_connecting_roles(vendor):
    template, hardening, values = vendor
    before = grants(template, values)
    roles = run_time_roles(before)
    assert s3_on_everything(before, roles), "the vendor grants S3 on '*' to a bucket-connecting role"
    prefixed = {**values, "CustomerBucketPrefix": "acme-"}
    after = grants(hardening.template, prefixed)
    assert s3_on_everything(after, roles) == []
    scoped = [g for g in after if allows(g) and g.principal in roles and "arn:aws:s3:::acme-*" in g.resources]
    # the prefix's buckets, and the buckets the stack creates for Quilt to connect itself (the canaries')
    canaries = {f"${{{b}.Arn}}{tail}" for b in ("CanaryBucketAllowed", "CanaryBucketRestricted") for tail in ("", "/*")}
    assert scoped and all(set(g.resources) - canaries == {"arn:aws:s3:::acme-*", "arn:aws:s3:::acme-*/*"}
                          for g in scoped)
    change = compare(template, values, hardening.template, prefixed)
    assert not change.broadening and change.added


def test_the_prefix_follows_the_partition(vendor):
    _template, hardening, values = vendor
    gov = Pseudo(region="us-gov-west-1")
    found = analyse(hardening.template, {**values, "CustomerBucketPrefix": "acme-"}, gov).grants
    assert any("arn:aws-us-gov:s3:::acme-*" in g.resources for g in found)


# --- Athena (concern 5) ----------------------------------------------------------------------

def takes_workgroup(action: str) -> bool:
    return any(":workgroup/" in form for form in resource_types.accepted(action) or ())


def test_named_workgroups_leave_athena_only_on_those_workgroups(vendor):
    _template, hardening, values = vendor
    def broad(found):
        """Athena actions that take a workgroup, granted on every workgroup."""
        return [g for g in found if allows(g) and any(a.lower().startswith("athena:") and takes_workgroup(a)
                                                      for a in g.actions)
                and any(r == "*" or r.endswith(":workgroup/*") for r in g.resources)]
    assert broad(grants(hardening.template, values))
    names = "primary,analytics,a3,a4,a5,a6"
    after = grants(hardening.template, {**values, "AllowedAthenaWorkgroups": names})
    assert broad(after) == []
    # the actions that take no workgroup (the list actions) stay where the vendor grants them
    kept = {a for g in after if allows(g) and "*" in g.resources for a in g.actions if a.lower().startswith("athena:")}
    assert {"athena:ListWorkGroups", "athena:ListDataCatalogs", "athena:ListDatabases"} <= kept
    assert not any(takes_workgroup(a) for a in kept)
    listed = {f"arn:aws:athena:us-east-1:{ACCOUNT}:workgroup/{n}" for n in names.split(",")[:5]}
    scoped = [g for g in after if allows(g) and any("workgroup/primary" in r for r in g.resources)]
    assert scoped and all(set(g.resources) == listed for g in scoped)
    assert not any("workgroup/a6" in r for g in after for r in g.resources), "names after the fifth fail closed"


# --- enhanced security (concerns 1-3) --------------------------------------------------------

def test_enhanced_security_guards_every_role_that_holds_or_rewrites_a_run_time_policy(vendor):
    template, hardening, values = vendor
    roles = run_time_roles(grants(template, values))
    assert roles
    after = grants(hardening.template, {**values, "EnableEnhancedSecurity": "true", "CustomerBucketPrefix": "acme-"})
    path = f"arn:aws:iam::{ACCOUNT}:policy/quilt/quilt/us-east-1/*"
    # the policies the vendor's roles version outside the path stay where they are, named one by one
    in_place = {r for g in after if allows(g) and holds(g, "iam:CreatePolicyVersion") and g.principal in roles
                for r in g.resources if not r.startswith(path[:-1])}
    assert all("*" not in r for r in in_place) and (in_place or "stable-iam" in template.source)
    for role in roles:
        denies = [g for g in after if g.principal == role and g.effect == "Deny" and g.kind == "identity"]
        assert any(holds(g, "iam:CreatePolicyVersion") and g.not_resources[0] == path
                   and in_place <= set(g.not_resources) <= {path} | in_place | set(
                       r for r in g.not_resources if r.startswith(path[:-1]) and "*" not in r)
                   for g in denies), role
        assert any(all(holds(g, a) for a in ("iam:AttachRolePolicy", "iam:PutRolePolicy", "iam:PassRole",
                                             "iam:CreateRole", "iam:UpdateAssumeRolePolicy")) and g.resources == ("*",)
                   for g in denies), role
        s3 = [g for g in denies if holds(g, "s3:GetObject")]
        assert s3 and "arn:aws:s3:::acme-*" in s3[0].not_resources and "*" not in s3[0].not_resources, role
    # the vendor's own placeholder updates stay possible: every policy a role re-versions is on the
    # path or is one of the existing policies the guardrail names
    for g in after:
        if allows(g) and holds(g, "iam:CreatePolicyVersion") and g.principal in roles:
            assert all(r.startswith(path[:-1]) or r in in_place for r in g.resources), g.resources


def test_enhanced_security_without_a_prefix_denies_no_s3(vendor):
    _template, hardening, values = vendor
    after = grants(hardening.template, {**values, "EnableEnhancedSecurity": "true"})
    assert not [g for g in after if g.kind == "identity" and g.effect == "Deny" and holds(g, "s3:GetObject")]
    assert [g for g in after if g.effect == "Deny" and holds(g, "iam:PassRole")]


def test_enhanced_security_adds_source_account_and_arn_to_service_trusts(vendor):
    _template, hardening, values = vendor
    after = grants(hardening.template, {**values, "EnableEnhancedSecurity": "true"})
    supported = ("Service:ecs-tasks.amazonaws.com", "Service:events.amazonaws.com", "Service:firehose.amazonaws.com")
    trusts = [g for g in after if g.kind == TRUST and g.principal in supported]
    assert trusts
    mixed = {g.on for g in after if g.kind == TRUST and not g.principal.startswith("Service:")}
    for trust in trusts:
        suffix = "IfExists" if trust.on in mixed else ""
        assert trust.condition["StringEquals" + suffix]["aws:SourceAccount"] == ACCOUNT
        arns = trust.condition["ArnLike" + suffix]["aws:SourceArn"]
        assert all(f":us-east-1:{ACCOUNT}:" in a for a in ([arns] if isinstance(arns, str) else arns))
    assert any(t.on in mixed for t in trusts), "the registry's trust also names IAM users"
    assert any("IfExists" in n for n in hardening.notes)
    assert any("lambda.amazonaws.com" in n for n in hardening.notes), "trusts left alone are said"
    before = grants(hardening.template, values)
    assert not any(g.condition for g in before if g.kind == TRUST and g.principal in supported)


# --- the real template's own risk: trust in another account ----------------------------------

def outsiders(found) -> list:
    def outside(principal: str) -> bool:
        parts = principal.split(":")
        return principal.startswith("AWS:") and len(parts) > 5 and parts[5].isdigit() and parts[5] != ACCOUNT
    return [g for g in found if g.kind == TRUST and outside(g.principal)]


def test_remove_leaves_no_trust_in_principals_of_another_account(vendor):
    _template, hardening, values = vendor
    before = grants(hardening.template, values)
    assert outsiders(before), "the vendor's template trusts IAM users of its own account"
    after = grants(hardening.template, {**values, "TrustExternalPrincipals": "Remove"})
    assert outsiders(after) == []
    trusted = lambda found: {g.on for g in found if g.kind == TRUST}  # noqa: E731
    assert trusted(after) == trusted(before), "every role is still assumable by its service or the stack"


# --- the orphan port (concern 7) -------------------------------------------------------------

def test_internal_api_port_zero_removes_the_orphan_444_rules(vendor):
    _template, hardening, values = vendor
    port = lambda v: [r for r in analyse(hardening.template, {**values, **v}).rules if r.from_port == 444]  # noqa: E731
    assert len(port({})) == 2
    assert port({"InternalApiPort": "0"}) == []
    moved = analyse(hardening.template, {**values, "InternalApiPort": "8443"}).rules
    assert len([r for r in moved if r.from_port == 8443]) == 2
    listeners = [r for r in moved if r.kind == "listener"]
    assert all(r.from_port != 444 for r in listeners), "the real template has no 444 listener"


# --- CloudTrail (concern 4) ------------------------------------------------------------------

def trails(template, values):
    return analyse(template, values).evaluation.resources("AWS::CloudTrail::Trail")


def test_the_vendor_template_has_no_trail_and_the_default_adds_none(vendor):
    template, hardening, values = vendor
    assert trails(template, values) == {} and trails(hardening.template, values) == {}


def test_cloudwatch_and_kms_add_a_complete_trail(vendor):
    _template, hardening, values = vendor
    found = trails(hardening.template, {**values, "EnableCloudWatchIntegration": "true", "KMSKeyId": "alias/audit"})
    (trail,) = found.values()
    properties = trail["Properties"]
    assert properties["IsMultiRegionTrail"] is True and properties["EnableLogFileValidation"] is True
    assert properties["KMSKeyId"] == "alias/audit"
    assert properties["CloudWatchLogsLogGroupArn"] and properties["CloudWatchLogsRoleArn"]
    role = [g for g in grants(hardening.template, {**values, "EnableCloudWatchIntegration": "true"})
            if g.kind == TRUST and g.on == ("TrailCloudWatchLogsRole",)]
    assert role and role[0].condition["StringEquals"]["aws:SourceAccount"] == ACCOUNT
    kms_only = trails(hardening.template, {**values, "KMSKeyId": "alias/audit"})
    assert "CloudWatchLogsLogGroupArn" not in next(iter(kms_only.values()))["Properties"]


def test_the_trail_rule_says_what_the_preflight_must_inspect(vendor):
    _template, hardening, _values = vendor
    outcome = next(o for o in hardening.outcomes if o.rule.id == "cloudtrail")
    assert "existing trail" in outcome.rule.preflight


# --- honesty: what needs the vendor, what matched nothing, provenance --------------------------

def test_tls_to_the_tasks_is_reported_as_needing_the_vendor_and_never_offered(vendor):
    _template, hardening, _values = vendor
    (outcome,) = [o for o in hardening.needs_vendor]
    assert outcome.rule.parameter == "EnableTaskTLS"
    assert "EnableTaskTLS" not in hardening.template.parameters
    provenance = hardening.template.body["Metadata"][PROVENANCE_KEY]
    assert any(r["Status"] == "needs-vendor" and "vendor" in r["NeedsVendor"] for r in provenance["Rules"])


def test_rules_that_match_nothing_are_reported_and_add_nothing(any_vendor):
    _template, hardening, _values = any_vendor
    nothing = [o for o in hardening.outcomes if o.status == "matched-nothing"]
    for outcome in nothing:
        assert outcome.rule.parameter not in hardening.template.parameters
        assert any(outcome.rule.id in w and "matched nothing" in w for w in hardening.warnings)


def test_the_iam_part_of_the_split_template_reports_every_rule_it_cannot_apply(any_vendor):
    """The IAM part holds the S3 placeholders and two Lambda roles: it takes the prefix and the
    policy-creation mode (what PreCreated fills its placeholders with) and enhanced security (its
    roles' boundaries); every other rule is reported as not applying."""
    template, hardening, _values = any_vendor
    if not template.source.endswith("stable-iam.yaml"):
        pytest.skip("the IAM part only")
    applied = {o.rule.id for o in hardening.outcomes if o.status == "applied"}
    assert applied == {"bucket-prefix", "policy-creation", "enhanced-security", "permissions-boundary"}
    assert hardening.added_parameters == ["CustomerBucketPrefix", "PolicyCreationMode", "EnableEnhancedSecurity"]
    assert len(hardening.warnings) >= 5
    # No approver is asked of a part that holds no policy writer: ManualApproval needs none here.
    body = hardening.template.body
    assert not {"ApproverPrincipalArn", "ApprovalEmail"} & set(hardening.template.parameters)
    assert "ManualApprovalNeedsApprovers" not in (body.get("Rules") or {})
    assert "ApprovalEmailSubscription" not in body["Conditions"]
    manual = analyse(hardening.template, {"PolicyCreationMode": "ManualApproval"}).evaluation
    assert manual.rule_violations() == []


def test_provenance_names_the_vendor_template_the_overlay_and_each_match(any_vendor):
    template, hardening, _values = any_vendor
    provenance = hardening.template.body["Metadata"][PROVENANCE_KEY]
    assert provenance["VendorTemplateSha256"] == hashlib.sha256(template.text.encode()).hexdigest()
    assert provenance["Overlay"] == "quilt" and provenance["OverlayVersion"] == hardening.overlay.version
    assert len(provenance["OverlayDigest"]) == 64
    for record in provenance["Rules"]:
        assert bool(record["Matched"]) == (record["Status"] == "applied")


def test_hardening_a_hardened_template_adds_nothing_and_keeps_the_vendors_record(vendor):
    from wizard.overlay import harden

    template, hardening, values = vendor
    again = harden(hardening.template)
    assert again.added_parameters == []
    assert {o.status for o in again.outcomes} <= {"already-present", "needs-vendor"}
    record = again.template.body["Metadata"][PROVENANCE_KEY]
    assert record["VendorTemplateSha256"] == hashlib.sha256(template.text.encode()).hexdigest()
    assert compare(hardening.template, values, again.template, values).empty
