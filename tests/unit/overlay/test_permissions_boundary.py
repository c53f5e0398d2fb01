"""A permissions boundary caps what the stack can grant itself: the proof, on grants, not text.

The vendor's real template and its split pair are hardened with enhanced security and a bucket
prefix, in each PolicyCreationMode (and with the stack's trail, so that stopping it can be
tried). A role's policies that are filled or versioned at run time may come to say anything:
what a role can reach *whatever they say* is what its permissions boundary admits, minus every
unconditional Deny of its identity policies and of its boundary. Read that way, no role reaches
IAM administration, a role outside the stack, or the stack's trail; the findings engine leaves
no critical finding; each boundary admits no more than what the template grants the role (as
the options scope it) and what Quilt fills in at run time; and each fits IAM's size limit.
"""

from __future__ import annotations

import json
import re
from functools import lru_cache

import pytest

from tests.conftest import REAL
from tests.unit.overlay.conftest import VENDOR_FILES
from tests.unit.overlay.test_overlay_guarantees import run_time_roles
from wizard.cfn.pseudo import Pseudo
from wizard.findings import evaluate_findings
from wizard.iam import actions as iam_actions
from wizard.iam.analysis import analyse
from wizard.iam.grants import BOUNDARY, IDENTITY, RESOURCE, TRUST, Grant, Source
from wizard.iam.wildcards import action_matches, pattern_covers

ACCOUNT = "123456789012"
MODES = ("Automatic", "ManualApproval", "PreCreated")
PREFIX = "acme-"
KEY = "1234abcd-12ab-34cd-56ef-1234567890ab"
STACK_PATH = f"arn:aws:iam::{ACCOUNT}:policy/quilt/quilt/us-east-1/"
PREFIX_BUCKETS = (f"arn:aws:s3:::{PREFIX}*", f"arn:aws:s3:::{PREFIX}*/*")
STACK_ROLE_PATH = f"arn:aws:iam::{ACCOUNT}:role/quilt/quilt/us-east-1/*"
#: The buckets the stack creates for Quilt to connect itself (the canaries'), as connected buckets are.
CANARY_BUCKETS = tuple(f"${{{b}.Arn}}{tail}" for b in ("CanaryBucketAllowed", "CanaryBucketRestricted")
                       for tail in ("", "/*"))

#: What an administrator of the account would touch: none of it is the stack's.
OUTSIDE = {
    "policy": f"arn:aws:iam::{ACCOUNT}:policy/Admin",
    "role": f"arn:aws:iam::{ACCOUNT}:role/Admin",
    "user": f"arn:aws:iam::{ACCOUNT}:user/admin",
    "group": f"arn:aws:iam::{ACCOUNT}:group/Admins",
    "other account": "arn:aws:iam::999999999999:role/Admin",
}
#: IAM actions that change who may do what (every Write, Permissions management and Tagging action).
IAM_WRITES = tuple(a for a in iam_actions.expand("iam:*")
                   if iam_actions.access_level(a) in ("Write", "Permissions management", "Tagging"))


def vendor_file(name: str):
    if not REAL.is_file():
        pytest.skip("the real Quilt template fixture (../shared/fixtures/quilt-real) is absent")
    from wizard.cfn.template import load_template
    from wizard.overlay import harden

    return harden(load_template(REAL.parent / name))


def hardened_values(template, base: dict, mode: str, **more) -> dict:
    """Enhanced security, the prefix and the mode (and the stack's trail, with a key), as far as the
    template has the options."""
    chosen = {"EnableEnhancedSecurity": "true", "CustomerBucketPrefix": PREFIX, "PolicyCreationMode": mode,
              "KMSKeyId": KEY, "ApproverPrincipalArn": f"arn:aws:iam::{ACCOUNT}:role/approver", **more}
    if mode != "ManualApproval":
        chosen.pop("ApproverPrincipalArn")
    return {**base, **{k: v for k, v in chosen.items() if k in template.parameters}}


@lru_cache(maxsize=None)
def hardened(name: str, mode: str, **more):
    hardening = vendor_file(name)
    return analyse(hardening.template, hardened_values(hardening.template, VENDOR_FILES[name], mode, **more))


