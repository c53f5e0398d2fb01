"""The security report (Markdown and self-contained HTML) and the ``--fail-on`` gates."""

from __future__ import annotations

import json
import re

import pytest

from tests.conftest import REAL_REQUIRED
from wizard.cli import main
from wizard.cfn.evaluate import Evaluation
from wizard.findings import evaluate_findings
from wizard.iam.grants import extract
from wizard.iam.network import network_rules
from wizard.cfn.parameters import resolve_parameters
from wizard.flow.report import FIGURES, REPORT_HTML, REPORT_MD, render_report
from wizard.cfn.template import parse_template

SECRET = "Sup3r-Secret_Value*42"

SMALL = """
Parameters:
  DbPassword: {Type: String, NoEcho: true}
  Mode: {Type: String, Default: open, AllowedValues: [open, closed]}
Conditions:
  Open: !Equals [!Ref Mode, open]
Resources:
  AppRole:
    Type: AWS::IAM::Role
    Properties:
      AssumeRolePolicyDocument:
        Version: '2012-10-17'
        Statement:
          - {Effect: Allow, Principal: {Service: lambda.amazonaws.com}, Action: sts:AssumeRole}
      Policies:
        - PolicyName: app
          PolicyDocument:
            Version: '2012-10-17'
            Statement:
              - Effect: Allow
                Action: ssm:GetParameter
                Resource: !Sub 'arn:${AWS::Partition}:ssm:${AWS::Region}:${AWS::AccountId}:parameter/${DbPassword}'
              - Effect: Allow
                Action: !If [Open, 'iam:*', 'iam:GetRole']
                Resource: '*'
  Group:
    Type: AWS::EC2::SecurityGroup
    Properties:
      GroupDescription: !Sub 'db ${DbPassword}'
      SecurityGroupIngress:
        - {IpProtocol: tcp, FromPort: 22, ToPort: 22, CidrIp: 0.0.0.0/0}
"""

EXTERNAL = re.compile(r"""(<script|<link|@import|url\(|(src|href)\s*=\s*["']?\s*(https?:)?//)""", re.IGNORECASE)


@pytest.fixture
def small(tmp_path):
    path = tmp_path / "small.yaml"
    path.write_text(SMALL)
    return path


def _render(text: str, **options):
    template = parse_template(text, "small.yaml")
    evaluation = Evaluation(template, resolve_parameters(template, {"DbPassword": SECRET}))
    grants, rules = extract(evaluation), network_rules(evaluation)
    findings = evaluate_findings(evaluation, grants, rules)
    return render_report(evaluation, grants, rules, findings, **options)


def test_noecho_values_never_appear_even_inside_policies():
    markdown, html = _render(SMALL)
    for text in (markdown, html):
        assert SECRET not in text
        assert "Secret_Value" not in text and "Sup3r" not in text
        assert "****" in text


def test_html_is_self_contained():
    _, html = _render(SMALL)
    assert html.startswith("<!DOCTYPE html>")
    assert "Content-Security-Policy" in html and "default-src 'none'" in html
    assert not EXTERNAL.search(html)
    assert "http://" not in html and "https://" not in html
    assert "<style>" in html


def test_markdown_has_the_sections_and_a_mermaid_diagram():
    markdown, _ = _render(SMALL)
    for heading in ("## Summary", "## Deployment parameters", "## Findings", "## Compliance mapping",
                    "## Network flows", "## Exact policies per principal", "## Pre-deployment checklist"):
        assert heading in markdown
    assert "```mermaid\nflowchart LR" in markdown
    assert "QW-NET-007" in markdown and "QW-IAM-102" in markdown
    assert '"Action": "iam:*"' in markdown


def test_context_and_preflight_are_shown():
    context = {"mode": "restricted", "answers": {"policy_creation": "manual approval"},
               "frameworks": ["hipaa"]}
    preflight = {"checks": [{"name": "identity", "status": "pass", "detail": "caller is the deployer"},
                            {"name": "review-package", "status": "warn", "detail": "not yet signed"}]}
    markdown, html = _render(SMALL, context=context, preflight=preflight)
    assert "restricted" in markdown and "manual approval" in markdown
    assert "HIPAA Security Rule" in markdown and "SOC 2 Trust Services" not in markdown
    assert "caller is the deployer" in markdown and "! warn" in markdown and "not yet signed" in html


def test_preflight_report_objects_are_accepted():
    class Report:
        def to_json(self):
            return {"checks": [{"name": "identity", "status": "fail", "detail": "wrong account", "hint": "switch"}]}

    markdown, _ = _render(SMALL, preflight=Report())
    assert "✗ fail" in markdown and "wrong account" in markdown and "Fix: switch" in markdown


def _real_args(real_template_path):
    args = ["--template", str(real_template_path)]
    for key, value in REAL_REQUIRED.items():
        args += ["--set", f"{key}={value}"]
    return args


