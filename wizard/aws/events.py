"""Following a stack operation to its end: events as they come, the failure, the final state.

Executing a change set only starts the deployment; the Quilt stack then takes half an hour or
more, and when it fails, CloudFormation's console hides the one line that matters (the first
resource that failed, and why) among hundreds of rollback events. So the wizard follows the
stack itself, as ``rain deploy`` does: each new stack event as one line as soon as it appears,
the first failed resource's reason kept apart, and at the end the final status explained in
words when it is a rollback (what happened, and what to do next).

Following is only watching. Cancelling it (the caller's event, or Ctrl-C in the commands)
stops the watching and never the deployment, which goes on in CloudFormation;
``quilt-wizard status --stack-name NAME --follow`` takes it up again.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from wizard.aws.changeset import Backoff
from wizard.aws.errors import RequestInvalid
from wizard.aws.outputs import StackOutput, read_outputs
from wizard.aws.session import AwsSession
from wizard.errors import AwsError, WizardError

FOLLOW_BACKOFF = Backoff(first=2.0, factor=1.5, longest=10.0, timeout=4 * 3600.0)
"""Polls every 2 s at first, then every 10 s, for at most four hours (a Quilt stack takes
30 to 60 minutes)."""

START_WAIT = 120.0
"""How long an executed change set may take to show its first stack event."""

STACK_TYPE = "AWS::CloudFormation::Stack"

SUCCEEDED = frozenset({"CREATE_COMPLETE", "UPDATE_COMPLETE", "IMPORT_COMPLETE"})

#: What a final state that is not a success means, and what to do about it.
EXPLANATIONS = {
    "ROLLBACK_COMPLETE": "the stack could not be created and CloudFormation deleted what it had "
                         "made. A stack in this state cannot be updated: fix the cause above, "
                         "delete the stack (aws cloudformation delete-stack --stack-name {stack}) "
                         "and create the change set again.",
    "ROLLBACK_FAILED": "the creation failed and so did the clean-up: some resources are left. "
                       "Delete the stack (retaining what cannot be deleted), then start again.",
    "UPDATE_ROLLBACK_COMPLETE": "the update failed and the stack is back as it was before; it "
                                "keeps running. Fix the cause above and create a new change set.",
    "UPDATE_ROLLBACK_FAILED": "the update failed and CloudFormation could not roll it back. "
                              "Fix the resource named above, then continue the rollback "
                              "(aws cloudformation continue-update-rollback --stack-name {stack}).",
    "UPDATE_FAILED": "the update failed and was not rolled back (rollback disabled): fix the "
                     "cause, then roll back or update again.",
    "CREATE_FAILED": "the creation failed and was not rolled back (rollback disabled): fix the "
                     "cause, then delete the stack or update it.",
    "DELETE_COMPLETE": "the stack was deleted.",
    "DELETE_FAILED": "the stack could not be deleted: some resources are left (see above).",
    "IMPORT_ROLLBACK_COMPLETE": "the import failed and was rolled back.",
}


@dataclass(frozen=True)
class StackEvent:
    """One line of a stack's history."""

    event_id: str
    timestamp: datetime
    logical_id: str
    resource_type: str
    status: str
    reason: str | None = None
    physical_id: str | None = None

    @property
    def failed(self) -> bool:
        return self.status.endswith("_FAILED")

    def line(self) -> str:
        """``12:03:41  CREATE_FAILED  AWS::IAM::Role  RegistryRole  reason``."""
        reason = f"  {self.reason}" if self.reason else ""
        return (f"{self.timestamp:%H:%M:%S}  {self.status:<28} {self.resource_type:<40} "
                f"{self.logical_id}{reason}").rstrip()

    def to_json(self) -> dict[str, Any]:
        return {"timestamp": self.timestamp.isoformat(), "logical_id": self.logical_id,
                "type": self.resource_type, "status": self.status, "reason": self.reason}


@dataclass(frozen=True)
class FollowResult:
    """Where a followed stack operation ended (or where the watching stopped)."""

    stack_name: str
    status: str
    status_reason: str | None = None
    events: tuple[StackEvent, ...] = ()
    first_failure: StackEvent | None = None
    outputs: tuple[StackOutput, ...] = ()
    stopped: bool = False
    """The caller stopped following; the operation goes on in CloudFormation."""
    timed_out: bool = False

    @property
    def finished(self) -> bool:
        return is_settled(self.status)

    @property
    def succeeded(self) -> bool:
        return self.status in SUCCEEDED

    @property
    def explanation(self) -> str | None:
        text = EXPLANATIONS.get(self.status)
        return text.format(stack=self.stack_name) if text else None

    def to_json(self) -> dict[str, Any]:
        return {"stack": self.stack_name, "status": self.status, "status_reason": self.status_reason,
                "succeeded": self.succeeded, "finished": self.finished, "stopped": self.stopped,
                "explanation": self.explanation,
                "first_failure": self.first_failure.to_json() if self.first_failure else None,
                "events": [e.to_json() for e in self.events],
                "outputs": [o.to_json() for o in self.outputs]}


class FollowingStopped(WizardError):
    """Ctrl-C while following: the deployment goes on; the message says how to follow again."""

    exit_code = 130

    def __init__(self, stack_name: str, region: str | None = None) -> None:
        where = f" --region {region}" if region else ""
        super().__init__(f"stopped following; the deployment goes on in CloudFormation. Follow it again "
                         f"with: quilt-wizard status --stack-name {stack_name}{where} --follow")


