"""SAM templates are analysed as CloudFormation deploys them; other transforms are refused.

The fixtures are under ``tests/data/sam/``. The grants are read from the evaluated, expanded
template: who holds them, their actions and resources, and the line of the user's file each
one cites.
"""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from tests.conftest import DATA
from wizard.cfn import transform
from wizard.cfn.evaluate import Evaluation
from wizard.cfn.parameters import resolve_parameters
from wizard.cfn.template import load_template, parse_template
from wizard.cli import main
from wizard.errors import TemplateError
from wizard.findings import evaluate_findings
from wizard.iam.grants import IDENTITY, RESOURCE, TRUST, extract

SAM = DATA / "sam"
FUNCTION = SAM / "function-policies.yaml"


def _line(path, text: str) -> int:
    """The line of the first line of ``path`` that holds ``text``."""
    return next(n for n, line in enumerate(path.read_text().splitlines(), 1) if text in line)


def _grants(path=FUNCTION, values=None):
    template = load_template(path)
    return extract(Evaluation(template, resolve_parameters(template, values or {})))


def _of(grants, principal, kind=IDENTITY):
    return [g for g in grants if g.principal == principal and g.kind == kind]


def test_the_function_role_holds_the_managed_policy_and_the_inline_statement():
    role = _of(_grants(), "HandlerRole")
    attached = {g.attachment for g in role if g.attachment}
    assert attached == {"arn:aws:iam::aws:policy/AdministratorAccess",
                        "arn:aws:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole"}
    admin = [g for g in role if g.source.policy == "AdministratorAccess" and not g.attachment]
    assert [(g.effect, g.actions, g.resources) for g in admin] == [("Allow", ("*",), ("*",))]
    inline = [g for g in role if g.actions == ("sqs:SendMessage",)]
    assert [g.resources for g in inline] == [("arn:aws:sqs:us-east-1:111122223333:orders",)]


def test_policy_templates_become_statements_on_their_resources():
    role = _of(_grants(), "HandlerRole")
    read = next(g for g in role if "s3:GetObject" in g.actions)
    assert set(read.actions) >= {"s3:GetObject", "s3:ListBucket"} and "s3:PutObject" not in read.actions
    assert set(read.resources) == {"arn:aws:s3:::acme-reports", "arn:aws:s3:::acme-reports/*"}
    crud = next(g for g in role if "dynamodb:PutItem" in g.actions)
    # the SimpleTable became a DynamoDB table of the stack, which the statement names by Ref
    assert all(r.startswith("arn:aws:dynamodb:") and "${Orders}" in r for r in crud.resources)
    assert load_template(FUNCTION).resources["Orders"]["Type"] == "AWS::DynamoDB::Table"


def test_parameters_stay_symbols_for_the_runs_values():
    read = next(g for g in _of(_grants(values={"ReportBucketName": "acme-other"}), "HandlerRole")
                if "s3:GetObject" in g.actions)
    assert set(read.resources) == {"arn:aws:s3:::acme-other", "arn:aws:s3:::acme-other/*"}


def test_the_role_is_trusted_by_lambda_and_the_bucket_policy_passes_through():
    grants = _grants()
    trust = [g for g in grants if g.kind == TRUST and g.on == ("HandlerRole",)]
    assert [(g.principal, g.actions) for g in trust] == [("Service:lambda.amazonaws.com", ("sts:AssumeRole",))]
    policy = [g for g in grants if g.kind == RESOURCE and g.source.resource == "DataPolicy"]
    assert [(g.effect, g.actions) for g in policy] == [("Deny", ("s3:*",))]


