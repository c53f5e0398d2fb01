"""Every AWS failure becomes one clear AwsError (exit 3), through one translation.

Denied actions and refused credentials come from moto with IAM enforcement switched on;
throttling and expired tokens, which moto cannot produce, come over real HTTP from a local
endpoint that answers with the canned AWS error, so botocore's own retries run.
"""

from __future__ import annotations

import json

import pytest
from botocore.exceptions import ClientError

from tests.aws.conftest import CannedEndpoint
from tests.moto import REGION
from wizard.aws import (AccessDenied, AwsSession, CredentialsError, RequestInvalid,
                        ServiceError, Throttled, caller_identity, create_change_set,
                        make_session, read_stack)
from wizard.aws.errors import iam_action, operation_name, translate, translated
from wizard.errors import AwsError


def _client_error(code: str, message: str = "", operation: str = "CreateChangeSet",
                  retries: int | None = None) -> ClientError:
    response: dict = {"Error": {"Code": code, "Message": message}}
    if retries is not None:
        response["ResponseMetadata"] = {"RetryAttempts": retries}
    return ClientError(response, operation)


@pytest.mark.parametrize(("service", "method", "action"), [
    ("cloudformation", "create_change_set", "cloudformation:CreateChangeSet"),
    ("acm", "describe_certificate", "acm:DescribeCertificate"),
    ("kms", "get_key_policy", "kms:GetKeyPolicy"),
    ("logs", "describe_log_groups", "logs:DescribeLogGroups"),
    ("athena", "list_work_groups", "athena:ListWorkGroups"),
    ("s3", "list_buckets", "s3:ListAllMyBuckets"),
    ("s3", "put_object", "s3:PutObject"),
])
def test_iam_action_names_what_to_ask_for(service: str, method: str, action: str) -> None:
    assert iam_action(service, operation_name(method)) == action


@pytest.mark.parametrize("code", ["AccessDenied", "AccessDeniedException",
                                  "UnauthorizedOperation"])
def test_access_denied_names_the_action(code: str) -> None:
    error = translate(_client_error(code, "User: x is not authorized"),
                      service="cloudformation", operation="CreateChangeSet")
    assert isinstance(error, AccessDenied) and error.exit_code == 3
    assert error.action == "cloudformation:CreateChangeSet"
    assert "cloudformation:CreateChangeSet" in str(error)


@pytest.mark.parametrize("code", ["ExpiredToken", "ExpiredTokenException", "RequestExpired"])
def test_expired_tokens_say_so(code: str) -> None:
    error = translate(_client_error(code, "The security token included in the request is "
                                          "expired"),
                      service="cloudformation", operation="CreateChangeSet")
    assert isinstance(error, CredentialsError)
    assert "expired" in str(error) and "aws sso login" in str(error)


def test_throttling_counts_the_attempts() -> None:
    error = translate(_client_error("Throttling", "Rate exceeded", "DescribeStacks", 4),
                      service="cloudformation", operation="DescribeStacks")
    assert isinstance(error, Throttled)
    assert "after 5 attempts" in str(error) and "cloudformation:DescribeStacks" in str(error)


def test_validation_error_carries_cloudformations_message() -> None:
    error = translate(_client_error("ValidationError", "Template format error: bad"),
                      service="cloudformation", operation="CreateChangeSet")
    assert isinstance(error, RequestInvalid)
    assert str(error) == ("cloudformation:CreateChangeSet refused the request: "
                          "Template format error: bad")


def test_other_service_errors_keep_code_and_message() -> None:
    error = translate(_client_error("LimitExceededException", "too many stacks"),
                      service="cloudformation", operation="CreateChangeSet")
    assert type(error) is ServiceError and error.code == "LimitExceededException"
    assert "too many stacks" in str(error)


def test_sso_session_expiry_says_to_log_in() -> None:
    from botocore.exceptions import UnauthorizedSSOTokenError

    error = translate(UnauthorizedSSOTokenError(), service="sts",
                      operation="GetCallerIdentity")
    assert isinstance(error, CredentialsError) and "aws sso login" in str(error)


