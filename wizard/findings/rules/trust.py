"""Who may use the stack's roles and resources from outside: open and cross-account trust."""

from __future__ import annotations

import re

from wizard.arns import iam_principal
from wizard.findings.context import RuleContext
from wizard.findings.model import Hit
from wizard.findings.outside import outside_paths
from wizard.findings.paths import stack_paths
from wizard.findings.rules import detector
from wizard.findings.rules.common import condition_note, grant_lines_of, place, resources_of, short
from wizard.iam.grants import RESOURCE, TRUST, Grant

_ACCOUNT = re.compile(r"^\d{12}$")


@detector("QW-IAM-108")
def open_to_anyone(ctx: RuleContext):
    seen = set()
    escalating = {role for p in outside_paths(stack_paths(ctx)) if p.origin == "anyone" for role in p.roles}
    for grant in ctx.grants:
        if grant.kind == TRUST and grant.on and grant.on[0] in escalating:
            continue
        if grant.kind not in (RESOURCE, TRUST) or not grant.is_allow or grant.grants_nothing:
            continue
        if grant.principal not in ("*", "AWS:*") or grant.condition_json:
            continue
        key = (grant.source.resource, grant.source.policy, grant.source.statement)
        if key in seen:
            continue
        seen.add(key)
        target = short(grant.on) or grant.source.resource
        what = f"assume {target}" if grant.kind == TRUST else f"{short(grant.actions or grant.not_actions)} on {target}"
        yield Hit(subject=grant.source.resource,
                  message=f"Anyone, in any AWS account, may {what} ({place(grant)}): the statement "
                          f"names Principal '*' and has no condition.",
                  grants=(grant,), resources=resources_of((grant,)), lines=grant_lines_of((grant,)))


def foreign_account(principal: str, account: str) -> str | None:
    """The other account a trust principal belongs to, or None (same account, service, token)."""
    if not principal.startswith("AWS:"):
        return None
    value = principal[4:]
    found = iam_principal(value)
    other = found[0] if found else (value if _ACCOUNT.match(value) else None)
    return other if other and other != account else None


@detector("QW-IAM-109")
def cross_account_trust(ctx: RuleContext):
    account = ctx.pseudo.account_id
    paths = stack_paths(ctx)
    escalating = {(p.origin, role) for p in outside_paths(paths) for role in p.roles}
    for role, trusts in ctx.trusts.items():
        foreign: list[Grant] = [g for g in trusts if foreign_account(g.principal, account)
                                and (f"account {foreign_account(g.principal, account)}", role) not in escalating]
        if not foreign:
            continue
        accounts = sorted({foreign_account(g.principal, account) or "" for g in foreign})
        names = [g.principal[4:] for g in foreign]
        message = (f"{role} may be assumed by {len(names)} principal(s) of account(s) {', '.join(accounts)}: "
                   f"{short(names, 5)} ({place(foreign[0])}){condition_note(foreign[0])}.")
        if "sts:externalid" not in "".join(g.condition_json.lower() for g in foreign):
            message += " No sts:ExternalId condition guards it."
        yield Hit(subject=role, message=message, grants=tuple(foreign), resources=resources_of(foreign),
                  lines=grant_lines_of(foreign), facts=(("accounts", ", ".join(accounts)),))
