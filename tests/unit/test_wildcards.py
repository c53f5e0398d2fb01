"""Wildcard matching details the IAM grammar implies: ``?`` is exactly one character, any
character, a line break included."""

from __future__ import annotations

from wizard.iam.wildcards import action_matches, pattern_covers


def test_question_mark_and_star_match_any_character():
    assert action_matches("a?b", "a\nb", case_sensitive=True)
    assert action_matches("a*b", "a\n\nb", case_sensitive=True)
    assert not action_matches("a?b", "ab", case_sensitive=True)
    assert pattern_covers("a*", "a\n?", case_sensitive=True)


def test_the_quick_answers_are_those_of_the_exact_search():
    """Equal patterns, a literal on either side and disagreeing fixed ends are answered without
    the search: the answers are the search's, on every pair of a small alphabet's patterns."""
    import itertools
    import random

    from wizard.iam.wildcards import _covers, _uncovered

    rng = random.Random(7)
    patterns = {"", "*", "?", "a", "ab", "a*", "*b", "a?b", "a*b", "ab*", "*ab", "?*", "a**b", "a*b*a"}
    for _ in range(300):
        patterns.add("".join(rng.choice("ab*?") for _ in range(rng.randint(1, 6))))
    for general, specific in itertools.product(sorted(patterns), repeat=2):
        assert _covers.__wrapped__(general, specific) == (_uncovered(general, specific) is None), (general, specific)
