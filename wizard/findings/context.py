"""What every rule reads: the evaluation, its grants and network rules, and indexes over them.

Rules ask the same questions again and again (which Allow statements does this role hold,
may it do ``iam:PassRole`` on that role, which policies are attached to it, what is that
role's ARN). ``RuleContext`` answers them from indexes built once per evaluation (the
principals naming an action, found among the statements of the action's own service; the
statements a principal holds for an action) and remembers each answer of ``can``, so that
thirty rules together stay well inside the time the review screen has, on a large template too.

A stack resource's ARN is often unknown until deployment (CloudFormation makes up the name),
so a ``Target`` carries both the symbolic tokens a template uses for it (``${Role.Arn}``) and
an ARN *pattern* built from what is known (path, name or the generated ``stack-Logical-*``):
a grant reaches the target when it names one of the tokens or when its resource pattern
covers the whole ARN pattern. Actions compare case-insensitively, ARNs case-sensitively.

What takes effect for a principal is what its identity policies allow *and* its permissions
boundary (if it has one the model can read) admits, minus every unconditional Deny of either:
``can`` answers that. ``holding_boundaries`` gives the context in which some principals hold
their whole boundary: what they may come to hold when their policies are rewritten at run time
(a rewritten policy can say anything, the boundary still caps it). It takes over what the change
leaves true: what the evaluation alone decides, the Denies, trusts and boundaries, and the
answers about every other principal.
"""

from __future__ import annotations

import copy
import re
from dataclasses import dataclass, field
from functools import cached_property
from typing import Iterable
from wizard.arns import parse_arn
from wizard.iam.wildcards import matcher, pattern_covers
from wizard.cfn.evaluate import Evaluation
from wizard.iam.grants import BOUNDARY, IDENTITY, TRUST, Grant, holder_of
from wizard.iam.network import NetworkRule
from wizard.memo import memo

_UNRESTRICTED_TAIL = re.compile(r"[A-Za-z0-9_.-]+[/:]\*")
#: What a context holding some principals' boundaries (``holding_boundaries``) shares with the
#: context it was derived from: what the evaluation alone decides, and the statements the
#: derivation leaves as they are (it replaces identity Allows only).
_SAME_IN_DERIVED = ("holders", "_holders_by_arn", "stack_policies", "_policy_arns", "denies", "trusts",
                    "boundaries")


@dataclass(frozen=True)
class Target:
    """A resource as policies can name it: exact tokens, and an ARN or ARN pattern."""

    tokens: frozenset[str]
    arn: str = ""

    def matched_by(self, pattern: str) -> bool:
        """Whether a policy's resource pattern certainly names this resource."""
        if pattern in self.tokens:
            return True
        if "${" in pattern or not self.arn:
            return False
        return pattern_covers(pattern, self.arn, case_sensitive=True)


@dataclass(frozen=True)
class PolicyRef:
    """A managed policy attached to a principal: its ARN, logical id (if in the stack), line."""

    arn: str
    logical_id: str | None
    line: int | None
    target: Target


@dataclass
class Holder:
    """A role, user or group of the stack, with its ARN and attached managed policies."""

    logical_id: str
    type: str
    target: Target
    line: int | None
    attached: dict[str, PolicyRef] = field(default_factory=dict)
    boundary: str | None = None

    @property
    def kind(self) -> str:
        return self.type.rsplit("::", 1)[-1].lower()


def is_unrestricted(resource: str) -> bool:
    """``*`` or an ARN whose resource part is ``*``, ``role/*``, ``function:*`` ..."""
    if resource == "*":
        return True
    if "${" in resource:
        return False
    arn = parse_arn(resource)
    if arn is None:
        return False
    tail = arn.resource
    return tail == "*" or _UNRESTRICTED_TAIL.fullmatch(tail) is not None


def is_full_admin(grant: Grant) -> bool:
    """An Allow of ``*`` on ``*`` (or on everything but a list of exceptions)."""
    return (grant.is_allow and not grant.not_actions and "*" in grant.actions
            and ("*" in grant.resources or bool(grant.not_resources and "*" not in grant.not_resources)))


def allows_action(grant: Grant, action: str) -> bool:
    """Whether an Allow/Deny statement's Action (or NotAction) takes in ``action``."""
    if grant.not_actions:
        return not _names(grant.not_actions, action)
    return _names(grant.actions, action)


def _takes_in(actions: tuple[str, ...], not_actions: tuple[str, ...], action: str) -> bool:
    """``allows_action`` for a statement's (Action, NotAction) alone."""
    return not _names(not_actions, action) if not_actions else _names(actions, action)


