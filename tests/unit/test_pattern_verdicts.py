"""An AllowedPattern's match is remembered across runs: the same value checked again loads no
pattern engine. A value that does not match, and a NoEcho value (unless empty), are never
written down."""

from __future__ import annotations

import sys

import pytest

from wizard.cfn.parameters import PATTERN_VERDICTS, pattern_matches, resolve_parameters
from wizard.cfn.template import parse_template
from wizard.errors import InputError

TEMPLATE = """
Parameters:
  Host:
    Type: String
    AllowedPattern: '^[a-z.]+$'
  Password:
    Type: String
    NoEcho: true
    AllowedPattern: '^[A-Za-z0-9]{8,}$'
Resources:
  Topic: {Type: AWS::SNS::Topic}
"""


@pytest.fixture
def cache(tmp_path, monkeypatch):
    monkeypatch.setenv("QUILT_WIZARD_CACHE", str(tmp_path / "cache"))
    return tmp_path / "cache" / PATTERN_VERDICTS


def _without_engine(monkeypatch):
    monkeypatch.setitem(sys.modules, "regex", None)  # importing it now fails


def test_a_match_is_remembered_and_needs_no_engine_the_next_time(cache, monkeypatch):
    template = parse_template(TEMPLATE)
    resolve_parameters(template, {"Host": "quilt.example.com", "Password": "s3cretvalue"})
    assert len(list(cache.iterdir())) == 1, "the host's match, not the password's"
    _without_engine(monkeypatch)
    values = resolve_parameters(parse_template(TEMPLATE), {"Host": "quilt.example.com"})
    assert values.raw["Host"] == "quilt.example.com"
    with pytest.raises(ImportError):
        pattern_matches("^[a-z.]+$", "other.example.com")


def test_a_value_that_does_not_match_is_refused_every_time_and_never_remembered(cache):
    template = parse_template(TEMPLATE)
    for _ in range(2):
        with pytest.raises(InputError, match="does not match AllowedPattern"):
            resolve_parameters(template, {"Host": "Quilt.Example.com"})
    assert not cache.exists() or not list(cache.iterdir())


def test_a_secret_values_match_is_not_written_down(cache, monkeypatch):
    assert pattern_matches("^[A-Za-z0-9]{8,}$", "s3cretvalue", secret=True)
    assert not cache.exists() or not list(cache.iterdir())
    _without_engine(monkeypatch)
    with pytest.raises(ImportError):
        pattern_matches("^[A-Za-z0-9]{8,}$", "s3cretvalue", secret=True)


def test_an_empty_secret_holds_no_secret_and_its_match_is_remembered(cache, monkeypatch):
    assert pattern_matches("^$|^.{8,64}$", "", secret=True)
    _without_engine(monkeypatch)
    assert pattern_matches("^$|^.{8,64}$", "", secret=True)


def test_a_value_checked_again_in_one_process_asks_neither_engine_nor_cache_folder(cache, monkeypatch):
    from wizard import verdicts

    assert pattern_matches("^[a-z-]+$", "quilt-fleet")
    asked = []
    monkeypatch.setattr(verdicts, "known", lambda *a: asked.append(a) or True)
    _without_engine(monkeypatch)
    for _ in range(3):
        assert pattern_matches("^[a-z-]+$", "quilt-fleet")
    assert asked == []
    monkeypatch.setenv("QUILT_WIZARD_CACHE", str(cache.parent.parent / "other"))
    assert pattern_matches("^[a-z-]+$", "quilt-fleet") and len(asked) == 1  # another folder's verdicts
