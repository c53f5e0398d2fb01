"""Reading a CloudFormation template, once, with the line numbers messages need.

Templates are YAML (with CloudFormation's short-form tags such as ``!Sub`` and ``!GetAtt``)
or JSON, read by ``wizard.cfn.yamlsource`` (PyYAML's C loader when present; JSON is YAML, and
plain JSON takes the faster ``wizard.cfn.jsonsource`` to the same result), which
keeps line numbers so that a grant, a finding or an error can point at the template line it
came from, and gives the evaluator the long form of every intrinsic. Size limits and an alias
count guard against huge files and YAML bombs.

A parsed template is immutable and cached by path, size and modification time: the TUI
re-evaluates it on every keypress and must never parse it twice. Across runs, the parsed body
of a large template is kept on disk by the digest of its text (``wizard.cfn.parsecache``),
with the parts of it that hold an intrinsic function (``wizard.cfn.intrinsics``), which the
evaluator would otherwise look for again.
A template that declares the SAM transform is expanded after reading, as CloudFormation would,
and any other transform is refused (``wizard.cfn.transform``).
"""

from __future__ import annotations

import json
import os
import stat
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import Any

from wizard.atomic import read_text
from wizard.cfn import parsecache
from wizard.cfn.intrinsics import NestedTooDeep, dynamic_containers, dynamic_ids
from wizard.cfn.parameters import ParameterSpec
from wizard.cfn.shapes import problem as shape_problem
from wizard.cfn.transform import SAM, expand, mentions_transform
from wizard.cfn.yamlsource import LineDict, line_at, parse_yaml
from wizard.errors import TemplateError
from wizard.memo import Memo

#: CloudFormation refuses templates larger than this (a template given by S3 URL).
MAX_TEMPLATE_BYTES = 1_048_576
#: Deeper than this, a template is refused (real ones nest about 15 levels; evaluation recurses).
MAX_DEPTH = 100

@dataclass(frozen=True, eq=False)
class Template:
    """A parsed CloudFormation template: its body (read-only), text and where it came from."""

    source: str
    text: str
    body: LineDict
    format: str = "yaml"
    _lines: dict = field(default_factory=dict, repr=False)
    transform: str | None = None
    """The transform CloudFormation expands when it deploys ``text`` (``body`` is the expansion)."""
    _dynamic: frozenset[int] | None = field(default=None, init=False, repr=False)

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

    @property
    def dynamic(self) -> frozenset[int]:
        """The ids of the mappings and lists of ``body`` that hold an intrinsic function somewhere
        (``wizard.cfn.intrinsics``), which the evaluator walks while it returns the rest as it is:
        read back with a body kept in the parse cache, else worked out once, when first asked for."""
        found = self._dynamic
        if found is None:
            found = dynamic_ids(dynamic_containers(self.body))
            object.__setattr__(self, "_dynamic", found)
        return found

    @cached_property
    def parameters(self) -> dict[str, ParameterSpec]:
        raw = self.body.get("Parameters") or {}
        return {name: ParameterSpec.from_template(name, spec, self) for name, spec in raw.items()}

    def node_at(self, *path: Any) -> Any:
        """The raw (unevaluated) value at ``path``, or None."""
        node: Any = self.body
        for step in path:
            if isinstance(node, dict) and step in node:
                node = node[step]
            elif isinstance(node, list) and isinstance(step, int) and 0 <= step < len(node):
                node = node[step]
            else:
                return None
        return node

    def line_of(self, *path: Any) -> int | None:
        """The line of the deepest element of ``path`` that exists (a key or list index)."""
        return line_at(self.body, path)

    def parameter_groups(self) -> list[tuple[str, list[str]]]:
        """``AWS::CloudFormation::Interface`` parameter groups, as (label, parameter names)."""
        interface = (self.body.get("Metadata") or {}).get("AWS::CloudFormation::Interface") or {}
        groups = []
        for group in interface.get("ParameterGroups") or []:
            label = ((group.get("Label") or {}).get("default")) or ""
            groups.append((label, [p for p in group.get("Parameters") or [] if p in self.parameters]))
        return groups


