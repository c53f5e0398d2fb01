"""Creating a CloudFormation change set, waiting for it, and showing what it would change.

A security-conscious customer does not let a tool deploy into their account on its own say:
they want to read the exact list of resources a deployment adds, modifies, replaces or
removes, and then decide. So this module *creates* a change set and renders it; executing
it is a separate function, :func:`execute_change_set`, that the caller reaches only after
the operator has confirmed. Nothing here ever executes a change set by itself.

The details that make the difference in practice live here too: CREATE or UPDATE follows
from the stack's existence (a stack left in REVIEW_IN_PROGRESS by an earlier, never-executed
change set still counts as CREATE); templates over CloudFormation's 51,200-byte inline
limit go to S3 first; the IAM capabilities the Quilt template needs are acknowledged; the
wait shows progress, backs off and can be cancelled from the UI; and "no changes" is a normal
answer, not an error.
"""

from __future__ import annotations

import re
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import asdict, dataclass, field, replace
from datetime import UTC, datetime
from typing import Any, Literal
from urllib.parse import quote

from wizard.aws.errors import AwsError, RequestInvalid
from wizard.aws.session import AwsSession, caller_identity
from wizard.errors import InputError

ChangeSetType = Literal["CREATE", "UPDATE"]

TEMPLATE_BODY_LIMIT = 51_200
"""The largest template CloudFormation accepts inline (``TemplateBody``), in bytes."""

CAPABILITIES = ("CAPABILITY_IAM", "CAPABILITY_NAMED_IAM")
"""Both IAM capabilities: what a caller that computed none acknowledges."""


TEMPLATE_KEY_PREFIX = "quilt-wizard"
"""Uploaded templates go to ``s3://BUCKET/quilt-wizard/STACK/CHANGE-SET.template``."""

_EMPTY_REASONS = ("didn't contain changes", "no updates are to be performed")
_SETTLED = frozenset({"CREATE_COMPLETE", "FAILED", "DELETE_COMPLETE", "DELETE_FAILED"})
_CHANGE_SET_NAME = re.compile(r"[A-Za-z][-A-Za-z0-9]{0,127}\Z")


@dataclass(frozen=True)
class StackState:
    """A stack as CloudFormation describes it now."""

    name: str
    stack_id: str
    status: str
    status_reason: str | None
    parameters: dict[str, str] = field(default_factory=dict)

    @property
    def change_set_type(self) -> ChangeSetType:
        """REVIEW_IN_PROGRESS: only an unexecuted change set exists, so it is still a CREATE."""
        return "CREATE" if self.status == "REVIEW_IN_PROGRESS" else "UPDATE"

    @property
    def masked_parameters(self) -> tuple[str, ...]:
        """Parameters CloudFormation shows as ``****`` (NoEcho): no real baseline value."""
        return tuple(k for k, v in self.parameters.items() if v == "****")


@dataclass(frozen=True)
class ResourceChange:
    """One line of a change set: what CloudFormation would do to one resource."""

    action: str
    """Add, Modify, Remove, Import or Dynamic."""
    logical_id: str
    resource_type: str
    physical_id: str | None = None
    replacement: str | None = None
    """For Modify: True, False or Conditional."""
    scope: tuple[str, ...] = ()


@dataclass(frozen=True)
class ChangeSetResult:
    """A created (never executed) change set and what it would change."""

    stack_name: str
    change_set_name: str
    change_set_type: ChangeSetType
    parameter_keys: tuple[str, ...]
    """The names of the parameters sent (all of them; values are not kept: some are secret)."""
    change_set_id: str | None = None
    stack_id: str | None = None
    status: str | None = None
    status_reason: str | None = None
    execution_status: str | None = None
    changes: tuple[ResourceChange, ...] = ()
    empty: bool = False
    """CloudFormation found nothing to change: a normal outcome, nothing to execute."""
    cancelled: bool = False
    """The caller stopped the wait (or the creation) through its cancel event."""
    template_url: str | None = None
    capabilities: tuple[str, ...] = ()
    """The capabilities acknowledged when the change set was created."""

    @property
    def executable(self) -> bool:
        return (self.status == "CREATE_COMPLETE" and self.execution_status == "AVAILABLE"
                and not self.empty and not self.cancelled and self.change_set_id is not None)

    def to_json(self) -> dict[str, Any]:
        data = asdict(self)
        data["parameter_keys"] = list(self.parameter_keys)
        data["capabilities"] = list(self.capabilities)
        data["changes"] = [asdict(c) | {"scope": list(c.scope)} for c in self.changes]
        data["executable"] = self.executable
        return data


class ChangeSetFailed(AwsError):
    """CloudFormation could not build the change set (a template or parameter problem)."""

    def __init__(self, message: str, result: ChangeSetResult) -> None:
        super().__init__(message)
        self.result = result


@dataclass(frozen=True)
class Backoff:
    """How often to ask CloudFormation whether the change set is ready, and for how long."""

    first: float = 2.0
    factor: float = 1.5
    longest: float = 15.0
    timeout: float = 900.0

    def delays(self) -> Iterator[float]:
        delay = self.first
        while True:
            yield delay
            delay = min(delay * self.factor, self.longest)


