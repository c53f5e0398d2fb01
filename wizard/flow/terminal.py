"""Grants, network rules and diffs as text for a terminal, in the manner of ``cdk diff``.

Grouped by principal, one line a statement: ``+``/``-``, effect, actions, resources,
condition, access-level badges, then one verdict line; a summary's headline leads with the
change in findings (``headline_text``). Colour only on a terminal and never when ``NO_COLOR`` is
set. The line prompts and the headless summary print these same lines; the headless run's
summary itself (``summary_text``) is written here too.
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
    from wizard.flow.headless_plan import Deployment
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


# --- the headless run's summary ---------------------------------------------------------------

def summary_text(deployment: "Deployment", *, colour: bool = False, findings: list | None = None,
                 written: bool = True) -> str:
    """What a person reads after a headless run."""
    from wizard.cfn.parameters import MASK
    from wizard.flow.headless_plan import changes, phase_findings, unmet_recommendations
    from wizard.flow.headless_write import exposures
    from wizard.flow.risk import name_of, posture_text, risk_between, serious
    from wizard.flow.stops import stop_lines

    paint = Painter(colour)
    lines = [paint(f"Template: {deployment.template.source}", "bold"),
             f"Stack {deployment.pseudo.stack_name} in {deployment.pseudo.region}, "
             f"account {deployment.pseudo.account_id}" + (f", mode {deployment.mode}" if deployment.mode else "")]
    lines += hardening_lines(deployment, paint)
    left_out = deployment.plan.left_out_warning()  # a profile saved on another template
    if left_out:
        lines.append(paint(f"Warning: {left_out}", "bold", "yellow"))
    lines += answer_lines(deployment, paint)
    lines += ["", paint("Parameters", "bold")]
    width = max((len(n) for n in deployment.values.specs), default=0)
    shown = deployment.values.display()
    for name in deployment.values.specs:
        value = shown[name]
        if deployment.values.specs[name].no_echo and not deployment.values.raw.get(name):
            value = "(empty)"  # no secret to hide: a mask would claim one is set
        marker = "" if value == MASK else ("  (default)" if deployment.values.specs[name].default == value else "")
        lines.append(f"  {name:<{width}}  {value}{paint(marker, 'dim')}")
    for title, before, after, diff in changes(deployment):
        # Each headline leads with the change in risk, as the wizard's panel does, then the grants.
        risk = risk_between(deployment.template, before, after, deployment.pseudo)
        lines.append("")
        lines.append(headline_text(title, risk, diff, colour).rstrip())
        lines.append(diff_text(diff, colour).rstrip())
    lines += stop_lines(deployment, paint)
    lines += approval_lines(deployment, paint)
    unmet = unmet_recommendations(deployment)
    if unmet:
        lines.append("")
        lines.append(paint("Recommended by the frameworks chosen, not followed", "bold", "yellow"))
        lines += [f"  {question.title} {text}" for question, text in unmet]
    if findings is not None:
        lines.append("")
        for label, found in phase_findings(deployment, findings):
            lines.append(paint(f"Findings{label}: {posture_text(found)}", "bold"))
            aws = [f for f in found if f.source]
            if aws:
                lines.append(f"  of which {posture_text(aws)} reported by AWS ({aws[0].source}), marked AWS-AA-")
            lines += [f"  {f.severity.upper()} {name_of(f)}" for f in serious(found)]
        lines.append(paint("See `quilt-wizard report` for every finding.", "dim"))
    lines.append("")
    for phase in deployment.phases:
        if written:
            lines.append(f"Wrote {phase.path} ({phase.label}, format {deployment.fmt})")
        else:
            lines.append(f"Not written: {phase.path} ({phase.label}): a gate tripped")
    if deployment.template_path is not None and written:
        lines.append(f"Wrote {deployment.template_path} (the hardened template: deploy this one with the "
                     "parameter file)")
    if written:
        lines += [paint(f"Warning: {warning}", "bold", "yellow") for warning in exposures(deployment)]
    return "\n".join(lines) + "\n"


def approval_lines(deployment: "Deployment", paint) -> list[str]:
    """With manual approval: what the approver does when a bucket is connected, and what only
    the vendor can add (the application asking on the approval topic)."""
    from wizard.findings.connection import APPROVAL_STEPS

    if deployment.values.raw.get("PolicyCreationMode") != "ManualApproval":
        return []
    stack = deployment.pseudo.stack_name
    return ["", paint("Manual approval of IAM policies", "bold"),
            *(f"  {step.replace('STACK', stack).replace('`', '')}" for step in APPROVAL_STEPS)]


def hardening_lines(deployment: "Deployment", paint) -> list[str]:
    """What the overlay did to the vendor's template, for the summary."""
    hardening = deployment.hardening
    if hardening is None:
        return []
    lines = ["", paint(f"The template lacks the promised options: hardened with the {hardening.overlay_name} "
                       f"overlay {hardening.overlay_version} (--no-harden analyses it as is)", "bold"),
             f"  options added: {', '.join(hardening.added_parameters)}"]
    lines += [f"  needs a change by the vendor: {parameter} ({title})" for parameter, title in hardening.vendor_changes]
    lines += [f"  warning: {w}" for w in hardening.warnings]
    return lines


def answer_lines(deployment: "Deployment", paint) -> list[str]:
    """Every answer given, as the question's choice or value; those the template in use does not
    apply marked, with the reason (nothing given is ever dropped without a word)."""
    from wizard.flow.catalog import load_catalog

    catalog = load_catalog()
    plan = deployment.plan
    given = plan.given()
    if not given:
        return []
    width = max(len(k) for k in given)
    lines = ["", paint("Answers", "bold")]
    for key, value in given.items():
        question = catalog.question(key)
        choice = question.choice(value) if isinstance(value, str) and question.choices else None
        shown = choice.label if choice else (", ".join(value) if isinstance(value, (list, tuple)) else str(value))
        lines.append(f"  {key:<{width}}  {shown or '(empty)'}")
        if key in plan.not_applied:
            lines.append(paint(f"  {'':<{width}}  not applied: {plan.not_applied[key].reason}", "yellow"))
    return lines
