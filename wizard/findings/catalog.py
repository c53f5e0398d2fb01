"""The rule texts and the compliance mapping, read from ``assets/`` once and validated.

``assets/findings.yaml`` holds every rule's title, severity, why-it-matters and how-to-fix,
the public catalog of privilege-escalation combinations, and the pre-deployment checklist;
``assets/compliance.yaml`` maps controls of SOC 2, HIPAA, PCI DSS, ISO 27001 and the CIS AWS
Foundations Benchmark to rule ids. Both are checked against their JSON Schemas (and against
each other: a control may only name a rule that exists) the first time they are needed, and
kept for the life of the process: the TUI evaluates findings on every answer.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from typing import Any

from wizard import paths
from wizard.errors import InputError
from wizard.findings.model import Control
from wizard.memo import once

FINDINGS_FILE = "findings.yaml"
COMPLIANCE_FILE = "compliance.yaml"


@dataclass(frozen=True)
class RuleText:
    """The data half of a rule, a template rule's or an audit rule's: everything but its
    detection logic."""

    id: str
    severity: str
    category: str
    title: str
    why: str
    fix: str
    concern: int | None = None
    controls: tuple[Control, ...] = ()
    """The controls an audit rule names itself; a template rule's come from compliance.yaml
    (``Catalog.controls_by_rule``)."""

    @classmethod
    def from_entry(cls, rule_id: str, entry: dict[str, Any], controls: tuple[Control, ...] = ()) -> RuleText:
        """A rule's texts from its entry in ``findings.yaml``, white space folded."""
        return cls(id=rule_id, severity=entry["severity"], category=entry["category"],
                   title=entry["title"].strip(), why=" ".join(entry["why"].split()),
                   fix=" ".join(entry["fix"].split()), concern=entry.get("concern"), controls=controls)


@dataclass(frozen=True)
class EscalationMethod:
    """A privilege-escalation combination from the public catalogs: all actions needed."""

    id: str
    group: str
    actions: tuple[str, ...]
    description: str


@dataclass(frozen=True)
class ChecklistItem:
    """A pre-deployment check; included when one of its parameters or rules applies."""

    id: str
    text: str
    parameters: tuple[str, ...] = ()
    rules: tuple[str, ...] = ()
    always: bool = False
    resources: tuple[str, ...] = ()
    """Resource types (``AWS::...``) or logical-id patterns: the item applies when the evaluated
    template has one."""


@dataclass(frozen=True)
class Framework:
    """A compliance framework and its controls, each naming the rules that bear on it."""

    key: str
    name: str
    controls: tuple[tuple[Control, tuple[str, ...]], ...]
    note: str = ""
    log_retention_days: int = 0
    """The shortest audit-log retention the framework requires (0: it names no number)."""
    log_retention_basis: str = ""


@dataclass(frozen=True, eq=False)
class Catalog:
    """Both asset files, parsed and cross-checked."""

    rules: dict[str, RuleText]
    concerns: dict[int, str]
    escalation_methods: tuple[EscalationMethod, ...]
    checklist: tuple[ChecklistItem, ...]
    frameworks: dict[str, Framework]
    control_notes: dict[tuple[str, str], str] = None  # type: ignore[assignment]
    """(framework, control id) -> why the tool cannot judge the control, where recorded."""
    assessors: dict[tuple[str, str], str] = None  # type: ignore[assignment]
    """(framework, control id) -> the assessor that judges it from the template's facts
    (``wizard.findings.assurance.ASSESSORS``), where the mapped rules' evidence cannot prove it."""

    @cached_property
    def controls_by_rule(self) -> dict[str, tuple[Control, ...]]:
        """Every rule's controls, in framework order then control order."""
        found: dict[str, list[Control]] = {rule_id: [] for rule_id in self.rules}
        for framework in self.frameworks.values():
            for control, rule_ids in framework.controls:
                for rule_id in rule_ids:
                    found[rule_id].append(control)
        return {rule_id: tuple(controls) for rule_id, controls in found.items()}


_OFFERS = re.compile(r"\{offers:([A-Za-z0-9]+)\|([^|{}]*)\|([^{}]*)\}")


def for_template(text: str, declared: Any) -> str:
    """A rule's text for the template in use: ``{offers:PARAM|when it does|when it does not}``
    becomes the first part when the template declares PARAM, the second when it does not, so a fix
    never promises an option the template lacks."""
    return _OFFERS.sub(lambda m: m.group(2) if m.group(1) in declared else m.group(3), text)


