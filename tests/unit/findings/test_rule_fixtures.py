"""Every rule has its text, its controls and two fixtures: one it must flag, one it must not.

``tests/data/findings/<rule id>/fail.yaml`` is a small template the rule must report;
``pass.yaml`` the smallest change that fixes it, which the rule must not report.
"""

from __future__ import annotations

import pytest

from tests.conftest import DATA
from wizard.cfn.evaluate import Evaluation
from wizard.findings import evaluate_findings
from wizard.findings.catalog import catalog
from wizard.findings.rules import detectors
from wizard.cfn.parameters import resolve_parameters
from wizard.cfn.template import load_template

FIXTURES = DATA / "findings"
RULE_IDS = sorted(catalog().rules)


def findings_for(path, rule_id=None):
    template = load_template(path)
    evaluation = Evaluation(template, resolve_parameters(template, {}))
    found = evaluate_findings(evaluation)
    return [f for f in found if rule_id is None or f.rule_id == rule_id]


def test_every_rule_has_a_detector_and_every_detector_a_text():
    assert set(detectors()) == set(catalog().rules)


def test_every_rule_maps_to_at_least_one_control():
    unmapped = [rule for rule, controls in catalog().controls_by_rule.items() if not controls]
    assert unmapped == []


def test_every_rule_has_both_fixtures_and_nothing_else_is_there():
    assert sorted(p.name for p in FIXTURES.iterdir() if p.is_dir()) == RULE_IDS
    for rule_id in RULE_IDS:
        assert (FIXTURES / rule_id / "fail.yaml").is_file(), rule_id
        assert (FIXTURES / rule_id / "pass.yaml").is_file(), rule_id


@pytest.mark.parametrize("rule_id", RULE_IDS)
def test_rule_flags_its_failing_fixture(rule_id):
    found = findings_for(FIXTURES / rule_id / "fail.yaml", rule_id)
    assert found, f"{rule_id} did not flag fail.yaml"
    for finding in found:
        assert finding.severity == catalog().rules[rule_id].severity
        assert finding.message and finding.why and finding.fix and finding.title
        assert finding.resources, "a finding names the resources it points at"
        assert finding.controls, "a finding carries its compliance controls"


@pytest.mark.parametrize("rule_id", RULE_IDS)
def test_rule_passes_its_passing_fixture(rule_id):
    assert findings_for(FIXTURES / rule_id / "pass.yaml", rule_id) == []


@pytest.mark.parametrize("rule_id", RULE_IDS)
def test_findings_point_at_template_lines(rule_id):
    path = FIXTURES / rule_id / "fail.yaml"
    lines = path.read_text().splitlines()
    for finding in findings_for(path, rule_id):
        assert finding.lines, f"{rule_id} gave no template line"
        for line in finding.lines:
            assert 1 <= line <= len(lines)


def test_findings_serialise_to_json():
    import json

    for rule_id in RULE_IDS:
        for finding in findings_for(FIXTURES / rule_id / "fail.yaml", rule_id):
            data = json.loads(json.dumps(finding.to_json()))
            assert data["rule_id"] == rule_id
            assert {"severity", "title", "why", "fix", "message", "resources", "lines", "grants",
                    "network", "steps", "controls"} <= set(data)
