"""The promised trail and key are guarded, on the vendor's real template hardened by the overlay.

With enhanced security and a KMS key, no role of the stack may stop, delete or change the
stack's trail, nor schedule the deletion of, disable or re-policy the key: read from the grants
as AWS evaluates them (the Allows a role holds, minus its unconditional Denies), and for every
role whose policies can be rewritten at run time, as if the rewrite had granted it everything.
The trail's log group is encrypted with the key, and S3 data events are recorded when asked.
"""

from __future__ import annotations

import dataclasses

import pytest

from tests.unit.overlay.helpers import grants
from wizard.findings.context import RuleContext, Target, allows_action, reaches
from wizard.findings.paths import REWRITE, StackPaths
from wizard.iam.analysis import analyse
from wizard.overlay.edits import EditContext, add_statements

ACCOUNT = "123456789012"
KEY_ID = "1234abcd-12ab-34cd-56ef-1234567890ab"
KEY_ARN = f"arn:aws:kms:us-east-1:{ACCOUNT}:key/{KEY_ID}"
TRAIL_TAMPERING = ("cloudtrail:StopLogging", "cloudtrail:DeleteTrail", "cloudtrail:UpdateTrail",
                   "cloudtrail:PutEventSelectors")
KEY_TAMPERING = ("kms:ScheduleKeyDeletion", "kms:DisableKey", "kms:PutKeyPolicy")
LOG_TAMPERING = ("s3:DeleteObject", "s3:PutObject", "s3:PutBucketPolicy", "s3:PutLifecycleConfiguration")
ENHANCED = {"EnableEnhancedSecurity": "true", "CustomerBucketPrefix": "acme-", "EnableCloudWatchIntegration": "true"}


def _context(hardening, values: dict) -> RuleContext:
    analysis = analyse(hardening.template, values)
    return RuleContext(analysis.evaluation, list(analysis.grants), list(analysis.rules))


def _denied(ctx: RuleContext, role: str, action: str, target: Target) -> bool:
    return any(not d.condition_json and allows_action(d, action) and reaches(d, target)
               for d in ctx.denies.get(role, ()))


def _as_if_granted_everything(ctx: RuleContext, role: str, action: str, target: Target) -> bool:
    """Whether ``role`` could do ``action`` on ``target`` had a rewrite of its policies granted
    every action on every resource: the worst a run-time policy can become."""
    anything = dataclasses.replace(ctx.allows[role][0], actions=("*",), not_actions=(), resources=("*",),
                                   not_resources=(), condition_json="")
    return allows_action(anything, action) and reaches(anything, target) and not _denied(ctx, role, action, target)


def _targets(ctx: RuleContext, key: str):
    trail = ctx.resource_target("QuiltTrail", "cloudtrail", "trail/", "TrailName")
    bucket = ctx.evaluation.parameters.raw["CloudTrailBucket"]
    return {"trail": (trail, TRAIL_TAMPERING),
            "key": (Target(frozenset(), key), KEY_TAMPERING),
            "logs": (Target(frozenset(), f"arn:aws:s3:::{bucket}/AWSLogs/{ACCOUNT}/CloudTrail/x.json.gz"),
                     LOG_TAMPERING),
            "log bucket": (Target(frozenset(), f"arn:aws:s3:::{bucket}"), ("s3:PutBucketPolicy", "s3:DeleteBucket"))}


@pytest.mark.parametrize("mode", ["Automatic", "ManualApproval", "PreCreated"])
@pytest.mark.parametrize("given, key", [(KEY_ARN, KEY_ARN), (KEY_ID, KEY_ARN),
                                        ("alias/audit", f"arn:aws:kms:us-east-1:{ACCOUNT}:key/{KEY_ID}")])
def test_no_role_can_stop_the_trail_or_destroy_its_key(vendor, mode, given, key):
    _template, hardening, values = vendor
    ctx = _context(hardening, {**values, **ENHANCED, "KMSKeyId": given, "PolicyCreationMode": mode})
    targets = _targets(ctx, key)
    roles = [name for name, holder in ctx.holders.items() if holder.kind == "role"]
    rewritable = {e.target for e in StackPaths(ctx).edges if e.kind == REWRITE}
    assert rewritable or mode == "PreCreated"
    for role in roles:
        for what, (target, actions) in targets.items():
            for action in actions:
                assert not ctx.can(role, action, target), (role, action, what)
                if role in rewritable:
                    assert not _as_if_granted_everything(ctx, role, action, target), (role, action, what)


def test_without_enhanced_security_a_rewritten_policy_could_stop_the_trail(vendor):
    """What the guard prevents: the same roles, without the guardrail, are stopped by nothing."""
    _template, hardening, values = vendor
    ctx = _context(hardening, {**values, **ENHANCED, "EnableEnhancedSecurity": "false", "KMSKeyId": KEY_ARN})
    trail, _actions = _targets(ctx, KEY_ARN)["trail"]
    rewritable = {e.target for e in StackPaths(ctx).edges if e.kind == REWRITE}
    assert rewritable
    assert all(_as_if_granted_everything(ctx, role, "cloudtrail:StopLogging", trail) for role in rewritable)


