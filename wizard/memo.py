"""Results remembered in the process: bounded, resettable memos, and values read once.

Every cache of a computed result in the core is one of these.

``memo(maxsize)`` decorates a function whose result depends only on its (hashable) arguments: an
LRU of at most ``maxsize`` results (``functools.lru_cache``, so ``cache_info`` and
``cache_clear`` work as usual). ``Memo(maxsize)`` is the same bound for a cache kept by hand,
where the key is not the arguments (a template by identity, say). The size is declared where
the memo is used, and each is registered, so ``reset_all()`` empties every one at once: for
tests that must start cold and for long sessions that want their memory back.

``once(load)`` is the other shape: one value read from shipped files (the IAM catalog, the bundled
managed policies, the findings catalog, the Availability Zones), computed on first use by
whichever thread asks first and kept for the process; a thread that asks while another is
reading waits for that reading rather than doing it again. It is never reset: the files it read
do not change while the process runs.
"""

from __future__ import annotations

import functools
import threading
import weakref
from collections import OrderedDict
from typing import Any, Callable, Generic, Hashable, TypeVar

K = TypeVar("K", bound=Hashable)
V = TypeVar("V")
F = TypeVar("F", bound=Callable[..., Any])
T = TypeVar("T")

_REGISTERED: "weakref.WeakSet[Any]" = weakref.WeakSet()
_FUNCTIONS: "weakref.WeakSet[Any]" = weakref.WeakSet()


def _bound(maxsize: int) -> int:
    if isinstance(maxsize, bool) or not isinstance(maxsize, int) or maxsize < 1:
        raise ValueError(f"a memo holds at least one entry: maxsize={maxsize!r}")
    return maxsize


def memo(maxsize: int) -> Callable[[F], F]:
    """Keep the last ``maxsize`` results of the decorated function, least recently used first out."""
    size = _bound(maxsize)

    def decorate(function: F) -> F:
        cached = functools.lru_cache(maxsize=size)(function)
        _FUNCTIONS.add(cached)
        return cached  # type: ignore[return-value]

    return decorate


class Memo(Generic[K, V]):
    """A map of at most ``maxsize`` entries; putting one more drops the least recently used."""

    def __init__(self, maxsize: int) -> None:
        self.maxsize = _bound(maxsize)
        self._entries: OrderedDict[K, V] = OrderedDict()
        self._lock = threading.Lock()
        _REGISTERED.add(self)

    def get(self, key: K, default: V | None = None) -> V | None:
        with self._lock:
            if key not in self._entries:
                return default
            self._entries.move_to_end(key)
            return self._entries[key]

    def put(self, key: K, value: V) -> V:
        with self._lock:
            self._entries[key] = value
            self._entries.move_to_end(key)
            while len(self._entries) > self.maxsize:
                self._entries.popitem(last=False)
        return value

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()

    def __len__(self) -> int:
        return len(self._entries)


def reset_all() -> None:
    """Empty every memo of the process."""
    for function in list(_FUNCTIONS):
        function.cache_clear()
    for kept in list(_REGISTERED):
        kept.clear()


def held() -> int:
    """How many results every memo of the process holds together."""
    return (sum(function.cache_info().currsize for function in list(_FUNCTIONS))
            + sum(len(kept) for kept in list(_REGISTERED)))


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
