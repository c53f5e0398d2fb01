"""Escalation paths inside a stack: how roles are matched, trusted, denied and chained."""

from __future__ import annotations

import textwrap

from wizard.cfn.evaluate import Evaluation
from wizard.findings import evaluate_findings
from wizard.cfn.parameters import resolve_parameters
from wizard.cfn.template import parse_template

HEADER = "Resources:\n"


def role(name: str, trust: str, statements: str = "", extra: str = "") -> str:
    text = f"""
  {name}:
    Type: AWS::IAM::Role
    Properties:
      AssumeRolePolicyDocument:
        Version: '2012-10-17'
        Statement:
          - Effect: Allow
            Principal: {trust}
            Action: sts:AssumeRole
{extra}"""
    if statements:
        text += f"""      Policies:
        - PolicyName: app
          PolicyDocument:
            Version: '2012-10-17'
            Statement:
{textwrap.indent(textwrap.dedent(statements).strip(), ' ' * 14)}
"""
    return text


def findings(body: str, rule: str | None = None):
    template = parse_template(HEADER + body, "paths.yaml")
    evaluation = Evaluation(template, resolve_parameters(template, {}))
    found = evaluate_findings(evaluation)
    return [f for f in found if rule is None or f.rule_id == rule]


ACCOUNT = "{AWS: !Sub 'arn:${AWS::Partition}:iam::${AWS::AccountId}:root'}"
LAMBDA = "{Service: lambda.amazonaws.com}"

ATTACHER = """
- Effect: Allow
  Action: iam:AttachRolePolicy
  Resource: !Sub 'arn:${AWS::Partition}:iam::${AWS::AccountId}:role/quilt/*'
"""
ASSUMER = """
- Effect: Allow
  Action: sts:AssumeRole
  Resource: !Sub 'arn:${AWS::Partition}:iam::${AWS::AccountId}:role/quilt/*'
"""


def test_a_path_pattern_reaches_a_role_with_that_path_and_a_generated_name():
    body = role("Operator", LAMBDA, ATTACHER + ASSUMER) + role("UserRole", ACCOUNT, extra="      Path: /quilt/\n")
    paths = findings(body, "QW-ESC-001")
    assert [(f.subject, f.resources[1]) for f in paths] == [("Operator", "UserRole")]
    assert "iam:AttachRolePolicy on UserRole" in paths[0].steps[0].text
    assert "trusts AWS:arn:aws:iam::123456789012:root" in paths[0].steps[1].text


def test_a_path_pattern_does_not_reach_a_role_outside_the_path():
    body = role("Operator", LAMBDA, ATTACHER + ASSUMER) + role("UserRole", ACCOUNT, extra="      Path: /other/\n")
    assert findings(body, "QW-ESC-001") == []


def test_trusting_the_account_needs_an_assume_role_statement_too():
    body = role("Operator", LAMBDA, ATTACHER) + role("UserRole", ACCOUNT, extra="      Path: /quilt/\n")
    assert findings(body, "QW-ESC-001") == []


def test_trust_naming_the_role_needs_no_assume_role_statement():
    body = role("Operator", LAMBDA, ATTACHER) + role("UserRole", "{AWS: !GetAtt Operator.Arn}",
                                                     extra="      Path: /quilt/\n")
    paths = findings(body, "QW-ESC-001")
    assert len(paths) == 1
    assert "needs no sts:AssumeRole statement of its own" in paths[0].steps[1].text


def test_an_explicit_role_name_is_matched_exactly():
    statements = """
    - Effect: Allow
      Action: iam:PutRolePolicy
      Resource: !Sub 'arn:${AWS::Partition}:iam::${AWS::AccountId}:role/quilt-users'
    """
    body = role("Operator", LAMBDA, statements) + role(
        "UserRole", "{AWS: !GetAtt Operator.Arn}", extra="      RoleName: quilt-users\n")
    assert len(findings(body, "QW-ESC-001")) == 1
    other = body.replace("RoleName: quilt-users", "RoleName: quilt-admins")
    assert findings(other, "QW-ESC-001") == []


