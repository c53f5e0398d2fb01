"""What changes in permissions and network openings between two evaluations, and whether
the change broadens access.

Grants and rules are compared as multisets of their content (not their position), so a
statement that merely moved is no change. The verdict is semantic, not textual:

- an added Allow is *broadening* unless every (action, resource) pair it grants was already
  granted to the same principal by some Allow whose condition it implies. So scoping ``*`` to
  ``arn:aws:s3:::acme-*`` or adding a restricting condition is narrowing, while new actions,
  resources or principals are broadening;
- an Allow that can match nothing (``NotResource: '*'``, a placeholder) covers nothing: when it
  turns into a real grant, that is broadening;
- a removed Deny is broadening unless a Deny on the other side still applies whenever it did;
  adding an ARN to a Deny's ``StringNotEquals`` exception list makes it apply less often, so it
  is broadening;
- a new managed-policy attachment, a new ingress/egress rule, listener, target port or
  container port, or a load balancer turning internet-facing, is broadening.

Actions compare case-insensitively and ARNs case-sensitively, both honouring ``*`` and ``?``.
"""

from __future__ import annotations

import ipaddress
import re
from collections import Counter
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Callable, Iterable

from wizard.iam.wildcards import action_matches, pattern_covers
from wizard.iam.grants import Grant, display_principal, holder_of
from wizard.iam.network import OPENINGS, SCHEME, NetworkRule

if TYPE_CHECKING:
    from wizard.cfn.evaluate import Evaluation

_NEGATED = ("StringNotEquals", "StringNotEqualsIgnoreCase", "StringNotLike", "ArnNotEquals", "ArnNotLike",
            "NotIpAddress")
_POSITIVE = ("StringEquals", "StringEqualsIgnoreCase", "StringLike", "ArnEquals", "ArnLike", "IpAddress")
#: Operators whose values are patterns (``*`` and ``?``); the String*Equals ones compare literally.
_GLOBS = ("StringLike", "StringNotLike", "ArnEquals", "ArnLike", "ArnNotEquals", "ArnNotLike")
_ADDRESSES = ("IpAddress", "NotIpAddress")
_WILD = re.compile(r"[*?]")


@dataclass(frozen=True)
class GrantChange:
    """A grant that appeared or disappeared, and whether that widened access."""

    grant: Grant
    broadening: bool
    reason: str = ""


@dataclass(frozen=True)
class RuleChange:
    """A network rule that appeared or disappeared, and whether that widened access."""

    rule: NetworkRule
    broadening: bool
    reason: str = ""


@dataclass(frozen=True)
class PermissionDiff:
    """Everything that differs between a baseline and a new evaluation."""

    added: tuple[GrantChange, ...] = ()
    removed: tuple[GrantChange, ...] = ()
    network_added: tuple[RuleChange, ...] = ()
    network_removed: tuple[RuleChange, ...] = ()
    reasons: tuple[str, ...] = field(default=())

    @property
    def broadening(self) -> bool:
        return any(c.broadening for c in (*self.added, *self.removed, *self.network_added, *self.network_removed))

    @property
    def empty(self) -> bool:
        return not (self.added or self.removed or self.network_added or self.network_removed)

    def grouped(self) -> dict[str, list[tuple[str, GrantChange]]]:
        """Removed then added grant changes, grouped by who holds them, as (sign, change)."""
        groups: dict[str, list[tuple[str, GrantChange]]] = {}
        for sign, changes in (("-", self.removed), ("+", self.added)):
            for change in changes:
                groups.setdefault(display_principal(change.grant), []).append((sign, change))
        return groups

    def summary(self) -> str:
        """One line such as ``+3 grants  -1  +1 network  BROADENING``."""
        parts = [f"+{len(self.added)} grants", f"-{len(self.removed)}"]
        if self.network_added or self.network_removed:
            parts.append(f"+{len(self.network_added)} network")
            parts.append(f"-{len(self.network_removed)}")
        parts.append("BROADENING" if self.broadening else ("no change" if self.empty else "not broadening"))
        return "  ".join(parts)

    def to_json(self) -> dict:
        def grant(change: GrantChange) -> dict:
            return {**change.grant.to_json(), "broadening": change.broadening, "reason": change.reason}

        def rule(change: RuleChange) -> dict:
            return {**change.rule.to_json(), "broadening": change.broadening, "reason": change.reason}

        return {
            "added": [grant(c) for c in self.added],
            "removed": [grant(c) for c in self.removed],
            "network": {"added": [rule(c) for c in self.network_added],
                        "removed": [rule(c) for c in self.network_removed]},
            "broadening": self.broadening,
        }


