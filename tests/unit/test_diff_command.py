"""``quilt-wizard diff`` end to end on the embedded template: the verdicts of issue 15 (a role
deleted with its Denies, task TLS turned off), the ``--json`` shape, the gates and
``--from-params``; and the headless run's ``--fail-on-weakening``."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from wizard.cli import main
from wizard.flow.paramfile import render_parameter_file

ENHANCED = ["--from", "EnableEnhancedSecurity=true", "--set", "EnableEnhancedSecurity=true"]


def _diff(capsys, *args: str) -> tuple[int, dict]:
    code = main(["diff", *args, "--json"])
    return code, json.loads(capsys.readouterr().out)


def test_the_approver_role_deleted_with_its_denies_is_not_broadening(capsys):
    code, result = _diff(capsys, "--from", "PolicyCreationMode=ManualApproval", "--set",
                         "PolicyCreationMode=PreCreated", *ENHANCED)
    assert code == 0 and result["broadening"] is False
    denies = [c for c in result["removed"] if c["effect"] == "Deny" and c["kind"] == "identity"]
    assert {c["principal"] for c in denies} == {"PolicyApproverRole"}
    assert all(c["reason"] == "PolicyApproverRole is gone with it" and not c["broadening"] for c in denies)
    # Keeping the role and choosing automatic creation instead is a real broadening.
    code, back = _diff(capsys, "--from", "PolicyCreationMode=ManualApproval", "--set",
                       "PolicyCreationMode=Automatic", *ENHANCED)
    assert back["broadening"] is True


def test_task_tls_turned_off_is_a_weakening_with_a_reason(capsys):
    code, result = _diff(capsys, "--from", "EnableTaskTLS=true", "--set", "EnableTaskTLS=false")
    assert code == 0
    assert result["broadening"] is False and result["weakening"] is True
    assert [(w["control"], w["resource"], w["detail"]) for w in result["weakenings"]] == \
        [("plaintext-target", "RegistryTargetGroup", "HTTP/80")]
    code, result = _diff(capsys, "--from", "EnableTaskTLS=false", "--set", "EnableTaskTLS=true")
    assert result["weakening"] is False
    assert [g["control"] for g in result["gains"]] == ["plaintext-target"]


KEY = "arn:aws:kms:us-east-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab"


def test_trail_encryption_and_cloudwatch_are_gains_and_their_removal_weakenings(capsys):
    hardened = [f"KMSKeyId={KEY}", "EnableCloudWatchIntegration=true"]
    code, result = _diff(capsys, *[a for v in hardened for a in ("--set", v)])
    gains = {g["control"]: g for g in result["gains"]}
    assert gains["trail-kms"]["reason"] == f"trail QuiltTrail encrypted with key {KEY}"
    assert "trail-cloudwatch" in gains and result["weakening"] is False
    code, result = _diff(capsys, *[a for v in hardened for a in ("--from", v)])
    assert {w["control"] for w in result["weakenings"]} >= {"trail-kms", "trail-cloudwatch"}


def test_diff_json_shape(capsys):
    code, result = _diff(capsys, "--set", "LoadBalancerScheme=internal", "--set", "EnableTaskTLS=true")
    assert set(result) == {"added", "removed", "network", "broadening", "weakening", "weakenings", "gains",
                           "lost_access", "collateral"}
    assert result["lost_access"] == [] and result["collateral"] == [], "a network change loses no IAM access"
    assert set(result["network"]) == {"added", "removed"}
    for change in (*result["added"], *result["removed"]):
        assert {"principal", "kind", "effect", "actions", "broadening", "reason"} <= set(change)
    for change in (*result["network"]["added"], *result["network"]["removed"]):
        assert {"kind", "resource", "protocol", "from_port", "peer", "broadening", "reason"} <= set(change)
    for change in (*result["weakenings"], *result["gains"]):
        assert set(change) == {"control", "category", "resource", "where", "detail", "reason"}
    assert {g["control"] for g in result["gains"]} == {"internet-facing", "plaintext-target"}


@pytest.mark.parametrize("args, broadening_gate, weakening_gate", [
    (("--from", "EnableTaskTLS=true", "--set", "EnableTaskTLS=false"), 1, 1),  # a weakening only
    (("--from", "InternalApiPort=0", "--set", "InternalApiPort=444"), 1, 0),   # a new listener: broadening only
    (("--from", "EnableTaskTLS=false", "--set", "EnableTaskTLS=true"), 0, 0),  # a gain
], ids=["weakening", "broadening", "gain"])
def test_gates(capsys, args, broadening_gate, weakening_gate):
    for flag, expected in (("--fail-on-broadening", broadening_gate), ("--fail-on-weakening", weakening_gate)):
        code = main(["diff", *args, flag])
        err = capsys.readouterr().err
        assert code == expected, (flag, err)
        assert (flag in err) is bool(expected)


def test_the_weakening_gate_names_the_reason(capsys):
    tls_off = ["diff", "--from", "EnableTaskTLS=true", "--set", "EnableTaskTLS=false"]
    assert main([*tls_off, "--fail-on-weakening"]) == 1
    assert capsys.readouterr().err.strip() == (
        "quilt-wizard: the change weakens security: target group RegistryTargetGroup reaches its targets "
        "over unencrypted HTTP/80 (--fail-on-weakening)")
    assert main([*tls_off, "--fail-on-broadening"]) == 1
    assert capsys.readouterr().err.strip().endswith(" HTTP/80 (--fail-on-broadening)")


def test_from_params_reads_a_baseline_file(tmp_path, capsys):
    baseline = tmp_path / "before.json"
    baseline.write_text(render_parameter_file({"EnableTaskTLS": "true", "LoadBalancerScheme": "internal"}, "cfn", {}))
    code, result = _diff(capsys, "--from-params", str(baseline), "--set", "LoadBalancerScheme=internal")
    assert result["weakening"] is True and result["broadening"] is False
    code, result = _diff(capsys, "--from-params", str(baseline), "--set", "EnableTaskTLS=true",
                         "--set", "LoadBalancerScheme=internal")
    assert result["added"] == result["removed"] == [] and result["weakenings"] == result["gains"] == []


def test_headless_fail_on_weakening(tmp_path, capsys):
    answers = str(Path(__file__).resolve().parent.parent / "data" / "answers" / "good-standard.yaml")
    out = tmp_path / "p.json"
    args = ["--answers", answers, "--out", str(out), "--baseline", "restricted", "--json"]
    assert main([*args, "--set", "EnableTaskTLS=false", "--fail-on-weakening"]) == 1
    captured = capsys.readouterr()
    summary = json.loads(captured.out)
    assert summary["diff"]["weakening"] is True
    assert "plaintext-target" in {w["control"] for w in summary["diff"]["weakenings"]}
    assert "--fail-on-weakening" in captured.err
    # The same answers against the standard mode lower nothing: the gate passes.
    out.unlink(missing_ok=True)
    assert main(["--answers", answers, "--out", str(out), "--baseline", "standard", "--json",
                 "--set", "EnableTaskTLS=false", "--fail-on-weakening"]) == 0
    assert json.loads(capsys.readouterr().out)["diff"]["weakening"] is False
