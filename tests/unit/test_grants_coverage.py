"""Nothing a template grants slips past grants, diff and --fail-on: the reported reproductions."""

from __future__ import annotations

import json

import pytest

from tests.conftest import REAL
from wizard.cfn.evaluate import Evaluation
from wizard.cfn.parameters import resolve_parameters
from wizard.cfn.template import load_template, parse_template
from wizard.cli import main
from wizard.iam.grants import IDENTITY, RESOURCE, UNATTACHED, extract
from wizard.paths import DEFAULT_TEMPLATE

ROLE_AND_USER_POLICIES = """
Resources:
  R:
    Type: AWS::IAM::Role
    Properties:
      AssumeRolePolicyDocument:
        Statement: [{Effect: Allow, Principal: {Service: lambda.amazonaws.com}, Action: sts:AssumeRole}]
  RP:
    Type: AWS::IAM::RolePolicy
    Properties:
      RoleName: !Ref R
      PolicyName: all
      PolicyDocument: {Statement: [{Effect: Allow, Action: '*', Resource: '*'}]}
  U: {Type: AWS::IAM::User}
  UP:
    Type: AWS::IAM::UserPolicy
    Properties:
      UserName: !Ref U
      PolicyName: iam
      PolicyDocument: {Statement: [{Effect: Allow, Action: 'iam:*', Resource: '*'}]}
"""


def grants_of(text: str, **values):
    template = parse_template(text, "t.yaml")
    return extract(Evaluation(template, resolve_parameters(template, values)))


def test_role_and_user_policies_are_grants_of_their_holders():
    grants = grants_of(ROLE_AND_USER_POLICIES)
    by_holder = {(g.principal, g.source.resource): g for g in grants if g.kind == IDENTITY}
    assert by_holder[("R", "RP")].actions == ("*",) and by_holder[("R", "RP")].resources == ("*",)
    assert by_holder[("U", "UP")].actions == ("iam:*",)


def test_fail_on_high_trips_on_a_role_policy_granting_everything(tmp_path, capsys):
    path = tmp_path / "t.yaml"
    path.write_text(ROLE_AND_USER_POLICIES)
    assert main(["grants", "--template", str(path), "--fail-on", "high"]) == 1


def test_diff_calls_adding_a_role_policy_broadening():
    from wizard.iam.diff import diff

    without = grants_of(ROLE_AND_USER_POLICIES.split("  RP:")[0])
    result = diff(without, grants_of(ROLE_AND_USER_POLICIES), [], [])
    assert result.broadening


def test_a_log_resource_policy_is_listed():
    grants = grants_of("""
Resources:
  LogPolicy:
    Type: AWS::Logs::ResourcePolicy
    Properties:
      PolicyName: route53
      PolicyDocument: '{"Statement": [{"Effect": "Allow", "Principal": {"Service": "route53.amazonaws.com"}, "Action": "logs:PutLogEvents", "Resource": "*"}]}'
""")
    assert [(g.kind, g.principal, g.actions) for g in grants] == [
        (RESOURCE, "Service:route53.amazonaws.com", ("logs:PutLogEvents",))]


def test_unattached_managed_policies_of_the_split_real_template_are_listed():
    path = REAL.parent / "stable-iam.yaml"
    if not path.is_file():
        pytest.skip("the real Quilt template fixture (../shared/fixtures/quilt-real) is absent")
    template = load_template(path)
    grants = extract(Evaluation(template, resolve_parameters(template, {})))
    unattached = {g.source.resource for g in grants if g.principal == UNATTACHED}
    assert {"BucketReadPolicy", "BucketWritePolicy", "RegistryAssumeRolePolicy"} <= unattached


def test_event_bridge_full_access_includes_its_pass_role():
    grants = grants_of("""
Resources:
  R:
    Type: AWS::IAM::Role
    Properties:
      AssumeRolePolicyDocument:
        Statement: [{Effect: Allow, Principal: {Service: lambda.amazonaws.com}, Action: sts:AssumeRole}]
      ManagedPolicyArns: [arn:aws:iam::aws:policy/AmazonEventBridgeFullAccess]
""")
    pass_role = [g for g in grants if "iam:PassRole" in g.actions]
    assert pass_role and pass_role[0].principal == "R"
    assert pass_role[0].source.policy == "AmazonEventBridgeFullAccess"
    assert [g.attachment_known for g in grants if g.attachment] == [True]


def enhanced_grants():
    template = load_template(DEFAULT_TEMPLATE)
    from wizard.cfn.parameters import resolve_parameters as resolve

    return extract(Evaluation(template, resolve(template, {"EnableEnhancedSecurity": "true"})))


def test_the_embedded_template_grants_no_action_a_resource_it_does_not_accept():
    for enhanced in ("false", "true"):
        template = load_template(DEFAULT_TEMPLATE)
        grants = extract(Evaluation(template, resolve_parameters(template, {"EnableEnhancedSecurity": enhanced})))
        assert [(str(g.source), g.resource_mismatches) for g in grants if g.resource_mismatches] == []


def test_the_subscription_actions_still_have_a_grant_in_enhanced_mode():
    grants = [g for g in enhanced_grants() if g.principal == "RegistryRole"]
    for action in ("sns:Unsubscribe", "sns:GetSubscriptionAttributes"):
        assert any(action in g.actions and g.resources == ("*",) for g in grants), action


def test_a_topic_arn_for_unsubscribe_is_flagged(capsys, tmp_path):
    path = tmp_path / "t.yaml"
    path.write_text("""
Resources:
  R:
    Type: AWS::IAM::Role
    Properties:
      AssumeRolePolicyDocument:
        Statement: [{Effect: Allow, Principal: {Service: lambda.amazonaws.com}, Action: sts:AssumeRole}]
      Policies:
        - PolicyName: p
          PolicyDocument:
            Statement:
              - {Effect: Allow, Action: [sns:Unsubscribe, sns:Publish], Resource: !Sub 'arn:${AWS::Partition}:sns:${AWS::Region}:${AWS::AccountId}:t'}
""")
    assert main(["grants", "--template", str(path), "--json"]) == 0
    [grant] = [g for g in json.loads(capsys.readouterr().out)["grants"] if g["kind"] == "identity"]
    assert grant["resource_mismatches"] == [{"action": "sns:Unsubscribe", "resource": "arn:aws:sns:us-east-1:123456789012:t"}]
    assert grant["unknown_actions"] == []
