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
- a removed Deny is broadening unless a Deny on the other side still applies whenever it did
  (``NotAction``/``NotResource`` Denies compared as the complements they are); adding an ARN
  to a Deny's ``StringNotEquals`` exception list makes it apply less often, so it is
  broadening. A Deny that disappears together with what it protected (the role or user
  holding it, the role it guards the trust of, the resource whose policy it is) is not;
- a permissions boundary (``boundary`` grants) only caps its holder: a principal's first
  boundary is not broadening, and neither is a boundary statement removed while a boundary
  stays; a statement added to an existing boundary is broadening unless the old boundary
  admitted it already, and removing a principal's last boundary statement lifts the cap;
- a new managed-policy attachment (AWS managed policies included, for each principal it is
  attached to), a new ingress/egress rule, listener, target port or container port, or a load
  balancer turning internet-facing, is broadening. Moving an opening to other ports (as many,
  same transport, same or a narrower peer) is not. A security group declared without inline
  egress rules has AWS's default allow-all egress (the network model holds it as a rule,
  ``wizard.iam.network``): a new such group, or one losing its last inline egress rule, opens
  it, which is broadening; a separate ``AWS::EC2::SecurityGroupEgress`` neither removes the
  default nor, removed, brings it back. An egress rule to a loopback address opens nothing.

Whether one statement covers another (actions case-insensitively, ARNs case-sensitively, both
honouring ``*`` and ``?``; conditions by implication) is ``wizard.iam.coverage``.

