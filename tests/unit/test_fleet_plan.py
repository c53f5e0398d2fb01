"""The fleet's plan without AWS: what each stack instance runs, its overrides, the calls that carry
them, and the permission diff of each instance against the fleet's base."""

from __future__ import annotations

import json

import pytest

from tests.conftest import DATA
from wizard.cli import main
from wizard.cfn.template import load_template
from wizard.errors import InputError
from wizard.fleet.plan import plan_fleet
from wizard.fleet.status import fleet_status
from wizard.flow.profiles import user_profiles_dir
from wizard.flow.stack import template_for
from wizard.iam.analysis import analyse

SMALL = str(DATA / "templates" / "fleet-small.yaml")
A, B, C = "111122223333", "444455556666", "777788889999"
CERT = "arn:aws:acm:{region}:{account}:certificate/0f1e2d3c-4b5a-6978-8796-a5b4c3d2e1f0"


def write_profile(name: str, text: str) -> None:
    folder = user_profiles_dir()
    folder.mkdir(parents=True, exist_ok=True)
    (folder / f"{name}.yaml").write_text(text)


def quilt_account(account: str, region: str, extra: str = "") -> str:
    return f"""
  "{account}":
    region: {region}
    answers:
      certificate: {CERT.format(region=region, account=account)}
      approvers: arn:aws:iam::{account}:role/quilt-approver{extra}
    parameters:
      RegistryImage: {account}.dkr.ecr.{region}.amazonaws.com/quilt:1
      SearchDomainArn: arn:aws:es:{region}:{account}:domain/quilt
      VPC: vpc-0123456789abcdef0
      Subnets: subnet-00000001,subnet-00000002
      PublicSubnets: subnet-00000003,subnet-00000004"""


QUILT_PROFILE = """name: acme
extends: restricted
answers:
  host: quilt.example.com
  bucket_scope: acme-quilt-
parameters:
  AdminEmail: admin@example.com
  CloudTrailBucket: example-trail
accounts:""" + quilt_account(A, "us-east-1") + quilt_account(B, "eu-west-1", '\n      tighter_security: "no"')


def test_two_accounts_of_the_quilt_template_get_their_own_values_and_the_broadening_one_stands_out():
    write_profile("acme", QUILT_PROFILE)
    plan = plan_fleet("acme", template_for(None))
    first, second = plan.instances
    assert (first.account, first.region, second.account, second.region) == (A, "us-east-1", B, "eu-west-1")
    # Values only accounts give are empty in the stack set and overridden by each instance.
    assert {"VPC", "CertificateArnELB", "RegistryImage"} <= set(plan.per_account)
    assert plan.parameters["VPC"] == "" and plan.parameters["EnableEnhancedSecurity"] == "true"
    assert first.overrides["CertificateArnELB"].startswith("arn:aws:acm:us-east-1:111122223333:")
    assert "EnableEnhancedSecurity" not in first.overrides
    assert second.overrides["EnableEnhancedSecurity"] == "false"
    # A's overrides change nothing of what the accounts share but name its own approver (the
    # approver role's trust, per account: all that broadens); B's take the deny guard-rails away.
    assert not first.weakening
    assert {(c.grant.kind, c.grant.on) for c in first.diff.added + first.diff.removed} == {
        ("trust", ("PolicyApproverRole",))}
    assert {c.grant.principal for c in first.diff.added} == {f"AWS:arn:aws:iam::{A}:role/quilt-approver"}
    assert second.broadening and second.weakening
    removed_denies = [c.grant for c in second.diff.removed if c.grant.effect == "Deny"]
    assert removed_denies and all(c.broadening for c in second.diff.removed if c.grant.effect == "Deny")
    # The diff is what the grants say: B's instance really holds no Deny the base has.
    base_values = {**second.values.raw, **plan.base.raw}
    base_denies = {g.principal for g in analyse(plan.template, base_values, second.deployment.pseudo).grants
                   if g.effect == "Deny"}
    own_denies = {g.principal for g in analyse(plan.template, second.values.raw, second.deployment.pseudo).grants
                  if g.effect == "Deny"}
    guarded = {"RegistryRole", "ManagedUserRole", "PolicyApproverRole"}
    assert guarded <= base_denies and not guarded & own_denies
    # Every instance's values are those of a single run for that account and region.
    assert second.deployment.pseudo.account_id == B and second.deployment.pseudo.region == "eu-west-1"


