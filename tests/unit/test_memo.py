"""Every memo of the core is bounded by the size declared at its use, and ``reset_all`` empties
them all."""

from __future__ import annotations

import pytest

from wizard import memo as memos
from wizard.flow import facts
from wizard.iam import wildcards
from wizard.memo import Memo, memo, reset_all


def test_a_memoised_function_keeps_at_most_its_size_least_recently_used_out():
    calls = []

    @memo(maxsize=3)
    def square(n):
        calls.append(n)
        return n * n

    for n in (1, 2, 3, 1, 4):
        assert square(n) == n * n
    assert calls == [1, 2, 3, 4]
    assert square.cache_info().currsize == 3
    square(1)
    square(2)
    assert calls == [1, 2, 3, 4, 2], "1 was used again, so 2 went first"


def test_a_memo_kept_by_hand_keeps_at_most_its_size():
    kept: Memo[str, int] = Memo(maxsize=2)
    kept.put("a", 1)
    kept.put("b", 2)
    assert kept.get("a") == 1
    kept.put("c", 3)
    assert len(kept) == 2
    assert (kept.get("a"), kept.get("b"), kept.get("c")) == (1, None, 3)


@pytest.mark.parametrize("size", [0, -1, None, True, 2.5])
def test_a_memo_without_a_bound_is_refused(size):
    with pytest.raises(ValueError, match="at least one entry"):
        memo(maxsize=size)
    with pytest.raises(ValueError, match="at least one entry"):
        Memo(maxsize=size)


def test_reset_all_empties_every_registered_memo(tmp_path):
    @memo(maxsize=4)
    def double(n):
        return 2 * n

    kept: Memo[int, int] = Memo(maxsize=4)
    double(1)
    kept.put(1, 1)
    assert wildcards.action_matches("s3:Get*", "s3:GetObject")
    facts.trust_of(_template(tmp_path))
    assert double.cache_info().currsize and len(kept) and wildcards.matcher.cache_info().currsize
    assert len(facts._READ) and memos.held() > 0

    reset_all()

    assert memos.held() == 0
    assert double.cache_info().currsize == 0 and len(kept) == 0
    assert wildcards.matcher.cache_info().currsize == 0 and len(facts._READ) == 0


def _template(tmp_path):
    from wizard.cfn.template import load_template

    path = tmp_path / "t.yaml"
    path.write_text("Resources:\n  Topic:\n    Type: AWS::SNS::Topic\n", encoding="utf-8")
    return load_template(path)
