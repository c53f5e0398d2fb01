"""Grants, network rules and diffs as text for a terminal, in the manner of ``cdk diff``.

Grouped by principal, one line a statement: ``+``/``-``, effect, actions, resources,
condition, access-level badges, then one verdict line. Colour only on a terminal and never
when ``NO_COLOR`` is set. The line prompts and the headless summary print these same lines.
"""

from __future__ import annotations

import json
import os
import sys
from typing import Iterable, TextIO

from wizard.iam.diff import GrantChange, PermissionDiff, RuleChange
from wizard.iam.grants import Grant, by_principal, holder_of
from wizard.iam.network import NetworkRule

_CODES = {"green": "32", "red": "31", "yellow": "33", "bold": "1", "dim": "2", "magenta": "35"}
_BADGES = {"List": "L", "Read": "R", "Write": "W", "Tagging": "T", "Permissions management": "PM"}


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


def badges(grant: Grant) -> str:
    """Access-level badges such as ``[R W PM]``; ``[?]`` for actions AWS does not define."""
    marks = [_BADGES[level] for level in grant.access_levels]
    if grant.unknown_actions:
        marks.append("?")
    return f"[{' '.join(marks)}]" if marks else ""


def _short(values: Iterable[str], limit: int | None = 4) -> str:
    values = [holder_of(v) if v.startswith("${") else v for v in values]
    if limit is not None and len(values) > limit:
        return ", ".join(values[:limit]) + f" (+{len(values) - limit} more)"
    return ", ".join(values)


def describe_grant(grant: Grant, full: bool = False) -> str:
    """One line: effect, actions, resources, condition, badges, source (``full``: every action
    and resource and the whole condition, nothing abbreviated)."""
    if grant.attachment:
        return f"attaches {grant.attachment}"
    few, some = (None, None) if full else (4, 3)
    acts = _short(grant.actions, few) if grant.actions else "everything except " + _short(grant.not_actions, few)
    if grant.kind == "trust":
        what = f"{grant.principal} may {acts}"
    elif grant.kind == "resource":
        what = f"{grant.principal} {grant.effect} {acts}"
    else:
        what = f"{grant.effect} {acts}"
    if grant.resources:
        what += f" on {_short(grant.resources, some)}"
    elif grant.not_resources:
        what += f" on everything except {_short(grant.not_resources, some)}"
    if grant.condition_json:
        condition = json.dumps(grant.condition, separators=(',', ':'))
        what += f" if {condition if full else condition[:120]}"
    mark = badges(grant)
    if mark:
        what += f" {mark}"
    if grant.grants_nothing:
        what += " (grants nothing: placeholder)"
    return what


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
