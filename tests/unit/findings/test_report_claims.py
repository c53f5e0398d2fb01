"""Every claim of the report holds on the template it was rendered for.

The report (``quilt-wizard report --answers``, Markdown and HTML) is rendered for each mode on
the vendor's template (hardened by the overlay) and on the embedded template, and each claim it
makes is checked against the rendered template's grants and resources: "condition" only where
the pre-created statements carry one, a service named as narrowed only where its grants on
every resource are fewer with enhanced security, "waits for an approver" only where the
application is told of the approval topic, "offers PARAM" or "takes PARAM" only where the
template declares PARAM, and no audited control evidenced by what cannot prove it.
"""

from __future__ import annotations

import atexit
import re
import shutil
import tempfile
from functools import lru_cache
from pathlib import Path

import pytest
import yaml

from tests.conftest import DATA, REAL, REAL_REQUIRED
from wizard.cli import main
from wizard.iam.analysis import analyse

KEY = "arn:aws:kms:us-east-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab"
MODES = ("standard", "restricted", "enterprise")
EMBEDDED_PARAMETERS = {
    "AdminEmail": "admin@acme.com", "RegistryImage": "111122223333.dkr.ecr.us-east-1.amazonaws.com/quilt:1",
    "SearchDomainArn": "arn:aws:es:us-east-1:111122223333:domain/quilt", "CloudTrailBucket": "acme-cloudtrail-logs",
    "VPC": "vpc-0a1b2c3d4e5f60718", "Subnets": "subnet-0a1b2c3d4e5f60718,subnet-0a1b2c3d4e5f60719",
    "PublicSubnets": "subnet-0b1b2c3d4e5f60718,subnet-0b1b2c3d4e5f60719",
}


def _answers(which: str, mode: str) -> dict:
    answers = yaml.safe_load((DATA / "overlay" / "answers-vendor.yaml").read_text())
    answers["mode"] = mode
    if which == "embedded":
        answers["parameters"] = dict(EMBEDDED_PARAMETERS)
    if mode == "enterprise":
        answers["answers"]["cloudtrail_kms"] = KEY
    return answers


@lru_cache(maxsize=None)
def rendered_analysis(which: str, mode: str):
    """(the analysis of the template the report was rendered for, (Markdown, HTML))."""
    from wizard.flow.answers import load_answers_file
    from wizard.flow.headless import plan_arguments, plan_deployment

    folder = Path(tempfile.mkdtemp(prefix="report-claims-"))
    atexit.register(shutil.rmtree, folder, True)
    path = folder / "answers.yaml"
    path.write_text(yaml.safe_dump(_answers(which, mode)))
    template = [str(REAL)] if which == "vendor" else []
    code = main(["report", "--answers", str(path), *(["--template", *template] if template else []),
                 "--frameworks", "soc2,hipaa,pci-dss,iso27001,cis-aws", "--out", str(folder / "out"), "--force"])
    assert code == 0
    plan = plan_arguments(load_answers_file(str(path)), template=template[0] if template else None)
    deployment = plan_deployment(**plan, require_complete=False)
    analysis = analyse(deployment.template, deployment.values.raw, deployment.pseudo)
    texts = ((folder / "out" / "security-report.md").read_text(), (folder / "out" / "security-report.html").read_text())
    return analysis, texts


@pytest.fixture(params=[(w, m) for w in ("vendor", "embedded") for m in MODES], ids=lambda p: f"{p[0]}-{p[1]}")
def rendered(request):
    which, _ = request.param
    if which == "vendor" and not REAL.is_file():
        pytest.skip("the real Quilt template fixture is absent")
    return rendered_analysis(*request.param)


def _section(markdown: str, heading: str) -> str:
    parts = markdown.split(heading, 1)
    return parts[1].split("\n## ", 1)[0] if len(parts) > 1 else ""


def _plain(html: str) -> str:
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html)).replace("&#x27;", "'").replace("&quot;", '"')


