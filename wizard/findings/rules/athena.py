"""Concern 5 of the review: Athena access to every workgroup rather than the stack's own.

Athena actions that run, read or stop queries can be limited to named workgroups
(``arn:...:athena:<region>:<account>:workgroup/<name>``). A grant on ``*`` or on
``workgroup/*`` lets the principal use every workgroup in the account, including ones other
teams configured with their own result locations and encryption.
"""

from __future__ import annotations

from wizard.iam.actions import classify
from wizard.iam.wildcards import pattern_covers
from wizard.findings.context import RuleContext, is_full_admin
from wizard.findings.model import Hit
from wizard.findings.rules import detector
from wizard.findings.rules.common import condition_note, place, short, statement_hit_fields, subject_of, who
from wizard.findings.scope import split_by_scope

_QUERY_LEVELS = ("Read", "Write", "Permissions management", "Tagging")


def broad_athena_actions(ctx: RuleContext, grant) -> list[str]:
    """The Athena query actions a statement grants on every workgroup (empty when it names its workgroups).

    QW-IAM-006 reports them; the wildcard rules leave them out, so one statement's Athena
    access is counted once.
    """
    if grant.not_actions or grant.not_resources or is_full_admin(grant):
        return []
    athena = tuple(a for a in grant.actions if a.lower().startswith(("athena:", "*")))
    if not athena:
        return []
    levels = classify(athena).levels
    scopable = set(split_by_scope(athena)[0])
    used = sorted(a for level in _QUERY_LEVELS for a in levels.get(level, ())
                  if a in scopable and a.lower().startswith("athena:"))
    every_workgroup = ctx.arn("athena", "workgroup/*")
    broad = [r for r in grant.resources if "${" not in r and pattern_covers(r, every_workgroup, case_sensitive=True)]
    return used if broad else []


@detector("QW-IAM-006")
def broad_athena(ctx: RuleContext):
    every_workgroup = ctx.arn("athena", "workgroup/*")
    for group in ctx.statements:
        grant = group[0]
        used = broad_athena_actions(ctx, grant)
        if used:
            broad = [r for r in grant.resources
                     if "${" not in r and pattern_covers(r, every_workgroup, case_sensitive=True)]
            yield Hit(subject=subject_of(ctx, group),
                      message=f"{who(ctx, group)} may {short(used, 5)} on {short(broad, 2)}, which takes in "
                              f"every Athena workgroup in the account ({place(grant)}){condition_note(grant)}.",
                      **statement_hit_fields(group))