# --- reading grants: what takes effect whatever the run-time policies say ------------------------

def acts(grant, action: str) -> bool:
    if grant.not_actions:
        return not any(action_matches(n, action) for n in grant.not_actions)
    return any(action_matches(a, action) for a in grant.actions)


def on(grant, resource: str) -> bool:
    def names(pattern: str) -> bool:
        return pattern == resource or pattern_covers(pattern, resource, case_sensitive=True)
    if grant.not_resources:
        return not any(names(p) for p in grant.not_resources)
    return any(names(p) for p in grant.resources)


#: What a policy rewritten at run time may say, for a role without a boundary.
ANYTHING_AT_ALL = Grant(principal="", kind=IDENTITY, source=Source("a run-time version"), actions=("*",),
                        resources=("*",))


def cap(found, role: str) -> tuple[list, list]:
    """(Allows, Denies) that bound ``role`` whatever its run-time policies say: its boundary's
    Allows; for a role without one, its identity's, or everything when it holds a policy filled or
    versioned at run time; and every unconditional Deny of its identity policies and boundary."""
    boundary = [g for g in found if g.kind == BOUNDARY and g.principal == role and not g.attachment]
    identity = [g for g in found if g.kind == IDENTITY and g.principal == role and not g.attachment]
    allows = [g for g in (boundary or identity) if g.is_allow and not g.grants_nothing]
    if not boundary and role in run_time_roles(found):
        allows = [ANYTHING_AT_ALL]
    return allows, [g for g in boundary + identity if not g.is_allow and not g.condition_json]


def reaches(found, role: str, action: str, resource: str) -> list:
    allows, denies = cap(found, role)
    if any(acts(d, action) and on(d, resource) for d in denies):
        return []
    return [g for g in allows if acts(g, action) and on(g, resource)]


def roles_of(analysis) -> list[str]:
    return list(analysis.evaluation.resources("AWS::IAM::Role"))


PAIRS = [(name, mode) for name in ("stable.yaml", "stable-app.yaml") for mode in MODES]


@pytest.mark.parametrize("name,mode", PAIRS)
def test_every_role_the_stack_creates_carries_a_boundary_on_its_own_path(name, mode):
    analysis = hardened(name, mode)
    for role in roles_of(analysis):
        boundary = analysis.evaluation.resource(role)["Properties"].get("PermissionsBoundary")
        assert boundary and boundary.startswith(f"arn:aws:iam::{ACCOUNT}:policy/quilt-boundary/quilt/us-east-1/"), role
        assert [g for g in analysis.grants if g.kind == BOUNDARY and g.principal == role], role


def test_at_the_defaults_no_role_has_a_boundary(any_vendor):
    _template, hardening, values = any_vendor
    found = analyse(hardening.template, values)
    assert not [g for g in found.grants if g.kind == BOUNDARY]
    assert not any(r.get("Properties", {}).get("PermissionsBoundary")
                   for r in found.evaluation.resources("AWS::IAM::Role").values())


@pytest.mark.parametrize("name,mode", PAIRS + [("stable-iam.yaml", "Automatic")])
def test_no_role_reaches_iam_administration_whatever_its_run_time_policies_say(name, mode):
    analysis = hardened(name, mode)
    found = analysis.grants
    boundaries = [analysis.evaluation.resource(r)["Properties"].get("PermissionsBoundary") for r in roles_of(analysis)]
    stack_roles = [f"arn:aws:iam::{ACCOUNT}:role/quilt-{r}-ABCDEFGHIJ" for r in roles_of(analysis)]
    for role in roles_of(analysis):
        for action in IAM_WRITES:
            targets = [*OUTSIDE.values(), *(b for b in boundaries if b)]
            if action.lower() != "iam:passrole":
                targets += stack_roles  # writing a policy on, or the trust of, a role of the stack is administration too
            reached = [(t, reaches(found, role, action, t)) for t in targets]
            assert not [t for t, by in reached if by], f"{role} may {action} on {[t for t, by in reached if by]}"


