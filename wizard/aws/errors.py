"""One place that turns every boto3/botocore failure into one clear ``AwsError``.

An operator deploying into a locked-down account meets the same handful of AWS failures over
and over: no credentials, an expired session, a denied action, throttling, a request
CloudFormation refuses, an endpoint that cannot be reached. Each deserves one line that says
what happened and what to do, and a denied action must name the IAM action to ask for
(``cloudformation:CreateChangeSet``), because that is what the customer's security team will
grant. Every AWS call in :mod:`wizard.aws` runs inside :func:`translated` (through
``AwsSession.call`` and ``AwsSession.pages``), so no call site repeats a ``try``/``except``.

The errors are subclasses of :class:`wizard.errors.AwsError` (exit status 3). Preflight
distinguishes two families: :class:`ServiceError` (one call was refused: the check that made
it is reported, the others still run) and the rest (credentials, endpoint: nothing can run).

botocore is imported inside the functions, so importing this module costs nothing.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from wizard.errors import AwsError

__all__ = [
    "AccessDenied",
    "AwsError",
    "CredentialsError",
    "EndpointUnreachable",
    "MalformedAnswer",
    "RequestInvalid",
    "ServiceError",
    "Throttled",
    "iam_action",
    "translate",
    "translated",
]


class CredentialsError(AwsError):
    """Credentials are missing, expired or refused: no call can succeed until they are fixed."""


class EndpointUnreachable(AwsError):
    """The AWS (or local) endpoint did not answer: network, proxy, region or endpoint URL."""


class MalformedAnswer(EndpointUnreachable):
    """An endpoint answered a call with a body that is not that call's answer: a member the wizard
    reads is missing (:mod:`wizard.aws.answers`), or botocore could not read it as that call's."""


NOT_AWS = "is it an AWS endpoint? Check the endpoint URL and proxy settings"


class ServiceError(AwsError):
    """An AWS service answered one call with an error; ``code`` is AWS's error code."""

    def __init__(self, message: str, *, code: str, action: str, aws_message: str) -> None:
        super().__init__(message)
        self.code = code
        self.action = action
        self.aws_message = aws_message


class AccessDenied(ServiceError):
    """The caller's IAM policies do not allow ``action``."""


class Throttled(ServiceError):
    """AWS kept throttling the call after botocore's standard retries."""


class RequestInvalid(ServiceError):
    """The service refused the request as invalid (CloudFormation's ``ValidationError``)."""


_ACCESS_DENIED = frozenset({
    "AccessDenied", "AccessDeniedException", "UnauthorizedOperation", "AuthorizationError",
    "Forbidden",
})
_EXPIRED = frozenset({"ExpiredToken", "ExpiredTokenException", "RequestExpired"})
_REFUSED = frozenset({
    "InvalidClientTokenId", "UnrecognizedClientException", "SignatureDoesNotMatch",
    "InvalidSignatureException", "IncompleteSignature", "AuthFailure", "InvalidAccessKeyId",
    "InvalidToken",
})
# botocore's standard retry mode retries these; reaching us means the retries ran out.
# (LimitExceededException is left out: in CloudFormation it is a quota, not a rate.)
_THROTTLED = frozenset({
    "Throttling", "ThrottlingException", "ThrottledException", "RequestThrottledException",
    "TooManyRequestsException", "ProvisionedThroughputExceededException",
    "RequestLimitExceeded", "BandwidthLimitExceeded", "RequestThrottled", "SlowDown",
})
_INVALID = frozenset({"ValidationError", "ValidationException"})

# IAM actions whose name is not the API operation's.
_IAM_ACTION_NAMES = {
    ("s3", "ListBuckets"): "s3:ListAllMyBuckets",
    ("s3", "HeadBucket"): "s3:ListBucket",
    ("s3", "HeadObject"): "s3:GetObject",
}

NO_CREDENTIALS = (
    "No AWS credentials found. Choose a profile (AWS_PROFILE or the profile option), "
    "run 'aws sso login' for an SSO profile, or set AWS_ACCESS_KEY_ID and "
    "AWS_SECRET_ACCESS_KEY."
)


def operation_name(method: str) -> str:
    """The API operation of a boto3 method: ``create_change_set`` -> ``CreateChangeSet``."""
    return "".join(part[:1].upper() + part[1:] for part in method.split("_"))


# IAM prefixes that are not the boto3 service's name.
_IAM_PREFIXES = {"accessanalyzer": "access-analyzer"}


def iam_action(service: str, operation: str) -> str:
    """The IAM action a call needs, e.g. ``("cloudformation", "CreateChangeSet")`` ->
    ``cloudformation:CreateChangeSet``. boto3 service names and IAM prefixes agree for
    every service this package calls but IAM Access Analyzer's (``access-analyzer:``)."""
    return _IAM_ACTION_NAMES.get((service, operation), f"{_IAM_PREFIXES.get(service, service)}:{operation}")


