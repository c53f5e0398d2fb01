"""Resources of the template named by Ref or Fn::GetAtt are judged by the ARN their type gives:
an action given one of a type it does not accept is a mismatch (QW-IAM-110), read on the grants."""

from __future__ import annotations

import json
import re

import pytest

from tests.conftest import REAL
from wizard import paths
from wizard.cfn.evaluate import Evaluation
from wizard.cfn.parameters import resolve_parameters
from wizard.cfn.template import load_template, parse_template
from wizard.cfn.yamlsource import parse_yaml
from wizard.findings import evaluate_findings
from wizard.iam import actions as iam_actions
from wizard.iam.grants import BOUNDARY, IDENTITY, extract
from wizard.iam.resource_returns import ASSET, SEGMENT, form, pattern
from wizard.iam.resource_types import kinds, mismatches

TEMPLATE = """
Parameters:
  TopicArn: {Type: String, Default: 'arn:aws:sns:us-east-1:123456789012:given'}
  Given: {Type: String}
Resources:
  Topic: {Type: AWS::SNS::Topic}
  Bucket: {Type: AWS::S3::Bucket}
  Queue: {Type: AWS::SQS::Queue}
  Thing: {Type: Custom::Thing}
  Key: {Type: AWS::KMS::Key}
  Param: {Type: AWS::SSM::Parameter, Properties: {Type: String, Value: x}}
  R:
    Type: AWS::IAM::Role
    Properties:
      AssumeRolePolicyDocument:
        Statement: [{Effect: Allow, Principal: {Service: lambda.amazonaws.com}, Action: sts:AssumeRole}]
      Policies:
        - PolicyName: p
          PolicyDocument:
            Statement:
%s
"""


def mismatched(*statements: str, **values) -> list[tuple[tuple[str, str], ...]]:
    """The resource mismatches of each statement of R's policy, in order."""
    text = TEMPLATE % "\n".join(f"              - {s}" for s in statements)
    template = parse_template(text, "t.yaml")
    grants = extract(Evaluation(template, resolve_parameters(template, {"Given": "x", **values})))
    found = sorted((g for g in grants if g.kind == IDENTITY and g.principal == "R"), key=lambda g: g.source.statement)
    assert len(found) == len(statements)
    return [g.resource_mismatches for g in found]


# --- the four probes of the issue ---------------------------------------------------------------

def test_unsubscribe_on_ref_of_a_topic_is_flagged():
    assert mismatched("{Effect: Allow, Action: [sns:Unsubscribe, sns:Publish], Resource: !Ref Topic}") == [
        (("sns:Unsubscribe", "${Topic}"),)]


def test_get_object_on_the_arn_of_a_bucket_is_flagged():
    assert mismatched("{Effect: Allow, Action: s3:GetObject, Resource: !GetAtt Bucket.Arn}") == [
        (("s3:GetObject", "${Bucket.Arn}"),)]


def test_get_object_on_a_bucket_arn_built_from_its_name_is_flagged():
    assert mismatched("{Effect: Allow, Action: s3:GetObject, Resource: !Sub 'arn:aws:s3:::${Bucket}'}") == [
        (("s3:GetObject", "arn:aws:s3:::${Bucket}"),)]


def test_list_bucket_on_the_objects_of_a_bucket_is_flagged():
    assert mismatched("{Effect: Allow, Action: s3:ListBucket, Resource: !Sub '${Bucket.Arn}/*'}",
                      "{Effect: Deny, Action: s3:ListBucket, Resource: !Sub 'arn:${AWS::Partition}:s3:::${Bucket}/*'}") == [
        (("s3:ListBucket", "${Bucket.Arn}/*"),), (("s3:ListBucket", "arn:aws:s3:::${Bucket}/*"),)]


def test_a_literal_object_arn_for_list_bucket_is_flagged_too():
    """A bucket name holds no '/': neither a bucket nor an access point is ``arn:aws:s3:::acme/*``."""
    assert mismatches(("s3:ListBucket",), ("arn:aws:s3:::acme/*",)) == (("s3:ListBucket", "arn:aws:s3:::acme/*"),)
    assert mismatches(("s3:ListBucket",), ("arn:aws:s3:::acme*",)) == ()


# --- no false positive ---------------------------------------------------------------------------