@pytest.mark.parametrize("name,mode", PAIRS)
def test_policy_writes_stay_on_the_stacks_own_policies(name, mode):
    """Where a role may still write IAM policies (Automatic mode, the approver), only the stack's."""
    analysis = hardened(name, mode)
    own = {analysis.evaluation.ref_token(p) for p in analysis.evaluation.resources("AWS::IAM::ManagedPolicy")}
    own |= {v for k, v in VENDOR_FILES[name].items() if k.endswith("Policy")}  # the split pair's IAM part
    for role in roles_of(analysis):
        allows, denies = cap(analysis.grants, role)
        for grant in allows:
            for action in ("iam:CreatePolicy", "iam:CreatePolicyVersion", "iam:SetDefaultPolicyVersion",
                           "iam:DeletePolicy", "iam:DeletePolicyVersion"):
                if not acts(grant, action):
                    continue
                for resource in grant.resources:
                    if any(acts(d, action) and on(d, resource) for d in denies):
                        continue
                    assert resource.startswith(STACK_PATH) or resource in own, (role, action, resource)


@pytest.mark.parametrize("name,mode", PAIRS + [("stable-iam.yaml", "Automatic")])
def test_no_role_assumes_or_passes_a_role_outside_the_stack(name, mode):
    analysis = hardened(name, mode)
    for role in roles_of(analysis):
        for action in ("sts:AssumeRole", "iam:PassRole"):
            for target in (OUTSIDE["role"], OUTSIDE["other account"], f"arn:aws:iam::{ACCOUNT}:role/service-role/x"):
                assert not reaches(analysis.grants, role, action, target), (role, action, target)
        allows, denies = cap(analysis.grants, role)
        assumed = {r for g in allows if acts(g, "sts:AssumeRole") for r in g.resources
                   if not any(acts(d, "sts:AssumeRole") and on(d, r) for d in denies)}
        for resource in assumed:
            assert resource.startswith(f"arn:aws:iam::{ACCOUNT}:role/") and "quilt" in resource, (role, resource)


@pytest.mark.parametrize("mode", MODES)
def test_no_role_stops_or_changes_the_stacks_trail_or_schedules_the_keys_deletion(mode):
    analysis = hardened("stable.yaml", mode)
    assert "QuiltTrail" in analysis.evaluation.resources("AWS::CloudTrail::Trail")
    key = f"arn:aws:kms:us-east-1:{ACCOUNT}:key/{KEY}"
    for role in roles_of(analysis):
        for action in ("cloudtrail:StopLogging", "cloudtrail:DeleteTrail", "cloudtrail:UpdateTrail"):
            for trail in ("${QuiltTrail.Arn}", "${QuiltTrail}", f"arn:aws:cloudtrail:us-east-1:{ACCOUNT}:trail/any"):
                assert not reaches(analysis.grants, role, action, trail), (role, action)
        assert not reaches(analysis.grants, role, "kms:ScheduleKeyDeletion", key), role


@pytest.mark.parametrize("mode", MODES)
def test_what_the_audit_found_the_task_role_could_grant_itself_takes_no_effect(mode):
    """The ECS task role may version the policies attached to it (Automatic mode): a version that
    grants these takes no effect, and neither does any other route to them."""
    analysis = hardened("stable.yaml", mode)
    for action, resource in (("sts:AssumeRole", "*"), ("lambda:UpdateFunctionCode", "${SearchHandler.Arn}"),
                             ("lambda:UpdateFunctionCode", f"arn:aws:lambda:us-east-1:{ACCOUNT}:function:any"),
                             ("ssm:SendCommand", f"arn:aws:ec2:us-east-1:{ACCOUNT}:instance/i-0123456789abcdef0"),
                             ("cloudtrail:StopLogging", "${QuiltTrail.Arn}"),
                             ("kms:ScheduleKeyDeletion", f"arn:aws:kms:us-east-1:{ACCOUNT}:key/{KEY}")):
        assert not reaches(analysis.grants, "AmazonECSTaskExecutionRole", action, resource), (action, resource)


