"""The risk of a set of parameter values: its findings, and how a choice changes them.

A security team reads risk before grants: "this choice removes the critical self-escalation
finding" says more than "+7 grants". ``findings_of`` runs the findings rules over the cached
analysis of the values (``wizard.iam.analysis``), remembered per values; ``change`` compares two
such sets by severity (``-1 critical -1 high +1 low``) and names the critical and high findings
that appear or disappear. Every face reads the same numbers: the wizard's panel and review, the
headless summary, the report.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from typing import Iterable, Mapping

from wizard.cfn.pseudo import Pseudo
from wizard.cfn.template import Template
from wizard.findings import SEVERITIES, Finding, evaluate_findings, severity_summary
from wizard.iam.analysis import Values, analyse, freeze
from wizard.iam.diff import PermissionDiff
from wizard.memo import memo

#: Severities whose findings are named, not only counted.
NAMED = ("critical", "high")
_ORDER = tuple(reversed(SEVERITIES))  # critical first


@memo(maxsize=128)
def _findings(template: Template, values: Values, pseudo: Pseudo) -> tuple[Finding, ...]:
    analysis = analyse(template, dict(values), pseudo)
    return tuple(evaluate_findings(analysis.evaluation, list(analysis.grants), list(analysis.rules)))


def findings_of(template: Template, values: Mapping[str, str], pseudo: Pseudo) -> tuple[Finding, ...]:
    """Every finding of these parameter values (cached: moving the highlight back costs nothing)."""
    return _findings(template, freeze(values), pseudo)


def _key(finding: Finding) -> tuple[str, str]:
    return finding.rule_id, finding.subject


def name_of(finding: Finding) -> str:
    """``QW-ESC-001 RegistryRole may escalate...``: the rule and its subject, for a one-line mention."""
    return f"{finding.rule_id} {finding.title}" + (f" ({finding.subject})" if finding.subject else "")


@dataclass(frozen=True)
class RiskChange:
    """How the findings change from one set of values to another."""

    added: tuple[Finding, ...]
    removed: tuple[Finding, ...]

    @property
    def empty(self) -> bool:
        return not self.added and not self.removed

    def counts(self) -> dict[str, int]:
        """Severity -> net change, most severe first, zeros left out."""
        net = Counter(f.severity for f in self.added)
        net.subtract(Counter(f.severity for f in self.removed))
        return {s: net[s] for s in _ORDER if net[s]}

    def text(self) -> str:
        """``-1 critical +13/-1 medium +1 low``; ``findings unchanged`` when nothing moves.

        Each severity is named once, most severe first: ``-N`` when its findings only leave,
        ``+N`` when they only arrive, ``+A/-R`` when some arrive and others leave (``+1/-1 high``
        when one high finding replaces another, so no change is hidden by a net zero). Every face
        prints this line: the wizard's panel and review, ``--plain``, the headless summary."""
        parts = []
        for severity in _ORDER:
            gone = sum(1 for f in self.removed if f.severity == severity)
            new = sum(1 for f in self.added if f.severity == severity)
            if gone and new:
                parts.append(f"+{new}/-{gone} {severity}")
            elif gone:
                parts.append(f"-{gone} {severity}")
            elif new:
                parts.append(f"+{new} {severity}")
        return " ".join(parts) if parts else "findings unchanged"

    def named(self) -> list[tuple[str, Finding]]:
        """(sign, finding) for the critical and high findings that leave or arrive."""
        found = [("-", f) for f in self.removed if f.severity in NAMED]
        found += [("+", f) for f in self.added if f.severity in NAMED]
        return sorted(found, key=lambda item: (-item[1].rank, item[0], item[1].rule_id))

    @property
    def worsens(self) -> bool:
        """More serious findings arrive than leave, compared severity by severity from the top."""
        for severity in _ORDER:
            delta = self.counts().get(severity, 0)
            if delta:
                return delta > 0
        return False


def change(before: Iterable[Finding], after: Iterable[Finding]) -> RiskChange:
    """The findings that appear and disappear between two sets (matched by rule and subject)."""
    before, after = list(before), list(after)
    old = {_key(f) for f in before}
    new = {_key(f) for f in after}
    return RiskChange(tuple(f for f in after if _key(f) not in old),
                         tuple(f for f in before if _key(f) not in new))


def risk_between(template: Template, before: Mapping[str, str], after: Mapping[str, str],
                 pseudo: Pseudo) -> RiskChange:
    """How the findings change from one set of parameter values to another."""
    return change(findings_of(template, before, pseudo), findings_of(template, after, pseudo))


def headline(risk: RiskChange, diff: PermissionDiff) -> str:
    """``findings -2 critical +1/-8 high; +74 grants  -38  BROADENING``: a summary's first line,
    the change in risk first (as the wizard's panel shows it), then the grants' verdict."""
    findings = risk.text() if risk.empty else f"findings {risk.text()}"
    return f"{findings}; {diff.summary()}"


def posture_text(findings: Iterable[Finding]) -> str:
    """``44 (1 critical, 3 high, ...)``: the findings by severity (the core's summary)."""
    return severity_summary(findings)


def serious(findings: Iterable[Finding]) -> list[Finding]:
    """The critical and high findings, most severe first."""
    return sorted((f for f in findings if f.severity in NAMED), key=lambda f: (-f.rank, f.rule_id))
