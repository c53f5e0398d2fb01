"""One reading of a managed policy for the audit, approve and the preflight: the policy (None when
the account has none), and its versions' documents decoded."""

from __future__ import annotations

import json
from urllib.parse import quote

import pytest
from botocore.stub import Stubber

from tests.moto import ACCOUNT
from wizard.aws import AwsSession
from wizard.aws.iam_policies import get_policy, policy_document, version_document
from wizard.errors import AwsError

DOCUMENT = {"Version": "2012-10-17",
            "Statement": [{"Effect": "Allow", "Action": "s3:GetObject", "Resource": "arn:aws:s3:::b/a b"}]}


def test_a_policy_and_its_version_are_read(session: AwsSession) -> None:
    arn = session.client("iam").create_policy(PolicyName="Quilt-read", Path="/quilt/",
                                              PolicyDocument=json.dumps(DOCUMENT))["Policy"]["Arn"]
    policy = get_policy(session, arn)
    assert (policy["PolicyName"], policy["DefaultVersionId"]) == ("Quilt-read", "v1")
    assert version_document(session, arn, "v1") == DOCUMENT


def test_a_policy_the_account_does_not_hold_is_none(session: AwsSession) -> None:
    assert get_policy(session, f"arn:aws:iam::{ACCOUNT}:policy/quilt/none") is None


def test_any_other_fault_is_raised(session: AwsSession) -> None:
    with Stubber(session.client("iam")) as stub:
        stub.add_client_error("get_policy", service_error_code="AccessDenied", http_status_code=403)
        with pytest.raises(AwsError):
            get_policy(session, f"arn:aws:iam::{ACCOUNT}:policy/quilt/any")


@pytest.mark.parametrize("given", [
    DOCUMENT,
    json.dumps(DOCUMENT),
    "  " + json.dumps(DOCUMENT),
    quote(json.dumps(DOCUMENT)),
    repr(DOCUMENT),
])
def test_a_document_is_read_in_every_form_iam_gives(given) -> None:
    assert policy_document(given) == DOCUMENT


@pytest.mark.parametrize("given", ["not a policy", "{not: json", None])
def test_what_is_no_document_is_left_as_it_came(given) -> None:
    assert policy_document(given) == given
