"""What patterns expanded to is kept for the next run, which then never loads the IAM catalog;
the answers are the catalog's, and a stale or damaged file is ignored and rewritten."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from wizard.paths import CACHE_ENV
from wizard.iam import actions
from wizard.iam.expansions import Expansions

REPO = Path(__file__).resolve().parents[2]
PATTERNS = ["s3:Get*", "iam:*PolicyVersion", "kms:Decrypt", "sqs:*", "no-such:Thing"]
PROGRAM = f"""
    import json
    import wizard.iam.actions as a
    found = a.classify({PATTERNS!r})
    print(json.dumps([found.levels, found.unknown, a.catalog.loaded()]))
"""


def run(cache: Path) -> tuple[dict, list, bool]:
    out = subprocess.run([sys.executable, "-c", textwrap.dedent(PROGRAM)], cwd=REPO, check=True,
                         env={**os.environ, CACHE_ENV: str(cache)}, capture_output=True, text=True).stdout
    levels, unknown, loaded = json.loads(out)
    return levels, unknown, loaded


def patterns_file(cache: Path) -> Path:
    [path] = cache.glob("iam-patterns-*.json")
    return path


def test_a_second_run_answers_the_same_without_the_catalog(tmp_path):
    first = run(tmp_path)
    assert first[2] is True and first[0]["Permissions management"]
    assert first[1] == ["no-such:Thing"]
    second = run(tmp_path)
    assert second == (first[0], first[1], False)


@pytest.mark.parametrize("damage", [
    lambda text: "{ not json",
    lambda text: text.replace('"format":', '"formats":'),                    # another key: stale
    lambda text: text.replace('["s3:', '[7, "s3:', 1),                         # a damaged line
    lambda text: json.dumps({**json.loads(text), "patterns": []}),
], ids=["garbage", "stale", "damaged-line", "wrong-shape"])
def test_a_stale_or_damaged_file_is_ignored_and_rewritten(tmp_path, damage):
    expected = run(tmp_path)[:2]
    path = patterns_file(tmp_path)
    path.write_text(damage(path.read_text()))
    again = run(tmp_path)
    assert again[:2] == expected and again[2] is True
    assert run(tmp_path) == (*expected, False)


def test_runs_with_different_patterns_add_to_one_file(tmp_path):
    cache = tmp_path / "c"
    key = {"format": 1}
    one = Expansions(cache / "p.json", key, actions.ACCESS_LEVELS)
    one.add("a:x", (("a:X", "Read"),))
    other = Expansions(cache / "p.json", key, actions.ACCESS_LEVELS)
    other.add("b:*", (("b:Put", "Write"), ("b:Tag", "Tagging")))
    one.save()
    other.save()
    merged = Expansions(cache / "p.json", key, actions.ACCESS_LEVELS)
    assert merged.get("a:x") == (("a:X", "Read"),)
    assert merged.get("b:*") == (("b:Put", "Write"), ("b:Tag", "Tagging"))
    assert merged.get("c:*") is None


def test_an_unwritable_folder_only_costs_speed(tmp_path):
    blocker = tmp_path / "file"
    blocker.write_text("")
    memo = Expansions(blocker / "p.json", {}, actions.ACCESS_LEVELS)
    memo.add("a:x", ())
    memo.save()
    assert blocker.read_text() == ""


SUMMARY = f"""
    import json
    import wizard.iam.actions as a
    patterns = {PATTERNS!r}
    summaries = [a.summary(tuple(patterns[:n])) for n in range(1, len(patterns) + 1)]
    classified = [a.classify(patterns[:n]) for n in range(1, len(patterns) + 1)]
    print(json.dumps([summaries, [[c.level_names, c.unknown] for c in classified]]))
"""


def test_a_statement_summary_from_the_stored_levels_is_the_catalog_s(tmp_path):
    """The badges' summary reads only the stored level codes: it must say what classify says,
    whether the catalog or the stored file answers, and with a damaged line."""
    def summaries() -> tuple[list, list]:
        out = subprocess.run([sys.executable, "-c", textwrap.dedent(SUMMARY)], cwd=REPO, check=True,
                             env={**os.environ, CACHE_ENV: str(tmp_path)}, capture_output=True,
                             text=True).stdout
        return json.loads(out)

    first, classified = summaries()
    assert first == classified
    assert first[-1][1] == ["no-such:Thing"] and "Permissions management" in first[-1][0]
    assert summaries() == [first, classified]  # from the stored file
    path = patterns_file(tmp_path)
    path.write_text(path.read_text().replace('["s3:', '[7, "s3:', 1))
    assert summaries() == [first, classified]


def test_levels_are_read_from_the_stored_codes(tmp_path):
    memo = Expansions(tmp_path / "p.json", {}, actions.ACCESS_LEVELS)
    memo.add("b:*", (("b:Put", "Write"), ("b:Tag", "Tagging"), ("b:Get", "Write")))
    memo.save()
    stored = Expansions(tmp_path / "p.json", {}, actions.ACCESS_LEVELS)
    assert stored.levels_of("b:*") == frozenset({"Write", "Tagging"})
    assert stored.levels_of("c:*") is None


def test_the_names_are_stored_as_one_text_and_read_back_without_their_levels(tmp_path, monkeypatch):
    memo = Expansions(tmp_path / "p.json", {}, actions.ACCESS_LEVELS)
    memo.add("b:*", (("b:Put", "Write"), ("b:Tag", "Tagging")))
    memo.add("c:*", ())
    memo.add("d:*", (("d:A,B", "Read"),))  # a name with a comma could not be read back: not stored
    memo.save()
    assert json.loads((tmp_path / "p.json").read_text())["patterns"] == {"b:*": ["b:Put,b:Tag", "23"],
                                                                        "c:*": ["", ""]}
    stored = Expansions(tmp_path / "p.json", {}, actions.ACCESS_LEVELS)
    monkeypatch.setattr(Expansions, "_decode", lambda self, stored: pytest.fail("levels decoded"))
    assert stored.names("b:*") == ["b:Put", "b:Tag"] and stored.names("c:*") == []
    assert stored.names("d:*") is None and stored.levels_of("b:*") == frozenset({"Write", "Tagging"})


@pytest.mark.parametrize("stored", [["b:Put,b:Tag", "4"], [["b:Put", "b:Tag"], "45"], ["b:Put", 4], ["b:Put"]])
def test_a_damaged_entry_is_not_read(tmp_path, stored):
    (tmp_path / "p.json").write_text(json.dumps({"key": {}, "patterns": {"b:*": stored}}))
    memo = Expansions(tmp_path / "p.json", {}, actions.ACCESS_LEVELS)
    assert memo.names("b:*") is None and memo.get("b:*") is None and memo.levels_of("b:*") is None
    assert memo.by_level("b:*") is None
