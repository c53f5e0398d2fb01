"""Every policy carrier is read: one template a case under ``tests/data/carriers/``.

``good/`` holds a well-formed template for each carrier and, in its ``Metadata/Expect``, the
grants ``grants --json`` must list (each expected record is matched on the fields it gives;
``source`` and ``policy`` compare with the grant's source resource and policy name). ``bad/``
holds the same carriers broken: an unreadable document must be listed under ``not_analysed``
(and give no grant), a malformed reference must be one line and exit status 2.
"""

from __future__ import annotations

import json

import pytest

from tests.conftest import DATA
from wizard.cfn.yamlsource import parse_yaml
from wizard.cli import main

CASES = DATA / "carriers"
GOOD = sorted((CASES / "good").glob("*.yaml"))
BAD = sorted((CASES / "bad").glob("*.yaml"))


def expectations(path) -> dict:
    return parse_yaml(path.read_text(), str(path))["Metadata"]["Expect"]


def grants_json(path, capsys) -> tuple[int, dict, str]:
    code = main(["grants", "--template", str(path), "--json"])
    out, err = capsys.readouterr()
    return code, (json.loads(out) if code == 0 else {}), err


def matches(record: dict, expected: dict) -> bool:
    for key, want in expected.items():
        if key == "source":
            got = record["source"]["resource"]
        elif key == "policy":
            got = record["source"]["policy"]
        else:
            got = record[key]
        if isinstance(want, list) and isinstance(got, list):
            if sorted(map(str, want)) != sorted(map(str, got)):
                return False
        elif got != want:
            return False
    return True


def test_every_carrier_has_a_good_and_a_bad_case():
    assert len(GOOD) >= 20 and len(BAD) >= 20


@pytest.mark.parametrize("path", GOOD, ids=lambda p: p.stem)
def test_a_good_carrier_gives_its_grants(path, capsys):
    code, result, err = grants_json(path, capsys)
    assert code == 0, err
    expected = expectations(path)
    for want in expected.get("grants", []):
        assert any(matches(g, want) for g in result["grants"]), f"{path.name}: no grant like {want}"
    for want in expected.get("not_analysed", []):
        assert any(matches(n, want) for n in result["not_analysed"]), f"{path.name}: {want} not listed"
    if "not_analysed" not in expected:
        assert result["not_analysed"] == []


@pytest.mark.parametrize("path", BAD, ids=lambda p: p.stem)
def test_a_bad_carrier_is_reported_never_skipped(path, capsys):
    code, result, err = grants_json(path, capsys)
    expected = expectations(path)
    if "error" in expected:
        assert code == 2
        assert expected["error"] in err and len(err.strip().splitlines()) == 1
        return
    assert code == 0, err
    for want in expected["not_analysed"]:
        assert any(matches(n, want) for n in result["not_analysed"]), f"{path.name}: {want} not listed"
        assert not [g for g in result["grants"] if g["source"]["resource"] == want["resource"]
                    and g["kind"] != "trust" and not g["attachment"]]


def test_the_text_listing_names_what_it_did_not_analyse(capsys):
    assert main(["grants", "--template", str(CASES / "good" / "not-analysed-type.yaml")]) == 0
    out = capsys.readouterr().out
    assert "Not analysed: 1 policy documents" in out
    assert "DevicePolicy (AWS::IoT::Policy) PolicyDocument" in out


def test_an_unattached_managed_policy_shows_its_attachment_as_none(capsys):
    assert main(["grants", "--template", str(CASES / "good" / "managed-policy-unattached.yaml")]) == 0
    assert "Exported (attached to none)" in capsys.readouterr().out


def test_the_report_names_what_was_not_analysed(tmp_path, capsys):
    out = tmp_path / "report"
    assert main(["report", "--template", str(CASES / "good" / "not-analysed-type.yaml"), "--out", str(out),
                 "--json"]) == 0
    findings = json.loads(capsys.readouterr().out)["findings"]
    assert [f["rule_id"] for f in findings if "DevicePolicy" in f["message"]] == ["QW-IAM-111"]
    assert "DevicePolicy (AWS::IoT::Policy) holds a policy document" in next(out.glob("*.md")).read_text()