def translate(exc: BaseException, *, service: str, operation: str = "") -> AwsError:
    """The ``AwsError`` that explains a botocore exception raised by ``service:operation``.

    ``operation`` is empty for work that is not an API call (reading the AWS config,
    creating a client).
    """
    from botocore import exceptions as bx

    if isinstance(exc, bx.ClientError):
        return _from_client_error(exc, service=service)
    action = iam_action(service, operation) if operation else ""
    calling = f" (calling {action})" if action else ""
    if isinstance(exc, bx.NoCredentialsError):
        return CredentialsError(NO_CREDENTIALS)
    if isinstance(exc, bx.PartialCredentialsError):
        return CredentialsError(f"Incomplete AWS credentials: {_one_line(exc)}.")
    if isinstance(exc, (bx.UnauthorizedSSOTokenError, bx.SSOTokenLoadError)):
        return CredentialsError(
            "The AWS SSO session has expired or is not logged in: run "
            "'aws sso login' for this profile, then run again.")
    if isinstance(exc, (bx.TokenRetrievalError, bx.CredentialRetrievalError,
                        bx.RefreshWithMFAUnsupportedError)):
        return CredentialsError(f"Could not obtain AWS credentials: {_one_line(exc)}.")
    if isinstance(exc, bx.ProfileNotFound):
        return CredentialsError(
            f"AWS profile '{exc.kwargs.get('profile')}' is not defined in the AWS config "
            "or credentials file.")
    if isinstance(exc, bx.ConfigParseError):
        return AwsError(f"The AWS config cannot be read: {_one_line(exc)}.")
    if isinstance(exc, bx.NoRegionError):
        return AwsError(
            "No AWS region: give one, set AWS_REGION, or set 'region' in the AWS profile.")
    if isinstance(exc, (bx.ReadTimeoutError, bx.ConnectTimeoutError)):
        url = exc.kwargs.get("endpoint_url") or "?"
        return EndpointUnreachable(
            f"No answer from the endpoint {url}{calling} in time, after retries: check the network, "
            "proxy settings and any endpoint URL given.")
    if isinstance(exc, (bx.ConnectionError, bx.HTTPClientError)):
        url = exc.kwargs.get("endpoint_url") or exc.kwargs.get("proxy_url") or "?"
        return EndpointUnreachable(
            f"Cannot reach the AWS endpoint {url}{calling}: check the network, "
            "proxy settings, the region name and any endpoint URL given.")
    if isinstance(exc, bx.ParamValidationError):
        return AwsError(f"{action}: the request is malformed: {_one_line(exc)}")
    return AwsError(f"{action or 'AWS setup'} failed: {_one_line(exc)}")


def _one_line(exc: BaseException) -> str:
    return " ".join(str(exc).split())


def _from_client_error(exc: object, *, service: str) -> AwsError:
    response = getattr(exc, "response", {}) or {}
    error = response.get("Error", {}) or {}
    code = str(error.get("Code") or "Unknown")
    aws_message = " ".join(str(error.get("Message") or "").split())
    operation = getattr(exc, "operation_name", "") or "?"
    action = iam_action(service, operation)
    said = f": {aws_message}" if aws_message else ""
    said_mid = f": {aws_message.rstrip('.')}" if aws_message else ""

    if code in _EXPIRED:
        return CredentialsError(
            f"The AWS credentials have expired ({code} calling {action}): refresh them "
            "('aws sso login', or new temporary credentials) and run again.")
    if code in _REFUSED:
        return CredentialsError(
            f"AWS refused the credentials ({code} calling {action}){said_mid}. Check the "
            "profile, the access key and the account the endpoint belongs to.")
    if code in _ACCESS_DENIED:
        return AccessDenied(
            f"Access denied: the caller may not perform {action}{said_mid}. Ask for an IAM "
            f"policy that allows {action}.",
            code=code, action=action, aws_message=aws_message)
    if code in _THROTTLED:
        retries = response.get("ResponseMetadata", {}).get("RetryAttempts")
        tries = f" after {int(retries) + 1} attempts" if retries is not None else ""
        return Throttled(
            f"AWS is throttling {action} ({code}) and it still failed{tries}: wait a "
            "minute and run again.",
            code=code, action=action, aws_message=aws_message)
    if code in _INVALID:
        return RequestInvalid(
            f"{action} refused the request{said or ' (no reason given)'}",
            code=code, action=action, aws_message=aws_message)
    return ServiceError(f"{action} failed ({code}){said}",
                        code=code, action=action, aws_message=aws_message)


@contextmanager
def translated(service: str, operation: str = "", endpoint: str | None = None) -> Iterator[None]:
    """Run an AWS call; any botocore failure leaves as the ``AwsError`` that explains it, and so
    does an answer botocore could not read (``endpoint``: the URL it came from, for the message)."""
    from botocore.exceptions import BotoCoreError, ClientError
    from botocore.parsers import ResponseParserError

    try:
        yield
    except (BotoCoreError, ClientError) as exc:
        raise translate(exc, service=service, operation=operation) from exc
    except ResponseParserError:
        action = iam_action(service, operation) if operation else service
        raise EndpointUnreachable(
            f"The endpoint {endpoint or ''}{' ' if endpoint else ''}answered {action} with something that "
            "is not an AWS response (a proxy or captive portal page?): check the endpoint URL and proxy "
            "settings.") from None
    except (KeyError, IndexError, TypeError, AttributeError, ValueError) as exc:
        if not (operation and _raised_reading_an_answer(exc)):
            raise
        missing = f"no {exc.args[0]} element" if isinstance(exc, KeyError) and exc.args else _one_line(exc)
        raise MalformedAnswer(f"The endpoint {endpoint or '?'} answered {iam_action(service, operation)} with an "
                              f"answer of another shape ({missing}): {NOT_AWS}.") from None


def _raised_reading_an_answer(exc: BaseException) -> bool:
    """Whether botocore raised ``exc`` while reading an answer (its parsers and the handlers that
    rework an answer), not while the wizard used one."""
    tb = exc.__traceback__
    while tb is not None:
        if tb.tb_frame.f_globals.get("__name__") in ("botocore.parsers", "botocore.handlers"):
            return True
        tb = tb.tb_next
    return False
