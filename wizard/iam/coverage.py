"""Whether one statement covers another: the set arithmetic under the diff's verdicts.

Actions compare case-insensitively and ARNs case-sensitively, both honouring ``*`` and ``?``
(``wizard.iam.wildcards``); ``NotAction``/``NotResource`` are the complements they are, and
two wildcard patterns overlap unless their fixed heads or tails disagree (conservative: a new
grant may be called broadening when it is not, never the other way round). Conditions compare
by implication (``wizard.iam.conditions``), knowing what the principal itself says: every request
of a principal of account A has ``aws:PrincipalAccount`` A and, for a ``kms:`` action,
``kms:CallerAccount`` A. So a key policy's ``Principal: '*'`` under ``kms:CallerAccount`` A covers
one role of A (an ARN of A, or a role of the stack when the stack deploys into A).

``BaselineAllows`` indexes a baseline's Allows by holder and by service, so that a new grant is
compared only with those that can cover it; ``deny_still_holds`` asks whether a removed Deny is
still applied by another.
"""

from __future__ import annotations

import re
from typing import Iterable

from wizard.iam.conditions import condition_implies
from wizard.iam.grants import Grant
from wizard.iam.wildcards import action_matches, pattern_covers

_WILD = re.compile(r"[*?]")
#: The account of an IAM principal: an account id, or an IAM/STS ARN in the account.
_PRINCIPAL_ACCOUNT = re.compile(r"^AWS:(?:(?P<id>\d{12})|arn:aws[a-z-]*:(?:iam|sts)::(?P<arn>\d{12}):.+)$")
#: A principal the stack itself creates (``${Role.Arn}``): it lives in the stack's account.
_STACK_PRINCIPAL = re.compile(r"^AWS:\$\{[A-Za-z0-9]+\.Arn\}$")


def principal_facts(principal: str, action: str | None = None, account: str | None = None) -> dict:
    """The condition block every request of ``principal`` satisfies (``{}`` when nothing is
    known): its account as ``aws:PrincipalAccount``, and as ``kms:CallerAccount`` for a ``kms:``
    action. ``account`` is the stack's account, for principals the stack creates."""
    found = _PRINCIPAL_ACCOUNT.match(principal)
    owner = (found["id"] or found["arn"]) if found else account if _STACK_PRINCIPAL.match(principal) else None
    if not owner:
        return {}
    facts = {"aws:PrincipalAccount": owner}
    if action is not None and action.lower().startswith("kms:"):
        facts["kms:CallerAccount"] = owner
    return {"StringEquals": facts}


def principal_covers(general: str, specific: str) -> bool:
    """``*`` and ``{"AWS": "*"}`` both name everyone; anything else only itself."""
    return general == specific or general in ("*", "AWS:*")


def _covers_all(general: Iterable[str], specific: Iterable[str], *, case_sensitive: bool) -> bool:
    general = tuple(general)
    return all(any(pattern_covers(g, s, case_sensitive=case_sensitive) for g in general) for s in specific)


def may_overlap(a: str, b: str, *, case_sensitive: bool) -> bool:
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


def covers_set(general: tuple[str, ...], general_not: tuple[str, ...], specific: tuple[str, ...],
                specific_not: tuple[str, ...], *, case_sensitive: bool) -> bool:
    """Whether the strings ``general`` names (or, with ``general_not``, every string but those)
    include all the strings ``specific`` (or every string but ``specific_not``) names."""
    if specific_not:
        if general_not:  # everything but G includes everything but S when G lies inside S
            return _covers_all(specific_not, general_not, case_sensitive=case_sensitive)
        return any(pattern_covers(g, "*", case_sensitive=case_sensitive) for g in general)
    if general_not:
        return not any(may_overlap(n, s, case_sensitive=case_sensitive) for n in general_not for s in specific)
    return _covers_all(general, specific, case_sensitive=case_sensitive)


def _same_holder(old: Grant, new: Grant) -> bool:
    return old.kind == new.kind and old.on == new.on and principal_covers(old.principal, new.principal)