def test_conditions_claimed_only_where_the_pre_created_statements_carry_them(rendered):
    from wizard.findings.choices import _condition_keys
    from wizard.findings.connection import _pre_created

    analysis, (markdown, html) = rendered
    evaluation = analysis.evaluation
    keys = _condition_keys(_pre_created(evaluation, evaluation.parameters.raw.get("CustomerBucketPrefix") or "example-"))
    for text in (markdown, _plain(html)):
        claims = re.findall(r"bound by a condition on ([\w:, ]+)\.", text)
        for claim in claims:
            assert keys and all(k.strip() in keys for k in claim.split(",")), claim
        assert "conditional" not in text.lower() or keys


def test_a_service_is_named_narrowed_only_where_its_grants_on_every_resource_shrink(rendered):
    from wizard.findings.choices import _on_everything, _with
    from wizard.iam.grants import extract

    analysis, (markdown, html) = rendered
    evaluation = analysis.evaluation
    if "EnableEnhancedSecurity" not in evaluation.template.parameters:
        return
    wide_with = _on_everything(extract(_with(evaluation, EnableEnhancedSecurity="true")))
    wide_without = _on_everything(extract(_with(evaluation, EnableEnhancedSecurity="false")))
    for text in (markdown, _plain(html)):
        match = re.search(r"the grants on every resource narrowed: ([^.]+)\.", text)
        named = re.findall(r"(\w[\w-]*) \((\d+) action", match.group(1)) if match else []
        for service, count in named:
            assert len(wide_without[service] - wide_with.get(service, set())) == int(count) > 0, service
        if "glue" in {s for s, _ in named} or re.search(r"[Ss]coped[^.]*\bGlue\b", text):
            assert wide_without["glue"] - wide_with.get("glue", set()), "Glue named as scoped, yet nothing narrows"
    # what stays on every resource is named: the Glue writes AccessCountsRole keeps on the vendor's template
    glue_left = {(p, a) for p, a in wide_with.get("glue", set()) if not a.split(":")[1].startswith("Get")}
    for principal, action in glue_left:
        assert f"{action} (" in markdown


def test_an_approver_is_said_to_wait_only_where_the_application_is_told_of_the_topic(rendered):
    from wizard.findings.choices import request_path

    analysis, (markdown, html) = rendered
    told = request_path(analysis.evaluation)
    for text in (markdown, _plain(html)):
        if "waits for an approver" in text:
            approval = analysis.evaluation.parameters.raw.get("PolicyCreationMode") == "ManualApproval"
            from wizard.findings.document import _with_mode

            assert request_path(_with_mode(analysis.evaluation, "ManualApproval")), "no request path, yet it waits"
            if approval:
                assert told
    if analysis.evaluation.parameters.raw.get("PolicyCreationMode") == "ManualApproval" and not told:
        assert "the request side needs a change by the vendor" in markdown


def test_an_option_is_offered_only_where_the_template_declares_it(rendered):
    analysis, (markdown, html) = rendered
    declared = analysis.evaluation.template.parameters
    for text in (markdown, _plain(html)):
        for name in re.findall(r"(?:this|the hardened) template (?:offers|takes) (\w+)", text):
            assert name in declared, name
        assert "the hardened template offers" not in text
    if "EnableTaskTLS" not in declared:
        assert "offers EnableTaskTLS" not in markdown
        findings = _section(markdown, "## Findings")
        if "Plain HTTP from the load balancer to the tasks" in findings:
            assert "needs an image from the vendor" in findings


def _row(markdown: str, control: str) -> str:
    return next((line for line in markdown.splitlines() if line.startswith(f"| {control} |")), "")


def test_audited_controls_are_never_evidenced_by_what_cannot_prove_them(rendered):
    from wizard.findings.assurance import aws_managed_key, trail_readers
    from wizard.findings.context import RuleContext

    analysis, (markdown, _) = rendered
    compliance = _section(markdown, "## Compliance mapping")
    for control in ("1.2.5", "2.2.4", "8.22", "10.3.3"):
        row = _row(compliance, control)
        assert row and "| evidence |" not in row, row
    trails = analysis.evaluation.resources("AWS::CloudTrail::Trail")
    readers = trail_readers(RuleContext(analysis.evaluation, analysis.grants, analysis.rules))
    if readers:
        assert "| evidence |" not in _row(compliance, "10.3.1")
        row = _row(compliance, "10.3.1")
        assert "| attention |" in row or all(r in row for r in readers), row
    cis = _row(compliance, "3.5")
    keys = [str((t.get("Properties") or {}).get("KMSKeyId") or "") for t in trails.values()]
    if not any(keys) or any(aws_managed_key(k) for k in keys) or not analysis.evaluation.resources("AWS::KMS::Key"):
        assert "| evidence |" not in cis, cis