def test_only_aws_failures_are_translated() -> None:
    with pytest.raises(KeyError), translated("sts", "GetCallerIdentity"):
        raise KeyError("a bug stays a bug")


def test_malformed_requests_are_one_line(session: AwsSession) -> None:
    with pytest.raises(AwsError) as caught:
        session.call("cloudformation", "describe_stacks", StackName=3)
    assert "\n" not in str(caught.value)
    assert str(caught.value).startswith("cloudformation:DescribeStacks: the request is malformed")


def test_moto_validation_error_reads_as_cloudformations_message(session: AwsSession) -> None:
    with pytest.raises(RequestInvalid) as caught:
        session.call("cloudformation", "describe_change_set", ChangeSetName="missing",
                     StackName="quilt")
    assert caught.value.code == "ValidationError"
    assert str(caught.value).startswith("cloudformation:DescribeChangeSet refused the request")


def _operator_with_policy(session: AwsSession, actions: list[str]) -> tuple[str, str]:
    iam = session.client("iam")
    iam.create_user(UserName="operator")
    iam.put_user_policy(UserName="operator", PolicyName="limited", PolicyDocument=json.dumps({
        "Version": "2012-10-17",
        "Statement": [{"Effect": "Allow", "Action": actions, "Resource": "*"}],
    }))
    key = iam.create_access_key(UserName="operator")["AccessKey"]
    return key["AccessKeyId"], key["SecretAccessKey"]


def test_access_denied_from_moto_names_create_change_set(
        session: AwsSession, endpoint: str, monkeypatch: pytest.MonkeyPatch,
        request: pytest.FixtureRequest) -> None:
    key_id, secret = _operator_with_policy(session, ["cloudformation:DescribeStacks"])
    request.getfixturevalue("iam_enforced")
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", key_id)
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", secret)
    operator = make_session(region=REGION, endpoint_url=endpoint, max_attempts=1)
    assert read_stack(operator, "quilt") is None
    with pytest.raises(AccessDenied) as caught:
        create_change_set(operator, stack_name="quilt", parameters={},
                          template_body='{"Resources": {"T": {"Type": "AWS::SNS::Topic"}}}')
    assert caught.value.action == "cloudformation:CreateChangeSet"
    assert "cloudformation:CreateChangeSet" in str(caught.value)
    assert caught.value.exit_code == 3


def test_credentials_moto_does_not_know_are_refused(
        endpoint: str, iam_enforced: None, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "AKIAUNKNOWNKEY000000")
    session = make_session(region=REGION, endpoint_url=endpoint, max_attempts=1)
    with pytest.raises(CredentialsError, match="AWS refused the credentials"):
        read_stack(session, "quilt")


def test_throttling_is_reported_after_botocores_retries(
        canned_endpoint: CannedEndpoint) -> None:
    canned_endpoint.error("Throttling", "Rate exceeded")
    session = make_session(region=REGION, endpoint_url=canned_endpoint.url, max_attempts=2)
    with pytest.raises(Throttled) as caught:
        read_stack(session, "quilt")
    assert len(canned_endpoint.requests) == 2
    assert "after 2 attempts" in str(caught.value)
    assert "cloudformation:DescribeStacks" in str(caught.value)


@pytest.mark.parametrize("code", ["ExpiredToken", "RequestExpired"])
def test_expired_token_over_http_is_not_retried(canned_endpoint: CannedEndpoint,
                                                code: str) -> None:
    canned_endpoint.error(code, "The security token included in the request is expired",
                          status=403)
    session = make_session(region=REGION, endpoint_url=canned_endpoint.url, max_attempts=3)
    with pytest.raises(CredentialsError, match="credentials have expired") as caught:
        caller_identity(session)
    assert len(canned_endpoint.requests) == 1
    assert isinstance(caught.value, AwsError) and caught.value.exit_code == 3
