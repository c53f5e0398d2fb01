"""The AWS session every call in quilt-wizard goes through, and who it acts as.

Why a wrapper rather than a bare ``boto3.Session``: the wizard must talk to the account the
operator means, in the region they mean, through the endpoint they mean (a local endpoint in
tests and demos), and a mistake there deploys a stack into the wrong place. ``AwsSession``
fixes those three once, from the standard credential chain (profile or ``AWS_PROFILE``,
environment, SSO, instance roles), gives every client the same retry and timeout settings,
and is the single choke point where botocore failures become the one-line errors of
:mod:`wizard.aws.errors`. :func:`require_account` refuses to go on when the credentials
belong to another account than the one the answers were written for.

boto3 is imported when a session is made, not when this module is imported, so nothing that
does not talk to AWS pays for it. Clients are cached and created under a lock: the Textual
face calls from worker threads.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

from wizard.aws.answers import answer_of
from wizard.aws.errors import AwsError, EndpointUnreachable, iam_action, operation_name, translated
from wizard.errors import InputError

DEFAULT_MAX_ATTEMPTS = 4
"""Tries per call, the first one included, under botocore's standard retry mode."""

CONNECT_TIMEOUT = 4
READ_TIMEOUT = 5
"""Seconds. An endpoint that accepts and never answers is reported within
``DEFAULT_MAX_ATTEMPTS * READ_TIMEOUT`` plus the retries' backoff (at most 1 + 2 + 4 s), under
30 s; CloudFormation answers every call the wizard makes in well under a second (waiting for a
change set is polling, not one long call)."""

BACKOFF_CAP = 1 + 2 + 4
"""The most botocore's standard mode sleeps between the tries of DEFAULT_MAX_ATTEMPTS."""

DEFAULT_DEADLINE = 30.0
"""Seconds an AWS call may take in all, its retries included (``--aws-deadline``). The timeouts
above bound each wait for a byte, not the whole answer: an endpoint that sends one byte every few
seconds would keep a call going for ever, and a loaded machine stretches every wait. The deadline
is kept by the calling thread's clock, whatever the call is doing."""


@dataclass(frozen=True)
class CallerIdentity:
    """Who the credentials are (STS GetCallerIdentity)."""

    account: str
    arn: str
    user_id: str


class AwsSession:
    """A boto3 session pinned to one region and endpoint, whose calls raise ``AwsError``.

    Make one with :func:`make_session`. ``call`` and ``pages`` are the only ways the rest of
    :mod:`wizard.aws` reaches AWS.
    """

    def __init__(self, boto_session: Any, *, region: str, endpoint_url: str | None = None,
                 max_attempts: int = DEFAULT_MAX_ATTEMPTS, deadline: float = DEFAULT_DEADLINE) -> None:
        from botocore.config import Config

        from wizard import __version__

        self.boto_session = boto_session
        self.region = region
        self.endpoint_url = endpoint_url
        self.max_attempts = max_attempts
        self.deadline = deadline
        self.profile: str | None = boto_session.profile_name
        self._config = Config(
            # botocore's Config counts retries here; max_attempts counts tries, like
            # AWS_MAX_ATTEMPTS and the config file's max_attempts.
            retries={"mode": "standard", "max_attempts": max_attempts - 1},
            connect_timeout=CONNECT_TIMEOUT,
            read_timeout=READ_TIMEOUT,
            user_agent_extra=f"quilt-wizard/{__version__}",
        )
        self._clients: dict[tuple[str, str], Any] = {}
        self._lock = threading.Lock()

    def __repr__(self) -> str:
        return (f"AwsSession(profile={self.profile!r}, region={self.region!r}, "
                f"endpoint_url={self.endpoint_url!r}, deadline={self.deadline!r})")

    def client(self, service: str, *, region: str | None = None) -> Any:
        """The boto3 client for ``service`` (cached), in the session's region unless given."""
        key = (service, region or self.region)
        with self._lock:
            if key not in self._clients:
                with translated(service):
                    self._clients[key] = self.boto_session.client(
                        service, region_name=key[1], endpoint_url=self.endpoint_url,
                        config=self._config)
            return self._clients[key]

    def call(self, service: str, method: str, *, region: str | None = None,
             **params: Any) -> dict[str, Any]:
        """Call ``client(service).method(**params)``; failures raise ``AwsError``, and so does
        reading a member the answer lacks (:mod:`wizard.aws.answers`)."""
        operation = operation_name(method)
        client = self.client(service, region=region)
        endpoint = self.endpoint_of(client)
        action = iam_action(service, operation)
        with translated(service, operation, endpoint):
            answer = self._in_time(lambda: getattr(client, method)(**params), endpoint, action)
        return answer_of(answer, endpoint, action)

    def pages(self, service: str, method: str, *, region: str | None = None,
              **params: Any) -> Iterator[dict[str, Any]]:
        """Every page of a paginated call; failures raise ``AwsError``, as for :meth:`call`."""
        operation = operation_name(method)
        client = self.client(service, region=region)
        endpoint = self.endpoint_of(client)
        action = iam_action(service, operation)
        with translated(service, operation, endpoint):
            pages = iter(client.get_paginator(method).paginate(**params))
            while (page := self._in_time(lambda: next(pages, None), endpoint, action)) is not None:
                yield answer_of(page, endpoint, action)

    def _in_time(self, work: Callable[[], Any], endpoint: str, action: str) -> Any:
        """``work()`` (one AWS call, retries included), or ``EndpointUnreachable`` once the
        deadline has passed without its whole answer. The call runs in a thread of its own that
        this one waits for with a timeout; a call given up on is left to end by itself (its
        socket times out or closes), as a daemon, so it never holds the process. Ctrl-C
        interrupts the wait, as it did the call."""
        outcome: list = []
        done = threading.Event()

        def run() -> None:
            try:
                outcome.append((True, work()))
            except BaseException as exc:  # noqa: BLE001 - handed to the waiting thread as it is
                outcome.append((False, exc))
            finally:
                done.set()

        threading.Thread(target=run, name=f"quilt-wizard {action}", daemon=True).start()
        if not done.wait(self.deadline):
            raise EndpointUnreachable(
                f"No complete answer from the endpoint {endpoint} (calling {action}) within "
                f"{self.deadline:g} s: it answers too slowly or not at all. Check the network, proxy "
                "settings and any endpoint URL given, or allow longer with --aws-deadline.")
        ok, value = outcome[0]
        if not ok:
            raise value
        return value

    def endpoint_of(self, client: Any) -> str:
        """The URL a client's calls go to (the local endpoint, or AWS's for the region)."""
        return self.endpoint_url or getattr(getattr(client, "meta", None), "endpoint_url", None) or "?"