def test_every_grant_cites_a_line_of_the_sam_file():
    grants = _grants()
    lines = {(g.source.policy, g.kind): g.source.line for g in grants}
    # the role the function generated: the function's line (the trust) and its Policies' lines
    assert lines[("AssumeRolePolicyDocument", TRUST)] == _line(FUNCTION, "  Handler:")
    assert lines[("ManagedPolicyArns", IDENTITY)] == _line(FUNCTION, "Policies:")
    assert lines[("AdministratorAccess", IDENTITY)] == _line(FUNCTION, "Policies:")
    assert lines[("HandlerRolePolicy1", IDENTITY)] == _line(FUNCTION, "- Effect: Allow")
    assert lines[("HandlerRolePolicy2", IDENTITY)] == _line(FUNCTION, "- S3ReadPolicy:")
    assert lines[("HandlerRolePolicy3", IDENTITY)] == _line(FUNCTION, "- DynamoDBCrudPolicy:")
    # a resource passed through keeps its own lines
    assert lines[("PolicyDocument", RESOURCE)] == _line(FUNCTION, "- Effect: Deny")
    template = load_template(FUNCTION)
    assert template.line_of("Resources", "HandlerRole") == _line(FUNCTION, "  Handler:")
    assert template.line_of("Resources", "Orders") == _line(FUNCTION, "  Orders:")
    assert template.line_of("Resources", "Handler", "Properties", "Runtime") == _line(FUNCTION, "Runtime:")


def test_the_admin_grant_trips_the_gate(capsys):
    template = load_template(FUNCTION)
    findings = evaluate_findings(Evaluation(template, resolve_parameters(template, {})))
    assert any(f.severity == "critical" and f.subject == "HandlerRole" for f in findings)
    assert main(["grants", "--template", str(FUNCTION), "--fail-on", "high"]) == 1
    assert "HandlerRole" in capsys.readouterr().err


def test_grants_json_lists_the_expanded_roles_statements(capsys):
    assert main(["grants", "--template", str(FUNCTION), "--json"]) == 0
    captured = capsys.readouterr()
    assert captured.err == ""  # nothing of the translator's own on stderr
    out = json.loads(captured.out)
    held = {g["principal"] for g in out["grants"] if g["kind"] == IDENTITY}
    assert held == {"HandlerRole"}
    assert out["not_analysed"] == []


CANNOT = {
    "include.yaml": ("AWS::Include", "include.yaml:2: Transform:"),
    "macro.yaml": ("AcmeTagger", "macro.yaml:4: Transform:"),
    "inline-include.yaml": ("Fn::Transform AWS::Include", "inline-include.yaml:11: Resources/Handler/Properties/Policies/0"),
    "repository-application.yaml": ("Serverless Application Repository", "repository-application.yaml:4: Resources/Rotator"),
    "invalid.yaml": ("Event Type is: Cron", "invalid.yaml:4: Resources/Handler: the SAM transform refuses"),
}