@pytest.mark.parametrize("name,mode", PAIRS + [("stable-iam.yaml", "Automatic")])
def test_no_critical_finding_is_left(name, mode):
    analysis = hardened(name, mode)
    found = evaluate_findings(analysis.evaluation, list(analysis.grants), list(analysis.rules))
    assert [(f.rule_id, f.subject) for f in found if f.severity == "critical"] == []


def test_the_vendors_task_role_rewriting_itself_was_critical_before():
    hardening = vendor_file("stable.yaml")
    analysis = analyse(hardening.template, VENDOR_FILES["stable.yaml"])
    found = evaluate_findings(analysis.evaluation, list(analysis.grants), list(analysis.rules))
    assert ("QW-ESC-002", "AmazonECSTaskExecutionRole") in {(f.rule_id, f.subject) for f in found
                                                            if f.severity == "critical"}
    capped = hardened("stable.yaml", "Automatic")
    after = evaluate_findings(capped.evaluation, list(capped.grants), list(capped.rules))
    (rewrite,) = [f for f in after if f.rule_id == "QW-ESC-007" and f.subject == "AmazonECSTaskExecutionRole"]
    assert rewrite.severity == "medium" and f"s3:* on {PREFIX_BUCKETS[0]}" in rewrite.message


# --- a run-time version, simulated -------------------------------------------------------------

def with_run_time_version(hardening, policy: str, statements: list) -> object:
    """The hardened template as it stands once the application has written a new default version
    of ``policy`` holding ``statements``."""
    from wizard.cfn.template import parse_template
    from wizard.overlay.apply import dump_template, plain

    body = plain(hardening.template.body)
    body["Resources"][policy]["Properties"]["PolicyDocument"] = {"Version": "2012-10-17", "Statement": statements}
    return parse_template(dump_template(body), "versioned.yaml")


ANYTHING = [{"Effect": "Allow", "Action": ["sts:AssumeRole", "lambda:UpdateFunctionCode", "ssm:SendCommand",
                                           "cloudtrail:StopLogging", "kms:ScheduleKeyDeletion", "iam:*"],
             "Resource": "*"}]


def test_a_version_granting_anything_is_capped_and_a_connected_bucket_still_works():
    from wizard.findings.context import RuleContext, Target

    hardening = vendor_file("stable.yaml")
    values = hardened_values(hardening.template, VENDOR_FILES["stable.yaml"], "Automatic")
    template = with_run_time_version(hardening, "BucketReadPolicy", ANYTHING + [
        {"Effect": "Allow", "Action": ["s3:GetObject", "s3:ListBucket"],
         "Resource": [f"arn:aws:s3:::{PREFIX}data", f"arn:aws:s3:::{PREFIX}data/*"]}])
    analysis = analyse(template, values)
    ctx = RuleContext(analysis.evaluation, list(analysis.grants), list(analysis.rules))
    for action in ANYTHING[0]["Action"][:-1] + ["iam:CreatePolicyVersion", "iam:AttachRolePolicy", "iam:PassRole"]:
        for role in ("AmazonECSTaskExecutionRole", "T4BucketReadRole", "ManagedUserRole"):
            assert not ctx.can(role, action, Target(frozenset(), OUTSIDE["role"])), (role, action)
            assert not ctx.can(role, action, Target(frozenset(), "*")), (role, action)
    bucket = Target(frozenset(), f"arn:aws:s3:::{PREFIX}data/report.csv")
    assert ctx.can("T4BucketReadRole", "s3:GetObject", bucket) and ctx.can("AmazonECSTaskExecutionRole", "s3:GetObject", bucket)
    assert not ctx.can("T4BucketReadRole", "s3:GetObject", Target(frozenset(), "arn:aws:s3:::payroll/report.csv"))
    found = evaluate_findings(analysis.evaluation, list(analysis.grants), list(analysis.rules))
    assert [f.rule_id for f in found if f.severity == "critical"] == []


