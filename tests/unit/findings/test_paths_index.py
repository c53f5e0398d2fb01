"""The escalation search asks only the roles an action index names, and finds exactly the
edges that asking every role about every other finds."""

from __future__ import annotations

import pytest

from tests.conftest import REAL_REQUIRED
from wizard import paths as shipped
from wizard.cfn.evaluate import Evaluation
from wizard.cfn.parameters import resolve_parameters
from wizard.cfn.template import load_template
from wizard.findings.context import RuleContext
from wizard.findings.paths import StackPaths
from wizard.iam.grants import extract
from wizard.iam.network import network_rules


def context(path, values) -> RuleContext:
    template = load_template(path)
    evaluation = Evaluation(template, resolve_parameters(template, values))
    return RuleContext(evaluation, extract(evaluation), network_rules(evaluation))


def edges(ctx: RuleContext, every_role: bool) -> list:
    search = StackPaths(ctx)
    if every_role:  # the search without the index: every role is a possible caller
        search.callers = lambda *actions: list(search.roles)
    return [(e.kind, e.how, e.source, e.target, e.text, e.grants, e.lines, e.via) for e in search.edges]


def check(ctx: RuleContext) -> list:
    indexed = edges(ctx, every_role=False)
    assert indexed == edges(ctx, every_role=True)
    return indexed


def test_the_index_names_exactly_the_principals_that_can():
    ctx = context(shipped.DEFAULT_TEMPLATE, {})
    for action in ("iam:PassRole", "sts:AssumeRole", "iam:PutRolePolicy", "s3:GetObject"):
        assert ctx.principals_naming(action) == {p for p in ctx.allows if ctx.can(p, action)}


@pytest.mark.parametrize("mode", [{}, {"EnableEnhancedSecurity": "true"}], ids=["default", "hardened"])
def test_the_embedded_templates_edges_are_unchanged(mode):
    check(context(shipped.DEFAULT_TEMPLATE, mode))


def test_the_real_templates_edges_are_unchanged(real_template_path):
    assert check(context(real_template_path, REAL_REQUIRED))  # it has escalation edges