def default_change_set_name(now: datetime | None = None) -> str:
    """``quilt-wizard-YYYYMMDD-HHMMSS`` in UTC, so operators in different zones agree."""
    return (now or datetime.now(UTC)).strftime("quilt-wizard-%Y%m%d-%H%M%S")


def read_stack(session: AwsSession, stack_name: str) -> StackState | None:
    """The stack called ``stack_name``, or None when there is none."""
    try:
        answer = session.call("cloudformation", "describe_stacks", StackName=stack_name)
    except RequestInvalid as exc:
        if "does not exist" in exc.aws_message:
            return None
        raise
    stacks = [s for s in answer.get("Stacks") or [] if s.get("StackStatus") != "DELETE_COMPLETE"]
    if not stacks:
        return None
    stack = stacks[0]
    return StackState(
        name=stack["StackName"],
        stack_id=stack["StackId"],
        status=stack["StackStatus"],
        status_reason=stack.get("StackStatusReason"),
        parameters={p["ParameterKey"]: p.get("ParameterValue", "")
                    for p in stack.get("Parameters") or []},
    )


def create_change_set(
    session: AwsSession,
    *,
    stack_name: str,
    template_body: str,
    parameters: dict[str, str],
    change_set_name: str | None = None,
    template_bucket: str | None = None,
    tags: dict[str, str] | None = None,
    on_progress: Callable[[str], None] | None = None,
    cancel: threading.Event | None = None,
    backoff: Backoff | None = None,
    secret_parameters: frozenset[str] = frozenset(),
    capabilities: tuple[str, ...] | None = None,
) -> ChangeSetResult:
    """Create a change set for ``stack_name`` and wait until CloudFormation has computed it.

    Never executes it (see :func:`execute_change_set`). Every parameter in ``parameters`` is
    sent with its value, except on an update a secret (NoEcho) parameter left empty: nobody
    stores secrets, so an empty one means "keep the deployed value" (``UsePreviousValue``)
    rather than "erase it". ``on_progress`` receives one
    line of text per step; setting ``cancel`` stops before creating or while waiting, and the
    result then has ``cancelled=True``. A change set with no changes returns
    ``empty=True``. ``backoff`` paces the polling (default :class:`Backoff`).
    ``capabilities`` are the ones to acknowledge (default: both IAM ones; the commands pass
    what :func:`wizard.aws.security.required_capabilities` finds). Raises
    :class:`ChangeSetFailed` when CloudFormation rejects the template or parameters, and
    ``AwsError`` for every other failure.
    """
    name = change_set_name or default_change_set_name()
    if not _CHANGE_SET_NAME.match(name):
        raise InputError(
            f"'{name}' is not a valid change set name: a letter, then letters, digits and "
            "hyphens, at most 128 characters.", where="change set name")
    size = len(template_body.encode("utf-8"))
    if size > TEMPLATE_BODY_LIMIT and not template_bucket:
        raise AwsError(
            f"The template is {size:,} bytes; CloudFormation takes at most "
            f"{TEMPLATE_BODY_LIMIT:,} bytes inline. Give a template bucket (an S3 bucket "
            f"in {session.region} you can write to) so the template can be uploaded "
            "and passed by URL.")
    report = on_progress or (lambda _line: None)
    waiter = cancel or threading.Event()

    report(f"Looking up stack {stack_name} in {session.region}")
    stack = read_stack(session, stack_name)
    kind: ChangeSetType = "CREATE" if stack is None else stack.change_set_type
    values = {k: "" if v is None else str(v) for k, v in parameters.items()}
    granted = tuple(CAPABILITIES if capabilities is None else capabilities)
    result = ChangeSetResult(stack_name=stack_name, change_set_name=name,
                             change_set_type=kind, parameter_keys=tuple(values),
                             capabilities=granted)
    if waiter.is_set():
        return replace(result, cancelled=True)

    request: dict[str, Any] = {
        "StackName": stack_name,
        "ChangeSetName": name,
        "ChangeSetType": kind,
        "Parameters": [{"ParameterKey": k, "UsePreviousValue": True}
                       if kind == "UPDATE" and k in secret_parameters and not v
                       else {"ParameterKey": k, "ParameterValue": v} for k, v in values.items()],
        "Capabilities": list(granted),
        "Description": "Created by quilt-wizard; review before executing.",
        "ClientToken": _request_token(),
    }
    if tags:
        request["Tags"] = [{"Key": k, "Value": str(v)} for k, v in tags.items()]
    if template_bucket and size > TEMPLATE_BODY_LIMIT:
        key = f"{TEMPLATE_KEY_PREFIX}/{stack_name}/{name}.template"
        report(f"Uploading the template ({size:,} bytes) to s3://{template_bucket}/{key}")
        request["TemplateURL"] = upload_template(session, template_body,
                                                 bucket=template_bucket, key=key)
        result = replace(result, template_url=request["TemplateURL"])
    else:
        request["TemplateBody"] = template_body

    report(f"Creating change set {name} ({kind}) for stack {stack_name}")
    try:
        answer = session.call("cloudformation", "create_change_set", **request)
    except RequestInvalid as exc:
        if _means_no_changes(exc.aws_message):
            report(f"Change set {name}: no changes")
            return replace(result, status="FAILED", status_reason=exc.aws_message, empty=True)
        raise
    result = replace(result, change_set_id=answer["Id"], stack_id=answer.get("StackId"))
    return _wait(session, result, report=report, waiter=waiter, backoff=backoff or Backoff())


