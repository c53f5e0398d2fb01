"""Concern 3 of the review: roles that create IAM policies while the stack runs.

``iam:CreatePolicy`` confined to a policy path (``policy/quilt/<stack>/<region>/...``) keeps
what is created recognisable and lets a permissions boundary, an SCP or an alarm single it
out; without a path any policy name in the account is allowed. Either way the policy only
takes effect where it is attached, so the finding says whether the same principal may attach
policies too.
"""

from __future__ import annotations

from wizard.arns import parse_arn
from wizard.findings.context import RuleContext, allows_action, is_full_admin
from wizard.findings.model import Hit
from wizard.findings.rules import detector
from wizard.findings.rules.common import (condition_note, holders, place, short, statement_hit_fields, subject_of,
                                          targets, who)
from wizard.iam.grants import Grant

_ATTACH = ("iam:AttachRolePolicy", "iam:AttachUserPolicy", "iam:AttachGroupPolicy",
           "iam:PutRolePolicy", "iam:PutUserPolicy", "iam:PutGroupPolicy")


def policy_path(resource: str) -> str | None:
    """The fixed policy path a resource pattern confines creation to, or None.

    ``arn:aws:iam::1:policy/quilt/stack/us-east-1/Quilt-*`` -> ``/quilt/stack/us-east-1/``;
    ``arn:aws:iam::1:policy/Quilt-*`` or ``*`` -> None (any path).
    """
    arn = parse_arn(resource)
    if arn is None or arn.service != "iam" or arn.region or not arn.resource.startswith("policy/") \
            or "${" in resource:
        return None
    rest = arn.resource[len("policy"):]
    fixed = rest.split("*", 1)[0].split("?", 1)[0]
    folder = fixed[: fixed.rfind("/") + 1]
    return folder if len(folder) > 1 else None


def _creators(ctx: RuleContext):
    for group in ctx.statements:
        if allows_action(group[0], "iam:CreatePolicy") and not is_full_admin(group[0]):
            yield group


def _paths(grant: Grant) -> list[str | None]:
    if grant.not_resources:
        return [None]
    return [policy_path(r) for r in grant.resources]


def _attach_note(ctx: RuleContext, group: list[Grant]) -> str:
    notes = []
    for principal in holders(group):
        attaching = sorted({a for a in _ATTACH if ctx.can(principal, a)})
        if attaching:
            notes.append(f" {principal} may also {short(attaching)}, so it can put what it creates to use.")
        else:
            notes.append(f" {principal} may not attach policies itself (no iam:Attach*Policy or iam:Put*Policy), "
                         f"so a policy it creates takes effect only where something else attaches it.")
    return "".join(notes)


@detector("QW-IAM-004")
def creation_without_path(ctx: RuleContext):
    for group in _creators(ctx):
        grant = group[0]
        if any(p is None for p in _paths(grant)):
            yield Hit(subject=subject_of(ctx, group),
                      message=f"{who(ctx, group)} may iam:CreatePolicy on {targets(grant)} ({place(grant)}): any policy "
                              f"name and path in the account{condition_note(grant)}." + _attach_note(ctx, group),
                      **statement_hit_fields(group))


@detector("QW-IAM-005")
def creation_with_path(ctx: RuleContext):
    for group in _creators(ctx):
        grant = group[0]
        paths = _paths(grant)
        if paths and all(p is not None for p in paths):
            shown = ", ".join(sorted(set(p for p in paths if p)))
            yield Hit(subject=subject_of(ctx, group),
                      message=f"{who(ctx, group)} may iam:CreatePolicy only under the path {shown} "
                              f"({place(grant)}){condition_note(grant)}." + _attach_note(ctx, group),
                      facts=(("policy_path", shown),), **statement_hit_fields(group))
