"""The exact policies of an evaluated stack, per principal, rebuilt from its grants.

The security documentation package promised the customer "the exact policies": not the
template's text with its ``!If`` and ``!Sub``, but what IAM will hold for these parameter
values. The grants already are that, one statement per principal; this module puts them back
together as policy documents (one per inline policy, managed policy, trust policy or resource
policy), with the template line each comes from, in the order the template declares them.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any, Iterable

from wizard.iam.grants import BOUNDARY, IDENTITY, RESOURCE, TRUST, Grant, by_principal


@dataclass
class PolicyDocument:
    """One policy as IAM will hold it, and where the template declares it."""

    title: str
    kind: str
    line: int | None
    statements: list[dict] = field(default_factory=list)
    note: str = ""
    grants_nothing: bool = False

    def document(self) -> dict:
        return {"Version": "2012-10-17", "Statement": self.statements}

    def to_text(self) -> str:
        return json.dumps(self.document(), indent=2, sort_keys=False, default=str)


@dataclass
class PrincipalPolicies:
    """Everything one principal (or one protected resource) is given, policy by policy."""

    name: str
    kind: str
    documents: list[PolicyDocument] = field(default_factory=list)
    attachments: list[tuple[str, bool, int | None]] = field(default_factory=list)


def _principal_block(members: Iterable[str]) -> Any:
    blocks: dict[str, list[str]] = {}
    for member in members:
        if member == "*":
            return "*"
        kind, _, value = member.partition(":")
        blocks.setdefault(kind, []).append(value)
    return {kind: values[0] if len(values) == 1 else values for kind, values in blocks.items()}


def _one(values: tuple[str, ...]) -> Any:
    return values[0] if len(values) == 1 else list(values)


def _statement(grant: Grant, principals: list[str]) -> dict:
    statement: dict[str, Any] = {}
    if grant.sid:
        statement["Sid"] = grant.sid
    statement["Effect"] = grant.effect
    if grant.kind not in (IDENTITY, BOUNDARY):
        statement["Principal"] = _principal_block(principals)
    if grant.not_actions:
        statement["NotAction"] = _one(grant.not_actions)
    elif grant.actions:
        statement["Action"] = _one(grant.actions)
    if grant.not_resources:
        statement["NotResource"] = _one(grant.not_resources)
    elif grant.resources:
        statement["Resource"] = _one(grant.resources)
    if grant.condition_json:
        statement["Condition"] = grant.condition
    return statement


def _title(grant: Grant, principal: str, aws_managed: set[tuple[str, str]]) -> str:
    source = grant.source
    if grant.kind == TRUST:
        return "Trust policy (who may assume the role)"
    if grant.kind == RESOURCE:
        return f"{source.policy or 'Policy'} of {source.resource}"
    if grant.kind == BOUNDARY:
        return f"Permissions boundary {source.resource} (grants nothing: caps what {grant.principal}'s policies grant)"
    if (principal, source.policy) in aws_managed and source.resource == principal:
        return f"AWS managed policy {source.policy}"
    if source.resource == principal:
        return f"Inline policy {source.policy}"
    return f"Managed policy {source.resource}" + (f" ({source.policy})" if source.policy not in (None, source.resource) else "")


def policies_by_principal(grants: list[Grant]) -> list[PrincipalPolicies]:
    """Every principal's (or resource's) policies, in template order."""
    aws_managed = {(g.principal, g.attachment.rsplit("/", 1)[-1]) for g in grants
                   if g.attachment and ":iam::aws:policy/" in g.attachment}
    result = []
    for name, members in by_principal(grants).items():
        kind = members[0].kind
        entry = PrincipalPolicies(name, kind)
        documents: dict[tuple, PolicyDocument] = {}
        used: dict[tuple, list[Grant]] = {}
        statements: dict[tuple, tuple[Grant, list[str]]] = {}
        for grant in members:
            if grant.attachment:
                known = bool(getattr(grant, "attachment_known", False))
                entry.attachments.append((grant.attachment, known, grant.source.line))
                continue
            doc_key = (grant.source.resource, grant.source.policy, grant.kind)
            if doc_key not in documents:
                documents[doc_key] = PolicyDocument(_title(grant, name, aws_managed), grant.kind, grant.source.line)
            used.setdefault(doc_key, []).append(grant)
            statement_key = (*doc_key, grant.source.statement)
            if statement_key in statements:
                statements[statement_key][1].append(grant.principal)
            else:
                statements[statement_key] = (grant, [grant.principal])
        for (resource, policy, kind_, _index), (grant, principals) in statements.items():
            document = documents[(resource, policy, kind_)]
            document.statements.append(_statement(grant, principals))
        for doc_key, document in documents.items():
            document.grants_nothing = all(g.grants_nothing for g in used[doc_key])
            if document.grants_nothing:
                document.note = "grants nothing as deployed (placeholder)"
        entry.documents = list(documents.values())
        result.append(entry)
    order = {IDENTITY: 0, BOUNDARY: 1, TRUST: 2, RESOURCE: 3}
    return sorted(result, key=lambda p: order.get(p.kind, 3))