@pytest.mark.parametrize("statement", [
    "{Effect: Allow, Action: sns:Publish, Resource: !Ref Topic}",
    "{Effect: Allow, Action: sns:Publish, Resource: !GetAtt Topic.TopicArn}",
    "{Effect: Allow, Action: [s3:GetObject, s3:PutObject], Resource: !Sub '${Bucket.Arn}/*'}",
    "{Effect: Allow, Action: s3:GetObject, Resource: !Sub 'arn:aws:s3:::${Bucket}/*'}",
    "{Effect: Allow, Action: [s3:ListBucket, s3:GetObject], Resource: [!GetAtt Bucket.Arn, !Sub '${Bucket.Arn}/*']}",
    "{Effect: Allow, Action: 's3:Get*', Resource: !GetAtt Bucket.Arn}",
    "{Effect: Allow, Action: sqs:SendMessage, Resource: !GetAtt Queue.Arn}",
    "{Effect: Allow, Action: kms:Decrypt, Resource: !GetAtt Key.Arn}",
    "{Effect: Allow, Action: kms:Decrypt, Resource: !Sub 'arn:aws:kms:us-east-1:123456789012:key/${Key}'}",
    "{Effect: Allow, Action: ssm:GetParameter, Resource: !Sub 'arn:aws:ssm:us-east-1:123456789012:parameter${Param}'}",
    # values of unknown shape: a parameter, an import, a type or an attribute the asset does not know
    "{Effect: Allow, Action: sns:Unsubscribe, Resource: !Ref Given}",
    "{Effect: Allow, Action: s3:GetObject, Resource: !ImportValue shared-bucket}",
    "{Effect: Allow, Action: s3:GetObject, Resource: !GetAtt Thing.Arn}",
    "{Effect: Allow, Action: s3:GetObject, Resource: !Sub 'arn:aws:s3:::${Thing}'}",
    "{Effect: Allow, Action: s3:GetObject, Resource: !Sub 'arn:aws:s3:::${Bucket.DomainName}'}",
    "{Effect: Allow, Action: sqs:SendMessage, Resource: !Ref Queue}",
    "{Effect: Allow, Action: s3:GetObject, Resource: !Select [0, !Split ['/', !GetAtt Bucket.Arn]]}",
    # resource-level '*', in a statement that names a topic too
    "{Effect: Allow, Action: sns:Unsubscribe, Resource: '*'}",
    "{Effect: Allow, Action: [sns:Unsubscribe, sns:Publish], Resource: [!Ref Topic, '*']}",
])
def test_what_cannot_be_known_or_is_right_is_never_flagged(statement):
    assert mismatched(statement) == [()]


def test_a_parameter_is_judged_by_its_value_as_before():
    """``Ref`` of a parameter is its value: a literal ARN is judged, a value not given is not."""
    statement = "{Effect: Allow, Action: sns:Unsubscribe, Resource: !Ref TopicArn}"
    assert mismatched(statement) == [(("sns:Unsubscribe", "arn:aws:sns:us-east-1:123456789012:given"),)]


def test_the_json_output_names_the_resource_as_written(capsys, tmp_path):
    from wizard.cli import main

    path = tmp_path / "t.yaml"
    path.write_text(TEMPLATE % "              - {Effect: Allow, Action: s3:ListBucket, Resource: !Sub '${Bucket.Arn}/*'}")
    assert main(["grants", "--template", str(path), "--set", "Given=x", "--json"]) == 0
    [grant] = [g for g in json.loads(capsys.readouterr().out)["grants"] if g["kind"] == "identity"]
    assert grant["resource_mismatches"] == [{"action": "s3:ListBucket", "resource": "${Bucket.Arn}/*"}]


# --- the finding ---------------------------------------------------------------------------------

def test_the_finding_reports_a_symbolic_mismatch_once_not_again_for_a_boundary_that_repeats_it():
    text = (TEMPLATE % "              - {Effect: Allow, Action: s3:GetObject, Resource: !GetAtt Bucket.Arn}").replace(
        "      Policies:", "      PermissionsBoundary: !Ref Boundary\n      Policies:")
    text += """  Boundary:
    Type: AWS::IAM::ManagedPolicy
    Properties:
      PolicyDocument:
        Statement:
          - {Effect: Allow, Action: s3:GetObject, Resource: !GetAtt Bucket.Arn}
          - {Effect: Allow, Action: sns:Unsubscribe, Resource: !Ref Topic}
"""
    template = parse_template(text, "t.yaml")
    evaluation = Evaluation(template, resolve_parameters(template, {"Given": "x"}))
    assert {g.kind for g in extract(evaluation) if g.resource_mismatches} == {IDENTITY, BOUNDARY}
    found = [f for f in evaluate_findings(evaluation) if f.rule_id == "QW-IAM-110"]
    # the role's own statement, and the boundary's statement the role's policies do not repeat
    assert sorted(f.subject for f in found) == ["Boundary/Boundary#1", "R/p#0"]
    # each names the resource type its resource is, which the actions do not accept
    by_subject = {f.subject: f.message for f in found}
    assert "s3:GetObject on Bucket (type bucket)," in by_subject["R/p#0"]
    assert "sns:Unsubscribe on Topic (type topic)," in by_subject["Boundary/Boundary#1"]


