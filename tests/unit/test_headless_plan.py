"""The headless run's plan does not harden again a template the overlay added nothing to before
(the embedded one, which has every option): the verdict is remembered by the digest of the
template, the overlay's rules and code and the installed files (``wizard.overlay.kept``), and the files written and the summary are the same
byte for byte as a run that hardens. A template the overlay hardened before (the vendor's) is
read back under the same digest as the very same hardening."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

from tests.conftest import REAL, ROOT
from tests.unit.conftest import refuse_to_harden
from wizard.cfn.template import load_template, parse_template
from wizard.flow import headless_plan
from wizard.flow.answers import load_answers_file
from wizard.flow.headless import plan_arguments, plan_deployment, summary_text, write_deployment
from wizard.overlay import harden
from wizard.overlay.kept import _HARDENED
from wizard.paths import DEFAULT_TEMPLATE
from wizard import verdicts

ANSWERS = ROOT / "examples" / "answers.yaml"
VENDOR_ANSWERS = ROOT / "benchmarks" / "answers-vendor.yaml"


pytestmark = pytest.mark.usefixtures("own_cache")


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
def test_a_template_the_overlay_changes_is_hardened_once_then_read_back_as_the_same_hardening(own_cache, monkeypatch):
    vendor = load_template(str(REAL))
    first = headless_plan.hardened_for(vendor)
    assert first.added_parameters
    assert not (own_cache / "overlay-adds-nothing-1").exists()
    refuse_to_harden(monkeypatch)
    second = headless_plan.hardened_for(load_template(str(REAL)))
    assert second.template.text == first.template.text and second.template.body == first.template.body
    assert second.to_json() == first.to_json() and second.outcomes == first.outcomes
    assert (second.added_parameters, second.warnings, second.notes) == (first.added_parameters, first.warnings,
                                                                         first.notes)
    assert second.vendor_sha256 == first.vendor_sha256 and second.overlay.digest == first.overlay.digest


@pytest.mark.skipif(not REAL.is_file(), reason="the real Quilt template fixture is absent")
def test_a_kept_hardening_that_cannot_be_read_is_made_again(own_cache):
    first = headless_plan.hardened_for(load_template(str(REAL)))
    [kept] = (own_cache / _HARDENED).iterdir()
    for broken in ("{not json", json.dumps({"text": first.template.text, "outcomes": [{"rule": "no-such-rule"}]})):
        kept.write_text(broken, encoding="utf-8")
        again = headless_plan.hardened_for(load_template(str(REAL)))
        assert again.to_json() == first.to_json()
        assert kept.read_text(encoding="utf-8").partition("\n")[2] == first.template.text, "written anew"


@pytest.mark.skipif(not REAL.is_file(), reason="the real Quilt template fixture is absent")
def test_the_vendor_runs_files_and_summary_are_those_of_a_run_that_hardens(tmp_path, monkeypatch):
    hardening = _run(tmp_path / "first", "cfn", "params.json", VENDOR_ANSWERS, str(REAL))
    refuse_to_harden(monkeypatch)
    kept = _run(tmp_path / "second", "cfn", "params.json", VENDOR_ANSWERS, str(REAL))
    assert kept == hardening and "params.json.template.yaml" in kept[1]


def _run(folder, fmt: str, name: str, answers_file=ANSWERS, template=None) -> tuple[str, dict[str, bytes]]:
    folder.mkdir()
    answers = load_answers_file(answers_file)
    deployment = plan_deployment(**plan_arguments(answers, template=template, out=str(folder / name), fmt=fmt))
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


@pytest.mark.skipif(not REAL.is_file(), reason="the real Quilt template fixture is absent")
def test_a_hardening_kept_by_other_code_or_data_is_not_read_back(monkeypatch):
    headless_plan.hardened_for(load_template(str(REAL)))
    monkeypatch.setattr(verdicts, "installed_stamp", lambda: b"an upgrade: other files, sizes or times")
    refuse_to_harden(monkeypatch)
    with pytest.raises(AssertionError, match="hardened again"):
        headless_plan.hardened_for(load_template(str(REAL)))


@pytest.mark.skipif(not REAL.is_file(), reason="the real Quilt template fixture is absent")
def test_a_kept_hardening_is_readable_by_its_owner_alone(own_cache):
    headless_plan.hardened_for(load_template(str(REAL)))
    [kept] = (own_cache / _HARDENED).iterdir()
    assert kept.stat().st_mode & 0o777 == 0o600


#: What a summary of a kept hardening never needs: the overlay's rules and the modules modelling its outcomes.
_MACHINERY = ("wizard.overlay.rules", "wizard.overlay.outcome", "wizard.overlay.apply")


def _headless(home, *extra: str) -> dict:
    """A headless run on the vendor's template in its own process: exit status, stdout, and which
    of the overlay's modules it loaded."""
    code = ("import contextlib, io, json, sys\nfrom wizard.cli import main\nout = io.StringIO()\n"
            "with contextlib.redirect_stdout(out):\n    status = main(sys.argv[1:])\n"
            f"print(json.dumps({{'status': status, 'out': out.getvalue(), "
            f"'loaded': [m for m in {_MACHINERY!r} if m in sys.modules]}}))")
    env = {**os.environ, "QUILT_WIZARD_HOME": str(home), "PYTHONPATH": str(ROOT)}
    env.pop("QUILT_WIZARD_CACHE", None)
    argv = ["--answers", str(VENDOR_ANSWERS), "--template", str(REAL), "--out", str(home / "params.json"),
            "--force", *extra]
    proc = subprocess.run([sys.executable, "-c", code, *argv], cwd=ROOT, env=env, capture_output=True, text=True,
                          check=True)
    return json.loads(proc.stdout)


@pytest.mark.slow
@pytest.mark.skipif(not REAL.is_file(), reason="the real Quilt template fixture is absent")
def test_a_warm_text_run_reads_the_kept_hardening_without_the_overlays_rules(tmp_path):
    """The text summary of a kept hardening loads neither the overlay's rules nor its outcomes'
    modules, and says what a run that hardened said; ``--json`` builds them and gives the very
    ``hardening`` a run that hardened gives."""
    fresh, warm = tmp_path / "fresh", tmp_path / "warm"
    fresh.mkdir(), warm.mkdir()
    made = _headless(fresh, "--json")
    assert set(made["loaded"]) == set(_MACHINERY)  # hardened from scratch
    first = _headless(warm)
    again = _headless(warm)
    assert again["loaded"] == [] and again["status"] == first["status"]
    assert again["out"] == first["out"] and "hardened with the quilt overlay" in again["out"]
    as_json = _headless(warm, "--json")
    assert "wizard.overlay.apply" not in as_json["loaded"]  # read back, not hardened again
    hardening = json.loads(as_json["out"])["hardening"]
    assert hardening["rules"] and hardening == {**json.loads(made["out"])["hardening"],
                                                "template_file": str(warm / "params.json.template.yaml")}