# -- conditions ---------------------------------------------------------------------------

def _values(value: Any) -> frozenset[str]:
    if isinstance(value, list):
        return frozenset(str(v) for v in value)
    return frozenset((str(value),))


def _clauses(condition: dict) -> dict[tuple[str, str], frozenset[str]]:
    clauses = {}
    for operator, block in (condition or {}).items():
        if isinstance(block, dict):
            for key, value in block.items():
                clauses[(operator, key.lower())] = _values(value)
    return clauses


def _value_within(base: str, inner: str, outer: str) -> bool:
    """Whether every value matching ``inner`` matches ``outer`` under the operator ``base``."""
    if base in _GLOBS:
        return pattern_covers(outer, inner, case_sensitive=True)
    if base in _ADDRESSES:
        return _peer_within(inner, outer)
    if base.endswith("IgnoreCase"):
        return inner.lower() == outer.lower()
    return inner == outer


def _clause_implies(operator: str, strong: frozenset[str], weak: frozenset[str]) -> bool:
    """Whether a clause with values ``strong`` guarantees the same clause with values ``weak``."""
    base = operator.split(":", 1)[-1].removesuffix("IfExists")
    if operator.startswith("ForAllValues:"):
        return strong <= weak if base in _POSITIVE else strong >= weak
    if base in _POSITIVE:
        return all(any(_value_within(base, s, w) for w in weak) for s in strong)
    if base in _NEGATED:
        return all(any(_value_within(base, w, s) for s in strong) for w in weak)
    return strong == weak


def condition_implies(strong: dict, weak: dict) -> bool:
    """Whether every request that satisfies ``strong`` also satisfies ``weak``."""
    strong_clauses = _clauses(strong)
    for (operator, key), weak_values in _clauses(weak).items():
        strong_values = strong_clauses.get((operator, key))
        if strong_values is None or not _clause_implies(operator, strong_values, weak_values):
            return False
    return True


# -- coverage -----------------------------------------------------------------------------

def _principal_covers(general: str, specific: str) -> bool:
    return general == specific or general in ("*", "AWS:*")


def _covers_all(general: Iterable[str], specific: Iterable[str], *, case_sensitive: bool) -> bool:
    general = tuple(general)
    return all(any(pattern_covers(g, s, case_sensitive=case_sensitive) for g in general) for s in specific)


def _may_overlap(a: str, b: str, *, case_sensitive: bool) -> bool:
    """Whether some string could match both patterns (exact for a literal, conservative otherwise:
    two wildcard patterns overlap unless their fixed heads or tails disagree)."""
    if not case_sensitive:
        a, b = a.lower(), b.lower()
    if not _WILD.search(a):
        return action_matches(b, a, case_sensitive=True)
    if not _WILD.search(b):
        return action_matches(a, b, case_sensitive=True)
    head_a, head_b = _WILD.split(a, 1)[0], _WILD.split(b, 1)[0]
    tail_a, tail_b = _WILD.split(a)[-1], _WILD.split(b)[-1]
    return (head_a.startswith(head_b) or head_b.startswith(head_a)) and \
        (tail_a.endswith(tail_b) or tail_b.endswith(tail_a))


def _allow_covers(old: Grant, new: Grant, action: str, resource: str | None) -> bool:
    if old.grants_nothing or not old.is_allow or old.kind != new.kind or old.on != new.on:
        return False
    if not _principal_covers(old.principal, new.principal):
        return False
    if old.not_actions:
        # Everything but the listed actions: covered only if the new one can be none of them.
        if any(_may_overlap(n, action, case_sensitive=False) for n in old.not_actions):
            return False
    elif not any(pattern_covers(a, action) for a in old.actions):
        return False
    if resource is not None:
        if old.not_resources:
            if any(_may_overlap(n, resource, case_sensitive=True) for n in old.not_resources):
                return False
        elif old.resources and not any(pattern_covers(r, resource, case_sensitive=True) for r in old.resources):
            return False
    return condition_implies(new.condition, old.condition)


