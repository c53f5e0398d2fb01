"""Every IAM statement an evaluated template creates, one normalised ``Grant`` each.

A grant says who (``principal``) may or may not (``effect``) do what (actions or not-actions)
to what (resources or not-resources) under which ``condition``, and where it came from in the
template. Three kinds:

- ``identity``: a statement in a policy attached to a role, user or group of the stack
  (inline ``Policies``, ``AWS::IAM::RolePolicy``/``UserPolicy``/``GroupPolicy``,
  ``AWS::IAM::Policy``, stack managed policies reached through ``ManagedPolicyArns`` or
  through the policy's own ``Roles``/``Users``/``Groups``); an AWS managed policy is kept as a
  named ``attachment`` and read from the bundled copy (``wizard.iam.managed_policies``), a
  foreign one as a bare name; a stack policy attached to nothing has the principal
  ``UNATTACHED`` and is shown as "attached to none";
- ``resource``: a statement of a resource policy (``wizard.iam.carriers`` lists them: bucket,
  access point, topic, queue, key, log, secret, repository, domain, API, event bus, endpoint
  policies, Lambda and layer permissions), one record per principal it names; ``on`` is the
  protected resource;
- ``trust``: who may assume a role (its ``AssumeRolePolicyDocument``); ``on`` is the role;
- ``boundary``: a statement of a role's or user's permissions boundary (``PermissionsBoundary``:
  a stack managed policy, or an AWS managed one read from the bundled copy, a foreign one kept
  as a bare ``attachment``). A boundary grants nothing: what takes effect for its holder is
  what the identity policies allow *and* the boundary admits, minus every Deny. A stack policy
  used only as a boundary is not "attached to none".

Each grant also carries its actions' access levels, the actions AWS does not define
(``unknown_actions``) and the actions given a resource type they do not accept
(``resource_mismatches``, from ``wizard.iam.resource_types``; a resource of the template
named by ``Ref`` or ``Fn::GetAtt`` is judged by the ARN its type gives, from
``wizard.iam.resource_returns``). A policy document the model
cannot read is never dropped in silence: ``not_analysed`` names it.

Everything downstream (the diff, the live panel, findings, the report) reads these records.
"""

from __future__ import annotations

import json
import weakref
from dataclasses import dataclass, field
from typing import Any, Callable, Iterable

from wizard.iam import actions as iam_actions
from wizard.iam import carriers, managed_policies, resource_returns, resource_types
from wizard.iam.carriers import UnanalysedPolicy
from wizard.cfn.dependencies import Alike
from wizard.cfn.evaluate import Evaluation
from wizard.cfn.yamlsource import LineList

IDENTITY, RESOURCE, TRUST, BOUNDARY = "identity", "resource", "trust", "boundary"

UNATTACHED = ""
"""The principal of a stack managed policy attached to nothing in the stack."""


@dataclass(frozen=True)
class Source:
    """Where a grant comes from: resource, policy, statement index and template line."""

    resource: str
    policy: str | None = None
    statement: int | None = None
    line: int | None = None

    def __str__(self) -> str:
        text = self.resource
        if self.policy:
            text += f"/{self.policy}"
        if self.statement is not None:
            text += f"#{self.statement}"
        return text


