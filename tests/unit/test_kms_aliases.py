"""A KMS key given by an alias: the key grants cover every key of the account, and a finding says so
(QW-IAM-112); where the template's own alias says which key it names, the finding names the key."""

from __future__ import annotations

import pytest

from tests.conftest import DATA
from wizard.cfn.evaluate import Evaluation
from wizard.cfn.parameters import resolve_parameters
from wizard.cfn.template import load_template, parse_template
from wizard.findings import evaluate_findings
from wizard.iam.grants import extract
from wizard.iam.kms import alias_of, alias_widenings

KEY_ARN = "arn:aws:kms:us-east-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab"
FAIL = DATA / "findings" / "QW-IAM-112" / "fail.yaml"


def evaluation_of(template, **values):
    return Evaluation(template, resolve_parameters(template, values))


def widenings(template, **values):
    evaluation = evaluation_of(template, **values)
    return alias_widenings(evaluation, extract(evaluation))


def alias_findings(template, **values):
    return [f for f in evaluate_findings(evaluation_of(template, **values)) if f.rule_id == "QW-IAM-112"]


@pytest.mark.parametrize("value, alias", [("alias/quilt-logs", "alias/quilt-logs"),
                                          ("arn:aws:kms:us-east-1:123456789012:alias/quilt/logs", "alias/quilt/logs"),
                                          (KEY_ARN, None), ("1234abcd-12ab-34cd-56ef-1234567890ab", None), ("", None)])
def test_an_alias_is_told_from_a_key(value, alias):
    assert alias_of(value) == alias


@pytest.fixture(scope="module")
def embedded():
    from wizard.flow.stack import template_for

    return template_for(None)


def test_an_alias_for_the_embedded_templates_key_widens_its_key_grants_and_says_so(embedded):
    found = alias_findings(embedded, KMSKeyId="alias/quilt-logs")
    assert len(found) == 1
    finding = found[0]
    assert finding.severity == "medium" and finding.controls
    assert "KMSKeyId gives the KMS key by its alias alias/quilt-logs" in finding.message
    assert "arn:aws:kms:us-east-1:123456789012:key/*, every key of account 123456789012" in finding.message
    assert "the template does not say which key the alias names" in finding.message
    every_key = {w.grant.principal for w in widenings(embedded, KMSKeyId="alias/quilt-logs")}
    assert every_key and every_key == {g.principal for g in finding.grants}


@pytest.mark.parametrize("value", [KEY_ARN, "1234abcd-12ab-34cd-56ef-1234567890ab", ""])
def test_a_key_given_by_its_arn_or_id_is_not_widened(embedded, value):
    assert widenings(embedded, KMSKeyId=value) == [] and alias_findings(embedded, KMSKeyId=value) == []


def with_alias_resource(target: str) -> str:
    """The failing fixture with the template's own alias of that name, targeting ``target``."""
    text = FAIL.read_text()
    return text + ("  Key:\n    Type: AWS::KMS::Key\n    Properties:\n      EnableKeyRotation: true\n"
                   "      KeyPolicy:\n        Statement:\n"
                   "          - {Effect: Allow, Principal: {AWS: !Sub 'arn:aws:iam::${AWS::AccountId}:root'}, "
                   "Action: 'kms:*', Resource: '*'}\n"
                   "  LogsAlias:\n    Type: AWS::KMS::Alias\n"
                   f"    Properties: {{AliasName: alias/quilt-logs, TargetKeyId: {target}}}\n")


@pytest.mark.parametrize("target, named", [("!Ref Key", "Key"), (f"'{KEY_ARN}'", KEY_ARN)])
def test_the_templates_own_alias_is_resolved_to_the_key_it_names(target, named):
    template = parse_template(with_alias_resource(target), "alias.yaml")
    (widening,) = widenings(template)
    assert widening.alias == "alias/quilt-logs" and widening.parameter == "KMSKeyId"
    assert widening.key in ("${Key}", KEY_ARN)
    (finding,) = alias_findings(template)
    # The policy is still written from the parameter's text: every key, but the key is named.
    assert f"the template's own alias names {named}" in finding.message
    assert "every key of account 123456789012" in finding.message


def test_an_alias_the_template_does_not_define_is_not_resolved():
    template = parse_template(with_alias_resource("!Ref Key").replace("alias/quilt-logs, Target",
                                                                        "alias/other, Target"), "alias.yaml")
    (widening,) = widenings(template)
    assert widening.key is None


def test_a_grant_bound_to_the_alias_by_a_condition_is_not_every_key():
    text = FAIL.read_text().replace(
        "StringEquals: {kms:ViaService: !Sub 's3.${AWS::Region}.amazonaws.com'}",
        "StringEquals: {kms:ViaService: !Sub 's3.${AWS::Region}.amazonaws.com'}\n"
        "                  ForAnyValue:StringEquals: {kms:ResourceAliases: !Ref KMSKeyId}")
    template = parse_template(text, "bound.yaml")
    assert "kms:ResourceAliases" in text and widenings(template) == [] and alias_findings(template) == []


def test_a_no_echo_parameter_is_never_read_for_an_alias():
    template = parse_template(FAIL.read_text().replace("Type: String\n    Default: alias/quilt-logs",
                                                       "Type: String\n    NoEcho: true\n    Default: alias/quilt-logs"),
                              "secret.yaml")
    assert widenings(template) == []


def test_the_report_carries_it(tmp_path):
    from wizard.cli import main

    assert main(["report", "--template", str(load_template(FAIL).source), "--out", str(tmp_path / "alias")]) == 0
    assert "QW-IAM-112 KMS key given by an alias" in (tmp_path / "alias" / "security-report.md").read_text()
    assert main(["report", "--template", str(FAIL), "--set", f"KMSKeyId={KEY_ARN}", "--out", str(tmp_path / "key")]) == 0
    assert "QW-IAM-112 KMS key given by an alias" not in (tmp_path / "key" / "security-report.md").read_text()


# --- an AWS-managed key is refused for the trail where it is typed ------------------------------

def test_an_aws_managed_key_is_refused_for_the_trail_where_it_is_typed(tmp_path, capsys):
    from wizard.cfn.pseudo import Pseudo
    from wizard.flow.checks import value_problem

    pseudo = Pseudo(region="us-east-1", account_id="123456789012")
    for value in ("alias/aws/s3", "arn:aws:kms:us-east-1:123456789012:alias/aws/cloudtrail"):
        problem = value_problem("KMSKeyId", value, pseudo, {})
        assert problem and "AWS-managed" in problem and "CloudTrail cannot encrypt" in problem
    for value in ("alias/quilt-trail", "arn:aws:kms:us-east-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab"):
        assert value_problem("KMSKeyId", value, pseudo, {}) is None
    assert value_problem("SomeOtherKey", "alias/aws/s3", pseudo, {}) is None


@pytest.mark.parametrize("value, refused", [
    ("alias/aws/cloudtrail", True), ("arn:aws:kms:us-east-1:111122223333:alias/aws/s3", True),
    ("alias/quilt-trail", False), ("arn:aws:kms:us-east-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab", False),
    ("1234abcd-12ab-34cd-56ef-1234567890ab", False), ("", False)])
def test_only_an_aws_managed_alias_is_refused_for_the_trail_and_only_then_are_the_assurances_read(value, refused):
    import subprocess
    import sys

    code = ("import sys\nfrom wizard.flow.checks import trail_key_problem\n"
            f"problem = trail_key_problem('KMSKeyId', {value!r})\n"
            "print(problem is not None, 'wizard.findings.assurance' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout.split()
    assert out == [str(refused), str(refused)]