def test_an_unconditional_deny_breaks_the_link():
    denied = ATTACHER + """
- Effect: Deny
  Action: iam:Attach*
  Resource: '*'
"""
    body = role("Operator", LAMBDA, denied) + role("UserRole", "{AWS: !GetAtt Operator.Arn}",
                                                   extra="      Path: /quilt/\n")
    assert findings(body, "QW-ESC-001") == []


def test_rewriting_a_trust_policy_leads_to_an_administrator():
    rewrite = """
- Effect: Allow
  Action: iam:UpdateAssumeRolePolicy
  Resource: !GetAtt AdminRole.Arn
"""
    admin = """
- Effect: Allow
  Action: '*'
  Resource: '*'
"""
    body = role("Operator", LAMBDA, rewrite) + role("AdminRole", LAMBDA, admin)
    chain = findings(body, "QW-ESC-003")
    assert [f.subject for f in chain] == ["Operator"]
    assert "iam:UpdateAssumeRolePolicy on AdminRole" in chain[0].steps[0].text
    assert "already may do every action on every resource" in chain[0].steps[1].text
    assert findings(body, "QW-ESC-002") == []


def test_a_chain_of_two_hops_is_followed():
    hop = """
- Effect: Allow
  Action: sts:AssumeRole
  Resource: !GetAtt Middle.Arn
"""
    self_rewrite = """
- Effect: Allow
  Action: iam:PutRolePolicy
  Resource: !Sub 'arn:${AWS::Partition}:iam::${AWS::AccountId}:role/*'
"""
    code = """
- Effect: Allow
  Action: lambda:UpdateFunctionCode
  Resource: !GetAtt Worker.Arn
"""
    function = """
  Worker:
    Type: AWS::Lambda::Function
    Properties:
      Role: !GetAtt Top.Arn
      Code: {ZipFile: pass}
      Handler: index.handler
      Runtime: python3.12
"""
    body = (role("Start", LAMBDA, hop) + role("Middle", "{AWS: !GetAtt Start.Arn}", code)
            + role("Top", LAMBDA, self_rewrite) + function)
    chains = {f.subject: f for f in findings(body, "QW-ESC-003")}
    assert "Start" in chains and "Middle" in chains
    assert "Start -> Middle -> Top -> any permission" in chains["Start"].message
    assert [f.subject for f in findings(body, "QW-ESC-002")] == ["Top"]


ESCALATOR = role("Escalator", "{Service: ecs-tasks.amazonaws.com}", """
- Effect: Allow
  Action: iam:PutRolePolicy
  Resource: '*'
""")
TASK = """
  EscalatorTask:
    Type: AWS::ECS::TaskDefinition
    Properties:
      TaskRoleArn: !GetAtt Escalator.Arn
      ContainerDefinitions:
        - {Name: app, Image: app:latest}
"""
CRON = role("Cron", "{Service: events.amazonaws.com}", """
- Effect: Allow
  Action: ecs:RunTask
  Resource: !Ref EscalatorTask
- Effect: Allow
  Action: iam:PassRole
  Resource: !GetAtt Escalator.Arn
""")


def _rule_maker(passed_to: str) -> str:
    return role("RuleMaker", LAMBDA, f"""
- Effect: Allow
  Action: [events:PutRule, events:PutTargets]
  Resource: '*'
- Effect: Allow
  Action: iam:PassRole
  Resource: !GetAtt Cron.Arn
  Condition: {{StringEquals: {{iam:PassedToService: {passed_to}}}}}
""")


def test_an_eventbridge_rule_run_as_a_scheduler_role_is_an_edge():
    chains = findings(ESCALATOR + TASK + CRON + _rule_maker("events.amazonaws.com"), "QW-ESC-003")
    chain = next(f for f in chains if f.subject == "RuleMaker")
    assert "(a rule run as Cron) -> Escalator" in chain.message
    assert "events:PutRule" in chain.steps[0].text


