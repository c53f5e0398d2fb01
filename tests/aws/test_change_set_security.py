"""The change-set table's security columns: grants and rules each resource adds and removes,
the verdict, the replacement risk, and the capabilities with the resources that need them.

The verdicts are read from the grants and rules our diff attributes to each resource, never
from the rendered text alone; the deployed side is read back from moto's CloudFormation.
"""

from __future__ import annotations

import json
import re

import pytest
from botocore.stub import ANY, Stubber

from tests.moto import REGION, TOPIC_TEMPLATE, free_port
from wizard.aws import AwsSession, Backoff, ResourceChange, create_change_set, read_stack, render_change_set
from wizard.aws.changeset import ChangeSetResult
from wizard.aws.security import (deployed_template, evaluate_deployed, replacement_risk,
                                 required_capabilities, review_changes)
from wizard.cfn.evaluate import Evaluation
from wizard.cfn.parameters import resolve_parameters
from wizard.cfn.pseudo import Pseudo
from wizard.cfn.template import parse_template

FAST = Backoff(first=0.01, factor=1.0, longest=0.01, timeout=60)
PSEUDO = Pseudo(stack_name="quilt", region=REGION, account_id="123456789012")

BEFORE = """\
Parameters:
  Scope: {Type: String, Default: 'arn:aws:s3:::acme-data/*'}
  Secret: {Type: String, NoEcho: true, Default: ''}
Resources:
  Reader:
    Type: AWS::IAM::Role
    Properties:
      AssumeRolePolicyDocument:
        Statement: [{Effect: Allow, Principal: {Service: ecs-tasks.amazonaws.com}, Action: sts:AssumeRole}]
      Policies:
        - PolicyName: read
          PolicyDocument:
            Statement: [{Effect: Allow, Action: s3:GetObject, Resource: !Ref Scope}]
  Old:
    Type: AWS::IAM::Role
    Properties:
      AssumeRolePolicyDocument:
        Statement: [{Effect: Allow, Principal: {Service: lambda.amazonaws.com}, Action: sts:AssumeRole}]
  Group:
    Type: AWS::EC2::SecurityGroup
    Properties: {GroupDescription: tasks, VpcId: vpc-1}
  Topic:
    Type: AWS::SNS::Topic
"""

AFTER = """\
Parameters:
  Scope: {Type: String, Default: 'arn:aws:s3:::acme-data/*'}
  Secret: {Type: String, NoEcho: true, Default: ''}
Resources:
  Reader:
    Type: AWS::IAM::Role
    Properties:
      RoleName: quilt-reader
      AssumeRolePolicyDocument:
        Statement: [{Effect: Allow, Principal: {Service: ecs-tasks.amazonaws.com}, Action: sts:AssumeRole}]
      Policies:
        - PolicyName: read
          PolicyDocument:
            Statement: [{Effect: Allow, Action: ['s3:GetObject', 's3:PutObject'], Resource: !Ref Scope}]
  Group:
    Type: AWS::EC2::SecurityGroup
    Properties: {GroupDescription: tasks, VpcId: vpc-1}
  OpenHttp:
    Type: AWS::EC2::SecurityGroupIngress
    Properties: {GroupId: !Ref Group, IpProtocol: tcp, FromPort: 80, ToPort: 80, CidrIp: 0.0.0.0/0}
  Topic:
    Type: AWS::SNS::Topic
"""

CHANGES = (
    ResourceChange("Modify", "Reader", "AWS::IAM::Role", "quilt-Reader-1", "True", ("Properties",)),
    ResourceChange("Remove", "Old", "AWS::IAM::Role", "quilt-Old-1"),
    ResourceChange("Add", "OpenHttp", "AWS::EC2::SecurityGroupIngress"),
    ResourceChange("Modify", "Topic", "AWS::SNS::Topic", "arn:t", "False", ("Tags",)),
)


def _evaluation(text: str, values: dict[str, str] | None = None) -> Evaluation:
    template = parse_template(text, "t.yaml")
    return Evaluation(template, resolve_parameters(template, values or {}), PSEUDO)


def _review():
    return review_changes(CHANGES, _evaluation(BEFORE), _evaluation(AFTER), baseline="the deployed stack quilt")


