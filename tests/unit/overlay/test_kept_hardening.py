"""A hardening kept in the cache folder reads back as the hardening made from scratch, property
by property, on each of the vendor's templates; what a summary reads is there without the
overlay's rules, the rest is built when asked for; an entry that cannot be read back whole is
hardened again (``wizard.overlay.kept``)."""

from __future__ import annotations

import json

import pytest

from tests.unit.conftest import refuse_to_harden
from tests.unit.overlay.conftest import VENDOR_FILES, _vendor
from wizard.overlay import apply, kept
from wizard.overlay.outcome import VENDOR


pytestmark = pytest.mark.usefixtures("own_cache")


def _entry(own_cache):
    [entry] = (own_cache / kept._HARDENED).iterdir()
    return entry


def _read(entry) -> dict:
    """The entry's JSON line, with the hardened text that follows it as ``text``."""
    head, _, text = entry.read_text(encoding="utf-8").partition("\n")
    return {**json.loads(head), "text": text}


def _line(data: dict, **changes) -> str:
    """The JSON line of an entry read by ``_read``, with ``changes``."""
    return json.dumps({k: v for k, v in {**data, **changes}.items() if k != "text"})


def _write(entry, data: dict) -> None:
    """Write ``data`` as ``_read`` reads it."""
    entry.write_text(f"{_line(data)}\n{data['text']}", encoding="utf-8")


def _steps(hardening):
    return [(o.rule, o.status, o.steps) for o in hardening.outcomes]


@pytest.mark.parametrize("name", list(VENDOR_FILES))
def test_a_kept_hardening_reads_back_as_the_one_made_from_scratch(name, own_cache, monkeypatch):
    made = apply.harden(_vendor(name))
    assert kept.hardened(_vendor(name)).added_parameters == made.added_parameters  # made and kept
    refuse_to_harden(monkeypatch)
    back = kept.hardened(_vendor(name))
    assert isinstance(back, kept.KeptHardening), "read back, not made again"
    assert back.text == made.text and back.template.body == made.template.body
    assert back.vendor.text == made.vendor.text and back.vendor_sha256 == made.vendor_sha256
    assert back.added_parameters == made.added_parameters and back.added_parameters
    assert back.warnings == made.warnings and back.notes == made.notes
    assert back.vendor_changes == made.vendor_changes == [(o.rule.parameter, o.rule.title) for o in made.needs_vendor]
    assert (back.overlay_name, back.overlay_version) == (made.overlay.name, made.overlay.version)
    # what is built when asked for
    assert [o.rule for o in back.needs_vendor] == [o.rule for o in made.needs_vendor]
    assert all(o.status == VENDOR for o in back.needs_vendor)
    assert _steps(back) == _steps(made) and back.outcomes == made.outcomes
    assert (back.overlay.name, back.overlay.version, back.overlay.digest) == (made.overlay.name, made.overlay.version,
                                                                             made.overlay.digest)
    assert back.to_json() == made.to_json()


def test_what_a_summary_reads_needs_neither_the_rules_nor_the_outcomes(own_cache, monkeypatch):
    made = kept.hardened(_vendor("stable.yaml"))
    refuse_to_harden(monkeypatch)
    from wizard.overlay import rules

    def no_rules(*args, **kwargs):
        raise AssertionError("the overlay's rules were loaded")

    monkeypatch.setattr(rules, "load_overlay", no_rules)
    back = kept.hardened(_vendor("stable.yaml"))
    assert (back.overlay_name, back.overlay_version, back.added_parameters, back.vendor_changes, back.warnings,
            back.notes, back.text) == (made.overlay_name, made.overlay_version, made.added_parameters,
                                       made.vendor_changes, made.warnings, made.notes, made.text)
    with pytest.raises(AssertionError, match="rules were loaded"):
        back.outcomes


@pytest.mark.parametrize("damage", [
    lambda entry: "{not json\n" + entry["text"],
    lambda entry: json.dumps({"text": entry["text"], "outcomes": entry["outcomes"]}),   # the previous format
    lambda entry: json.dumps({"outcomes": entry["outcomes"]}) + "\n" + entry["text"],
    lambda entry: _line(entry, added_parameters="PolicyCreationMode") + "\n" + entry["text"],
    lambda entry: _line(entry, vendor_changes=[["only a parameter"]]) + "\n" + entry["text"],
    lambda entry: _line(entry, overlay={"name": "quilt"}) + "\n" + entry["text"],
    lambda entry: _line(entry) + "\nResources: [not a template",
    lambda entry: f"[{_line(entry)}]\n{entry['text']}",
    lambda entry: "",
])
def test_a_damaged_entry_is_hardened_again(own_cache, monkeypatch, damage):
    first = kept.hardened(_vendor("stable.yaml"))
    entry = _entry(own_cache)
    entry.write_text(damage(_read(entry)), encoding="utf-8")
    calls = []
    real = apply.harden
    monkeypatch.setattr(apply, "harden", lambda template: calls.append(template) or real(template))
    again = kept.hardened(_vendor("stable.yaml"))
    assert calls and again.to_json() == first.to_json()
    written = _read(entry)
    assert (written["added_parameters"], written["text"]) == (first.added_parameters, first.text), "written anew"


@pytest.mark.parametrize("foreign", [
    lambda entry: {**entry, "outcomes": [{"rule": "no-such-rule", "status": "applied", "steps": []}]},
    lambda entry: {**entry, "outcomes": [{**entry["outcomes"][0], "status": "no-such-status"}]},
    lambda entry: {**entry, "outcomes": [{**entry["outcomes"][0], "steps": [{"name": "x"}]}]},
    lambda entry: {**entry, "overlay": {**entry["overlay"], "digest": "another overlay's"}},
])
def test_kept_outcomes_that_do_not_fit_the_overlay_are_made_again_when_asked_for(own_cache, monkeypatch, foreign):
    first = kept.hardened(_vendor("stable.yaml"))
    entry = _entry(own_cache)
    _write(entry, foreign(_read(entry)))
    back = kept.hardened(_vendor("stable.yaml"))
    assert isinstance(back, kept.KeptHardening)  # what a summary reads is whole
    assert back.to_json() == first.to_json() and back.outcomes == first.outcomes
    assert back.overlay.digest == first.overlay.digest
    assert _read(entry)["outcomes"][0]["rule"] == first.outcomes[0].rule.id, "written anew"
