"""Where a template's intrinsic functions are: the key that names one, and the containers that
hold one somewhere below them.

The evaluator returns every other part of a template as it is, so it needs to know, for each
mapping and list of a body, whether an intrinsic function is inside it. That is one walk of the
whole body, proportional to its size: it is done once per template (``Template.dynamic``), and
for a body kept in the parse cache it is done when the entry is written, where it also checks
how deeply the body nests, and read back with the body (``wizard.cfn.parsecache``).
"""

from __future__ import annotations

import sys
from typing import Any

#: What holds other values in a body.
CONTAINERS = (dict, list)


class NestedTooDeep(ValueError):
    """A body nests deeper than the walk was told to go."""


def is_intrinsic_key(key: Any) -> bool:
    """Whether ``key``, the only key of a mapping, names an intrinsic function."""
    return isinstance(key, str) and (key == "Ref" or key.startswith("Fn::"))


def dynamic_containers(body: Any, max_depth: int | None = None) -> list[dict | list]:
    """Every dict and list under ``body`` (itself included) that holds an intrinsic function
    somewhere, inner ones first. ``max_depth``: raise ``NestedTooDeep`` rather than go below
    that many levels of containers (``body`` is the first), so that reading a template checks
    its depth in the same pass."""
    dynamic: list[dict | list] = []
    containers = CONTAINERS
    limit = sys.maxsize if max_depth is None else max_depth

    def visit(node: dict | list, level: int) -> bool:
        # Only containers are visited: most nodes are scalars, and a call each would double the cost.
        if level > limit:
            raise NestedTooDeep(f"nested more than {limit} levels deep")
        if isinstance(node, dict):
            found = len(node) == 1 and is_intrinsic_key(next(iter(node)))
            values = node.values()
        else:
            found = False
            values = node
        deeper = level + 1
        for value in values:
            if isinstance(value, containers) and visit(value, deeper):
                found = True
        if found:
            dynamic.append(node)
        return found

    if isinstance(body, containers):
        visit(body, 1)
    return dynamic


def dynamic_ids(containers: list[dict | list]) -> frozenset[int]:
    """The ids the evaluator looks containers up by (valid while the body holding them lives)."""
    return frozenset(map(id, containers))
