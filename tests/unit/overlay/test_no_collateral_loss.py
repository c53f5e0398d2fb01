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
from wizard.iam.grants import BOUNDARY, IDENTITY
from wizard.iam.wildcards import action_matches, pattern_covers
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
    topics = [g for g in found if g.is_allow and g.kind == IDENTITY and g.principal == "AmazonECSTaskExecutionRole"
              and "sns:CreateTopic" in g.actions]
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


# --- the stack's own buckets stay reachable --------------------------------------------------------

def _acts(grant, action: str) -> bool:
    if grant.not_actions:
        return not any(action_matches(n, action) for n in grant.not_actions)
    return any(action_matches(a, action) for a in grant.actions)


def _on(grant, resource: str) -> bool:
    def names(pattern: str) -> bool:
        return pattern == resource or pattern_covers(pattern, resource, case_sensitive=True)
    if grant.not_resources:
        return not any(names(p) for p in grant.not_resources)
    return any(names(p) for p in grant.resources)


def takes_effect(found, role: str, action: str, resource: str, run_time: bool = False) -> bool:
    """Whether ``role`` may do ``action`` on ``resource``: an Allow of its identity policies (with
    ``run_time``, of what a policy filled at run time may grant: its boundary), within its
    boundary, and no unconditional Deny of its identity policies or boundary."""
    identity = [g for g in found if g.kind == IDENTITY and g.principal == role and g.attachment is None]
    boundary = [g for g in found if g.kind == BOUNDARY and g.principal == role and g.attachment is None]
    allows = [g for g in (boundary if run_time else identity) if g.is_allow and not g.grants_nothing]
    if not any(_acts(g, action) and _on(g, resource) for g in allows):
        return False
    if boundary and not any(g.is_allow and _acts(g, action) and _on(g, resource) for g in boundary):
        return False
    return not any(not g.is_allow and not g.condition_json and _acts(g, action) and _on(g, resource)
                   for g in identity + boundary)


CANARY_BUCKETS = ("${CanaryBucketAllowed.Arn}", "${CanaryBucketRestricted.Arn}")
TWO_PARTS = ["stable.yaml", "stable-app.yaml"]


@pytest.mark.parametrize("name,mode", [(n, m) for n in TWO_PARTS for m in MODES])
def test_the_canaries_and_their_setup_still_reach_the_stacks_buckets(name, mode):
    """The four Synthetics canaries write their results; the migration task (the ECS task role,
    setup_canaries.py) connects the canaries' buckets, whose names CloudFormation generates, so no
    bucket prefix covers them; the guardrail's Deny outside the prefix must not cut them."""
    found = hardened(name, mode).grants
    results = "${SyntheticsResultsBucket.Arn}"
    assert takes_effect(found, "CloudWatchSyntheticsRole", "s3:PutObject", f"{results}/canary/run.json")
    assert takes_effect(found, "CloudWatchSyntheticsRole", "s3:GetBucketLocation", results)
    for bucket in CANARY_BUCKETS:
        for action in ("s3:PutBucketNotification", "s3:GetBucketNotification", "s3:ListBucket"):
            assert takes_effect(found, "AmazonECSTaskExecutionRole", action, bucket), (bucket, action)
        for action in ("s3:GetObject", "s3:PutObject"):
            # what the run-time policies may grant on them (filled at deployment in PreCreated)
            assert takes_effect(found, "AmazonECSTaskExecutionRole", action, f"{bucket}/README.md",
                                run_time=True), (bucket, action)
            for role in ("T4BucketReadRole", "T4BucketWriteRole"):
                if action == "s3:GetObject" or role == "T4BucketWriteRole":
                    assert takes_effect(found, role, action, f"{bucket}/README.md", run_time=True), (role, bucket, action)


def test_pre_created_policies_cover_the_canaries_buckets():
    """Filled at deployment, the read and write placeholders name the canaries' buckets too (the
    monolithic template: the split pair's IAM part cannot name the application part's buckets)."""
    found = hardened("stable.yaml", "PreCreated").grants
    for bucket in CANARY_BUCKETS:
        assert takes_effect(found, "T4BucketReadRole", "s3:GetObject", f"{bucket}/README.md")
        assert takes_effect(found, "T4BucketWriteRole", "s3:PutObject", f"{bucket}/README.md")
        assert not takes_effect(found, "T4BucketReadRole", "s3:PutObject", f"{bucket}/README.md")


@pytest.mark.parametrize("name,mode", [(n, m) for n in TWO_PARTS for m in MODES])
def test_the_guardrail_spares_every_bucket_the_stack_creates_and_the_default_athena_results(name, mode):
    analysis = hardened(name, mode)
    found = analysis.grants
    guard = [g for g in found if g.sid == "NoS3OutsideBucketPrefix"]
    assert guard
    buckets = list(analysis.evaluation.resources("AWS::S3::Bucket"))
    athena = f"arn:aws:s3:::aws-athena-query-results-{ACCOUNT}-us-east-1"
    for deny in guard:
        for bucket in buckets:
            assert not _on(deny, f"${{{bucket}.Arn}}") and not _on(deny, f"${{{bucket}.Arn}}/key"), (deny.principal, bucket)
        assert not _on(deny, athena) and not _on(deny, f"{athena}/results/q.csv")
        assert _on(deny, "arn:aws:s3:::someone-elses-bucket/key")


