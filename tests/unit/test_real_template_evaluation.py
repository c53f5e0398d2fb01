"""Evaluation on the real Quilt template, a template nobody on this project wrote."""

from __future__ import annotations

from wizard.cfn.evaluate import Evaluation
from wizard.cfn.parameters import resolve_parameters
from wizard.cfn.template import load_template

STACK_POLICIES = [
    "arn:aws:iam::123456789012:policy/quilt/quilt/us-east-1/ManagedUserRoleBasePolicy",
    "arn:aws:iam::123456789012:policy/BucketReadPolicy",
    "arn:aws:iam::123456789012:policy/BucketWritePolicy",
    "arn:aws:iam::123456789012:policy/UserAthenaManagedRolePolicy",
]




def test_every_resource_evaluates(real_evaluation):
    ev = real_evaluation()
    assert len(ev.resources()) > 200
    assert ev.parameters.unresolved == ()


def test_managed_user_role_gets_the_four_stack_policies(real_evaluation):
    role = real_evaluation().resource("ManagedUserRole")
    assert role["Properties"]["ManagedPolicyArns"] == STACK_POLICIES


def test_managed_user_role_gains_extra_policies(real_evaluation):
    extra = "arn:aws:iam::123456789012:policy/Extra1,arn:aws:iam::aws:policy/ReadOnlyAccess"
    role = real_evaluation(ManagedUserRoleExtraPolicies=extra).resource("ManagedUserRole")
    assert role["Properties"]["ManagedPolicyArns"] == STACK_POLICIES + extra.split(",")


def _qurator_statements(ev: Evaluation) -> list[dict]:
    statements = ev.resource("ManagedUserRoleBasePolicy")["Properties"]["PolicyDocument"]["Statement"]
    return [s for s in statements if s.get("Action") == "bedrock:InvokeModel"]


def test_qurator_switches_between_resource_and_not_resource(real_evaluation):
    assert _qurator_statements(real_evaluation(Qurator="Disabled")) == [
        {"Effect": "Allow", "Action": "bedrock:InvokeModel", "NotResource": "*"}]
    assert _qurator_statements(real_evaluation(Qurator="Enabled")) == [
        {"Effect": "Allow", "Action": "bedrock:InvokeModel", "Resource": "*"}]


def _excluded_principals(ev: Evaluation, policy: str) -> list[str]:
    for statement in ev.resource(policy)["Properties"]["PolicyDocument"]["Statement"]:
        arns = (statement.get("Condition") or {}).get("StringNotEquals", {}).get("aws:PrincipalArn")
        if arns is not None:
            return arns
    raise AssertionError(f"{policy} has no aws:PrincipalArn exception list")


def test_bucket_policy_exception_list_grows_with_the_parameter(real_evaluation):
    analyzer = ("arn:aws:iam::123456789012:role/aws-service-role/access-analyzer.amazonaws.com/"
                "AWSServiceRoleForAccessAnalyzer")
    assert _excluded_principals(real_evaluation(), "TabulatorBucketPolicy") == [analyzer]
    extra = "arn:aws:iam::123456789012:role/Auditor,arn:aws:iam::123456789012:role/Backup"
    grown = _excluded_principals(real_evaluation(S3BucketPolicyExcludeArnsFromDeny=extra), "TabulatorBucketPolicy")
    assert grown == [analyzer, *extra.split(",")]


def test_analysis_works_before_every_value_is_known(real_template_path):
    template = load_template(real_template_path)
    ev = Evaluation(template, resolve_parameters(template, {}))
    assert "QuiltWebHost" in ev.parameters.unresolved
    assert ev.resource("ManagedUserRole") is not None
    assert len(ev.resources()) > 200
