"""A policy value IAM cannot read is named, never dropped in silence.

A template that loses an intrinsic (``Fn::Sub`` or ``Fn::Join`` turned into a bare list and a
mapping, as the vendor's split application template has it) leaves a list or a mapping where
IAM expects a string. The grants keep what can be read of the statement, and the review lists
the value under ``not_analysed`` (QW-IAM-111), with the field and the statement's line.
"""

from __future__ import annotations

from wizard.cfn.evaluate import Evaluation
from wizard.cfn.parameters import resolve_parameters
from wizard.cfn.template import parse_template
from wizard.findings import evaluate_findings
from wizard.iam.grants import extract, not_analysed

TEMPLATE = """\
Parameters:
  DomainArn: {Type: String, Default: 'arn:aws:es:us-east-1:111122223333:domain/search'}
Resources:
  Base:
    Type: AWS::IAM::ManagedPolicy
    Properties:
      PolicyDocument:
        Statement: [{Effect: Allow, Action: s3:ListBucket, Resource: 'arn:aws:s3:::acme'}]
  Reader:
    Type: AWS::IAM::Role
    Properties:
      AssumeRolePolicyDocument:
        Statement: [{Effect: Allow, Principal: {Service: lambda.amazonaws.com}, Action: sts:AssumeRole}]
      ManagedPolicyArns:
%(arns)s
      Policies:
        - PolicyName: search
          PolicyDocument:
            Statement:
              - Effect: Allow
                Action: [es:ESHttpGet]
                Resource:
%(resource)s
"""
LOST = """\
                  - ${Arn}/*
                  - Arn: !Ref DomainArn
"""
KEPT = """\
                  - !Sub '${DomainArn}/*'
"""
ARNS_LOST = """\
        - ','
        - - !Ref Base
"""
ARNS_KEPT = """\
        - !Ref Base
"""


def _evaluation(resource: str = LOST, arns: str = ARNS_KEPT) -> Evaluation:
    template = parse_template(TEMPLATE % {"resource": resource, "arns": arns}, "nested.yaml")
    return Evaluation(template, resolve_parameters(template, {}))


def test_a_mapping_left_in_a_resource_list_is_named_with_its_field_and_line():
    [item] = not_analysed(_evaluation())
    assert (item.resource, item.property) == ("Reader", "Policies/0/PolicyDocument/Statement/0/Resource")
    statement_line = (TEMPLATE % {"resource": LOST, "arns": ARNS_KEPT}).splitlines().index(
        "              - Effect: Allow") + 1
    assert item.line == statement_line and "IAM expects a string" in item.reason
    # What can be read of the statement stays in the grants.
    [search] = [g for g in extract(_evaluation()) if g.actions == ("es:ESHttpGet",)]
    assert search.resources == ("${Arn}/*",)
    assert "QW-IAM-111" in {f.rule_id for f in evaluate_findings(_evaluation())}


def test_a_list_left_in_the_managed_policy_arns_is_named():
    [item] = not_analysed(_evaluation(KEPT, ARNS_LOST))
    assert (item.resource, item.property) == ("Reader", "ManagedPolicyArns") and "policy ARN" in item.reason
    # The attachment it hides is missing from the grants, which is why it is named.
    def listing(evaluation):
        return [g for g in extract(evaluation) if g.principal == "Reader" and g.actions == ("s3:ListBucket",)]

    assert not listing(_evaluation(KEPT, ARNS_LOST)) and listing(_evaluation(KEPT, ARNS_KEPT))


def test_the_well_formed_template_has_nothing_unread():
    evaluation = _evaluation(KEPT, ARNS_KEPT)
    assert not_analysed(evaluation) == []
    assert [g.resources for g in extract(evaluation) if g.actions == ("es:ESHttpGet",)] == [
        ("arn:aws:es:us-east-1:111122223333:domain/search/*",)]