class _KeptTemplate(Template):
    """A template whose text was read before and kept parsed (``wizard.cfn.parsecache``): its
    body is read back the first time it is asked for, so a run that needs only the text (the
    vendor's template, when the hardening made of it was kept) never reads it. The text was read
    and checked when the entry was made; should the entry be gone meanwhile, it is read again."""

    def __init__(self, source: str, text: str, fmt: str) -> None:
        for name, value in (("source", source), ("text", text), ("format", fmt), ("_lines", {}),
                            ("transform", None), ("_dynamic", None)):
            object.__setattr__(self, name, value)

    def _read(self) -> parsecache.Kept:
        found = self.__dict__.get("_kept")
        if found is None:
            found = parsecache.load(self.text) or _parsed(self.text, self.source, self.format)
            # One assignment keeps the body and its ids together: of two threads that read it at
            # once, the first to finish wins, with its own ids.
            found = self.__dict__.setdefault("_kept", found)
        return found

    @property
    def body(self) -> LineDict:  # type: ignore[override]
        return (self.__dict__.get("_kept") or self._read()).body  # asked for often: read once

    @property
    def dynamic(self) -> frozenset[int]:
        found = self._read().dynamic
        return found if found is not None else super().dynamic


def parse_template(text: str, source: str = "<template>") -> Template:
    """Parse template text (YAML or JSON); raise TemplateError with file and line on bad input."""
    if len(text.encode("utf-8", "surrogatepass")) > MAX_TEMPLATE_BYTES:
        raise TemplateError(f"the template is {len(text.encode()):,} bytes; CloudFormation accepts "
                            f"at most {MAX_TEMPLATE_BYTES:,}", file=source)
    fmt = "json" if text.lstrip().startswith("{") else "yaml"
    if not mentions_transform(text) and parsecache.has(text):  # no transform to expand: read when asked
        return _KeptTemplate(source, text, fmt)
    body, dynamic = parsecache.load(text) or _parsed(text, source, fmt)
    # A transform is expanded here, where every command reads its template (wizard.cfn.transform).
    expanded = expand(body, text, source)
    if expanded is not body:
        return Template(source=source, text=text, body=expanded, format=fmt, transform=SAM)
    template = Template(source=source, text=text, body=body, format=fmt)
    object.__setattr__(template, "_dynamic", dynamic)  # the body's own: read back, or worked out to keep it
    return template


def _parsed(text: str, source: str, fmt: str) -> parsecache.Kept:
    """The checked body of a template that was not in the parse cache, kept there when it is
    large, with its containers that hold an intrinsic function: the walk the evaluator would do
    otherwise, done here so that a later run reads it back (not for a body a transform expands)."""
    if not parsecache.keeps(text):
        return parsecache.Kept(_parse_body(text, source, fmt, walk=False)[0], None)
    body, dynamic = _parse_body(text, source, fmt, walk=not mentions_transform(text))
    parsecache.store(text, body, dynamic=dynamic)
    return parsecache.Kept(body, dynamic_ids(dynamic) if dynamic is not None else None)


def _parse_body(text: str, source: str, fmt: str, walk: bool) -> tuple[LineDict, list | None]:
    """The checked body of a template that was not in the parse cache, and (``walk``) its
    containers that hold an intrinsic function, found by the walk that checks its depth."""
    body = None
    if fmt == "json":
        from wizard.cfn.jsonsource import read_json

        body = read_json(text)  # the YAML reader's result, faster
    try:
        if body is None:
            body = parse_yaml(text, source, TemplateError)
    except TemplateError as exc:
        if fmt != "json" or exc.message.startswith("duplicate key"):
            raise
        body = _parse_json(text, source, exc)  # JSON that YAML 1.1 refuses (e.g. tabs): a second opinion
    if not isinstance(body, dict):
        raise TemplateError("expected a CloudFormation template (a mapping with Resources), "
                            f"found {type(body).__name__ if body is not None else 'an empty file'}",
                            file=source)
    resources = body.get("Resources")
    if not isinstance(resources, dict) or not resources:
        raise TemplateError("no Resources: a CloudFormation template needs at least one resource",
                            file=source, line=getattr(body, "key_lines", {}).get("Resources"))
    for section in ("Parameters", "Conditions", "Mappings", "Outputs", "Rules"):
        if section in body and body[section] is not None and not isinstance(body[section], dict):
            raise TemplateError(f"{section} must be a mapping", file=source,
                                line=body.key_lines.get(section) if isinstance(body, LineDict) else None)
    for name, rule in (body.get("Rules") or {}).items():
        assertions = rule.get("Assertions") if isinstance(rule, dict) else None
        if not isinstance(assertions, list) or not all(isinstance(a, dict) and "Assert" in a for a in assertions):
            raise TemplateError("a rule needs a list of Assertions, each a mapping with Assert", file=source,
                                where=f"Rules/{name}", line=line_at(body, ["Rules", name]))
    for logical_id, resource in resources.items():
        line = resources.key_lines.get(logical_id) if isinstance(resources, LineDict) else None
        if not isinstance(resource, dict) or not isinstance(resource.get("Type"), str):
            raise TemplateError("a resource needs a Type", file=source, where=f"Resources/{logical_id}",
                                line=line)
        wrong = shape_problem(resource, written=True)
        if wrong:
            path, message = wrong
            raise TemplateError(message, file=source, where="/".join(["Resources", str(logical_id), *map(str, path)]),
                                line=line_at(body, ["Resources", logical_id, *path]))
    for name, output in (body.get("Outputs") or {}).items():
        condition = output.get("Condition") if isinstance(output, dict) else None
        if condition is not None and not isinstance(condition, str):
            raise TemplateError("Condition must be the name of a condition", file=source,
                                where=f"Outputs/{name}/Condition", line=line_at(body, ["Outputs", name]))
    dynamic = None
    if walk:  # one pass finds the intrinsics and bounds the depth
        try:
            dynamic = dynamic_containers(body, MAX_DEPTH)
        except NestedTooDeep:
            too_deep = True
        else:
            too_deep = False
    else:
        too_deep = _depth(body) > MAX_DEPTH
    if too_deep:
        raise TemplateError(f"nested more than {MAX_DEPTH} levels deep", file=source)
    return body, dynamic