def make_session(*, profile: str | None = None, region: str | None = None,
                 endpoint_url: str | None = None,
                 max_attempts: int = DEFAULT_MAX_ATTEMPTS,
                 deadline: float | None = None) -> AwsSession:
    """A session from the standard credential chain.

    ``profile`` falls back to ``AWS_PROFILE`` (then the default chain); ``region`` to the
    profile's or environment's region; ``endpoint_url`` (a local endpoint) applies to every
    client; ``deadline`` (seconds, default :data:`DEFAULT_DEADLINE`) bounds each call.
    Credentials are not checked here: the first call does that (see :func:`caller_identity`).
    """
    if max_attempts < 1:
        raise ValueError("max_attempts must be at least 1")
    if deadline is not None and not 0 < deadline < float("inf"):
        raise ValueError("deadline must be a number of seconds above 0")
    if endpoint_url:
        check_endpoint_url(endpoint_url)
    with translated("sts"):
        import boto3

        boto_session = boto3.Session(profile_name=profile or None)
        chosen = region or boto_session.region_name
    if not chosen:
        raise AwsError(
            "No AWS region: give one, set AWS_REGION, or set 'region' in the AWS profile.")
    return AwsSession(boto_session, region=chosen, endpoint_url=endpoint_url or None,
                      max_attempts=max_attempts, deadline=deadline or DEFAULT_DEADLINE)


def check_endpoint_url(url: str) -> None:
    """An ``InputError`` unless ``url`` is an http(s) URL with a host (exit 2, not a traceback
    from deep inside botocore)."""
    from urllib.parse import urlsplit

    try:
        parts = urlsplit(url)
        parts.port  # noqa: B018 - raises ValueError for a port that is not a number
    except ValueError:
        parts = None
    if parts is None or parts.scheme not in ("http", "https") or not parts.hostname or any(c.isspace() for c in url):
        raise InputError(f"expected an http:// or https:// URL, found {url!r}", where="--endpoint-url")


def caller_identity(session: AwsSession) -> CallerIdentity:
    """Who the session's credentials are (STS GetCallerIdentity, which needs no permission)."""
    answer = session.call("sts", "get_caller_identity")
    return CallerIdentity(account=answer["Account"], arn=answer["Arn"],
                          user_id=answer["UserId"])


def require_account(session: AwsSession, expected_account: str) -> CallerIdentity:
    """The caller identity, or ``AwsError`` when it is not in ``expected_account``.

    The answers and profiles name the account a deployment is for; credentials for another
    account (a forgotten ``AWS_PROFILE``) must stop the run before anything is created.
    """
    identity = caller_identity(session)
    wanted = expected_account.strip()
    if identity.account != wanted:
        raise AwsError(
            f"The AWS credentials are for account {identity.account} ({identity.arn}), "
            f"but this deployment is for account {wanted}: choose the profile for "
            f"{wanted} and run again.")
    return identity
