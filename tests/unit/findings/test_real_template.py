"""Findings on the real Quilt template: the customer's concerns and the escalation path are reported."""

from __future__ import annotations


import pytest

from tests.conftest import REAL_REQUIRED
from wizard.cfn.evaluate import Evaluation
from wizard.findings import evaluate_findings
from wizard.iam.grants import extract
from wizard.iam.network import network_rules
from wizard.cfn.parameters import resolve_parameters
from wizard.cfn.template import load_template

REGISTRY = "AmazonECSTaskExecutionRole"


@pytest.fixture(scope="module")
def real(real_template_path):
    template = load_template(real_template_path)
    evaluation = Evaluation(template, resolve_parameters(template, REAL_REQUIRED))
    grants, rules = extract(evaluation), network_rules(evaluation)
    return evaluation, grants, rules, evaluate_findings(evaluation, grants, rules)


def of(findings, rule_id):
    return [f for f in findings if f.rule_id == rule_id]


def test_placeholder_policies_are_reported_as_info(real):
    *_, findings = real
    placeholders = {f.subject: f for f in of(findings, "QW-IAM-001")}
    assert {"BucketReadPolicy", "BucketWritePolicy", "RegistryAssumeRolePolicy"} <= set(placeholders)
    assert all(f.severity == "info" for f in placeholders.values())
    # the Qurator-off branch of an Fn::If that nobody can rewrite is not a placeholder
    assert not {"T4DefaultBucketReadPolicy/ReadQuiltPolicy-quilt", "ManagedUserRoleBasePolicy"} & set(placeholders)
    read = placeholders["BucketReadPolicy"]
    assert "ManagedUserRole" in read.resources
    assert f"rewritten at run time by {REGISTRY}" in read.message
    assert read.lines == (1013,)


def test_path_scoped_policy_creation_is_medium_not_high(real):
    *_, findings = real
    scoped = of(findings, "QW-IAM-005")
    assert [f.subject for f in scoped] == [REGISTRY]
    assert scoped[0].severity == "medium"
    assert "/quilt/quilt/us-east-1/" in scoped[0].message
    assert scoped[0].lines == (2477,)
    assert of(findings, "QW-IAM-004") == []


def test_marketplace_wildcard_is_recorded_as_unavoidable(real):
    *_, findings = real
    marketplace = [f for f in of(findings, "QW-IAM-003") if "aws-marketplace:MeterUsage" in f.message]
    assert len(marketplace) == 1
    assert marketplace[0].subject == REGISTRY and marketplace[0].lines == (2411,)
    assert not [f for f in of(findings, "QW-IAM-002") if "aws-marketplace" in f.message]


def test_sns_wildcard_is_counted_once_as_write_on_everything(real):
    *_, findings = real
    write = [f for f in of(findings, "QW-IAM-103") if "sns:CreateTopic" in f.message]
    assert [f.subject for f in write] == [REGISTRY] and write[0].lines == (2444,)
    scoped = [f for f in of(findings, "QW-IAM-002") if 2444 in f.lines]
    assert len(scoped) == 1
    listed, pointer = scoped[0].message.split(" Its write actions ", 1)
    assert "sns:GetTopicAttributes" in listed and "sns:CreateTopic" not in listed
    assert "QW-IAM-103" in pointer
    assert not [f for f in of(findings, "QW-IAM-106") if 2444 in f.lines]


def test_port_444_is_reported(real):
    *_, findings = real
    ports = of(findings, "QW-NET-002")
    assert len(ports) == 1
    assert ports[0].subject == "ElbPrivateSecurityGroup"
    assert "tcp/444" in ports[0].message and ports[0].lines == (470,)
    assert "LoadBalancer" in ports[0].resources


def test_http_to_the_tasks_and_the_certificate_are_reported(real):
    *_, findings = real
    http = {f.subject: f for f in of(findings, "QW-NET-001")}
    assert {"RegistryTargetGroup", "NginxCatalogTargetGroup"} <= set(http)
    # one flow, one finding: the target group and the container it sends to, both places listed
    assert "RegistryTaskDefinition" not in http
    assert "RegistryTaskDefinition" in http["RegistryTargetGroup"].resources
    assert set(http["RegistryTargetGroup"].lines) == {2960, 3801}
    certificate = of(findings, "QW-NET-003")
    assert len(certificate) == 1 and "CertificateArnELB" in certificate[0].message


def test_registry_can_rewrite_the_policies_of_the_managed_user_role_it_assumes(real):
    *_, findings = real
    path = next(f for f in of(findings, "QW-ESC-001") if "ManagedUserRole" in f.resources)
    assert path.subject == REGISTRY and path.severity == "high"
    texts = [step.text for step in path.steps]
    assert "iam:CreatePolicyVersion on BucketReadPolicy" in texts[0]
    assert "attached to ManagedUserRole" in texts[0]
    assert any("ManagedUserRole's trust policy names AmazonECSTaskExecutionRole" in t for t in texts)
    assert 2466 in path.lines and 2933 in path.lines
    grants_in_steps = [g for step in path.steps for g in step.grants]
    assert any(g.kind == "trust" and g.on == ("ManagedUserRole",) for g in grants_in_steps)
    assert any(g.principal == REGISTRY and "iam:CreatePolicyVersion" in g.actions for g in grants_in_steps)


def test_registry_can_make_itself_administrator(real):
    *_, findings = real
    itself = of(findings, "QW-ESC-002")
    assert [f.subject for f in itself] == [REGISTRY]
    assert itself[0].severity == "critical"


