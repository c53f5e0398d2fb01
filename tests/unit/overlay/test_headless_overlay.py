"""The headless run on the vendor's template: hardened first, the template written beside the
parameter file, said in the summary; ``--no-harden`` analyses it as it is."""

from __future__ import annotations

import json
import shutil

from tests.unit.overlay.conftest import ANSWERS
from wizard.cfn.template import load_template
from wizard.cli import main


def test_headless_hardens_the_vendor_template_and_writes_it_beside_the_parameters(run, tmp_path, capsys):
    assert run() == 0
    out = capsys.readouterr().out
    assert "hardened with the quilt overlay" in out and "needs a change by the vendor: EnableTaskTLS" in out
    beside = tmp_path / "quilt-parameters.json.template.yaml"
    assert f"Wrote {beside}" in out
    parameters = {p["ParameterKey"]: p["ParameterValue"]
                  for p in json.loads((tmp_path / "quilt-parameters.json").read_text())}
    assert parameters["PolicyCreationMode"] == "ManualApproval"
    assert parameters["CustomerBucketPrefix"] == "acme-quilt-"
    assert parameters["ApproverPrincipalArn"] == "arn:aws:iam::111122223333:role/quilt-approver"
    # manual approval: the summary says what the approver runs, and what needs the vendor
    approval = out[out.index("Manual approval of IAM policies"):]
    assert "runs quilt-wizard approve --stack-name quilt-prod --bucket BUCKET" in approval
    assert "publishing a request on PolicyApprovalTopic, needs a change by the vendor" in approval
    hardened = load_template(beside)
    assert set(parameters) <= set(hardened.parameters), "the parameter file fits the template beside it"
    assert "QuiltWizard::Overlay" in hardened.body["Metadata"]


def test_the_template_beside_is_never_replaced_without_force(run, tmp_path, capsys):
    beside = tmp_path / "quilt-parameters.json.template.yaml"
    beside.write_text("mine")
    assert run() == 2
    assert "already exists" in capsys.readouterr().err
    assert beside.read_text() == "mine" and not (tmp_path / "quilt-parameters.json").exists()
    assert run("--force") == 0
    assert beside.read_text() != "mine" and (tmp_path / "quilt-parameters.json.template.yaml.bak").is_file()


def test_headless_json_summary_carries_the_hardening(run, capsys):
    assert run("--json") == 0
    summary = json.loads(capsys.readouterr().out)
    assert summary["hardening"]["template_file"].endswith("quilt-parameters.json.template.yaml")
    assert "PolicyCreationMode" in summary["hardening"]["parameters_added"]


def test_no_harden_analyses_the_template_as_it_is(run, tmp_path, capsys):
    # The file's own answers ask for options the vendor's template lacks: refused, never dropped.
    assert run("--no-harden") == 2
    err = capsys.readouterr().err
    assert "answers.yaml:7: /answers/bucket_scope: 'acme-quilt-' cannot be applied: the template has no " \
           "CustomerBucketPrefix" in err
    assert not (tmp_path / "quilt-parameters.json").exists()
    answers = tmp_path / "answers.yaml"
    answers.write_text("\n".join(line for line in answers.read_text().splitlines()
                                 if "_scope:" not in line and "approvers:" not in line))
    assert run("--no-harden") == 0
    out = capsys.readouterr().out
    # the mode's answers the template cannot apply are listed, each with the reason
    assert "policy_creation   Manual approval of each policy" in out
    assert "not applied: the template has no PolicyCreationMode" in out
    assert "hardened" not in out and not (tmp_path / "quilt-parameters.json.template.yaml").exists()
    parameters = {p["ParameterKey"] for p in json.loads((tmp_path / "quilt-parameters.json").read_text())}
    assert "PolicyCreationMode" not in parameters


