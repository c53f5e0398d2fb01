"""Building a large acyclic structure (a parsed template, the IAM catalog) without the cyclic
garbage collector: it would only walk the new containers again and again, and find nothing to
free (reference counting frees what such a build discards)."""

from __future__ import annotations

import contextlib
import gc
from typing import Iterator


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
