"""The ``--json`` outputs' text: what ``json.dumps(value, indent=2)`` writes, byte for byte, made faster.

Given ``indent``, the standard library encodes with its pure-Python encoder, a generator per
container and a call per value: on the vendor's template, near twice what this takes. The
outputs are a contract, so this writes the very same text (ASCII only, each item on a line of
its own after a comma, ``": "`` after each key, keys in their order, ``NaN`` and ``Infinity`` as
the standard library writes them, a key that is a number, a boolean or null as its JSON text)
with one Python loop per container and the standard library's own C routine for every string.
"""

from __future__ import annotations

from itertools import repeat
from json.encoder import encode_basestring_ascii as _quoted
from typing import Any

_STEP = "  "


def dumps(value: Any) -> str:
    """``json.dumps(value, indent=2)``, the same text; a value JSON cannot write is a TypeError,
    and a container that holds itself a ValueError, as there."""
    out: list[str] = []
    _write(value, "\n", out, set())
    return "".join(out)


def _number(value: float) -> str:
    if value != value:
        return "NaN"
    if value == float("inf"):
        return "Infinity"
    if value == float("-inf"):
        return "-Infinity"
    return float.__repr__(value)


def _scalar(value: Any) -> str | None:
    """The JSON text of a value that is not a container, or None for a container (or worse)."""
    if isinstance(value, str):
        return _quoted(value)
    if value is None:
        return "null"
    if value is True:
        return "true"
    if value is False:
        return "false"
    if isinstance(value, int):
        return int.__repr__(value)
    if isinstance(value, float):
        return _number(value)
    return None


def _key(key: Any) -> str:
    """A key as JSON writes it: text quoted, a number, a boolean or null as its JSON text, quoted."""
    if isinstance(key, str):
        return _quoted(key)
    text = _scalar(key)
    if text is None:
        raise TypeError(f"keys must be str, int, float, bool or None, not {key.__class__.__name__}")
    return f'"{text}"'


def _write(value: Any, newline: str, out: list[str], open_: set[int]) -> None:
    """Append the text of ``value``; ``newline`` is a line break with the current indentation."""
    text = _scalar(value)
    if text is not None:
        out.append(text)
    else:
        _container(value, newline, out, open_)


def _container(value: Any, newline: str, out: list[str], open_: set[int]) -> None:
    """Append the text of a list or mapping (anything else is refused, as the standard library
    refuses it). The values inside are written in its loop, the common ones first by exact type,
    anything else as the standard library decides."""
    is_list = isinstance(value, (list, tuple))
    if not is_list and not isinstance(value, dict):
        raise TypeError(f"Object of type {value.__class__.__name__} is not JSON serializable")
    if not value:
        out.append("[]" if is_list else "{}")
        return
    inner = newline + _STEP
    if is_list:
        try:  # a list of strings alone (most of them), joined in C
            text = ("," + inner).join(map(_quoted, value))
        except TypeError:  # something else than a string in it
            pass
        else:
            out.append(f"[{inner}{text}{newline}]")
            return
    if id(value) in open_:
        raise ValueError("Circular reference detected")
    open_.add(id(value))
    separator = inner
    append = out.append
    append("[" if is_list else "{")
    for key, item in (zip(_NO_KEYS, value) if is_list else value.items()):
        if key is not _NO_KEY:
            separator = f"{separator}{_quoted(key) if type(key) is str else _key(key)}: "
        kind = type(item)
        if kind is str:
            append(separator + _quoted(item))
        elif item is None:
            append(separator + "null")
        elif item is True:
            append(separator + "true")
        elif item is False:
            append(separator + "false")
        elif kind is int:
            append(separator + int.__repr__(item))
        elif kind is dict or kind is list:
            append(separator)
            _container(item, inner, out, open_)
        else:
            text = _scalar(item)
            if text is not None:
                append(separator + text)
            else:
                append(separator)
                _container(item, inner, out, open_)
        separator = "," + inner
    append(newline + ("]" if is_list else "}"))
    open_.discard(id(value))


_NO_KEY = object()
_NO_KEYS = repeat(_NO_KEY)  # a list's items, keyless, in the loop that writes a mapping's