def is_settled(status: str) -> bool:
    """Whether no operation runs on a stack in this state."""
    return not status.endswith("_IN_PROGRESS")


def resume_hint(stack_name: str) -> str:
    return f"quilt-wizard status --stack-name {stack_name} --follow"


def _event(raw: dict[str, Any]) -> StackEvent:
    return StackEvent(event_id=raw["EventId"], timestamp=raw["Timestamp"],
                      logical_id=raw.get("LogicalResourceId", ""),
                      resource_type=raw.get("ResourceType", ""),
                      status=raw.get("ResourceStatus", ""),
                      reason=raw.get("ResourceStatusReason") or None,
                      physical_id=raw.get("PhysicalResourceId") or None)


def new_events(session: AwsSession, stack_name: str, seen: set[str]) -> list[StackEvent]:
    """Events not in ``seen``, oldest first; ``seen`` is updated. Stops paging at the first
    event already seen (CloudFormation lists the newest first)."""
    fresh: list[StackEvent] = []
    for page in session.pages("cloudformation", "describe_stack_events", StackName=stack_name):
        reached = False
        for raw in page.get("StackEvents") or []:
            if raw["EventId"] in seen:
                reached = True
                break
            fresh.append(_event(raw))
        if reached:
            break
    seen.update(e.event_id for e in fresh)
    fresh.reverse()
    return fresh


def event_ids(session: AwsSession, stack_name: str) -> set[str]:
    """The ids of every event a stack has now (none when it does not exist yet): what
    following after an execution must not show again."""
    try:
        return {e.event_id for e in new_events(session, stack_name, set())}
    except RequestInvalid as exc:
        if "does not exist" in exc.aws_message:
            return set()
        raise


def stack_status(session: AwsSession, stack_name: str) -> tuple[str, str | None]:
    """The stack's status and reason; AwsError when there is no such stack."""
    try:
        answer = session.call("cloudformation", "describe_stacks", StackName=stack_name)
    except RequestInvalid as exc:
        if "does not exist" in exc.aws_message:
            raise AwsError(f"There is no stack {stack_name} in {session.region}.") from None
        raise
    stack = (answer.get("Stacks") or [{}])[0]
    return stack.get("StackStatus", ""), stack.get("StackStatusReason")


def first_failure(events: Iterable[StackEvent], stack_name: str) -> StackEvent | None:
    """The first resource that failed, skipping the failures that only follow from it
    (``Resource creation cancelled``) and the stack's own summary line."""
    failures = [e for e in events if e.failed]
    for event in failures:
        if event.logical_id != stack_name and "cancelled" not in (event.reason or "").lower():
            return event
    return failures[0] if failures else None


def follow_stack(session: AwsSession, stack_name: str, *, seen: set[str] | None = None,
                 on_event: Callable[[StackEvent], None] | None = None,
                 cancel: threading.Event | None = None, backoff: Backoff | None = None,
                 after_execution: bool = False) -> FollowResult:
    """Watch ``stack_name`` until no operation runs on it, reporting each new event.

    ``seen`` are event ids not to report (those before the execution, from :func:`event_ids`);
    ``on_event`` receives each new event once, oldest first; setting ``cancel`` stops the
    watching (``stopped=True``), never the operation. ``after_execution``: a change set was
    just executed, and for a moment the stack can still show its previous, settled state; the
    watching goes on until the stack's own first new event (for at most
    :data:`START_WAIT` seconds). At the end the outputs are read when the operation succeeded.
    """
    report = on_event or (lambda _event: None)
    waiter = cancel or threading.Event()
    pacing = backoff or FOLLOW_BACKOFF
    known = set(seen or ())
    collected: list[StackEvent] = []
    started = time.monotonic()
    delays = pacing.delays()
    begun = not after_execution
    while True:
        status, reason = stack_status(session, stack_name)
        for event in new_events(session, stack_name, known):
            collected.append(event)
            begun = begun or event.resource_type == STACK_TYPE
            report(event)
        elapsed = time.monotonic() - started
        if is_settled(status) and (begun or elapsed >= START_WAIT):
            break
        if elapsed >= pacing.timeout:
            return FollowResult(stack_name, status, reason, tuple(collected),
                                first_failure(collected, stack_name), timed_out=True)
        if waiter.wait(min(next(delays), pacing.timeout - elapsed)):
            return FollowResult(stack_name, status, reason, tuple(collected),
                                first_failure(collected, stack_name), stopped=True)
    outputs = read_outputs(session, stack_name) if status in SUCCEEDED else ()
    return FollowResult(stack_name, status, reason, tuple(collected),
                        first_failure(collected, stack_name), outputs)


def render_follow(result: FollowResult) -> str:
    """The end of a followed operation: status, the failure, what to do, the outputs."""
    from wizard.aws.outputs import render_outputs

    lines = [f"Stack {result.stack_name}: {result.status}"
             + (f" ({result.status_reason})" if result.status_reason and not result.succeeded else "")]
    if result.first_failure is not None and not result.succeeded:
        failure = result.first_failure
        lines.append(f"First failure: {failure.logical_id} ({failure.resource_type}) {failure.status}: "
                     f"{failure.reason or 'no reason given'}")
    if result.explanation:
        lines.append(f"What it means: {result.explanation}")
    if not result.finished:
        lines.append(f"Still running; follow it with: {resume_hint(result.stack_name)}")
    if result.outputs or result.succeeded:
        lines.append(render_outputs(result.outputs).rstrip())
    return "\n".join(lines) + "\n"
