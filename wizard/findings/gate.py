"""``--fail-on SEVERITY``: the policy gate the analysis commands share for CI.

A run with ``--fail-on high`` exits 1 when any finding is high or critical, after printing
its normal output; the one-line message names the findings that tripped it.
"""

from __future__ import annotations

import argparse
from typing import TYPE_CHECKING, Iterable

from wizard.errors import GateTripped
from wizard.findings.severity import SEVERITIES, severity_rank

if TYPE_CHECKING:
    from wizard.findings.model import Finding


def add_fail_on_option(parser: argparse.ArgumentParser) -> None:
    """Add ``--fail-on SEVERITY`` to a command."""
    parser.add_argument("--fail-on", choices=SEVERITIES, metavar="SEVERITY", default=None,
                        help="exit 1 when a finding is this severe or worse "
                             f"({', '.join(SEVERITIES)}); for CI")


def check_gate(findings: Iterable[Finding], severity: str | None) -> None:
    """Raise GateTripped when a finding is at least ``severity`` (nothing when it is None)."""
    if severity is None:
        return
    floor = severity_rank(severity)
    tripped = [f for f in findings if f.rank >= floor]
    if tripped:
        names = ", ".join(f"{f.rule_id} {f.severity} ({f.subject})" for f in tripped[:3])
        more = f" and {len(tripped) - 3} more" if len(tripped) > 3 else ""
        raise GateTripped(f"{len(tripped)} finding(s) at or above {severity}: {names}{more} (--fail-on {severity})")


def findings_gate(evaluation, grants, rules, severity: str | None) -> None:
    """Evaluate the findings (only when a gate is asked for) and check them."""
    if severity is None:
        return
    from wizard.findings import evaluate_findings

    check_gate(evaluate_findings(evaluation, grants, rules), severity)