@pytest.mark.parametrize("name", sorted(CANNOT))
@pytest.mark.parametrize("command", ["render", "grants", "diff", "report"])
def test_a_template_that_cannot_be_expanded_is_one_line_and_exit_2(name, command, tmp_path, capsys):
    extra = ["--out", str(tmp_path / "report")] if command == "report" else []
    gate = ["--fail-on", "high"] if command in ("grants", "diff") else []
    assert main([command, "--template", str(SAM / name), *gate, *extra]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "Traceback" not in err, err
    named, place = CANNOT[name]
    assert named in err and place in err, err
    assert not (tmp_path / "report").exists()


def test_fn_transform_anywhere_is_refused_with_its_line():
    text = "Resources:\n  T:\n    Type: AWS::SNS::Topic\n    Properties:\n      TopicName: !Transform {Name: Acme}\n"
    with pytest.raises(TemplateError) as caught:
        parse_template(text, "t.yaml")
    assert caught.value.line == 5 and "Acme" in caught.value.message


def test_a_template_without_a_transform_is_left_as_read():
    text = "Resources:\n  Transformer:\n    Type: AWS::SNS::Topic\n    Properties: {TopicName: TextTransformations}\n"
    template = parse_template(text)
    assert template.resources["Transformer"]["Type"] == "AWS::SNS::Topic"
    assert template.line_of("Resources", "Transformer") == 2


@pytest.mark.parametrize("text, found", [
    ("Transform: X", True), ('{"Transform": "X"}', True), ("a: !Transform {}", True), ("Fn::Transform", True),
    ("TextTransformations: []", False), ("MetricTransformations", False), ("Transform_1", False), ("", False)])
def test_only_the_word_transform_leads_to_a_look_at_the_template(text, found):
    assert transform.mentions_transform(text) is found


def test_managed_policy_names_come_from_the_bundled_copy():
    arns = transform.managed_policy_arns()
    assert arns["AdministratorAccess"] == "arn:aws:iam::aws:policy/AdministratorAccess"
    assert arns["AWSLambdaBasicExecutionRole"] == "arn:aws:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole"
    from wizard.iam import managed_policies

    assert len(arns) == managed_policies.header()["count"]


def test_the_expansion_needs_no_aws_session(monkeypatch):
    import boto3
    import boto3.session

    def no_session(*args, **kwargs):
        raise AssertionError("the expansion asked for an AWS session")

    monkeypatch.setattr(boto3.session, "Session", no_session)
    monkeypatch.setattr(boto3, "client", no_session)
    template = parse_template(FUNCTION.read_text(), "function-policies.yaml")
    assert template.resources["HandlerRole"]["Type"] == "AWS::IAM::Role"


def test_the_translator_is_imported_only_for_a_sam_template():
    code = ("import sys\nfrom wizard.cfn.template import load_template\nload_template(sys.argv[1])\n"
            "print('samtranslator' in sys.modules)")
    plain = DATA / "templates" / "fleet-small.yaml"
    seen = [subprocess.run([sys.executable, "-c", code, str(path)], capture_output=True, text=True,
                           check=True).stdout.strip() for path in (plain, FUNCTION)]
    assert seen == ["False", "True"]


FUNCTION_WITH = """\
Transform: AWS::Serverless-2016-10-31
Parameters:
  Alias: {Type: String, Default: live}
Resources:
  Fn:
    Type: AWS::Serverless::Function
    Properties:
      Runtime: python3.12
      Handler: app.handler
      InlineCode: x
"""


def test_a_parameter_the_translator_needs_takes_its_default():
    """SAM refuses ``AutoPublishAlias`` unless it knows the value: expanded with the default."""
    template = parse_template(FUNCTION_WITH + "      AutoPublishAlias: !Ref Alias\n")
    assert template.resources["FnAliaslive"]["Type"] == "AWS::Lambda::Alias"
    assert template.line_of("Resources", "FnAliaslive") == 5


def test_a_resource_sam_generates_for_no_resource_of_the_file_cites_the_transform():
    events = ("      Events:\n        Get:\n          Type: Api\n"
              "          Properties: {Path: /, Method: get}\n")
    template = parse_template(FUNCTION_WITH + events)
    assert template.resources["ServerlessRestApi"]["Type"] == "AWS::ApiGateway::RestApi"
    assert template.line_of("Resources", "ServerlessRestApi") == 1
    assert template.line_of("Resources", "FnGetPermissionProd") == 5


def test_a_sam_template_is_deployed_with_the_auto_expand_capability():
    """CloudFormation refuses a change set of a template with a transform unless it is
    acknowledged: the capability is named, with the transform that needs it; a template
    without one does not ask for it."""
    from wizard.aws.security import required_capabilities

    template = load_template(FUNCTION)
    assert template.transform == transform.SAM and "Transform" in template.text
    names = [c.name for c in required_capabilities(Evaluation(template, resolve_parameters(template, {})))]
    assert names == ["CAPABILITY_IAM", "CAPABILITY_AUTO_EXPAND"]
    expand = required_capabilities(Evaluation(template, resolve_parameters(template, {})))[-1]
    assert expand.describe() == ("CAPABILITY_AUTO_EXPAND: the template declares a transform CloudFormation "
                                 "expands (Transform)")
    plain = parse_template("Resources:\n  Role:\n    Type: AWS::IAM::Role\n    Properties: {AssumeRolePolicyDocument: {}}\n")
    assert plain.transform is None
    assert [c.name for c in required_capabilities(Evaluation(plain, resolve_parameters(plain, {})))] == ["CAPABILITY_IAM"]
