"""JSON templates read directly, with the same values and lines the YAML reader would give.

JSON is YAML, and ``wizard.cfn.yamlsource`` reads it correctly, but through a general YAML
parser that is many times slower than reading JSON. This reader builds the same
``LineDict``/``LineList`` (the line of every mapping, key and list item) from JSON text,
decoding strings with the standard library's C scanner. Where YAML 1.1 would read the text
differently or refuse it (a number such as ``1e5``, which YAML takes for a string; tabs;
escapes YAML treats otherwise; a duplicate key; anything not plain JSON), it declines and the
YAML reader decides, so results and messages stay exactly those of the YAML reader.
"""

from __future__ import annotations

import re
from json.decoder import scanstring
from typing import Any

from wizard.cfn.yamlsource import LineDict, LineList
from wizard.gcpause import collection_paused

_SPACE = re.compile(r"[ \n]*")
_NUMBER = re.compile(r"(-?(?:0|[1-9][0-9]*))(\.[0-9]+)?([eE][-+]?[0-9]+)?")
#: Characters this reader leaves to YAML: other line breaks and whitespace (tabs, carriage
#: returns), and characters YAML refuses; the first pattern is the quick one for ASCII text.
_UNUSUAL_ASCII = re.compile("[^\n\x20-\x7e]")
_UNUSUAL = "[^\n\x20-\x7e\xa0-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]|[\x85\u2028\u2029]"
#: Escapes, one at a time: ``\\u`` and ``\\/`` (whose YAML meaning differs or may) are left to YAML.
_ESCAPE = re.compile(r"\\(?:\\|([u/]))")


def _declines(text: str) -> bool:
    if (_UNUSUAL_ASCII.search(text) if text.isascii() else re.search(_UNUSUAL, text)):
        return True
    if "\\u" in text or "\\/" in text:
        return any(escape.group(1) for escape in _ESCAPE.finditer(text))
    return False


class _Declined(Exception):
    """The text is not plain JSON that YAML reads the same way."""


def read_json(text: str) -> LineDict | None:
    """The template body, or None when the YAML reader must decide (see the module docstring)."""
    if _declines(text):
        return None
    reader = _Reader(text)
    try:
        with collection_paused():
            body, end = reader.value(_SPACE.match(text, 0).end())
        if _SPACE.match(text, end).end() != len(text) or not isinstance(body, LineDict):
            return None
    except (_Declined, IndexError, ValueError, RecursionError):
        return None
    return body


class _Reader:
    def __init__(self, text: str) -> None:
        self.text = text
        self.counted, self.lines = 0, 1

    def line(self, position: int) -> int:
        """The line of ``position``; positions are asked for in increasing order."""
        self.lines += self.text.count("\n", self.counted, position)
        self.counted = position
        return self.lines

    def value(self, position: int) -> tuple[Any, int]:
        text = self.text
        first = text[position]
        if first == '"':
            return scanstring(text, position + 1, True)
        if first == "{":
            return self.mapping(position)
        if first == "[":
            return self.sequence(position)
        for word, meaning in (("true", True), ("false", False), ("null", None)):
            if text.startswith(word, position):
                return meaning, position + len(word)
        number = _NUMBER.match(text, position)
        if number is None:
            raise _Declined
        whole, fraction, exponent = number.groups()
        if fraction is None and exponent is None:
            return int(whole), number.end()
        if fraction is not None and (exponent is None or exponent[1] in "+-"):
            return float(number.group()), number.end()
        raise _Declined  # YAML 1.1 reads 1e5 or 1.5e5 as text

    def mapping(self, position: int) -> tuple[LineDict, int]:
        text, space = self.text, _SPACE.match
        data = LineDict()
        data.line = self.line(position)
        position = space(text, position + 1).end()
        if text[position] == "}":
            return data, position + 1
        while True:
            if text[position] != '"':
                raise _Declined
            key_line = self.line(position)
            key, position = scanstring(text, position + 1, True)
            if key in data:
                raise _Declined  # the YAML reader words the error
            position = space(text, position).end()
            if text[position] != ":":
                raise _Declined
            data[key], position = self.value(space(text, position + 1).end())
            data.key_lines[key] = key_line
            position = space(text, position).end()
            if text[position] == "}":
                return data, position + 1
            if text[position] != ",":
                raise _Declined
            position = space(text, position + 1).end()

    def sequence(self, position: int) -> tuple[LineList, int]:
        text, space = self.text, _SPACE.match
        items: list[Any] = []
        lines: list[int] = []
        start = self.line(position)
        position = space(text, position + 1).end()
        if text[position] != "]":
            while True:
                lines.append(self.line(position))
                item, position = self.value(position)
                items.append(item)
                position = space(text, position).end()
                if text[position] == "]":
                    break
                if text[position] != ",":
                    raise _Declined
                position = space(text, position + 1).end()
        data = LineList(items)
        data.line, data.item_lines = start, lines
        return data, position + 1
