"""The pre-deployment checklist: what to verify before this deployment, from data and findings.

Items live in ``assets/findings.yaml``; an item applies when the template declares one of its
parameters, when one of its rules has a finding, when the evaluated template has one of its
resources (a type, or a logical-id pattern such as ``CanaryBucket*``), or always. Items are worded with the values
of this evaluation (NoEcho values masked; ``{resources:PATTERN}`` lists the resources present,
``{trail-readers}`` the stack's roles that may read the trail's bucket). When the wizard's preflight has run, its result for
an item of the same name (``certificate``, ``kms-key``, ``log-group`` ...) is shown beside it,
and preflight checks without an item are listed after the items.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any, Iterable, Mapping

from wizard.cfn.evaluate import Evaluation
from wizard.findings.catalog import catalog
from wizard.findings.model import Finding

_FIELD = re.compile(r"\{(param:[A-Za-z0-9]+(?:\|[^}]*)?|resources:[A-Za-z0-9:*/]+|trail-readers|region|stack|account)\}")
STATUSES = ("pass", "warn", "fail", "skip")


@dataclass(frozen=True)
class ChecklistEntry:
    """One line of the checklist and, if preflight ran, what it found."""

    id: str
    text: str
    status: str | None = None
    detail: str = ""
    hint: str = ""

    def to_json(self) -> dict:
        return {"id": self.id, "text": self.text, "status": self.status, "detail": self.detail, "hint": self.hint}


def preflight_results(preflight: Any) -> dict[str, dict]:
    """Preflight results by check name, from ``{"checks": [...]}``, ``{name: {...}}`` or ``{name: status}``."""
    if preflight is None:
        return {}
    if hasattr(preflight, "to_json"):
        preflight = preflight.to_json()
    if not isinstance(preflight, Mapping):
        return {}
    checks = preflight.get("checks")
    found: dict[str, dict] = {}
    if isinstance(checks, list):
        for check in checks:
            if isinstance(check, Mapping) and check.get("name"):
                found[str(check["name"])] = dict(check)
        return found
    for name, value in preflight.items():
        if isinstance(value, Mapping):
            found[str(name)] = {"name": name, **value}
        elif isinstance(value, str):
            found[str(name)] = {"name": name, "status": value}
    return found


def _fill(text: str, evaluation: Evaluation) -> str:
    shown = evaluation.parameters.display()
    pseudo = evaluation.pseudo

    def value(match: re.Match[str]) -> str:
        key = match.group(1)
        if key == "region":
            return pseudo.region
        if key == "stack":
            return pseudo.stack_name
        if key == "account":
            return pseudo.account_id
        if key.startswith("resources:"):
            return ", ".join(present(evaluation, (key.split(":", 1)[1],))) or "none"
        if key == "trail-readers":
            return ", ".join(_trail_readers(evaluation)) or "no role of the stack"
        name, _, fallback = key.split(":", 1)[1].partition("|")
        if shown.get(name, "") == "":
            return fallback or "not set"
        return shown[name]

    return _FIELD.sub(value, text)


def present(evaluation: Evaluation, patterns: Iterable[str]) -> list[str]:
    """The logical ids of the evaluated template's resources of a type or id pattern given."""
    from fnmatch import fnmatchcase

    found = []
    for pattern in patterns:
        kind, _, name = pattern.rpartition("/") if "/" in pattern else \
            ((pattern, "", "*") if "::" in pattern else ("", "", pattern))
        candidates = evaluation.resources(kind) if kind else {
            logical_id: raw for logical_id, raw in evaluation.template.resources.items()
            if evaluation.resource(logical_id) is not None}
        found += [logical_id for logical_id in candidates if fnmatchcase(logical_id, name)]
    return list(dict.fromkeys(found))


def _trail_readers(evaluation: Evaluation) -> list[str]:
    from wizard.findings.assurance import trail_readers
    from wizard.findings.context import RuleContext
    from wizard.iam.grants import extract

    return list(trail_readers(RuleContext(evaluation, extract(evaluation), [])))


def checklist(evaluation: Evaluation, findings: Iterable[Finding], preflight: Any = None) -> list[ChecklistEntry]:
    """The checklist items that apply to this evaluation, with preflight results if any."""
    fired = {f.rule_id for f in findings}
    declared = set(evaluation.template.parameters)
    results = preflight_results(preflight)
    entries = []
    for item in catalog().checklist:
        applies = (item.always or bool(fired & set(item.rules)) or bool(declared & set(item.parameters))
                   or bool(item.resources and present(evaluation, item.resources)))
        if not applies:
            continue
        result = results.pop(item.id, {})
        entries.append(ChecklistEntry(item.id, _fill(item.text, evaluation), _status(result.get("status")),
                                      str(result.get("detail") or ""), str(result.get("hint") or "")))
    for name, result in results.items():
        entries.append(ChecklistEntry(name, f"Preflight check {name}.", _status(result.get("status")),
                                      str(result.get("detail") or ""), str(result.get("hint") or "")))
    return entries


def _status(value: Any) -> str | None:
    text = str(getattr(value, "value", value) or "").lower()
    return text if text in STATUSES else None
