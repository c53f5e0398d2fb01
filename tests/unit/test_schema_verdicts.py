"""Validation remembered: a document jsonschema accepted is accepted again without importing it,
and every verdict stays exactly jsonschema's, on the fixtures and on the fuzz corpus."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap

import pytest
import yaml
from hypothesis import given
from hypothesis import strategies as st

from tests.conftest import DATA, ROOT
from tests.unit.test_fuzz_inputs import ANSWERS, FUZZ, GOOD, PROFILE
from wizard.paths import CACHE_ENV
from wizard import schemas
from wizard.cfn.yamlsource import parse_yaml
from wizard.errors import InputError

FIXTURES = [(path, "answers") for path in sorted((DATA / "answers").glob("*.yaml"))]
FIXTURES += [(path, "answers") for path in sorted((DATA / "robustness").glob("answers-*.yaml"))]
FIXTURES += [(ROOT / "examples" / "answers.yaml", "answers"), (ROOT / "benchmarks" / "answers-vendor.yaml", "answers")]
FIXTURES += [(path, "profile") for path in sorted((ROOT / "profiles").glob("*.yaml"))]


@pytest.fixture(autouse=True)
def own_cache(tmp_path, monkeypatch):
    monkeypatch.setenv(CACHE_ENV, str(tmp_path / "cache"))
    return tmp_path / "cache"


def jsonschema_accepts(data, schema: str) -> bool:
    return schemas._validator(schema).is_valid(data)


def verdict(data, schema: str) -> str | None:
    """None when accepted, else the one-line refusal."""
    try:
        schemas.validate(data, schema, "doc")
    except InputError as exc:
        return str(exc)
    return None


def remembered(cache) -> int:
    folder = cache / "schema-verdicts-1"
    return len(list(folder.iterdir())) if folder.is_dir() else 0


@pytest.mark.parametrize("path,schema", FIXTURES, ids=lambda v: getattr(v, "name", v))
def test_every_fixture_gets_jsonschemas_verdict_first_and_every_time_after(path, schema, own_cache):
    try:
        data = parse_yaml(path.read_text(), str(path), string_keys=True)
    except InputError:
        return  # refused by the reader (not YAML, a key that is not text): no schema sees it
    first, second = verdict(data, schema), verdict(data, schema)
    accepted = jsonschema_accepts(data, schema)
    assert (first is None) == (second is None) == accepted
    assert first == second
    assert remembered(own_cache) == (1 if accepted else 0)  # a refusal is never remembered


def _same_verdicts(document, schema: str) -> None:
    data = json.loads(json.dumps(document))
    accepted = jsonschema_accepts(data, schema)
    assert [verdict(data, schema) is None for _ in range(2)] == [accepted, accepted]


@FUZZ
@given(changes=ANSWERS, keep_good=st.booleans())
def test_random_answers_files_get_jsonschemas_verdict(changes, keep_good):
    _same_verdicts({**GOOD, **changes} if keep_good else changes, "answers")


@FUZZ
@given(profile=PROFILE)
def test_random_profiles_get_jsonschemas_verdict(profile):
    _same_verdicts(profile, "profile")


@pytest.mark.parametrize("value", [True, 1.0, "1", None, [1], {"1": 1}, 2])
def test_a_remembered_document_vouches_for_no_other(value, own_cache):
    good = json.loads(json.dumps(GOOD))
    assert verdict({**good, "version": 1}, "answers") is None
    changed = {**good, "version": value}
    accepted = jsonschema_accepts(changed, "answers")  # 1.0 is 1 to JSON Schema; True, "1"... are not
    assert accepted == (value == 1 and not isinstance(value, bool))
    assert (verdict(changed, "answers") is None) == accepted
    assert remembered(own_cache) == (2 if accepted else 1)  # its own verdict, not the first one's


def test_a_document_remembered_for_one_schema_is_checked_against_another():
    profile = {"name": "x", "answers": {"timeline": "before"}}
    assert verdict(profile, "profile") is None
    assert verdict(profile, "answers") is not None


def test_an_unwritable_cache_only_costs_time(tmp_path, monkeypatch):
    blocked = tmp_path / "a-file"
    blocked.write_text("")
    monkeypatch.setenv(CACHE_ENV, str(blocked / "cache"))
    good = json.loads(json.dumps(GOOD))
    assert verdict(good, "answers") is None and verdict(good, "answers") is None
    assert verdict({**good, "version": 2}, "answers") is not None


def test_a_document_accepted_before_is_accepted_without_importing_jsonschema(tmp_path):
    code = textwrap.dedent(f"""
        import sys
        from wizard.flow.answers import load_answers_file
        load_answers_file({str(ROOT / "examples" / "answers.yaml")!r})
        print("jsonschema" in sys.modules)
    """)
    env = {**os.environ, CACHE_ENV: str(tmp_path), "PYTHONPATH": str(ROOT)}
    runs = [subprocess.run([sys.executable, "-c", code], env=env, cwd=ROOT, capture_output=True, text=True)
            for _ in range(2)]
    assert [r.stdout.strip() for r in runs] == ["True", "False"], runs[-1].stderr
    # and a changed file is validated again, refused by jsonschema with its message
    bad = tmp_path / "answers.yaml"
    bad.write_text(yaml.safe_dump({**GOOD, "version": 2}))
    refused = subprocess.run([sys.executable, "-m", "wizard", "--answers", str(bad), "--out", str(tmp_path / "p.json")],
                             env=env, cwd=tmp_path, capture_output=True, text=True)
    assert refused.returncode == 2 and "/version" in refused.stderr


def test_the_installed_stamp_changes_with_any_file_but_the_bytecode(tmp_path):
    import hashlib
    import os

    from wizard import verdicts

    (tmp_path / "pkg" / "sub").mkdir(parents=True)
    (tmp_path / "pkg" / "__pycache__").mkdir()
    (tmp_path / "pkg" / "a.py").write_text("a")
    (tmp_path / "pkg" / "sub" / "b.yaml").write_text("b")

    def stamp() -> bytes:
        digest = hashlib.sha256()
        verdicts._stamp_folder(digest, str(tmp_path / "pkg"), ".")
        return digest.digest()

    first = stamp()
    (tmp_path / "pkg" / "__pycache__" / "a.pyc").write_text("compiled")
    assert stamp() == first
    os.utime(tmp_path / "pkg" / "sub" / "b.yaml", ns=(1, 1))
    second = stamp()
    assert second != first
    (tmp_path / "pkg" / "sub" / "c.yaml").write_text("")
    assert stamp() != second
