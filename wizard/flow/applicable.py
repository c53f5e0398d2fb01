"""Why an answer given does not act on the template in use, and whether it must be refused.

No answer is ever dropped without a word. A question is asked only when the template has the
parameters it sets and its ``when`` holds; an answer given to one that is not asked is kept in
the plan with the reason (the summary and ``--json`` list it), and an answer of the answers
file that asks for what the template cannot do is refused: a mode or profile is a starting
point for any template, the answers file says what this deployment must be.

The reason comes from the template itself: the hardening overlay's record
(``Metadata: QuiltWizard::Overlay``) says when an option needs a change by the vendor, or when
its rule found nothing to act on in the vendor's template.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Mapping

from wizard.cfn.template import Template
from wizard.flow.catalog import MULTI, Question

#: Where the hardened template records what each overlay rule did.
_PROVENANCE = "QuiltWizard::Overlay"


@dataclass(frozen=True)
class NotApplied:
    """An answer given that the template in use does not apply."""

    value: Any
    reason: str
    source: str = ""
    refused: bool = False

    def to_json(self) -> dict:
        return {"value": self.value, "reason": self.reason, "source": self.source}


def _overlay_rules(template: Template) -> list[dict]:
    metadata = template.body.get("Metadata")
    record = metadata.get(_PROVENANCE) if isinstance(metadata, dict) else None
    rules = record.get("Rules") if isinstance(record, dict) else None
    return [r for r in rules or [] if isinstance(r, dict)]


def missing_reason(template: Template, missing: list[str]) -> str:
    """Why the template lacks these parameters, from the overlay's record when it has one."""
    names = ", ".join(missing)
    for rule in _overlay_rules(template):
        if rule.get("Parameter") not in missing:
            continue
        if rule.get("Status") == "needs-vendor":
            return f"the template has no {names}: it needs a change by the vendor ({rule.get('Id')})"
        if rule.get("Status") == "matched-nothing":
            return (f"the template has no {names}: the overlay's rule {rule.get('Id')} found nothing in it to "
                    "act on")
    return f"the template has no {names}"


def _is_default(question: Question, value: Any) -> bool:
    default = question.default
    if question.kind == MULTI:
        return sorted(value or ()) == sorted(default or ())
    return default is not None and str(value) == str(default)


def _already_so(question: Question, value: Any, template: Template) -> str | None:
    """The reason an answer the template cannot set already holds on it, or None."""
    if question.id == "external_trust" and value == "remove":
        from wizard.flow.facts import trust_of

        if not trust_of(template).outsiders:
            return "its trust policies name no principal of another AWS account: already so"
    return None


def not_applied(question: Question, value: Any, template: Template, in_force: Mapping[str, Any],
                source: str = "") -> NotApplied:
    """Why ``value``, given for a question the plan does not ask, does nothing on ``template``,
    and whether it must be refused (it asks for what the template cannot do)."""
    missing = sorted(question.parameters - set(template.parameters))
    if missing:
        already = _already_so(question, value, template)
        if already:
            return NotApplied(value, f"the template has no {', '.join(missing)}; {already}", source)
        reason = missing_reason(template, missing)
        return NotApplied(value, reason, source, refused=not _is_default(question, value))
    when = question.when or {}
    wanted = when.get("equals") or ", ".join(when.get("any_of") or ()) or "answered"
    return NotApplied(value, f"not asked: {when.get('question')} is {in_force.get(when.get('question'))!r}, "
                             f"not {wanted!r}", source)
