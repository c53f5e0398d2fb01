"""Every verdict rule as a two-sided case under ``tests/data/verdicts/``, one file a case.

A case holds the template before and after (or ``statements:`` of one role's policy), the
verdict worked out by hand from the IAM and CloudFormation semantics (its comment says why),
and usually the verdict of the reverse change. The diff is computed from the evaluated
resources, so each case checks the grants, rules and controls the diff reads, not text.
"""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from wizard.cfn.evaluate import Evaluation
from wizard.cfn.parameters import resolve_parameters
from wizard.cfn.template import parse_template
from wizard.iam.diff import PermissionDiff, diff_evaluations

CASES = Path(__file__).resolve().parent.parent / "data" / "verdicts"


def _template(side) -> str:
    if isinstance(side, str):
        return side
    role = {"Resources": {"Role": {"Type": "AWS::IAM::Role", "Properties": {
        "AssumeRolePolicyDocument": {"Statement": [{"Effect": "Allow", "Principal": {"Service": "lambda.amazonaws.com"},
                                                    "Action": "sts:AssumeRole"}]},
        "Policies": [{"PolicyName": "p", "PolicyDocument": {"Statement": side["statements"]}}]}}}}
    return yaml.safe_dump(role)


def _evaluation(side) -> Evaluation:
    template = parse_template(_template(side))
    return Evaluation(template, resolve_parameters(template, {}))


def _reasons(result: PermissionDiff) -> list[str]:
    flagged = [c.reason for c in (*result.added, *result.removed, *result.network_added, *result.network_removed)
               if c.broadening or any(word in c.reason for word in ("replaces", "blocks", "within"))]
    return flagged + [c.reason for c in result.weakenings]


def _check(result: PermissionDiff, expect: dict, name: str) -> None:
    for change in (*result.added, *result.removed, *result.network_added, *result.network_removed):
        assert isinstance(change.broadening, bool) and isinstance(change.reason, str), name
    if "broadening" in expect:
        assert result.broadening is expect["broadening"], f"{name}: broadening, reasons {_reasons(result)}"
    if "weakening" in expect:
        assert result.weakening is expect["weakening"], f"{name}: weakening, {[c.reason for c in result.weakenings]}"
    if "reason" in expect:
        assert any(r.startswith(expect["reason"]) for r in _reasons(result)), f"{name}: {_reasons(result)}"
    if "removed_reason" in expect:
        assert any(c.reason == expect["removed_reason"] for c in result.removed), \
            f"{name}: {[c.reason for c in result.removed]}"
    if "removed_reasons" in expect:
        assert sorted(c.reason for c in result.removed) == sorted(expect["removed_reasons"]), name
    if "added_reasons" in expect:
        assert sorted(c.reason for c in result.added) == sorted(expect["added_reasons"]), name
    if "network_removed" in expect:
        assert len(result.network_removed) == expect["network_removed"], name
    if "gain" in expect:
        assert any(c.reason.startswith(expect["gain"]) for c in result.gains), \
            f"{name}: {[c.reason for c in result.gains]}"
    if "gains" in expect:
        assert len(result.gains) == expect["gains"], f"{name}: {[c.reason for c in result.gains]}"


@pytest.mark.parametrize("path", sorted(CASES.glob("*.yaml")), ids=lambda p: p.stem)
def test_verdict_case(path: Path):
    case = yaml.safe_load(path.read_text(encoding="utf-8"))
    before, after = _evaluation(case["before"]), _evaluation(case["after"])
    _check(diff_evaluations(before, after), case["expect"], path.stem)
    if "reverse" in case:
        _check(diff_evaluations(after, before), case["reverse"], path.stem + " (reversed)")


def test_every_case_says_why():
    for path in CASES.glob("*.yaml"):
        assert path.read_text(encoding="utf-8").startswith("# "), f"{path.name} has no comment saying why"
