"""Secrets and keys: NoEcho values in plain environments, KMS keys that never rotate.

A ``NoEcho`` parameter is hidden from the console and the API's describe calls, but a task
definition's ``Environment`` or a function's ``Environment.Variables`` is not: anyone who may
describe the task definition or read the function's configuration reads the value. The
template is read as written (the evaluated one carries values, not where they came from).
"""

from __future__ import annotations

import weakref
from typing import TYPE_CHECKING, Any, Iterator

from wizard.findings.context import RuleContext
from wizard.findings.model import Hit
from wizard.findings.rules import detector

if TYPE_CHECKING:
    from wizard.cfn.template import Template


def _references(value: Any) -> Iterator[str]:
    """Every parameter name a written value refers to (``Ref``, ``Fn::Sub`` ``${Name}``)."""
    if isinstance(value, dict):
        for key, inner in value.items():
            if key == "Ref" and isinstance(inner, str):
                yield inner
            elif key == "Fn::Sub":
                text = inner[0] if isinstance(inner, list) and inner else inner
                if isinstance(text, str):
                    import re

                    yield from re.findall(r"\$\{([A-Za-z0-9]+)\}", text)
                if isinstance(inner, list) and len(inner) > 1:
                    yield from _references(inner[1])
            else:
                yield from _references(inner)
    elif isinstance(value, list):
        for item in value:
            yield from _references(item)


def _plain_environments(ctx: RuleContext) -> Iterator[tuple[str, str, str, Any, tuple]]:
    """(resource, where, variable, written value, path) of every plain environment variable."""
    for logical_id, resource in ctx.template.resources.items():
        properties = (resource or {}).get("Properties") or {}
        if resource.get("Type") == "AWS::ECS::TaskDefinition":
            for index, container in enumerate(properties.get("ContainerDefinitions") or []):
                if not isinstance(container, dict):
                    continue
                for position, item in enumerate(container.get("Environment") or []):
                    if isinstance(item, dict):
                        yield (logical_id, f"container {container.get('Name', index)}", str(item.get("Name", "?")),
                               item.get("Value"), ("Properties", "ContainerDefinitions", index, "Environment", position))
        elif resource.get("Type") in ("AWS::Lambda::Function", "AWS::Serverless::Function"):
            variables = (properties.get("Environment") or {}).get("Variables") or {}
            for name, value in variables.items() if isinstance(variables, dict) else ():
                yield (logical_id, "function environment", str(name), value,
                       ("Properties", "Environment", "Variables", name))


@detector("QW-SEC-001")
def no_echo_in_plain_environment(ctx: RuleContext):
    """One finding per NoEcho parameter, listing every environment variable it is placed in.
    The template as written decides them alone: they are found once a template, whatever the
    values (a run finds the findings of its baseline and of its final values)."""
    hits = _NO_ECHO_HITS.get(ctx.template)
    if hits is None:
        hits = _NO_ECHO_HITS[ctx.template] = tuple(_no_echo_hits(ctx))
    return hits


#: The hits of QW-SEC-001, by the template they were found in.
_NO_ECHO_HITS: "weakref.WeakKeyDictionary[Template, tuple[Hit, ...]]" = weakref.WeakKeyDictionary()


def _no_echo_hits(ctx: RuleContext) -> Iterator[Hit]:
    hidden = {name for name, spec in ctx.template.parameters.items() if spec.no_echo}
    if not hidden:
        return
    places: dict[str, list[tuple[str, str, str, int | None]]] = {}
    for logical_id, where, variable, value, path in _plain_environments(ctx):
        for name in sorted(set(_references(value)) & hidden):
            places.setdefault(name, []).append((logical_id, where, variable, ctx.line(logical_id, *path)))
    for name, found in sorted(places.items()):
        listed = [f"{variable} of {where} in {logical_id}" + (f" (line {line})" if line else "")
                  for logical_id, where, variable, line in found]
        resources = tuple(dict.fromkeys(logical_id for logical_id, *_ in found))
        yield Hit(subject=name,
                  message=f"The NoEcho parameter {name} is placed in {len(found)} plain environment variable(s): "
                          f"{'; '.join(listed)}. Anyone who may describe these resources reads it in plain text.",
                  resources=(name, *resources), lines=tuple(sorted({line for *_, line in found if line})),
                  facts=(("parameter", name),))


@detector("QW-ENC-001")
def key_rotation_off(ctx: RuleContext):
    for logical_id, resource in ctx.evaluation.resources("AWS::KMS::Key").items():
        properties = resource.get("Properties") or {}
        spec = str(properties.get("KeySpec", "SYMMETRIC_DEFAULT"))
        if spec != "SYMMETRIC_DEFAULT" or str(properties.get("KeyUsage", "ENCRYPT_DECRYPT")) != "ENCRYPT_DECRYPT":
            continue  # AWS rotates only symmetric encryption keys
        if str(properties.get("EnableKeyRotation", "false")).lower() == "true":
            continue
        line = ctx.line(logical_id)
        yield Hit(subject=logical_id,
                  message=f"KMS key {logical_id} is a symmetric encryption key without EnableKeyRotation"
                          + (f" (line {line})" if line else "") + ": its key material never changes.",
                  resources=(logical_id,), lines=(line,) if line else ())