@memo(maxsize=8192)
def _services_named(statement: tuple[tuple[str, ...], tuple[str, ...]]) -> frozenset[str]:
    """The lowercased services whose actions a statement's (Action, NotAction) may name, ``""``
    standing for any service."""
    actions, not_actions = statement
    if not_actions:
        return frozenset({""})
    found = set()
    for pattern in actions:
        service, colon, _name = pattern.partition(":")
        found.add(service.lower() if colon and "*" not in service and "?" not in service else "")
    return frozenset(found)


@memo(maxsize=65536)
def _names(patterns: tuple[str, ...], action: str) -> bool:
    """Whether one of the patterns matches ``action``, remembered: the same few lists of
    patterns are asked about the same actions for every principal and statement."""
    exact, wildcards = _by_wildcard(patterns)
    action = action.lower()
    return action in exact or any(matches(action) for matches in wildcards)


@memo(maxsize=8192)
def _by_wildcard(patterns: tuple[str, ...]) -> tuple[frozenset[str], tuple]:
    """(the patterns without a wildcard, a matcher for each other one), lowercased as actions
    compare: a long list of actions is looked up, not matched one pattern at a time."""
    lowered = [pattern.lower() for pattern in patterns]
    exact = frozenset(p for p in lowered if "*" not in p and "?" not in p)
    return exact, tuple(matcher(p) for p in lowered if p not in exact)


def _by_service(allows: Iterable[tuple[str, Iterable[Grant]]]) -> dict[str, dict[tuple, set[str]]]:
    """(principal, Allow statements) pairs as ``RuleContext._statements_by_service`` keeps them."""
    found: dict[str, dict[tuple, set[str]]] = {}
    for principal, grants in allows:
        for grant in grants:
            key = (grant.actions, grant.not_actions)
            for service in _services_named(key):
                found.setdefault(service, {}).setdefault(key, set()).add(principal)
    return found


def _naming(by_service: dict[str, dict[tuple, set[str]]], action: str) -> frozenset[str]:
    """The principals of an index by service holding a statement that names ``action``."""
    service, colon, _name = action.partition(":")
    candidates = (by_service.get(service.lower(), {}) | by_service.get("", {})) if colon else \
        {key: holders for statements in by_service.values() for key, holders in statements.items()}
    return frozenset().union(*(holders for (actions, not_actions), holders in candidates.items()
                               if _takes_in(actions, not_actions, action)))


def reaches(grant: Grant, target: Target) -> bool:
    """Whether the statement's Resource (or NotResource) takes in the target."""
    if grant.not_resources:
        return not any(target.matched_by(pattern) for pattern in grant.not_resources)
    return any(target.matched_by(pattern) for pattern in grant.resources)