def test_accounts_with_the_same_overrides_in_the_same_regions_share_one_call():
    write_profile("teams", f"""name: teams
extends: standard
answers: {{bucket_scope: acme-data-}}
accounts:
  "{A}": {{answers: {{bucket_scope: ""}}}}
  "{B}": {{answers: {{bucket_scope: ""}}}}
  "{C}": {{parameters: {{TopicName: other}}}}
parameters: {{VPC: vpc-0123456789abcdef0}}
""")
    plan = plan_fleet("teams", load_template(SMALL), regions=["us-east-1", "eu-west-1"])
    groups = plan.groups()
    assert [(g.accounts, g.regions, dict(g.overrides)) for g in groups] == [
        ((A, B), ("eu-west-1", "us-east-1"), {"CustomerBucketPrefix": ""}),
        ((C,), ("eu-west-1", "us-east-1"), {"TopicName": "other"}),
    ]
    assert [i.broadening for i in plan.instances] == [True, True, True, True, False, False]
    narrowed = plan.groups([(A, "us-east-1")])
    assert [(g.accounts, g.regions) for g in narrowed] == [((A,), ("us-east-1",))]


def test_accounts_narrow_the_fleet_and_must_belong_to_the_profile():
    write_profile("acme", QUILT_PROFILE)
    plan = plan_fleet("acme", template_for(None), accounts=[B])
    assert [(i.account, i.region) for i in plan.instances] == [(B, "eu-west-1")]
    with pytest.raises(InputError, match="999999999999 is not in profile acme"):
        plan_fleet("acme", template_for(None), accounts=["999999999999"])
    with pytest.raises(InputError, match="has no accounts: section"):
        plan_fleet("restricted", template_for(None))


def test_an_invalid_override_is_exit_2_naming_the_account_and_the_field(capsys):
    write_profile("acme", QUILT_PROFILE.replace('tighter_security: "no"', 'bucket_scope: "*"'))
    code = main(["fleet", "plan", "--profile", "acme"])
    err = capsys.readouterr().err
    assert code == 2
    line, = err.strip().splitlines()
    assert f"account {B} in eu-west-1" in line and "/answers/bucket_scope (CustomerBucketPrefix)" in line
    assert "AllowedPattern" in line


def test_an_account_region_the_profile_names_badly_is_refused(capsys):
    write_profile("acme", QUILT_PROFILE.replace("region: eu-west-1", "region: 'eu west'"))
    assert main(["fleet", "plan", "--profile", "acme"]) == 2
    assert f"/accounts/{B}/region" in capsys.readouterr().err
    assert main(["fleet", "plan", "--profile", "acme", "--regions", "us-east-1,"]) == 2
    assert "--regions" in capsys.readouterr().err
    assert main(["fleet", "plan", "--profile", "acme", "--accounts", "12345"]) == 2
    assert "--accounts" in capsys.readouterr().err


def test_the_harden_after_timeline_is_refused_for_a_stack_set():
    write_profile("acme", QUILT_PROFILE.replace("  bucket_scope: acme-quilt-", "  bucket_scope: acme-quilt-\n  timeline: after"))
    with pytest.raises(InputError) as raised:
        plan_fleet("acme", template_for(None))
    assert raised.value.where == "/answers/timeline" and "one set of values" in raised.value.message


def test_plan_json_masks_noecho_overrides_and_lists_the_calls(capsys):
    secret = "Zq9-unguessable-token-41"
    write_profile("teams", f"""name: teams
extends: standard
answers: {{bucket_scope: acme-data-}}
accounts:
  "{A}": {{parameters: {{VPC: vpc-0123456789abcdef0, Token: {secret}}}}}
  "{B}": {{answers: {{bucket_scope: ""}}, parameters: {{VPC: vpc-0123456789abcdef1}}}}
""")
    assert main(["fleet", "plan", "--profile", "teams", "-t", SMALL, "--json"]) == 0
    out = capsys.readouterr().out
    assert secret not in out and secret[:8] not in out
    data = json.loads(out)
    first, second = data["instances"]
    assert first["overrides"] == {"VPC": "vpc-0123456789abcdef0", "Token": "****"}
    assert second["overrides"] == {"CustomerBucketPrefix": "", "VPC": "vpc-0123456789abcdef1"}
    assert data["broadening"] == [f"{B}/us-east-1"] and not first["broadening"]
    assert data["stack_set_parameters"]["VPC"] == "" and data["per_account"] == ["VPC"]
    assert len(data["calls"]) == 2
    assert main(["fleet", "plan", "--profile", "teams", "-t", SMALL, "--fail-on-broadening"]) == 1
    assert B in capsys.readouterr().err


