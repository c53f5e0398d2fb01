"""The account's AWS managed policies against the bundled copy, on a moto server that holds them.

moto ships its own (older) snapshot of the AWS managed policies and serves them when started
with ``MOTO_IAM_LOAD_MANAGED_POLICIES``; this module starts such a server of its own (the shared
one keeps IAM empty, and fast).
"""

from __future__ import annotations

import os
import subprocess
import time
import urllib.error
from collections.abc import Iterator

import pytest

from tests.moto import REGION, _moto_command, free_port, post
from wizard.aws import AwsSession, CheckStatus
from wizard.aws.checks import skipped
from wizard.aws.policy_versions import account_version, canonical_statements, managed_policy_check
from wizard.aws.preflight import run_preflight
from wizard.iam import managed_policies

BASIC = "arn:aws:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole"


@pytest.fixture(scope="module")
def policy_server() -> Iterator[str]:
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
    env.update(AWS_ACCESS_KEY_ID="testing", AWS_SECRET_ACCESS_KEY="testing", AWS_DEFAULT_REGION=REGION,
               MOTO_IAM_LOAD_MANAGED_POLICIES="true", NO_PROXY="127.0.0.1,localhost", no_proxy="127.0.0.1,localhost")
    process = subprocess.Popen(_moto_command(port), env=env, stdin=subprocess.DEVNULL,
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    try:
        while True:
            try:
                post(f"{url}/moto-api/reset")
                break
            except (urllib.error.URLError, ConnectionError, TimeoutError):
                if process.poll() is not None or time.monotonic() > deadline:
                    pytest.fail("moto's server did not start")
                time.sleep(0.1)
        yield url
    finally:
        process.terminate()
        process.wait(timeout=10)


@pytest.fixture
def aws(policy_server, aws_environment, boto_session) -> AwsSession:
    return AwsSession(boto_session, region=REGION, endpoint_url=policy_server, max_attempts=2)


def test_canonical_statements_ignore_order_sids_and_single_values():
    a = [{"Sid": "x", "Effect": "Allow", "Action": "s3:GetObject", "Resource": "*"}]
    b = [{"Effect": "Allow", "Action": ["s3:GetObject"], "Resource": ["*"]}]
    assert canonical_statements(a) == canonical_statements(b)
    assert canonical_statements(a) != canonical_statements([{**b[0], "Action": ["s3:PutObject"]}])


def test_the_account_version_is_read(aws):
    version, statements = account_version(aws, BASIC)
    assert version.startswith("v") and statements
    assert account_version(aws, "arn:aws:iam::aws:policy/NoSuchPolicyAnywhere") is None


def test_a_policy_whose_account_version_is_the_bundled_one_passes(aws):
    held = account_version(aws, BASIC)
    assert canonical_statements(held[1]) == canonical_statements(managed_policies.statements(BASIC))
    check = managed_policy_check(aws, [BASIC])
    assert check.status is CheckStatus.PASS and "match the bundled copy" in check.detail


def test_a_difference_from_the_bundled_copy_is_reported(aws):
    # moto's snapshot is older than the bundled dataset: find policies where they differ.
    names = ("AmazonEventBridgeFullAccess", "AmazonS3FullAccess", "AmazonECS_FullAccess", "AWSLambda_FullAccess",
             "AmazonSSMManagedInstanceCore", "CloudWatchAgentServerPolicy", "AmazonEC2ContainerRegistryReadOnly")
    arns = [f"arn:aws:iam::aws:policy/{n}" for n in names]
    differing = [a for a in arns if (held := account_version(aws, a)) is not None
                 and canonical_statements(held[1]) != canonical_statements(managed_policies.statements(a))]
    assert differing, "moto's snapshot matches the bundled copy for every sampled policy"
    check = managed_policy_check(aws, [BASIC, differing[0]])
    assert check.status is CheckStatus.WARN
    assert differing[0].rsplit("/", 1)[-1] in check.detail and "differs from the bundled copy" in check.detail
    assert BASIC.rsplit("/", 1)[-1] not in check.detail


def test_a_policy_the_account_does_not_know_is_a_warning(aws):
    check = managed_policy_check(aws, ["arn:aws:iam::aws:policy/NoSuchPolicyAnywhere"])
    assert check.status is CheckStatus.WARN and "does not know NoSuchPolicyAnywhere" in check.detail


def test_nothing_attached_is_a_skip(aws):
    assert managed_policy_check(aws, ["arn:aws:iam::123456789012:policy/Mine"]) == skipped(
        "aws-managed-policies", "the template attaches no AWS managed policy")


def test_the_preflight_runs_the_check_when_given_the_attached_policies(aws):
    report = run_preflight(aws, {}, stack_name="quilt", managed_policy_arns=[BASIC])
    assert report.check("aws-managed-policies").status is CheckStatus.PASS
    plain = run_preflight(aws, {}, stack_name="quilt")
    assert "aws-managed-policies" not in [c.name for c in plain.checks]