@dataclass(frozen=True)
class Grant:
    """One statement for one principal, normalised."""

    principal: str
    kind: str
    source: Source
    effect: str = "Allow"
    actions: tuple[str, ...] = ()
    not_actions: tuple[str, ...] = ()
    resources: tuple[str, ...] = ()
    not_resources: tuple[str, ...] = ()
    condition_json: str = ""
    on: tuple[str, ...] = ()
    attachment: str | None = None
    attachment_known: bool = False
    sid: str | None = None
    access_levels: tuple[str, ...] = ()
    unknown_actions: tuple[str, ...] = ()
    resource_mismatches: tuple[tuple[str, str], ...] = ()
    grants_nothing: bool = False
    key: tuple = field(default=(), compare=False, repr=False)

    @property
    def condition(self) -> dict:
        return json.loads(self.condition_json) if self.condition_json else {}

    @property
    def is_allow(self) -> bool:
        return self.effect == "Allow"

    def to_json(self) -> dict:
        """The record as the ``--json`` output documents it."""
        return {
            "principal": self.principal,
            "kind": self.kind,
            "source": {"resource": self.source.resource, "policy": self.source.policy,
                       "statement": self.source.statement, "line": self.source.line},
            "effect": self.effect,
            "actions": list(self.actions),
            "not_actions": list(self.not_actions),
            "resources": list(self.resources),
            "not_resources": list(self.not_resources),
            "condition": self.condition,
            "on": list(self.on),
            "attachment": self.attachment,
            "attachment_known": self.attachment_known,
            "sid": self.sid,
            "access_levels": list(self.access_levels),
            "unknown_actions": list(self.unknown_actions),
            "resource_mismatches": [{"action": a, "resource": r} for a, r in self.resource_mismatches],
            "grants_nothing": self.grants_nothing,
        }


def _strings(value: Any) -> tuple[str, ...]:
    if value is None:
        return ()
    if isinstance(value, list):
        return tuple(str(v) for v in value if not isinstance(v, (dict, list)))
    if isinstance(value, (dict,)):
        return (json.dumps(value, sort_keys=True),)
    return (str(value),)


#: The statement fields whose values IAM reads as strings (one, or a list of them).
_STRING_FIELDS = ("Action", "NotAction", "Resource", "NotResource")


def _nested(value: Any) -> bool:
    """Whether a list where IAM expects strings holds a list or a mapping (no intrinsic: those are
    evaluated before): IAM refuses such a value, and ``_strings`` cannot read it."""
    return isinstance(value, list) and any(isinstance(v, (dict, list)) for v in value)


def _statements(document: Any) -> list[dict] | None:
    """The statements of a policy document (a mapping or its JSON text); None when unreadable."""
    if isinstance(document, str):
        try:
            document = json.loads(document)
        except json.JSONDecodeError:
            return None
    if not isinstance(document, dict):
        return None
    statements = document.get("Statement")
    if isinstance(statements, dict):
        statements = [statements]
    if not isinstance(statements, list) or not all(isinstance(s, dict) for s in statements):
        return None
    return statements


def principals_of(value: Any) -> tuple[str, ...]:
    """A statement's Principal as ``Type:value`` strings (``*`` for everyone)."""
    if value is None:
        return ()
    if value == "*":
        return ("*",)
    if isinstance(value, dict):
        found = []
        for kind, members in value.items():
            for member in _strings(members):
                found.append(f"{kind}:{member}")
        return tuple(found)
    return tuple(f"AWS:{v}" for v in _strings(value))


def holder_of(token: str) -> str:
    """``${Role.Arn}`` / ``${Role}`` -> ``Role``; anything else unchanged."""
    if token.startswith("${") and token.endswith("}") and ":" not in token:
        return token[2:-1].split(".", 1)[0]
    return token


class _Record:
    """What reading one resource, or one policy document, gave: every grant emitted, in order,
    with its dedupe key (the grant None when something read before had emitted that key), the
    documents it could not read, the resources it resolved and the stack policies it attached."""

    __slots__ = ("emitted", "unreadable", "read", "attached")

    def __init__(self, logical_id: str):
        self.emitted: list[tuple[tuple, Grant | None]] = []
        self.unreadable: list[UnanalysedPolicy] = []
        self.read: set[str] = {logical_id}
        self.attached: set[str] = set()


class _Reading:
    """One evaluation's grants and unread documents, with how each resource gave its share."""

    __slots__ = ("grants", "unreadable", "units", "documents", "context", "attached", "policy_tokens",
                 "holder_name")

    def __init__(self, grants: tuple[Grant, ...], unreadable: tuple[UnanalysedPolicy, ...],
                 units: dict[tuple[str, str], _Record], documents: dict[tuple, _Record], context: tuple[dict, dict],
                 attached: frozenset[str], policy_tokens: dict[str, tuple[str, ...]], holder_name: dict[str, Any]):
        self.grants, self.unreadable, self.units, self.documents = grants, unreadable, units, documents
        self.context, self.attached, self.policy_tokens, self.holder_name = context, attached, policy_tokens, holder_name