def _parse_json(text: str, source: str, yaml_error: TemplateError) -> LineDict:
    try:
        data = json.loads(text, object_pairs_hook=lambda pairs: _json_object(pairs, source))
    except json.JSONDecodeError as exc:
        raise TemplateError(f"not valid JSON: {exc.msg}", file=source, line=exc.lineno) from None
    except ValueError:  # a number of more digits than Python reads: the YAML reader said where
        raise yaml_error from None
    except RecursionError:
        raise TemplateError("nested too deeply to be read", file=source) from None
    return data


def _depth(value: Any) -> int:
    """How deeply mappings and lists nest in ``value``, counted one level at a time without
    recursion, and at most to ``MAX_DEPTH + 1`` (deeper is refused anyway)."""
    deepest, level, containers = 0, 1, [value] if isinstance(value, (dict, list)) else []
    while containers:
        deepest = level
        if level > MAX_DEPTH:
            break
        level += 1
        containers = [child for node in containers for child in (node.values() if isinstance(node, dict) else node)
                      if isinstance(child, (dict, list))]
    return deepest


def _json_object(pairs: list[tuple[str, Any]], source: str) -> LineDict:
    data = LineDict()
    for key, value in pairs:
        if key in data:
            raise TemplateError(f"duplicate key {key!r}", file=source)
        data[key] = value
    return data


#: Templates parsed in this process, by resolved path, with the size and time they were read at:
#: a session reads a handful (the embedded one, the vendor's, a hardened copy).
_CACHE: Memo[str, tuple[tuple[int, int], Template]] = Memo(maxsize=16)


def load_template(path: str | os.PathLike[str]) -> Template:
    """Load a template file, reusing the parsed copy while the file is unchanged."""
    path = Path(path)
    display = str(path)
    try:
        info = path.stat()
    except FileNotFoundError:
        raise TemplateError("no such file", file=display) from None
    except OSError as exc:
        raise TemplateError(f"cannot read: {exc.strerror}", file=display) from None
    if path.is_dir():
        raise TemplateError("is a folder, expected a template file", file=display)
    if not stat.S_ISREG(info.st_mode):
        raise TemplateError("is not a regular file (a device, a pipe or a socket)", file=display)
    key = str(path.resolve())
    stamp = (info.st_size, info.st_mtime_ns)
    cached = _CACHE.get(key)
    if cached and cached[0] == stamp:
        return cached[1]
    if info.st_size > MAX_TEMPLATE_BYTES:
        raise TemplateError(f"the template is {info.st_size:,} bytes; CloudFormation accepts at most "
                            f"{MAX_TEMPLATE_BYTES:,}", file=display)
    text = read_text(path, MAX_TEMPLATE_BYTES, TemplateError)
    template = parse_template(text, display)
    _CACHE.put(key, (stamp, template))
    return template
