"""Instances that still answer IMDSv1: credentials one forged request away.

Instance metadata version 1 answers a plain GET, so a server-side request forgery in any
process on the instance hands out the instance role's credentials. A launch template should
set ``MetadataOptions.HttpTokens: required`` (IMDSv2 only).
"""

from __future__ import annotations

from wizard.findings.context import RuleContext
from wizard.findings.model import Hit
from wizard.findings.rules import detector


@detector("QW-NET-009")
def imds_v1_allowed(ctx: RuleContext):
    for logical_id, resource in ctx.evaluation.resources("AWS::EC2::LaunchTemplate").items():
        data = (resource.get("Properties") or {}).get("LaunchTemplateData") or {}
        options = data.get("MetadataOptions") or {}
        if str(options.get("HttpTokens", "optional")).lower() == "required":
            continue
        if str(options.get("HttpEndpoint", "enabled")).lower() == "disabled":
            continue
        line = ctx.line(logical_id, "Properties", "LaunchTemplateData")
        yield Hit(subject=logical_id,
                  message=f"Launch template {logical_id} does not set MetadataOptions.HttpTokens to required"
                          + (f" (line {line})" if line else "")
                          + ": its instances answer IMDSv1, whose credentials a forged request can read.",
                  resources=(logical_id,), lines=(line,) if line else ())
