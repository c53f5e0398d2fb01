"""The rules' quick lookups answer as the plain matching they replace: a statement's actions
looked up as a set beside its wildcards, a log group named whole in a trail's ARN without a
pattern of its own, the NoEcho rule's hits found once a template."""

from __future__ import annotations

import re

import pytest

from tests.conftest import DATA
from wizard import paths as shipped
from wizard.cfn.evaluate import Evaluation
from wizard.cfn.parameters import resolve_parameters
from wizard.cfn.template import load_template
from wizard.findings.context import RuleContext, _names
from wizard.findings.rules.cloudtrail import _names_whole
from wizard.findings.rules.secrets import _no_echo_hits, no_echo_in_plain_environment
from wizard.iam.grants import extract
from wizard.iam.network import network_rules
from wizard.iam.wildcards import action_matches

PATTERNS = [("s3:GetObject", "S3:PutObject"), ("s3:Get*", "kms:decrypt"), ("*",), ("iam:?assRole", "sts:Assume*Role"),
            ("ec2:Describe*", "ec2:DescribeInstances", "ECS:RunTask"), ()]
ACTIONS = ["s3:GetObject", "s3:getobject", "s3:PutObject", "s3:GetBucketPolicy", "kms:Decrypt", "iam:PassRole",
           "iam:passrole", "iam:XassRole", "sts:AssumeRole", "sts:AssumeRoleWithSAML", "ec2:DescribeVpcs",
           "ecs:runtask", "ecs:RunTasks", ""]


@pytest.mark.parametrize("patterns", PATTERNS)
def test_a_statements_actions_name_what_matching_each_pattern_names(patterns):
    for action in ACTIONS:
        assert _names(patterns, action) == any(action_matches(p, action) for p in patterns), (patterns, action)


@pytest.mark.parametrize("text,name,named", [
    ("arn:aws:logs:us-east-1:1:log-group:TrailGroup:*", "TrailGroup", True),
    ("${TrailGroup.Arn}", "TrailGroup", True),
    ("TrailGroup", "TrailGroup", True),
    ("arn:aws:logs:us-east-1:1:log-group:TrailGroup2:*", "TrailGroup", False),
    ("arn:aws:logs:us-east-1:1:log-group:MyTrailGroup:*", "TrailGroup", False),
    ("MyTrailGroup/TrailGroup-x", "TrailGroup", True),
    ("", "TrailGroup", False),
])
def test_a_log_group_is_named_whole_as_the_pattern_said(text, name, named):
    assert _names_whole(text, name) is named
    assert bool(re.search(rf"(?<![A-Za-z0-9]){re.escape(name)}(?![A-Za-z0-9])", text)) is named


def test_the_no_echo_hits_are_those_of_the_template_whatever_the_values():
    template = load_template(DATA / "findings" / "QW-SEC-001" / "fail.yaml")

    def context(values):
        evaluation = Evaluation(template, resolve_parameters(template, values))
        return RuleContext(evaluation, extract(evaluation), network_rules(evaluation))

    first = context({})
    found = list(no_echo_in_plain_environment(first))
    assert found and found == list(_no_echo_hits(first))
    assert list(no_echo_in_plain_environment(context({"AdminPassword": "another"}))) == found


def test_a_role_is_found_by_its_arn_as_by_looking_through_every_role():
    template = load_template(shipped.DEFAULT_TEMPLATE)
    evaluation = Evaluation(template, resolve_parameters(template, {}))
    ctx = RuleContext(evaluation, extract(evaluation), network_rules(evaluation))
    tokens = [h.target.arn for h in ctx.holders.values()] + ["arn:aws:iam::123456789012:role/elsewhere", ""]
    assert len(tokens) > 3
    for token in tokens:
        first = next((h for h in ctx.holders.values() if h.target.arn == token), None)
        assert ctx.holder_of_token(token) is first, token