def _covers_complement(old: Grant, new: Grant) -> bool:
    """Whether ``old`` allows everything a NotAction/NotResource grant ``new`` allows: it names
    every action (or excludes no more than ``new`` does) on every resource ``new`` reaches."""
    if old.grants_nothing or not old.is_allow or (old.kind, old.principal, old.on) != (new.kind, new.principal, new.on):
        return False
    if not condition_implies(new.condition, old.condition):
        return False
    if new.not_actions:
        actions_ok = (not old.not_actions and any(pattern_covers(a, "*") for a in old.actions)) or \
            (old.not_actions and _covers_all(new.not_actions, old.not_actions, case_sensitive=False))
    else:
        actions_ok = not old.not_actions and _covers_all(old.actions, new.actions, case_sensitive=False)
    if new.not_resources:
        resources_ok = (not old.not_resources and any(pattern_covers(r, "*", case_sensitive=True)
                                                      for r in old.resources)) or \
            (old.not_resources and _covers_all(new.not_resources, old.not_resources, case_sensitive=True))
    else:
        resources_ok = not old.not_resources and _covers_all(old.resources, new.resources, case_sensitive=True)
    return bool(actions_ok and resources_ok)


def _allow_broadens(new: Grant, baseline: list[Grant]) -> str:
    """Why ``new`` grants something the baseline did not, or '' when it does not."""
    if new.grants_nothing:
        return ""
    if new.attachment:
        if new.attachment_known:
            return ""  # its statements are grants of their own, judged one by one
        if any(old.attachment == new.attachment and old.principal == new.principal for old in baseline):
            return ""
        return f"attaches {new.attachment}"
    if new.not_actions or new.not_resources:
        if any(_covers_complement(old, new) for old in baseline):
            return ""
        return "grants everything except a list (NotAction/NotResource)"
    resources: tuple[str | None, ...] = new.resources or (None,)
    for action in new.actions:
        for resource in resources:
            if not any(_allow_covers(old, new, action, resource) for old in baseline):
                target = f" on {resource}" if resource else ""
                return f"grants {action}{target} to {new.principal or '?'}"
    return ""


def _deny_still_holds(old: Grant, denies: list[Grant]) -> bool:
    """Whether some Deny in ``denies`` applies whenever ``old`` did."""
    for new in denies:
        if new.kind != old.kind or new.on != old.on or not _principal_covers(new.principal, old.principal):
            continue
        if old.not_actions or new.not_actions or old.not_resources or new.not_resources:
            if new.key[4:8] != old.key[4:8]:
                continue
        else:
            if not _covers_all(new.actions, old.actions, case_sensitive=False):
                continue
            if not _covers_all(new.resources, old.resources, case_sensitive=True):
                continue
        if condition_implies(old.condition, new.condition):
            return True
    return False


def _is_token(value: str) -> bool:
    """A ``${Resource}`` token: something the template itself creates (not a parameter's value)."""
    return value.startswith("${") and value.endswith("}")


def diff_grants(before: list[Grant], after: list[Grant], still_exists: Callable[[str], bool] | None = None,
                ) -> tuple[tuple[GrantChange, ...], tuple[GrantChange, ...]]:
    """Added and removed grants, each with its broadening verdict.

    ``still_exists`` tells whether a resource (by logical id) exists on the new side: a
    resource policy's Deny that disappears with its resource protects nothing any more.
    """
    before_keys = Counter(g.key for g in before)
    after_keys = Counter(g.key for g in after)
    added, removed = [], []
    remaining = before_keys.copy()
    allows_before = [g for g in before if g.is_allow]
    for grant in after:
        if remaining[grant.key] > 0:
            remaining[grant.key] -= 1
            continue
        if grant.is_allow:
            reason = _allow_broadens(grant, allows_before)
            added.append(GrantChange(grant, bool(reason), reason))
        else:
            added.append(GrantChange(grant, False, "a new Deny"))
    remaining = after_keys.copy()
    denies_after = [g for g in after if not g.is_allow]
    for grant in before:
        if remaining[grant.key] > 0:
            remaining[grant.key] -= 1
            continue
        if grant.is_allow:
            removed.append(GrantChange(grant, False, ""))
        elif grant.kind == "resource" and still_exists is not None and grant.on and \
                all(_is_token(target) and not still_exists(holder_of(target)) for target in grant.on):
            removed.append(GrantChange(grant, False, "its resource is gone"))
        else:
            holds = _deny_still_holds(grant, denies_after)
            removed.append(GrantChange(grant, not holds,
                                       "" if holds else f"a Deny on {grant.principal or 'its resource'} "
                                                        "applies less often or not at all"))
    return tuple(added), tuple(removed)


