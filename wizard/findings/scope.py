"""Which IAM actions can be scoped to a resource ARN, and which only ever take ``*``.

The customer's reviewers asked why some statements say ``Resource: '*'``; the vendor's answer
was that some are unavoidable (AWS Marketplace metering, for one). That is checkable: the IAM
definitions list, for every action, the resource types it can be limited to, and an action
with none (``aws-marketplace:MeterUsage``, ``cloudwatch:GetMetricData``, ``s3:ListAllMyBuckets``)
can only be granted on ``*``. A wildcard on such an action is a fact to record; a wildcard on
an action that could name its resource is a choice to question.

The set is read from the same offline definitions file as ``wizard.iam.actions`` and cached the
same way (in the cache directory, keyed by that file's size and modification time), so a
normal run reads a few kilobytes, not thirteen megabytes.
"""

from __future__ import annotations

import json
import threading
from pathlib import Path

from wizard.iam import actions as iam_actions

_FORMAT = 1

_unscoped: frozenset[str] | None = None
_lock = threading.Lock()


def _cache_path(definitions: Path) -> Path:
    stat = definitions.stat()
    return iam_actions.cache_dir() / f"iam-unscoped-{_FORMAT}-{stat.st_size}-{stat.st_mtime_ns}.json"


def _build(definitions: Path) -> frozenset[str]:
    raw = json.loads(definitions.read_bytes())
    found = set()
    for prefix, service in raw.items():
        if not isinstance(service, dict):
            continue
        for privilege in (service.get("privileges") or {}).values():
            types = privilege.get("resource_types") or {}
            if all(not name for name in types):
                found.add(f"{prefix}:{privilege['privilege']}".lower())
    return frozenset(found)


def _load() -> frozenset[str]:
    definitions = iam_actions.definitions_file()
    try:
        path = _cache_path(definitions)
        stored = json.loads(path.read_bytes())
        if isinstance(stored, list):
            return frozenset(stored)
    except (OSError, ValueError):
        pass
    found = _build(definitions)
    try:
        from wizard.atomic import write_atomic

        write_atomic(_cache_path(definitions), json.dumps(sorted(found), separators=(",", ":")))
    except OSError:
        pass  # an unwritable cache only costs time
    return found


def unscoped_actions() -> frozenset[str]:
    """Lower-case ``service:action`` names of every action that accepts no resource ARN."""
    global _unscoped
    if _unscoped is None:
        with _lock:
            if _unscoped is None:
                _unscoped = _load()
    return _unscoped


def split_by_scope(patterns: tuple[str, ...]) -> tuple[tuple[str, ...], tuple[str, ...], tuple[str, ...]]:
    """Expand action patterns into (scopable, unscopable, unknown patterns).

    Scopable actions can name a resource ARN; unscopable ones accept only ``*``; unknown
    patterns match no action AWS defines and are kept as written.
    """
    unscoped = unscoped_actions()
    scopable: set[str] = set()
    fixed: set[str] = set()
    unknown = []
    for pattern in patterns:
        names = iam_actions.expand(pattern)
        if not names:
            unknown.append(pattern)
        for name in names:
            (fixed if name.lower() in unscoped else scopable).add(name)
    return tuple(sorted(scopable)), tuple(sorted(fixed)), tuple(unknown)
