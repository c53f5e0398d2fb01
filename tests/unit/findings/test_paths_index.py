"""The escalation search asks only the roles an action index names, and finds exactly the
edges that asking every role about every other finds."""

from __future__ import annotations

import pytest

from tests.conftest import REAL_REQUIRED
from wizard import paths as shipped
from wizard.cfn.evaluate import Evaluation
from wizard.cfn.parameters import resolve_parameters
from wizard.cfn.template import load_template
from wizard.findings.context import RuleContext, allows_action
from wizard.findings.paths import StackPaths
from wizard.iam.grants import extract
from wizard.iam.network import network_rules


def context(path, values) -> RuleContext:
    return context_of(load_template(path), values)


def context_of(template, values) -> RuleContext:
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


ACTIONS = ("iam:PassRole", "sts:AssumeRole", "iam:PutRolePolicy", "iam:CreatePolicyVersion", "s3:GetObject",
           "lambda:UpdateFunctionCode", "ecs:RunTask", "kms:Decrypt", "athena:StartQueryExecution")


def named_by_every_statement(ctx: RuleContext) -> None:
    """The index by service names, for every action a statement names and some more, the
    principals that asking each of their statements finds."""
    written = {a for grants in ctx.allows.values() for g in grants for a in (*g.actions, *g.not_actions)
               if "*" not in a and "?" not in a}
    for action in (*ACTIONS, *sorted(written), *(a.upper() for a in ACTIONS), "iam", "*"):
        named = {p for p, grants in ctx.allows.items() if any(allows_action(g, action) for g in grants)}
        assert ctx.principals_naming(action) == named, action


def test_the_index_names_the_principals_with_a_statement_naming_the_action(real_template_path):
    named_by_every_statement(context(real_template_path, REAL_REQUIRED))


@pytest.mark.parametrize("mode", [{}, {"EnableEnhancedSecurity": "true"}], ids=["default", "hardened"])
def test_the_index_names_the_same_principals_on_the_embedded_template(mode):
    named_by_every_statement(context(shipped.DEFAULT_TEMPLATE, mode))


@pytest.mark.parametrize("statement,services", [
    ((("s3:GetObject", "IAM:PassRole"), ()), {"s3", "iam"}),
    ((("iam:Pass*",), ()), {"iam"}),
    ((("*",), ()), {""}),
    ((("i?m:PassRole", "sts:AssumeRole"), ()), {"", "sts"}),
    ((("iam*",), ()), {""}),
    (((), ("iam:PassRole",)), {""}),
])
def test_a_statement_is_indexed_under_every_service_it_may_name(statement, services):
    from wizard.findings.context import _services_named

    assert _services_named(statement) == services


def test_a_context_holding_boundaries_answers_as_one_built_afresh(real_template_path):
    """What the derived context takes over from the one it comes from (the answers about the
    principals it leaves alone) is what it would work out itself."""
    from tests.unit.findings.test_findings_unchanged import _hardened, values

    template = _hardened("stable.yaml")
    ctx = context_of(template, values(template, "stable.yaml", "ManualApproval"))
    paths = StackPaths(ctx)
    assert paths.edges and ctx.boundaries  # the questions of the search are asked, and remembered
    derived = paths.reach
    assert derived is not paths, "no role holds its boundary: the comparison would prove nothing"
    fresh = RuleContext(ctx.evaluation, derived.ctx.grants, ctx.rules)
    targets = [None, *(h.target for h in ctx.holders.values()),
               *(p.target for h in ctx.holders.values() for p in h.attached.values())]
    written = {a for c in (ctx, derived.ctx) for grants in c.allows.values() for g in grants for a in g.actions
               if "*" not in a and "?" not in a}
    for action in (*ACTIONS, *sorted(written)):
        assert derived.ctx.principals_naming(action) == fresh.principals_naming(action), action
    for principal in ctx.holders:
        for action in ACTIONS:
            for target in targets:
                assert derived.ctx.can(principal, action, target) == fresh.can(principal, action, target), \
                    (principal, action, target)
    assert [vars(e) for e in derived.edges] == [vars(e) for e in StackPaths(fresh).edges]


def test_every_question_of_the_rules_is_worked_out_once(real_template_path, monkeypatch):
    """Across every rule, and the escalation search's second pass where rewritable roles hold
    their boundaries, ``can`` works out each (principal, action, resource) once: a role the
    second pass leaves alone is not asked about again."""
    from collections import Counter

    from tests.unit.findings.test_findings_unchanged import _hardened, values
    from wizard.findings.paths import stack_paths
    from wizard.findings.rules import detectors

    worked_out = Counter()
    work = RuleContext._can

    def counted(self, principal, action, target):
        worked_out[principal, action, target] += 1
        return work(self, principal, action, target)

    monkeypatch.setattr(RuleContext, "_can", counted)
    template = _hardened("stable.yaml")
    ctx = context_of(template, values(template, "stable.yaml", "ManualApproval"))
    for detect in detectors().values():
        list(detect(ctx))
    reach = stack_paths(ctx).reach
    assert reach is not stack_paths(ctx) and worked_out
    held = {p for p in {*ctx.allows, *reach.ctx.allows} if ctx.allows.get(p) != reach.ctx.allows.get(p)}
    assert held
    again = sorted(key[:2] for key, n in worked_out.items() if n > 1 and key[0] not in held)
    assert not again
