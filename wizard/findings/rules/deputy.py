"""Service principals without a source condition (the cross-service confused deputy).

When a resource, key or trust policy lets an AWS service principal act, any customer of that
service can ask it to act on this account's resource unless the statement also names the
source: ``aws:SourceAccount``, ``aws:SourceArn`` (or ``aws:SourceOrgID``/``aws:SourceOwner``).
One finding per service principal and kind of policy, listing every statement.
"""

from __future__ import annotations

from wizard.findings.context import RuleContext
from wizard.findings.model import Hit
from wizard.findings.rules import detector
from wizard.findings.rules.common import grant_lines_of, place, resources_of, short
from wizard.iam.grants import RESOURCE, TRUST, Grant

SOURCE_KEYS = ("aws:sourceaccount", "aws:sourcearn", "aws:sourceorgid", "aws:sourceorgpaths", "aws:sourceowner")


def has_source_condition(grant: Grant) -> bool:
    """Whether a statement names the source account, ARN or organisation of the calling service."""
    text = grant.condition_json.lower()
    return any(f'"{key}"' in text for key in SOURCE_KEYS)


def _kind(ctx: RuleContext, grant: Grant) -> str:
    if grant.kind == TRUST:
        return "trust"
    resource = ctx.evaluation.resource(grant.source.resource) or {}
    return "key" if resource.get("Type") == "AWS::KMS::Key" else "resource"


@detector("QW-IAM-201")
def service_without_source(ctx: RuleContext):
    groups: dict[tuple[str, str], dict[tuple, Grant]] = {}
    for grant in ctx.grants:
        if grant.kind not in (RESOURCE, TRUST) or not grant.is_allow or grant.grants_nothing:
            continue
        if not grant.principal.startswith("Service:") or has_source_condition(grant):
            continue
        key = (grant.source.resource, grant.source.policy, grant.source.statement)
        groups.setdefault((grant.principal[len("Service:"):], _kind(ctx, grant)), {}).setdefault(key, grant)
    for (service, kind), found in sorted(groups.items()):
        grants = tuple(found.values())
        places = [place(g) for g in grants]
        yield Hit(subject=f"{service} ({kind} policies)",
                  message=f"{len(grants)} {kind}-policy statement(s) let {service} act without aws:SourceAccount or "
                          f"aws:SourceArn: {short(places, 5)}.",
                  grants=grants, resources=resources_of(grants), lines=grant_lines_of(grants))