class RuleContext:
    """One evaluation's grants and network rules, indexed for the rules."""

    def __init__(self, evaluation: Evaluation, grants: list[Grant], rules: list[NetworkRule]):
        self.evaluation = evaluation
        self.grants = grants
        self.rules = rules
        self.pseudo = evaluation.pseudo
        self.template = evaluation.template

    # -- grants -------------------------------------------------------------------------

    @cached_property
    def allows(self) -> dict[str, list[Grant]]:
        """Identity Allow statements that grant something, by principal."""
        found: dict[str, list[Grant]] = {}
        for grant in self.grants:
            if grant.kind == IDENTITY and grant.is_allow and not grant.attachment and not grant.grants_nothing:
                found.setdefault(grant.principal, []).append(grant)
        return found

    @cached_property
    def full_admins(self) -> dict[str, Grant]:
        """Principals with an Allow of every action on every resource, and that statement."""
        found = {}
        for principal, grants in self.allows.items():
            for grant in grants:
                if is_full_admin(grant):
                    found.setdefault(principal, grant)
        return found

    @cached_property
    def _aws_managed(self) -> frozenset[tuple[str, str]]:
        """(principal, policy name) of every AWS managed policy attachment."""
        return frozenset((g.principal, g.attachment.rsplit("/", 1)[-1]) for g in self.grants
                         if g.attachment and ":iam::aws:policy/" in g.attachment)

    def is_aws_managed(self, grant: Grant) -> bool:
        """Whether a statement comes from an AWS managed policy (its text is AWS's, not the template's)."""
        return (grant.source.resource == grant.principal and grant.source.statement is not None
                and (grant.principal, grant.source.policy) in self._aws_managed)

    def statement_key(self, grant: Grant) -> tuple:
        """What identifies the statement a grant was made from, whoever holds it."""
        if self.is_aws_managed(grant):
            return ("aws", grant.source.policy, grant.source.statement)
        return (grant.source.resource, grant.source.policy, grant.source.statement)

    @cached_property
    def statements(self) -> list[list[Grant]]:
        """Identity Allow statements that grant something, each with every holder's grant."""
        grouped: dict[tuple, list[Grant]] = {}
        for grants in self.allows.values():
            for grant in grants:
                grouped.setdefault(self.statement_key(grant), []).append(grant)
        return sorted(grouped.values(), key=lambda group: (group[0].source.line or 0, group[0].source.resource))

    @cached_property
    def denies(self) -> dict[str, list[Grant]]:
        """Identity Deny statements, by principal."""
        found: dict[str, list[Grant]] = {}
        for grant in self.grants:
            if grant.kind == IDENTITY and not grant.is_allow and not grant.attachment:
                found.setdefault(grant.principal, []).append(grant)
        return found

    @cached_property
    def trusts(self) -> dict[str, list[Grant]]:
        """Trust-policy Allow statements, by the role they let others assume."""
        found: dict[str, list[Grant]] = {}
        for grant in self.grants:
            if grant.kind == TRUST and grant.is_allow and grant.on:
                found.setdefault(grant.on[0], []).append(grant)
        return found

    def can(self, principal: str, action: str, target: Target | None = None) -> tuple[Grant, ...]:
        """The principal's Allow statements that permit ``action`` (on ``target``, if given).

        Empty when none does, when an unconditional Deny of the principal's covers it, or when
        the principal's permissions boundary does not admit it.
        """
        key = (principal, action, target)
        found = self._can_cache.get(key)
        if found is None:
            found = self._can_cache[key] = self._can(principal, action, target)
        return found

    def _can(self, principal: str, action: str, target: Target | None) -> tuple[Grant, ...]:
        allowing, denying = self._for_action(principal, action)
        if not allowing:
            return ()
        found = allowing if target is None else tuple(g for g in allowing if reaches(g, target))
        if found and any(target is None or reaches(d, target) for d in denying):
            return ()
        if found and principal in self.boundaries and not self.admits(principal, action, target):
            return ()
        return found

    @cached_property
    def _can_cache(self) -> dict[tuple[str, str, Target | None], tuple[Grant, ...]]:
        """``can``'s answers: the escalation search asks the same principal about the same
        action on the same policy once for every role the policy is attached to."""
        return {}

    @cached_property
    def boundaries(self) -> dict[str, tuple[tuple[Grant, ...], tuple[Grant, ...]]]:
        """(Allow, Deny) statements of each principal's permissions boundary. A principal whose
        boundary the model cannot read (a policy of another account) is left out: its identity
        policies are taken as they are."""
        found: dict[str, tuple[list[Grant], list[Grant]]] = {}
        unreadable = set()
        for grant in self.grants:
            if grant.kind != BOUNDARY:
                continue
            if grant.attachment:
                if not grant.attachment_known:
                    unreadable.add(grant.principal)
                continue
            allows, denies = found.setdefault(grant.principal, ([], []))
            if not grant.is_allow:
                denies.append(grant)
            elif not grant.grants_nothing:
                allows.append(grant)
        return {p: (tuple(a), tuple(d)) for p, (a, d) in found.items() if p not in unreadable}

    def admits(self, principal: str, action: str, target: Target | None = None) -> tuple[Grant, ...]:
        """The statements of the principal's permissions boundary that admit ``action`` (on
        ``target``, if given); empty when an unconditional Deny of the boundary covers it."""
        allows, denies = self.boundaries.get(principal, ((), ()))
        found = tuple(g for g in allows if allows_action(g, action) and (target is None or reaches(g, target)))
        if found and any(not d.condition_json and allows_action(d, action) and (target is None or reaches(d, target))
                         for d in denies):
            return ()
        return found

    def holding_boundaries(self, principals: frozenset[str]) -> "RuleContext":
        """This context as it would be if each of ``principals`` held everything its permissions
        boundary admits (its identity Allows replaced by the boundary's): what a principal whose
        policies can be rewritten may come to hold."""
        held = [self._as_identity(g) for g in self.grants
                if g.kind == BOUNDARY and g.principal in principals and not g.attachment and g.is_allow]
        kept = [g for g in self.grants
                if not (g.kind == IDENTITY and g.is_allow and g.principal in principals)]
        context = self._with_grants(kept + held)
        self._hand_on(context, principals)
        return context

    def _with_grants(self, grants: list[Grant]) -> "RuleContext":
        """A context of the same evaluation and network rules, with these grants."""
        context = RuleContext(self.evaluation, grants, self.rules)
        context.frameworks = getattr(self, "frameworks", ())
        return context

    def _as_identity(self, grant: Grant) -> Grant:
        """A boundary statement as an identity statement (one copy of each, whichever set of
        principals comes to hold its boundary)."""
        copies = self.__dict__.setdefault("_identity_copies", {})
        found = copies.get(id(grant))
        if found is None:
            # the statement copied field for field with its kind changed, as ``dataclasses.replace``
            # makes it, without running ``__init__`` over every field of every boundary statement
            found = copies[id(grant)] = copy.copy(grant)
            object.__setattr__(found, "kind", IDENTITY)
        return found

    def _hand_on(self, derived: "RuleContext", changed: frozenset[str]) -> None:
        """Give ``derived`` (this context with the identity Allows of ``changed`` replaced) what
        stays true there: what the evaluation alone decides, the statements it does not change
        (Denies, boundaries, trusts and the copies of boundary statements), what the other
        principals may do, and which of them name an action (``principals_naming`` asks again
        about ``changed`` only)."""
        mine = self.__dict__
        for name in _SAME_IN_DERIVED:
            if name in mine:
                derived.__dict__[name] = mine[name]
        derived.__dict__["_identity_copies"] = mine.setdefault("_identity_copies", {})
        derived.__dict__["_derived_from"] = (self, changed)
        derived.__dict__["_action_cache"] = {k: v for k, v in self._action_cache.items() if k[0] not in changed}
        derived.__dict__["_can_cache"] = {k: v for k, v in self._can_cache.items() if k[0] not in changed}

    def _for_action(self, principal: str, action: str) -> tuple[tuple[Grant, ...], tuple[Grant, ...]]:
        """(Allow statements, unconditional Deny statements) of a principal naming ``action``."""
        key = (principal, action)
        cached = self._action_cache.get(key)
        if cached is None:
            allowing = tuple(g for g in self.allows.get(principal, ()) if allows_action(g, action))
            denying = tuple(d for d in self.denies.get(principal, ())
                            if not d.condition_json and allows_action(d, action)) if allowing else ()
            cached = self._action_cache[key] = (allowing, denying)
        return cached

    @cached_property
    def _action_cache(self) -> dict[tuple[str, str], tuple[tuple[Grant, ...], tuple[Grant, ...]]]:
        return {}

    def principals_naming(self, action: str) -> frozenset[str]:
        """The principals with an Allow statement naming ``action``: the only ones ``can`` may
        answer for (an index from actions to principals, built once per action)."""
        found = self._principals_cache.get(action)
        if found is None:
            derived = self.__dict__.get("_derived_from")
            if derived is None:
                found = _naming(self._statements_by_service, action)
            else:  # the context this one comes from knows the others
                parent, changed = derived
                found = (parent.principals_naming(action) - changed) | _naming(self._changed_statements, action)
            self._principals_cache[action] = found
        return found

    @cached_property
    def _statements_by_service(self) -> dict[str, dict[tuple[tuple[str, ...], tuple[str, ...]], set[str]]]:
        """The principals holding an Allow statement, by its (Action, NotAction), under each
        service its actions name (lowercased; ``""`` for a statement that may name an action of
        any service: a NotAction, or a pattern whose service part has a wildcard or that has no
        service part). Many principals hold statements of the same few policies, and an action
        is matched against the statements of its own service only."""
        return _by_service(self.allows.items())

    @cached_property
    def _changed_statements(self) -> dict[str, dict[tuple[tuple[str, ...], tuple[str, ...]], set[str]]]:
        """``_statements_by_service`` of the principals whose Allows a derived context changed
        (none in a context derived from no other)."""
        _parent, changed = self.__dict__.get("_derived_from", (None, ()))
        return _by_service((p, self.allows[p]) for p in changed if p in self.allows)

    @cached_property
    def _principals_cache(self) -> dict[str, frozenset[str]]:
        return {}

    # -- principals and their ARNs ------------------------------------------------------

    def arn(self, service: str, resource: str, *, region: bool = True) -> str:
        """``arn:<partition>:<service>:<region>:<account>:<resource>`` for this evaluation."""
        where = self.pseudo.region if region else ""
        return f"arn:{self.pseudo.partition}:{service}:{where}:{self.pseudo.account_id}:{resource}"

    def generated_name(self, logical_id: str) -> str:
        """The name pattern CloudFormation gives a resource without an explicit name."""
        return f"{self.pseudo.stack_name}-{logical_id}-*"

    @cached_property
    def holders(self) -> dict[str, Holder]:
        """Every role, user and group of the stack, with ARN and attached policies."""
        ev = self.evaluation
        found: dict[str, Holder] = {}
        kinds = {"AWS::IAM::Role": ("role", "RoleName"), "AWS::IAM::User": ("user", "UserName"),
                 "AWS::IAM::Group": ("group", "GroupName")}
        for logical_id, resource in ev.resources(*kinds).items():
            kind, name_key = kinds[resource["Type"]]
            properties = resource.get("Properties") or {}
            path = properties.get("Path", "/")
            path = path if isinstance(path, str) else "/"
            name = properties.get(name_key)
            name = name if isinstance(name, str) else self.generated_name(logical_id)
            target = Target(frozenset({"${" + logical_id + ".Arn}"}),
                            self.arn("iam", f"{kind}{path}{name}", region=False))
            boundary = properties.get("PermissionsBoundary")
            holder = Holder(logical_id, resource["Type"], target,
                            self.template.line_of("Resources", logical_id),
                            boundary=str(boundary) if boundary else None)
            arns = properties.get("ManagedPolicyArns") or []
            arns = [arn for arn in arns if isinstance(arn, str)] if isinstance(arns, list) else []
            line = self.template.line_of("Resources", logical_id, "Properties", "ManagedPolicyArns") if arns else None
            for arn in arns:
                holder.attached[arn] = self.policy_ref(arn, line)
            found[logical_id] = holder
        for logical_id, policy in ev.resources("AWS::IAM::ManagedPolicy").items():
            properties = policy.get("Properties") or {}
            arn = self._policy_arns[logical_id]
            for key in ("Roles", "Users", "Groups"):
                members = properties.get(key) or []
                for member in members if isinstance(members, list) else []:
                    holder = found.get(holder_of(str(member)))
                    if holder is not None:
                        holder.attached.setdefault(arn, self.policy_ref(
                            arn, self.template.line_of("Resources", logical_id, "Properties", key)))
        return found

    @cached_property
    def stack_policies(self) -> dict[str, str]:
        """Stack managed policy ARN (as ``Ref`` gives it) -> logical id."""
        return {arn: logical_id for logical_id, arn in self._policy_arns.items()}

    @cached_property
    def _policy_arns(self) -> dict[str, str]:
        """Stack managed policy logical id -> its ARN (as ``Ref`` gives it)."""
        ev = self.evaluation
        return {logical_id: ev.ref_token(logical_id) for logical_id in ev.resources("AWS::IAM::ManagedPolicy")}

    def policy_ref(self, arn: str, line: int | None) -> PolicyRef:
        logical_id = self.stack_policies.get(arn)
        return PolicyRef(arn, logical_id, line, Target(frozenset({arn}), "" if "${" in arn else arn))

    def holder_of_token(self, token: str) -> Holder | None:
        """The stack role a ``${Role.Arn}`` token or an exact role ARN denotes."""
        holder = self.holders.get(holder_of(token))
        return holder if holder is not None else self._holders_by_arn.get(token)

    @cached_property
    def _holders_by_arn(self) -> dict[str, Holder]:
        """Each holder by its ARN (or ARN pattern), the first in template order where two share one."""
        found: dict[str, Holder] = {}
        for holder in self.holders.values():
            found.setdefault(holder.target.arn, holder)
        return found

    # -- other stack resources ----------------------------------------------------------

    def resource_target(self, logical_id: str, service: str, resource_prefix: str, name_key: str | None) -> Target:
        """A stack resource as a policy names it: ``${L}``, ``${L.Arn}`` and its ARN pattern."""
        resource = self.evaluation.resource(logical_id) or {}
        properties = resource.get("Properties") or {}
        name = properties.get(name_key) if name_key else None
        name = name if isinstance(name, str) else self.generated_name(logical_id)
        return Target(frozenset({"${" + logical_id + "}", "${" + logical_id + ".Arn}"}),
                      self.arn(service, f"{resource_prefix}{name}"))

    def line(self, logical_id: str, *path: object) -> int | None:
        return self.template.line_of("Resources", logical_id, *path)
