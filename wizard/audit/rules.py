"""The audit rules' texts and controls, and the findings they make.

The texts live beside the other rules in ``assets/findings.yaml``, in their own
``audit_rules`` block (validated by the same schema), because a security reviewer reads them
together; unlike the template rules, an audit rule names its controls itself, by the ids that
``assets/compliance.yaml`` gives them, so the control titles stay in one place. A control id
that compliance.yaml does not know is refused when the texts are first read.
"""

from __future__ import annotations

from dataclasses import dataclass

from wizard import paths
from wizard.errors import InputError
from wizard.findings.catalog import catalog
from wizard.findings.model import Control, Finding
from wizard.iam.grants import Grant
from wizard.once import once

@dataclass(frozen=True)
class AuditRule:
    """One audit rule's data half: severity, texts, controls."""

    id: str
    severity: str
    category: str
    title: str
    why: str
    fix: str
    controls: tuple[Control, ...]
    concern: int | None = None


@once
def audit_rules() -> dict[str, AuditRule]:
    """Every audit rule, read and checked once per process."""
    return _read()


def _read() -> dict[str, AuditRule]:
    import yaml

    path = paths.ASSETS / "findings.yaml"
    try:
        data = yaml.load(path.read_text(encoding="utf-8"), Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader))
    except (OSError, yaml.YAMLError) as exc:
        raise InputError(f"cannot read the audit rules: {exc}", file=str(path)) from None
    # findings.yaml is checked against its schema by the tests (findings.catalog.check_assets)
    known = {(f.key, control.id): control for f in catalog().frameworks.values() for control, _ in f.controls}
    rules = {}
    for rule_id, entry in (data.get("audit_rules") or {}).items():
        controls = []
        for framework, ids in entry["controls"].items():
            for control_id in ids:
                control = known.get((framework, str(control_id)))
                if control is None:
                    raise InputError(f"names control {framework} {control_id}, which compliance.yaml does not define",
                                     file=str(path), where=f"/audit_rules/{rule_id}/controls/{framework}")
                controls.append(control)
        rules[rule_id] = AuditRule(id=rule_id, severity=entry["severity"], category=entry["category"],
                                   title=entry["title"].strip(), why=" ".join(entry["why"].split()),
                                   fix=" ".join(entry["fix"].split()), controls=tuple(controls),
                                   concern=entry.get("concern"))
    return rules


def audit_finding(rule_id: str, subject: str, message: str, *, resources: tuple[str, ...] = (),
                  grants: tuple[Grant, ...] = (), facts: tuple[tuple[str, str], ...] = ()) -> Finding:
    """A finding of an audit rule, with its texts and controls joined."""
    rule = audit_rules()[rule_id]
    return Finding(rule_id=rule.id, severity=rule.severity, title=rule.title, why=rule.why, fix=rule.fix,
                   subject=subject, message=message, category=rule.category, concern=rule.concern,
                   grants=grants, resources=resources, controls=rule.controls, facts=facts)
