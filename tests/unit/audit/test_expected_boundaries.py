"""The audit compares a role's permissions boundary and the boundary's policy, never the
boundary's statements as a policy of its own or as something it cannot compare."""

from __future__ import annotations

from wizard.audit.expected import expected_of
from wizard.audit.holdings import DeployedStack, Holdings, StackResource, path_prefix

ACCOUNT = "123456789012"
TEMPLATE = """
Resources:
  Role:
    Type: AWS::IAM::Role
    Properties:
      AssumeRolePolicyDocument:
        Statement:
          - {Effect: Allow, Principal: {Service: lambda.amazonaws.com}, Action: sts:AssumeRole}
      PermissionsBoundary: !Ref Boundary
      Policies:
        - PolicyName: app
          PolicyDocument:
            Statement:
              - {Effect: Allow, Action: 's3:GetObject', Resource: 'arn:aws:s3:::acme-data/*'}
  Boundary:
    Type: AWS::IAM::ManagedPolicy
    Properties:
      Path: /quilt-boundary/quilt/us-east-1/
      PolicyDocument:
        Statement:
          - {Effect: Allow, Action: 's3:GetObject', Resource: 'arn:aws:s3:::acme-*/*'}
"""


def test_a_boundary_is_compared_as_the_roles_boundary_and_as_a_managed_policy():
    boundary_arn = f"arn:aws:iam::{ACCOUNT}:policy/quilt-boundary/quilt/us-east-1/quilt-Boundary-ABC"
    stack = DeployedStack(name="quilt", stack_id=f"arn:aws:cloudformation:us-east-1:{ACCOUNT}:stack/quilt/0",
                          region="us-east-1", account_id=ACCOUNT, status="CREATE_COMPLETE", template_body=TEMPLATE,
                          parameters={}, resources=(StackResource("Boundary", "AWS::IAM::ManagedPolicy", boundary_arn),
                                                    StackResource("Role", "AWS::IAM::Role", "quilt-Role-ABC")))
    expected = expected_of(Holdings(stack=stack, path_prefix=path_prefix("quilt", "us-east-1")))
    assert expected.not_compared == []
    assert expected.boundaries["Role"] == boundary_arn
    assert expected.managed["Boundary"].name == boundary_arn
    assert expected.attachments["Role"] == set(), "a boundary is not an attachment"