def test_without_a_prefix_a_connected_bucket_may_be_any_bucket():
    from wizard.findings.context import RuleContext, Target

    hardening = vendor_file("stable.yaml")
    values = hardened_values(hardening.template, VENDOR_FILES["stable.yaml"], "Automatic", CustomerBucketPrefix="")
    template = with_run_time_version(hardening, "BucketReadPolicy", [
        {"Effect": "Allow", "Action": "s3:GetObject", "Resource": "arn:aws:s3:::research-data/*"}])
    analysis = analyse(template, values)
    ctx = RuleContext(analysis.evaluation, list(analysis.grants), list(analysis.rules))
    assert ctx.can("T4BucketReadRole", "s3:GetObject", Target(frozenset(), "arn:aws:s3:::research-data/a.csv"))


# --- the envelope: no more than the template grants the role ---------------------------------

def trusted_by(found, evaluation, role: str) -> set[str]:
    """The ARNs (as the boundary names them) of the stack's roles whose trust names ``role``."""
    arns = set()
    for grant in found:
        if grant.kind == TRUST and grant.principal == f"AWS:${{{role}.Arn}}" and grant.on:
            properties = evaluation.resource(grant.on[0])["Properties"]
            name = properties.get("RoleName") or f"quilt-{grant.on[0]}-*"
            arns.add(f"arn:aws:iam::{ACCOUNT}:role{properties.get('Path', '/')}{name}")
    return arns


def admitted(found, role: str):
    """(action, resource, statement) each boundary statement of ``role`` admits once the Denies
    that keep a split boundary exact are applied (an action on '*' then holds where they allow)."""
    allows, _denies = cap(found, role)
    limits = [g for g in found if g.kind == IDENTITY and g.principal == role and not g.is_allow
              and g.source.resource.startswith("QuiltBoundary") and g.not_resources]
    for grant in allows:
        assert not grant.not_actions and not grant.not_resources, grant
        for action in grant.actions:
            resources = grant.resources
            if resources == ("*",):
                kept = [d for d in limits if acts(d, action)]
                resources = kept[0].not_resources if kept else resources
            for resource in resources:
                yield action, resource, grant


def unread(found, evaluation, role: str) -> list[dict]:
    """The Allow statements of the stack's managed policies ``role`` names in its ManagedPolicyArns
    that the model does not read for it (the vendor's split template writes a statement, and a
    role's list of policies, as a bare list), as CloudFormation would resolve them."""
    named = str(evaluation.template.resources[role].get("Properties", {}).get("ManagedPolicyArns"))
    read = {g.source.resource for g in found if g.principal == role and g.kind == IDENTITY}
    statements = []
    for policy, resource in evaluation.resources("AWS::IAM::ManagedPolicy").items():
        if f"'{policy}'" in named and policy not in read:
            listed = resource["Properties"]["PolicyDocument"]["Statement"]
            statements += [s for s in (listed if isinstance(listed, list) else [listed])
                           if isinstance(s, dict) and s.get("Effect") == "Allow"]
    return statements


def granted(found, role: str, action: str, resource: str, evaluation=None) -> bool:
    for statement in unread(found, evaluation, role) if evaluation is not None else ():
        if action in [statement.get("Action")] + list(statement.get("Action") or []) and resource in (
                [statement.get("Resource")] + list(statement.get("Resource") or [])):
            return True
    for grant in found:
        if grant.kind != IDENTITY or grant.principal != role or not grant.is_allow or grant.grants_nothing \
                or grant.attachment:
            continue
        if any(pattern_covers(a, action) for a in grant.actions) and any(
                r == resource or pattern_covers(r, resource, case_sensitive=True) for r in grant.resources):
            return True
    return False


@pytest.mark.parametrize("name,mode", PAIRS)
def test_no_boundary_admits_more_than_the_template_grants_its_role(name, mode):
    analysis = hardened(name, mode)
    found, evaluation = analysis.grants, analysis.evaluation
    for role in roles_of(analysis):
        run_time = {"s3": set(PREFIX_BUCKETS) | set(CANARY_BUCKETS), "sts": {STACK_ROLE_PATH}}
        assume = trusted_by(found, evaluation, role)
        given = [g for g in found if g.kind == RESOURCE and g.principal == f"AWS:${{{role}.Arn}}" and g.is_allow]
        for action, resource, statement in admitted(found, role):
            if granted(found, role, action, resource, evaluation):
                continue
            service = action.split(":")[0]
            if resource in run_time.get(service, ()) and action in ("s3:*", "sts:AssumeRole"):
                continue  # what Quilt fills in at run time: the prefix's buckets, the roles on the stack's path
            if action == "sts:AssumeRole" and resource in assume:
                continue  # a role of the stack whose trust names this one
            if any(action in g.actions and (resource in g.resources or resource.endswith(":key/*")) for g in given):
                continue  # what the stack's key and bucket policies grant it
            raise AssertionError(f"{role}'s boundary admits {action} on {resource} ({statement.source}), which the "
                                 "template does not grant it")