def upload_template(session: AwsSession, template_body: str, *, bucket: str, key: str) -> str:
    """Put the template in ``bucket`` and return the URL CloudFormation reads it from.

    ``ExpectedBucketOwner`` makes S3 refuse the upload when the bucket belongs to another
    account (a mistyped or squatted name), so the template cannot leak or be swapped there.
    """
    owner = caller_identity(session).account
    session.call("s3", "put_object", Bucket=bucket, Key=key,
                 Body=template_body.encode("utf-8"), ExpectedBucketOwner=owner)
    return template_url(bucket, key, session.region)


def template_url(bucket: str, key: str, region: str) -> str:
    """The https URL of an S3 object, virtual-hosted unless the bucket name has dots."""
    suffix = "amazonaws.com.cn" if region.startswith("cn-") else "amazonaws.com"
    path = quote(key, safe="/")
    if "." in bucket:
        return f"https://s3.{region}.{suffix}/{bucket}/{path}"
    return f"https://{bucket}.s3.{region}.{suffix}/{path}"


def execute_change_set(session: AwsSession, result: ChangeSetResult) -> None:
    """Execute a change set the operator has reviewed and explicitly confirmed.

    The caller owns the confirmation; this function only refuses what cannot be executed.
    It starts the execution and returns; the stack's progress is CloudFormation's to report.
    """
    if not result.executable:
        why = ("it has no changes" if result.empty
               else "it was cancelled before it was ready" if result.cancelled
               else f"its status is {result.status}/{result.execution_status}")
        raise AwsError(f"Change set {result.change_set_name} cannot be executed: {why}.")
    session.call("cloudformation", "execute_change_set",
                 ChangeSetName=result.change_set_id, StackName=result.stack_name,
                 ClientRequestToken=_request_token())


def _request_token() -> str:
    """One token per request: botocore's retries resend it, so a retry cannot act twice."""
    return f"quilt-wizard-{uuid.uuid4().hex}"


def _means_no_changes(reason: str | None) -> bool:
    text = (reason or "").lower()
    return any(marker in text for marker in _EMPTY_REASONS)


def _wait(session: AwsSession, result: ChangeSetResult, *, report: Callable[[str], None],
          waiter: threading.Event, backoff: Backoff) -> ChangeSetResult:
    started = time.monotonic()
    delays = backoff.delays()
    while True:
        result = _describe(session, result)
        elapsed = time.monotonic() - started
        report(f"Change set {result.change_set_name}: {result.status} ({elapsed:.0f} s)")
        if result.status in _SETTLED:
            break
        if elapsed >= backoff.timeout:
            raise AwsError(
                f"Change set {result.change_set_name} was still {result.status} after "
                f"{elapsed:.0f} s; it stays in CloudFormation: look at it in the console "
                "or wait and describe it again.")
        if waiter.wait(min(next(delays), backoff.timeout - elapsed)):
            return replace(result, cancelled=True)

    if result.status == "FAILED":
        if _means_no_changes(result.status_reason):
            return replace(result, empty=True)
        raise ChangeSetFailed(
            f"CloudFormation could not create change set {result.change_set_name} for stack "
            f"{result.stack_name}: {result.status_reason or 'no reason given'}", result)
    if result.status != "CREATE_COMPLETE":
        raise AwsError(
            f"Change set {result.change_set_name} was deleted while waiting for it "
            f"({result.status}).")
    return result


def _describe(session: AwsSession, result: ChangeSetResult) -> ChangeSetResult:
    first: dict[str, Any] | None = None
    changes: list[ResourceChange] = []
    for page in session.pages("cloudformation", "describe_change_set",
                              ChangeSetName=result.change_set_id,
                              StackName=result.stack_name):
        first = first or page
        for change in page.get("Changes") or []:
            resource = change.get("ResourceChange")
            if not resource:
                continue
            changes.append(ResourceChange(
                action=resource.get("Action", ""),
                logical_id=resource.get("LogicalResourceId", ""),
                resource_type=resource.get("ResourceType", ""),
                physical_id=resource.get("PhysicalResourceId"),
                replacement=resource.get("Replacement"),
                scope=tuple(resource.get("Scope") or ()),
            ))
    first = first or {}
    return replace(result, status=first.get("Status"),
                   status_reason=first.get("StatusReason"),
                   execution_status=first.get("ExecutionStatus"),
                   changes=tuple(changes))
