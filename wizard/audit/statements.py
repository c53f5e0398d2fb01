"""One IAM statement in a normal form, so that what AWS holds compares with what a template says.

AWS hands back a policy as it stored it, not as the template wrote it: a one-element list
becomes a string, actions may change case, statements lose their order, a 12-digit account
principal becomes ``arn:aws:iam::ACCOUNT:root``, ``true`` comes back as ``"true"``. A textual
comparison would call all of that drift. ``Statement`` keeps what decides access, each part
in one spelling: effect; actions and not-actions lower-cased, sorted, without repeats;
resources and not-resources sorted (ARNs are case-sensitive and stay as written); principals
as ``Type:value`` sorted; the condition with its keys lower-cased (condition keys are
case-insensitive) and every value a sorted list of strings. The ``Sid`` is kept for people
but does not take part.

``compare`` matches two lists statement by statement, as multisets. Values the template only
knows symbolically (``${Resource.Attribute}`` that no physical id resolves, the ``<Name>`` of
a NoEcho parameter) match any text in that place, and only when nothing matches exactly.
"""

from __future__ import annotations

import json
import re
from collections import Counter
from dataclasses import dataclass, field
from typing import Any, Callable, Iterable
from urllib.parse import unquote

from wizard.iam.grants import Grant, principals_of
from wizard.iam.wildcards import action_matches

_ACCOUNT = re.compile(r"^\d{12}$")
_SYMBOLIC = re.compile(r"\$\{[A-Za-z0-9]+(?:\.[A-Za-z0-9.]+)?\}|<[A-Za-z0-9]+(?:\[\d+\])?>")


@dataclass(frozen=True)
class Statement:
    """A statement in normal form; equal statements grant the same."""

    effect: str
    actions: tuple[str, ...] = ()
    not_actions: tuple[str, ...] = ()
    resources: tuple[str, ...] = ()
    not_resources: tuple[str, ...] = ()
    principals: tuple[str, ...] = ()
    condition: str = ""
    sid: str | None = field(default=None, compare=False)

    @property
    def is_allow(self) -> bool:
        return self.effect == "Allow"

    @property
    def grants_nothing(self) -> bool:
        """An Allow that matches no request (the placeholders' ``NotResource: '*'``)."""
        return self.is_allow and ("*" in self.not_resources or "*" in self.not_actions
                                  or not (self.actions or self.not_actions)
                                  or (not self.principals and not (self.resources or self.not_resources)))

    @property
    def symbolic(self) -> bool:
        """Whether a value is still a template symbol rather than what AWS holds."""
        return any(_SYMBOLIC.search(text) for text in self._texts())

    def _texts(self) -> Iterable[str]:
        yield from self.resources
        yield from self.not_resources
        yield from self.principals
        yield self.condition

    def to_document(self) -> dict[str, Any]:
        """The statement as IAM JSON (normal spelling), for reports."""
        out: dict[str, Any] = {"Effect": self.effect}
        if self.sid:
            out["Sid"] = self.sid
        for key, values in (("Principal", self.principals), ("Action", self.actions),
                            ("NotAction", self.not_actions), ("Resource", self.resources),
                            ("NotResource", self.not_resources)):
            if values:
                out[key] = list(values)
        if self.condition:
            out["Condition"] = json.loads(self.condition)
        return out

    def brief(self) -> str:
        """One line: ``Allow s3:getobject on arn:aws:s3:::acme-*/*``."""
        acts = ", ".join(self.actions) or ("all but " + ", ".join(self.not_actions))
        res = ", ".join(self.resources) or ("all but " + ", ".join(self.not_resources)
                                           if self.not_resources else "-")
        who = f" for {', '.join(self.principals)}" if self.principals else ""
        cond = " if " + self.condition if self.condition else ""
        return f"{self.effect} {acts} on {res}{who}{cond}"


def _texts_of(value: Any) -> list[str]:
    if value is None:
        return []
    if isinstance(value, list):
        return [v if isinstance(v, str) else json.dumps(v, sort_keys=True) for v in value
                if not isinstance(v, (dict, list))]
    if isinstance(value, dict):
        return [json.dumps(value, sort_keys=True)]
    if isinstance(value, bool):
        return ["true" if value else "false"]
    return [str(value)]


def _sorted(values: Iterable[str]) -> tuple[str, ...]:
    return tuple(sorted(set(values)))


def _principal(text: str, partition: str) -> str:
    kind, _, value = text.partition(":")
    if text == "*" or (kind == "AWS" and value == "*"):
        return "*"
    if kind == "AWS" and _ACCOUNT.match(value):
        return f"AWS:arn:{partition}:iam::{value}:root"
    if kind == "Service":
        return f"Service:{value.lower()}"
    return text


def normal_condition(condition: Any) -> str:
    """The condition block in one spelling (canonical JSON; '' for none)."""
    if isinstance(condition, str):
        try:
            condition = json.loads(condition) if condition else {}
        except json.JSONDecodeError:
            return condition
    if not isinstance(condition, dict) or not condition:
        return ""
    out: dict[str, dict[str, list[str]]] = {}
    for operator, block in condition.items():
        if not isinstance(block, dict):
            out[str(operator)] = {"": _texts_of(block)}
            continue
        keys: dict[str, list[str]] = {}
        for key, values in block.items():
            keys.setdefault(str(key).lower(), []).extend(_texts_of(values))
        out[str(operator)] = {key: sorted(set(values)) for key, values in keys.items()}
    return json.dumps(out, sort_keys=True)


