"""Reading a CloudFormation template, once, with the line numbers messages need.

Templates are YAML (with CloudFormation's short-form tags such as ``!Sub`` and ``!GetAtt``)
or JSON. Both are read by PyYAML's C loader when it is present (JSON is YAML), which keeps
every mapping's and sequence's line numbers so that a grant, a finding or an error can point
at the template line it came from. Short-form tags become the long form
(``!GetAtt A.B`` -> ``{"Fn::GetAtt": ["A", "B"]}``), so the evaluator sees one shape.

A parsed template is immutable and cached by path, size and modification time: the TUI
re-evaluates it on every keypress and must never parse it twice.
"""

from __future__ import annotations

import json
import os
import re
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import Any, Iterator

import yaml

from wizard.errors import TemplateError

#: CloudFormation refuses templates larger than this (a template given by S3 URL).
MAX_TEMPLATE_BYTES = 1_048_576
#: Past this many nodes (counted through YAML aliases) a template is refused as a bomb.
MAX_NODES = 2_000_000

_LOADER_BASE = getattr(yaml, "CSafeLoader", yaml.SafeLoader)

_SHORT_TAGS = {
    "Ref": "Ref",
    "Condition": "Condition",
    **{name: f"Fn::{name}" for name in (
        "Sub", "GetAtt", "If", "Equals", "And", "Or", "Not", "Join", "Split", "Select",
        "FindInMap", "Base64", "Cidr", "GetAZs", "ImportValue", "Transform", "Length",
        "ToJsonString",
    )},
}


class LineDict(dict):
    """A mapping read from a template, remembering its line and each key's line."""

    __slots__ = ("line", "key_lines")

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.line: int | None = None
        self.key_lines: dict[Any, int] = {}


class LineList(list):
    """A sequence read from a template, remembering its line and each item's line."""

    __slots__ = ("line", "item_lines")

    def __init__(self, *args: Any) -> None:
        super().__init__(*args)
        self.line: int | None = None
        self.item_lines: list[int] = []


class _Loader(_LOADER_BASE):  # type: ignore[misc, valid-type]
    """Safe YAML loader that builds LineDict/LineList and long-form intrinsics."""

    def __init__(self, stream: str, source: str) -> None:
        super().__init__(stream)
        self.source = source

    def fail(self, node: yaml.Node, message: str) -> TemplateError:
        return TemplateError(message, file=self.source, line=node.start_mark.line + 1)

    def build_map(self, node: yaml.MappingNode) -> LineDict:
        if not isinstance(node, yaml.MappingNode):
            raise self.fail(node, f"expected a mapping, found {node.id}")
        self.flatten_mapping(node)
        data = LineDict()
        data.line = node.start_mark.line + 1
        for key_node, value_node in node.value:
            key = self.construct_object(key_node, deep=True)
            if not isinstance(key, (str, int, float, bool)) and key is not None:
                raise self.fail(key_node, "a mapping key must be a plain value")
            if key in data:
                raise self.fail(key_node, f"duplicate key {key!r} (first at line {data.key_lines[key]})")
            data[key] = self.construct_object(value_node, deep=True)
            data.key_lines[key] = key_node.start_mark.line + 1
        return data

    def build_list(self, node: yaml.SequenceNode) -> LineList:
        data = LineList(self.construct_object(child, deep=True) for child in node.value)
        data.line = node.start_mark.line + 1
        data.item_lines = [child.start_mark.line + 1 for child in node.value]
        return data


def _construct_map(loader: _Loader, node: yaml.MappingNode) -> LineDict:
    return loader.build_map(node)


def _construct_list(loader: _Loader, node: yaml.SequenceNode) -> LineList:
    return loader.build_list(node)


