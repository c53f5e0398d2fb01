"""``quilt-wizard harden`` and ``--harden`` on the analysis commands, on the vendor's template."""

from __future__ import annotations

import json

import pytest

from tests.conftest import REAL, REAL_REQUIRED
from wizard.cfn.template import parse_template
from wizard.cli import main


@pytest.fixture
def vendor_path(real_template_path):
    return str(real_template_path)


def _sets(values: dict) -> list[str]:
    return [arg for k, v in values.items() for arg in ("--set", f"{k}={v}")]


def test_harden_writes_the_template_to_stdout_and_the_story_to_stderr(vendor_path, capsys):
    assert main(["harden", "--template", vendor_path]) == 0
    out, err = capsys.readouterr()
    hardened = parse_template(out, "stdout")
    assert "PolicyCreationMode" in hardened.parameters
    assert "QuiltWizard::Overlay" in hardened.body["Metadata"]
    assert "applied" in err and "AmazonECSTaskExecutionRole/root#9" in err
    assert "EnableTaskTLS" in err and "needs a change by the vendor" in err


def test_harden_to_a_file_never_replaces_one_without_force(vendor_path, tmp_path, capsys):
    out = tmp_path / "hardened.yaml"
    assert main(["harden", "--template", vendor_path, "--out", str(out)]) == 0
    first = out.read_text()
    assert "Wrote" in capsys.readouterr().out
    out.write_text("mine")
    assert main(["harden", "--template", vendor_path, "--out", str(out)]) == 2
    assert out.read_text() == "mine" and "--force" in capsys.readouterr().err
    assert main(["harden", "--template", vendor_path, "--out", str(out), "--force"]) == 0
    assert out.read_text() == first


def test_harden_json_reports_each_rule(vendor_path, tmp_path, capsys):
    assert main(["harden", "--template", vendor_path, "--out", str(tmp_path / "h.yaml"), "--json"]) == 0
    report = json.loads(capsys.readouterr().out)
    rules = {r["rule"]: r for r in report["rules"]}
    assert rules["policy-creation"]["status"] == "applied"
    assert rules["policy-creation"]["steps"][0]["matched"][0]["holders"] == ["AmazonECSTaskExecutionRole"]
    assert rules["task-tls"]["status"] == "needs-vendor" and rules["task-tls"]["needs_vendor"]
    assert report["vendor_sha256"] and "TrustExternalPrincipals" in report["parameters_added"]


def test_a_rule_that_matches_nothing_warns_and_exits_0(tmp_path, capsys):
    iam_part = REAL.parent / "stable-iam.yaml"
    if not iam_part.is_file():
        pytest.skip("the real Quilt template fixture (../shared/fixtures/quilt-real) is absent")
    assert main(["harden", "--template", str(iam_part), "--out", str(tmp_path / "iam.yaml")]) == 0
    out = capsys.readouterr().out
    assert "warning: rule athena-workgroups (AllowedAthenaWorkgroups) matched nothing" in out


def test_grants_and_diff_take_harden(vendor_path, capsys):
    base = ["--template", vendor_path, *_sets(REAL_REQUIRED)]
    assert main(["grants", *base, "--harden", "--set", "PolicyCreationMode=ManualApproval", "--json"]) == 0
    found = json.loads(capsys.readouterr().out)["grants"]
    assert any(g["principal"] == "PolicyApproverRole" for g in found)
    assert main(["diff", "--template", vendor_path, "--harden", "--set", "CustomerBucketPrefix=acme-", "--json",
                 "--fail-on-broadening"]) == 0
    change = json.loads(capsys.readouterr().out)
    assert change["added"] and not change["broadening"]
    assert main(["grants", *base, "--set", "PolicyCreationMode=ManualApproval"]) == 2, \
        "without --harden the vendor's template has no such parameter"


def test_render_and_report_take_harden(vendor_path, tmp_path, capsys):
    base = ["--template", vendor_path, *_sets(REAL_REQUIRED), "--harden"]
    assert main(["render", *base, "--set", "EnableCloudWatchIntegration=true", "--json"]) == 0
    rendered = json.loads(capsys.readouterr().out)
    assert rendered["Resources"]["QuiltTrail"]["Properties"]["IsMultiRegionTrail"] is True
    assert main(["report", *base, "--out", str(tmp_path / "report")]) == 0
    assert (tmp_path / "report" / "security-report.md").is_file()


def test_a_template_too_close_to_the_size_limit_to_harden_is_refused_clearly(vendor_path, tmp_path, capsys):
    """The overlay adds parameters, conditions and statements: a vendor template just under
    CloudFormation's 1 MB would grow over it. One message and exit 2, nothing written."""
    from wizard.cfn.template import MAX_TEMPLATE_BYTES

    text = open(vendor_path).read()
    padding = MAX_TEMPLATE_BYTES - len(text.encode()) - 200
    big = tmp_path / "big.yaml"
    big.write_text(text.rstrip("\n") + f"\nMetadata:\n  Padding: {'x' * padding}\n"
                   if "\nMetadata:" not in text else text.replace("\nMetadata:\n", f"\nMetadata:\n  Padding: {'x' * padding}\n", 1))
    assert len(big.read_bytes()) <= MAX_TEMPLATE_BYTES
    out = tmp_path / "hardened.yaml"
    assert main(["harden", "--template", str(big), "--out", str(out)]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "big.yaml" in err and "over CloudFormation's limit of 1,048,576" in err
    assert not out.exists()