def _case(effect: Any) -> str:
    text = str(effect or "Allow")
    return text[:1].upper() + text[1:].lower()


def normalize(statement: dict, *, partition: str = "aws", resolve: Callable[[str], str] = str) -> Statement:
    """A statement as a policy document holds it, in normal form.

    ``resolve`` rewrites each resource, principal and condition text (the template side uses
    it to put physical names in place of symbols).
    """
    principals = principals_of(statement.get("Principal")) if "Principal" in statement else ()
    not_principals = principals_of(statement.get("NotPrincipal")) if "NotPrincipal" in statement else ()
    condition = statement.get("Condition")
    return Statement(
        effect=_case(statement.get("Effect")),
        actions=_sorted(a.lower() for a in _texts_of(statement.get("Action"))),
        not_actions=_sorted(a.lower() for a in _texts_of(statement.get("NotAction"))),
        resources=_sorted(resolve(r) for r in _texts_of(statement.get("Resource"))),
        not_resources=_sorted(resolve(r) for r in _texts_of(statement.get("NotResource"))),
        principals=_sorted(_principal(resolve(p), partition) for p in principals)
        + tuple("not:" + _principal(resolve(p), partition) for p in sorted(set(not_principals))),
        condition=resolve(normal_condition(condition)) if condition else "",
        sid=str(statement["Sid"]) if statement.get("Sid") else None,
    )


def from_grants(grants: Iterable[Grant], *, partition: str = "aws",
                resolve: Callable[[str], str] = str, with_principals: bool = False) -> Statement:
    """The statement that one or more grants of the same template statement came from.

    Resource and trust grants are one record per principal; ``with_principals`` joins them
    back into the statement's Principal.
    """
    grants = list(grants)
    first = grants[0]
    principals = _sorted(_principal(resolve(g.principal), partition) for g in grants) if with_principals else ()
    return Statement(
        effect=_case(first.effect),
        actions=_sorted(a.lower() for a in first.actions),
        not_actions=_sorted(a.lower() for a in first.not_actions),
        resources=_sorted(resolve(r) for r in first.resources),
        not_resources=_sorted(resolve(r) for r in first.not_resources),
        principals=principals,
        condition=resolve(normal_condition(first.condition_json)) if first.condition_json else "",
        sid=first.sid,
    )


def document_statements(document: Any) -> list[dict]:
    """The statements of a policy document as AWS or a template gives it (text or parsed)."""
    if isinstance(document, str):
        text = document if document.lstrip().startswith("{") else unquote(document)
        try:
            document = json.loads(text)
        except json.JSONDecodeError:
            return []
    if not isinstance(document, dict):
        return []
    found = document.get("Statement")
    if isinstance(found, dict):
        found = [found]
    return [s for s in found or [] if isinstance(s, dict)]


def parse_document(document: Any, *, partition: str = "aws",
                   resolve: Callable[[str], str] = str) -> list[Statement]:
    """Every statement of a document, in normal form."""
    return [normalize(s, partition=partition, resolve=resolve) for s in document_statements(document)]


@dataclass(frozen=True)
class Comparison:
    """Two lists of statements side by side: the same, only in AWS, only in the template."""

    matched: tuple[Statement, ...] = ()
    unexplained: tuple[Statement, ...] = ()
    """What AWS holds that the template does not explain (drift or run-time writes)."""
    missing: tuple[Statement, ...] = ()
    """What the template says that AWS lacks."""

    @property
    def same(self) -> bool:
        return not self.unexplained and not self.missing


def compare(expected: Iterable[Statement], held: Iterable[Statement]) -> Comparison:
    """Match statement by statement (as multisets); symbols match any text only when needed."""
    want = Counter(expected)
    have = Counter(held)
    both = want & have
    want -= both
    have -= both
    matched = list(both.elements())
    missing = []
    for statement in want.elements():
        partner = next((h for h in have if have[h] and statement.symbolic and _fits(statement, h)), None)
        if partner is None:
            missing.append(statement)
        else:
            have[partner] -= 1
            matched.append(partner)
    return Comparison(tuple(matched), tuple(have.elements()), tuple(missing))


def _pattern(text: str) -> str:
    return _SYMBOLIC.sub("*", text.replace("*", "\0")).replace("\0", "*")


def _fits_text(expected: str, held: str) -> bool:
    if expected == held:
        return True
    return bool(_SYMBOLIC.search(expected)) and action_matches(_pattern(expected), held, case_sensitive=True)


def _fits_all(expected: tuple[str, ...], held: tuple[str, ...]) -> bool:
    if len(expected) != len(held):
        return False
    left = list(held)
    for text in expected:
        partner = next((h for h in left if _fits_text(text, h)), None)
        if partner is None:
            return False
        left.remove(partner)
    return True


def _fits(expected: Statement, held: Statement) -> bool:
    return (expected.effect == held.effect and expected.actions == held.actions
            and expected.not_actions == held.not_actions
            and _fits_all(expected.resources, held.resources)
            and _fits_all(expected.not_resources, held.not_resources)
            and _fits_all(expected.principals, held.principals)
            and _fits_text(expected.condition, held.condition))
