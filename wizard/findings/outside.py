"""Chains that start outside the account: another account's principals, or anyone, to administrator.

A trust policy that names a principal of another AWS account (or ``*`` with no condition) lets
someone this account does not manage become one of its roles. When that role can grant itself
any permission, directly or through the roles it can act as (``wizard.findings.paths``), the
outside principal can take over the account: the report shows that chain from its real start,
the outside principal, once per origin, with every role of the stack it can enter that way.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from wizard.arns import iam_principal
from wizard.findings.context import allows_action
from wizard.findings.model import Step
from wizard.findings.paths import Edge, StackPaths
from wizard.findings.rules.common import condition_note, grant_lines_of, place, short
from wizard.iam.grants import Grant


@dataclass(frozen=True)
class OutsidePath:
    """Principals outside the account that a trust policy names, and how they reach a role that escalates.

    ``entry`` is the trust statement of the first role (``roles[0]``), ``chain`` the act-as
    edges from there, ``steps`` the whole path including how the last role escalates, and
    ``roles`` every role of the stack these principals may assume that leads to the same end.
    """

    origin: str
    principals: tuple[str, ...]
    entry: Grant
    chain: tuple[Edge, ...]
    steps: tuple[Step, ...]
    roles: tuple[str, ...]


def outside_origin(principal: str, account: str) -> str | None:
    """``account 111122223333`` or ``anyone`` for a trust principal outside the account, else None."""
    if principal in ("*", "AWS:*"):
        return "anyone"
    if not principal.startswith("AWS:"):
        return None
    value = principal[4:]
    found = iam_principal(value)
    other = found[0] if found else (value if _ACCOUNT.fullmatch(value) else None)
    return f"account {other}" if other and other != account else None


def outside_paths(paths: StackPaths) -> list[OutsidePath]:
    """For each outside origin (another account, or anyone), its shortest way to a role that escalates."""
    ctx = paths.ctx
    account = ctx.pseudo.account_id
    entries: dict[str, list[tuple[str, Grant]]] = {}
    for role in paths.roles:
        for trust in ctx.trusts.get(role, ()):
            origin = outside_origin(trust.principal, account)
            if origin == "anyone" and trust.condition_json:
                continue  # '*' narrowed by a condition (organisation, account, principal ARN) is QW-IAM-108's to judge
            if origin and allows_action(trust, "sts:AssumeRole"):
                entries.setdefault(origin, []).append((role, trust))
    found = []
    for origin, pairs in sorted(entries.items()):
        routes = []
        for role, trust in pairs:
            if role in paths.escalating:
                routes.append((0, role, trust, []))
            else:
                chain = paths.chain_to_escalation(role)
                if chain:
                    routes.append((len(chain), role, trust, chain))
        if not routes:
            continue
        routes.sort(key=lambda r: r[0])
        _, role, trust, chain = routes[0]
        principals = tuple(dict.fromkeys(t.principal.removeprefix("AWS:") for r, t in pairs if r == role))
        last = chain[-1].target if chain else role
        note = condition_note(trust)
        entry = Step(f"{short(principals, 3)} ({origin}) may assume {role}: its trust policy names "
                     f"{'them' if len(principals) > 1 else 'it'} ({place(trust)}){note}.", (trust,),
                     grant_lines_of((trust,)))
        steps = (entry, *(edge.step() for edge in chain), *paths.escalation_steps(last))
        found.append(OutsidePath(origin, principals, trust, tuple(chain), steps,
                                 tuple(dict.fromkeys(r for _, r, _, _ in routes))))
    return found


_ACCOUNT = re.compile(r"\d{12}")
