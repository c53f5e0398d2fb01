"""Concern 1 of the customer's review: policies that say ``NotResource: '*'`` and grant nothing.

A statement that grants nothing is a *placeholder* when something may fill it later: a
principal of the stack may rewrite the policy (a new version of a managed policy, or a new
inline policy on its holder), or the template simply ships it empty for the application to
fill. The branch of an ``Fn::If`` that a condition leaves as a no-op (for example
``bedrock:InvokeModel`` with ``NotResource: '*'`` when an optional feature is off) that no
principal of the stack can rewrite is neither: it grants nothing and nothing changes that,
so it is not reported.
"""

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
        writers = _rewriters(ctx, resource) or _inline_rewriters(ctx, first)
        if not writers and _is_condition_branch(ctx, first):
            continue
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
    return sorted(p for p in ctx.principals_naming("iam:CreatePolicyVersion")
                  if ctx.can(p, "iam:CreatePolicyVersion", target))


def _inline_rewriters(ctx: RuleContext, grant: Grant) -> list[str]:
    """Stack principals that may write an inline policy on the holder of an inline statement."""
    if grant.source.resource != grant.principal:
        return []
    holder = ctx.holders.get(grant.principal)
    if holder is None:
        return []
    action = {"role": "iam:PutRolePolicy", "user": "iam:PutUserPolicy", "group": "iam:PutGroupPolicy"}.get(holder.kind)
    return sorted(p for p in ctx.principals_naming(action) if ctx.can(p, action, holder.target)) if action else []


def _is_condition_branch(ctx: RuleContext, grant: Grant) -> bool:
    """Whether the statement, as written, is one branch of an ``Fn::If``."""
    resource = ctx.template.resources.get(grant.source.resource) or {}
    properties = resource.get("Properties") or {}
    document = properties.get("PolicyDocument")
    if document is None:
        for policy in properties.get("Policies") or []:
            if isinstance(policy, dict) and policy.get("PolicyName") == grant.source.policy:
                document = policy.get("PolicyDocument")
    statements = document.get("Statement") if isinstance(document, dict) else None
    index = grant.source.statement
    if not isinstance(statements, list) or index is None or not 0 <= index < len(statements):
        return False
    written = statements[index]
    return isinstance(written, dict) and "Fn::If" in written
