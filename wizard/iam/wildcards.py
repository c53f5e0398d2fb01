"""Wildcard matching as IAM does it: ``*`` any run of characters, ``?`` exactly one.

Actions compare case-insensitively and ARNs case-sensitively. ``action_matches`` tests one
pattern against one string, in time proportional to pattern and text (no regex backtracking);
``pattern_covers`` decides whether everything one pattern matches is matched by another, an
exact inclusion check between two glob languages, which the permission diff needs to call
``s3:Get*`` -> ``s3:GetObject`` narrowing and the reverse broadening. Free of any data.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable

from wizard.memo import memo

#: Past this many search states an inclusion question is left undecided (answered False).
MAX_PROOF_STATES = 20_000


def action_matches(pattern: str, action: str, *, case_sensitive: bool = False) -> bool:
    """Whether a wildcard pattern (``*`` any run, ``?`` one character) matches a string.

    Case-insensitive by default, as IAM compares actions; pass ``case_sensitive=True`` for
    ARNs. Runs in time linear in the pattern times the text, whatever the pattern.
    """
    if not case_sensitive:
        pattern, action = pattern.lower(), action.lower()
    return matcher(pattern)(action)


def _segment(text: str) -> re.Pattern[str]:
    return re.compile("".join("." if c == "?" else re.escape(c) for c in text), re.DOTALL)


@memo(maxsize=8192)
def matcher(pattern: str) -> Callable[[str], bool]:
    """A matcher for one pattern that never backtracks across ``*``.

    The pattern is cut at each ``*`` into fixed-length pieces: the first must start the
    text, the last must end it, and each middle piece is taken at its leftmost place after
    the previous one, which is always a correct choice for fixed-length pieces. A pattern
    without ``?`` (nearly all) is matched with plain string operations, no regex to compile.
    """
    if "?" not in pattern:
        return _plain_matcher(pattern)
    first, *rest = pattern.split("*")
    head = _segment(first)
    if not rest:
        return lambda text: head.fullmatch(text) is not None
    *middle, last = rest
    tail = _segment(last)
    pieces = [_segment(piece) for piece in middle if piece]

    def matches(text: str) -> bool:
        end = len(text) - len(last)
        if end < len(first) or not head.match(text) or not tail.fullmatch(text, end):
            return False
        position = len(first)
        for piece in pieces:
            found = piece.search(text, position, end)
            if found is None:
                return False
            position = found.end()
        return True

    return matches


def _plain_matcher(pattern: str) -> Callable[[str], bool]:
    """``matcher`` for a pattern whose only wildcard is ``*``."""
    first, *rest = pattern.split("*")
    if not rest:
        return lambda text: text == pattern
    *middle, last = rest
    pieces = [piece for piece in middle if piece]
    fixed = len(first) + len(last)

    def matches(text: str) -> bool:
        end = len(text) - len(last)
        if len(text) < fixed or not text.startswith(first) or not text.endswith(last):
            return False
        position = len(first)
        for piece in pieces:
            found = text.find(piece, position, end)
            if found < 0:
                return False
            position = found + len(piece)
        return True

    return matches


def pattern_covers(general: str, specific: str, *, case_sensitive: bool = False) -> bool:
    """Whether every string that ``specific`` matches is also matched by ``general``.

    ``s3:*`` covers ``s3:Get*``; ``s3:Get*`` does not cover ``s3:*``; ``s3:GetObject``
    covers ``s3:getobject`` unless case-sensitive. Decided exactly, as inclusion of the two
    patterns' languages. Deciding it is exponential in the worst case; patterns too
    pathological to settle within a fixed budget are answered False ("not shown to be
    covered"), the cautious answer for a broadening check.
    """
    if not case_sensitive:
        general, specific = general.lower(), specific.lower()
    return _covers(general, specific)


class _Undecided(Exception):
    """The inclusion proof outgrew its budget."""


@memo(maxsize=8192)
def _covers(general: str, specific: str) -> bool:
    if general == specific or general == "*":
        return True
    if "*" not in specific and "?" not in specific:
        return matcher(general)(specific)  # ``specific`` matches itself alone
    if "*" not in general and "?" not in general:
        return False  # one string never holds the many a wildcard matches
    if "?" not in general and general.count("*") == 1:
        # ``head*`` (or ``*tail``): what ``specific`` matches all start with the fixed text before
        # its first wildcard (end with the text after its last), and with nothing more settled.
        head, _, tail = general.partition("*")
        if not tail:
            return _fixed_head(specific).startswith(head)
        if not head:
            return _fixed_tail(specific).endswith(tail)
    # Every string ``specific`` matches starts with its fixed head and ends with its fixed tail,
    # and may go on with any character there: ``general``'s fixed head and tail must be theirs.
    if not _fixed_head(specific).startswith(_fixed_head(general)) or \
            not _fixed_tail(specific).endswith(_fixed_tail(general)):
        return False
    try:
        return _uncovered(general, specific) is None
    except _Undecided:
        return False


def _fixed_head(pattern: str) -> str:
    """The text every string ``pattern`` matches starts with: up to its first wildcard."""
    return pattern[:min((i for i in (pattern.find("*"), pattern.find("?")) if i >= 0), default=len(pattern))]


def _fixed_tail(pattern: str) -> str:
    """The text every string ``pattern`` matches ends with: after its last wildcard."""
    return pattern[max(pattern.rfind("*"), pattern.rfind("?")) + 1:]


def _uncovered(general: str, specific: str) -> str | None:
    """A string ``specific`` matches and ``general`` does not; None if there is none.

    Breadth-first search over pairs (position in ``specific``, set of positions in
    ``general``). Characters ``general`` never names behave alike, so one stand-in
    (``None``) represents them all and the alphabet stays finite. A pair whose set contains
    the set of a pair already seen at the same position is skipped: more positions in
    ``general`` can only match more, so it cannot lead to a counterexample the smaller set
    misses (the antichain method of De Wulf et al., 2006).
    """
    size = len(general)

    def close(positions: Iterable[int]) -> frozenset[int]:
        reached = set()
        for i in positions:
            reached.add(i)
            while i < size and general[i] == "*":
                i += 1
                reached.add(i)
        return frozenset(reached)

    def step(positions: frozenset[int], char: str | None) -> frozenset[int]:
        after = set()
        for i in positions:
            if i < size:
                wanted = general[i]
                if wanted == "*":
                    after.add(i)
                elif wanted == "?" or wanted == char:
                    after.add(i + 1)
        return close(after)

    named = set(general) - {"*", "?"}
    alphabet: list[str | None] = [*sorted(named), None]
    stand_in = next(c for c in map(chr, range(ord("a"), 0x110000)) if c not in named)
    start = (0, close([0]))
    came_from: dict[tuple[int, frozenset[int]], tuple | None] = {start: None}
    minimal: dict[int, set[frozenset[int]]] = {0: {start[1]}}
    queue = [start]
    for state in queue:
        here, positions = state
        if positions not in minimal[here]:
            continue  # a smaller set at this position arrived later and stands for it
        if here == len(specific):
            if size not in positions:
                text = []
                while came_from[state] is not None:
                    state, char = came_from[state]
                    text.append(char)
                return "".join(reversed(text))
            continue
        wanted = specific[here]
        if wanted == "*":
            moves = [(here + 1, positions, "")]
            moves += [(here, step(positions, c), c or stand_in) for c in alphabet]
        elif wanted == "?":
            moves = [(here + 1, step(positions, c), c or stand_in) for c in alphabet]
        else:
            moves = [(here + 1, step(positions, wanted), wanted)]
        for after, reached, char in moves:
            known = minimal.setdefault(after, set())
            if not any(other <= reached for other in known):
                known -= {other for other in known if reached < other}
                known.add(reached)
                came_from[after, reached] = (state, char)
                queue.append((after, reached))
        if len(came_from) > MAX_PROOF_STATES:
            raise _Undecided
    return None