def _construct_tag(loader: _Loader, suffix: str, node: yaml.Node) -> LineDict:
    name = _SHORT_TAGS.get(suffix)
    if name is None:
        raise loader.fail(node, f"unknown tag !{suffix}; expected a CloudFormation short form "
                                f"such as !Ref, !Sub or !GetAtt")
    if isinstance(node, yaml.ScalarNode):
        value: Any = loader.construct_scalar(node)
        if name == "Fn::GetAtt":
            resource, dot, attribute = value.partition(".")
            if not dot or not resource or not attribute:
                raise loader.fail(node, f"!GetAtt {value!r}: expected Resource.Attribute")
            value = [resource, attribute]
    elif isinstance(node, yaml.SequenceNode):
        value = loader.build_list(node)
    else:
        value = loader.build_map(node)
    result = LineDict({name: value})
    result.line = node.start_mark.line + 1
    result.key_lines[name] = result.line
    return result


_Loader.add_constructor("tag:yaml.org,2002:map", _construct_map)
_Loader.add_constructor("tag:yaml.org,2002:seq", _construct_list)
_Loader.add_multi_constructor("!", _construct_tag)


@dataclass(frozen=True, eq=False)
class Template:
    """A parsed CloudFormation template: its body (read-only), text and where it came from."""

    source: str
    text: str
    body: LineDict
    format: str = "yaml"
    _lines: dict = field(default_factory=dict, repr=False)

    @property
    def resources(self) -> dict[str, Any]:
        return self.body.get("Resources") or {}

    @property
    def conditions(self) -> dict[str, Any]:
        return self.body.get("Conditions") or {}

    @property
    def mappings(self) -> dict[str, Any]:
        return self.body.get("Mappings") or {}

    @property
    def outputs(self) -> dict[str, Any]:
        return self.body.get("Outputs") or {}

    @cached_property
    def parameters(self) -> dict[str, "ParameterSpec"]:
        from wizard.parameters import ParameterSpec

        raw = self.body.get("Parameters") or {}
        return {name: ParameterSpec.from_template(name, spec, self) for name, spec in raw.items()}

    def line_of(self, *path: Any) -> int | None:
        """The line of the deepest element of ``path`` that exists (a key or list index)."""
        node: Any = self.body
        line = None
        for step in path:
            if isinstance(node, dict) and step in node:
                line = node.key_lines.get(step, line) if isinstance(node, LineDict) else line
                node = node[step]
            elif isinstance(node, list) and isinstance(step, int) and 0 <= step < len(node):
                if isinstance(node, LineList) and step < len(node.item_lines):
                    line = node.item_lines[step]
                node = node[step]
            else:
                break
        return line

    def parameter_groups(self) -> list[tuple[str, list[str]]]:
        """``AWS::CloudFormation::Interface`` parameter groups, as (label, parameter names)."""
        interface = (self.body.get("Metadata") or {}).get("AWS::CloudFormation::Interface") or {}
        groups = []
        for group in interface.get("ParameterGroups") or []:
            label = ((group.get("Label") or {}).get("default")) or ""
            groups.append((label, [p for p in group.get("Parameters") or [] if p in self.parameters]))
        return groups


def _count_nodes(value: Any, limit: int) -> int:
    stack = [value]
    count = 0
    while stack:
        item = stack.pop()
        count += 1
        if count > limit:
            break
        if isinstance(item, dict):
            stack.extend(item.values())
        elif isinstance(item, list):
            stack.extend(item)
    return count


_ANCHOR = re.compile(r"(^|[\s\[{,:-])&[^\s]", re.MULTILINE)


