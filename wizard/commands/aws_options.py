"""How a command reaches AWS, said once for every command that does: ``--aws-profile``,
``--endpoint-url``, ``--aws-deadline`` and, where the command has no stack options of its own,
``--region``."""

from __future__ import annotations

import argparse

DEFAULT_DEADLINE = 30
"""Seconds (``wizard.aws.session.DEFAULT_DEADLINE``, which a test keeps equal), said in ``--help``
without importing the AWS package to build the command line."""


def add_connection_options(parser: argparse._ActionsContainer, *, region: str | None = None) -> None:
    """Add ``--aws-profile``, ``--endpoint-url`` and ``--aws-deadline``; ``--region`` too, with its
    help text, when given (the main command takes its region from the stack's own options)."""
    if region is not None:
        parser.add_argument("--region", metavar="REGION", help=region)
    parser.add_argument("--aws-profile", metavar="NAME", help="AWS profile (default: AWS_PROFILE or the default chain)")
    parser.add_argument("--endpoint-url", metavar="URL", help="a local AWS endpoint, for tests")
    parser.add_argument("--aws-deadline", metavar="SECONDS", type=deadline_seconds,
                        help="give up on an AWS call that has not answered in full after SECONDS, its retries "
                             f"included (exit 3, naming the endpoint; default: {DEFAULT_DEADLINE})")


def deadline_seconds(text: str) -> float:
    """``--aws-deadline``'s value: a number of seconds above 0."""
    import math

    try:
        value = float(text)
    except ValueError:
        value = math.nan
    if not (value > 0 and math.isfinite(value)):
        raise argparse.ArgumentTypeError(f"expected a number of seconds above 0, found {text!r}")
    return value