def allow_covers(old: Grant, new: Grant, action: str, resource: str | None, account: str | None = None) -> bool:
    """Whether Allow ``old`` grants ``action`` on ``resource`` whenever ``new`` does (``account``:
    the stack's, where the principals it creates live)."""
    if old.grants_nothing or not old.is_allow or not _same_holder(old, new):
        return False
    if not covers_set(old.actions, old.not_actions, (action,), (), case_sensitive=False):
        return False
    # A statement naming no resource applies to the resource holding it (a trust policy).
    if resource is not None and (old.resources or old.not_resources) and \
            not covers_set(old.resources, old.not_resources, (resource,), (), case_sensitive=True):
        return False
    return condition_implies(new.condition, old.condition, known=principal_facts(new.principal, action, account))


def allow_covers_whole(old: Grant, new: Grant, account: str | None = None) -> bool:
    """Whether ``old`` allows everything a NotAction/NotResource grant ``new`` allows."""
    if old.grants_nothing or not old.is_allow or not _same_holder(old, new):
        return False
    return covers_set(old.actions, old.not_actions, new.actions, new.not_actions, case_sensitive=False) and \
        covers_set(old.resources, old.not_resources, new.resources, new.not_resources, case_sensitive=True) and \
        condition_implies(new.condition, old.condition, known=principal_facts(new.principal, None, account))


#: The service key of patterns whose service part is not one literal prefix (``*``, ``s3*:Get``)
#: and of NotAction grants: they may cover an action of any service.
_ANY_SERVICE = ""
_EVERYONE = ("*", "AWS:*")


def _service_of(pattern: str) -> str:
    """The lower-case service prefix an action pattern is limited to, or ``_ANY_SERVICE``."""
    service, colon, _ = pattern.partition(":")
    return service.lower() if colon and not _WILD.search(service) else _ANY_SERVICE


class BaselineAllows:
    """The baseline's Allows, indexed by holder and by service, so that a new grant is compared
    only with those that can cover it: the same holder (or everyone) and, for each action, the
    same service (or any). An Allow that grants nothing is left out, as ``allow_covers`` would
    refuse it. An action pattern with a literal service cannot be covered by a pattern limited
    to another service, so the answers are those of comparing with every Allow. ``account`` is
    the stack's (``allow_covers``)."""

    def __init__(self, allows: Iterable[Grant], account: str | None = None) -> None:
        self.account = account
        self.by_holder: dict[tuple, dict[str, list[Grant]]] = {}
        for old in allows:
            if old.grants_nothing or not old.is_allow:
                continue
            services = self.by_holder.setdefault((old.kind, old.on, old.principal), {})
            keys = {_ANY_SERVICE} if old.not_actions else {_service_of(a) for a in old.actions}
            for key in keys:
                services.setdefault(key, []).append(old)

    def _holders(self, new: Grant) -> list[dict[str, list[Grant]]]:
        keys = (new.principal, *(p for p in _EVERYONE if p != new.principal))
        return [found for p in keys if (found := self.by_holder.get((new.kind, new.on, p)))]

    def holding(self, new: Grant) -> list[Grant]:
        """Every Allow of ``new``'s holder or of everyone, whatever its actions."""
        return list({id(g): g for services in self._holders(new) for gs in services.values() for g in gs}.values())

    def for_action(self, new: Grant, action: str) -> list[Grant]:
        """The Allows that may grant ``action`` to ``new``'s holder."""
        service = _service_of(action)
        if service == _ANY_SERVICE:
            return self.holding(new)
        return [g for services in self._holders(new)
                for key in (service, _ANY_SERVICE) for g in services.get(key, ())]


def deny_still_holds(old: Grant, denies: list[Grant]) -> bool:
    """Whether some Deny in ``denies`` applies whenever ``old`` did: to the same holder (or
    everyone), to every action and resource ``old`` named, under a condition ``old`` implies."""
    for new in denies:
        if new.kind != old.kind or new.on != old.on or not principal_covers(new.principal, old.principal):
            continue
        if not covers_set(new.actions, new.not_actions, old.actions, old.not_actions, case_sensitive=False):
            continue
        if not covers_set(new.resources, new.not_resources, old.resources, old.not_resources, case_sensitive=True):
            continue
        if condition_implies(old.condition, new.condition):
            return True
    return False
