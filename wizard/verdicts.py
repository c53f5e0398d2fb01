"""Verdicts remembered across runs: what an earlier run worked out about the very same input.

A verdict is a digest (of the input and of everything that decides the answer: the data files,
the code's version) and one empty file of that name in the cache folder
(``$QUILT_WIZARD_CACHE``, else the user cache folder): it exists when the answer was "yes". Only
answers that let a run skip work are kept, never one that must be explained to the user, so a
missing, deleted or unwritable cache only costs time.
"""

from __future__ import annotations

from pathlib import Path

from wizard.atomic import write_atomic
from wizard.paths import cache_dir


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
