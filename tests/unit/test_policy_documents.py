"""Every policy document of a template, whole, with deployment-time values as placeholders of their form."""

from __future__ import annotations

import json

from tests.conftest import REAL_REQUIRED
from wizard.cfn.evaluate import Evaluation
from wizard.cfn.parameters import resolve_parameters
from wizard.cfn.pseudo import Pseudo
from wizard.cfn.template import parse_template
from wizard.iam.grants import extract
from wizard.iam.policy_documents import document_text, policy_documents, settings

TEMPLATE = """\
Resources:
  Reader:
    Type: AWS::IAM::Role
    Properties:
      AssumeRolePolicyDocument: {Statement: [{Effect: Allow, Principal: {Service: ec2.amazonaws.com}, Action: sts:AssumeRole}]}
  Bucket: {Type: AWS::S3::Bucket}
  Topic: {Type: AWS::SNS::Topic}
  Queue: {Type: AWS::SQS::Queue}
  Widget: {Type: AWS::Acme::Widget}
  Role:
    Type: AWS::IAM::Role
    Properties:
      AssumeRolePolicyDocument:
        Statement:
          Effect: Allow
          Principal: {AWS: !Ref Reader}
          Action: sts:AssumeRole
      Policies:
        - PolicyName: use
          PolicyDocument:
            Statement:
              - Effect: Allow
                Action: [s3:GetObject, sns:Publish, sqs:SendMessage, acme:Poke]
                Resource:
                  - !Sub '${Bucket.Arn}/*'
                  - !Ref Topic
                  - !GetAtt Queue.Arn
                  - !GetAtt Widget.Arn
  QueuePolicy:
    Type: AWS::SQS::QueuePolicy
    Properties:
      Queues: [!Ref Queue]
      PolicyDocument: !Sub '{"Statement": [{"Effect": "Allow", "Principal": {"Service": "sns.amazonaws.com"},
        "Action": "sqs:SendMessage", "Resource": "${Queue.Arn}"}]}'
  Key:
    Type: AWS::KMS::Key
    Properties:
      KeyPolicy:
        Statement:
          - Effect: Allow
            Principal: {AWS: !Sub 'arn:${AWS::Partition}:iam::${AWS::AccountId}:root'}
            Action: kms:*
            Resource: '*'
"""
PSEUDO = Pseudo(stack_name="acme", region="eu-west-1", account_id="111122223333")


def documents():
    template = parse_template(TEMPLATE, "t.yaml")
    evaluation = Evaluation(template, resolve_parameters(template, {}), PSEUDO)
    return evaluation, {d.key: d for d in policy_documents(evaluation)}


def test_each_document_has_its_kind_policy_type_and_resource_type():
    _, found = documents()
    assert set(found) == {("Reader", "trust", "AssumeRolePolicyDocument"), ("Role", "identity", "use"), ("Role", "trust", "AssumeRolePolicyDocument"),
                          ("QueuePolicy", "resource", "PolicyDocument"), ("Key", "resource", "KeyPolicy")}
    trust = found[("Role", "trust", "AssumeRolePolicyDocument")]
    assert (trust.policy_type, trust.validate_resource_type()) == ("RESOURCE_POLICY", "AWS::IAM::AssumeRolePolicyDocument")
    identity = found[("Role", "identity", "use")]
    assert (identity.policy_type, identity.validate_resource_type()) == ("IDENTITY_POLICY", None)
    # A queue's or a key's policy: AWS takes no resource type for them, only the checks of every resource policy.
    assert found[("QueuePolicy", "resource", "PolicyDocument")].validate_resource_type() is None
    assert TEMPLATE.splitlines()[identity.line - 1].strip() == "PolicyDocument:"


def test_deployment_time_values_become_values_of_their_form_in_the_stack_account_and_region():
    evaluation, found = documents()
    use = json.loads(document_text(found[("Role", "identity", "use")], evaluation))
    assert use["Statement"][0]["Resource"] == [
        "arn:aws:s3:::acme-bucket/*",
        "arn:aws:sns:eu-west-1:111122223333:acme-topic",
        "arn:aws:sqs:eu-west-1:111122223333:acme-queue",
        "arn:aws:acme:eu-west-1:111122223333:widget/acme-widget",  # a type the data does not list
    ]
    queue = json.loads(document_text(found[("QueuePolicy", "resource", "PolicyDocument")], evaluation))
    assert queue["Statement"][0]["Resource"] == "arn:aws:sqs:eu-west-1:111122223333:acme-queue"
    key = json.loads(document_text(found[("Key", "resource", "KeyPolicy")], evaluation))
    assert key["Statement"][0]["Principal"]["AWS"] == "arn:aws:iam::111122223333:root"


def test_a_name_where_a_principal_is_expected_becomes_a_role_arn():
    evaluation, found = documents()
    trust = json.loads(document_text(found[("Role", "trust", "AssumeRolePolicyDocument")], evaluation))
    # `!Ref Reader` is the role's name; a principal is its ARN.
    assert trust["Statement"]["Principal"]["AWS"] == "arn:aws:iam::111122223333:role/acme-reader"


def test_the_critical_access_list_is_data_with_the_actions_the_issue_names():
    entries = {e.id: e for e in settings().critical_access}
    actions = {a for e in entries.values() for a in e.actions}
    assert {"kms:ScheduleKeyDeletion", "cloudtrail:StopLogging", "sts:AssumeRole", "iam:CreatePolicyVersion"} <= actions
    assert entries["assume-any-role"].resources == ("arn:{partition}:iam::*:role/*",)
    assert all(len(e.actions) <= 100 for e in entries.values())


def test_every_policy_of_the_vendor_template_is_sent_and_readable(real_template_path):
    template = parse_template(real_template_path.read_text(), str(real_template_path))
    evaluation = Evaluation(template, resolve_parameters(template, REAL_REQUIRED), PSEUDO)
    found = policy_documents(evaluation)
    # Every resource whose statements the grants read holds a document sent, but the Lambda
    # permissions, which are properties rather than a document.
    holders = {g.source.resource for g in extract(evaluation) if g.kind != "boundary" and not g.attachment}
    permissions = {i for i, r in template.resources.items() if r.get("Type") == "AWS::Lambda::Permission"}
    assert holders - permissions <= {d.resource for d in found}
    for document in found:
        text = document_text(document, evaluation)
        assert "${" not in text, document.key
        json.loads(text)