class _Extractor:
    def __init__(self, evaluation: Evaluation, like: _Reading | None = None, alike: Alike | None = None):
        self.ev = evaluation
        self.template = evaluation.template
        self.grants: list[Grant] = []
        self.seen: set[tuple] = set()
        self.by_type: dict[str, list[str]] = {}
        self.types: dict[str, str] | None = None
        self.policy_tokens: dict[str, tuple[str, ...]] = {}
        self.holder_name: dict[str, Any] = {}
        alike = alike if like is not None else None
        for logical_id, raw in self.template.resources.items():
            kind = raw.get("Type")
            if kind in carriers.READ_TYPES:
                self.by_type.setdefault(kind, []).append(logical_id)
            if kind == "AWS::IAM::ManagedPolicy":
                if alike is not None and alike(logical_id):
                    self.policy_tokens[logical_id] = like.policy_tokens[logical_id]
                elif evaluation.exists(logical_id):
                    self.policy_tokens[logical_id] = (evaluation.ref_token(logical_id),
                                                      "${" + logical_id + ".PolicyArn}")
                else:
                    self.policy_tokens[logical_id] = ()
            elif kind in carriers.HOLDER_NAMES and carriers.HOLDER_NAMES[kind] in (raw.get("Properties") or {}):
                if alike is not None and alike(logical_id):
                    self.holder_name[logical_id] = like.holder_name[logical_id]
                else:
                    resolved = evaluation.resource(logical_id)
                    self.holder_name[logical_id] = (resolved or {}).get("Properties", {}).get(
                        carriers.HOLDER_NAMES[kind])
        self.stack_policies = {token: logical_id for logical_id, tokens in self.policy_tokens.items()
                               for token in tokens}
        self.holder_names = {name: logical_id for logical_id, name in self.holder_name.items()
                             if isinstance(name, str)}
        # Another evaluation's reading is taken over only where both see the same stack policies
        # and holder names: what a resource's statements name depends on them.
        same = like is not None and like.context == (self.stack_policies, self.holder_names)
        self.like = like if same else None
        self.alike = alike
        self.units: dict[tuple[str, str], _Record] = {}
        self.documents: dict[tuple, _Record] = {}
        self.recording: list[_Record] = []
        self.attached: set[str] = set()
        self.unreadable: list[UnanalysedPolicy] = []

    def reading(self) -> _Reading:
        self.holders()
        self.policies()
        self.unattached()
        self.resource_policies()
        return _Reading(tuple(self.grants), tuple(self.unreadable), self.units, self.documents,
                        (self.stack_policies, self.holder_names), frozenset(self.attached),
                        self.policy_tokens, self.holder_name)

    # -- one resource at a time ----------------------------------------------------------

    def unit(self, phase: str, logical_id: str, read: Callable[[str], None], same: bool = True) -> None:
        """Read one resource's share, or take it over from the other reading when every
        resource it resolved resolves alike here (and ``same``) and its grants are still new."""
        key = (phase, logical_id)
        old = self.like.units.get(key) if self.like is not None and same else None
        if old is not None and all(map(self.alike, old.read)) and self._replay(old):
            self.units[key] = old
            return
        self.units[key] = self._recorded(logical_id, lambda: read(logical_id))

    def _recorded(self, logical_id: str, read: Callable[[], None]) -> _Record:
        record = _Record(logical_id)
        self.recording.append(record)
        try:
            read()
        finally:
            self.recording.pop()
        return record

    def _replay(self, old: _Record) -> bool:
        """Emit what ``old`` recorded, deduplicated against what this reading has emitted; False
        (and nothing emitted) when a grant it skipped as already emitted is new here."""
        new: set[tuple] = set()
        for dedupe, grant in old.emitted:
            if dedupe in self.seen or dedupe in new:
                continue
            if grant is None:  # something read before had it there and no longer does here
                return False
            new.add(dedupe)
        for dedupe, grant in old.emitted:
            if dedupe in self.seen:
                self._emit(dedupe, None)
            else:
                self.seen.add(dedupe)
                self._emit(dedupe, grant)
        for item in old.unreadable:
            self._unread(item)
        for logical_id in old.attached:
            self._attached(logical_id)
        for record in self.recording:
            record.read |= old.read
        return True

    def _emit(self, dedupe: tuple, grant: Grant | None) -> None:
        for record in self.recording:
            record.emitted.append((dedupe, grant))
        if grant is not None:
            self.grants.append(grant)

    def _unread(self, item: UnanalysedPolicy) -> None:
        self.unreadable.append(item)
        for record in self.recording:
            record.unreadable.append(item)

    def _attached(self, logical_id: str) -> None:
        self.attached.add(logical_id)
        for record in self.recording:
            record.attached.add(logical_id)

    def resolve(self, logical_id: str) -> dict | None:
        for record in self.recording:
            record.read.add(logical_id)
        return self.ev.resource(logical_id)

    def ids(self, *types: str, holding: dict[str, str] | None = None) -> list[str]:
        """The resources of these types, in template order; with ``holding`` (type -> property),
        only those whose raw properties may hold that property."""
        ids = [i for t in types for i in self.by_type.get(t, ())
               if holding is None or self._may_hold(i, holding[t])]
        if len(types) > 1:
            order = {logical_id: n for n, logical_id in enumerate(self.template.resources)}
            ids.sort(key=order.__getitem__)
        return ids

    def _may_hold(self, logical_id: str, name: str) -> bool:
        properties = self.template.resources[logical_id].get("Properties")
        return not isinstance(properties, dict) or name in properties or (
            len(properties) == 1 and next(iter(properties)).startswith("Fn::"))

    # -- statements ----------------------------------------------------------------------

    def add(self, principal: str, kind: str, statement: dict, source: Source, on: tuple[str, ...] = ()) -> None:
        dedupe = (principal, kind, source.resource, source.policy, source.statement, on)
        if dedupe in self.seen:
            self._emit(dedupe, None)
            return
        self.seen.add(dedupe)
        effect = str(statement.get("Effect", "Allow"))
        acts = _strings(statement.get("Action"))
        not_acts = _strings(statement.get("NotAction"))
        res = _strings(statement.get("Resource"))
        not_res = _strings(statement.get("NotResource"))
        condition = statement.get("Condition")
        condition_json = json.dumps(condition, sort_keys=True, default=str) if condition else ""
        if not_acts:
            levels = iam_actions.ACCESS_LEVELS
            unknown: tuple[str, ...] = ()
        else:
            levels, unknown = iam_actions.summary(acts)
        mismatched = resource_types.mismatches(acts, res, self.shapes(res)) if acts and res else ()
        nothing = effect == "Allow" and (
            "*" in not_res or "*" in not_acts or (not acts and not not_acts)
            or (kind in (IDENTITY, BOUNDARY) and not res and not not_res))
        grant = Grant(principal=principal, kind=kind, source=source, effect=effect, actions=acts,
                      not_actions=not_acts, resources=res, not_resources=not_res,
                      condition_json=condition_json, on=on, sid=statement.get("Sid") or None,
                      access_levels=tuple(levels), unknown_actions=tuple(unknown),
                      resource_mismatches=mismatched, grants_nothing=nothing)
        object.__setattr__(grant, "key", (kind, principal, on, effect, acts, not_acts, res, not_res,
                                          condition_json, None))
        self._emit(dedupe, grant)

    def shapes(self, resources: tuple[str, ...]) -> tuple[str, ...] | None:
        """The resources with each ``Ref``/``Fn::GetAtt`` of the template's resources in the
        form of what it returns; None when none names one."""
        if not any("${" in r for r in resources):
            return None
        types = self.types
        if types is None:
            types = self.types = {i: str(raw.get("Type")) for i, raw in self.template.resources.items()}
        return tuple(resource_returns.pattern(r, types) for r in resources)

    def attach(self, principal: str, arn: str, source: Source, kind: str = IDENTITY) -> None:
        dedupe = (principal, "attachment", arn, kind)
        if dedupe in self.seen:
            self._emit(dedupe, None)
            return
        self.seen.add(dedupe)
        statements = managed_policies.statements(arn)
        grant = Grant(principal=principal, kind=kind, source=source, attachment=arn,
                      attachment_known=statements is not None)
        object.__setattr__(grant, "key", (kind, principal, (), "Allow", (), (), (), (), "", arn))
        self._emit(dedupe, grant)
        for index, statement in enumerate(statements or ()):
            self.add(principal, kind, statement, Source(source.resource, arn.rsplit("/", 1)[-1], index,
                                                        source.line))

    def document(self, principal: str, kind: str, document: Any, resource: str, policy: str | None,
                 path: tuple, on: tuple[str, ...] = ()) -> None:
        """Read one policy document of ``resource`` (at ``path``) for ``principal``, or take its
        statements over from the other reading when ``resource`` resolves alike."""
        key = (principal, kind, resource, policy, path, on)
        old = self.like.documents.get(key) if self.like is not None else None
        if old is not None and self.alike(resource) and self._replay(old):
            self.documents[key] = old
            return
        self.documents[key] = self._recorded(resource, lambda: self._statements(
            principal, kind, document, resource, policy, path, on))

    def _statements(self, principal: str, kind: str, document: Any, resource: str, policy: str | None,
                    path: tuple, on: tuple[str, ...]) -> None:
        raw = self.template.node_at("Resources", resource, *path, "Statement")
        lines = raw.item_lines if isinstance(raw, LineList) else []
        fallback = None if lines else self.template.line_of("Resources", resource, *path)
        statements = _statements(document)
        if statements is None:
            self._unread(UnanalysedPolicy(
                resource, str(self.template.resources[resource].get("Type")), "/".join(map(str, path[1:])),
                self.template.line_of("Resources", resource, *path), "not a readable policy document"))
            return
        for index, statement in enumerate(statements):
            source = Source(resource, policy, index, lines[index] if index < len(lines) else fallback)
            unread = [f for f in _STRING_FIELDS if _nested(statement.get(f))]
            if unread:
                self._unread(UnanalysedPolicy(
                    resource, str(self.template.resources[resource].get("Type")),
                    "/".join(map(str, (*path[1:], "Statement", index, unread[0]))), source.line,
                    f"{unread[0]} holds a list or mapping where IAM expects a string; "
                    "the statement is read without it"))
            if kind in (IDENTITY, BOUNDARY):
                self.add(principal, kind, statement, source, on)
            else:
                for member in principals_of(statement.get("Principal")) or ("*",):
                    self.add(member, kind, statement, source, on)

    def holder(self, member: str) -> str:
        """The stack logical id a ``Roles``/``RoleName`` entry names, or the entry itself."""
        principal = holder_of(member)
        return self.holder_names.get(principal, principal)

    def managed_policy(self, principal: str, logical_id: str, kind: str = IDENTITY) -> None:
        policy = self.resolve(logical_id)
        if policy is None:
            return
        self._attached(logical_id)
        properties = policy.get("Properties") or {}
        name = properties.get("ManagedPolicyName") or logical_id
        self.document(principal, kind, properties.get("PolicyDocument"), logical_id, str(name),
                      ("Properties", "PolicyDocument"))

    # -- the template, kind by kind -------------------------------------------------------

    def holders(self) -> None:
        for logical_id in self.ids(*carriers.HOLDERS):
            self.unit("holder", logical_id, self._holder)

    def _holder(self, logical_id: str) -> None:
        resource = self.resolve(logical_id)
        if resource is None:
            return
        properties = resource.get("Properties") or {}
        for index, policy in enumerate(properties.get("Policies") or []):
            if isinstance(policy, dict):
                self.document(logical_id, IDENTITY, policy.get("PolicyDocument"), logical_id,
                              str(policy.get("PolicyName", index)),
                              ("Properties", "Policies", index, "PolicyDocument"))
        arns = properties.get("ManagedPolicyArns")
        if _nested(arns):
            self._unread(UnanalysedPolicy(
                logical_id, str(resource["Type"]), "ManagedPolicyArns",
                self.template.line_of("Resources", logical_id, "Properties", "ManagedPolicyArns"),
                "holds a list or mapping where IAM expects a policy ARN; the policies it would "
                "attach are not read"))
        for arn in _strings(arns):
            self.attachment(logical_id, arn, Source(logical_id, "ManagedPolicyArns", None,
                                                    self.template.line_of("Resources", logical_id,
                                                                          "Properties", "ManagedPolicyArns")))
        if resource["Type"] == "AWS::IAM::Role":
            self.document("", TRUST, properties.get("AssumeRolePolicyDocument"), logical_id,
                          "AssumeRolePolicyDocument", ("Properties", "AssumeRolePolicyDocument"),
                          on=(logical_id,))
        boundary = properties.get("PermissionsBoundary")
        if isinstance(boundary, str) and boundary:
            self.boundary(logical_id, boundary)

    def boundary(self, principal: str, arn: str) -> None:
        """The statements of ``principal``'s permissions boundary, as ``boundary`` grants."""
        stack_policy = self.stack_policies.get(arn)
        if stack_policy is not None:
            self.managed_policy(principal, stack_policy, BOUNDARY)
        else:
            self.attach(principal, arn, Source(principal, "PermissionsBoundary", None, self.template.line_of(
                "Resources", principal, "Properties", "PermissionsBoundary")), BOUNDARY)

    def attachment(self, principal: str, arn: str, source: Source) -> None:
        stack_policy = self.stack_policies.get(arn)
        if stack_policy is not None:
            self.managed_policy(principal, stack_policy)
        else:
            self.attach(principal, arn, source)

    def policies(self) -> None:
        for logical_id in self.ids("AWS::IAM::ManagedPolicy", "AWS::IAM::Policy"):
            self.unit("policy", logical_id, self._policy)
        for logical_id in self.ids(*carriers.INLINE_POLICIES):
            self.unit("inline", logical_id, self._inline_policy)

    def _policy(self, logical_id: str) -> None:
        resource = self.resolve(logical_id)
        if resource is None:
            return
        properties = resource.get("Properties") or {}
        members = [m for f in ("Roles", "Users", "Groups") for m in _strings(properties.get(f))]
        if not members and resource["Type"] == "AWS::IAM::Policy":
            self.document(UNATTACHED, IDENTITY, properties.get("PolicyDocument"), logical_id,
                          str(properties.get("PolicyName", logical_id)), ("Properties", "PolicyDocument"))
        for field_name in ("Roles", "Users", "Groups"):
            for member in _strings(properties.get(field_name)):
                principal = self.holder(member)
                if resource["Type"] == "AWS::IAM::ManagedPolicy":
                    self.managed_policy(principal, logical_id)
                else:
                    self.document(principal, IDENTITY, properties.get("PolicyDocument"), logical_id,
                                  str(properties.get("PolicyName", logical_id)),
                                  ("Properties", "PolicyDocument"))

    def _inline_policy(self, logical_id: str) -> None:
        resource = self.resolve(logical_id)
        if resource is None:
            return
        properties = resource.get("Properties") or {}
        for member in _strings(properties.get(carriers.INLINE_POLICIES[resource["Type"]])):
            self.document(self.holder(member), IDENTITY, properties.get("PolicyDocument"), logical_id,
                          str(properties.get("PolicyName", logical_id)), ("Properties", "PolicyDocument"))

    def unattached(self) -> None:
        """Stack managed policies attached to nothing here (exported for another stack, say)."""
        for logical_id in dict.fromkeys(self.stack_policies.values()):
            same = self.like is not None and (logical_id in self.attached) == (logical_id in self.like.attached)
            self.unit("unattached", logical_id, self._unattached, same)

    def _unattached(self, logical_id: str) -> None:
        if logical_id not in self.attached:
            self.managed_policy(UNATTACHED, logical_id)

    def resource_policies(self) -> None:
        documents = {kind: carrier.document[0] for kind, carrier in carriers.RESOURCE_CARRIERS.items()}
        for logical_id in self.ids(*carriers.RESOURCE_CARRIERS, holding=documents):
            self.unit("resource", logical_id, self._resource_policy)
        for logical_id in self.ids("AWS::Events::EventBusPolicy"):
            self.unit("event-bus", logical_id, self._event_bus_policy)
        for logical_id in self.ids(*_READERS):
            self.unit("permission", logical_id, self._permission)

    def _resource_policy(self, logical_id: str) -> None:
        resource = self.resolve(logical_id)
        if resource is None:
            return
        carrier = carriers.RESOURCE_CARRIERS[resource["Type"]]
        properties = resource.get("Properties") or {}
        document = carriers.document_at(properties, carrier.document)
        if document is None:
            return
        on = (_strings(properties.get(carrier.target)) if carrier.target else ()) \
            or ((carrier.default_target,) if carrier.default_target else (carriers.self_token(logical_id),))
        self.document("", RESOURCE, document, logical_id, carrier.document[-1],
                      ("Properties", *carrier.document), on=on)

    def _event_bus_policy(self, logical_id: str) -> None:
        resource = self.resolve(logical_id)
        if resource is None:
            return
        document, on = carriers.event_bus_policy(resource.get("Properties") or {})
        self.document("", RESOURCE, document, logical_id, "EventBusPolicy", ("Properties", "Statement"), on=on)

    def _permission(self, logical_id: str) -> None:
        resource = self.resolve(logical_id)
        if resource is None:
            return
        principal, statement, on = _READERS[resource["Type"]](resource.get("Properties") or {})
        source = Source(logical_id, "Permission", None, self.template.line_of("Resources", logical_id))
        self.add(principal, RESOURCE, statement, source, on=on)


