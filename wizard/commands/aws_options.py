"""How a command reaches AWS, said once for every command that does: ``--aws-profile``,
``--endpoint-url`` and, where the command has no stack options of its own, ``--region``."""

from __future__ import annotations

import argparse


def add_connection_options(parser: argparse._ActionsContainer, *, region: str | None = None) -> None:
    """Add ``--aws-profile`` and ``--endpoint-url``; ``--region`` too, with its help text, when
    given (the main command takes its region from the stack's own options)."""
    if region is not None:
        parser.add_argument("--region", metavar="REGION", help=region)
    parser.add_argument("--aws-profile", metavar="NAME", help="AWS profile (default: AWS_PROFILE or the default chain)")
    parser.add_argument("--endpoint-url", metavar="URL", help="a local AWS endpoint, for tests")
