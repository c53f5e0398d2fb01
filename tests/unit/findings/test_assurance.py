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


# --- evidence only where it proves the control ------------------------------------------------

from wizard.findings.assurance import OUTSIDE, aws_managed_key, trail_readers  # noqa: E402

_TRAIL = """
Parameters:
  KMSKeyId: {Type: String, Default: ""}
Resources:
  Key:
    Type: AWS::KMS::Key
    Properties: {EnableKeyRotation: true}
  TrailLogGroup:
    Type: AWS::Logs::LogGroup
    Properties: {RetentionInDays: 365}
  Reader:
    Type: AWS::IAM::Role
    Properties:
      AssumeRolePolicyDocument:
        Statement: [{Effect: Allow, Principal: {Service: lambda.amazonaws.com}, Action: sts:AssumeRole}]
      Policies:
        - PolicyName: read
          PolicyDocument:
            Statement: [{Effect: Allow, Action: [s3:GetObject], Resource: arn:aws:s3:::acme-trail/*}]
  Trail:
    Type: AWS::CloudTrail::Trail
    Properties:
      IsLogging: true
      S3BucketName: acme-trail
      KMSKeyId: KEY
      CloudWatchLogsLogGroupArn: !GetAtt TrailLogGroup.Arn
"""


def _trail(key: str):
    return parse_template(_TRAIL.replace("KEY", key), "trail.yaml")


@pytest.mark.parametrize("key", ["alias/aws/s3", "arn:aws:kms:us-east-1:123456789012:alias/aws/cloudtrail"])
def test_an_aws_managed_key_never_evidences_a_customer_managed_key(key):
    assert aws_managed_key(key)
    found = statuses(_trail(key))
    cis = found[("cis-aws", "3.5")]
    assert cis.status == ATTENTION and "AWS-managed" in cis.note
    # wherever else the trail's key is evidence (HIPAA's audit controls), it is called AWS-managed, never proof
    hipaa = found[("hipaa", "164.312(b)")]
    assert hipaa.status != EVIDENCE
    assert all("AWS-managed" in e.text for e in hipaa.evidence if e.rule_id == "QW-LOG-001")


def test_a_key_arn_needs_kms_word_and_a_key_of_the_stack_proves():
    arn = "arn:aws:kms:us-east-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab"
    assert not aws_managed_key(arn)
    assert statuses(_trail(arn))[("cis-aws", "3.5")].status == OUTSIDE
    own = statuses(_trail("!GetAtt Key.Arn"))[("cis-aws", "3.5")]
    assert own.status == EVIDENCE and "creates" in own.evidence[0].text


def test_read_access_to_audit_logs_is_never_evidenced_by_encryption_when_a_role_reads_them():
    template = _trail("!GetAtt Key.Arn")
    evaluation = Evaluation(template, resolve_parameters(template, {}))
    readers = trail_readers(RuleContext(evaluation, extract(evaluation), network_rules(evaluation)))
    assert list(readers) == ["Reader"]
    status = statuses(template)[("pci-dss", "10.3.1")]
    assert status.status == OUTSIDE and "Reader" in status.note


def test_a_log_group_of_the_stack_is_no_central_log_store():
    status = statuses(_trail("!GetAtt Key.Arn"))[("pci-dss", "10.3.3")]
    assert status.status == OUTSIDE
    assert "TrailLogGroup made by this stack" in status.note and "log-archive account" in status.note


def test_the_trails_log_group_without_a_key_is_attention():
    found = statuses(_trail("!GetAtt Key.Arn"))
    assert found[("hipaa", "164.312(a)(2)(iv)")].status == ATTENTION
    assert any(f.rule_id == "QW-LOG-011" for f in found[("iso27001", "8.24")].findings)


@pytest.mark.parametrize("control", [("pci-dss", "1.2.5"), ("pci-dss", "2.2.4"), ("iso27001", "8.22")])
def test_no_open_ingress_alone_never_evidences_need_or_segregation(control):
    path = DATA / "findings" / "QW-NET-007" / "pass.yaml"
    status = statuses(load_template(path))[control]
    assert status.status != EVIDENCE
    if status.status == OUTSIDE:
        assert "what proves it" in status.note


@pytest.mark.parametrize("mode", ["standard", "restricted", "enterprise"])
def test_on_the_vendors_template_the_audited_controls_are_never_evidence(mode, real_template_path):
    from tests.unit.findings.test_report_claims import rendered_analysis

    analysis, _ = rendered_analysis("vendor", mode)
    context = RuleContext(analysis.evaluation, analysis.grants, analysis.rules)
    findings = evaluate_findings(analysis.evaluation, analysis.grants, analysis.rules)
    found = {(k, s.control.id): s for k, v in control_statuses(context, findings).items() for s in v}
    for control in [("pci-dss", "10.3.1"), ("pci-dss", "10.3.3"), ("pci-dss", "1.2.5"), ("pci-dss", "2.2.4"),
                    ("iso27001", "8.22"), ("cis-aws", "3.5")]:
        assert found[control].status != EVIDENCE, (mode, control, found[control])
    if analysis.evaluation.resources("AWS::CloudTrail::Trail"):
        assert "AccessCountsRole" in found[("pci-dss", "10.3.1")].note
