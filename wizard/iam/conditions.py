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
- operators of one family compare across: ``StringEquals`` and ``StringLike`` on a value
  without ``*`` or ``?`` are the same test, ``StringEquals 'home/*'`` (the literal) implies
  ``StringLike 'home/*'`` (the pattern) but not the reverse, and ``StringEquals`` implies
  ``StringEqualsIgnoreCase`` on the same letters; likewise ``StringNotEquals``/``StringNotLike``
  (excluding a pattern excludes each literal it matches) and ``ArnEquals``/``ArnLike`` (both
  patterns);
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

from wizard.iam.wildcards import action_matches, pattern_covers

_NEGATED = frozenset({"StringNotEquals", "StringNotEqualsIgnoreCase", "StringNotLike", "ArnNotEquals",
                      "ArnNotLike", "NotIpAddress"})
_POSITIVE = frozenset({"StringEquals", "StringEqualsIgnoreCase", "StringLike", "ArnEquals", "ArnLike",
                       "IpAddress"})
#: Operators whose values are patterns (``*`` and ``?``); the String*Equals ones compare literally.
_GLOBS = frozenset({"StringLike", "StringNotLike", "ArnEquals", "ArnLike", "ArnNotEquals", "ArnNotLike"})
_ADDRESSES = frozenset({"IpAddress", "NotIpAddress"})
#: Operators that are one test on the values' sets, each the family's name: the base of a
#: clause is compared through its family, and its values read as literals or patterns.
_FAMILY = {"StringEquals": "String", "StringLike": "String", "StringEqualsIgnoreCase": "String",
           "StringNotEquals": "StringNot", "StringNotLike": "StringNot", "StringNotEqualsIgnoreCase": "StringNot",
           "ArnEquals": "Arn", "ArnLike": "Arn", "ArnNotEquals": "ArnNot", "ArnNotLike": "ArnNot"}
#: How a value of these operators reads: a pattern, a literal, or a literal whatever its case.
_PATTERN, _LITERAL, _ANY_CASE = "pattern", "literal", "any-case"
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


def _reading(base: str) -> str:
    if base in _GLOBS:
        return _PATTERN
    return _ANY_CASE if base.endswith("IgnoreCase") else _LITERAL


def _is_literal_pattern(value: str) -> bool:
    return "*" not in value and "?" not in value


def _string_within(inner: tuple[str, str], outer: tuple[str, str]) -> bool:
    """Whether every request value ``inner`` (a reading and a value) admits, ``outer`` admits."""
    (inner_reading, inner_value), (outer_reading, outer_value) = inner, outer
    if inner_reading == _PATTERN and _is_literal_pattern(inner_value):
        inner_reading = _LITERAL  # a pattern without a wildcard matches only itself
    if inner_reading == _PATTERN:
        return outer_reading == _PATTERN and pattern_covers(outer_value, inner_value, case_sensitive=True)
    if outer_reading == _PATTERN:
        # one literal (any spelling of it, for an IgnoreCase one: proven only without letters)
        return action_matches(outer_value, inner_value, case_sensitive=True) and (
            inner_reading == _LITERAL or inner_value.lower() == inner_value.upper())
    if outer_reading == _ANY_CASE:
        return inner_value.lower() == outer_value.lower()
    return inner_value == outer_value and (inner_reading == _LITERAL or inner_value.lower() == inner_value.upper())


def _value_within(base: str, inner: str, outer: str, outer_base: str | None = None) -> bool:
    """Whether every request value passing ``inner`` passes ``outer`` under operator ``base``
    (``outer`` under ``outer_base`` when the two differ within a family)."""
    outer_base = outer_base or base
    if base in _FAMILY:
        return _string_within((_reading(base), inner), (_reading(outer_base), outer))
    if base in _ADDRESSES:
        return peer_within(inner, outer)
    return inner == outer


def _values_imply(base: str, strong: frozenset[str], weak: frozenset[str], weak_base: str | None = None) -> bool:
    weak_base = weak_base or base
    if base in _POSITIVE:
        return all(any(_value_within(base, s, w, weak_base) for w in weak) for s in strong)
    if base in _NEGATED:
        return all(any(_value_within(weak_base, w, s, base) for s in strong) for w in weak)
    return strong == weak


def clause_implies(strong: Clause, weak: Clause) -> bool:
    """Whether a request passing clause ``strong`` always passes clause ``weak``."""
    strong_operator, strong_key, strong_values = strong
    weak_operator, weak_key, weak_values = weak
    if strong_key != weak_key:
        return False
    strong_qualifier, strong_base, strong_if_exists = parts(strong_operator)
    weak_qualifier, weak_base, weak_if_exists = parts(weak_operator)
    if strong_qualifier != weak_qualifier:
        return False
    if strong_base != weak_base and (strong_base not in _FAMILY or _FAMILY[strong_base] != _FAMILY.get(weak_base)):
        return False
    if strong_if_exists and not weak_if_exists:
        return False  # an absent key passes ``strong`` and fails ``weak``
    return _values_imply(strong_base, strong_values, weak_values, weak_base)


def condition_implies(strong: dict, weak: dict, *, known: dict | None = None) -> bool:
    """Whether every request that satisfies ``strong`` also satisfies ``weak``; ``known`` is a
    block every such request satisfies anyway (what its principal says, for instance)."""
    strong_clauses = clauses(strong) + clauses(known or {})
    return all(any(clause_implies(s, w) for s in strong_clauses) for w in clauses(weak))
