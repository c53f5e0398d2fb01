"""Effective access: Allows minus Denies within a boundary, and the accesses one side loses."""

from __future__ import annotations

from wizard.cfn.evaluate import Evaluation
from wizard.cfn.parameters import resolve_parameters
from wizard.cfn.template import parse_template
from wizard.iam.effective import effective, lost_access, resource_types_of
from wizard.iam.grants import extract

ROLE = """
Resources:
  Bucket: {{Type: AWS::S3::Bucket}}
  Role:
    Type: AWS::IAM::Role
    Properties:
      AssumeRolePolicyDocument:
        Statement:
{trust}
      Policies:
        - PolicyName: p
          PolicyDocument:
            Statement:
{statements}
{boundary}
"""
TRUST = "          - {Effect: Allow, Principal: {Service: lambda.amazonaws.com}, Action: sts:AssumeRole}"
BOUNDARY = """      PermissionsBoundary: !Ref Cap
  Cap:
    Type: AWS::IAM::ManagedPolicy
    Properties:
      PolicyDocument:
        Statement:
{cap}
"""


def grants(statements: str, trust: str = TRUST, cap: str = ""):
    text = ROLE.format(statements=statements, trust=trust, boundary=BOUNDARY.format(cap=cap) if cap else "")
    template = parse_template(text)
    return extract(Evaluation(template, resolve_parameters(template, {}))), resource_types_of(template.resources)


def lost(before: str, after: str, **kw):
    old, types = grants(before, **kw.get("a", {}))
    new, _ = grants(after, **kw.get("b", {}))
    return {(a.holder, a.action, a.resource) for a in lost_access(old, new, types)}


S3_ALL = "              - {Effect: Allow, Action: 's3:*', Resource: '*'}"
GET_STAR = "              - {Effect: Allow, Action: 's3:GetObject', Resource: '*'}"
GET_ACME = "              - {Effect: Allow, Action: 's3:GetObject', Resource: 'arn:aws:s3:::acme-*'}"
DENY_POLICY = "              - {Effect: Deny, Action: 's3:PutBucketPolicy', Resource: '*'}"


def test_nothing_changed_loses_nothing():
    assert lost(S3_ALL, S3_ALL) == set()


def test_a_deny_on_part_of_a_wildcard_loses_only_the_actions_it_names():
    found = lost(S3_ALL, S3_ALL + "\n" + DENY_POLICY)
    assert found == {("Role", "s3:PutBucketPolicy", "*")}


def test_narrowing_a_resource_loses_the_wide_access():
    assert lost(GET_STAR, GET_ACME) == {("Role", "s3:GetObject", "*")}
    assert lost(GET_ACME, GET_STAR) == set(), "widening loses nothing"


def test_a_stricter_condition_is_a_lost_access_and_a_looser_one_is_not():
    conditioned = GET_STAR[:-1] + ", Condition: {StringEquals: {aws:SourceVpc: vpc-1}}}"
    assert lost(GET_STAR, conditioned) == {("Role", "s3:GetObject", "*")}
    assert lost(conditioned, GET_STAR) == set()


def test_source_account_on_a_service_trust_is_met_by_the_stack_itself():
    bound = TRUST[:-1] + ", Condition: {StringEquals: {aws:SourceAccount: '123456789012'}}}"
    assert lost(GET_STAR, GET_STAR, b={"trust": bound}) == set()


def test_removing_a_trusted_principal_loses_its_assume_role():
    outsider = TRUST + "\n          - {Effect: Allow, Principal: {AWS: 'arn:aws:iam::999999999999:user/vendor'}, Action: sts:AssumeRole}"
    found = lost(GET_STAR, GET_STAR, a={"trust": outsider})
    assert found == {("arn:aws:iam::999999999999:user/vendor", "sts:AssumeRole", "Role")}


def test_a_boundary_caps_what_takes_effect():
    cap = "          - {Effect: Allow, Action: 's3:GetObject', Resource: '*'}"
    put = "              - {Effect: Allow, Action: ['s3:GetObject', 's3:PutObject'], Resource: '*'}"
    assert lost(put, put, b={"cap": cap}) == {("Role", "s3:PutObject", "*")}


def test_effective_access_is_allows_minus_denies():
    found, _ = grants(GET_STAR + "\n" + "              - {Effect: Allow, Action: 's3:PutObject', Resource: '*'}"
                      + "\n" + "              - {Effect: Deny, Action: 's3:PutObject', Resource: '*'}")
    role = {(a.action, a.resource) for a in effective(found)["Role"]}
    assert ("s3:GetObject", "*") in role and ("s3:PutObject", "*") not in role


def test_an_action_on_a_resource_it_cannot_act_on_is_no_access():
    mixed = "              - {Effect: Allow, Action: ['s3:GetObject', 'glue:GetTable'], Resource: [!GetAtt Bucket.Arn, 'arn:aws:glue:us-east-1:123456789012:catalog']}"
    found, types = grants(mixed)
    pairs = {(a.action, a.resource) for a in effective(found, types)["Role"]}
    assert ("glue:GetTable", "${Bucket.Arn}") not in pairs
    assert ("s3:GetObject", "arn:aws:glue:us-east-1:123456789012:catalog") not in pairs
    assert ("s3:GetObject", "${Bucket.Arn}") in pairs
