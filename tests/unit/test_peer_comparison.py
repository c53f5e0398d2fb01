"""The comparisons with checkov and parliament stay true: what they flag in our scope, we flag too.

Reads the committed result lists (``tests/data/peer-checkov-results.json``,
``tests/data/peer-parliament-results.json``) and the written comparison
(``tests/data/peer-comparison.md``); it runs neither tool.
"""

from __future__ import annotations

import json
import re

import pytest

from tests.conftest import DATA, REAL_REQUIRED
from wizard.cfn.evaluate import Evaluation
from wizard.findings import evaluate_findings
from wizard.findings.catalog import catalog
from wizard.cfn.parameters import resolve_parameters
from wizard.cfn.template import load_template

RESULTS = json.loads((DATA / "peer-checkov-results.json").read_text())["results"]
PARLIAMENT = json.loads((DATA / "peer-parliament-results.json").read_text())
COMPARISON = (DATA / "peer-comparison.md").read_text()


@pytest.fixture(scope="module")
def findings(real_template_path):
    template = load_template(real_template_path)
    return evaluate_findings(Evaluation(template, resolve_parameters(template, REAL_REQUIRED)))


def logical_id(resource: str) -> str:
    """``AWS::IAM::Role.AccessCountsRole`` -> ``AccessCountsRole``."""
    return resource.rsplit(".", 1)[-1]


def raised(findings, rule_id: str, resource: str) -> bool:
    return any(f.rule_id == rule_id and logical_id(resource) in f.resources for f in findings)


def test_the_result_list_is_well_formed():
    known = set(catalog().rules)
    assert RESULTS
    for entry in RESULTS:
        assert entry["result"] in ("passed", "failed")
        assert re.fullmatch(r"CKV2?_AWS_\d+", entry["check_id"])
        assert set(entry["rules"]) <= known
        assert set(entry.get("counterpart", [])) <= known


@pytest.mark.parametrize("entry", [e for e in RESULTS if e["rules"]], ids=lambda e: f"{e['check_id']}-{e['resource']}")
def test_we_raise_what_we_claim_to_raise(findings, entry):
    for rule_id in entry["rules"]:
        assert raised(findings, rule_id, entry["resource"]), f"{rule_id} not raised for {entry['resource']}"


@pytest.mark.parametrize("entry", [e for e in RESULTS if e.get("counterpart")],
                         ids=lambda e: f"{e['check_id']}-{e['resource']}")
def test_we_agree_where_checkov_passes(findings, entry):
    for rule_id in entry["counterpart"]:
        assert not raised(findings, rule_id, entry["resource"])


def test_every_failed_check_we_do_not_raise_is_explained():
    unexplained = set()
    for entry in RESULTS:
        if entry["result"] == "failed" and not entry["rules"]:
            line = re.search(rf"^- `{entry['check_id']}` .*(not raised|out of scope): \S", COMPARISON, re.MULTILINE)
            if line is None:
                unexplained.add(entry["check_id"])
    assert unexplained == set()


def test_every_failed_check_we_raise_is_in_the_comparison_table():
    for entry in RESULTS:
        if entry["result"] == "failed" and entry["rules"]:
            row = next((line for line in COMPARISON.splitlines()
                        if line.startswith(f"| {entry['check_id']} ") and logical_id(entry["resource"]) in line), None)
            assert row is not None, entry
            assert all(rule in row for rule in entry["rules"])


def principal_of(entry: dict) -> str:
    """``SNSKMSKey (policy)`` -> ``SNSKMSKey``."""
    return entry["principal"].split(" (", 1)[0]


def test_the_parliament_result_is_well_formed_and_described():
    known = set(catalog().rules)
    assert PARLIAMENT["tool"] == "parliament" and PARLIAMENT["results"]
    assert f"parliament {PARLIAMENT['version']}" in COMPARISON
    assert f"{PARLIAMENT['summary']['findings']} findings" in COMPARISON
    for entry in PARLIAMENT["results"]:
        assert set(entry["rules"]) <= known


@pytest.mark.parametrize("entry", [e for e in PARLIAMENT["results"] if e["rules"]],
                         ids=lambda e: f"{e['issue']}-{e['source']}")
def test_we_raise_what_parliament_raises_where_we_claim_to(findings, entry):
    for rule_id in entry["rules"]:
        assert raised(findings, rule_id, principal_of(entry)), f"{rule_id} not raised for {entry['principal']}"


def test_every_parliament_result_we_do_not_raise_is_explained():
    parliament = COMPARISON.split("# Peer comparison: parliament", 1)[1]
    lines = parliament.split("## Raised by parliament, not by us", 1)[1].splitlines()
    unexplained = set()
    for entry in PARLIAMENT["results"]:
        if entry["rules"]:
            continue
        heads = [line.split(" — ")[0] for line in lines if line.startswith("- ") and " — not raised: " in line]
        if not any(f"`{entry['issue']}`" in head and principal_of(entry) in head for head in heads):
            unexplained.add((entry["issue"], principal_of(entry)))
    assert unexplained == set()
