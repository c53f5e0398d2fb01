"""diff --json and the report say what stops working: each lost access with its cause and the
features it stops, and the collateral apart."""

from __future__ import annotations

import json

from tests.conftest import REAL_REQUIRED
from wizard.cli import main


def _sets(values: dict) -> list[str]:
    return [arg for k, v in values.items() for arg in ("--set", f"{k}={v}")]


def _from(values: dict) -> list[str]:
    return [arg for k, v in values.items() for arg in ("--from", f"{k}={v}")]


def test_diff_json_lists_lost_access_with_cause_and_affects(real_template_path, capsys):
    base = ["diff", "--template", str(real_template_path), "--harden", *_from(REAL_REQUIRED), *_sets(REAL_REQUIRED)]
    assert main([*base, "--set", "TrustExternalPrincipals=Remove", "--set", "AllowedAthenaWorkgroups=primary",
                 "--json"]) == 0
    found = json.loads(capsys.readouterr().out)
    lost = found["lost_access"]
    assert lost and all(set(item) == {"principal", "actions", "resources", "cause", "affects"} for item in lost)
    assert {item["cause"] for item in lost} == {"TrustExternalPrincipals=Remove", "AllowedAthenaWorkgroups=primary"}
    users = [item for item in lost if item["cause"] == "TrustExternalPrincipals=Remove"]
    assert all(":user/" in item["principal"] and item["actions"] == ["sts:AssumeRole"] for item in users)
    assert all(item["affects"] == ["The vendor's access to the stack"] for item in users)
    assert found["collateral"] == [], "the list actions that accept only '*' keep '*': nothing is lost by accident"
    athena = {a for item in lost if item["cause"] == "AllowedAthenaWorkgroups=primary" for a in item["actions"]}
    assert "athena:StartQueryExecution" in athena and "athena:ListWorkGroups" not in athena


def test_diff_json_of_no_change_loses_nothing(real_template_path, capsys):
    assert main(["diff", "--template", str(real_template_path), "--harden", *_from(REAL_REQUIRED),
                 *_sets(REAL_REQUIRED), "--json"]) == 0
    found = json.loads(capsys.readouterr().out)
    assert found["lost_access"] == [] and found["collateral"] == []


def test_a_parameter_given_a_value_is_no_lost_access(real_template_path, capsys):
    """From the template defaults (placeholders) to real values: nothing named is lost."""
    assert main(["diff", "--template", str(real_template_path), "--harden", *_sets(REAL_REQUIRED), "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["lost_access"] == []


def test_the_report_says_what_stops_working_and_why(real_template_path, tmp_path):
    sets = _sets({**REAL_REQUIRED, "TrustExternalPrincipals": "Remove", "AllowedAthenaWorkgroups": "primary"})
    assert main(["report", "--template", str(real_template_path), "--harden", *sets, "--out", str(tmp_path)]) == 0
    text = (tmp_path / "security-report.md").read_text()
    section = text[text.index("## What stops working, and why"):].split("\n## ", 1)[0]
    rows = [line for line in section.splitlines() if line.startswith("| ") and "---" not in line][1:]
    cells = [[c.strip() for c in row.strip("|").split("|")] for row in rows]
    vendor = [c for c in cells if c[0] == "The vendor's access to the stack"]
    assert vendor and all(c[1] == "TrustExternalPrincipals=Remove" and "sts:AssumeRole" in c[2] and c[3] == ""
                          for c in vendor)
    athena = [c for c in cells if c[1] == "AllowedAthenaWorkgroups=primary"]
    assert athena and any("athena:StartQueryExecution" in c[2] for c in athena)
    assert all(c[3] == "" for c in cells), "no access is lost that no option claims"
    assert "What stops working, and why" in (tmp_path / "security-report.html").read_text()


def test_the_report_with_every_option_at_its_default_loses_nothing(real_template_path, tmp_path):
    assert main(["report", "--template", str(real_template_path), "--harden", *_sets(REAL_REQUIRED),
                 "--out", str(tmp_path)]) == 0
    text = (tmp_path / "security-report.md").read_text()
    assert "Nothing: every access the vendor's template grants still takes effect." in text
