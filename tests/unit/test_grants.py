"""Grant extraction: every source of IAM statements, on small templates."""

from __future__ import annotations

from wizard.cfn.evaluate import Evaluation
from wizard.iam.grants import IDENTITY, RESOURCE, TRUST, extract
from wizard.cfn.parameters import resolve_parameters
from wizard.cfn.template import parse_template

TEMPLATE = """
Parameters:
  Open: {Type: String, AllowedValues: ['yes', 'no'], Default: 'no'}
Conditions:
  IsOpen: !Equals [!Ref Open, 'yes']
Resources:
  Role:
    Type: AWS::IAM::Role
    Properties:
      AssumeRolePolicyDocument:
        Statement:
          - Effect: Allow
            Principal: {Service: [ecs-tasks.amazonaws.com, lambda.amazonaws.com]}
            Action: sts:AssumeRole
      Policies:
        - PolicyName: inline
          PolicyDocument:
            Statement:
              - Effect: Allow
                Action: [s3:GetObject, s3:PutObject]
                Resource: !Sub 'arn:${AWS::Partition}:s3:::${Bucket}/*'
              - !If
                - IsOpen
                - {Effect: Allow, Action: 'iam:Create*', Resource: '*'}
                - !Ref AWS::NoValue
      ManagedPolicyArns:
        - !Ref Placeholder
        - arn:aws:iam::aws:policy/ReadOnlyAccess
  Placeholder:
    Type: AWS::IAM::ManagedPolicy
    Properties:
      Path: /quilt/
      PolicyDocument:
        Statement:
          - {Effect: Allow, Action: 's3:*', NotResource: '*'}
  Attached:
    Type: AWS::IAM::ManagedPolicy
    Properties:
      Roles: [!Ref Role]
      Users: [!Ref User]
      PolicyDocument:
        Statement: {Effect: Allow, Action: sns:Publish, Resource: !Ref Topic}
  Inline:
    Type: AWS::IAM::Policy
    Properties:
      PolicyName: extra
      Groups: [!Ref Group]
      PolicyDocument:
        Statement: [{Effect: Deny, Action: 'ec2:*', Resource: '*', Condition: {Bool: {aws:SecureTransport: 'false'}}}]
  User: {Type: AWS::IAM::User}
  Group:
    Type: AWS::IAM::Group
    Properties:
      Policies:
        - PolicyName: g
          PolicyDocument: {Statement: [{Effect: Allow, Action: sqs:SendMessage, Resource: '*'}]}
  Bucket: {Type: AWS::S3::Bucket}
  BucketPolicy:
    Type: AWS::S3::BucketPolicy
    Properties:
      Bucket: !Ref Bucket
      PolicyDocument:
        Statement:
          - Effect: Deny
            Principal: '*'
            Action: 's3:*'
            Resource: [!GetAtt Bucket.Arn, !Sub '${Bucket.Arn}/*']
            Condition: {Bool: {aws:SecureTransport: 'false'}}
          - Effect: Allow
            Principal: {AWS: [!GetAtt Role.Arn, 'arn:aws:iam::111122223333:root']}
            Action: s3:GetObject
            Resource: !Sub '${Bucket.Arn}/*'
  Topic: {Type: AWS::SNS::Topic}
  TopicPolicy:
    Type: AWS::SNS::TopicPolicy
    Properties:
      Topics: [!Ref Topic]
      PolicyDocument:
        Statement: [{Effect: Allow, Principal: {Service: s3.amazonaws.com}, Action: sns:Publish, Resource: !Ref Topic}]
  Queue: {Type: AWS::SQS::Queue}
  QueuePolicy:
    Type: AWS::SQS::QueuePolicy
    Properties:
      Queues: [!Ref Queue]
      PolicyDocument:
        Statement: [{Effect: Allow, Principal: {Service: sns.amazonaws.com}, Action: sqs:SendMessage, Resource: !GetAtt Queue.Arn}]
  Key:
    Type: AWS::KMS::Key
    Properties:
      KeyPolicy:
        Statement:
          - {Effect: Allow, Principal: {AWS: !Sub 'arn:aws:iam::${AWS::AccountId}:root'}, Action: 'kms:*', Resource: '*'}
  Fn: {Type: AWS::Lambda::Function, Properties: {Code: {ZipFile: x}, Role: !GetAtt Role.Arn, Handler: i.h, Runtime: python3.12}}
  Invoke:
    Type: AWS::Lambda::Permission
    Properties:
      Action: lambda:InvokeFunction
      FunctionName: !Ref Fn
      Principal: events.amazonaws.com
      SourceArn: arn:aws:events:us-east-1:123456789012:rule/x
"""


def grants_for(**given):
    template = parse_template(TEMPLATE, "t.yaml")
    return extract(Evaluation(template, resolve_parameters(template, given)))


