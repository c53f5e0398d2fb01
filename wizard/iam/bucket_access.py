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
from typing import Any, Iterator, Mapping

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


def purpose_of(body: Mapping, logical_id: str) -> str:
    """``write`` when the template names policy ``logical_id`` for writing, else ``read``."""
    names = list(_names_for(body, logical_id))
    if any(_WRITE.search(n) for n in names):
        return WRITE
    if any(_READ.search(n) for n in names):
        return READ
    return WRITE if _WRITE.search(logical_id) else READ
