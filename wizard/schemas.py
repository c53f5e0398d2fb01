"""JSON Schema validation of the data files, with messages that point at file, field and line.

Every schema lives in ``assets/schemas/``; each is read and compiled once. A failure becomes
one ``InputError``: the file, the JSON pointer of the offending field, its line (when the data
came from ``wizard.cfn.yamlsource``) and what was expected.

``jsonschema`` is the validator of record, but importing and compiling it costs a headless run
more than validating its 40-line answers file is worth, and the same files (an answers file in
CI, the modes, a saved profile) are read run after run. So a document ``jsonschema`` accepted is
remembered in the cache folder (``wizard.verdicts``) by a digest of the document (its values and their types), of the
schema files and of the installed ``jsonschema``: the same document against the same schemas is
accepted again without importing it. Only acceptance is remembered; a refusal is always worked
out again, so its message is ``jsonschema``'s own. A missing or unwritable cache only costs time.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any

from wizard import verdicts
from wizard.errors import InputError
from wizard.paths import SCHEMAS
from wizard.cfn.yamlsource import line_at
from wizard.memo import memo
from wizard.memo import once


@memo(maxsize=16)
def _validator(name: str) -> Any:
    import jsonschema
    from referencing import Registry, Resource

    schemas = {p.name: json.loads(p.read_text()) for p in SCHEMAS.glob("*.schema.json")}
    registry = Registry().with_resources(
        (f"quilt-wizard/{file}", Resource.from_contents(body)) for file, body in schemas.items())
    schema = schemas[f"{name}.schema.json"]
    cls = jsonschema.validators.validator_for(schema)
    return cls(schema, registry=registry)


@memo(maxsize=16)
def top_level_keys(schema: str) -> tuple[str, ...]:
    """The fields a schema declares at the top of a document: how a file of that kind is recognised."""
    return tuple(json.loads((SCHEMAS / f"{schema}.schema.json").read_text()).get("properties", {}))


_VERDICTS = "schema-verdicts-1"


def validate(data: Any, schema: str, source: str, error: type[InputError] = InputError) -> None:
    """Raise ``error`` naming file, pointer and line when ``data`` does not fit ``schema``."""
    verdict = _digest(data, schema)
    if verdict is not None and verdicts.known(_VERDICTS, verdict):
        return  # jsonschema accepted this very document against these very schemas before
    import jsonschema

    validator = _validator(schema)
    problems = sorted(validator.iter_errors(data), key=lambda e: (list(e.absolute_path), e.message))
    if not problems:
        if verdict is not None:
            verdicts.remember(_VERDICTS, verdict)
        return
    problem = jsonschema.exceptions.best_match(problems)
    path = list(problem.absolute_path)
    if problem.validator == "additionalProperties" and isinstance(problem.instance, dict):
        allowed = set(problem.schema.get("properties", {}))
        path += sorted(str(k) for k in problem.instance if k not in allowed)[:1]
    pointer = "/" + "/".join(str(p) for p in path) if path else "/"
    raise error(_expected(problem), file=source, where=pointer, line=line_at(data, path))


def _digest(data: Any, schema: str) -> str | None:
    """What jsonschema's acceptance of ``data`` against ``schema`` is remembered by
    (``wizard.verdicts``); None when the document cannot be told apart exactly (a value of a
    kind the digest does not know)."""
    digest = hashlib.sha256(_schemas_digest())
    digest.update(schema.encode() + b"\0")
    try:
        _feed(digest, data, 0)
    except (TypeError, RecursionError):
        return None
    return digest.hexdigest()


def _feed(digest: Any, value: Any, depth: int) -> None:
    """Every value of the document with its kind, in order: two documents feed the same bytes only
    when jsonschema sees the same document (``1``, ``1.0``, ``True`` and ``"1"`` all differ)."""
    if depth > 200:
        raise RecursionError
    if isinstance(value, dict):
        digest.update(b"{%d\0" % len(value))
        for key, item in value.items():
            _feed(digest, key, depth + 1)
            _feed(digest, item, depth + 1)
    elif isinstance(value, (list, tuple)):
        digest.update(b"[%d\0" % len(value))
        for item in value:
            _feed(digest, item, depth + 1)
    elif value is None or type(value) in _SCALARS:
        text = repr(value).encode("utf-8", "surrogatepass")
        digest.update(_SCALARS.get(type(value), b"n") + b"%d\0" % len(text) + text)
    else:
        raise TypeError(f"no digest for {type(value).__name__}")


_SCALARS = {str: b"s", bool: b"b", int: b"i", float: b"f"}


@once
def _schemas_digest() -> bytes:
    """The schema files (any may be referenced) and the installed jsonschema's version."""
    digest = hashlib.sha256(_VERDICTS.encode() + b"\0" + _jsonschema_version().encode() + b"\0")
    for path in sorted(SCHEMAS.glob("*.schema.json")):
        body = path.read_bytes()
        digest.update(path.name.encode() + b"\0%d\0" % len(body) + body)
    return digest.digest()


def _jsonschema_version() -> str:
    """jsonschema's version from its install record, found without importing it."""
    import importlib.util

    spec = importlib.util.find_spec("jsonschema")
    if spec is None or not spec.submodule_search_locations:
        return "unknown"
    site = Path(next(iter(spec.submodule_search_locations))).parent
    try:
        records = sorted(site.glob("jsonschema-*.dist-info"))
    except OSError:
        records = []
    return records[-1].name if records else "unknown"


def _expected(problem: Any) -> str:
    validator = problem.validator
    if validator == "additionalProperties":
        allowed = set(problem.schema.get("properties", {}))
        extra = sorted(str(k) for k in problem.instance if k not in allowed)
        expected = f"; expected {', '.join(sorted(allowed))}" if allowed else ""
        return f"unexpected field{'s' if len(extra) > 1 else ''} {', '.join(repr(e) for e in extra)}{expected}"
    found = _short(problem.instance)
    if validator == "enum":
        return f"expected one of {', '.join(map(str, problem.validator_value))}, found {found}"
    if validator == "const":
        return f"expected {problem.validator_value!r}, found {found}"
    if validator == "pattern":
        return f"{found} does not match the expected form {problem.validator_value}"
    if validator == "type":
        return f"expected {problem.validator_value}, found {type(problem.instance).__name__} {found}"
    if validator == "required":
        return problem.message.replace("is a required property", "is required")
    return _short(problem.message, 300)


def _short(value: Any, limit: int = 80) -> str:
    """A value for a one-line message: its repr, cut short."""
    import reprlib

    shortener = reprlib.Repr()
    shortener.maxstring = shortener.maxother = limit
    text = value if isinstance(value, str) and limit > 80 else shortener.repr(value)
    return text if len(text) <= limit else text[:limit - 3] + "..."
