"""Every control has a status: findings against it, evidence with its line, or "not assessed"."""

from __future__ import annotations

import pytest

from tests.conftest import DATA, REAL_REQUIRED
from wizard.cfn.evaluate import Evaluation
from wizard.cfn.parameters import resolve_parameters
from wizard.cfn.template import load_template, parse_template
from wizard.findings import evaluate_findings
from wizard.findings.assurance import ATTENTION, EVIDENCE, NOT_ASSESSED, control_statuses
from wizard.findings.context import RuleContext
from wizard.iam.grants import extract
from wizard.iam.network import network_rules


def statuses(template, frameworks=None, parameters=None):
    evaluation = Evaluation(template, resolve_parameters(template, parameters or {}))
    grants, rules = extract(evaluation), network_rules(evaluation)
    findings = evaluate_findings(evaluation, grants, rules, frameworks)
    context = RuleContext(evaluation, grants, rules)
    return {(key, s.control.id): s for key, found in control_statuses(context, findings, frameworks).items()
            for s in found}


def test_a_trail_that_holds_shows_the_property_and_its_line():
    path = DATA / "findings" / "QW-LOG-006" / "pass.yaml"
    found = statuses(load_template(path), ["cis-aws"])
    validation = found[("cis-aws", "3.2")]
    assert validation.status == EVIDENCE
    text = path.read_text().splitlines()
    (proof,) = validation.evidence
    assert proof.rule_id == "QW-LOG-003" and "EnableLogFileValidation" in text[proof.lines[0] - 1]
    assert found[("cis-aws", "3.1")].status == EVIDENCE


def test_a_trail_that_fails_is_attention_not_evidence():
    found = statuses(load_template(DATA / "findings" / "QW-LOG-006" / "fail.yaml"), ["cis-aws"])
    assert found[("cis-aws", "3.1")].status == ATTENTION
    assert [f.rule_id for f in found[("cis-aws", "3.1")].findings] == ["QW-LOG-006"]


def test_nothing_to_examine_is_not_assessed_never_blank():
    template = parse_template("Resources:\n  Topic:\n    Type: AWS::SNS::Topic\n", "empty.yaml")
    found = statuses(template)
    assert found[("cis-aws", "3.2")].status == NOT_ASSESSED
    assert "QW-LOG-003" in found[("cis-aws", "3.2")].note
    malware = found[("soc2", "CC6.8")]
    assert malware.status == NOT_ASSESSED and "template does not describe" in malware.note
    assert all(s.status in (ATTENTION, EVIDENCE, NOT_ASSESSED) for s in found.values())


def test_only_the_chosen_frameworks_are_listed():
    template = parse_template("Resources:\n  Topic:\n    Type: AWS::SNS::Topic\n", "empty.yaml")
    assert {key for key, _ in statuses(template, ["hipaa"])} == {"hipaa"}


def test_real_template_no_control_is_blank(real_template_path):
    found = statuses(load_template(real_template_path), parameters=REAL_REQUIRED)
    for status in found.values():
        assert status.findings or status.evidence or status.note
    assert found[("cis-aws", "1.16")].status == EVIDENCE  # no statement allows * on *
    assert found[("pci-dss", "10.5.1")].status == ATTENTION  # 90-day log groups
    assert found[("cis-aws", "3.2")].status == NOT_ASSESSED  # the stack creates no trail
    assert found[("soc2", "CC9.2")].status == ATTENTION  # the vendor's users


@pytest.mark.parametrize("rule_id", ["QW-LOG-005", "QW-NET-009", "QW-ENC-001"])
def test_a_passing_fixture_gives_evidence_with_a_line(rule_id):
    path = DATA / "findings" / rule_id / "pass.yaml"
    found = statuses(load_template(path))
    proofs = [e for s in found.values() for e in s.evidence if e.rule_id == rule_id]
    assert proofs and all(e.lines for e in proofs)