def test_status_marks_an_instance_changed_outside_the_wizard_and_accounts_not_in_the_profile():
    from dataclasses import dataclass, field

    @dataclass
    class Running:
        account: str
        region: str
        overrides: dict = field(default_factory=dict)
        status: str = "CURRENT"
        status_reason: str | None = None
        detailed_status: str | None = "SUCCEEDED"
        drift_status: str | None = None

    write_profile("teams", f"""name: teams
extends: standard
answers: {{bucket_scope: acme-data-}}
accounts:
  "{A}": {{parameters: {{VPC: vpc-0123456789abcdef0}}}}
  "{B}": {{parameters: {{VPC: vpc-0123456789abcdef1}}}}
""")
    template = load_template(SMALL)
    running = [Running(A, "us-east-1", {"VPC": "vpc-0123456789abcdef0"}),
               Running(B, "us-east-1", {"VPC": "vpc-0123456789abcdef1", "CustomerBucketPrefix": ""}),
               Running(C, "us-east-1")]
    plan = plan_fleet("teams", template, pairs=[(A, "us-east-1"), (B, "us-east-1")])
    status = fleet_status("quilt-fleet", plan.parameters, running, plan)
    views = {v.account: v for v in status.instances}
    assert not views[A].stands_out
    assert [(d.parameter, d.running, d.profile) for d in views[B].differences] == [
        ("CustomerBucketPrefix", "", "acme-data-")]
    assert views[C].in_profile is False and views[C].stands_out
    assert status.differs and status.missing_accounts == ()
    shared_changed = fleet_status("quilt-fleet", {**plan.parameters, "TopicName": "renamed"}, running[:1], plan)
    assert [d.parameter for d in shared_changed.parameter_differences] == ["TopicName"]
    assert shared_changed.missing_accounts == (B,)


def test_stack_instance_requests_carry_every_override_and_target_accounts_by_model():
    from wizard.aws.stacksets import instances_request, preferences

    self_managed = instances_request("fleet", [A, B], ["us-east-1"], {"VPC": "vpc-1", "CustomerBucketPrefix": ""},
                                     permission_model="SELF_MANAGED", options=preferences(2, 0))
    assert self_managed["Accounts"] == [A, B] and "DeploymentTargets" not in self_managed
    assert self_managed["ParameterOverrides"] == [{"ParameterKey": "VPC", "ParameterValue": "vpc-1"},
                                                  {"ParameterKey": "CustomerBucketPrefix", "ParameterValue": ""}]
    assert self_managed["OperationPreferences"] == {"MaxConcurrentCount": 2, "FailureToleranceCount": 0}
    service = instances_request("fleet", [A], ["eu-west-1"], {}, permission_model="SERVICE_MANAGED",
                                ous=["ou-abcd-12345678"])
    assert "Accounts" not in service and service["ParameterOverrides"] == []
    assert service["DeploymentTargets"] == {"OrganizationalUnitIds": ["ou-abcd-12345678"], "Accounts": [A],
                                            "AccountFilterType": "INTERSECTION"}
    assert instances_request("fleet", [A], ["us-east-1"], {}, permission_model="SELF_MANAGED")["OperationId"] != \
        instances_request("fleet", [A], ["us-east-1"], {}, permission_model="SELF_MANAGED")["OperationId"]