def test_roles_that_start_registry_tasks_inherit_the_escalation(real):
    *_, findings = real
    chains = {f.subject: f for f in of(findings, "QW-ESC-003")}
    assert {"MigrationLambdaRole", "TrackingCronRole"} <= set(chains)
    first = chains["MigrationLambdaRole"].steps[0].text
    assert "RegistryMigrationTaskDefinition" in first and "pass that role" in first


def test_foreign_account_users_in_trust_policies_are_reported(real):
    *_, findings = real
    foreign = {f.subject for f in of(findings, "QW-IAM-109")}
    assert "ManagedUserRole" in foreign
    # the registry role leads to administrator: its outside principals are the critical chain, counted once
    assert REGISTRY not in foreign


def test_outside_users_reaching_administrator_are_a_critical_chain_starting_at_them(real):
    *_, findings = real
    outside = of(findings, "QW-ESC-005")
    assert len(outside) == 1
    chain = outside[0]
    assert chain.severity == "critical" and chain.subject == REGISTRY
    assert "account 712023778557" in chain.message
    assert chain.message.split(": ", 1)[1].startswith("arn:aws:iam::712023778557:user/")
    first = chain.steps[0]
    assert first.grants[0].kind == "trust" and first.grants[0].principal.startswith("AWS:arn:aws:iam::712023778557:")
    assert 2370 in first.lines
    assert any(g.principal == REGISTRY and "iam:CreatePolicyVersion" in g.actions
               for step in chain.steps for g in step.grants)


def test_package_events_role_reaches_administrator_through_an_eventbridge_rule(real):
    *_, findings = real
    chain = next(f for f in of(findings, "QW-ESC-003") if f.subject == "PkgEventsRole")
    first = chain.steps[0]
    assert "events:PutRule" in first.text and "TrackingCronRole" in first.text
    assert "TrackingTaskDefinition" in first.text and REGISTRY in first.text
    kinds = {(g.principal, g.kind) for g in first.grants}
    assert ("PkgEventsRole", "identity") in kinds and ("Service:events.amazonaws.com", "trust") in kinds
    passing = [g for g in first.grants if g.principal == "PkgEventsRole" and "iam:PassRole" in g.actions]
    assert passing and "events.amazonaws.com" in passing[0].condition_json


def test_ecs_exec_into_the_registry_is_rated_as_a_path_to_administrator(real):
    *_, findings = real
    shells = of(findings, "QW-ESC-006")
    assert [f.subject for f in shells] == ["RegistryService"]
    assert shells[0].severity == "high" and 3886 in shells[0].lines


def test_registry_may_change_the_search_handler_configuration(real):
    from wizard.findings.context import RuleContext
    from wizard.findings.paths import stack_paths

    evaluation, grants, rules, _ = real
    paths = stack_paths(RuleContext(evaluation, grants, rules))
    edge = next(e for e in paths.out("act-as", REGISTRY) if e.target == "SearchHandlerRole")
    assert "lambda:UpdateFunctionConfiguration" in edge.text and edge.grants[0].source.line == 2486


def test_the_stack_uses_an_existing_trail(real):
    *_, findings = real
    assert [f.subject for f in of(findings, "QW-LOG-004")] == ["CloudTrailBucket"]


def test_frameworks_put_mapped_findings_first_and_keep_all(real):
    evaluation, grants, rules, findings = real
    ordered = evaluate_findings(evaluation, grants, rules, ["cis-aws"])
    # every finding is kept, except the retention one: CIS names no retention, PCI DSS does
    assert len(ordered) == len([f for f in findings if f.rule_id != "QW-LOG-007"])
    mapped = [bool(f.controls) for f in ordered]
    assert mapped == sorted(mapped, reverse=True)
    assert all(c.framework == "cis-aws" for f in ordered for c in f.controls)


def test_one_athena_statement_is_counted_once(real):
    *_, findings = real
    at_line = [f for f in findings if 1500 in f.lines and "athena:" in f.message.split(" on ")[0]]
    assert [f.rule_id for f in at_line] == ["QW-IAM-006"]


def test_log_retention_is_judged_against_the_frameworks_chosen(real):
    evaluation, grants, rules, findings = real
    retention = of(findings, "QW-LOG-007")
    assert len(retention) == 1 and "365 days" in retention[0].message and 427 in retention[0].lines
    assert of(evaluate_findings(evaluation, grants, rules, ["pci-dss"]), "QW-LOG-007")
    assert not of(evaluate_findings(evaluation, grants, rules, ["soc2", "hipaa"]), "QW-LOG-007")


def test_no_echo_secrets_in_task_environments_are_counted_once_per_parameter(real):
    *_, findings = real
    secrets = {f.subject: f for f in of(findings, "QW-SEC-001")}
    admin = secrets["AdminPassword"]
    assert set(admin.lines) == {3052, 3412, 3967}
    assert {"RegistryTaskDefinition", "RegistryMigrationTaskDefinition", "TrackingTaskDefinition"} <= set(admin.resources)


def test_the_auditors_missing_rules_fire_on_the_real_template(real):
    *_, findings = real
    assert [f.subject for f in of(findings, "QW-LOG-005")] == ["LoadBalancer"]
    assert [f.subject for f in of(findings, "QW-NET-009")] == ["VoilaAutoScalingLaunchTemplate"]
    # the two RSA signing keys cannot rotate; the SNS encryption key can and does not
    assert [f.subject for f in of(findings, "QW-ENC-001")] == ["SNSKMSKey"]
    deputies = {f.subject for f in of(findings, "QW-IAM-201")}
    assert {"events.amazonaws.com (resource policies)", "s3.amazonaws.com (key policies)"} <= deputies
