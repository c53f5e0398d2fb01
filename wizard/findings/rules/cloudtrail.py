"""Concern 4 of the review: a CloudTrail trail without KMS encryption or CloudWatch Logs, and
without the S3 object-level events CIS AWS Foundations 3.8 and 3.9 ask for.

A stack that creates no trail but takes an existing trail's bucket as a parameter (the Quilt
stack reads CloudTrail events for its access counts) gets an informational finding instead:
that trail's settings are outside the template and must be checked where it is defined.
"""

from __future__ import annotations

from wizard.findings.context import RuleContext
from wizard.findings.model import Hit
from wizard.findings.rules import detector
from wizard.iam.posture import s3_data_events


def _trails(ctx: RuleContext):
    for logical_id, resource in ctx.evaluation.resources("AWS::CloudTrail::Trail").items():
        yield logical_id, resource.get("Properties") or {}


def _unset(value: object) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


def _hit(ctx: RuleContext, logical_id: str, message: str, *facts: tuple[str, str]) -> Hit:
    line = ctx.line(logical_id)
    return Hit(subject=logical_id, message=message + (f" (line {line})" if line else ""), resources=(logical_id,),
               lines=(line,) if line else (), facts=facts)


@detector("QW-LOG-001")
def trail_without_kms(ctx: RuleContext):
    for logical_id, properties in _trails(ctx):
        if _unset(properties.get("KMSKeyId")):
            yield _hit(ctx, logical_id, f"Trail {logical_id} has no KMSKeyId: its log files are encrypted only "
                                        f"with S3-managed keys, readable by anyone who can read the bucket.")


@detector("QW-LOG-002")
def trail_without_cloudwatch(ctx: RuleContext):
    for logical_id, properties in _trails(ctx):
        if _unset(properties.get("CloudWatchLogsLogGroupArn")):
            yield _hit(ctx, logical_id, f"Trail {logical_id} has no CloudWatchLogsLogGroupArn: its events reach "
                                        f"only the S3 bucket, where no metric filter or alarm can watch them.")


@detector("QW-LOG-003")
def trail_without_validation(ctx: RuleContext):
    for logical_id, properties in _trails(ctx):
        if str(properties.get("EnableLogFileValidation", "false")).lower() != "true":
            yield _hit(ctx, logical_id, f"Trail {logical_id} does not enable log file validation: a changed or "
                                        f"deleted log file cannot be detected.")


@detector("QW-LOG-006")
def single_region_trail(ctx: RuleContext):
    for logical_id, properties in _trails(ctx):
        if str(properties.get("IsMultiRegionTrail", "false")).lower() != "true":
            yield _hit(ctx, logical_id, f"Trail {logical_id} records only the region it is created in "
                                        f"({ctx.pseudo.region}): global IAM, STS and CloudFront events, which AWS "
                                        f"delivers in us-east-1, and activity in other regions are missed.")


@detector("QW-LOG-010")
def trail_without_s3_data_events(ctx: RuleContext):
    for logical_id, properties in _trails(ctx):
        if not s3_data_events(properties):
            yield _hit(ctx, logical_id, f"Trail {logical_id} records no S3 object-level (data) events: who read, "
                                        f"wrote or deleted an object in the buckets Quilt connects is not recorded")


def trail_log_groups(ctx: RuleContext) -> list[tuple[str, str]]:
    """(trail, log group) for each log group of the template a trail delivers its events to."""
    groups = list(ctx.evaluation.resources("AWS::Logs::LogGroup"))
    found = []
    for logical_id, properties in _trails(ctx):
        arn = str(properties.get("CloudWatchLogsLogGroupArn") or "")
        found += [(logical_id, g) for g in groups if arn and _names_whole(arn, g)]
    return found


_WORD = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789")


def _names_whole(text: str, name: str) -> bool:
    """Whether ``name`` appears in ``text`` with no letter or digit right before or after it
    (a plain search: a template has dozens of log groups, each its own pattern otherwise)."""
    start = text.find(name)
    while start >= 0:
        end = start + len(name)
        if (start == 0 or text[start - 1] not in _WORD) and (end == len(text) or text[end] not in _WORD):
            return True
        start = text.find(name, start + 1)
    return False


