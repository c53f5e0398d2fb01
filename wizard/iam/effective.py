"""Effective access: the (action, resource) pairs that take effect for each principal, and the
pairs one template grants that another no longer does.

An access is one action (or action pattern) on one resource (symbolic, as the grants write it:
``${Bucket.Arn}/*``, ``arn:aws:s3:::acme-*``) for one holder, under the condition of the
statement that grants it (kept as a qualifier, never dropped). It takes effect when an Allow of
the holder covers it (``wizard.iam.coverage``: actions case-insensitively, ARNs case-sensitively,
the Allow's condition implied by the access's), the holder's permissions boundary (its
``boundary`` grants, when the model can read them) admits it, and no Deny touches it. A Deny
touches an access when its actions may overlap the access's and its resources (or the
complement of its ``NotResource``) may overlap the resource: a Deny on part of ``s3:*`` or of
``*`` narrows it, and a narrowed access is lost.

``lost_access(before, after)`` is every access ``before`` grants that takes effect there and no
longer does in ``after``: removed, narrowed (to fewer resources, under a stricter condition),
newly denied, or outside a new boundary. A Deny that both sides hold word for word is not "new".
An action pattern is expanded against the IAM catalog (``wizard.iam.actions``) only when it is
lost in part, so the pairs name the actions that stop (``s3:PutBucketPolicy`` out of ``s3:*``).
A resource, principal or condition naming a parameter left without a value (``<SearchDomainArn>``) names
nothing yet, so no access on it is counted.

Two conditions are taken as met, because the stack's own calls always meet them:
``aws:SourceAccount`` and ``aws:SourceArn`` on a trust (a service acting for this stack). Adding
them is not a lost access.

The holder of an identity or boundary grant is the role or user; of a trust grant, the principal
allowed to assume the role (the access is ``sts:AssumeRole`` on the role); of a resource policy,
the principal it names (the access is on the resource).
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import Iterable, Mapping

from wizard.iam import actions as iam_actions
from wizard.iam import resource_types
from wizard.iam.conditions import condition_implies
from wizard.iam.coverage import covers_set, may_overlap, principal_covers
from wizard.iam.grants import BOUNDARY, IDENTITY, TRUST, UNATTACHED, Grant, holder_of
from wizard.memo import memo

#: Condition keys the stack's own requests always satisfy (on trusts: a service acting for it).
STACK_SATISFIED = frozenset({"aws:sourceaccount", "aws:sourcearn"})

#: An action pattern matching more known actions than this is judged whole, not action by action.
EXPANSION_LIMIT = 2000

_WILD = ("*", "?")
_WILDCARD = re.compile(r"[*?]")
_TOKEN = re.compile(r"\$\{[^}]*\}")
#: A parameter left without a value (``<SearchDomainArn>``): it names nothing yet.
_PLACEHOLDER = re.compile(r"<[A-Za-z0-9]+>")

#: The services whose actions act on a stack resource of a type, for resources the template names
#: by token (``${Bucket.Arn}``), whose ARN the catalog cannot read.
TOKEN_SERVICES = {
    "AWS::S3::Bucket": {"s3"}, "AWS::SQS::Queue": {"sqs"}, "AWS::SNS::Topic": {"sns"},
    "AWS::Lambda::Function": {"lambda"}, "AWS::IAM::Role": {"iam", "sts"}, "AWS::KMS::Key": {"kms"},
    "AWS::Logs::LogGroup": {"logs"}, "AWS::Glue::Database": {"glue"}, "AWS::Glue::Table": {"glue"},
    "AWS::Athena::WorkGroup": {"athena"}, "AWS::DynamoDB::Table": {"dynamodb"},
    "AWS::Events::EventBus": {"events"}, "AWS::Events::Rule": {"events"},
    "AWS::StepFunctions::StateMachine": {"states"}, "AWS::SecretsManager::Secret": {"secretsmanager"},
    "AWS::ECS::Cluster": {"ecs"}, "AWS::ECS::TaskDefinition": {"ecs"}, "AWS::ECR::Repository": {"ecr"},
    "AWS::Kinesis::Stream": {"kinesis"}, "AWS::KinesisFirehose::DeliveryStream": {"firehose"},
}


@dataclass(frozen=True)
class Access:
    """One action on one resource for one holder, under a condition (JSON, empty for none)."""

    principal: str
    kind: str
    on: tuple[str, ...]
    action: str
    resource: str
    condition_json: str = ""

    @property
    def holder(self) -> str:
        """Who holds the access as a person reads it: the role, or the principal trusted."""
        return self.principal if self.kind in (IDENTITY, BOUNDARY) else holder_of(self.principal.split(":", 1)[-1])

    @property
    def target(self) -> tuple[str, ...]:
        """The stack resources the access is on, by logical id, when a token names one."""
        found = []
        for text in (self.resource, *self.on):
            if text.startswith("${") and "}" in text:
                found.append(text[2:].split("}", 1)[0].split(".", 1)[0])
            elif text and "${" not in text and ":" not in text:
                found.append(text)
        return tuple(dict.fromkeys(found))

    def to_json(self) -> dict:
        return {"principal": self.principal, "kind": self.kind, "on": list(self.on), "action": self.action,
                "resource": self.resource,
                "condition": json.loads(self.condition_json) if self.condition_json else {}}


def _holder_key(kind: str, principal: str, on: tuple[str, ...]) -> tuple:
    return (IDENTITY if kind == BOUNDARY else kind, principal, on)


def _without_satisfied(condition_json: str, kind: str) -> dict:
    condition = json.loads(condition_json) if condition_json else {}
    if kind != TRUST or not condition:
        return condition
    kept: dict = {}
    for operator, clauses in condition.items():
        if not isinstance(clauses, dict):
            kept[operator] = clauses
            continue
        rest = {k: v for k, v in clauses.items() if str(k).lower() not in STACK_SATISFIED}
        if rest:
            kept[operator] = rest
    return kept


class Side:
    """One template's grants, indexed by holder for the question "does this access take effect?"."""

    def __init__(self, grants: Iterable[Grant], fresh: frozenset[str] = frozenset()):
        self.fresh = fresh
        self.allows: dict[tuple, list[Grant]] = {}
        self.denies: dict[tuple, list[Grant]] = {}
        self.boundary_allows: dict[str, list[Grant]] = {}
        self.boundary_denies: dict[str, list[Grant]] = {}
        unreadable: set[str] = set()
        self.grants = tuple(grants)
        for grant in self.grants:
            if grant.kind == BOUNDARY:
                if grant.attachment:
                    if not grant.attachment_known:
                        unreadable.add(grant.principal)
                    continue
                target = self.boundary_allows if grant.is_allow else self.boundary_denies
                if grant.is_allow and grant.grants_nothing:
                    self.boundary_allows.setdefault(grant.principal, [])
                    continue
                target.setdefault(grant.principal, []).append(grant)
                continue
            if grant.attachment:
                continue
            key = _holder_key(grant.kind, grant.principal, grant.on)
            if grant.is_allow:
                if not grant.grants_nothing:
                    self.allows.setdefault(key, []).append(grant)
            else:
                self.denies.setdefault(key, []).append(grant)
        for principal in unreadable:
            self.boundary_allows.pop(principal, None)
            self.boundary_denies.pop(principal, None)
        self.allow_keys = frozenset(g.key for gs in self.allows.values() for g in gs)
        self.deny_keys = frozenset(g.key for gs in self.denies.values() for g in gs) | frozenset(
            g.key for gs in self.boundary_denies.values() for g in gs)

    def _holders(self, table: dict[tuple, list[Grant]], access: Access) -> list[Grant]:
        found = list(table.get((access.kind, access.principal, access.on), ()))
        if access.principal not in ("*", "AWS:*"):
            for everyone in ("*", "AWS:*"):
                found += table.get((access.kind, everyone, access.on), ())
        return found

    def allowed(self, access: Access) -> bool:
        condition = _without_satisfied(access.condition_json, access.kind)
        for grant in self._holders(self.allows, access):
            if not principal_covers(grant.principal, access.principal):
                continue
            if not _covers(grant.actions, grant.not_actions, access.action, False):
                continue
            if (grant.resources or grant.not_resources) and not _covers(
                    grant.resources, grant.not_resources, access.resource, True):
                continue
            if condition_implies(condition, _without_satisfied(grant.condition_json, access.kind)):
                return True
        return False

    def admitted(self, access: Access, ignore: frozenset = frozenset()) -> bool:
        """Whether the holder's permissions boundary (if any) admits the access whole."""
        if access.kind != IDENTITY or access.principal not in self.boundary_allows:
            return True
        if any(_touches(d, access) for d in self.boundary_denies.get(access.principal, ()) if d.key not in ignore):
            return False
        return any(_covers(g.actions, g.not_actions, access.action, False)
                   and _covers(g.resources, g.not_resources, access.resource, True)
                   for g in self.boundary_allows[access.principal])

    def denied(self, access: Access, ignore: frozenset = frozenset()) -> bool:
        """Whether a Deny (not in ``ignore``, by content) touches part of the access."""
        return any(d.key not in ignore and principal_covers(d.principal, access.principal) and _touches(d, access)
                   and not self._on_fresh(d) for d in self._holders(self.denies, access))

    def _on_fresh(self, deny: Grant) -> bool:
        """Whether a Deny names only resources the other side lacks (it guards what is new)."""
        return bool(self.fresh) and bool(deny.resources) and not deny.not_resources and all(
            r.startswith("${") and r[2:].split("}", 1)[0].split(".", 1)[0] in self.fresh for r in deny.resources)

    def takes_effect(self, access: Access, ignore: frozenset = frozenset(), kept: bool = False) -> bool:
        """Whether the access takes effect here; ``kept``: a statement granting it is here word
        for word, so only the Denies and the boundary are asked."""
        return (kept or self.allowed(access)) and not self.denied(access, ignore) and self.admitted(access, ignore)


