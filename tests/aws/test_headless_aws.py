"""The headless run's AWS steps as a real process, against the local moto server."""

from __future__ import annotations

import json

from tests.moto import free_port, import_certificate, network_settings
from tests.cli_run import run_cli
from tests.conftest import DATA

GOOD = str(DATA / "answers" / "good-standard.yaml")
ACCOUNT = "123456789012"  # moto's account


def test_a_headless_run_creates_a_change_set_from_an_answers_file(session, endpoint, tmp_path):
    session.client("s3").create_bucket(Bucket="acme-cfn-templates")
    arn = import_certificate(session, "quilt.example.com")
    result = run_cli("--answers", GOOD, "--account-id", ACCOUNT, "--set", f"CertificateArnELB={arn}", *network_settings(session),
                     "--out", str(tmp_path / "p.json"), "--preflight", "--create-change-set",
                     "--template-bucket", "acme-cfn-templates", "--endpoint-url", endpoint, "--json")
    assert result.code == 0, result.err
    summary = json.loads(result.out)
    checks = {c["name"]: c["status"] for c in summary["aws"]["preflight"]["checks"]}
    assert checks["certificate"] == "pass" and checks["certificate-host"] == "pass"
    assert checks["stack"] == "pass"
    assert checks["vpc"] == "pass" and checks["subnets"] == "pass"  # the parameters' VPC and subnets exist
    change_set = summary["aws"]["change_set"]
    assert change_set["change_set_type"] == "CREATE"
    assert change_set["template_url"].startswith("https://acme-cfn-templates.s3")
    assert "CertificateArnELB" in change_set["parameter_keys"]
    assert summary["aws"]["executed"] is False
    assert "... Checking" in result.err  # progress on standard error
    stacks = session.client("cloudformation").list_stacks()["StackSummaries"]
    assert all(s["StackStatus"] in ("REVIEW_IN_PROGRESS",) for s in stacks)  # created, not executed


def test_a_failed_preflight_stops_before_the_change_set(session, endpoint, tmp_path):
    missing = f"arn:aws:acm:us-east-1:{ACCOUNT}:certificate/0f1e2d3c-4b5a-6978-8796-a5b4c3d2e1f0"
    result = run_cli("--answers", GOOD, "--account-id", ACCOUNT, "--set", f"CertificateArnELB={missing}",
                     "--out", str(tmp_path / "p.json"), "--preflight", "--create-change-set",
                     "--template-bucket", "acme-cfn-templates", "--endpoint-url", endpoint)
    assert result.code == 1, result.err
    assert "preflight failed: certificate" in result.err
    assert "FAIL" in result.out
    assert not session.client("cloudformation").list_stacks()["StackSummaries"]


def test_credentials_for_another_account_are_refused(session, endpoint, tmp_path):
    certificate = "arn:aws:acm:us-east-1:999999999999:certificate/0f1e2d3c-4b5a-6978-8796-a5b4c3d2e1f0"
    result = run_cli("--answers", GOOD, "--account-id", "999999999999", "--set", f"CertificateArnELB={certificate}",
                     "--out", str(tmp_path / "p.json"), "--create-change-set", "--template-bucket", "acme-cfn-templates", "--endpoint-url", endpoint)
    assert result.code == 3, result.err
    assert "999999999999" in result.err and ACCOUNT in result.err


def test_an_unreachable_endpoint_is_exit_3(tmp_path):
    result = run_cli("--answers", GOOD, "--out", str(tmp_path / "p.json"), "--preflight",
                     "--endpoint-url", f"http://127.0.0.1:{free_port()}")
    assert result.code == 3
    errors = [line for line in result.err.splitlines() if line.startswith("quilt-wizard:")]
    assert len(errors) == 1 and "Cannot reach the AWS endpoint" in errors[0]
    assert "Traceback" not in result.err


def test_execute_without_confirmation_is_refused(tmp_path):
    result = run_cli("--answers", GOOD, "--out", str(tmp_path / "p.json"), "--execute")
    assert result.code == 2 and "--execute needs --create-change-set" in result.err