@detector("QW-LOG-011")
def trail_log_group_without_kms(ctx: RuleContext):
    resources = ctx.evaluation.resources("AWS::Logs::LogGroup")
    for trail, group in trail_log_groups(ctx):
        if _unset((resources[group].get("Properties") or {}).get("KmsKeyId")):
            line = ctx.line(group)
            yield Hit(subject=group, message=f"Log group {group}, where trail {trail} delivers its events, has no "
                                             f"KmsKeyId: the audit events there are encrypted only with a key "
                                             f"CloudWatch Logs manages" + (f" (line {line})" if line else ""),
                      resources=(group, trail), lines=(line,) if line else ())


#: CIS AWS Foundations v3.0.0 section 4: an event name (or field) each recommendation's metric
#: filter must mention. A filter that names it, with an alarm on its metric that notifies
#: someone, satisfies the recommendation.
CIS_MONITORING = {
    "4.1": "UnauthorizedOperation", "4.2": "MFAUsed", "4.3": "Root", "4.4": "PutRolePolicy",
    "4.5": "StopLogging", "4.6": "Failed authentication", "4.7": "ScheduleKeyDeletion",
    "4.8": "PutBucketPolicy", "4.9": "StopConfigurationRecorder", "4.10": "AuthorizeSecurityGroupIngress",
    "4.11": "CreateNetworkAclEntry", "4.12": "CreateInternetGateway", "4.13": "CreateRoute",
    "4.14": "CreateVpc", "4.15": "organizations.amazonaws.com",
}


def alarmed_filters(ctx: RuleContext) -> dict[str, tuple[str, int | None]]:
    """CIS id -> (metric filter, its line) for each filter that has an alarm with an action."""
    ev = ctx.evaluation
    alarmed = set()
    for resource in ev.resources("AWS::CloudWatch::Alarm").values():
        properties = resource.get("Properties") or {}
        if properties.get("AlarmActions"):
            alarmed.add((str(properties.get("Namespace")), str(properties.get("MetricName"))))
    found: dict[str, tuple[str, int | None]] = {}
    for logical_id, resource in ev.resources("AWS::Logs::MetricFilter").items():
        properties = resource.get("Properties") or {}
        pattern = str(properties.get("FilterPattern", ""))
        metrics = {(str(m.get("MetricNamespace")), str(m.get("MetricName")))
                   for m in properties.get("MetricTransformations") or [] if isinstance(m, dict)}
        if not metrics & alarmed:
            continue
        for cis, marker in CIS_MONITORING.items():
            if marker in pattern:
                found.setdefault(cis, (logical_id, ctx.line(logical_id, "Properties", "FilterPattern")))
    return found


@detector("QW-LOG-008")
def cloudwatch_without_cis_alarms(ctx: RuleContext):
    watched = [logical_id for logical_id, properties in _trails(ctx)
               if not _unset(properties.get("CloudWatchLogsLogGroupArn"))]
    if not watched:
        return
    present = alarmed_filters(ctx)
    missing = [cis for cis in CIS_MONITORING if cis not in present]
    if missing:
        yield _hit(ctx, watched[0], f"Trail {watched[0]} delivers to CloudWatch Logs, but the stack defines no "
                                    f"metric filter with an alarm for CIS {', '.join(missing)} "
                                    f"({len(missing)} of {len(CIS_MONITORING)})")


@detector("QW-LOG-004")
def existing_trail(ctx: RuleContext):
    if any(True for _ in _trails(ctx)):
        return
    shown = ctx.evaluation.parameters.display()
    for name, spec in ctx.template.parameters.items():
        if "cloudtrail" in name.lower():
            value = shown.get(name) or "(empty)"
            yield Hit(subject=name,
                      message=f"The stack creates no CloudTrail trail; it reads the trail delivering to "
                              f"{name} = {value} (line {spec.line}), whose encryption and CloudWatch Logs "
                              f"settings this template does not set.",
                      resources=(name,), lines=(spec.line,) if spec.line else (), facts=(("parameter", name),))
