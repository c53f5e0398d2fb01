"""Who outside the account the roles trust is read from the template's body in place: nothing is
copied whole, nothing is changed, and a role holding a policy whose single Statement is a mapping
(not a list) is still found to hold a policy rewritten at run time."""

from __future__ import annotations

import copy
import json

import pytest

from tests.unit.overlay.conftest import _vendor
from wizard.cfn.template import parse_template
from wizard.overlay.outsiders import external_trust

SINGLE = """
Resources:
  Registry:
    Type: AWS::IAM::Role
    Properties:
      AssumeRolePolicyDocument:
        Statement:
          - {Effect: Allow, Principal: {AWS: 'arn:aws:iam::712023778557:user/support'}, Action: sts:AssumeRole}
      ManagedPolicyArns: [!Ref BucketPolicy]
      Policies:
        - PolicyName: rewrite
          PolicyDocument:
            Statement: {Effect: Allow, Action: iam:CreatePolicyVersion, Resource: !Ref BucketPolicy}
  Reader:
    Type: AWS::IAM::Role
    Properties:
      AssumeRolePolicyDocument:
        Statement:
          - {Effect: Allow, Principal: {AWS: 'arn:aws:iam::712023778557:user/reader'}, Action: sts:AssumeRole}
  BucketPolicy:
    Type: AWS::IAM::ManagedPolicy
    Properties:
      PolicyDocument:
        Statement: {Effect: Allow, Action: s3:GetObject, Resource: 'arn:aws:s3:::data/*'}
"""


def _no_deep_copy(monkeypatch):
    def refuse(*_args, **_kwargs):
        raise AssertionError("the template's body is copied whole")

    monkeypatch.setattr(copy, "deepcopy", refuse)


def test_a_single_statement_mapping_is_read_in_place_and_left_as_written(monkeypatch):
    body = parse_template(SINGLE).body
    written = json.dumps(body, sort_keys=True)
    _no_deep_copy(monkeypatch)
    trust = external_trust(body)
    assert trust.roles == ("Registry", "Reader")
    assert [o.name for o in trust.outsiders] == ["support", "reader"]
    assert trust.run_time_holders == ("Registry",), "the rewritten policy's holder, its Statement a mapping"
    assert json.dumps(body, sort_keys=True) == written
    assert isinstance(body["Resources"]["BucketPolicy"]["Properties"]["PolicyDocument"]["Statement"], dict)


@pytest.mark.parametrize("name", ["stable.yaml", "stable-app.yaml"])
def test_the_vendor_template_is_read_in_place_with_the_same_answer(monkeypatch, name):
    body = _vendor(name).body
    written = json.dumps(body, sort_keys=True)
    _no_deep_copy(monkeypatch)
    trust = external_trust(body)
    assert len(trust.outsiders) == 5 and trust.accounts == ("712023778557",)
    assert trust.roles == trust.run_time_holders == (
        "AmazonECSTaskExecutionRole", "T4BucketReadRole", "T4BucketWriteRole", "ManagedUserRole")
    assert json.dumps(body, sort_keys=True) == written