# --- the trail's readers can decrypt what the customer's key encrypts ------------------------------

@pytest.mark.parametrize("name,mode", [(n, m) for n in TWO_PARTS for m in MODES])
def test_the_roles_that_read_the_trails_logs_may_decrypt_them(name, mode):
    """With KMSKeyId the stack's trail writes its log files encrypted with the key: every role that
    reads them in CloudTrailBucket (AccessCounts) may kms:Decrypt with the key, through S3 only,
    within its boundary and past the guardrail."""
    found = hardened(name, mode).grants
    bucket = VENDOR_FILES[name]["CloudTrailBucket"]
    readers = {g.principal for g in vendor(name).grants if g.is_allow and g.kind == IDENTITY
               and any(r.startswith(f"arn:aws:s3:::{bucket}/") for r in g.resources) and "s3:GetObject" in g.actions}
    assert "AccessCountsRole" in readers
    for role in readers:
        assert takes_effect(found, role, "s3:GetObject", f"arn:aws:s3:::{bucket}/AWSLogs/{ACCOUNT}/x.json.gz"), role
        assert takes_effect(found, role, "kms:Decrypt", KEY_ARN), role
        decrypt = [g for g in found if g.principal == role and g.kind == IDENTITY and "kms:Decrypt" in g.actions]
        assert decrypt and all(g.condition == {"StringEquals": {"kms:ViaService": "s3.us-east-1.amazonaws.com"}}
                               for g in decrypt)
    # without a key, nothing is added
    without = analyse(_hardening(name).template, VENDOR_FILES[name]).grants
    assert not [g for g in without if g.principal in readers and "kms:Decrypt" in g.actions]


# --- the migration task's chain goes on where the mode takes the IAM writes away ---------------------

POLICY_SCRIPTS = ("update_bucket_resources.py", "setup_role_athena_resources.py")


def _migration_command(analysis) -> list:
    task = analysis.evaluation.resource("RegistryMigrationTaskDefinition")
    return task["Properties"]["ContainerDefinitions"][0]["Command"]


def _run(command: list, tmp_path, failing: tuple[str, ...]) -> list[str]:
    """Run the container's ``sh -c`` chain with every script (and flask) replaced by a stub that
    records its name, those in ``failing`` exiting 1: the steps that ran, in order."""
    import os
    import re
    import stat
    import subprocess

    ran = tmp_path / "ran"
    (tmp_path / "scripts").mkdir(exist_ok=True)
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir(exist_ok=True)
    names = set(re.findall(r"\./scripts/([A-Za-z0-9_.]+)", command[2])) | {"flask"}
    for name in names:
        stub = (bin_dir if name == "flask" else tmp_path / "scripts") / name
        stub.write_text(f"#!/bin/sh\necho {name} >> '{ran}'\nexit {1 if name in failing else 0}\n")
        stub.chmod(stub.stat().st_mode | stat.S_IEXEC)
    script = re.sub(r"\$\{[^}]*\}", "value", command[2])  # what CloudFormation fills in
    subprocess.run([command[0], command[1], script], cwd=tmp_path, capture_output=True, timeout=30,
                   env={**os.environ, "PATH": f"{bin_dir}:{os.environ['PATH']}"})
    return ran.read_text().split() if ran.exists() else []


@pytest.mark.parametrize("name,mode", [(n, m) for n in TWO_PARTS for m in ("ManualApproval", "PreCreated")])
def test_the_migration_chain_goes_on_past_the_scripts_that_write_iam_policies(name, mode, tmp_path):
    """Outside Automatic the task role may no longer write the policies update_bucket_resources.py and
    setup_role_athena_resources.py write: they fail, and the steps after them (setup_canaries.py) still run."""
    analysis = hardened(name, mode)
    role_writes = [g for g in analysis.grants if g.principal == "AmazonECSTaskExecutionRole" and g.is_allow
                   and g.kind == IDENTITY and {"iam:CreatePolicyVersion", "iam:CreatePolicy"} & set(g.actions)]
    assert role_writes == []
    ran = _run(_migration_command(analysis), tmp_path, POLICY_SCRIPTS)
    assert ran[-1] == "setup_canaries.py" and set(POLICY_SCRIPTS) <= set(ran)


@pytest.mark.parametrize("name", TWO_PARTS)
def test_in_automatic_mode_the_migration_command_is_the_vendors(name, tmp_path):
    assert _migration_command(hardened(name, "Automatic")) == _migration_command(vendor(name))
    # and a failing step still stops the vendor's chain there
    ran = _run(_migration_command(hardened(name, "Automatic")), tmp_path, ("update_bucket_resources.py",))
    assert ran[-1] == "update_bucket_resources.py"
