"""Which parameters each resource of a template reads: two evaluations of one template that
agree on those parameters resolve the resource alike.

A resource reads a parameter when its ``Condition``, a ``Ref`` or an ``Fn::Sub`` variable in its
body, or a Condition chosen by an ``Fn::If`` in it (through every Condition that one names) reads
it. ``Ref`` to a stack managed policy gives its ARN, built from its ``Path`` and
``ManagedPolicyName``: what those read counts too. ``Fn::GetAtt`` and ``Ref`` to any other
resource give symbolic values (``wizard.cfn.evaluate``), which read nothing. A ``Ref`` whose
target is itself computed, or a cycle, could read anything: that resource reads every parameter.

Pseudo parameters are not listed: two evaluations with different pseudo parameters never share.
Each resource's answer is worked out the first time it is asked, once per parsed template, and
forgotten with it.
"""

from __future__ import annotations

import re
import weakref
from typing import Any, Mapping, Protocol

from wizard.cfn.parameters import ParameterValues
from wizard.cfn.pseudo import Pseudo
from wizard.cfn.template import Template


class Evaluated(Protocol):
    """What is compared of two evaluations (``wizard.cfn.evaluate.Evaluation``, which imports
    this module)."""

    template: Template
    parameters: ParameterValues
    pseudo: Pseudo

_VARIABLE = re.compile(r"\$\{([^}]*)\}")

#: Each parsed template's reader, with what it has worked out; forgotten with the template.
_READERS: "weakref.WeakKeyDictionary[Template, _Reader]" = weakref.WeakKeyDictionary()


class _Reader:
    def __init__(self, template: Template):
        # The template's parts, never the template itself: the reader is kept while it lives.
        self.parameters = frozenset(template.parameters)
        self.resources = template.resources
        self.condition_bodies = template.conditions
        self.every = self.parameters
        #: The ids of the template's mappings and lists that hold an intrinsic function
        #: (``wizard.cfn.evaluate``), when known: a resource's part without one reads nothing.
        self.dynamic: frozenset[int] | None = None
        self.conditions: dict[str, frozenset[str]] = {}
        self.policy_names: dict[str, frozenset[str]] = {}
        self.reads: dict[str, frozenset[str] | None] = {}

    def of(self, logical_id: str) -> frozenset[str] | None:
        """What resolving one resource reads (None for a name that is no resource)."""
        found = self.reads.get(logical_id, False)
        if found is False:
            raw = self.resources.get(logical_id)
            found = self.reads[logical_id] = None if raw is None else self.resource(raw)
        return found

    def condition(self, name: Any, visiting: tuple[str, ...] = ()) -> frozenset[str]:
        if not isinstance(name, str) or name in visiting:
            return self.every
        if name not in self.conditions:
            body = (self.condition_bodies or {}).get(name)
            found: set[str] = set()
            self.walk(body, found, (*visiting, name), in_condition=True)
            self.conditions[name] = frozenset(found)
        return self.conditions[name]

    def ref(self, name: Any, found: set[str], visiting: tuple[str, ...]) -> None:
        if not isinstance(name, str):
            self.walk(name, found, visiting)
            found.update(self.every)
        elif name in self.parameters:
            found.add(name)
        elif name in self.resources:
            found.update(self.policy_arn(name))

    def policy_arn(self, logical_id: str) -> frozenset[str]:
        """What ``Ref`` to a resource reads: a managed policy's path and name, else nothing."""
        raw = self.resources.get(logical_id)
        if not isinstance(raw, dict) or raw.get("Type") != "AWS::IAM::ManagedPolicy":
            return frozenset()
        if logical_id not in self.policy_names:
            self.policy_names[logical_id] = self.every  # a cycle reads everything
            properties = raw.get("Properties") if isinstance(raw.get("Properties"), dict) else {}
            found: set[str] = set()
            for key in ("Path", "ManagedPolicyName"):
                self.walk(properties.get(key), found, ())
            self.policy_names[logical_id] = frozenset(found)
        return self.policy_names[logical_id]

    def sub(self, value: Any, found: set[str], visiting: tuple[str, ...]) -> None:
        local: Mapping[str, Any] = {}
        text = value
        if isinstance(value, list) and len(value) == 2:
            text, local = value[0], value[1] if isinstance(value[1], dict) else {}
            self.walk(value[1], found, visiting)
        if not isinstance(text, str):
            self.walk(text, found, visiting)
            return
        for match in _VARIABLE.finditer(text):
            name = match.group(1)
            if name.startswith("!"):
                continue
            name = name.strip()
            if name in local or ("." in name and not name.startswith("AWS::")):
                continue
            self.ref(name, found, visiting)

    def walk(self, node: Any, found: set[str], visiting: tuple[str, ...], in_condition: bool = False) -> None:
        if not in_condition and self.dynamic is not None and id(node) not in self.dynamic:
            return  # no Ref, Fn::Sub nor Fn::If in there (a condition's {Condition: name} is no intrinsic)
        if isinstance(node, list):
            for item in node:
                self.walk(item, found, visiting, in_condition)
            return
        if not isinstance(node, dict):
            return
        if len(node) == 1:
            key, value = next(iter(node.items()))
            if key == "Ref":
                self.ref(value, found, visiting)
                return
            if key == "Fn::Sub":
                self.sub(value, found, visiting)
                return
            if key == "Fn::If" and isinstance(value, list) and value:
                found.update(self.condition(value[0], visiting))
                for branch in value[1:]:
                    self.walk(branch, found, visiting, in_condition)
                return
            if key == "Condition" and in_condition:
                found.update(self.condition(value, visiting))
                return
        for value in node.values():
            self.walk(value, found, visiting, in_condition)

    def resource(self, raw: Any) -> frozenset[str]:
        if not isinstance(raw, dict):
            return frozenset()
        found: set[str] = set()
        for key, value in raw.items():
            if key == "Condition":
                found.update(self.condition(value))
            else:
                self.walk(value, found, ())
        return frozenset(found)


