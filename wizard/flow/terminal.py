"""Grants, network rules and diffs as text for a terminal, in the manner of ``cdk diff``.

Grouped by principal, one line a statement: ``+``/``-``, effect, actions, resources,
condition, access-level badges, then one verdict line; a summary's headline leads with the
change in findings (``headline_text``). Colour only on a terminal and never when ``NO_COLOR`` is
set. The line prompts and the headless summary print these same lines.
"""

from __future__ import annotations

import os
import sys
from typing import TYPE_CHECKING, Iterable, TextIO

from wizard.iam.diff import GrantChange, PermissionDiff, RuleChange
from wizard.iam.describe import badges, describe_grant
from wizard.iam.grants import Grant, by_principal
from wizard.iam.network import NetworkRule

if TYPE_CHECKING:
    from wizard.flow.risk import RiskChange

_CODES = {"green": "32", "red": "31", "yellow": "33", "bold": "1", "dim": "2", "magenta": "35"}


def use_colour(stream: TextIO | None = None) -> bool:
    """Colour when writing to a terminal (standard output unless given) and NO_COLOR is not set."""
    stream = sys.stdout if stream is None else stream
    try:
        return not os.environ.get("NO_COLOR") and hasattr(stream, "isatty") and stream.isatty()
    except ValueError:  # a closed stream
        return False


class Painter:
    """Wraps text in ANSI colours, or not."""

    def __init__(self, enabled: bool):
        self.enabled = enabled

    def __call__(self, text: str, *styles: str) -> str:
        if not self.enabled or not styles:
            return text
        codes = ";".join(_CODES[s] for s in styles)
        return f"\033[{codes}m{text}\033[0m"


def grants_text(grants: list[Grant], rules: list[NetworkRule], unresolved: Iterable[str] = (),
                colour: bool = False, full: bool = False) -> str:
    """The full grants listing for ``quilt-wizard grants``."""
    paint = Painter(colour)
    lines = []
    groups = by_principal(grants)
    lines.append(paint(f"IAM grants: {len(grants)} statements for {len(groups)} principals", "bold"))
    for principal, members in groups.items():
        lines.append("")
        lines.append(paint(principal, "bold"))
        for grant in members:
            style = ("dim",) if grant.grants_nothing else (("red",) if grant.effect == "Deny" else ())
            where = f"  ({grant.source}" + (f", line {grant.source.line})" if grant.source.line else ")")
            lines.append("  " + paint(describe_grant(grant, full), *style) + paint(where, "dim"))
    lines.append("")
    lines.append(paint(f"Network: {len(rules)} rules", "bold"))
    for rule in rules:
        style = ("yellow",) if rule.is_public else ()
        lines.append("  " + paint(rule.describe(), *style) + (paint(f"  (line {rule.line})", "dim") if rule.line else ""))
    unresolved = list(unresolved)
    if unresolved:
        lines.append("")
        lines.append(paint("Parameters with no value yet (shown as <Name>): " + ", ".join(unresolved), "dim"))
    return "\n".join(lines) + "\n"


def _change_line(sign: str, text: str, change: GrantChange | RuleChange, paint: Painter) -> str:
    colour = "green" if sign == "+" else "red"
    line = paint(f"{sign} {text}", colour)
    if change.broadening:
        line += "  " + paint("broadening", "bold", "yellow")
    return line


def headline_text(title: str, risk: RiskChange, diff: PermissionDiff, colour: bool = False) -> str:
    """A summary's headline, the change in risk first as the wizard's panel shows it:
    ``TITLE: findings -2 critical +1/-8 high; +74 grants  -38  BROADENING``, then each critical
    and high finding that leaves (``-``) or arrives (``+``)."""
    from wizard.flow.risk import headline, name_of

    paint = Painter(colour)
    style = ("bold", "red") if risk.worsens else ("bold", "green") if not risk.empty else ("bold",)
    lines = [paint(f"{title}: ", "bold") + paint(headline(risk, diff), *style)]
    for sign, finding in risk.named():
        lines.append("  " + paint(f"{sign} {finding.severity.upper()} {name_of(finding)}",
                                  "green" if sign == "-" else "red"))
    return "\n".join(lines) + "\n"


def diff_text(diff: PermissionDiff, colour: bool = False, *, title: str = "IAM changes") -> str:
    """The diff grouped by principal, then network, then weakenings and gains, then the verdict."""
    paint = Painter(colour)
    lines = []
    if diff.added or diff.removed:
        lines.append(paint(title, "bold"))
        for principal, members in diff.grouped().items():
            lines.append("  " + paint(principal, "bold"))
            for sign, change in members:
                lines.append("    " + _change_line(sign, describe_grant(change.grant), change, paint))
    if diff.network_added or diff.network_removed:
        lines.append(paint("Network changes", "bold"))
        for sign, rule_changes in (("-", diff.network_removed), ("+", diff.network_added)):
            for rule_change in rule_changes:
                lines.append("    " + _change_line(sign, rule_change.rule.describe(), rule_change, paint))
    if diff.weakenings or diff.gains:
        lines.append(paint("Security posture", "bold"))
        lines += ["    " + paint(f"- {c.reason}", "red") + "  " + paint("weakening", "bold", "yellow")
                  for c in diff.weakenings]
        lines += ["    " + paint(f"+ {c.reason}", "green") for c in diff.gains]
    verdict = diff.summary()
    lines.append(paint(verdict, "bold", "yellow") if diff.broadening or diff.weakening else paint(verdict, "bold"))
    return "\n".join(lines) + "\n"