def parse_template(text: str, source: str = "<template>") -> Template:
    """Parse template text (YAML or JSON); raise TemplateError with file and line on bad input."""
    if len(text.encode("utf-8", "surrogatepass")) > MAX_TEMPLATE_BYTES:
        raise TemplateError(f"the template is {len(text.encode()):,} bytes; CloudFormation accepts "
                            f"at most {MAX_TEMPLATE_BYTES:,}", file=source)
    stripped = text.lstrip()
    fmt = "json" if stripped.startswith("{") else "yaml"
    loader = _Loader(text, source)
    try:
        body = loader.get_single_data()
    except TemplateError:
        raise
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        if fmt == "json":
            body = _parse_json(text, source)
        else:
            problem = exc.problem or exc.context or "invalid YAML"
            raise TemplateError(f"not valid YAML: {problem}", file=source,
                                line=mark.line + 1 if mark else None) from None
    except yaml.YAMLError as exc:
        raise TemplateError(f"not valid YAML: {exc}", file=source) from None
    except RecursionError:
        raise TemplateError("the template nests too deeply to be a CloudFormation template",
                            file=source) from None
    finally:
        loader.dispose()
    if not isinstance(body, dict):
        raise TemplateError("expected a CloudFormation template (a mapping with Resources), "
                            f"found {type(body).__name__ if body is not None else 'an empty file'}",
                            file=source)
    if _ANCHOR.search(text) and _count_nodes(body, MAX_NODES) > MAX_NODES:
        raise TemplateError(f"the template expands to more than {MAX_NODES:,} values through YAML "
                            "aliases (a YAML bomb?)", file=source)
    resources = body.get("Resources")
    if not isinstance(resources, dict) or not resources:
        raise TemplateError("no Resources: a CloudFormation template needs at least one resource",
                            file=source, line=getattr(body, "key_lines", {}).get("Resources"))
    for section in ("Parameters", "Conditions", "Mappings", "Outputs"):
        if section in body and body[section] is not None and not isinstance(body[section], dict):
            raise TemplateError(f"{section} must be a mapping", file=source,
                                line=body.key_lines.get(section) if isinstance(body, LineDict) else None)
    for logical_id, resource in resources.items():
        line = resources.key_lines.get(logical_id) if isinstance(resources, LineDict) else None
        if not isinstance(resource, dict) or not isinstance(resource.get("Type"), str):
            raise TemplateError("a resource needs a Type", file=source, where=f"Resources/{logical_id}",
                                line=line)
    return Template(source=source, text=text, body=body, format=fmt)


def _parse_json(text: str, source: str) -> LineDict:
    try:
        data = json.loads(text, object_hook=_json_object)
    except json.JSONDecodeError as exc:
        raise TemplateError(f"not valid JSON: {exc.msg}", file=source, line=exc.lineno) from None
    return data


def _json_object(pairs: dict) -> LineDict:
    return LineDict(pairs)


_CACHE: dict[str, tuple[tuple[int, int], Template]] = {}


def load_template(path: str | os.PathLike[str]) -> Template:
    """Load a template file, reusing the parsed copy while the file is unchanged."""
    path = Path(path)
    display = str(path)
    try:
        stat = path.stat()
    except FileNotFoundError:
        raise TemplateError("no such file", file=display) from None
    except OSError as exc:
        raise TemplateError(f"cannot read: {exc.strerror}", file=display) from None
    if path.is_dir():
        raise TemplateError("is a folder, expected a template file", file=display)
    key = str(path.resolve())
    stamp = (stat.st_size, stat.st_mtime_ns)
    cached = _CACHE.get(key)
    if cached and cached[0] == stamp:
        return cached[1]
    if stat.st_size > MAX_TEMPLATE_BYTES:
        raise TemplateError(f"the template is {stat.st_size:,} bytes; CloudFormation accepts at most "
                            f"{MAX_TEMPLATE_BYTES:,}", file=display)
    try:
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError:
        raise TemplateError("not a text file (expected UTF-8 YAML or JSON)", file=display) from None
    except OSError as exc:
        raise TemplateError(f"cannot read: {exc.strerror}", file=display) from None
    template = parse_template(text, display)
    _CACHE[key] = (stamp, template)
    return template


def iter_nodes(value: Any) -> Iterator[Any]:
    """Every dict, list and scalar under ``value``, depth first."""
    stack = [value]
    while stack:
        item = stack.pop()
        yield item
        if isinstance(item, dict):
            stack.extend(item.values())
        elif isinstance(item, list):
            stack.extend(item)
