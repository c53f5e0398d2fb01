"""Concern 1 of the customer's review: policies that say ``NotResource: '*'`` and grant nothing."""

from __future__ import annotations

from wizard.findings.context import RuleContext
from wizard.findings.model import Hit
from wizard.findings.rules import detector
from wizard.findings.rules.common import grant_lines_of, resources_of, short
from wizard.iam.grants import IDENTITY, Grant


def _is_placeholder(grant: Grant) -> bool:
    return (grant.kind == IDENTITY and grant.is_allow and grant.grants_nothing and not grant.attachment
            and ("*" in grant.not_resources or "*" in grant.not_actions))


@detector("QW-IAM-001")
def placeholder_policies(ctx: RuleContext):
    groups: dict[tuple, list[Grant]] = {}
    for grant in ctx.grants:
        if _is_placeholder(grant):
            key = (grant.source.resource, grant.source.policy, grant.source.statement)
            groups.setdefault(key, []).append(grant)
    for (resource, policy, statement), members in groups.items():
        first = members[0]
        holders = sorted({g.principal for g in members})
        acts = short(first.actions or first.not_actions)
        message = (f"{resource} statement {statement} allows {acts} on everything except '*', so it "
                   f"grants nothing as deployed; attached to {len(holders)} principal(s): {short(holders, 6)}.")
        writers = _rewriters(ctx, resource)
        if writers:
            message += f" It can be rewritten at run time by {short(writers)} (iam:CreatePolicyVersion)."
        yield Hit(subject=resource if policy in (None, resource) else f"{resource}/{policy}",
                  message=message, grants=tuple(members),
                  resources=resources_of(members), lines=grant_lines_of(members))


def _rewriters(ctx: RuleContext, resource: str) -> list[str]:
    """Stack principals that may create a new default version of stack policy ``resource``."""
    arn = next((a for a, logical in ctx.stack_policies.items() if logical == resource), None)
    if arn is None:
        return []
    target = ctx.policy_ref(arn, None).target
    return sorted(p for p in ctx.allows if ctx.can(p, "iam:CreatePolicyVersion", target))
