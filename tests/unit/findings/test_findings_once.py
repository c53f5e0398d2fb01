"""The findings of one evaluation are found once: asked again (the headless run asks with the
chosen frameworks, then without them for the change in risk), only the rules that read the
frameworks run again, and the findings are those a first asking gives."""

from __future__ import annotations

from functools import cached_property

import pytest

import wizard.findings.rules as rules_package
from wizard.findings import _watched_context, evaluate_findings
from wizard.findings.context import RuleContext
from wizard.iam.grants import extract
from wizard.iam.network import network_rules

ORDERS = [[None, ["soc2", "hipaa"], None, ["pci-dss"]], [["pci-dss"], None, ["soc2"], ["soc2"]]]


def _counted(monkeypatch) -> dict[str, int]:
    calls: dict[str, int] = {}
    real = rules_package.detectors()

    def wrap(rule_id, detect):
        def counted(context):
            calls[rule_id] = calls.get(rule_id, 0) + 1
            return detect(context)
        return counted

    wrapped = {rule_id: wrap(rule_id, detect) for rule_id, detect in real.items()}
    monkeypatch.setattr(rules_package, "detectors", lambda: wrapped)
    return calls


def _json(findings) -> list[dict]:
    return [f.to_json() for f in findings]


@pytest.mark.parametrize("order", ORDERS, ids=["none-first", "framework-first"])
def test_asked_again_the_findings_are_those_of_a_first_asking(real_evaluation, order):
    evaluation = real_evaluation()
    grants, net = extract(evaluation), network_rules(evaluation)
    for frameworks in order:
        again = evaluate_findings(evaluation, list(grants), list(net), frameworks)
        fresh = real_evaluation()  # a new evaluation: nothing known of it
        first = evaluate_findings(fresh, extract(fresh), network_rules(fresh), frameworks)
        assert again and _json(again) == _json(first)


def test_only_the_rules_that_read_the_frameworks_run_again(real_evaluation, monkeypatch):
    evaluation = real_evaluation()
    grants, net = extract(evaluation), network_rules(evaluation)
    calls = _counted(monkeypatch)
    evaluate_findings(evaluation, list(grants), list(net), ["soc2", "hipaa"])
    assert calls and set(calls.values()) == {1}
    evaluate_findings(evaluation, list(grants), list(net))
    evaluate_findings(evaluation, list(grants), list(net), ["soc2", "hipaa"])
    again = sorted(rule for rule, n in calls.items() if n > 1)
    assert again == ["QW-LOG-007"], "the log retention the frameworks require"
    assert calls["QW-ESC-003"] == 1, "handing the frameworks to a derived context is not reading them"


def test_other_grants_of_the_same_evaluation_are_judged_again(real_evaluation, monkeypatch):
    evaluation = real_evaluation()
    grants, net = extract(evaluation), network_rules(evaluation)
    calls = _counted(monkeypatch)
    evaluate_findings(evaluation, list(grants), list(net))
    evaluate_findings(evaluation, list(grants)[:10], list(net))
    assert set(calls.values()) == {2}


def test_no_value_the_context_keeps_for_every_rule_reads_the_frameworks(real_evaluation):
    evaluation = real_evaluation()
    context = _watched_context()(evaluation, extract(evaluation), network_rules(evaluation), ("soc2",))
    names = [n for n, v in vars(RuleContext).items() if isinstance(v, cached_property)]
    assert names
    for name in names:
        getattr(context, name)
    assert not context.frameworks_read
