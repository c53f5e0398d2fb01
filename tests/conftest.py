"""Shared fixtures: the real Quilt template (read in place, never copied), isolated homes, moto."""

from __future__ import annotations

import signal
from pathlib import Path

import pytest

# A run started in the background by a shell without job control inherits Ctrl-C ignored, and every
# command the tests start would inherit that too (the command keeps an ignored Ctrl-C ignored, as
# Python does): the tests of Ctrl-C need it delivered, so the run takes Python's usual handling.
if signal.getsignal(signal.SIGINT) == signal.SIG_IGN:
    signal.signal(signal.SIGINT, signal.default_int_handler)

# moto's server and the isolated AWS environment, shared by the AWS tests and the wizard's AWS screens.
from tests.moto import aws_environment, boto_session, endpoint, moto_server, moto_session  # noqa: F401

ROOT = Path(__file__).resolve().parent.parent
#: The vendor fixtures sit in a "shared" folder beside the checkout (or beside a folder of checkouts).
REAL = next((p / "shared" / "fixtures" / "quilt-real" / "stable.yaml" for p in ROOT.parents
             if (p / "shared" / "fixtures" / "quilt-real").is_dir()),
            ROOT.parent / "shared" / "fixtures" / "quilt-real" / "stable.yaml")
DATA = Path(__file__).resolve().parent / "data"

#: Values for the real template's parameters that have no Default.
REAL_REQUIRED = {
    "AdminEmail": "admin@example.com",
    "DBUrl": "postgresql://quilt:secret@db.internal:5432/quilt",
    "DBAccessorSecurityGroup": "sg-0123456789abcdef0",
    "CertificateArnELB": "arn:aws:acm:us-east-1:123456789012:certificate/abcd",
    "QuiltWebHost": "quilt.example.com",
    "SearchDomainArn": "arn:aws:es:us-east-1:123456789012:domain/quilt",
    "SearchDomainEndpoint": "search.example.com",
    "SearchClusterAccessorSecurityGroup": "sg-0123456789abcdef1",
    "GoogleClientId": "",
    "GoogleClientSecret": "",
    "OktaClientId": "",
    "OktaClientSecret": "",
    "OktaBaseUrl": "",
    "OneLoginClientId": "",
    "OneLoginClientSecret": "",
    "OneLoginBaseUrl": "",
    "AzureClientId": "",
    "AzureClientSecret": "",
    "AzureBaseUrl": "",
    "SingleSignOnDomains": "",
    "VPC": "vpc-0123456789abcdef0",
    "Subnets": "subnet-00000001,subnet-00000002",
    "UserSecurityGroup": "sg-0123456789abcdef2",
    "PublicSubnets": "subnet-00000003,subnet-00000004",
    "CloudTrailBucket": "acme-cloudtrail",
    "CanaryNotificationsEmail": "ops@example.com",
    "AdminPassword": "",
}


@pytest.fixture(scope="session")
def real_template_path() -> Path:
    if not REAL.is_file():
        pytest.skip("the real Quilt template fixture (../shared/fixtures/quilt-real) is absent")
    return REAL


@pytest.fixture(autouse=True)
def isolated_home(tmp_path_factory, monkeypatch):
    """Every test gets its own config/data/cache folders, never the user's."""
    home = tmp_path_factory.mktemp("qw-home")
    monkeypatch.setenv("QUILT_WIZARD_HOME", str(home))
    monkeypatch.setenv("NO_COLOR", "1")
    return home


@pytest.fixture
def real_evaluation(real_template_path):
    """Evaluate the real template with its required values plus ``overrides``."""
    from wizard.cfn.evaluate import Evaluation
    from wizard.cfn.parameters import resolve_parameters
    from wizard.cfn.template import load_template

    template = load_template(real_template_path)

    def run(**overrides):
        return Evaluation(template, resolve_parameters(template, {**REAL_REQUIRED, **overrides}))

    return run
