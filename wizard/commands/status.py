"""``quilt-wizard status``: where a stack is, why it failed, its outputs; ``--follow`` watches.

After an execution the wizard follows the stack to its end; this command is how an operator
takes that up again after Ctrl-C (which stops the watching, never the deployment), or looks
at a stack at any other time: its status (rollback states explained), the first failed
resource and its reason, the latest events, and the outputs with the catalog URL first.
Events are printed one line each on standard error as they come, so that ``--json`` stays one
object on standard output.
"""

from __future__ import annotations

import argparse
import json
import sys

from wizard.commands.aws_options import add_connection_options
from wizard.errors import AwsError

RECENT_EVENTS = 10
"""How many of the latest events ``status`` shows before following or without following."""


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "status", help="a stack's status, first failure, events and outputs; --follow watches it to the end",
        description="Show a deployed stack's status (rollback states explained), the first resource that "
                    "failed and why, its latest events and its outputs (the catalog URL first). With --follow, "
                    "print each new event as it comes until no operation runs; Ctrl-C stops the watching, "
                    "never the deployment.")
    parser.add_argument("--stack-name", required=True, metavar="NAME", help="the stack")
    parser.add_argument("--follow", action="store_true", help="watch the running operation until it ends")
    add_connection_options(parser, region="the stack's region (default: the profile's)")
    parser.add_argument("--json", action="store_true", help="print JSON for a machine to read")
    parser.set_defaults(handler=run)


def print_event(event) -> None:
    """One line per stack event on standard error, failures marked."""
    mark = "!!" if event.failed else "  "
    print(f"{mark} {event.line()}", file=sys.stderr, flush=True)


def follow(session, stack_name: str, *, seen: set[str] | None = None, after_execution: bool = False):
    """Follow ``stack_name`` to the end, printing each event; Ctrl-C raises ``FollowingStopped``
    (exit 130) saying how to follow again, and leaves the deployment running."""
    from wizard.aws.events import FollowingStopped, follow_stack

    print(f"Following stack {stack_name} (Ctrl-C stops following, not the deployment)", file=sys.stderr,
          flush=True)
    try:
        return follow_stack(session, stack_name, seen=seen, on_event=print_event,
                            after_execution=after_execution)
    except KeyboardInterrupt:
        raise FollowingStopped(stack_name, session.region) from None


def run(args: argparse.Namespace) -> int:
    from wizard.aws.events import (FollowResult, first_failure, is_settled, new_events, render_follow,
                                   stack_status)
    from wizard.aws.outputs import read_outputs
    from wizard.aws.session import make_session

    session = make_session(profile=args.aws_profile, region=args.region, endpoint_url=args.endpoint_url,
                           deadline=args.aws_deadline)
    status, reason = stack_status(session, args.stack_name)
    seen: set[str] = set()
    history = new_events(session, args.stack_name, seen)
    for event in history[-RECENT_EVENTS:]:
        print_event(event)
    if args.follow and not is_settled(status):
        result = follow(session, args.stack_name, seen=seen)
        result = FollowResult(result.stack_name, result.status, result.status_reason,
                              (*history, *result.events), first_failure(_current(history, result.events),
                                                                         args.stack_name),
                              result.outputs, result.stopped, result.timed_out)
    else:
        outputs = read_outputs(session, args.stack_name) if is_settled(status) else ()
        result = FollowResult(args.stack_name, status, reason, tuple(history),
                              first_failure(_current(history, ()), args.stack_name), outputs,
                              timed_out=args.follow and not is_settled(status))
    if args.json:
        json.dump(result.to_json(), sys.stdout, indent=2, default=str)
        sys.stdout.write("\n")
    else:
        sys.stdout.write(render_follow(result))
    if result.finished and not result.succeeded and result.status not in ("DELETE_COMPLETE",):
        failure = result.first_failure
        why = f": {failure.logical_id}: {failure.reason}" if failure is not None and failure.reason else ""
        raise AwsError(f"stack {result.stack_name} is in {result.status}{why}")
    return 0


def _current(history, later) -> list:
    """The events of the latest operation: from the last stack-level ``*_IN_PROGRESS`` event that
    a user started (an earlier failure, already repaired, must not be reported as the cause)."""
    from wizard.aws.events import STACK_TYPE

    events = [*history, *later]
    start = 0
    for index, event in enumerate(events):
        if event.resource_type == STACK_TYPE and event.status.endswith("_IN_PROGRESS") \
                and (event.reason or "").lower().startswith("user initiated"):
            start = index
    return events[start:]
