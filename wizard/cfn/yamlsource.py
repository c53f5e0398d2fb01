"""YAML read with the line of every mapping key and list item, for messages that point.

Templates, answers files and profiles are all YAML (or JSON, which is YAML). The C loader
parses; construction builds ``LineDict``/``LineList`` that remember lines, refuses duplicate
keys, and turns CloudFormation's short-form tags into the long form
(``!GetAtt A.B`` -> ``{"Fn::GetAtt": ["A", "B"]}``). ``line_at`` finds the line of a JSON
pointer's target, which is what a JSON Schema error gives.

A document is first built in one pass straight from the C parser's events (``_read_quickly``),
which is what a template's first run spends most of its time on; whatever that pass does not
take (merge keys, other tags, complex keys, anything refused or not valid)
is read again by PyYAML's composer and constructor, which decide and word the refusal, so both
ways give the same values, lines and messages.
"""

from __future__ import annotations

import re
from typing import Any, Sequence

from wizard.errors import InputError
from wizard.gcpause import collection_paused
from wizard.memo import memo

_SHORT_TAGS = {
    "Ref": "Ref",
    "Condition": "Condition",
    **{name: f"Fn::{name}" for name in (
        "Sub", "GetAtt", "If", "Equals", "And", "Or", "Not", "Join", "Split", "Select",
        "FindInMap", "Base64", "Cidr", "GetAZs", "ImportValue", "Transform", "Length",
        "ToJsonString",
        # functions of the Rules section
        "Contains", "EachMemberEquals", "EachMemberIn", "RefAll", "ValueOf", "ValueOfAll",
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


@memo(maxsize=1)
def _loader() -> type:
    """The loader class, built on first use: a run that reads its template from the parse cache
    never imports PyYAML."""
    import yaml

    class YamlLoader(getattr(yaml, "CSafeLoader", yaml.SafeLoader)):  # type: ignore[misc]
        """Safe YAML loader that builds LineDict/LineList and long-form intrinsics."""

        def __init__(self, stream: str, source: str, error: type[InputError] = InputError) -> None:
            super().__init__(stream)
            self.source = source
            self.error = error

        def fail(self, node: yaml.Node, message: str) -> InputError:
            return self.error(message, file=self.source, line=node.start_mark.line + 1)

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

    def construct_tag(loader: YamlLoader, suffix: str, node: yaml.Node) -> LineDict:
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

    def construct_int(loader: YamlLoader, node: yaml.ScalarNode) -> int:
        try:
            return loader.construct_yaml_int(node)
        except ValueError:
            # Python refuses to read an integer of more digits than sys.get_int_max_str_digits().
            import sys

            digits = sum(c.isdigit() for c in str(node.value))
            raise loader.fail(node, f"a number of {digits:,} digits, more than the {sys.get_int_max_str_digits():,} "
                                    "that can be read (quote it if it is text)") from None

    YamlLoader.add_constructor("tag:yaml.org,2002:int", construct_int)
    YamlLoader.add_constructor("tag:yaml.org,2002:map", YamlLoader.build_map)
    YamlLoader.add_constructor("tag:yaml.org,2002:seq", YamlLoader.build_list)
    YamlLoader.add_multi_constructor("!", construct_tag)
    return YamlLoader


class _Unusual(Exception):
    """The document holds something the quick reading leaves to the constructor (a merge key,
    another tag, a complex key, an alias it cannot follow, a refusal): it is read again that way."""


#: The tags the quick reading turns into the long form: ``!Ref`` -> ``Ref``, ``!Sub`` -> ``Fn::Sub``.
_TAGGED = {f"!{suffix}": name for suffix, name in _SHORT_TAGS.items()}
#: The types a mapping key may have (a date or a container is refused by the constructor).
_KEY_TYPES = frozenset({str, int, float, bool, type(None)})
#: Past this depth the quick reading hands over, well before the constructor would run out of
#: stack (it recurses, about seven frames a level of tagged lists): deeper, it decides.
_QUICK_DEPTH = 64
_NO_KEY = object()


def _read_quickly(loader: Any) -> tuple[Any, int | None]:
    """The single document of ``loader``'s stream, built straight from the C parser's events in
    one pass, and how many values it holds (None when it has aliases); the same result as
    ``loader.get_single_data()`` (values, container types, the line of every key and item,
    short-form tags, an alias being its anchor's very value, at its anchor's line), without the
    node tree and the constructor's call per node. Each distinct plain scalar is resolved and
    constructed once (they repeat: ``Ref``, ``Arn``, ``true``). Anything else raises
    ``_Unusual`` (or the parser's own error), and the caller reads the text the usual way."""
    from yaml.events import (AliasEvent, DocumentEndEvent, DocumentStartEvent, MappingEndEvent,
                             MappingStartEvent, ScalarEvent, SequenceEndEvent, SequenceStartEvent,
                             StreamEndEvent, StreamStartEvent)

    get = loader.get_event
    if type(get()) is not StreamStartEvent or type(get()) is not DocumentStartEvent:
        raise _Unusual
    plain: dict[str, Any] = {}
    tagged, key_types, no_key = _TAGGED, _KEY_TYPES, _NO_KEY
    new_map, new_list = dict.__new__, list.__new__
    # The container being filled: the document (None) at first, then a mapping or a list, with
    # the lines of its keys or items; the mapping's key waiting for its value, and that key's line.
    stack: list[tuple] = []
    container: Any = None
    in_map = False
    lines: Any = None
    key: Any = no_key
    key_line = count = 0
    root: Any = no_key
    # Each anchor's value and line; None while its node is being read (an alias to it then would
    # make a node that contains itself, which the constructor refuses).
    anchors: dict[str, tuple[Any, int] | None] = {}
    aliased = False
    for event in iter(get, None):
        kind = type(event)
        if kind is ScalarEvent:
            tag = event.tag
            if tag is None:
                if event.implicit[0]:
                    value = plain.get(event.value, no_key)
                    if value is no_key:
                        value = _plain_value(loader, event, plain)
                else:
                    value = event.value
                line = event.start_mark.line + 1
            else:
                name = tagged.get(tag)
                if name is None:
                    raise _Unusual
                value = event.value
                if name == "Fn::GetAtt":
                    resource, dot, attribute = value.partition(".")
                    if not dot or not resource or not attribute:
                        raise _Unusual
                    value = [resource, attribute]
                    count += 2
                line = event.start_mark.line + 1
                value = _short_form(name, value, line)
                count += 1
            if event.anchor is not None:
                if event.anchor in anchors:
                    raise _Unusual  # an anchor named twice
                anchors[event.anchor] = value, line
        elif kind is MappingStartEvent or kind is SequenceStartEvent:
            tag = event.tag
            name = None
            anchor = event.anchor
            if ((in_map and key is no_key) or (tag is not None and (name := tagged.get(tag)) is None)
                    or len(stack) >= _QUICK_DEPTH or (anchor is not None and anchor in anchors)):
                raise _Unusual  # a complex key, another tag, deep nesting, or an anchor named twice
            if anchor is not None:
                anchors[anchor] = None
            line = event.start_mark.line + 1
            stack.append((container, in_map, lines, key, key_line, name, line, anchor))
            if kind is MappingStartEvent:  # made as LineDict() makes them, without a call of __init__
                container, in_map = new_map(LineDict), True
                container.key_lines = lines = {}
            else:
                container, in_map = new_list(LineList), False
                container.item_lines = lines = []
            container.line = line
            key = no_key
            continue
        elif kind is MappingEndEvent or kind is SequenceEndEvent:
            value = container
            count += len(value)
            container, in_map, lines, key, key_line, name, line, anchor = stack.pop()
            if name is not None:
                value = _short_form(name, value, line)
                count += 1
            if anchor is not None:
                anchors[anchor] = value, line
        elif kind is AliasEvent:
            found = anchors.get(event.anchor)
            if found is None:
                raise _Unusual  # an alias to no anchor, or to a node it is inside of
            value, line = found
            aliased = True
        elif kind is DocumentEndEvent:
            break
        else:
            raise _Unusual
        if in_map:
            if key is no_key:
                if type(value) not in key_types or value in container:
                    raise _Unusual  # a key that is not a plain value, or a duplicate
                key, key_line = value, line
            else:
                container[key] = value
                lines[key] = key_line
                key = no_key
        elif container is not None:
            container.append(value)
            lines.append(line)
        else:
            root = value
            count += 1
    if root is no_key or type(get()) is not StreamEndEvent:
        raise _Unusual  # no document, or more than one
    return root, None if aliased else count


def _short_form(name: str, value: Any, line: int) -> LineDict:
    """``{name: value}`` at ``line``, as the constructor makes a short form's long form."""
    data = dict.__new__(LineDict)
    data[name] = value
    data.line = line
    data.key_lines = {name: line}
    return data


def _plain_value(loader: Any, event: Any, seen: dict[str, Any]) -> Any:
    """A plain scalar as the constructor builds it (resolved by the loader's implicit resolvers:
    null, bool, int, float, a date), remembered in ``seen`` by its text."""
    text = event.value
    resolvers = loader.yaml_implicit_resolvers
    if text and text[0] not in resolvers and None not in resolvers and not loader.yaml_path_resolvers:
        seen[text] = text  # no implicit type starts with its first character (most text)
        return text
    from yaml.nodes import ScalarNode

    tag = loader.resolve(ScalarNode, text, (True, False))
    if tag == "tag:yaml.org,2002:str":
        value = text
    elif tag in _PLAIN_TAGS:
        value = loader.yaml_constructors[tag](loader, ScalarNode(tag, text, event.start_mark, event.end_mark))
    else:
        raise _Unusual  # a merge key (<<) or a value key (=)
    seen[text] = value
    return value


_PLAIN_TAGS = frozenset(f"tag:yaml.org,2002:{name}" for name in ("null", "bool", "int", "float", "timestamp"))


#: Past this many values (counted through aliases) a document is refused as a YAML bomb.
MAX_NODES = 2_000_000
_ANCHOR = re.compile(r"(^|[\s\[{,:-])&[^\s]", re.MULTILINE)


def _count_nodes(value: Any, limit: int) -> int:
    stack = [value]
    count = 0
    while stack and count <= limit:
        item = stack.pop()
        count += 1
        if isinstance(item, dict):
            stack.extend(item.values())
        elif isinstance(item, list):
            stack.extend(item)
    return count


def _non_string_key(value: Any) -> tuple[Any, int | None] | None:
    """The first mapping key in ``value`` that is not a string, and its line."""
    stack = [value]
    while stack:
        node = stack.pop()
        if isinstance(node, dict):
            for key, item in node.items():
                if not isinstance(key, str):
                    return key, node.key_lines.get(key) if isinstance(node, LineDict) else None
                stack.append(item)
        elif isinstance(node, list):
            stack.extend(node)
    return None


def parse_yaml(text: str, source: str, error: type[InputError] = InputError, *,
               string_keys: bool = False) -> Any:
    """Parse YAML or JSON text with lines kept; a syntax error names the file and line, and a
    document that aliases expand past ``MAX_NODES`` values is refused as a YAML bomb.
    ``string_keys``: every mapping key must be text (answers and profiles), so ``5:``, ``~:``
    or ``yes:`` is an error naming its line rather than a number, null or boolean key."""
    import yaml

    count = None
    loader = _loader()(text, source, error)
    try:
        with collection_paused():
            try:
                data, count = _read_quickly(loader)
            except Exception:  # unusual, or not valid: read again the usual way, which says why
                loader.dispose()
                loader = _loader()(text, source, error)
                data = loader.get_single_data()
    except InputError:
        raise
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        problem = exc.problem or exc.context or "invalid YAML"
        raise error(f"not valid YAML: {_one_line(problem)}", file=source,
                    line=mark.line + 1 if mark else None) from None
    except yaml.reader.ReaderError as exc:
        # A character YAML does not allow (a NUL byte, another control character): its line,
        # not PyYAML's two-line text with the position in the whole stream.
        line = text.count("\n", 0, exc.position) + 1 if isinstance(exc.position, int) else None
        character = f"#x{exc.character:04x}" if isinstance(exc.character, int) else "a character"
        raise error(f"not valid YAML: unacceptable character {character}: {_one_line(exc.reason)}",
                    file=source, line=line) from None
    except yaml.YAMLError as exc:
        raise error(f"not valid YAML: {_one_line(str(exc))}", file=source) from None
    except RecursionError:
        raise error("nested too deeply to be read", file=source) from None
    finally:
        loader.dispose()
    if (count is None or count > MAX_NODES) and _ANCHOR.search(text) and _count_nodes(data, MAX_NODES) > MAX_NODES:
        raise error(f"the document expands to more than {MAX_NODES:,} values through YAML aliases "
                    "(a YAML bomb?)", file=source)
    if string_keys:
        found = _non_string_key(data)
        if found is not None:
            key, line = found
            raise error(f"a key must be text, found {key!r}; quote it", file=source, line=line)
    return data


#: What PyYAML quotes of the text in its messages (an alias, an anchor, a tag), past a character
#: or an escape; its token names (``'<scalar>'``) are kept.
_QUOTED = re.compile(r"(?<![\w'])'(?!<)[^'\s][^']{3,}'|(?<![\w\"])\"(?!<)[^\"\s][^\"]{3,}\"")


def _one_line(text: str) -> str:
    """A parser's message as one line that quotes nothing longer than a character of the file (a
    file that does not parse may be anything, and is not repeated)."""
    return " ".join(_QUOTED.sub("(not shown)", str(text)).split())


def line_at(data: Any, path: Sequence[Any]) -> int | None:
    """The line of the deepest element of ``path`` (keys and list indexes) found in ``data``."""
    node, line = data, getattr(data, "line", None)
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
