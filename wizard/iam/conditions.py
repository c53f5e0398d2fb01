"""Whether one IAM ``Condition`` block guarantees another: the implication the diff needs to
call an added condition narrowing and a dropped one broadening.

A block is a conjunction of clauses ``operator: {key: values}``; a clause holds when the
request's value for ``key`` passes ``operator`` against any of ``values``. ``strong`` implies
``weak`` when every clause of ``weak`` is implied by some clause of ``strong`` on the same key.
Only what can be proven counts; anything else is "not implied", the cautious answer for a
broadening check. The rules, from the IAM policy reference:

- condition keys compare case-insensitively (``aws:SourceVpc`` is ``AWS:SOURCEVPC``), values
  case-sensitively except for the ``...IgnoreCase`` operators;
- a positive operator (``StringEquals``, ``StringLike``, ``ArnLike``, ``IpAddress``...) is
  implied when each value of ``strong`` lies within a value of ``weak``; a negated one
  (``StringNotEquals``, ``NotIpAddress``...) when each value of ``weak`` lies within a value of
  ``strong`` (excluding more is stronger);
- ``StringEquals`` values are literals, ``StringLike`` and the ``Arn`` operators patterns,
  ``IpAddress`` values CIDR blocks;
- ``...IfExists`` also holds when the key is absent, so ``StringEquals`` implies
  ``StringEqualsIfExists`` but not the reverse;
- the set qualifiers ``ForAllValues:`` (vacuously true for an absent key) and ``ForAnyValue:``
  are a different test from the plain operator: a clause is implied only by a clause with the
  same qualifier, with the same value rule as the plain operator;
- any other operator (``Bool``, ``Numeric...``, ``Date...``, ``Null``) is implied only by the
  same values.
"""

from __future__ import annotations

import ipaddress
from typing import Any

from wizard.iam.wildcards import pattern_covers

_NEGATED = frozenset({"StringNotEquals", "StringNotEqualsIgnoreCase", "StringNotLike", "ArnNotEquals",
                      "ArnNotLike", "NotIpAddress"})
_POSITIVE = frozenset({"StringEquals", "StringEqualsIgnoreCase", "StringLike", "ArnEquals", "ArnLike",
                       "IpAddress"})
#: Operators whose values are patterns (``*`` and ``?``); the String*Equals ones compare literally.
_GLOBS = frozenset({"StringLike", "StringNotLike", "ArnEquals", "ArnLike", "ArnNotEquals", "ArnNotLike"})
_ADDRESSES = frozenset({"IpAddress", "NotIpAddress"})
_QUALIFIERS = ("ForAllValues:", "ForAnyValue:")
_IF_EXISTS = "IfExists"

Clause = tuple[str, str, frozenset[str]]


def _text(value: Any) -> str:
    """A condition value as IAM reads it: JSON booleans are the strings ``true``/``false``."""
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def _values(value: Any) -> frozenset[str]:
    if isinstance(value, list):
        return frozenset(_text(v) for v in value)
    return frozenset((_text(value),))


def clauses(condition: dict) -> list[Clause]:
    """The block's clauses as (operator, lower-cased key, values)."""
    found = []
    for operator, block in (condition or {}).items():
        if isinstance(block, dict):
            for key, value in block.items():
                found.append((str(operator), str(key).lower(), _values(value)))
    return found


def parts(operator: str) -> tuple[str, str, bool]:
    """``ForAllValues:StringLikeIfExists`` -> (``ForAllValues:``, ``StringLike``, True)."""
    qualifier = next((q for q in _QUALIFIERS if operator.startswith(q)), "")
    base = operator[len(qualifier):]
    if_exists = base.endswith(_IF_EXISTS)
    return qualifier, base.removesuffix(_IF_EXISTS), if_exists


def peer_within(inner: str, outer: str) -> bool:
    """Whether address block ``inner`` is the same as or inside ``outer`` (CIDR containment)."""
    if inner == outer:
        return True
    try:
        a, b = ipaddress.ip_network(inner, strict=False), ipaddress.ip_network(outer, strict=False)
    except ValueError:
        return False
    return a.version == b.version and a.subnet_of(b)


def _value_within(base: str, inner: str, outer: str) -> bool:
    """Whether every request value passing ``inner`` passes ``outer`` under operator ``base``."""
    if base in _GLOBS:
        return pattern_covers(outer, inner, case_sensitive=True)
    if base in _ADDRESSES:
        return peer_within(inner, outer)
    if base.endswith("IgnoreCase"):
        return inner.lower() == outer.lower()
    return inner == outer


def _values_imply(base: str, strong: frozenset[str], weak: frozenset[str]) -> bool:
    if base in _POSITIVE:
        return all(any(_value_within(base, s, w) for w in weak) for s in strong)
    if base in _NEGATED:
        return all(any(_value_within(base, w, s) for s in strong) for w in weak)
    return strong == weak


def clause_implies(strong: Clause, weak: Clause) -> bool:
    """Whether a request passing clause ``strong`` always passes clause ``weak``."""
    strong_operator, strong_key, strong_values = strong
    weak_operator, weak_key, weak_values = weak
    if strong_key != weak_key:
        return False
    strong_qualifier, strong_base, strong_if_exists = parts(strong_operator)
    weak_qualifier, weak_base, weak_if_exists = parts(weak_operator)
    if strong_qualifier != weak_qualifier or strong_base != weak_base:
        return False
    if strong_if_exists and not weak_if_exists:
        return False  # an absent key passes ``strong`` and fails ``weak``
    return _values_imply(strong_base, strong_values, weak_values)


def condition_implies(strong: dict, weak: dict) -> bool:
    """Whether every request that satisfies ``strong`` also satisfies ``weak``."""
    strong_clauses = clauses(strong)
    return all(any(clause_implies(s, w) for s in strong_clauses) for w in clauses(weak))