_READERS = {"AWS::Lambda::Permission": carriers.lambda_permission,
            "AWS::Lambda::LayerVersionPermission": carriers.layer_permission}

_READINGS: "weakref.WeakKeyDictionary[Evaluation, _Reading]" = weakref.WeakKeyDictionary()


def _reading(evaluation: Evaluation) -> _Reading:
    found = _READINGS.get(evaluation)
    if found is None:
        taken = evaluation.taken_over()
        if taken is not None:
            found = _Extractor(evaluation, _reading(taken[0]), taken[1]).reading()
        else:
            found = _Extractor(evaluation).reading()
        _READINGS[evaluation] = found
    return found


def extract(evaluation: Evaluation) -> list[Grant]:
    """Every grant the evaluated template creates, in template order. An evaluation made like
    another (``wizard.cfn.evaluate``) takes over what the other read from each resource that
    resolves alike in both (``wizard.cfn.dependencies``) instead of reading it again, with the
    same result."""
    return list(_reading(evaluation).grants)


def not_analysed(evaluation: Evaluation) -> list[UnanalysedPolicy]:
    """Policy documents the grants do not cover: in types the model does not read, or unreadable."""
    # A managed policy read as a holder's attachment and as itself is one document: named once.
    return list(dict.fromkeys(carriers.unread_documents(evaluation) + list(_reading(evaluation).unreadable)))


def by_principal(grants: Iterable[Grant]) -> dict[str, list[Grant]]:
    """Grants grouped by who they are for (the assumed role for trust, the resource for policies)."""
    groups: dict[str, list[Grant]] = {}
    for grant in grants:
        groups.setdefault(display_principal(grant), []).append(grant)
    return groups


def display_principal(grant: Grant) -> str:
    """How a person reads the grant's holder: a role's logical id, or ``principal -> resource``."""
    if grant.kind == IDENTITY:
        return grant.principal if grant.principal != UNATTACHED else f"{grant.source.resource} (attached to none)"
    if grant.kind == BOUNDARY:
        return f"{grant.principal} (boundary)"
    target = ", ".join(holder_of(t) for t in grant.on) or "?"
    return f"{target} ({'trusts' if grant.kind == TRUST else 'policy'})"
