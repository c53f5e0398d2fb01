"""Values under conditions: what an ``Fn::If`` (or the overlay's ``Overlay::IfDeclared``) leads to.

The permissions boundary copies statements from wherever the template grants them, each under the
conditions it sits under. This module walks those choices: the leaves of a value with the branches
that lead to each (``leaves``, ``branches``), a statement put back under its branches
(``wrapped``) or taken out of them (``peeled``), a value with the conditions a truth settles
(``settled``), and the logical ids a value names (``named_ids``).
"""

from __future__ import annotations

import re
from typing import Any, Iterator

from wizard.overlay.match import literals

NO_VALUE = {"Ref": "AWS::NoValue"}


_SUB_NAME = re.compile(r"\$\{([A-Za-z0-9]+)(?:\.[A-Za-z0-9.]+)?\}")


#: The overlay's marker for a value chosen once every rule has applied (``wizard.overlay.edits``):
#: a boundary keeps it, around what it copies, for the same choice to be made there.
DECLARED = "Overlay::IfDeclared"


#: How a value is reached: ``(condition, branch)`` of an ``Fn::If``, or ``((DECLARED, names), branch)``.
Wrappers = tuple[tuple[Any, bool], ...]


def fn_if(condition: str, when: Any, otherwise: Any) -> dict:
    return {"Fn::If": [condition, when, otherwise]}


def wrapped(statement: Any, wrappers: Wrappers) -> Any:
    """``statement`` under each ``(condition, branch)``, innermost last."""
    for condition, branch in reversed(wrappers):
        chosen, other = (statement, NO_VALUE) if branch else (NO_VALUE, statement)
        if isinstance(condition, tuple):
            statement = {DECLARED: {"names": list(condition[1]), "then": chosen, "else": other}}
        else:
            statement = fn_if(condition, chosen, other)
    return statement


def is_if(value: Any) -> bool:
    return isinstance(value, dict) and len(value) == 1 and isinstance(value.get("Fn::If"), list) \
        and len(value["Fn::If"]) == 3 and isinstance(value["Fn::If"][0], str)


def choice_of(value: Any) -> tuple[Any, Any, Any] | None:
    """(wrapper key, value when true, value when false) of an ``Fn::If`` or a declared-names marker."""
    if is_if(value):
        return tuple(value["Fn::If"])  # type: ignore[return-value]
    spec = value.get(DECLARED) if isinstance(value, dict) and len(value) == 1 else None
    if isinstance(spec, dict):
        return (DECLARED, tuple(literals(spec.get("names")))), spec.get("then"), spec.get("else", NO_VALUE)
    return None


def leaves(value: Any, wrappers: Wrappers = ()) -> Iterator[tuple[Any, Wrappers]]:
    """Every non-``Fn::If`` value inside ``value`` (lists flattened), with the branches that lead to it."""
    choice = choice_of(value)
    if choice is not None:
        condition, when, otherwise = choice
        yield from leaves(when, (*wrappers, (condition, True)))
        yield from leaves(otherwise, (*wrappers, (condition, False)))
    elif isinstance(value, list):
        for item in value:
            yield from leaves(item, wrappers)
    elif value is not None and value != NO_VALUE:
        yield value, wrappers


def branches(value: Any, wrappers: Wrappers = ()) -> Iterator[tuple[Any, Wrappers]]:
    """``value`` itself, or the branches of its ``Fn::If`` (lists are not opened)."""
    choice = choice_of(value)
    if choice is not None:
        condition, when, otherwise = choice
        yield from branches(when, (*wrappers, (condition, True)))
        yield from branches(otherwise, (*wrappers, (condition, False)))
    elif value is not None and value != NO_VALUE:
        yield value, wrappers


def strings_in(value: Any) -> Iterator[str]:
    """The literal strings and ``Fn::Sub`` templates anywhere inside ``value``."""
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        sub = value.get("Fn::Sub")
        if isinstance(sub, str):
            yield sub
        elif isinstance(sub, list) and sub and isinstance(sub[0], str):
            yield sub[0]
        for key, item in value.items():
            if key != "Fn::Sub":
                yield from strings_in(item)
    elif isinstance(value, list):
        for item in value:
            yield from strings_in(item)


def named_ids(value: Any) -> set[str]:
    """The logical ids a value names (``Ref``, ``Fn::GetAtt``, ``${X}`` in ``Fn::Sub``)."""
    found: set[str] = set()
    if isinstance(value, dict):
        if isinstance(value.get("Ref"), str):
            found.add(value["Ref"])
        target = value.get("Fn::GetAtt")
        if isinstance(target, list) and target and isinstance(target[0], str):
            found.add(target[0])
        elif isinstance(target, str):
            found.add(target.split(".", 1)[0])
        sub = value.get("Fn::Sub")
        if isinstance(sub, str):
            found |= set(_SUB_NAME.findall(sub))
        elif isinstance(sub, list) and sub and isinstance(sub[0], str):
            local = set(sub[1]) if len(sub) > 1 and isinstance(sub[1], dict) else set()
            found |= set(_SUB_NAME.findall(sub[0])) - local
            found |= named_ids(sub[1:])
        for key, item in value.items():
            if key not in ("Ref", "Fn::GetAtt", "Fn::Sub"):
                found |= named_ids(item)
    elif isinstance(value, list):
        for item in value:
            found |= named_ids(item)
    return found


def peeled(value: Any) -> tuple[Wrappers, Any]:
    """(the conditions a statement sits under, one branch each, the statement itself)."""
    wrappers: list[tuple[Any, bool]] = []
    while is_if(value) and NO_VALUE in value["Fn::If"][1:]:
        condition, when, otherwise = value["Fn::If"]
        branch = otherwise == NO_VALUE
        wrappers.append((condition, branch))
        value = when if branch else otherwise
    return tuple(wrappers), value


def settled(value: Any, truth: dict[str, bool]) -> Any:
    """``value`` with each ``Fn::If`` whose condition ``truth`` settles replaced by its branch."""
    if is_if(value):
        condition, when, otherwise = value["Fn::If"]
        if condition in truth:
            return settled(when if truth[condition] else otherwise, truth)
        return {"Fn::If": [condition, settled(when, truth), settled(otherwise, truth)]}
    if isinstance(value, dict):
        return {k: settled(v, truth) for k, v in value.items()}
    if isinstance(value, list):
        return [c for c in (settled(v, truth) for v in value) if c != NO_VALUE]
    return value


def ifs_as_lists(value: Any) -> Any:
    """``value`` with every mapping made a list of its values, so ``leaves`` sees every ``Fn::If``."""
    if is_if(value):
        return value
    if isinstance(value, dict):
        return [ifs_as_lists(v) for v in value.values()]
    if isinstance(value, list):
        return [ifs_as_lists(v) for v in value]
    return value
