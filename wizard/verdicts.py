"""Verdicts remembered across runs: what an earlier run worked out about the very same input.

A verdict is a digest (of the input and of everything that decides the answer: the data files,
the code's version) and one empty file of that name in the cache folder
(``$QUILT_WIZARD_CACHE``, else the user cache folder): it exists when the answer was "yes". Only
answers that let a run skip work are kept, never one that must be explained to the user, so a
missing, deleted or unwritable cache only costs time.
"""

from __future__ import annotations

import hashlib
import os
from pathlib import Path

import wizard
from wizard.atomic import write_atomic
from wizard.memo import once
from wizard.paths import ASSETS, cache_dir


def _file(kind: str, digest: str) -> Path:
    return cache_dir() / kind / digest


def known(kind: str, digest: str) -> bool:
    """Whether an earlier run found ``digest`` to hold, among the verdicts of ``kind``."""
    try:
        return _file(kind, digest).is_file()
    except OSError:
        return False


def remember(kind: str, digest: str) -> None:
    """Keep that ``digest`` holds, for the next runs."""
    try:
        write_atomic(_file(kind, digest), b"", durable=False)
    except OSError:
        pass  # a cache we cannot write only costs time


def installed_digest(text: str, inputs: object = ()) -> str:
    """The key of what the installed code and data work out from ``text`` and ``inputs`` (plain
    values, written as JSON): a different text, input or installed file is a different key."""
    import json

    return hashlib.sha256(installed_stamp() + json.dumps(inputs).encode() + b"\0"
                          + text.encode("utf-8", "surrogatepass")).hexdigest()


@once
def installed_stamp() -> bytes:
    """A digest of each file of the installed code and data with its size and modification
    time: a key that holds it never reads back what other code or data worked out."""
    stamp = hashlib.sha256(wizard.__version__.encode())
    for root in (os.path.dirname(wizard.__file__), str(ASSETS)):
        _stamp_folder(stamp, root, ".")
    return stamp.digest()


def _stamp_folder(stamp: "hashlib._Hash", folder: str, relative: str) -> None:
    """Each file of ``folder`` (named ``relative``), then each of its folders, in name order."""
    with os.scandir(folder) as listing:
        entries = sorted(listing, key=lambda entry: entry.name)
    folders = []
    for entry in entries:
        if entry.is_dir():
            if entry.name != "__pycache__":
                folders.append(entry)
            continue
        info = entry.stat()
        stamp.update(f"{relative}/{entry.name}\0{info.st_size}\0{info.st_mtime_ns}\0".encode())
    for entry in folders:
        _stamp_folder(stamp, entry.path, entry.name if relative == "." else f"{relative}/{entry.name}")
