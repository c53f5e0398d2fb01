"""A value computed once per process, on first use, by whichever thread asks first.

The IAM catalog, the bundled managed policies, the findings catalog, the audit rules and the
Availability Zones are read from disk once and then shared; a thread that asks while another is
reading waits for that reading rather than doing it again.
"""

from __future__ import annotations

import functools
import threading
from typing import Callable, TypeVar

T = TypeVar("T")


def once(load: Callable[[], T]) -> Callable[[], T]:
    """``load()``'s value, computed on the first call and returned to every later one;
    ``.loaded()`` tells whether that first call has happened (for the tests of what a run loads)."""
    lock = threading.Lock()
    kept: list[T] = []

    @functools.wraps(load)
    def value() -> T:
        if not kept:
            with lock:
                if not kept:
                    kept.append(load())
        return kept[0]

    value.loaded = lambda: bool(kept)  # type: ignore[attr-defined]
    return value