def test_each_resource_gets_the_grants_and_rules_it_adds_and_removes() -> None:
    security = _review()
    reader = security.resources["Reader"]
    added = [(c.grant.principal, c.grant.actions) for c in reader.added]
    removed = [(c.grant.principal, c.grant.actions) for c in reader.removed]
    assert added == [("Reader", ("s3:GetObject", "s3:PutObject"))]
    assert removed == [("Reader", ("s3:GetObject",))]
    assert reader.broadening and "s3:PutObject" in reader.added[0].reason

    old = security.resources["Old"]
    assert [c.grant.principal for c in old.removed] == ["Service:lambda.amazonaws.com"]
    assert not old.added and not old.broadening  # a removed Allow narrows

    ingress = security.resources["OpenHttp"]  # attributed to its own row, not to the group
    [opening] = ingress.added
    assert (opening.rule.peer, opening.rule.from_port, opening.broadening) == ("0.0.0.0/0", 80, True)
    assert "Topic" not in security.resources  # neither IAM nor network, and no change of ours
    assert security.broadening


def test_the_replacement_risk_of_a_named_role() -> None:
    reader = _review().resources["Reader"]
    assert "new ARN" in reader.replacement_risk and "named one cannot be replaced" in reader.replacement_risk
    group = replacement_risk(ResourceChange("Modify", "Group", "AWS::EC2::SecurityGroup", "sg-1", "Conditional"))
    assert group.startswith("may be replaced") and "group id" in group
    assert replacement_risk(ResourceChange("Modify", "Topic", "AWS::SNS::Topic", "t", "False")) is None
    assert replacement_risk(ResourceChange("Add", "Topic", "AWS::SNS::Topic")) is None


def test_capabilities_are_named_with_the_resources_that_need_them() -> None:
    assert required_capabilities(_evaluation(TOPIC_TEMPLATE, {"TopicName": "t"})) == ()
    [iam] = required_capabilities(_evaluation(BEFORE))
    assert iam.name == "CAPABILITY_IAM" and [i for i, _ in iam.resources] == ["Reader", "Old"]
    iam, named = required_capabilities(_evaluation(AFTER))
    assert named.name == "CAPABILITY_NAMED_IAM" and named.resources == (("Reader", "AWS::IAM::Role"),)
    assert _review().capability_names == ("CAPABILITY_IAM", "CAPABILITY_NAMED_IAM")


def test_the_table_has_a_security_column_and_the_changes_under_each_row() -> None:
    result = ChangeSetResult(stack_name="quilt", change_set_name="cs", change_set_type="UPDATE",
                             parameter_keys=(), changes=CHANGES, status="CREATE_COMPLETE")
    text = render_change_set(result, _review())
    assert re.search(r"Action\s+Logical id\s+Type\s+Replacement\s+Security", text)
    assert re.search(r"Modify\s+Reader\s+AWS::IAM::Role\s+True\s+\+1 -1 grants; BROADENING", text)
    assert re.search(r"Add\s+OpenHttp\s+AWS::EC2::SecurityGroupIngress\s+-\s+\+1 -0 rules; BROADENING", text)
    assert re.search(r"Modify\s+Topic\s+AWS::SNS::Topic\s+False\s+-$", text, re.MULTILINE)
    assert "+ Reader Allow s3:GetObject, s3:PutObject on arn:aws:s3:::acme-data/* [R W]  [broadening: " in text
    assert "- Service:lambda.amazonaws.com may sts:AssumeRole" in text
    assert "! replacement: a new role with a new ARN" in text
    assert "CAPABILITY_NAMED_IAM: the template names IAM resources (Reader)" in text
    assert "Security change against the deployed stack quilt." in text
    assert "Security" not in render_change_set(result).splitlines()[1]  # without a review, the old table


def test_the_deployed_side_is_read_back_from_cloudformation(session: AwsSession) -> None:
    session.client("cloudformation").create_stack(
        StackName="quilt", TemplateBody=BEFORE, Capabilities=["CAPABILITY_IAM"],
        Parameters=[{"ParameterKey": "Scope", "ParameterValue": "arn:aws:s3:::acme-old/*"},
                    {"ParameterKey": "Secret", "ParameterValue": "hunter2"}])
    stack = read_stack(session, "quilt")
    new = parse_template(AFTER, "after.yaml")
    values = {"Scope": "arn:aws:s3:::acme-old/*", "Secret": "typed-again"}
    before, label = evaluate_deployed(deployed_template(session, "quilt"), stack, new, values, PSEUDO)
    assert "its template and parameters" in label
    assert before.template.resources.keys() >= {"Old"}  # the deployed template, not the new one
    assert before.parameters.raw["Scope"] == "arn:aws:s3:::acme-old/*"
    after = Evaluation(new, resolve_parameters(new, values), PSEUDO)
    reader = review_changes(CHANGES, before, after).resources["Reader"]
    assert [c.grant.resources for c in reader.added] == [("arn:aws:s3:::acme-old/*",)]