def _peer_within(inner: str, outer: str) -> bool:
    """Whether network peer ``inner`` is the same as or inside ``outer`` (CIDR containment)."""
    if inner == outer:
        return True
    try:
        a, b = ipaddress.ip_network(inner, strict=False), ipaddress.ip_network(outer, strict=False)
    except ValueError:
        return False
    return a.version == b.version and a.subnet_of(b)


def _opens_nothing(rule: NetworkRule) -> bool:
    """An egress rule to a loopback address: the usual way to remove the default allow-all."""
    try:
        return rule.kind == "egress" and ipaddress.ip_network(rule.peer, strict=False).is_loopback
    except ValueError:
        return False


def _width(rule: NetworkRule) -> int:
    """How many ports a rule opens (all protocols count as every port)."""
    if rule.protocol in ("all", "-1") or rule.from_port in (None, -1):
        return 65536
    return (rule.to_port if rule.to_port is not None else rule.from_port) - rule.from_port + 1


def _transport(rule: NetworkRule) -> str:
    """The transport a rule opens: a listener or target group on HTTP, HTTPS or TLS is TCP."""
    protocol = rule.protocol.lower()
    return "tcp" if protocol in ("http", "https", "tls", "tcp") else protocol


def _replaced(rule: NetworkRule, gone: list[NetworkRule]) -> NetworkRule | None:
    """A removed rule that ``rule`` merely moves (as many ports, same transport, same or a
    smaller peer) or narrows; the matched rule is taken out of ``gone``."""
    for old in gone:
        if (old.kind, old.resource, _transport(old)) != (rule.kind, rule.resource, _transport(rule)):
            continue
        if _width(rule) <= _width(old) and _peer_within(rule.peer, old.peer):
            gone.remove(old)
            return old
    return None


def diff_network(before: list[NetworkRule], after: list[NetworkRule]) -> tuple[tuple[RuleChange, ...], tuple[RuleChange, ...]]:
    """Added and removed network rules, each with its broadening verdict."""
    before_keys = Counter(r.key for r in before)
    after_keys = Counter(r.key for r in after)
    added = []
    remaining = before_keys.copy()
    gone = [r for r in before if after_keys[r.key] < before_keys[r.key]]
    for rule in after:
        if remaining[rule.key] > 0:
            remaining[rule.key] -= 1
            continue
        replaced = _replaced(rule, gone)
        if rule.kind in OPENINGS and _opens_nothing(rule):
            added.append(RuleChange(rule, False, "blocks the default allow-all egress"))
        elif rule.kind in OPENINGS and replaced is not None:
            # The same opening on another port, or from a narrower peer: moved or narrowed.
            added.append(RuleChange(rule, False, f"replaces {replaced.describe()}"))
        elif rule.kind in OPENINGS:
            added.append(RuleChange(rule, True, f"opens {rule.describe()}"))
        elif rule.kind == SCHEME:
            added.append(RuleChange(rule, rule.is_public, "the load balancer becomes reachable from the internet"
                                    if rule.is_public else ""))
        else:
            added.append(RuleChange(rule, False))
    removed = []
    remaining = after_keys.copy()
    for rule in before:
        if remaining[rule.key] > 0:
            remaining[rule.key] -= 1
            continue
        removed.append(RuleChange(rule, False))
    return tuple(added), tuple(removed)


def diff(before_grants: list[Grant], after_grants: list[Grant],
         before_rules: list[NetworkRule], after_rules: list[NetworkRule],
         still_exists: Callable[[str], bool] | None = None) -> PermissionDiff:
    """The whole permission and network diff."""
    added, removed = diff_grants(before_grants, after_grants, still_exists)
    network_added, network_removed = diff_network(before_rules, after_rules)
    return PermissionDiff(added, removed, network_added, network_removed)


def diff_evaluations(before: Evaluation, after: Evaluation) -> PermissionDiff:
    """Extract grants and rules from two evaluations and compare them."""
    from wizard.iam.grants import extract
    from wizard.iam.network import network_rules

    return diff(extract(before), extract(after), network_rules(before), network_rules(after), after.exists)