@memo(maxsize=65536)
def _covers(general: tuple[str, ...], general_not: tuple[str, ...], specific: str, case_sensitive: bool) -> bool:
    if general_not:
        return covers_set(general, general_not, (specific,), (), case_sensitive=case_sensitive)
    if "*" in general or specific in general:
        return True
    ends = _ends(specific if case_sensitive else specific.lower())
    near = tuple(g for g in general if _may_cover(_ends(g if case_sensitive else g.lower()), ends))
    return bool(near) and covers_set(near, (), (specific,), (), case_sensitive=case_sensitive)


@memo(maxsize=65536)
def _ends(pattern: str) -> tuple[str, str]:
    """A pattern's fixed head and tail (before the first wildcard, after the last)."""
    parts = _WILDCARD.split(pattern)
    return parts[0], parts[-1]


def _may_cover(general: tuple[str, str], specific: tuple[str, str]) -> bool:
    """Whether a pattern with these fixed ends can include every string of another: every string
    the specific one matches starts with its head and ends with its tail, so the general head and
    tail must be theirs (a quick refusal before the exact test)."""
    return specific[0].startswith(general[0]) and specific[1].endswith(general[1])


@memo(maxsize=65536)
def _overlaps(a: str, b: str, case_sensitive: bool) -> bool:
    return may_overlap(a, b, case_sensitive=case_sensitive)


