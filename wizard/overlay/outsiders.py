"""Who outside the stack's account a template lets assume its roles, read from its trust policies.

The vendor's template trusts named IAM users of the vendor's own account (its support staff) in
several roles; the question "who outside the account may assume the stack's roles" says who,
which roles and what those roles hold, from the template in use rather than from prose. The
trust policies are read as written, every branch of an ``Fn::If`` included (the hardened
template keeps the vendor's principals under ``TrustExternalPrincipals``).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Iterator

from wizard.arns import iam_principal
from wizard.overlay.match import TemplateIndex, as_items, external



@dataclass(frozen=True)
class Outsider:
    """One principal of another account (or anyone) named in a trust policy."""

    text: str
    account: str
    kind: str
    name: str


@dataclass(frozen=True)
class ExternalTrust:
    """Principals outside the stack's account, the roles that trust them, and which of those roles
    hold a policy filled at run time (the bucket policies: S3 on the connected buckets)."""

    outsiders: tuple[Outsider, ...]
    roles: tuple[str, ...]
    run_time_holders: tuple[str, ...]

    @property
    def accounts(self) -> tuple[str, ...]:
        return tuple(dict.fromkeys(o.account for o in self.outsiders))

    def principals_text(self) -> str:
        """``5 IAM users of account 712023778557 (kevin-staging, ...)``, or ``no principal ...``."""
        if not self.outsiders:
            return "no principal of another AWS account"
        parts = []
        for account in self.accounts:
            mine = [o for o in self.outsiders if o.account == account]
            kinds = sorted({o.kind for o in mine})
            kind = _plural(kinds[0], len(mine)) if len(kinds) == 1 else "principals"
            names = ", ".join(o.name or o.text for o in mine)
            where = "anyone" if account == "*" else f"account {account}"
            parts.append(f"{len(mine)} IAM {kind} of {where} ({names})" if account != "*" else "anyone (*)")
        return "; ".join(parts)

    def roles_text(self) -> str:
        if not self.roles:
            return "none of the stack's roles"
        return f"{len(self.roles)} of the stack's roles ({', '.join(self.roles)})"

    def holders_text(self) -> str:
        if not self.run_time_holders:
            return "none of them holds a policy filled when a bucket is connected"
        return (f"{', '.join(self.run_time_holders)} hold the policies filled when a bucket is connected "
                "(the S3 access granted to every connected bucket, or to every bucket of the prefix with "
                "pre-created policies)")


def _plural(kind: str, count: int) -> str:
    word = {"user": "user", "role": "role", "root": "account root", "assumed-role": "role session"}.get(kind, kind)
    return word if count == 1 else word + "s"


def _strings(value: Any) -> Iterator[str]:
    """Every literal string of a value, through lists, ``Fn::If`` branches and nested mappings."""
    if isinstance(value, str):
        yield value
    elif isinstance(value, list):
        for item in value:
            yield from _strings(item)
    elif isinstance(value, dict):
        for key, item in value.items():
            if key in ("Ref", "Fn::GetAtt", "Fn::Sub", "Condition"):
                continue
            yield from _strings(item)


def _principals(statement: Any) -> Iterator[str]:
    if not isinstance(statement, dict):
        return
    if "Fn::If" in statement and isinstance(statement["Fn::If"], list):
        for branch in statement["Fn::If"][1:]:
            yield from _principals(branch)
        return
    if statement.get("Effect") != "Allow":
        return
    principal = statement.get("Principal")
    if isinstance(principal, dict):
        for key, value in principal.items():
            if key in ("AWS", "Fn::If"):
                yield from _strings(value)
    else:
        yield from _strings(principal)


def external_trust(body: dict) -> ExternalTrust:
    """Every principal of another account the template's role trusts name, and those roles (read
    in place: matching only searches, so the template's body is neither copied nor changed)."""
    index = TemplateIndex(body)
    outsiders: dict[str, Outsider] = {}
    roles: list[str] = []
    for role, resource in index.of_type("AWS::IAM::Role"):
        document = (resource.get("Properties") or {}).get("AssumeRolePolicyDocument")
        statements = as_items(document.get("Statement")) if isinstance(document, dict) else []
        found = [p for s in statements for p in _principals(s) if external(p)]
        for text in found:
            parsed = iam_principal(text)
            if parsed:
                account, resource = parsed
                kind, _, name = resource.partition("/")
                outsiders.setdefault(text, Outsider(text, account, kind, name))
            else:
                account = text if text.isdigit() else "*"
                outsiders.setdefault(text, Outsider(text, account, "root" if text.isdigit() else "anyone", ""))
        if found:
            roles.append(role)
    holders = index.run_time_holders()
    return ExternalTrust(tuple(outsiders.values()), tuple(roles), tuple(r for r in roles if r in holders))
