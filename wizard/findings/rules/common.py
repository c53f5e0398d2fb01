"""Small helpers the detectors share for wording and evidence."""

from __future__ import annotations

from typing import Iterable

from wizard.iam.grants import IDENTITY, UNATTACHED, Grant, display_principal, holder_of


def short(values: Iterable[str], limit: int = 4) -> str:
    """``a, b, c (+2 more)``, with ``${X.Arn}`` tokens shown as ``X``."""
    shown = [holder_of(v) if v.startswith("${") else v for v in values]
    if len(shown) > limit:
        return ", ".join(shown[:limit]) + f" (+{len(shown) - limit} more)"
    return ", ".join(shown)


def place(grant: Grant) -> str:
    """``Role/policy#2 (line 120)``: where a statement is written."""
    text = str(grant.source)
    return f"{text} (line {grant.source.line})" if grant.source.line else text


def resources_of(grants: Iterable[Grant]) -> tuple[str, ...]:
    """The logical ids a set of grants belongs to: holders, policies and protected resources."""
    found: dict[str, None] = {}
    for grant in grants:
        if grant.kind == IDENTITY:
            found[grant.principal] = None
        for token in grant.on:
            found[holder_of(token)] = None
        found[grant.source.resource] = None
    return tuple(found)


def condition_note(grant: Grant) -> str:
    """`` (only if {the condition})`` when the statement has a Condition, else ''; the whole
    condition, never cut (a report shows every key and value)."""
    if not grant.condition_json:
        return ""
    return f" (only if {grant.condition_json})"


def grant_lines_of(grants: Iterable[Grant]) -> tuple[int, ...]:
    """The template lines of a set of statements, sorted, without repeats."""
    return tuple(sorted({g.source.line for g in grants if g.source.line}))


def holders(group: list[Grant]) -> list[str]:
    """The principals holding one statement, in order, without repeats."""
    return list(dict.fromkeys(display_principal(g) if g.principal == UNATTACHED else g.principal for g in group))


def who(ctx, group: list[Grant]) -> str:
    """``Role`` or ``3 roles through Policy (A, B, C)``: who holds one statement."""
    names = holders(group)
    first = group[0]
    if ctx.is_aws_managed(first):
        policy = f"the AWS managed policy {first.source.policy}"
    else:
        policy = first.source.resource if first.source.resource not in names else ""
    if len(names) == 1:
        return names[0] + (f" (through {policy})" if ctx.is_aws_managed(first) else "")
    return f"{len(names)} principals through {policy or first.source.policy} ({short(names, 5)})"


def subject_of(ctx, group: list[Grant]) -> str:
    """What a statement finding is about: the only holder, or the shared policy."""
    names = holders(group)
    if len(names) == 1:
        return names[0]
    first = group[0]
    return first.source.policy if ctx.is_aws_managed(first) else first.source.resource


def statement_hit_fields(group: list[Grant]) -> dict:
    """grants, resources and lines of a statement finding."""
    return {"grants": tuple(group), "resources": resources_of(group), "lines": grant_lines_of(group)}


def targets(grant: Grant, limit: int = 3) -> str:
    """What a statement applies to: its resources, or everything but its NotResource."""
    if grant.not_resources:
        return "every resource except " + short(grant.not_resources, limit)
    return short(grant.resources, limit) or "no resource"