@pytest.mark.parametrize("resource,kinds_", [
    ("${Bucket.Arn}/*", ("object",)), ("${Bucket.Arn}", ("bucket",)), ("arn:aws:s3:::${Bucket}", ("bucket",)),
    ("${Topic}", ("topic",)), ("arn:aws:s3:::acme*", ("bucket", "object")), ("*", ()), ("${Given}", ()),
    ("${Thing.Arn}", ())])
def test_the_resource_type_of_a_symbolic_arn_is_computed(resource, kinds_):
    types = {"Bucket": "AWS::S3::Bucket", "Topic": "AWS::SNS::Topic", "Thing": "Custom::Thing"}
    assert kinds(resource, pattern(resource, types)) == kinds_


# --- the asset -----------------------------------------------------------------------------------

def returns() -> dict:
    return parse_yaml(ASSET.read_text(encoding="utf-8"), str(ASSET))


def definitions() -> dict:
    return json.loads(iam_actions.definitions_file().read_bytes())


def test_every_arn_of_the_asset_is_the_form_the_iam_definitions_give_its_type():
    forms: dict[str, set[str]] = {}
    for service in definitions().values():
        if isinstance(service, dict):
            for name, entry in (service.get("resources") or {}).items():
                forms.setdefault(name, set()).add(entry.get("arn", ""))
    for kind, attributes in returns()["types"].items():
        for attribute, value in attributes.items():
            if value["returns"] == "arn":
                # the form itself, or the form followed by a suffix (a log group's ARN ends in ':*')
                assert any(value["arn"] == f or value["arn"].startswith(f + ":") for f in forms.get(value["type"], ())), (
                    kind, attribute)


def test_every_segment_is_a_variable_of_that_service():
    variables: dict[str, set[str]] = {}
    for service in definitions().values():
        if isinstance(service, dict):
            for entry in (service.get("resources") or {}).values():
                parts = entry.get("arn", "").split(":", 3)
                if len(parts) > 2:
                    variables.setdefault(parts[2], set()).update(re.findall(r"\$\{([^}]*)\}", entry["arn"]))
    for service, names in returns()["segments"].items():
        assert set(names) <= variables.get(service, set()), service


def test_a_form_stands_for_a_segment_only_where_no_slash_can_be():
    assert form("arn:${Partition}:s3:::${BucketName}/${ObjectName}") == f"arn:*:s3:::{SEGMENT}/*"
    assert form("arn:${Partition}:iam::${Account}:role/${RoleNameWithPath}") == "arn:*:iam::*:role/*"
    types = {"Bucket": "AWS::S3::Bucket", "Log": "AWS::Logs::LogGroup", "Cert": "AWS::CertificateManager::Certificate"}
    assert pattern("arn:aws:s3:::${Bucket}/*", types) == f"arn:aws:s3:::{SEGMENT}/*"
    assert pattern("arn:aws:logs:r:1:log-group:${Log}", types) == "arn:aws:logs:r:1:log-group:*"
    assert pattern("${Cert}", types) == "${Cert}"
    assert pattern("${Bucket.Arn}.split('/')[0]", types) == "${Bucket.Arn}.split('/')[0]"


def _policy_resource_types(template, values) -> set[str]:
    """The types of the resources a policy statement of the template names by Ref or Fn::GetAtt."""
    evaluation = Evaluation(template, resolve_parameters(template, values))
    found = set()
    for grant in extract(evaluation):
        for resource in grant.resources + grant.not_resources:
            for logical_id in re.findall(r"\$\{([A-Za-z0-9]+)[.}]", resource):
                if logical_id in template.resources:
                    found.add(str(template.resources[logical_id].get("Type")))
    return found


def test_the_asset_knows_every_type_the_embedded_template_names_in_a_policy():
    template = load_template(paths.DEFAULT_TEMPLATE)
    known = set(returns()["types"])
    for enhanced in ("false", "true"):
        assert _policy_resource_types(template, {"EnableEnhancedSecurity": enhanced}) <= known


@pytest.mark.parametrize("name", ["stable.yaml", "stable-iam.yaml", "stable-app.yaml"])
def test_the_asset_knows_every_type_the_vendor_template_names_in_a_policy(name):
    if not REAL.is_file():
        pytest.skip("the real Quilt template fixture is absent")
    from tests.unit.overlay.conftest import VENDOR_FILES

    template = load_template(REAL.parent / name)
    assert _policy_resource_types(template, VENDOR_FILES[name]) <= set(returns()["types"])
