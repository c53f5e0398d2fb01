"""The cyclic garbage collector around work that makes many objects and frees few.

Building a large acyclic structure (a parsed template, the IAM catalog) runs without the
collector (``collection_paused``): it would only walk the new containers again and again, and
find nothing to free (reference counting frees what such a build discards).

An interactive run (the wizard) keeps young collections but starts full ones only where nobody
waits (``collections_at_rest``, ``collect_at_rest``): a full collection walks every object the
run holds (the template, its analyses, the catalogs, the screens), which on the vendor's
template takes tens of milliseconds, and would otherwise land in the frame of whichever key
set it off. What the run keeps for its whole life can be set aside from later collections
(``gc.freeze``) once it is made, so the collections at rest walk only what came after.
"""

from __future__ import annotations

import contextlib
import gc
from typing import Iterator

#: The threshold of full collections (young collections counted) while collections wait for rest:
#: high enough that none starts by itself in a session, and still a bound should no rest come.
HELD_FULL_THRESHOLD = 10_000

#: How many ``collections_at_rest`` blocks are open (the rests' policy holds inside one only).
_resting = 0


@contextlib.contextmanager
def collection_paused() -> Iterator[None]:
    """No cyclic collection inside the block; it resumes after, unless it was already off."""
    collecting = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if collecting:
            gc.enable()


@contextlib.contextmanager
def collections_at_rest() -> Iterator[None]:
    """An interactive run's policy, inside the block: young collections go on as usual, but a
    full one starts by itself only after ``HELD_FULL_THRESHOLD`` young ones; the full ones come
    from ``collect_at_rest``, at the moments the caller knows nobody waits. After the block the
    thresholds are restored and what it set aside is given back to the collector."""
    global _resting
    young, middle, full = gc.get_threshold()
    set_aside_before = gc.get_freeze_count()
    gc.set_threshold(young, middle, max(full, HELD_FULL_THRESHOLD))
    _resting += 1
    try:
        yield
    finally:
        _resting -= 1
        gc.set_threshold(young, middle, full)
        if not _resting and not set_aside_before:
            gc.unfreeze()


def collect_at_rest(*, set_aside: bool = False) -> None:
    """A full collection now, where nobody waits (after work done ahead of the operator), inside
    ``collections_at_rest`` (elsewhere the collector keeps its own schedule, and nothing happens).
    With ``set_aside``, every object that survives it is moved out of the way of later
    collections (``gc.freeze``) until the block ends: only for what the run keeps to its end,
    since a set-aside object that becomes cyclic garbage is freed only then."""
    if not _resting or not gc.isenabled():
        return
    gc.collect()
    if set_aside:
        gc.freeze()