def test_the_embedded_template_is_not_hardened(tmp_path, capsys):
    from tests.conftest import ROOT

    shutil.copy(ROOT / "examples" / "answers.yaml", tmp_path / "answers.yaml")
    assert main(["--answers", str(tmp_path / "answers.yaml")]) == 0
    assert "hardened" not in capsys.readouterr().out
    assert not list(tmp_path.glob("*.template.yaml"))


def test_the_report_on_a_vendor_template_leads_with_the_vendor_posture(run, tmp_path, real_template_path, capsys):
    out = tmp_path / "report"
    assert main(["report", "--answers", str(tmp_path / "answers.yaml"), "--template", str(real_template_path),
                 "--out", str(out)]) == 0
    text = (out / "security-report.md").read_text()
    vendor, options, reach = (text.index("### The vendor's template as it is"),
                              text.index("### What the chosen options change, rule by rule"),
                              text.index("### Out of reach without the vendor"))
    assert vendor < options < reach < text.index("## Summary")
    assert "Role trusts principals of another AWS account" in text[vendor:options]
    rows = text[options:reach]
    assert "| policy-creation | ApproverPrincipalArn=arn:aws:iam::111122223333:role/quilt-approver, " \
           "PolicyCreationMode=ManualApproval |" in rows
    # the report says what the approver does when a bucket is connected, and what needs the vendor
    connection = text[text.index("## Policies created when a bucket is connected"):]
    assert "runs `quilt-wizard approve --stack-name quilt-prod --bucket BUCKET`" in connection
    assert "Nothing in the template tells the application of PolicyApprovalTopic: the request side needs a " \
           "change by the vendor" in connection
    assert '"s3:Get*"' in connection and "acme-quilt-example-data" in connection
    assert "| bucket-prefix | CustomerBucketPrefix=acme-quilt- | 1 | 1 | +0 -0 | narrowing |" in rows
    assert "EnableTaskTLS: needs a change by the vendor" in text[reach:]
    assert "What the chosen options change, rule by rule" in (out / "security-report.html").read_text()


def test_report_with_harden_and_every_option_at_its_default_says_nothing_changes(real_template_path, tmp_path):
    from tests.conftest import REAL_REQUIRED

    sets = [a for k, v in REAL_REQUIRED.items() for a in ("--set", f"{k}={v}")]
    assert main(["report", "--template", str(real_template_path), "--harden", *sets, "--out", str(tmp_path)]) == 0
    text = (tmp_path / "security-report.md").read_text()
    assert "Every option is at its default: the hardened template grants exactly what the vendor's does." in text


def test_the_plain_face_hardens_the_vendor_template_too(tmp_path, real_template_path):
    import argparse
    import io

    import yaml

    from tests.unit.test_prompts import ScriptedAsker
    from wizard.flow.prompts import run_prompts

    parameters = yaml.safe_load(ANSWERS.read_text())["parameters"]
    script = {"deployment mode": "restricted", "S3 buckets": "acme-quilt-", "Athena workgroups": "primary",
              "approves the IAM policies": "arn:aws:iam::111122223333:role/quilt-approver",
              "load balancer use": "arn:aws:acm:us-east-1:111122223333:certificate/0f1e2d3c-4b5a-6978-8796-a5b4c3d2e1f0",
              "users reach Quilt": "quilt.acme.com", "Review the": False, **parameters}
    args = argparse.Namespace(template=str(real_template_path), stack_name=None, region=None,
                              account_id="111122223333", set_values=[], profile=None,
                              out=str(tmp_path / "plain.json"), format="cfn", baseline=None, force=False)
    out = io.StringIO()
    assert run_prompts(args, ScriptedAsker(script), out) == 0
    assert "the quilt overlay adds" in out.getvalue()
    assert (tmp_path / "plain.json.template.yaml").is_file()
    values = {p["ParameterKey"]: p["ParameterValue"] for p in json.loads((tmp_path / "plain.json").read_text())}
    assert values["PolicyCreationMode"] == "ManualApproval" and values["CustomerBucketPrefix"] == "acme-quilt-"
