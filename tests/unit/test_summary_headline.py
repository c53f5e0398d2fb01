"""The headless summary's headline leads with the change in risk, as the wizard's panel does:
enterprise mode against standard removes the critical finding before it adds grants."""

from __future__ import annotations

import re

import yaml

from tests.conftest import DATA
from wizard.cli import main

KEY = "arn:aws:kms:us-east-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab"
SEVERITY = re.compile(r"\b(critical|high|medium|low|info)\b")


def _answers(tmp_path, mode: str, **answers) -> str:
    data = yaml.safe_load((DATA / "answers" / "good-standard.yaml").read_text())
    data["mode"] = mode
    data["answers"].update(answers)
    path = tmp_path / f"{mode}.yaml"
    path.write_text(yaml.safe_dump(data))
    return str(path)


def _enterprise(tmp_path, **answers) -> str:
    return _answers(tmp_path, "enterprise", bucket_scope="acme-quilt-", athena_scope="primary,analytics",
                    cloudtrail_kms=KEY, **answers)


def _summary(tmp_path, answers: str, capsys) -> list[str]:
    assert main(["--answers", answers, "--out", str(tmp_path / "p.json")]) == 0
    return capsys.readouterr().out.splitlines()


def test_enterprise_against_standard_leads_with_the_critical_finding_it_removes(tmp_path, capsys):
    lines = _summary(tmp_path, _enterprise(tmp_path), capsys)
    at = next(i for i, line in enumerate(lines) if line.startswith("Against the baseline (standard): "))
    headline = lines[at].removeprefix("Against the baseline (standard): ")
    findings, _, grants = headline.partition("; ")
    assert re.match(r"findings -\d+ critical\b", findings), headline
    assert "grants" not in findings and "BROADENING" in grants  # the risk first, then the grants
    named = SEVERITY.findall(findings)
    assert len(named) == len(set(named)), f"a severity named twice: {findings}"
    assert lines[at + 1].startswith("  - CRITICAL QW-ESC-002"), lines[at + 1]
    first_grant = next(i for i, line in enumerate(lines) if line == "IAM changes")
    assert first_grant > at
    assert not any("BROADENING" in line for line in lines[:at])


def test_standard_against_itself_says_the_findings_are_unchanged(tmp_path, capsys):
    lines = _summary(tmp_path, str(DATA / "answers" / "good-standard.yaml"), capsys)
    assert "Against the baseline (standard): findings unchanged; +0 grants" in "\n".join(lines)


def test_each_phase_of_harden_after_leads_with_its_change_in_risk(tmp_path, capsys):
    lines = _summary(tmp_path, _enterprise(tmp_path, timeline="after"), capsys)
    first = next(line for line in lines if line.startswith("Phase 1 (deployed first) against the baseline"))
    second = next(line for line in lines if line.startswith("What phase 2 (harden) changes after phase 1: "))
    assert re.search(r"\): findings (unchanged|[-+]\d)", first), first
    findings, _, grants = second.partition(": ")[2].partition("; ")
    assert re.match(r"findings -\d+ critical\b", findings) and "grants" in grants, second
    for line in (first, second):
        named = SEVERITY.findall(line.partition("; ")[0])
        assert len(named) == len(set(named)), line
