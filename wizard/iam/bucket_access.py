"""What a bucket policy of the stack is for: reading the connected buckets, or writing them.

The Quilt template ships two S3 placeholders that grant nothing until a bucket is connected, and
the application fills each for its own purpose: one with read access (attached to the read-only
roles), one with read and write access. Nothing in a policy document that grants nothing says
which is which; the template does, by the names it gives the policy: the application is told
its ARN under a name such as ``QUILT_BUCKET_WRITE_POLICY_ARN`` (an environment variable, an
output, a parameter of the split form), and the policy's own logical id usually says it too
(``BucketWritePolicy``). :func:`purpose_of` reads those names. A policy no name calls a write
policy is a read policy: a wrong guess then costs a missing grant, never an extra one.
"""

from __future__ import annotations

import re
from typing import Any, Callable, Iterator, Mapping

READ, WRITE = "read", "write"

_WRITE = re.compile(r"write", re.IGNORECASE)
_READ = re.compile(r"read", re.IGNORECASE)


def _names_for(node: Any, logical_id: str) -> Iterator[str]:
    """Every name the body gives a ``Ref`` to ``logical_id``: the ``Name`` beside a ``Value``
    (an environment variable, a tag), or the key it is the value of (an output, a property)."""
    wanted = {"Ref": logical_id}
    if isinstance(node, Mapping):
        value = node.get("Value")
        if value == wanted and isinstance(node.get("Name"), str):
            yield node["Name"]
        for key, child in node.items():
            if child == wanted or (isinstance(child, Mapping) and child.get("Value") == wanted):
                yield str(key)
            yield from _names_for(child, logical_id)
    elif isinstance(node, list):
        for child in node:
            yield from _names_for(child, logical_id)


def _referenced(value: Any) -> str | None:
    """``X`` for ``{"Ref": X}`` (a mapping of that one key), else None."""
    if isinstance(value, Mapping) and len(value) == 1 and isinstance(value.get("Ref"), str):
        return value["Ref"]
    return None


def _all_names(body: Mapping) -> dict[str, list[str]]:
    """For every logical id, the names the body gives a ``Ref`` to it (as :func:`_names_for` finds
    them), in one walk of the body."""
    found: dict[str, list[str]] = {}
    stack: list[Any] = [body]
    while stack:
        node = stack.pop()
        if isinstance(node, Mapping):
            target = _referenced(node.get("Value"))
            if target is not None and isinstance(node.get("Name"), str):
                found.setdefault(target, []).append(node["Name"])
            for key, child in node.items():
                target = _referenced(child)
                if target is None and isinstance(child, Mapping):
                    target = _referenced(child.get("Value"))
                if target is not None:
                    found.setdefault(target, []).append(str(key))
                stack.append(child)
        elif isinstance(node, list):
            stack.extend(node)
    return found


def _purpose(names: list[str], logical_id: str) -> str:
    if any(_WRITE.search(n) for n in names):
        return WRITE
    if any(_READ.search(n) for n in names):
        return READ
    return WRITE if _WRITE.search(logical_id) else READ


def purpose_of(body: Mapping, logical_id: str) -> str:
    """``write`` when the template names policy ``logical_id`` for writing, else ``read``."""
    return _purpose(list(_names_for(body, logical_id)), logical_id)


def purposes(body: Mapping) -> Callable[[str], str]:
    """:func:`purpose_of` for any logical id of ``body``, the body walked once for them all (a
    template with many policies is read once, not once a policy)."""
    names = _all_names(body)
    return lambda logical_id: _purpose(names.get(logical_id, []), logical_id)
