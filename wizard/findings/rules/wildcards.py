"""Wildcards and broad statements: concern 2 of the review and the common catalog checks.

``Resource: '*'`` is split in two: actions that could name their resource (a choice to
question) and actions that accept no resource ARN at all (a fact to record, such as AWS
Marketplace metering). The catalog checks follow what cfn-lint, checkov and Cloudsplaining
look for: full administrator statements, service-wide actions, write or permissions-management
actions on everything, Allow with NotAction/NotResource, ``iam:PassRole`` on every role, and
permissions-management actions with no condition.

One action of one statement is counted once: write actions on '*' belong to QW-IAM-103 (not
also to QW-IAM-002 or QW-IAM-106), Athena query actions on every workgroup to QW-IAM-006.
"""

from __future__ import annotations

from wizard.iam.actions import classify
from wizard.findings.context import RuleContext, allows_action, is_full_admin, is_unrestricted
from wizard.findings.rules.athena import broad_athena_actions
from wizard.findings.model import Hit
from wizard.findings.rules import detector
from wizard.findings.rules.common import (condition_note, grant_lines_of, place, resources_of, short,
                                          statement_hit_fields, subject_of, targets, who)
from wizard.findings.scope import split_by_scope
from wizard.iam.grants import IDENTITY, Grant

_WRITE_LEVELS = ("Write", "Permissions management")


def _hit(ctx: RuleContext, group: list[Grant], message: str) -> Hit:
    return Hit(subject=subject_of(ctx, group), message=message, **statement_hit_fields(group))


def _star_resource(grant: Grant) -> bool:
    return not grant.not_actions and "*" in grant.resources and not is_full_admin(grant)


def _write_on_everything(grant: Grant) -> list[str]:
    """Write and permissions-management actions a statement on '*' grants that could name a resource."""
    if not _star_resource(grant):
        return []
    scopable, _fixed, _unknown = split_by_scope(grant.actions)
    levels = classify(grant.actions).levels
    return sorted({a for level in _WRITE_LEVELS for a in levels.get(level, ())} & set(scopable))


@detector("QW-IAM-002")
def wildcard_resource_scopable(ctx: RuleContext):
    for group in ctx.statements:
        grant = group[0]
        if not _star_resource(grant):
            continue
        athena = broad_athena_actions(ctx, grant)
        writes = _write_on_everything(grant) if not grant.condition_json else []
        scopable, fixed, unknown = split_by_scope(grant.actions)
        scopable = [a for a in scopable if a not in athena and a not in writes]
        if not (scopable or unknown):
            continue
        message = f"{who(ctx, group)} may {short([*scopable, *unknown], 6)} on '*' ({place(grant)})"
        if unknown:
            message += f"; {short(unknown)} matches no action AWS defines"
        message += f"; these actions can name their resources{condition_note(grant)}."
        if athena:
            message += f" Its Athena actions ({short(athena, 3)}) are reported under QW-IAM-006."
        if writes:
            message += f" Its write actions ({short(writes, 3)}) are reported under QW-IAM-103."
        if fixed:
            message += f" {short(fixed)} accept only '*' and need no change."
        yield _hit(ctx, group, message)


@detector("QW-IAM-003")
def wildcard_resource_required(ctx: RuleContext):
    for group in ctx.statements:
        grant = group[0]
        if not _star_resource(grant):
            continue
        scopable, fixed, unknown = split_by_scope(grant.actions)
        if fixed and not scopable and not unknown:
            yield _hit(ctx, group, f"{who(ctx, group)} may {short(fixed, 6)} on '*' ({place(grant)}): these "
                                   f"actions support no resource-level permissions, so '*' is the only possible "
                                   f"Resource{condition_note(grant)}.")


@detector("QW-IAM-101")
def full_admin(ctx: RuleContext):
    for group in ctx.statements:
        if is_full_admin(group[0]):
            yield _hit(ctx, group, f"{who(ctx, group)} may do every action on every resource "
                                   f"({place(group[0])}){condition_note(group[0])}.")