Beside the broadening verdict, ``PermissionDiff`` carries the security posture's changes
(``wizard.iam.posture``): ``weakenings`` (encryption, TLS, logging or a public scheme lost;
``weakening`` is true when there is one) and ``gains`` (such as "trail Trail encrypted with key
..."), each a ``PostureChange`` with ``control`` (name, category, resource, detail) and a
one-line ``reason``. Faces show ``summary()`` (its verdict words are ``WEAKENING`` then
``BROADENING``), the grouped changes, then the weakenings and gains; ``to_json()`` carries them
all. Gates trip on either verdict.
"""

from __future__ import annotations

import ipaddress
from collections import Counter
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Callable

from wizard.errors import GateTripped
from wizard.iam.conditions import condition_implies, peer_within
from wizard.iam.coverage import BaselineAllows, allow_covers, allow_covers_whole, deny_still_holds
from wizard.iam.grants import BOUNDARY, IDENTITY, TRUST, Grant, display_principal, holder_of
from wizard.iam.network import EGRESS, ENDPOINT, INGRESS, OPENINGS, NetworkRule
from wizard.iam.posture import PostureChange, compare_postures, posture

if TYPE_CHECKING:
    from wizard.cfn.evaluate import Evaluation

__all__ = ["GrantChange", "PermissionDiff", "RuleChange", "condition_implies", "diff", "diff_evaluations",
           "diff_grants", "diff_network", "diff_new", "verdict_gate"]

#: Principals whose policies apply to nobody else: a Deny deleted with one of them protected no one.
_SOLE_HOLDERS = ("AWS::IAM::Role", "AWS::IAM::User")


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
    weakenings: tuple[PostureChange, ...] = ()
    gains: tuple[PostureChange, ...] = ()

    @property
    def broadening(self) -> bool:
        return any(c.broadening for c in (*self.added, *self.removed, *self.network_added, *self.network_removed))

    @property
    def weakening(self) -> bool:
        """Whether the change lowers a security control (encryption, TLS, logging, scheme)."""
        return bool(self.weakenings)

    @property
    def empty(self) -> bool:
        return not (self.added or self.removed or self.network_added or self.network_removed
                    or self.weakenings or self.gains)

    def grouped(self) -> dict[str, list[tuple[str, GrantChange]]]:
        """Removed then added grant changes, grouped by who holds them, as (sign, change)."""
        groups: dict[str, list[tuple[str, GrantChange]]] = {}
        for sign, changes in (("-", self.removed), ("+", self.added)):
            for change in changes:
                groups.setdefault(display_principal(change.grant), []).append((sign, change))
        return groups

    def summary(self) -> str:
        """One line such as ``+3 grants  -1  +1 network  BROADENING`` or ``... WEAKENING``."""
        parts = [f"+{len(self.added)} grants", f"-{len(self.removed)}"]
        if self.network_added or self.network_removed:
            parts.append(f"+{len(self.network_added)} network")
            parts.append(f"-{len(self.network_removed)}")
        if self.gains:
            parts.append(f"+{len(self.gains)} security {'gain' if len(self.gains) == 1 else 'gains'}")
        if self.weakening:
            parts.append("WEAKENING")
        if self.broadening:
            parts.append("BROADENING")
        elif not self.weakening:
            parts.append("no change" if self.empty else "not broadening")
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
            "weakening": self.weakening,
            "weakenings": [c.to_json() for c in self.weakenings],
            "gains": [c.to_json() for c in self.gains],
        }


def _allow_broadens(new: Grant, baseline: BaselineAllows) -> str:
    """Why ``new`` grants something the baseline did not, or '' when it does not."""
    if new.grants_nothing:
        return ""
    if new.attachment:
        if new.attachment_known:
            return ""  # its statements are grants of their own, judged one by one
        return f"attaches {new.attachment}"  # to this principal: the same one before would be no change
    if new.not_actions or new.not_resources:
        if any(allow_covers_whole(old, new, baseline.account) for old in baseline.holding(new)):
            return ""
        return "grants everything except a list (NotAction/NotResource)"
    resources: tuple[str | None, ...] = new.resources or (None,)
    for action in new.actions:
        candidates = baseline.for_action(new, action)
        for resource in resources:
            if not any(allow_covers(old, new, action, resource, baseline.account) for old in candidates):
                target = f" on {resource}" if resource else ""
                return f"grants {action}{target} to {new.principal or '?'}"
    return ""


def _is_token(value: str) -> bool:
    """A ``${Resource}`` token: something the template itself creates (not a parameter's value)."""
    return value.startswith("${") and value.endswith("}")


def _protects_nothing(deny: Grant, still_exists: Callable[[str], bool] | None, gone: frozenset[str]) -> str:
    """Why a removed Deny protected nothing any more, or ''."""
    if deny.kind == IDENTITY and deny.principal in gone:
        return f"{deny.principal} is gone with it"
    if deny.kind == TRUST and deny.on and all(role in gone for role in deny.on):
        return "the role it guarded is gone with it"
    if deny.kind not in (IDENTITY, TRUST) and still_exists is not None and deny.on and \
            all(_is_token(target) and not still_exists(holder_of(target)) for target in deny.on):
        return "its resource is gone"
    return ""


def diff_grants(before: list[Grant], after: list[Grant], still_exists: Callable[[str], bool] | None = None,
                gone: frozenset[str] = frozenset(), account: str | None = None,
                ) -> tuple[tuple[GrantChange, ...], tuple[GrantChange, ...]]:
    """Added and removed grants, each with its broadening verdict.

    ``still_exists`` tells whether a resource (by logical id) exists on the new side: a
    resource policy's Deny that disappears with its resource protects nothing any more.
    ``gone`` names the roles and users deleted on the new side: their Denies go with them
    (a group's do not, since they applied to its members, who may remain). ``account`` is the
    account both sides deploy into: the roles and users the stack creates live there.
    """
    before_keys = Counter(g.key for g in before)
    after_keys = Counter(g.key for g in after)
    added, removed = [], []
    remaining = before_keys.copy()
    allows_before = BaselineAllows(before, account)
    bounded = tuple({g.principal for g in side if g.kind == BOUNDARY} for side in (before, after))
    for grant in after:
        if remaining[grant.key] > 0:
            remaining[grant.key] -= 1
            continue
        if grant.kind == BOUNDARY and grant.is_allow and grant.principal not in bounded[0]:
            added.append(GrantChange(grant, False, f"a new permissions boundary caps {grant.principal}"))
        elif grant.is_allow:
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
        if grant.kind == BOUNDARY and grant.is_allow and grant.principal not in bounded[1] \
                and grant.principal not in gone:
            removed.append(GrantChange(grant, True, f"{grant.principal} loses its permissions boundary: "
                                                    "the cap is lifted"))
            continue
        if grant.is_allow:
            removed.append(GrantChange(grant, False, ""))
            continue
        why = _protects_nothing(grant, still_exists, gone)
        if why:
            removed.append(GrantChange(grant, False, why))
        elif deny_still_holds(grant, denies_after):
            removed.append(GrantChange(grant, False, ""))
        else:
            removed.append(GrantChange(grant, True, f"a Deny on {grant.principal or 'its resource'} "
                                                    "applies less often or not at all"))
    return tuple(added), tuple(removed)


# -- network ------------------------------------------------------------------------------


def _opens_nothing(rule: NetworkRule) -> bool:
    """An egress rule to a loopback address: the usual way to remove the default allow-all."""
    try:
        return rule.kind == EGRESS and ipaddress.ip_network(rule.peer, strict=False).is_loopback
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
    """A removed rule that ``rule`` merely moves (as many ports, same transport or one inside all
    traffic, same or a smaller peer) or narrows; the matched rule is taken out of ``gone``."""
    for old in gone:
        if (old.kind, old.resource) != (rule.kind, rule.resource):
            continue
        if _transport(old) != "all" and _transport(old) != _transport(rule):
            continue
        if _width(rule) <= _width(old) and peer_within(rule.peer, old.peer):
            gone.remove(old)
            return old
    return None


def _port_range(rule: NetworkRule) -> tuple[int, int]:
    """The ports a rule opens, as a closed range (all traffic is every port)."""
    if rule.protocol in ("all", "-1") or rule.from_port in (None, -1):
        return 0, 65535
    return rule.from_port, rule.to_port if rule.to_port is not None else rule.from_port


def _within(rule: NetworkRule, kept: list[NetworkRule]) -> NetworkRule | None:
    """A security-group rule that stays on the same group and already lets through everything
    ``rule`` does (same direction, its transport or all traffic, its ports, a peer it contains):
    a group's rules add up, so ``rule`` opens nothing new."""
    if rule.kind not in (INGRESS, EGRESS):
        return None
    low, high = _port_range(rule)
    for old in kept:
        if (old.kind, old.resource) != (rule.kind, rule.resource):
            continue
        if _transport(old) != "all" and _transport(old) != _transport(rule):
            continue
        old_low, old_high = _port_range(old)
        if old_low <= low and high <= old_high and peer_within(rule.peer, old.peer):
            return old
    return None


def diff_network(before: list[NetworkRule], after: list[NetworkRule],
                 ) -> tuple[tuple[RuleChange, ...], tuple[RuleChange, ...]]:
    """Added and removed network rules, each with its broadening verdict. AWS's default egress
    is one of the rules (``wizard.iam.network.network_rules`` adds it to each group declared
    without inline egress), so a group that gains it opens it.
    """
    before_keys = Counter(r.key for r in before)
    after_keys = Counter(r.key for r in after)
    added = []
    remaining = before_keys.copy()
    gone = [r for r in before if after_keys[r.key] < before_keys[r.key]]
    kept = [r for r in after if before_keys[r.key] > 0]
    for rule in after:
        if remaining[rule.key] > 0:
            remaining[rule.key] -= 1
            continue
        if before_keys[rule.key] > 0:
            added.append(RuleChange(rule, False, "the same opening as before, once more"))
            continue
        replaced = _replaced(rule, gone)
        if rule.kind in OPENINGS and _opens_nothing(rule):
            added.append(RuleChange(rule, False, "blocks the default allow-all egress"))
        elif rule.kind in OPENINGS and replaced is not None:
            # The same opening on another port, or from a narrower peer: moved or narrowed.
            added.append(RuleChange(rule, False, f"replaces {replaced.describe()}"))
        elif rule.kind in OPENINGS and (wider := _within(rule, kept)) is not None:
            added.append(RuleChange(rule, False, f"within {wider.describe()}, which stays"))
        elif rule.kind in OPENINGS:
            added.append(RuleChange(rule, True, f"opens {rule.describe()}"))
        elif rule.kind == ENDPOINT:
            added.append(RuleChange(rule, False, f"calls to {rule.peer} stay inside the AWS network"))
        else:  # the scheme
            added.append(RuleChange(rule, rule.is_public, "the load balancer becomes reachable from the internet"
                                    if rule.is_public else ""))
    removed = []
    remaining = after_keys.copy()
    for rule in before:
        if remaining[rule.key] > 0:
            remaining[rule.key] -= 1
            continue
        removed.append(RuleChange(rule, False))
    return tuple(added), tuple(removed)


# -- the whole diff -----------------------------------------------------------------------

def diff(before_grants: list[Grant], after_grants: list[Grant],
         before_rules: list[NetworkRule], after_rules: list[NetworkRule],
         still_exists: Callable[[str], bool] | None = None, *, gone: frozenset[str] = frozenset(),
         postures: tuple | None = None, account: str | None = None) -> PermissionDiff:
    """The whole permission and network diff; with ``postures`` (before, after) the
    weakenings and gains too."""
    added, removed = diff_grants(before_grants, after_grants, still_exists, gone, account)
    network_added, network_removed = diff_network(before_rules, after_rules)
    weakenings, gains = compare_postures(*postures) if postures else ((), ())
    return PermissionDiff(added, removed, network_added, network_removed, weakenings=weakenings, gains=gains)


def _ids(evaluation: Evaluation, *types: str) -> frozenset[str]:
    return frozenset(i for i, raw in evaluation.template.resources.items()
                     if raw.get("Type") in types and evaluation.exists(i))


def diff_evaluations(before: Evaluation, after: Evaluation, *, grants: tuple | None = None,
                     rules: tuple | None = None) -> PermissionDiff:
    """Compare two evaluations: grants, network rules and security posture. ``grants`` and
    ``rules`` (before, after) may be given when already extracted."""
    from wizard.iam.grants import extract
    from wizard.iam.network import network_rules

    before_grants, after_grants = grants or (extract(before), extract(after))
    before_rules, after_rules = rules or (network_rules(before), network_rules(after))
    gone = _ids(before, *_SOLE_HOLDERS) - _ids(after, *_SOLE_HOLDERS)
    same_account = before.pseudo.account_id == after.pseudo.account_id
    return diff(list(before_grants), list(after_grants), list(before_rules), list(after_rules), after.exists,
                gone=gone, postures=(posture(before), posture(after)),
                account=after.pseudo.account_id if same_account else None)


def diff_new(after: Evaluation) -> PermissionDiff:
    """What a new stack adds: every grant and rule of ``after`` (AWS's default allow-all egress
    of each security group it creates without inline egress among them). No posture: a
    weakening is a control lost, and nothing was there to lose."""
    from wizard.iam.grants import extract
    from wizard.iam.network import network_rules

    return diff([], extract(after), [], network_rules(after))


def verdict_gate(result: PermissionDiff, *, broadening: bool, weakening: bool, what: str) -> None:
    """The CI gates: exit 1 (``GateTripped``) on a broadening under ``--fail-on-broadening``,
    on a weakening under either ``--fail-on-broadening`` or ``--fail-on-weakening``; the
    message names the first weakening's reason."""
    if broadening and result.broadening:
        raise GateTripped(f"{what} broadens access (--fail-on-broadening)")
    if (broadening or weakening) and result.weakening:
        flag = "--fail-on-weakening" if weakening else "--fail-on-broadening"
        raise GateTripped(f"{what} weakens security: {result.weakenings[0].reason} ({flag})")
