"""The session: credential chain, region, endpoint, retries, identity and the account guard."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from tests.moto import ACCOUNT, REGION, free_port
from wizard.aws import (AwsSession, CredentialsError, EndpointUnreachable, caller_identity,
                        make_session, require_account)
from wizard.errors import AwsError


def test_importing_the_aws_package_does_not_import_boto3() -> None:
    code = ("import sys, wizard.aws, wizard.aws.session, wizard.aws.preflight, "
            "wizard.aws.changeset, wizard.aws.errors\n"
            "from wizard.aws import run_preflight, ChangeSetResult, render_preflight\n"
            "loaded = sorted(m for m in sys.modules if m.split('.')[0] in ('boto3', 'botocore'))\n"
            "print(loaded)\n")
    root = Path(__file__).resolve().parents[2]
    out = subprocess.run([sys.executable, "-c", code], cwd=root, capture_output=True,
                         text=True, check=True).stdout
    assert out.strip() == "[]"


def test_caller_identity_is_the_account_of_the_credentials(session: AwsSession) -> None:
    identity = caller_identity(session)
    assert identity.account == ACCOUNT
    assert identity.arn.startswith(f"arn:aws:sts::{ACCOUNT}:")


def test_require_account_passes_for_the_same_account(session: AwsSession) -> None:
    assert require_account(session, ACCOUNT).account == ACCOUNT


def test_require_account_refuses_another_account(session: AwsSession) -> None:
    with pytest.raises(AwsError) as caught:
        require_account(session, "999999999999")
    assert caught.value.exit_code == 3
    assert "999999999999" in str(caught.value) and ACCOUNT in str(caught.value)


def test_endpoint_url_and_retry_settings_apply_to_every_client(endpoint: str) -> None:
    session = make_session(region="eu-west-1", endpoint_url=endpoint, max_attempts=7)
    for service in ("cloudformation", "s3", "acm", "kms", "logs", "athena", "sts"):
        client = session.client(service)
        assert client.meta.endpoint_url == endpoint
        assert client.meta.region_name == "eu-west-1"
        assert client.meta.config.retries["mode"] == "standard"
        assert client.meta.config.retries["total_max_attempts"] == 7
    assert session.client("s3") is session.client("s3")


def test_region_comes_from_the_environment_when_not_given(endpoint: str) -> None:
    assert make_session(endpoint_url=endpoint).region == REGION


def test_profile_from_aws_profile_gives_region_and_credentials(
        endpoint: str, aws_environment: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (aws_environment / "aws-config").write_text("[profile acme]\nregion = eu-central-1\n")
    (aws_environment / "aws-credentials").write_text(
        "[acme]\naws_access_key_id = AKIDACME\naws_secret_access_key = secret\n")
    for name in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_DEFAULT_REGION"):
        monkeypatch.delenv(name)
    monkeypatch.setenv("AWS_PROFILE", "acme")
    session = make_session(endpoint_url=endpoint)
    assert (session.profile, session.region) == ("acme", "eu-central-1")
    assert session.boto_session.get_credentials().access_key == "AKIDACME"
    assert caller_identity(session).account == ACCOUNT


def test_unknown_profile_is_one_clear_error() -> None:
    with pytest.raises(CredentialsError, match="'nobody' is not defined"):
        make_session(profile="nobody")


def test_no_region_anywhere_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("AWS_DEFAULT_REGION")
    with pytest.raises(AwsError, match="No AWS region"):
        make_session()


def test_missing_credentials_are_one_clear_error(endpoint: str,
                                                monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("AWS_ACCESS_KEY_ID")
    monkeypatch.delenv("AWS_SECRET_ACCESS_KEY")
    session = make_session(region=REGION, endpoint_url=endpoint)
    with pytest.raises(CredentialsError, match="No AWS credentials found") as caught:
        caller_identity(session)
    assert caught.value.exit_code == 3


def test_closed_port_is_an_unreachable_endpoint() -> None:
    url = f"http://127.0.0.1:{free_port()}"
    session = make_session(region=REGION, endpoint_url=url, max_attempts=1)
    with pytest.raises(EndpointUnreachable) as caught:
        caller_identity(session)
    assert url in str(caught.value) and "sts:GetCallerIdentity" in str(caught.value)
    assert caught.value.exit_code == 3


def test_an_unreadable_aws_config_is_one_clear_error(aws_environment: Path) -> None:
    (aws_environment / "aws-config").write_text("[profile acme\nregion = eu-west-1\n")
    with pytest.raises(AwsError, match="AWS config cannot be read"):
        make_session(profile="acme")