@detector("QW-IAM-102")
def wildcard_action(ctx: RuleContext):
    for group in ctx.statements:
        grant = group[0]
        if is_full_admin(grant):
            continue
        broad = [a for a in grant.actions if a == "*" or a.endswith(":*")]
        if broad:
            yield _hit(ctx, group, f"{who(ctx, group)} may {short(broad)} (every action of the service, today's "
                                   f"and future ones) on {targets(grant)} ({place(grant)}){condition_note(grant)}.")


@detector("QW-IAM-103")
def write_on_everything(ctx: RuleContext):
    for group in ctx.statements:
        grant = group[0]
        if not _star_resource(grant) or grant.condition_json:
            continue
        risky = sorted(set(_write_on_everything(grant)) - set(broad_athena_actions(ctx, grant)))
        if risky:
            yield _hit(ctx, group, f"{who(ctx, group)} may {short(risky, 6)} on '*' with no condition "
                                   f"({place(grant)}): write or permissions-management actions on every "
                                   f"resource of their kind in the account.")


@detector("QW-IAM-104")
def not_action_or_resource(ctx: RuleContext):
    seen = set()
    for grant in ctx.grants:
        if not grant.is_allow or grant.grants_nothing or grant.attachment:
            continue
        if not (grant.not_actions or grant.not_resources):
            continue
        key = (grant.source.resource, grant.source.policy, grant.source.statement, grant.principal
               if grant.kind == IDENTITY else "")
        if key in seen:
            continue
        seen.add(key)
        if grant.not_actions:
            what = f"every action except {short(grant.not_actions)}"
        else:
            what = f"{short(grant.actions)} on every resource except {short(grant.not_resources, 3)}"
        holder = grant.principal if grant.kind == IDENTITY else f"{grant.principal or '?'} on {short(grant.on)}"
        yield Hit(subject=grant.principal if grant.kind == IDENTITY else grant.source.resource,
                  message=f"{holder} is allowed {what} ({place(grant)}){condition_note(grant)}.",
                  grants=(grant,), resources=resources_of((grant,)), lines=grant_lines_of((grant,)))


@detector("QW-IAM-105")
def pass_any_role(ctx: RuleContext):
    """One finding per policy: its statements that pass any role, each place listed."""
    by_policy: dict[tuple, list[list[Grant]]] = {}
    for group in ctx.statements:
        grant = group[0]
        if is_full_admin(grant) or not allows_action(grant, "iam:PassRole"):
            continue
        if grant.not_resources:
            broad = "*" not in grant.not_resources
        else:
            broad = any(is_unrestricted(r) for r in grant.resources)
        if broad:
            by_policy.setdefault(ctx.statement_key(grant)[:2], []).append(group)
    for groups in by_policy.values():
        grants = [g for group in groups for g in group]
        places = "; ".join(f"{place(group[0])}{condition_note(group[0])}" for group in groups)
        note = ""
        if any("iam:passedtoservice" not in group[0].condition_json.lower() for group in groups):
            note = " No iam:PassedToService condition limits the services it may pass roles to."
        yield _hit(ctx, grants, f"{who(ctx, groups[0])} may pass any role in the account to a service "
                                f"({places}).{note}")


@detector("QW-IAM-106")
def permissions_management_unconditioned(ctx: RuleContext):
    for group in ctx.statements:
        grant = group[0]
        if grant.condition_json or grant.not_actions or is_full_admin(grant):
            continue
        managed = classify(grant.actions).levels.get("Permissions management", ())
        if _star_resource(grant):  # on '*' without condition they are QW-IAM-103's, counted there once
            managed = tuple(a for a in managed if a not in _write_on_everything(grant))
        if managed:
            yield _hit(ctx, group, f"{who(ctx, group)} may {short(managed, 6)} on {targets(grant)} "
                                   f"with no condition ({place(grant)}).")
