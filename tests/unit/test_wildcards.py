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


def _regex_matches(pattern: str, text: str) -> bool:
    import re

    return re.fullmatch("".join(".*" if c == "*" else "." if c == "?" else re.escape(c) for c in pattern),
                        text, re.DOTALL) is not None


def test_a_pattern_without_question_marks_compiles_no_regex_and_matches_as_a_regex_would(monkeypatch):
    import itertools
    import re

    from wizard.iam import wildcards

    cases = ["", "*", "**", "a", "ab", "a*", "*a", "a*b", "*a*", "a**b", "ab*ba", "a*b*a", "*ab*ab*", "b*"]
    texts = ["".join(t) for n in range(6) for t in itertools.product("ab/", repeat=n)]
    expected = {(p, t): _regex_matches(p, t) for p in cases for t in texts}
    wildcards.matcher.cache_clear()
    monkeypatch.setattr(re, "compile", lambda *a, **k: (_ for _ in ()).throw(AssertionError("a regex compiled")))
    for (pattern, text), want in expected.items():
        assert action_matches(pattern, text, case_sensitive=True) is want, (pattern, text)


def test_a_literal_or_a_pattern_with_one_star_at_an_end_is_decided_without_the_search(monkeypatch):
    from wizard.iam import wildcards

    searched = []
    real = wildcards._uncovered
    monkeypatch.setattr(wildcards, "_uncovered", lambda g, s: searched.append((g, s)) or real(g, s))
    wildcards._covers.cache_clear()
    assert pattern_covers("s3:Get*", "s3:GetObject") and pattern_covers("s3:getobject", "S3:GetObject")
    assert not pattern_covers("s3:Put*", "s3:GetObject")
    assert not pattern_covers("arn:aws:s3:::b/*", "arn:aws:s3:::B/x", case_sensitive=True)
    assert not pattern_covers("s3:GetObject", "s3:Get*") and not pattern_covers("s3:GetObject", "s3:GetObjec?")
    assert not pattern_covers("a", "?") and pattern_covers("?", "a")
    assert searched == []  # a literal on either side is decided without the search
    assert pattern_covers("s3:*", "s3:Get*") and not pattern_covers("s3:Get*", "s3:*")
    assert pattern_covers("*object", "s3:*object") and not pattern_covers("*object", "s3:*objects?")
    assert searched == []  # nor a pattern with one '*' at an end: its fixed text decides
    assert pattern_covers("s3:*object*", "s3:get*object*") and len(searched) == 1


def test_coverage_decided_without_the_search_agrees_with_it():
    import itertools

    from wizard.iam import wildcards

    patterns = ["".join(t) for n in range(4) for t in itertools.product("ab*?", repeat=n)]
    patterns += ["ab*", "*ab", "a*b*", "*a*b", "ab?*", "*?ba", "abab*", "*baba", "a?b", "?ab*", "*ab?"]
    for general, specific in itertools.product(patterns, repeat=2):
        assert wildcards._covers(general, specific) is (wildcards._uncovered(general, specific) is None), \
            (general, specific)