def find(grants, **fields):
    return [g for g in grants if all(getattr(g, k) == v for k, v in fields.items())]


def test_inline_role_policies_with_lines_and_levels():
    [grant] = find(grants_for(), principal="Role", kind=IDENTITY, actions=("s3:GetObject", "s3:PutObject"))
    assert grant.resources == ("arn:aws:s3:::${Bucket}/*",)
    assert grant.access_levels == ("Read", "Write")
    assert grant.source.resource == "Role" and grant.source.policy == "inline" and grant.source.statement == 0
    assert grant.source.line == 19


def test_fn_if_in_statement_lists():
    assert not find(grants_for(), principal="Role", actions=("iam:Create*",))
    [grant] = find(grants_for(Open="yes"), principal="Role", actions=("iam:Create*",))
    assert "Permissions management" in grant.access_levels


def test_trust_policy_one_grant_per_principal():
    trust = find(grants_for(), kind=TRUST, on=("Role",))
    assert {g.principal for g in trust} == {"Service:ecs-tasks.amazonaws.com", "Service:lambda.amazonaws.com"}


def test_stack_managed_policies_resolve_and_aws_managed_are_attachments():
    grants = grants_for()
    [placeholder] = find(grants, principal="Role", source=find(grants, principal="Role", actions=("s3:*",))[0].source)
    assert placeholder.grants_nothing and placeholder.not_resources == ("*",)
    [attachment] = find(grants, principal="Role", attachment="arn:aws:iam::aws:policy/ReadOnlyAccess")
    assert attachment.kind == IDENTITY


def test_managed_policy_and_policy_attach_to_the_holders_they_name():
    grants = grants_for()
    assert {g.principal for g in find(grants, actions=("sns:Publish",), kind=IDENTITY)} == {"Role", "User"}
    [deny] = find(grants, principal="Group", effect="Deny")
    assert deny.condition == {"Bool": {"aws:SecureTransport": "false"}}
    assert find(grants, principal="Group", actions=("sqs:SendMessage",))


def test_resource_policies_one_grant_per_principal():
    grants = grants_for()
    bucket = find(grants, kind=RESOURCE, on=("${Bucket}",))
    assert {(g.principal, g.effect) for g in bucket} == {
        ("*", "Deny"), ("AWS:${Role.Arn}", "Allow"), ("AWS:arn:aws:iam::111122223333:root", "Allow")}
    assert find(grants, kind=RESOURCE, on=("${Topic}",), principal="Service:s3.amazonaws.com")
    assert find(grants, kind=RESOURCE, on=("${Queue}",), principal="Service:sns.amazonaws.com")
    assert find(grants, kind=RESOURCE, on=("${Key}",), actions=("kms:*",))


def test_lambda_permission_becomes_a_resource_grant_with_its_conditions():
    [grant] = find(grants_for(), kind=RESOURCE, on=("${Fn}",))
    assert grant.principal == "Service:events.amazonaws.com"
    assert grant.actions == ("lambda:InvokeFunction",)
    assert grant.condition == {"ArnLike": {"AWS:SourceArn": "arn:aws:events:us-east-1:123456789012:rule/x"}}


def test_unknown_actions_are_reported_not_guessed():
    template = parse_template("""
Resources:
  R:
    Type: AWS::IAM::Role
    Properties:
      AssumeRolePolicyDocument: {Statement: []}
      Policies: [{PolicyName: p, PolicyDocument: {Statement: [{Effect: Allow, Action: [s3:GetObject, s3:NoSuchThing], Resource: '*'}]}}]
""")
    [grant] = extract(Evaluation(template, resolve_parameters(template, {})))
    assert grant.unknown_actions == ("s3:NoSuchThing",)
    assert grant.access_levels == ("Read",)


def test_json_output_has_the_documented_fields():
    grant = grants_for()[0].to_json()
    assert set(grant) >= {"principal", "kind", "source", "effect", "actions", "not_actions", "resources",
                          "not_resources", "condition", "access_levels", "grants_nothing"}
    assert set(grant["source"]) == {"resource", "policy", "statement", "line"}




def test_real_registry_role_creates_policies_only_under_the_stack_path(real_evaluation):
    grants = extract(real_evaluation())
    creators = [g for g in grants if "iam:CreatePolicy" in g.actions]
    assert [g.principal for g in creators] == ["AmazonECSTaskExecutionRole"]
    assert creators[0].resources == ("arn:aws:iam::123456789012:policy/quilt/quilt/us-east-1/Quilt-*",)


def test_real_bucket_placeholders_grant_nothing(real_evaluation):
    grants = extract(real_evaluation())
    for policy in ("BucketReadPolicy", "BucketWritePolicy", "RegistryAssumeRolePolicy"):
        found = [g for g in grants if g.source.resource == policy]
        assert found and all(g.grants_nothing for g in found), policy
