"""Parsed templates kept on disk, keyed by the digest of their text, so a run does not parse again.

Reading the real Quilt template with its line numbers takes longer than everything a ``grants``
run does with it; a parsed body read back from disk takes a tenth of that. The key is the
SHA-256 of the text together with the code that reads it (``yamlsource``, ``jsonsource``,
``template``, ``shapes`` and ``intrinsics``) and the entry's format: a changed template, a
changed reader or a new format is a different entry, never a stale one.
An entry holds the body and, for a template's, the list of its mappings and lists that hold an
intrinsic function (``wizard.cfn.intrinsics``): pickled together, that list is references to
containers already written, which cost almost nothing to read back, and the template read back
carries it instead of walking its body again.
Entries live in the user cache folder (``$QUILT_WIZARD_HOME/cache/templates``) and are written
atomically. Only what those readers build can be read back (mappings and lists that remember
their lines, plain values, and the entry's own tuple and list); a missing, corrupt, foreign or
older entry is ignored and rewritten, and a folder that cannot be written only costs speed.
Small templates parse faster than a file can be opened, so they are not cached.
"""

from __future__ import annotations

import copyreg
import hashlib
import io
import pickle
from pathlib import Path
from typing import Any, NamedTuple

from wizard.atomic import write_atomic
from wizard.cfn.intrinsics import dynamic_ids
from wizard.cfn.yamlsource import LineDict, LineList
from wizard.gcpause import collection_paused
from wizard.memo import memo

#: Templates shorter than this (in characters) are parsed every time.
MIN_CHARS = 16_384
#: The entry's shape: a new one retires every entry of the old (their keys no longer match).
_FORMAT = b"quilt-wizard parsed template 2\n"
_ALLOWED = {("wizard.cfn.yamlsource", "LineDict"): LineDict, ("wizard.cfn.yamlsource", "LineList"): LineList}


#: The code that turns text into a checked body (and finds its intrinsics), beside this module.
_READERS = ("yamlsource.py", "jsonsource.py", "template.py", "shapes.py", "intrinsics.py")


@memo(maxsize=1)
def _reader_digest() -> bytes:
    """The digest of the code that turns text into a body: a change to it retires every entry."""
    from wizard import __version__

    digest = hashlib.sha256(_FORMAT + __version__.encode())
    for name in _READERS:
        try:
            digest.update(Path(__file__).with_name(name).read_bytes())
        except OSError:
            digest.update(name.encode())  # an install without sources: the version decides
    return digest.digest()


#: The text whose key was worked out last, with the readers' digest and that key: a template is
#: asked whether it is kept (``has``) and then read (``load``), and the digest of its text is not
#: worked out twice (for the very same text object only).
_last_key: tuple[str, bytes, bytes] | None = None


def _entry(text: str) -> tuple[Path, bytes]:
    global _last_key
    from wizard.paths import cache_dir

    readers, last = _reader_digest(), _last_key
    if last is not None and last[0] is text and last[1] == readers:
        key = last[2]
    else:
        key = hashlib.sha256(readers + text.encode("utf-8", "surrogatepass")).digest()
        _last_key = (text, readers, key)
    return cache_dir() / "templates" / f"{key.hex()}.pickle", key


class _BodyUnpickler(pickle.Unpickler):
    """Reads back only the two container types of a parsed body; anything else is refused."""

    def find_class(self, module: str, name: str) -> Any:
        try:
            return _ALLOWED[(module, name)]
        except KeyError:
            raise pickle.UnpicklingError(f"{module}.{name} is not part of a parsed template") from None


def has(text: str, min_chars: int | None = None) -> bool:
    """Whether an entry for ``text`` is kept (not read: ``load`` reads it, and may still find it
    unreadable)."""
    if not keeps(text, min_chars):
        return False
    try:
        return _entry(text)[0].is_file()
    except OSError:
        return False


class Kept(NamedTuple):
    """A body read back, with the ids of its containers that hold an intrinsic function (None
    when they were not worked out when it was kept)."""

    body: LineDict
    dynamic: frozenset[int] | None


def keeps(text: str, min_chars: int | None = None) -> bool:
    """Whether a body parsed from ``text`` is kept (``store``); a shorter text never is.
    ``min_chars``: ``MIN_CHARS`` as it stands when asked, unless given."""
    return len(text) >= (MIN_CHARS if min_chars is None else min_chars)


def load(text: str, min_chars: int | None = None) -> Kept | None:
    """The cached body parsed from ``text``, or None (not cached, unreadable, or not ours).
    ``min_chars``: a shorter text is never cached (a shipped asset read on every run passes 0)."""
    if not keeps(text, min_chars):
        return None
    path, key = _entry(text)
    try:
        data = path.read_bytes()
    except OSError:
        return None
    if not data.startswith(key):
        return None
    try:
        with collection_paused():
            entry = _BodyUnpickler(io.BytesIO(data[len(key):])).load()
    except Exception:  # a corrupt entry (truncated, foreign, garbage) is rewritten by the caller
        return None
    if not (type(entry) is tuple and len(entry) == 2 and isinstance(entry[0], LineDict)
            and (entry[1] is None or type(entry[1]) is list)):
        return None  # not the shape this code writes
    body, dynamic = entry
    return Kept(body, None if dynamic is None else dynamic_ids(dynamic))


def read_shipped(text: str, source: str) -> Any:
    """A YAML file shipped with the package and read on every run (the rule texts, the question
    catalog, the overlay's rules, the parameter types...): parsed by the cache folder's copy when
    it has one, as a template is, so a run that read it before imports no YAML. Only the package's
    own files come here: an operator's file (an answers file holds NoEcho values) is never kept."""
    kept = load(text, min_chars=0)
    if kept is not None:
        return kept.body
    from wizard.cfn.yamlsource import parse_yaml

    data = parse_yaml(text, source)
    if isinstance(data, LineDict):
        store(text, data, min_chars=0)
    return data


def _line_dict(data: LineDict) -> tuple:
    return copyreg.__newobj__, (LineDict,), (None, {"line": data.line, "key_lines": data.key_lines}), None, iter(data.items())


def _line_list(data: LineList) -> tuple:
    return copyreg.__newobj__, (LineList,), (None, {"line": data.line, "item_lines": data.item_lines}), iter(data), None


#: How the two containers are reduced: what ``object.__reduce_ex__`` gives them, told directly,
#: which spares the pickler a search for each container's state (the same bytes, written faster).
_REDUCERS = {LineDict: _line_dict, LineList: _line_list}


def _pickled(entry: Any) -> bytes:
    """``pickle.dumps(entry)``, the same bytes, sooner."""
    out = io.BytesIO()
    pickler = pickle.Pickler(out, protocol=pickle.HIGHEST_PROTOCOL)
    pickler.dispatch_table = _REDUCERS
    pickler.dump(entry)
    return out.getvalue()


def store(text: str, body: LineDict, min_chars: int | None = None, dynamic: list | None = None) -> None:
    """Keep ``body`` for the next run that reads the same ``text``, with ``dynamic``, its
    containers that hold an intrinsic function (``wizard.cfn.intrinsics.dynamic_containers``),
    when they were worked out."""
    if not keeps(text, min_chars):
        return
    path, key = _entry(text)
    try:
        with collection_paused():  # the pickler's state of each container would set off collections
            data = _pickled((body, dynamic))
        write_atomic(path, key + data, mode=0o600, durable=False)
    except (OSError, pickle.PicklingError, RecursionError):
        pass  # a cache we cannot write only costs speed