def test_a_vendor_template_is_hardened_first_and_the_overrides_act_on_the_promised_options(capsys):
    vendor = str(DATA / "overlay" / "small-vendor.yaml")
    write_profile("teams", f"""name: teams
extends: standard
answers: {{bucket_scope: acme-data-}}
accounts:
  "{A}": {{}}
  "{B}": {{answers: {{bucket_scope: ""}}}}
""")
    assert main(["fleet", "plan", "--profile", "teams", "-t", vendor, "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert "CustomerBucketPrefix" in data["hardening"]["parameters_added"]
    assert data["stack_set_parameters"]["CustomerBucketPrefix"] == "acme-data-"
    first, second = data["instances"]
    assert first["overrides"] == {} and second["overrides"] == {"CustomerBucketPrefix": ""}
    assert second["broadening"] and not first["broadening"]
    assert main(["fleet", "plan", "--profile", "teams", "-t", vendor, "--no-harden", "--json"]) == 0
    unhardened = json.loads(capsys.readouterr().out)
    assert unhardened["hardening"] is None and unhardened["stack_set_parameters"] == {}
    assert all(i["overrides"] == {} for i in unhardened["instances"])


TEAMS = f"""name: teams
extends: standard
answers: {{bucket_scope: acme-data-}}
accounts:
  "{A}": {{parameters: {{VPC: vpc-0123456789abcdef0}}}}
  "{B}": {{answers: {{bucket_scope: "*"}}, parameters: {{VPC: vpc-0123456789abcdef1}}}}
  "{C}": {{parameters: {{VPC: vpc-0123456789abcdef2}}}}
"""


def test_without_strict_every_instance_is_planned_and_the_refused_ones_kept_with_their_message():
    write_profile("teams", TEAMS)
    template = load_template(SMALL)
    with pytest.raises(InputError, match=f"account {B} in us-east-1"):
        plan_fleet("teams", template)
    plan = plan_fleet("teams", template, strict=False)
    assert [i.account for i in plan.instances] == [A, C] and not plan.deployable
    (refusal,) = plan.refused
    assert (refusal.account, refusal.region) == (B, "us-east-1")
    assert f"account {B} in us-east-1" in refusal.message and "CustomerBucketPrefix" in refusal.message
    assert plan.to_json()["refused"] == [refusal.to_json()]
    assert plan_fleet("teams", template, accounts=[A, C], strict=False).deployable


def test_a_runs_values_the_profile_does_not_hold_are_named():
    from wizard.fleet.plan import not_in_profile

    write_profile("teams", TEAMS)
    plan = plan_fleet("teams", load_template(SMALL), accounts=[A, C])
    own = dict(plan.instance(A, "us-east-1").values.raw)
    assert not_in_profile(plan, own, A, "us-east-1") == ()
    assert not_in_profile(plan, own, A, "eu-west-1") == ()  # the account's values, in another region
    assert not_in_profile(plan, {**own, "CustomerBucketPrefix": "acme-other-"}, A, "us-east-1") == (
        "CustomerBucketPrefix",)
    # An account outside the fleet: only the shared values are compared (it has its own VPC).
    outside = {**own, "VPC": "vpc-0123456789abcdef9"}
    assert not_in_profile(plan, outside, "999999999999", "us-east-1") == ()
    assert not_in_profile(plan, {**outside, "TopicName": "other"}, "999999999999", "us-east-1") == ("TopicName",)


def test_the_stack_set_acknowledges_what_its_instances_need_with_the_resources():
    from wizard.commands.fleet_deploy import FleetDeployment, fleet_capabilities

    write_profile("teams", TEAMS)
    plan = plan_fleet("teams", load_template(SMALL), accounts=[A, C])
    (capability,) = fleet_capabilities(plan)
    assert capability.name == "CAPABILITY_IAM" and capability.resources == (("DataRole", "AWS::IAM::Role"),)
    new = FleetDeployment("quilt-fleet", "SELF_MANAGED", (), None, ((A, "us-east-1"), (C, "us-east-1")), (), False,
                          (capability,), ())
    assert new.steps(plan) == ["create stack set quilt-fleet (self-managed)", "create 2 instances in 2 calls"]
    kept = FleetDeployment("quilt-fleet", "SELF_MANAGED", (), None, (), ((C, "us-east-1"),), True, (capability,), ())
    assert kept.steps(plan)[1:] == ["set the overrides of 1 instance in 1 call", "leave 1 instance unchanged"]
    assert new.acknowledged() == "CAPABILITY_IAM: the template creates IAM resources (DataRole)"


KMS = "arn:aws:kms:{region}:{account}:key/0f1e2d3c-4b5a-6978-8796-a5b4c3d2e1f{last}"
ENTERPRISE_PROFILE = """name: secure
extends: enterprise
answers:
  host: quilt.example.com
  bucket_scope: acme-quilt-
  athena_scope: primary
parameters:
  AdminEmail: admin@example.com
  CloudTrailBucket: example-trail
accounts:""" + quilt_account(A, "us-east-1", "\n      cloudtrail_kms: " + KMS.format(region="us-east-1", account=A, last=0)) \
    + quilt_account(B, "us-east-1", "\n      cloudtrail_kms: " + KMS.format(region="us-east-1", account=B, last=1))


def test_the_kms_key_each_account_must_give_is_its_own_not_a_broadening(capsys):
    """Enterprise requires a KMS key, and a key belongs to one account: each account gives its own,
    as it gives its VPC. Against a base without a key, every instance would gain kms: grants."""
    write_profile("secure", ENTERPRISE_PROFILE)
    plan = plan_fleet("secure", template_for(None))
    assert "KMSKeyId" in plan.per_account and plan.parameters["KMSKeyId"] == ""
    for instance, account, last in zip(plan.instances, (A, B), (0, 1)):
        assert instance.overrides["KMSKeyId"] == KMS.format(region="us-east-1", account=account, last=last)
        assert not instance.broadening and not instance.weakening and instance.diff.empty, instance.account
    assert main(["fleet", "plan", "--profile", "secure", "--fail-on-broadening"]) == 0
    out = capsys.readouterr().out
    assert "BROADENING" not in out and "* KMSKeyId" not in out
    assert any(line.split()[:2] == ["KMSKeyId", "(each"] for line in out.splitlines())