def test_passing_the_scheduler_role_to_another_service_is_not_an_edge():
    chains = findings(ESCALATOR + TASK + CRON + _rule_maker("lambda.amazonaws.com"), "QW-ESC-003")
    assert "RuleMaker" not in {f.subject for f in chains}


def test_a_scheduler_role_that_does_not_trust_events_is_not_an_edge():
    cron = CRON.replace("{Service: events.amazonaws.com}", LAMBDA)
    chains = findings(ESCALATOR + TASK + cron + _rule_maker("events.amazonaws.com"), "QW-ESC-003")
    assert "RuleMaker" not in {f.subject for f in chains}


SERVICE = """
  Cluster:
    Type: AWS::ECS::Cluster
  EscalatorService:
    Type: AWS::ECS::Service
    Properties:
      Cluster: !Ref Cluster
      TaskDefinition: !Ref EscalatorTask
      EnableExecuteCommand: {exec}
"""


def test_ecs_exec_into_a_stronger_task_is_an_edge():
    operator = role("Operator", LAMBDA, """
- Effect: Allow
  Action: ecs:ExecuteCommand
  Resource: !GetAtt Cluster.Arn
""")
    chains = findings(ESCALATOR + TASK + SERVICE.format(exec="true") + operator, "QW-ESC-003")
    chain = next(f for f in chains if f.subject == "Operator")
    assert "ecs:ExecuteCommand" in chain.steps[0].text and "EscalatorService" in chain.steps[0].text
    assert not [f for f in findings(ESCALATOR + TASK + SERVICE.format(exec="false") + operator, "QW-ESC-003")
                if f.subject == "Operator"]


def test_updating_a_stronger_function_is_an_edge():
    function = """
  EscalatorFunction:
    Type: AWS::Lambda::Function
    Properties:
      Role: !GetAtt Escalator.Arn
      Runtime: python3.12
      Handler: index.handler
      Code: {ZipFile: "def handler(e, c): pass"}
"""
    for action in ("lambda:UpdateFunctionCode", "lambda:UpdateFunctionConfiguration"):
        deployer = role("Deployer", LAMBDA, f"""
- Effect: Allow
  Action: {action}
  Resource: !GetAtt EscalatorFunction.Arn
""")
        chains = findings(ESCALATOR + function + deployer, "QW-ESC-003")
        chain = next(f for f in chains if f.subject == "Deployer")
        assert action in chain.steps[0].text


SELF_REWRITER = """
- Effect: Allow
  Action: iam:PutRolePolicy
  Resource: '*'
"""


def test_anyone_reaching_a_self_rewriting_role_is_a_critical_chain():
    found = findings(role("Open", "'*'", SELF_REWRITER), "QW-ESC-005")
    assert [(f.subject, f.severity) for f in found] == [("Open", "critical")]
    assert "of anyone" in found[0].message and found[0].steps[0].grants[0].kind == "trust"


def test_a_conditioned_star_and_the_own_account_do_not_start_an_outside_chain():
    conditioned = role("Open", "'*'", SELF_REWRITER).replace(
        "            Action: sts:AssumeRole\n",
        "            Action: sts:AssumeRole\n            Condition: {StringEquals: {aws:PrincipalOrgID: o-abc123}}\n", 1)
    assert findings(conditioned, "QW-ESC-005") == []
    assert findings(role("Own", ACCOUNT, SELF_REWRITER), "QW-ESC-005") == []


def test_an_outside_principal_two_hops_from_administrator_is_shown_from_its_start():
    body = (role("Entry", "{AWS: 'arn:aws:iam::999988887777:role/vendor'}", """
- Effect: Allow
  Action: iam:UpdateAssumeRolePolicy
  Resource: !GetAtt Admin.Arn
""") + role("Admin", LAMBDA, SELF_REWRITER))
    (chain,) = findings(body, "QW-ESC-005")
    assert chain.message.split(": ", 1)[1].startswith("arn:aws:iam::999988887777:role/vendor -> Entry -> Admin")
    assert [f.subject for f in findings(body, "QW-IAM-109")] == []  # counted once, in the chain