@pytest.mark.parametrize("name,mode", PAIRS)
def test_every_boundary_admits_what_the_template_grants_its_role(name, mode):
    """Nothing Quilt does today is cut off: each identity Allow of a role is within its boundary."""
    from wizard.overlay.fitting import resource_service

    analysis = hardened(name, mode)
    resources = analysis.evaluation.template.body["Resources"]
    for role in roles_of(analysis):
        for grant in analysis.grants:
            if grant.kind != IDENTITY or grant.principal != role or not grant.is_allow or grant.grants_nothing \
                    or grant.attachment or grant.not_actions or grant.not_resources:
                continue
            for action in grant.actions:
                for resource in grant.resources:
                    service = resource_service(resources, resource)
                    if service is not None and action.split(":")[0].lower() not in (service, "*"):
                        continue  # an S3 action on a Glue ARN, say: it names nothing
                    concrete = resource.replace("*", "x")
                    assert reaches(analysis.grants, role, action, concrete) or \
                        any(acts(d, action) and on(d, concrete) for d in cap(analysis.grants, role)[1]), \
                        f"{role}'s boundary cuts off {action} on {resource} ({grant.source})"


@pytest.mark.parametrize("name,mode", PAIRS)
def test_every_boundary_admits_what_the_stacks_trusts_and_resource_policies_grant_its_role(name, mode):
    """With a boundary, a trust or a key policy naming a role's ARN no longer suffices on its own:
    the registry still assumes the bucket roles, and each role still uses the keys that name it."""
    analysis = hardened(name, mode)
    found, evaluation = analysis.grants, analysis.evaluation
    roles = set(roles_of(analysis))
    checked = 0
    for grant in found:
        caller = grant.principal.removeprefix("AWS:${").removesuffix(".Arn}")
        if not grant.is_allow or caller not in roles or grant.kind not in (TRUST, RESOURCE):
            continue
        if grant.kind == TRUST:
            properties = evaluation.resource(grant.on[0])["Properties"]
            targets = [f"arn:aws:iam::{ACCOUNT}:role{properties.get('Path', '/')}"
                       f"{properties.get('RoleName') or 'quilt-' + grant.on[0] + '-ABCDEFGHIJ'}"]
        else:
            targets = [r.replace("*", "x") for r in grant.resources if r != "*"] or [
                f"arn:aws:kms:us-east-1:{ACCOUNT}:key/0123abcd-0000-0000-0000-{t[-14:-2].lower():0>12}"
                for t in grant.on]
        for action in grant.actions:
            for target in targets:
                assert reaches(found, caller, action, target), f"{caller}'s boundary cuts off {action} on {target}"
                checked += 1
    assert checked >= 10
    assert reaches(found, "AmazonECSTaskExecutionRole", "sts:AssumeRole",
                   f"arn:aws:iam::{ACCOUNT}:role/quilt/quilt/us-east-1/custom-analysts"), "a custom role on the stack's path"


# --- guarded: the boundaries stay as deployed ----------------------------------------------------

