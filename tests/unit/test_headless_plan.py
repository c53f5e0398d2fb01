"""The headless run's plan does not harden again a template the overlay added nothing to before
(the embedded one, which has every option): the verdict is remembered by the digest of the
template, the overlay's rules and its code, and the files written and the summary are the same
byte for byte as a run that hardens."""

from __future__ import annotations

import json

import pytest

from tests.conftest import REAL, ROOT
from wizard.cfn.template import load_template, parse_template
from wizard.flow import headless_plan
from wizard.flow.answers import load_answers_file
from wizard.flow.headless import plan_arguments, plan_deployment, summary_text, write_deployment
from wizard.overlay import harden
from wizard.paths import DEFAULT_TEMPLATE
from wizard.verdicts import CACHE_ENV

ANSWERS = ROOT / "examples" / "answers.yaml"


@pytest.fixture(autouse=True)
def own_cache(tmp_path, monkeypatch):
    monkeypatch.setenv(CACHE_ENV, str(tmp_path / "cache"))
    return tmp_path / "cache"


def refuse_to_harden(monkeypatch):
    def refuse(*args, **kwargs):
        raise AssertionError("hardened again a template the overlay adds nothing to")

    monkeypatch.setattr("wizard.overlay.harden", refuse)


def test_the_embedded_template_is_hardened_once_then_known_to_gain_nothing(monkeypatch):
    template = load_template(str(DEFAULT_TEMPLATE))
    assert harden(template).added_parameters == []  # the fact the verdict stands for
    assert headless_plan.hardened_for(template) is None
    refuse_to_harden(monkeypatch)
    assert headless_plan.hardened_for(load_template(str(DEFAULT_TEMPLATE))) is None


def test_another_template_text_is_hardened_again(monkeypatch):
    template = load_template(str(DEFAULT_TEMPLATE))
    assert headless_plan.hardened_for(template) is None
    changed = parse_template(template.text + "\n# one more line\n", template.source)
    refuse_to_harden(monkeypatch)
    with pytest.raises(AssertionError, match="hardened again"):
        headless_plan.hardened_for(changed)


@pytest.mark.skipif(not REAL.is_file(), reason="the real Quilt template fixture is absent")
def test_a_template_the_overlay_changes_is_hardened_every_time(own_cache):
    vendor = load_template(str(REAL))
    first, second = headless_plan.hardened_for(vendor), headless_plan.hardened_for(vendor)
    assert first.added_parameters and first.added_parameters == second.added_parameters
    assert not (own_cache / "overlay-adds-nothing-1").exists()


def _run(folder, fmt: str, name: str) -> tuple[str, dict[str, bytes]]:
    folder.mkdir()
    answers = load_answers_file(ANSWERS)
    deployment = plan_deployment(**plan_arguments(answers, out=str(folder / name), fmt=fmt))
    written = write_deployment(deployment)
    text = summary_text(deployment, written=True).replace(str(folder), "<out>")
    as_json = json.dumps(deployment.summary_json(), default=str).replace(str(folder), "<out>")
    return text + as_json, {path.name: path.read_bytes().replace(str(folder).encode(), b"<out>") for path in written}


@pytest.mark.parametrize("fmt,name", [("cfn", "params.json"), ("overrides", "params.txt"),
                                      ("tfvars", "quilt.auto.tfvars.json")])
def test_the_files_and_summary_are_those_of_a_run_that_hardens(tmp_path, monkeypatch, fmt, name):
    hardening = _run(tmp_path / "first", fmt, name)  # hardens, finds nothing added, remembers
    refuse_to_harden(monkeypatch)
    skipping = _run(tmp_path / "second", fmt, name)
    assert skipping == hardening and skipping[1]