def test_an_unreadable_deployed_template_falls_back_to_the_deployed_parameters() -> None:
    from wizard.aws.changeset import StackState

    stack = StackState("quilt", "id", "UPDATE_COMPLETE", None,
                       {"Scope": "arn:aws:s3:::acme-old/*", "Secret": "****"})
    new = parse_template(AFTER, "after.yaml")
    before, label = evaluate_deployed("{not: [valid", stack, new, {"Secret": "s"}, PSEUDO)
    assert "could not be read" in label
    assert before.parameters.raw["Scope"] == "arn:aws:s3:::acme-old/*"
    assert before.parameters.raw["Secret"] == "s"  # NoEcho: the new value, so no false change


@pytest.fixture
def stubbed(boto_session: object) -> tuple[AwsSession, Stubber]:
    session = AwsSession(boto_session, region=REGION, endpoint_url=f"http://127.0.0.1:{free_port()}",
                         max_attempts=1)
    stub = Stubber(session.client("cloudformation"))
    stub.activate()
    return session, stub


def test_only_the_capabilities_found_are_acknowledged(stubbed: tuple[AwsSession, Stubber]) -> None:
    session, stub = stubbed
    stub.add_client_error("describe_stacks", "ValidationError", "Stack with id quilt does not exist")
    stub.add_response("create_change_set", {"Id": "arn:cs", "StackId": "arn:st"}, {
        "StackName": "quilt", "ChangeSetName": "cs", "ChangeSetType": "CREATE", "TemplateBody": ANY,
        "Parameters": ANY, "Capabilities": ["CAPABILITY_IAM"], "Description": ANY, "ClientToken": ANY})
    stub.add_response("describe_change_set", {"Status": "CREATE_COMPLETE", "ExecutionStatus": "AVAILABLE",
                                              "Changes": []}, {"ChangeSetName": "arn:cs", "StackName": "quilt"})
    result = create_change_set(session, stack_name="quilt", template_body=BEFORE, parameters={},
                               change_set_name="cs", backoff=FAST, capabilities=("CAPABILITY_IAM",))
    stub.assert_no_pending_responses()
    assert result.capabilities == ("CAPABILITY_IAM",)
    assert result.to_json()["capabilities"] == ["CAPABILITY_IAM"]


def test_an_update_is_reviewed_against_the_deployed_stack(session: AwsSession) -> None:
    from wizard.aws.security import planned_evaluation, review_change_set

    session.client("cloudformation").create_stack(
        StackName="quilt", TemplateBody=BEFORE, Capabilities=["CAPABILITY_IAM"],
        Parameters=[{"ParameterKey": "Scope", "ParameterValue": "arn:aws:s3:::acme-data/*"}])
    values = {"Scope": "arn:aws:s3:::acme-data/*", "Secret": ""}
    after = planned_evaluation(parse_template(AFTER, "after.yaml"), values, "quilt", REGION, "123456789012")
    result = create_change_set(session, stack_name="quilt", template_body=AFTER, parameters=values,
                               backoff=FAST, capabilities=("CAPABILITY_IAM", "CAPABILITY_NAMED_IAM"))
    assert result.change_set_type == "UPDATE"
    progress: list[str] = []
    security = review_change_set(session, result, after, on_progress=progress.append)
    assert security.baseline == "the deployed stack quilt (its template and parameters)"
    assert any("deployed template" in line for line in progress)
    assert {(c.action, c.logical_id) for c in result.changes} >= {
        ("Add", "OpenHttp"), ("Modify", "Reader"), ("Remove", "Old")}
    assert security.resources["OpenHttp"].broadening
    assert [c.grant.actions for c in security.resources["Reader"].added] == [("s3:GetObject", "s3:PutObject")]
    assert [c.grant.principal for c in security.resources["Old"].removed] == ["Service:lambda.amazonaws.com"]