def test_report_command_writes_both_files(real_template_path, tmp_path, capsys):
    out = tmp_path / "package"
    code = main(["report", *_real_args(real_template_path), "--frameworks", "soc2,hipaa", "--out", str(out)])
    assert code == 0
    assert "security-report.md" in capsys.readouterr().out
    markdown = (out / REPORT_MD).read_text()
    html = (out / REPORT_HTML).read_text()
    assert not EXTERNAL.search(html) and "https://" not in html
    assert "<svg " in html and "```mermaid" in markdown  # the drawing in HTML, the Mermaid source in Markdown
    for name in ("DBUrl", "AdminPassword"):
        value = REAL_REQUIRED[name]
        if value:
            assert value not in markdown and value not in html
    assert "QW-ESC-001" in markdown and "ManagedUserRole" in markdown
    assert sorted(p.name for p in out.iterdir()) == sorted([*FIGURES, REPORT_HTML, REPORT_MD])
    assert (out / "network.svg").read_text().startswith("<?xml") and "<script" not in (out / "permissions.svg").read_text()


def test_report_command_json_and_gate(real_template_path, tmp_path, capsys):
    out = tmp_path / "package"
    code = main(["report", *_real_args(real_template_path), "--out", str(out), "--json", "--fail-on", "critical"])
    assert code == 1
    captured = capsys.readouterr()
    data = json.loads(captured.out)
    assert data["counts"]["critical"] == 2  # the self-rewrite, and the outside users who reach it
    assert {f["rule_id"] for f in data["findings"]} >= {"QW-ESC-002", "QW-ESC-005", "QW-IAM-001", "QW-NET-002"}
    assert "--fail-on critical" in captured.err and captured.err.count("\n") == 1
    assert (out / REPORT_HTML).is_file()


def test_report_refuses_bad_input_and_writes_nothing(small, tmp_path, capsys):
    out = tmp_path / "package"
    assert main(["report", "--template", str(small), "--out", str(out), "--frameworks", "soc3"]) == 2
    assert "unknown framework 'soc3'" in capsys.readouterr().err
    assert not out.exists()
    a_file = tmp_path / "file"
    a_file.write_text("keep")
    assert main(["report", "--template", str(small), "--out", str(a_file)]) == 2
    assert a_file.read_text() == "keep"


def test_report_replaces_an_old_report_whole_only_with_force(small, tmp_path, capsys):
    out = tmp_path / "package"
    out.mkdir()
    (out / REPORT_MD).write_text("old")
    assert main(["report", "--template", str(small), "--set", f"DbPassword={SECRET}", "--out", str(out)]) == 2
    assert "already exists; use --force" in capsys.readouterr().err
    assert (out / REPORT_MD).read_text() == "old" and not (out / REPORT_HTML).exists()
    assert main(["report", "--template", str(small), "--set", f"DbPassword={SECRET}", "--out", str(out),
                 "--force"]) == 0
    assert (out / REPORT_MD).read_text().startswith("# Security review")
    assert (out / (REPORT_MD + ".bak")).read_text() == "old"
    assert sorted(p.name for p in out.iterdir()) == sorted([*FIGURES, REPORT_HTML, REPORT_MD, REPORT_MD + ".bak"])


def test_grants_fail_on_high_exits_1_on_the_real_template(real_template_path, capsys):
    assert main(["grants", *_real_args(real_template_path), "--fail-on", "high"]) == 1
    captured = capsys.readouterr()
    assert "IAM grants" in captured.out
    assert "at or above high" in captured.err and "QW-ESC-002" in captured.err


def test_grants_without_fail_on_exits_0(real_template_path, capsys):
    assert main(["grants", *_real_args(real_template_path)]) == 0


def test_grants_fail_on_passes_below_the_threshold(small, capsys):
    args = ["grants", "--template", str(small), "--set", f"DbPassword={SECRET}", "--set", "Mode=closed"]
    assert main([*args, "--fail-on", "critical"]) == 0
    assert main([*args, "--fail-on", "medium"]) == 1


def test_diff_fail_on_judges_the_new_side(small, capsys):
    base = ["diff", "--template", str(small), "--set", f"DbPassword={SECRET}", "--from", f"DbPassword={SECRET}"]
    assert main([*base, "--from", "Mode=open", "--set", "Mode=closed", "--fail-on", "high"]) == 0
    assert main([*base, "--from", "Mode=closed", "--set", "Mode=open", "--fail-on", "high"]) == 1
    assert "at or above high" in capsys.readouterr().err


def test_fail_on_refuses_an_unknown_severity(small, capsys):
    with pytest.raises(SystemExit) as caught:
        main(["grants", "--template", str(small), "--fail-on", "severe"])
    assert caught.value.code == 2


def test_the_html_prints_each_section_on_a_new_page_without_cutting_rows():
    _, html = _render(SMALL)
    css = html.split("<style>", 1)[1].split("</style>", 1)[0]
    printed = css.split("@media print{", 1)[1]
    assert "h2{break-before:page;page-break-before:always}" in printed
    assert "tr,td,th{break-inside:avoid;page-break-inside:avoid}" in printed
    assert "thead{display:table-header-group}" in printed and "white-space:pre-wrap" in printed