def test_the_key_deny_names_the_key_in_each_form(vendor):
    _template, hardening, values = vendor

    def key_denies(given: str) -> set[tuple[str, ...]]:
        found = grants(hardening.template, {**values, **ENHANCED, "KMSKeyId": given})
        return {g.resources for g in found
                if g.kind == "identity" and g.effect == "Deny" and allows_action(g, "kms:ScheduleKeyDeletion")}

    assert key_denies(KEY_ARN) == {(KEY_ARN,)}
    assert key_denies(KEY_ID) == {(KEY_ARN,)}
    assert key_denies("mrk-" + "0" * 32) == {(f"arn:aws:kms:us-east-1:{ACCOUNT}:key/mrk-{'0' * 32}",)}
    every_key = {(f"arn:aws:kms:us-east-1:{ACCOUNT}:key/*",)}
    assert key_denies("alias/audit") == every_key
    assert key_denies(f"arn:aws:kms:us-east-1:{ACCOUNT}:alias/audit") == every_key
    assert key_denies("") == set()


def test_the_trail_log_group_is_encrypted_with_the_key(vendor):
    _template, hardening, values = vendor

    def group_key(given: str):
        evaluation = analyse(hardening.template, {**values, **ENHANCED, "KMSKeyId": given}).evaluation
        return (evaluation.resource("TrailLogGroup") or {}).get("Properties", {}).get("KmsKeyId")

    assert group_key(KEY_ARN) == KEY_ARN
    assert group_key(KEY_ID) == KEY_ARN, "CloudWatch Logs takes a key ARN: an id is made one"
    assert group_key("alias/audit") is None, "CloudWatch Logs takes no alias"
    assert group_key("") is None


def test_the_key_policy_statements_admit_cloudwatch_logs_when_the_group_is_encrypted(vendor):
    from wizard.findings.connection import key_policies

    _template, hardening, values = vendor

    def policies(cloudwatch: str) -> dict:
        chosen = {**values, **ENHANCED, "KMSKeyId": KEY_ARN, "EnableCloudWatchIntegration": cloudwatch}
        return key_policies(analyse(hardening.template, chosen).evaluation)[2]

    assert "CloudWatch Logs" not in policies("false"), "no log group of the stack's is encrypted"
    [logs] = policies("true")["CloudWatch Logs"]
    assert logs["Principal"] == {"Service": "logs.us-east-1.amazonaws.com"}
    assert "kms:GenerateDataKey*" in logs["Action"] and "kms:Decrypt*" in logs["Action"]
    assert logs["Condition"] == {"ArnLike": {"kms:EncryptionContext:aws:logs:arn":
                                             f"arn:aws:logs:us-east-1:{ACCOUNT}:log-group:*"}}


def test_s3_data_events_are_recorded_for_the_prefix_buckets_when_asked(vendor):
    _template, hardening, values = vendor

    def selectors(**chosen):
        evaluation = analyse(hardening.template, {**values, **chosen}).evaluation
        trail = evaluation.resource("QuiltTrail")
        return None if trail is None else trail["Properties"].get("AdvancedEventSelectors")

    assert selectors() is None, "the vendor's template creates no trail"
    assert selectors(KMSKeyId=KEY_ARN) is None, "management events only unless asked"
    recorded = selectors(RecordS3DataEvents="true", CustomerBucketPrefix="acme-")
    management, data = recorded
    assert management["FieldSelectors"] == [{"Field": "eventCategory", "Equals": ["Management"]}]
    assert data["FieldSelectors"] == [{"Field": "eventCategory", "Equals": ["Data"]},
                                      {"Field": "resources.type", "Equals": ["AWS::S3::Object"]},
                                      {"Field": "resources.ARN", "StartsWith": ["arn:aws:s3:::acme-"]}]
    every_bucket = selectors(RecordS3DataEvents="true")
    assert every_bucket[1]["FieldSelectors"] == data["FieldSelectors"][:2], "no prefix: every bucket"


def test_a_guard_for_a_policy_the_template_lacks_is_a_note_not_an_error():
    body = {"Resources": {"Topic": {"Type": "AWS::SNS::Topic"}}}
    ctx = EditContext(body, [], "t.yaml")
    edit = {"op": "add-statements", "condition": "C", "to": "QuiltGuardrailPolicy",
            "statements": [{"Effect": "Deny", "Action": "x:Y", "Resource": "*"}], "says": "guards the trail"}
    add_statements(ctx, edit)
    assert body == {"Resources": {"Topic": {"Type": "AWS::SNS::Topic"}}}
    assert ctx.skipped == ["the template has no QuiltGuardrailPolicy (the rule that adds it did not apply): "
                           "not added: guards the trail"]
    body["Resources"]["QuiltGuardrailPolicy"] = {"Type": "AWS::IAM::ManagedPolicy",
                                                 "Properties": {"PolicyDocument": {"Statement": []}}}
    add_statements(ctx, edit)
    assert body["Resources"]["QuiltGuardrailPolicy"]["Properties"]["PolicyDocument"]["Statement"] == [
        {"Fn::If": ["C", {"Effect": "Deny", "Action": "x:Y", "Resource": "*"}, {"Ref": "AWS::NoValue"}]}]
