"""Each risk is counted once and every place it is written is listed; a no-op is not a finding."""

from __future__ import annotations

from wizard.cfn.evaluate import Evaluation
from wizard.cfn.parameters import resolve_parameters
from wizard.cfn.template import parse_template
from wizard.findings import evaluate_findings

TRUST = """
      AssumeRolePolicyDocument:
        Version: '2012-10-17'
        Statement:
          - {Effect: Allow, Principal: {Service: lambda.amazonaws.com}, Action: sts:AssumeRole}
"""


def findings(text: str, rule: str, parameters: dict | None = None):
    template = parse_template(text, "counting.yaml")
    evaluation = Evaluation(template, resolve_parameters(template, parameters or {}))
    return [f for f in evaluate_findings(evaluation) if f.rule_id == rule]


BRANCH = """
Parameters:
  Feature: {Type: String, Default: "off", AllowedValues: ["on", "off"]}
Conditions:
  FeatureOn: !Equals [!Ref Feature, "on"]
Resources:
  AppRole:
    Type: AWS::IAM::Role
    Properties:""" + TRUST + """
  AppPolicy:
    Type: AWS::IAM::ManagedPolicy
    Properties:
      Roles: [!Ref AppRole]
      PolicyDocument:
        Version: '2012-10-17'
        Statement:
          - !If
            - FeatureOn
            - {Effect: Allow, Action: bedrock:InvokeModel, Resource: '*'}
            - {Effect: Allow, Action: bedrock:InvokeModel, NotResource: '*'}
"""

REWRITER = """
  Registry:
    Type: AWS::IAM::Role
    Properties:""" + TRUST + """      Policies:
        - PolicyName: app
          PolicyDocument:
            Version: '2012-10-17'
            Statement:
              - {Effect: Allow, Action: iam:CreatePolicyVersion, Resource: !Ref AppPolicy}
"""


def test_a_no_op_branch_nobody_can_rewrite_is_not_a_placeholder():
    assert findings(BRANCH, "QW-IAM-001") == []


def test_a_no_op_branch_a_role_can_rewrite_is_a_placeholder():
    found = findings(BRANCH + REWRITER, "QW-IAM-001")
    assert [f.subject for f in found] == ["AppPolicy"]
    assert "rewritten at run time by Registry" in found[0].message


def test_the_other_branch_is_not_a_placeholder_either():
    assert findings(BRANCH, "QW-IAM-001", {"Feature": "on"}) == []


FLOW = """
Resources:
  TargetGroup:
    Type: AWS::ElasticLoadBalancingV2::TargetGroup
    Properties: {Port: 80, Protocol: HTTP, TargetType: ip}
  Task:
    Type: AWS::ECS::TaskDefinition
    Properties:
      ContainerDefinitions:
        - Name: web
          Image: web:latest
          PortMappings: [{ContainerPort: 80}]
  Sidecar:
    Type: AWS::ECS::TaskDefinition
    Properties:
      ContainerDefinitions:
        - Name: other
          Image: other:latest
          PortMappings: [{ContainerPort: 80}]
  Service:
    Type: AWS::ECS::Service
    Properties:
      TaskDefinition: !Ref Task
      LoadBalancers: [{ContainerName: web, ContainerPort: 80, TargetGroupArn: !Ref TargetGroup}]
"""


def test_one_http_flow_is_one_finding_listing_both_places():
    found = {f.subject: f for f in findings(FLOW, "QW-NET-001")}
    assert set(found) == {"TargetGroup", "Sidecar"}
    flow = found["TargetGroup"]
    assert "Task" in flow.resources and len(flow.lines) == 2 and len(flow.network) == 2


ATHENA = """
Resources:
  Reporter:
    Type: AWS::IAM::Role
    Properties:""" + TRUST + """      Policies:
        - PolicyName: app
          PolicyDocument:
            Version: '2012-10-17'
            Statement:
              - Effect: Allow
                Action: [athena:StartQueryExecution, athena:GetQueryResults, glue:CreateTable, glue:GetTable]
                Resource: '*'
"""


def test_each_action_of_one_statement_is_counted_under_one_rule():
    (athena,) = findings(ATHENA, "QW-IAM-006")
    assert "athena:StartQueryExecution" in athena.message
    (write,) = findings(ATHENA, "QW-IAM-103")
    assert "glue:CreateTable" in write.message and "athena:" not in write.message.split(" on ")[0]
    (scoped,) = findings(ATHENA, "QW-IAM-002")
    listed = scoped.message.split(";")[0]
    assert "glue:GetTable" in listed and "glue:CreateTable" not in listed and "athena:" not in listed


PASSER = """
Resources:
  Events:
    Type: AWS::IAM::Role
    Properties:""" + TRUST + """      Policies:
        - PolicyName: app
          PolicyDocument:
            Version: '2012-10-17'
            Statement:
              - Effect: Allow
                Action: iam:PassRole
                Resource: '*'
                Condition: {StringLike: {iam:PassedToService: events.amazonaws.com}}
              - Effect: Allow
                Action: iam:PassRole
                Resource: '*'
                Condition: {StringLike: {iam:PassedToService: scheduler.amazonaws.com}}
"""


def test_one_policy_passing_any_role_twice_is_one_finding_with_both_places():
    found = findings(PASSER, "QW-IAM-105")
    assert len(found) == 1
    assert "events.amazonaws.com" in found[0].message and "scheduler.amazonaws.com" in found[0].message
    assert len(found[0].grants) == 2


def test_a_non_standard_port_is_one_finding_with_its_listener_and_its_group_rule():
    from wizard.paths import DEFAULT_TEMPLATE
    from wizard.cfn.template import load_template
    from tests.unit.findings.test_embedded_model import REQUIRED

    template = load_template(DEFAULT_TEMPLATE)
    evaluation = Evaluation(template, resolve_parameters(template, REQUIRED))
    (port,) = [f for f in evaluate_findings(evaluation, select=["QW-NET-002"])]
    assert port.subject == "PrivateListener"
    assert {"PrivateListener", "ElbPrivateSecurityGroup"} <= set(port.resources) and len(port.lines) == 2
