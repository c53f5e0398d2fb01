"""What a finding is: one observation about the evaluated stack, its severity, and its evidence.

A ``Finding`` joins what a rule detected (the grants, network rules or resources it points at,
the template lines, and for an escalation path the steps one after another) with the texts
kept as data in ``assets/findings.yaml`` (title, why it matters, how to fix it) and the
compliance controls that ``assets/compliance.yaml`` maps to the rule. The detector only
produces a ``Hit``; the texts are joined in one place so that a rule's wording can be
reviewed by a security person without reading Python.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from wizard.findings.severity import SEVERITIES, severity_rank
from wizard.iam.grants import Grant
from wizard.iam.network import NetworkRule

__all__ = ["SEVERITIES", "Control", "Finding", "Hit", "Step", "severity_rank"]


@dataclass(frozen=True)
class Control:
    """One compliance control a rule maps to, e.g. ``soc2`` ``CC6.1``."""

    framework: str
    id: str
    title: str

    def to_json(self) -> dict:
        return {"framework": self.framework, "id": self.id, "title": self.title}


@dataclass(frozen=True)
class Step:
    """One step of an escalation path: what happens, the grants that allow it, where."""

    text: str
    grants: tuple[Grant, ...] = ()
    lines: tuple[int, ...] = ()

    def to_json(self) -> dict:
        return {"text": self.text, "lines": list(self.lines),
                "grants": [_grant_ref(g) for g in self.grants]}


@dataclass(frozen=True)
class Hit:
    """What a detector found, before the rule's texts and controls are joined to it.

    ``subject`` names the thing the finding is about in a few words (a role, a listener);
    ``message`` says what exactly was found there; ``facts`` carries values a checklist item
    may quote (a certificate ARN, a port).
    """

    subject: str
    message: str
    grants: tuple[Grant, ...] = ()
    network: tuple[NetworkRule, ...] = ()
    resources: tuple[str, ...] = ()
    lines: tuple[int, ...] = ()
    steps: tuple[Step, ...] = ()
    facts: tuple[tuple[str, str], ...] = ()


@dataclass(frozen=True)
class Finding:
    """One finding: a rule's verdict on one place in the stack, with evidence and controls."""

    rule_id: str
    severity: str
    title: str
    why: str
    fix: str
    subject: str
    message: str
    category: str = ""
    concern: int | None = None
    grants: tuple[Grant, ...] = ()
    network: tuple[NetworkRule, ...] = ()
    resources: tuple[str, ...] = ()
    lines: tuple[int, ...] = ()
    steps: tuple[Step, ...] = ()
    controls: tuple[Control, ...] = ()
    facts: tuple[tuple[str, str], ...] = field(default=(), repr=False)
    source: str = ""
    """Who reported it: empty for this tool's own rules, ``IAM Access Analyzer`` for AWS's."""

    @property
    def rank(self) -> int:
        """The severity as a number, 0 (info) to 4 (critical)."""
        return severity_rank(self.severity)

    @property
    def frameworks(self) -> tuple[str, ...]:
        """The framework keys this finding's controls belong to, in mapping order."""
        return tuple(dict.fromkeys(c.framework for c in self.controls))

    def at_least(self, severity: str) -> bool:
        """Whether this finding is as serious as ``severity`` or more."""
        return self.rank >= severity_rank(severity)

    def to_json(self) -> dict[str, Any]:
        """The finding as ``--json`` output and the report's data document it."""
        return {
            "rule_id": self.rule_id,
            "severity": self.severity,
            "title": self.title,
            "category": self.category,
            "concern": self.concern,
            "subject": self.subject,
            "message": self.message,
            "why": self.why,
            "fix": self.fix,
            "resources": list(self.resources),
            "lines": list(self.lines),
            "grants": [_grant_ref(g) for g in self.grants],
            "network": [r.to_json() for r in self.network],
            "steps": [s.to_json() for s in self.steps],
            "controls": [c.to_json() for c in self.controls],
            "facts": dict(self.facts),
            "source": self.source or "quilt-wizard",
        }


def _grant_ref(grant: Grant) -> dict:
    data = grant.to_json()
    data["line"] = grant.source.line
    return data