TRAIL = """\
Parameters:
  KeyArn: {Type: String, Default: ''}
Conditions:
  Encrypted: !Not [!Equals [!Ref KeyArn, '']]
Resources:
  Trail:
    Type: AWS::CloudTrail::Trail
    Properties:
      IsLogging: true
      S3BucketName: acme-trail
      KMSKeyId: !If [Encrypted, !Ref KeyArn, !Ref 'AWS::NoValue']
"""


def test_a_weakened_resource_says_so() -> None:
    key = "arn:aws:kms:us-east-1:123456789012:key/1"
    change = ResourceChange("Modify", "Trail", "AWS::CloudTrail::Trail", "trail", "False", ("Properties",))
    security = review_changes((change,), _evaluation(TRAIL, {"KeyArn": key}), _evaluation(TRAIL))
    trail = security.resources["Trail"]
    assert trail.weakening and not trail.broadening and security.weakening
    assert "WEAKENING" in trail.summary()
    assert any(line.startswith("! weakening: ") and "KMS" in line for line in trail.details())


NEW_GROUPS = """\
Resources:
  Tasks:
    Type: AWS::EC2::SecurityGroup
    Properties: {GroupDescription: tasks, VpcId: vpc-1}
  Database:
    Type: AWS::EC2::SecurityGroup
    Properties:
      GroupDescription: database
      VpcId: vpc-1
      SecurityGroupEgress: [{IpProtocol: tcp, FromPort: 443, ToPort: 443, CidrIp: 10.0.0.0/8}]
  Search:
    Type: AWS::EC2::SecurityGroup
    Properties: {GroupDescription: search, VpcId: vpc-1}
  SearchOut:
    Type: AWS::EC2::SecurityGroupEgress
    Properties: {GroupId: !Ref Search, IpProtocol: tcp, FromPort: 5432, ToPort: 5432, CidrIp: 10.0.0.0/8}
"""
NEW_CHANGES = tuple(ResourceChange("Add", logical_id, kind) for logical_id, kind in (
    ("Tasks", "AWS::EC2::SecurityGroup"), ("Database", "AWS::EC2::SecurityGroup"),
    ("Search", "AWS::EC2::SecurityGroup"), ("SearchOut", "AWS::EC2::SecurityGroupEgress")))


def test_a_new_group_without_egress_rules_opens_the_default_allow_all_egress() -> None:
    security = review_changes(NEW_CHANGES, None, _evaluation(NEW_GROUPS), baseline="nothing (a new stack)")
    tasks = security.resources["Tasks"]
    [default] = tasks.added
    assert (default.rule.kind, default.rule.resource, default.rule.protocol, default.rule.peer,
            default.rule.line) == ("egress", "Tasks", "all", "0.0.0.0/0", None)
    assert default.broadening and tasks.broadening and not tasks.removed
    assert tasks.summary() == "+1 -0 rules; BROADENING"
    # inline egress removes the default; a separate SecurityGroupEgress leaves it beside its rule
    database = security.resources["Database"]
    assert [(c.rule.protocol, c.rule.peer) for c in database.added] == [("tcp", "10.0.0.0/8")]
    [search] = security.resources["Search"].added
    assert search.rule.is_default_egress and search.broadening
    assert [c.rule.resource for c in security.resources["SearchOut"].added] == ["Search"]
    assert not security.unattributed and not security.weakening  # nothing was there to weaken

    result = ChangeSetResult(stack_name="quilt", change_set_name="cs", change_set_type="CREATE",
                             parameter_keys=(), changes=NEW_CHANGES, status="CREATE_COMPLETE")
    text = render_change_set(result, security)
    assert re.search(r"Add\s+Tasks\s+AWS::EC2::SecurityGroup\s+-\s+\+1 -0 rules; BROADENING$", text, re.MULTILINE)
    assert ("+ egress Tasks all traffic to 0.0.0.0/0 (default allow-all egress)  [broadening: opens egress "
            "Tasks all traffic to 0.0.0.0/0 (default allow-all egress)]") in text
    assert re.search(r"Add\s+Search\s+AWS::EC2::SecurityGroup\s+-\s+\+1 -0 rules; BROADENING$", text, re.MULTILINE)
    assert text.count("default allow-all egress)  [") == 2


# --- a replaced managed policy and the versions it drops --------------------------------------

