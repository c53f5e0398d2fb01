"""Actions given a resource they do not accept: statements that look scoped but never apply.

``sns:Unsubscribe`` on a topic ARN, ``s3:GetObject`` on a bucket ARN: IAM matches a request
only against the resource types the action defines (``wizard.resource_types``), so such an
action is allowed (or denied) by none of the statement's resources. An Allow then fails at
run time; a Deny silently protects nothing. A resource of the template named by ``Ref`` or
``Fn::GetAtt`` is judged by the ARN its type gives (``!Ref Topic`` is a topic's ARN,
``${Bucket.Arn}/*`` its objects'); a value of unknown shape (a parameter, an import) never is.

A permissions boundary that repeats a statement of its holder's own policies (the hardening's
boundaries copy what the template grants) repeats its mismatch too: that is one mistake, reported
where it was made, not once more for the boundary.
"""

from __future__ import annotations

from wizard.findings.context import RuleContext
from wizard.findings.model import Hit
from wizard.findings.rules import detector
from wizard.findings.rules.common import grant_lines_of, place, resources_of, short
from wizard.iam.grants import BOUNDARY, Grant
from wizard.iam.resource_returns import pattern
from wizard.iam.resource_types import kinds


@detector("QW-IAM-110")
def action_resource_mismatch(ctx: RuleContext):
    types = {logical_id: str(raw.get("Type")) for logical_id, raw in ctx.template.resources.items()}
    groups: dict[tuple, list[Grant]] = {}
    held: dict[str, set[tuple[str, str, str]]] = {}
    for grant in ctx.grants:
        if grant.resource_mismatches and grant.kind != BOUNDARY:
            held.setdefault(grant.principal, set()).update(
                (grant.effect, *pair) for pair in grant.resource_mismatches)
    for grant in ctx.grants:
        if not grant.resource_mismatches:
            continue
        if grant.kind == BOUNDARY and {(grant.effect, *pair) for pair in grant.resource_mismatches} <= held.get(
                grant.principal, set()):
            continue
        groups.setdefault((grant.source.resource, grant.source.policy, grant.source.statement), []).append(grant)
    for members in groups.values():
        first = members[0]
        actions = list(dict.fromkeys(action for action, _ in first.resource_mismatches))
        named = [_with_kind(resource, types) for resource in
                 dict.fromkeys(resource for _, resource in first.resource_mismatches)]
        effect = "allows" if first.is_allow else "denies"
        outcome = "the calls are denied at run time" if first.is_allow else "the Deny protects nothing"
        message = (f"{place(first)} {effect} {short(actions, 6)} on {short(named, 3)}, a resource of a type "
                   f"these actions do not accept, so the statement never applies to them: {outcome}.")
        yield Hit(subject=str(first.source), message=message, grants=tuple(members),
                  resources=resources_of(members), lines=grant_lines_of(members))


def _with_kind(resource: str, types: dict[str, str]) -> str:
    """``${Bucket.Arn}/* (type object)``: the resource as written, and the resource type it names
    when that can be told (the type the actions do not accept)."""
    found = kinds(resource, pattern(resource, types))
    return f"{short([resource])} (type {' or '.join(found)})" if 0 < len(found) <= 2 else resource
