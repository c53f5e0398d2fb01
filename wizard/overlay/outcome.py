"""What a hardening made of a template: each rule's outcome, step by step, and the hardened
template with its provenance. Kept apart from the hardening itself (``wizard.overlay.apply``), so
that a hardening read back from the cache folder (``wizard.overlay.kept``) needs none of its
machinery. What a summary shows (``overlay_name``, ``overlay_version``, ``added_parameters``,
``warnings``, ``notes``, ``vendor_changes``) is what a kept hardening reads back without the
overlay's rules, so a summary asks for these rather than for the overlay or the outcomes."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from wizard.cfn.template import Template
from wizard.overlay.match import Match
from wizard.overlay.rules import Overlay, Rule

__all__ = ["APPLIED", "BLOCKED", "NOTHING", "PRESENT", "VENDOR", "Hardening", "RuleOutcome", "RuleStatus",
           "StepOutcome"]


class RuleStatus(StrEnum):
    """What became of one rule on one template (its value is what the provenance shows)."""

    APPLIED = "applied"
    NOTHING = "matched-nothing"
    PRESENT = "already-present"
    VENDOR = "needs-vendor"
    BLOCKED = "requires-missing"


APPLIED, NOTHING, PRESENT, VENDOR, BLOCKED = RuleStatus


@dataclass(frozen=True)
class StepOutcome:
    """What one step matched and what it added."""

    name: str
    matches: tuple[Match, ...]
    says: tuple[str, ...]
    skipped: tuple[str, ...] = ()

    def to_json(self) -> dict:
        return {"step": self.name, "matched": [m.to_json() for m in self.matches], "adds": list(self.says),
                "skipped": list(self.skipped)}


@dataclass(frozen=True)
class RuleOutcome:
    """One rule's result on one template."""

    rule: Rule
    status: RuleStatus
    steps: tuple[StepOutcome, ...] = ()

    @property
    def warnings(self) -> list[str]:
        out = []
        if self.status == NOTHING:
            out.append(f"rule {self.rule.id} ({self.rule.parameter}) matched nothing in this template; "
                       "the option is not offered")
        elif self.status == BLOCKED:
            out.append(f"rule {self.rule.id} ({self.rule.parameter}) needs rule(s) "
                       f"{', '.join(self.rule.requires)}, which did not apply")
        for step in self.steps:
            if self.status == APPLIED and step.matches == () and step.name:
                out.append(f"rule {self.rule.id}: step '{step.name}' matched nothing")
        return out

    @property
    def notes(self) -> list[str]:
        """What a step saw but left as the vendor wrote it, and why."""
        return [f"rule {self.rule.id}: {s}" for step in self.steps for s in step.skipped]

    def to_json(self) -> dict:
        return {"rule": self.rule.id, "title": self.rule.title, "parameter": self.rule.parameter,
                "concerns": list(self.rule.concerns), "status": self.status.value,
                "needs_vendor": self.rule.needs_vendor or None, "preflight": self.rule.preflight or None,
                "steps": [s.to_json() for s in self.steps]}


@dataclass(frozen=True, eq=False)
class Hardening:
    """The hardened template and the story of how it was made."""

    vendor: Template
    template: Template
    overlay: Overlay
    outcomes: tuple[RuleOutcome, ...]
    vendor_sha256: str

    @property
    def text(self) -> str:
        return self.template.text

    @property
    def overlay_name(self) -> str:
        return self.overlay.name

    @property
    def overlay_version(self) -> str:
        return self.overlay.version

    @property
    def warnings(self) -> list[str]:
        return [w for o in self.outcomes for w in o.warnings]

    @property
    def notes(self) -> list[str]:
        return [n for o in self.outcomes for n in o.notes]

    @property
    def added_parameters(self) -> list[str]:
        declared = self.template.parameters
        return [p for o in self.outcomes if o.status == APPLIED for p in o.rule.parameter_specs() if p in declared]

    @property
    def needs_vendor(self) -> list[RuleOutcome]:
        return [o for o in self.outcomes if o.status == VENDOR]

    @property
    def vendor_changes(self) -> list[tuple[str, str]]:
        """(parameter, title) of each rule that needs a change by the vendor."""
        return [(o.rule.parameter, o.rule.title) for o in self.needs_vendor]

    def to_json(self) -> dict:
        return {"vendor_template": self.vendor.source, "vendor_sha256": self.vendor_sha256,
                "overlay": {"name": self.overlay.name, "version": self.overlay.version,
                            "digest": self.overlay.digest},
                "parameters_added": self.added_parameters,
                "rules": [o.to_json() for o in self.outcomes], "warnings": self.warnings,
                "notes": self.notes}