POLICY_BEFORE = """\
Parameters:
  Path: {Type: String, Default: /}
Resources:
  Worker:
    Type: AWS::IAM::Role
    Properties:
      AssumeRolePolicyDocument:
        Statement: [{Effect: Allow, Principal: {Service: ecs-tasks.amazonaws.com}, Action: sts:AssumeRole}]
      ManagedPolicyArns: [!Ref BucketReadPolicy]
  BucketReadPolicy:
    Type: AWS::IAM::ManagedPolicy
    Properties:
      Path: !Ref Path
      PolicyDocument:
        Version: '2012-10-17'
        Statement: [{Effect: Allow, Action: 's3:*', NotResource: '*'}]
"""


def test_a_replaced_managed_policy_is_named_with_the_versions_it_drops(session: AwsSession) -> None:
    from wizard.aws.security import planned_evaluation, review_change_set

    cloudformation = session.client("cloudformation")
    cloudformation.create_stack(StackName="quilt", TemplateBody=POLICY_BEFORE, Capabilities=["CAPABILITY_IAM"])
    arn = cloudformation.describe_stack_resource(
        StackName="quilt", LogicalResourceId="BucketReadPolicy")["StackResourceDetail"]["PhysicalResourceId"]
    iam = session.client("iam")
    for bucket in ("acme-one", "acme-two"):  # what the application writes when a bucket is connected
        document = {"Version": "2012-10-17", "Statement": [
            {"Effect": "Allow", "Action": "s3:GetObject", "Resource": f"arn:aws:s3:::{bucket}/*"}]}
        iam.create_policy_version(PolicyArn=arn, PolicyDocument=json.dumps(document), SetAsDefault=True)
    values = {"Path": "/quilt/quilt/us-east-1/"}
    after = planned_evaluation(parse_template(POLICY_BEFORE, "after.yaml"), values, "quilt", REGION, "123456789012")
    changes = (ResourceChange("Modify", "BucketReadPolicy", "AWS::IAM::ManagedPolicy", arn, "True", ("Properties",)),
               ResourceChange("Modify", "Worker", "AWS::IAM::Role", "quilt-Worker-1", "False", ("Properties",)))
    result = ChangeSetResult(stack_name="quilt", change_set_name="cs", change_set_type="UPDATE",
                             parameter_keys=("Path",), changes=changes, status="CREATE_COMPLETE")
    security = review_change_set(session, result, after)
    dropped = security.resources["BucketReadPolicy"].dropped_versions
    assert (dropped.policy, dropped.count, dropped.default) == (arn, 3, "v3")
    assert security.resources["Worker"].dropped_versions is None, "a role is not a policy"
    text = render_change_set(result, security)
    assert re.search(r"Modify\s+BucketReadPolicy\s+AWS::IAM::ManagedPolicy\s+True\s+.*drops 3 policy versions", text)
    assert f"! policy versions: replacing {arn} deletes its 3 versions (default v3)" in text
    assert security.to_json()["resources"]["BucketReadPolicy"]["dropped_versions"] == {
        "policy": arn, "versions": 3, "default_version": "v3", "unknown": None}


def test_versions_iam_will_not_list_are_said_to_be_unknown(stubbed: tuple[AwsSession, Stubber]) -> None:
    from wizard.aws.security import replaced_policy_versions

    session, _cloudformation = stubbed
    iam = Stubber(session.client("iam"))
    iam.activate()
    arn = "arn:aws:iam::123456789012:policy/quilt-BucketReadPolicy-1"
    iam.add_client_error("list_policy_versions", "AccessDenied", "not allowed", 403, {"PolicyArn": arn})
    iam.add_client_error("list_policy_versions", "NoSuchEntity", "gone", 404, {"PolicyArn": arn + "x"})
    changes = (ResourceChange("Modify", "Read", "AWS::IAM::ManagedPolicy", arn, "Conditional"),
               ResourceChange("Modify", "Gone", "AWS::IAM::ManagedPolicy", arn + "x", "True"),
               ResourceChange("Modify", "Kept", "AWS::IAM::ManagedPolicy", arn + "y", "False"),
               ResourceChange("Add", "New", "AWS::IAM::ManagedPolicy"))
    found = replaced_policy_versions(session, changes)
    iam.assert_no_pending_responses()
    assert list(found) == ["Read"]
    assert found["Read"].count is None and "AccessDenied" in found["Read"].unknown
    assert "how many could not be read" in found["Read"].describe()