def _touches(deny: Grant, access: Access) -> bool:
    if deny.not_actions:
        if _covers(deny.not_actions, (), access.action, False):
            return False
    elif not any(_overlaps(a, access.action, False) for a in deny.actions):
        return False
    if deny.not_resources:
        return not _covers(deny.not_resources, (), access.resource, True)
    if not deny.resources:
        return True
    return any(_overlaps(r, access.resource, True) for r in deny.resources)


def _applies(action: str, resource: str, types: Mapping[str, str]) -> bool:
    """Whether ``action`` can act on ``resource`` at all: a statement listing S3 and Glue actions
    with S3 and Glue resources grants no S3 action on a Glue ARN. Unknown stays possible."""
    service, colon, _ = action.partition(":")
    if not colon or "*" in service or "?" in service:
        return True
    if resource.startswith("${"):
        logical = resource[2:].split("}", 1)[0].split(".", 1)[0]
        services = TOKEN_SERVICES.get(types.get(logical, ""))
        return services is None or service.lower() in services
    if not resource.startswith("arn:"):
        return True
    return not resource_types.mismatches((action,), (_TOKEN.sub("*", resource),))


def accesses(grant: Grant, types: Mapping[str, str] | None = None) -> list[Access]:
    """The accesses one Allow grants, its action patterns and resources as written, leaving out
    an action on a resource it cannot act on (``types``: logical id -> resource type, for the
    resources a token names). A NotAction statement is one access to ``*``; a NotResource one
    to ``*``. A stack policy attached to nothing gives no one access."""
    if not grant.is_allow or grant.grants_nothing or grant.attachment or grant.kind == BOUNDARY \
            or (grant.kind == IDENTITY and grant.principal == UNATTACHED):
        return []
    acts = grant.actions or ("*",)
    resources = grant.resources or (("*",) if grant.not_resources else grant.on or ("*",))
    types = types or {}
    if _PLACEHOLDER.search(grant.principal) or _PLACEHOLDER.search(grant.condition_json):
        return []
    return [Access(grant.principal, grant.kind, grant.on, a, r, grant.condition_json)
            for a in acts for r in resources
            if not _PLACEHOLDER.search(r) and (grant.kind != IDENTITY or _applies(a, r, types))]