@pytest.mark.parametrize("name,mode", PAIRS)
def test_the_guardrail_denies_changing_a_boundary_or_its_policy(name, mode):
    analysis = hardened(name, mode)
    found = analysis.grants
    policies = [analysis.evaluation.ref_token(p) for p in analysis.evaluation.resources("AWS::IAM::ManagedPolicy")
                if p.startswith("QuiltBoundary")]
    assert policies and all("/quilt-boundary/quilt/us-east-1/" in p for p in policies)
    guarded = {g.principal for g in found if g.source.resource == "QuiltGuardrailPolicy" and g.kind == IDENTITY}
    assert "AmazonECSTaskExecutionRole" in guarded
    for role in guarded:
        denies = [g for g in found if g.principal == role and g.kind == IDENTITY and not g.is_allow]
        for action in ("iam:CreatePolicyVersion", "iam:SetDefaultPolicyVersion", "iam:DeletePolicy",
                       "iam:DeletePolicyVersion"):
            for policy in policies:
                assert any(acts(d, action) and on(d, policy) for d in denies), (role, action, policy)
        for action in ("iam:PutRolePermissionsBoundary", "iam:DeleteRolePermissionsBoundary"):
            assert any(acts(d, action) and on(d, f"arn:aws:iam::{ACCOUNT}:role/quilt-{role}-X") for d in denies)


# --- IAM's size limit ----------------------------------------------------------------------------

LONG_STACK = "quilt-production-eu-central-1-a"  # 31 characters
WORKGROUPS = "primary,analytics-team,quilt-users,etl-jobs,reporting"


def physical(evaluation, token: str) -> str:
    """A CloudFormation-like value for a ``${Logical}`` or ``${Logical.Arn}`` token, at full length."""
    logical, _, attribute = token.partition(".")
    kind = evaluation.template.resources.get(logical, {}).get("Type", "")
    name = f"{LONG_STACK}-{logical}-ABCDEFGHIJKLM"
    if kind == "AWS::S3::Bucket":
        return f"arn:aws:s3:::{name.lower()[:63]}" if attribute else name.lower()[:63]
    arn = f"arn:aws:{kind.split('::')[1].lower() if kind else 'x'}:ap-southeast-2:{ACCOUNT}:resource/{name[:80]}"
    return arn if attribute or kind in ("AWS::SNS::Topic", "AWS::IAM::ManagedPolicy") else name[:80]


def characters(evaluation, document) -> int:
    text = json.dumps(document, separators=(",", ":"))
    text = re.sub(r"\$\{([A-Za-z0-9]+(?:\.[A-Za-z0-9]+)?)\}", lambda m: physical(evaluation, m.group(1)), text)
    return len(re.sub(r"\s", "", text))


@pytest.mark.parametrize("name", ["stable.yaml", "stable-app.yaml"])
@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("scope", ["prefix-and-workgroups", "no-prefix"])
def test_every_boundary_and_its_limits_fit_iams_limit(name, mode, scope):
    hardening = vendor_file(name)
    more = ({"CustomerBucketPrefix": "acme-research-data-lake-", "AllowedAthenaWorkgroups": WORKGROUPS}
            if scope == "prefix-and-workgroups" else {"CustomerBucketPrefix": ""})
    if mode == "PreCreated" and scope == "no-prefix":
        more = {"CustomerBucketPrefix": "acme-"}
    values = hardened_values(hardening.template, VENDOR_FILES[name], mode, **more)
    evaluation = analyse(hardening.template, values, Pseudo(LONG_STACK, "ap-southeast-2", ACCOUNT)).evaluation
    sizes = {logical: characters(evaluation, policy["Properties"]["PolicyDocument"])
             for logical, policy in evaluation.resources("AWS::IAM::ManagedPolicy").items()
             if logical.startswith("QuiltBoundary")}
    assert len(sizes) >= 20
    assert max(sizes.values()) <= 6144, {k: v for k, v in sizes.items() if v > 6144}


# --- cfn-lint (slow: one lint of the whole hardened template per case) ---------------------------

@pytest.mark.slow
@pytest.mark.parametrize("name,mode", [("stable.yaml", m) for m in MODES] + [("stable-app.yaml", "Automatic")])
def test_the_boundaries_add_no_cfn_lint_error(name, mode):
    from tests.unit.overlay.test_overlay_modes import _lint, _vendor_errors, _with_defaults

    hardening = vendor_file(name)
    values = hardened_values(hardening.template, {}, mode, EnableCloudWatchIntegration="true")
    new = _lint(_with_defaults(hardening, values)) - _vendor_errors(name)
    assert not new, "cfn-lint errors the overlay added:\n" + "\n".join(f"{i} {m}" for i, m in sorted(new))
