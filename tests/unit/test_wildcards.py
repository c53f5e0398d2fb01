"""Wildcard matching details the IAM grammar implies: ``?`` is exactly one character, any
character, a line break included."""

from __future__ import annotations

from wizard.iam.wildcards import action_matches, pattern_covers


def test_question_mark_and_star_match_any_character():
    assert action_matches("a?b", "a\nb", case_sensitive=True)
    assert action_matches("a*b", "a\n\nb", case_sensitive=True)
    assert not action_matches("a?b", "ab", case_sensitive=True)
    assert pattern_covers("a*", "a\n?", case_sensitive=True)