def read_asset(name: str, check: bool = False) -> Any:
    """One shipped data file. Its schema is checked by the tests (``check_assets``), not on
    every run: importing jsonschema costs more than the rest of a ``grants`` start-up. It is
    parsed by the cache folder's copy when there is one, as a template is
    (``wizard.cfn.parsecache``): a warm run parses no YAML for it."""
    from wizard.cfn import parsecache

    path = paths.ASSETS / name
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise InputError(f"cannot read shipped data: {exc.strerror}", file=str(path)) from None
    data = parsecache.read_shipped(text, str(path))
    if check:
        _validate(data, name)
    return data


def check_assets() -> None:
    """Check the shipped rule texts and compliance mapping against their JSON Schemas and each
    other (the tests run this; a broken asset is a build error, not a user's)."""
    read_asset(FINDINGS_FILE, check=True)
    read_asset(COMPLIANCE_FILE, check=True)
    _build()


def _validate(data: Any, name: str) -> None:
    import jsonschema

    schema_path = paths.SCHEMAS / (Path(name).stem + ".schema.json")
    schema = json.loads(schema_path.read_text(encoding="utf-8"))
    validator = jsonschema.Draft202012Validator(schema)
    error = next(iter(sorted(validator.iter_errors(data), key=lambda e: list(e.absolute_path))), None)
    if error is not None:
        pointer = "/" + "/".join(str(p) for p in error.absolute_path)
        raise InputError(f"does not match {schema_path.name}: {error.message}",
                         file=str(paths.ASSETS / name), where=pointer)


def _build() -> Catalog:
    findings = read_asset(FINDINGS_FILE)
    compliance = read_asset(COMPLIANCE_FILE)
    rules = {rule_id: RuleText.from_entry(rule_id, entry) for rule_id, entry in findings["rules"].items()}
    concerns = {int(number): text for number, text in (findings.get("concerns") or {}).items()}
    methods = tuple(EscalationMethod(id=m["id"], group=m["group"], actions=tuple(m["actions"]),
                                     description=" ".join(m["description"].split()))
                    for m in findings["escalation_methods"])
    checklist = tuple(ChecklistItem(id=c["id"], text=" ".join(c["text"].split()),
                                    parameters=tuple(c.get("when", {}).get("parameters", ())),
                                    rules=tuple(c.get("when", {}).get("rules", ())),
                                    always=bool(c.get("when", {}).get("always", False)),
                                    resources=tuple(c.get("when", {}).get("resources", ())))
                      for c in findings["checklist"])
    frameworks = {}
    notes: dict[tuple[str, str], str] = {}
    assessors: dict[tuple[str, str], str] = {}
    for key, entry in compliance["frameworks"].items():
        controls = []
        for index, control in enumerate(entry["controls"]):
            unknown = [r for r in control["rules"] if r not in rules]
            if unknown:
                raise InputError(f"names rules that {FINDINGS_FILE} does not define: {', '.join(unknown)}",
                                 file=str(paths.ASSETS / COMPLIANCE_FILE),
                                 where=f"/frameworks/{key}/controls/{index}")
            controls.append((Control(key, str(control["id"]), control["title"].strip()),
                             tuple(control["rules"])))
            if control.get("not_assessed"):
                notes[(key, str(control["id"]))] = " ".join(control["not_assessed"].split())
            if control.get("assess"):
                assessors[(key, str(control["id"]))] = control["assess"]
        retention = entry.get("log_retention") or {}
        frameworks[key] = Framework(key, entry["name"], tuple(controls), " ".join(entry.get("note", "").split()),
                                    int(retention.get("days", 0)), " ".join(str(retention.get("basis", "")).split()))
    for item in checklist:
        unknown = [r for r in item.rules if r not in rules]
        if unknown:
            raise InputError(f"checklist item {item.id} names unknown rules: {', '.join(unknown)}",
                             file=str(paths.ASSETS / FINDINGS_FILE), where="/checklist")
    for number in {r.concern for r in rules.values() if r.concern is not None} - set(concerns):
        raise InputError(f"a rule answers concern {number}, which /concerns does not name",
                         file=str(paths.ASSETS / FINDINGS_FILE), where="/concerns")
    return Catalog(rules, concerns, methods, checklist, frameworks, notes, assessors)


@once
def catalog() -> Catalog:
    """The process-wide catalog, read and validated on first use."""
    return _build()


def framework_keys() -> tuple[str, ...]:
    """The framework keys ``--frameworks`` accepts."""
    return tuple(catalog().frameworks)


def parse_frameworks(text: str | None) -> list[str] | None:
    """``soc2,hipaa`` -> ``["soc2", "hipaa"]``; an unknown key is an InputError."""
    if text is None:
        return None
    chosen = [part.strip().lower() for part in text.split(",") if part.strip()]
    check_frameworks(chosen, where="--frameworks")
    return chosen


def check_frameworks(chosen: list[str], where: str = "frameworks") -> None:
    known = framework_keys()
    for key in chosen:
        if key not in known:
            raise InputError(f"unknown framework {key!r}; expected one of {', '.join(known)}", where=where)
