"""JSON Schema validation of the data files, with messages that point at file, field and line.

Every schema lives in ``assets/schemas/``; each is read and compiled once. A failure becomes
one ``InputError``: the file, the JSON pointer of the offending field, its line (when the data
came from ``wizard.cfn.yamlsource``) and what was expected.
"""

from __future__ import annotations

import json
from typing import Any

from wizard.errors import InputError
from wizard.paths import SCHEMAS
from wizard.cfn.yamlsource import line_at
from wizard.memo import memo


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


def validate(data: Any, schema: str, source: str, error: type[InputError] = InputError) -> None:
    """Raise ``error`` naming file, pointer and line when ``data`` does not fit ``schema``."""
    import jsonschema

    validator = _validator(schema)
    problems = sorted(validator.iter_errors(data), key=lambda e: (list(e.absolute_path), e.message))
    if not problems:
        return
    problem = jsonschema.exceptions.best_match(problems)
    path = list(problem.absolute_path)
    if problem.validator == "additionalProperties" and isinstance(problem.instance, dict):
        allowed = set(problem.schema.get("properties", {}))
        path += sorted(str(k) for k in problem.instance if k not in allowed)[:1]
    pointer = "/" + "/".join(str(p) for p in path) if path else "/"
    raise error(_expected(problem), file=source, where=pointer, line=line_at(data, path))


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
