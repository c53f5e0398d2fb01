"""Concern 4 of the review: a CloudTrail trail without KMS encryption or CloudWatch Logs.

A stack that creates no trail but takes an existing trail's bucket as a parameter (the Quilt
stack reads CloudTrail events for its access counts) gets an informational finding instead:
that trail's settings are outside the template and must be checked where it is defined.
"""

from __future__ import annotations

from wizard.findings.context import RuleContext
from wizard.findings.model import Hit
from wizard.findings.rules import detector


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
