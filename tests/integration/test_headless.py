"""The headless run as a real process: every format, overwrite rules, phases, gates."""

from __future__ import annotations

import json

import pytest

from tests.cli_run import run_cli
from tests.conftest import DATA

GOOD = str(DATA / "answers" / "good-standard.yaml")


@pytest.mark.parametrize("fmt", ["cfn", "overrides", "codepipeline"])
def test_each_format_end_to_end(tmp_path, fmt):
    out = tmp_path / "params"
    result = run_cli("--answers", GOOD, "--out", str(out), "--format", fmt, "--set", "Qurator=Enabled")
    assert result.code == 0, result.err
    text = out.read_text()
    if fmt == "cfn":
        values = {p["ParameterKey"]: p["ParameterValue"] for p in json.loads(text)}
    elif fmt == "overrides":
        values = dict(line.split("=", 1) for line in text.splitlines())
    else:
        body = json.loads(text)
        assert set(body) == {"Parameters", "Tags"}
        values = body["Parameters"]
    assert values["Qurator"] == "Enabled" and values["PolicyCreationMode"] == "Automatic"
    assert values["QuiltWebHost"] == "quilt.example.com"
    assert all(isinstance(v, str) for v in values.values())
    assert "Wrote" in result.out and "BROADENING" in result.out  # Qurator adds bedrock on *


def test_refuses_to_overwrite_without_force_and_keeps_a_backup(tmp_path):
    out = tmp_path / "params.json"
    out.write_text("precious")
    refused = run_cli("--answers", GOOD, "--out", str(out))
    assert refused.code == 2 and "already exists; use --force" in refused.err
    assert out.read_text() == "precious"
    forced = run_cli("--answers", GOOD, "--out", str(out), "--force")
    assert forced.code == 0, forced.err
    assert (tmp_path / "params.json.bak").read_text() == "precious"
    assert json.loads(out.read_text())


def test_json_summary_and_broadening_gate(tmp_path):
    out = tmp_path / "p.json"
    result = run_cli("--answers", GOOD, "--out", str(out), "--json", "--fail-on-broadening",
                     "--set", "Qurator=Enabled")
    assert result.code == 1, result.err
    summary = json.loads(result.out)
    assert summary["diff"]["broadening"] is True
    assert {tuple(g["actions"]) for g in summary["diff"]["added"]} == {("bedrock:InvokeModel",)}
    assert summary["parameters"]["AdminPassword"] in ("", "****")
    assert "--fail-on-broadening" in result.err


def test_moving_a_port_is_not_broadening(tmp_path):
    out = tmp_path / "p.json"
    result = run_cli("--answers", GOOD, "--out", str(out), "--json", "--fail-on-broadening",
                     "--set", "InternalApiPort=9444")
    assert result.code == 0, result.err
    network = json.loads(result.out)["diff"]["network"]
    assert {r["from_port"] for r in network["added"]} == {9444}
    assert {r["from_port"] for r in network["removed"]} == {444}


def test_narrowing_passes_the_gate(tmp_path):
    out = tmp_path / "p.json"
    result = run_cli("--answers", GOOD, "--out", str(out), "--json", "--fail-on-broadening",
                     "--set", "CustomerBucketPrefix=acme-data-")
    assert result.code == 0, result.err
    summary = json.loads(result.out)
    assert summary["diff"]["broadening"] is False
    assert summary["diff"]["added"] and summary["diff"]["removed"]


def test_harden_after_writes_two_phases(tmp_path):
    answers = tmp_path / "a.yaml"
    answers.write_text(open(GOOD).read().replace("mode: standard", "mode: restricted") +
                       "output: {path: phased.json}\n")
    text = answers.read_text().replace("answers:\n", "answers:\n  timeline: after\n  bucket_scope: acme-data-\n"
                                       "  approvers: arn:aws:iam::111122223333:role/quilt-approver\n")
    answers.write_text(text)
    result = run_cli("--answers", str(answers), "--json")
    assert result.code == 0, result.err
    phase1 = {p["ParameterKey"]: p["ParameterValue"] for p in json.loads((tmp_path / "phased.json").read_text())}
    phase2 = {p["ParameterKey"]: p["ParameterValue"]
              for p in json.loads((tmp_path / "phased.json.phase2").read_text())}
    assert phase1["PolicyCreationMode"] == "Automatic" and phase1["CustomerBucketPrefix"] == ""
    assert phase2["PolicyCreationMode"] == "ManualApproval" and phase2["CustomerBucketPrefix"] == "acme-data-"
    files = json.loads(result.out)["files"]
    assert [f["phase"] for f in files] == ["phase 1: deploy now", "phase 2: harden"]
    assert files[1]["diff"]["removed"]


def test_no_echo_values_reach_the_file_but_never_the_summary(tmp_path):
    out = tmp_path / "p.json"
    result = run_cli("--answers", GOOD, "--out", str(out), "--set", "AdminPassword=sup3rs3cret!")
    assert result.code == 0, result.err
    assert "sup3rs3cret" not in result.out + result.err
    assert "sup3rs3cret" in out.read_text()
    assert oct(out.stat().st_mode & 0o777) == "0o600"


def test_help_explains_the_faces():
    result = run_cli("--help")
    assert result.code == 0
    for word in ("--answers", "--plain", "--profile", "render", "grants", "diff", "profiles", "Exit status"):
        assert word in result.out


def test_the_summary_counts_findings_and_the_report_records_the_answers(tmp_path):
    from tests.conftest import ROOT

    result = run_cli("--answers", GOOD, "--out", str(tmp_path / "p.json"))
    assert result.code == 0, result.err
    assert "Findings:" in result.out and "quilt-wizard report" in result.out
    report = run_cli("report", "--answers", str(ROOT / "examples" / "answers.yaml"), "--out", str(tmp_path / "r"))
    assert report.code == 0, report.err
    markdown = (tmp_path / "r" / "security-report.md").read_text()
    assert "| mode | restricted |" in markdown
    assert "| How should IAM policies be created when buckets are connected? | manual |" in markdown
    html = (tmp_path / "r" / "security-report.html").read_text()
    assert "<script" not in html and "http://" not in html.split("</head>")[0]