def test_missing_controls_are_named(rendered):
    from wizard.findings.rules.cloudtrail import trail_log_groups
    from wizard.findings.context import RuleContext
    from wizard.iam.posture import s3_data_events

    analysis, (markdown, _) = rendered
    context = RuleContext(analysis.evaluation, analysis.grants, analysis.rules)
    groups = analysis.evaluation.resources("AWS::Logs::LogGroup")
    for trail, group in trail_log_groups(context):
        if not (groups[group].get("Properties") or {}).get("KmsKeyId"):
            assert f"QW-LOG-011 The trail's CloudWatch Logs log group is not encrypted with a KMS key: {group}" \
                in markdown
    for logical_id, trail in analysis.evaluation.resources("AWS::CloudTrail::Trail").items():
        if not s3_data_events(trail.get("Properties") or {}):
            assert "QW-LOG-010" in _row(_section(markdown, "## Compliance mapping"), "3.8")


def test_markdown_and_html_say_the_same_sentences(rendered):
    _, (markdown, html) = rendered
    plain = _plain(html)
    for heading in ("The vendor's four questions, answered", "Pre-deployment checklist"):
        assert heading in markdown and heading in plain
    for sentence in re.findall(r"\*\*What it (?:changes|costs):\*\* ([^\n]{20,80})", markdown):
        words = re.sub(r"\\(.)", r"\1", sentence.replace("**", "").replace("`", "")).split()[:6]
        assert " ".join(words) in plain, words


def test_the_checklist_names_what_the_deployment_needs(rendered):
    from wizard.findings.checklist import checklist

    analysis, (markdown, _) = rendered
    evaluation = analysis.evaluation
    entries = {e.id: e.text for e in checklist(evaluation, [])}
    raw = evaluation.parameters.raw
    if evaluation.resources("AWS::CloudTrail::Trail"):
        policy = entries["trail-bucket-policy"]
        assert f"arn:aws:s3:::{raw['CloudTrailBucket']}/AWSLogs/{evaluation.pseudo.account_id}/*" in policy
        assert '"Service": "cloudtrail.amazonaws.com"' in policy and "s3:GetBucketAcl" in policy
    else:
        assert "trail-bucket-policy" not in entries
    if "KMSKeyId" in evaluation.template.parameters:
        for item in ("kms-key-cloudtrail", "kms-key-sns", "kms-key-readers"):
            assert item in entries
        assert f'"arn:aws:iam::{evaluation.pseudo.account_id}:root"' in entries["kms-key-readers"]
    if raw.get("AllowedAthenaWorkgroups") is not None and "AllowedAthenaWorkgroups" in evaluation.template.parameters:
        assert "primary workgroup" in entries["athena-primary-workgroup"]
    canaries = [b for b in evaluation.resources("AWS::S3::Bucket") if b.startswith("Canary")]
    if canaries:
        assert all(b in entries["canary-buckets"] for b in canaries)
    else:
        assert "canary-buckets" not in entries
    table = _section(markdown, "## Pre-deployment checklist")
    assert all(text.split(" ")[1] in table for text in entries.values())


def test_out_of_reach_names_everything_no_option_changes(rendered):
    from wizard.findings.apis import apis
    from wizard.findings.choices import request_path
    from wizard.findings.document import _with_mode

    analysis, (markdown, _) = rendered
    section = _section(markdown, "### Out of reach without the vendor")
    if "## The vendor's template" not in markdown:
        assert not section
        return
    told = request_path(_with_mode(analysis.evaluation, "ManualApproval"))
    assert ("The request side of manual approval" in section) == (not told)
    for api in apis(analysis.evaluation):
        if any(not m.authenticated for m in api.methods):
            assert f"API Gateway {api.name}" in section
    assert ("EnableTaskTLS" in section) == ("EnableTaskTLS" not in analysis.evaluation.template.parameters)
    assert "AccessCountsRole (glue:BatchCreatePartition, glue:CreateTable, glue:DeleteTable)" in section