def _reader(template: Template) -> _Reader:
    reader = _READERS.get(template)
    if reader is None:
        reader = _READERS[template] = _Reader(template)
    return reader


def parameter_reads(template: Template) -> Mapping[str, frozenset[str]]:
    """Logical id -> the parameters resolving that resource (its existence included) reads."""
    reader = _reader(template)
    return {logical_id: reader.of(logical_id) for logical_id in template.resources}


def changed_parameters(a: Evaluated, b: Evaluated) -> frozenset[str] | None:
    """The parameters whose values differ between two evaluations of one template; None when
    they cannot share anything (another template, other pseudo parameters)."""
    if a.template is not b.template or a.pseudo != b.pseudo:
        return None
    raw_a, raw_b = a.parameters.raw, b.parameters.raw
    return frozenset(name for name in a.template.parameters if raw_a.get(name) != raw_b.get(name))


def resolved_alike(a: Evaluated, b: Evaluated, dynamic: frozenset[int] | None = None) -> "Alike":
    """Which resources the two evaluations resolve alike (same existence, same body);
    ``dynamic``: the ids of the template's parts that hold an intrinsic function, which spare
    the reader the rest."""
    reader = _reader(a.template)
    if dynamic is not None and reader.dynamic is None:
        reader.dynamic = dynamic
    return Alike(reader, changed_parameters(a, b))


class Alike:
    """``alike(logical_id)``: whether a resource reads none of the parameters that differ."""

    __slots__ = ("reader", "changed")

    def __init__(self, reader: _Reader, changed: frozenset[str] | None):
        self.reader = reader
        self.changed = changed

    def __call__(self, logical_id: str) -> bool:
        if self.changed is None:
            return False
        reads = self.reader.of(logical_id)
        return reads is not None and reads.isdisjoint(self.changed)
