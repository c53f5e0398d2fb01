"""A grant in one line of text, the same wherever a grant is shown.

The terminal listing, the live panel and the change-set table all describe a grant with
``describe_grant``: effect, actions, resources, condition, access-level badges. Symbolic values
(``${Role.Arn}``) are shown by the resource that holds them.
"""

from __future__ import annotations

import json
from typing import Iterable

from wizard.iam.grants import Grant, holder_of

_BADGES = {"List": "L", "Read": "R", "Write": "W", "Tagging": "T", "Permissions management": "PM"}


def badges(grant: Grant) -> str:
    """Access-level badges such as ``[R W PM]``; ``[?]`` for actions AWS does not define."""
    marks = [_BADGES[level] for level in grant.access_levels]
    if grant.unknown_actions:
        marks.append("?")
    return f"[{' '.join(marks)}]" if marks else ""


def short(values: Iterable[str], limit: int | None = 4) -> str:
    values = [holder_of(v) if v.startswith("${") else v for v in values]
    if limit is not None and len(values) > limit:
        return ", ".join(values[:limit]) + f" (+{len(values) - limit} more)"
    return ", ".join(values)


def describe_grant(grant: Grant, full: bool = False) -> str:
    """One line: effect, actions, resources, condition, badges, source (``full``: every action
    and resource and the whole condition, nothing abbreviated)."""
    if grant.attachment:
        return f"attaches {grant.attachment}"
    few, some = (None, None) if full else (4, 3)
    acts = short(grant.actions, few) if grant.actions else "everything except " + short(grant.not_actions, few)
    if grant.kind == "trust":
        what = f"{grant.principal} may {acts}"
    elif grant.kind == "resource":
        what = f"{grant.principal} {grant.effect} {acts}"
    elif grant.kind == "boundary":  # a cap, not a grant: what the role's policies may still take effect for
        what = f"boundary admits {acts}" if grant.is_allow else f"boundary Deny {acts}"
    else:
        what = f"{grant.effect} {acts}"
    if grant.resources:
        what += f" on {short(grant.resources, some)}"
    elif grant.not_resources:
        what += f" on everything except {short(grant.not_resources, some)}"
    if grant.condition_json:
        condition = json.dumps(grant.condition, separators=(',', ':'))
        what += f" if {condition if full else condition[:120]}"
    mark = badges(grant)
    if mark:
        what += f" {mark}"
    if grant.grants_nothing:
        what += " (grants nothing: placeholder)"
    return what


def describe_change_subject(grant: Grant) -> str:
    """``describe_grant`` led by the principal, for a listing not grouped by principal."""
    text = describe_grant(grant)
    if grant.attachment or grant.kind in ("identity", "boundary"):
        return f"{grant.principal} {text}"
    return text