def effective(grants: Iterable[Grant], types: Mapping[str, str] | None = None) -> dict[str, list[Access]]:
    """For each holder, the accesses of its Allows that take effect (Allows minus Denies, within
    its permissions boundary): a pair a Deny or the boundary touches is left out whole."""
    side = Side(grants)
    found: dict[str, list[Access]] = {}
    for grant in side.grants:
        for access in accesses(grant, types):
            if not side.denied(access) and side.admitted(access):
                found.setdefault(access.holder, []).append(access)
    return {holder: list(dict.fromkeys(items)) for holder, items in found.items()}


def resource_types_of(template_resources: Mapping[str, dict]) -> dict[str, str]:
    """Logical id -> resource type, from a template's ``Resources``."""
    return {k: str(v.get("Type", "")) for k, v in template_resources.items() if isinstance(v, dict)}


def _concrete(access: Access) -> list[Access]:
    if not any(w in access.action for w in _WILD):
        return []
    names = iam_actions.expand(access.action)
    if not names or len(names) > EXPANSION_LIMIT:
        return []
    return [Access(access.principal, access.kind, access.on, name, access.resource, access.condition_json)
            for name in names]


def _place(access: Access) -> tuple:
    """Who holds an access where, under which condition: all but its action."""
    return (access.principal, access.kind, access.on, access.resource, access.condition_json)


class Baseline:
    """The accesses one side grants that take effect there, read once to be compared with any
    number of other sides (``lost_in``); an action pattern's catalog actions are looked up the
    first time some side loses it. ``asked``: only the accesses that can answer for one of these
    are kept (the same holder, resource and condition, actions that may overlap), which is all a
    question about those losses reads."""

    def __init__(self, grants: Iterable[Grant], types: Mapping[str, str] | None = None,
                 asked: Iterable[Access] | None = None):
        self.old = old = Side(grants)
        wanted: dict[tuple, set[str]] | None = None
        if asked is not None:
            wanted = {}
            for access in asked:
                wanted.setdefault(_place(access), set()).add(access.action)
        self.types = types or {}
        self.ignore = old.deny_keys
        #: (the key of the first grant giving it, the access) for every access taking effect here.
        self.held: list[tuple[tuple, Access]] = []
        self._parts: dict[Access, tuple[list[Access], int]] = {}
        seen: set[Access] = set()
        for grant in old.grants:
            for access in accesses(grant, types):
                if access in seen:
                    continue
                seen.add(access)
                if wanted is not None and not any(
                        _overlaps(a, access.action, False) for a in wanted.get(_place(access), ())):
                    continue
                if not old.denied(access) and old.admitted(access):
                    self.held.append((grant.key, access))

    def parts(self, access: Access) -> tuple[list[Access], int]:
        """The catalog actions of an action pattern not denied here that can apply, and how many
        it has (none for a plain action)."""
        found = self._parts.get(access)
        if found is None:
            parts = _concrete(access)
            found = self._parts[access] = ([p for p in parts if not self.old.denied(p) and (
                p.kind != IDENTITY or _applies(p.action, p.resource, self.types))], len(parts))
        return found

    def lost_in(self, after: Iterable[Grant], fresh: frozenset[str] = frozenset()) -> list[Access]:
        """Every access held here that no longer takes effect in ``after`` (see ``lost_access``)."""
        new = Side(after, fresh)
        lost: list[Access] = []
        for key, access in self.held:
            if new.takes_effect(access, self.ignore, key in new.allow_keys):
                continue
            parts, count = self.parts(access)
            if not count:
                lost.append(access)
                continue
            stopped = [p for p in parts if not new.takes_effect(p, self.ignore)]
            lost.extend(stopped if len(stopped) < count else [access])
        return list(dict.fromkeys(lost))


def lost_access(before: Iterable[Grant], after: Iterable[Grant],
                types: Mapping[str, str] | None = None, fresh: frozenset[str] = frozenset()) -> list[Access]:
    """Every access ``before`` grants that takes effect there and no longer does in ``after``:
    a lost action pattern lost in part is named by the catalog actions it stops. ``fresh``: the
    stack resources only ``after`` has (by logical id); a Deny naming only them (a guard on a new
    topic) takes nothing ``before`` had."""
    return Baseline(before, types).lost_in(after, fresh)


__all__ = ["Access", "Baseline", "Side", "accesses", "effective", "lost_access", "resource_types_of"]
