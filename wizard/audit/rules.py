"""The audit rules' texts and controls, and the findings they make.

The texts live beside the other rules in ``assets/findings.yaml``, in their own
``audit_rules`` block (validated by the same schema), because a security reviewer reads them
together; unlike the template rules, an audit rule names its controls itself, by the ids that
``assets/compliance.yaml`` gives them, so the control titles stay in one place. A control id
that compliance.yaml does not know is refused when the texts are first read.
"""

from __future__ import annotations

from wizard import paths
from wizard.errors import InputError
from wizard.findings.catalog import FINDINGS_FILE, RuleText, catalog, read_asset
from wizard.findings.model import Finding
from wizard.iam.grants import Grant
from wizard.memo import once


@once
def audit_rules() -> dict[str, RuleText]:
    """Every audit rule, read and checked once per process."""
    return _read()


def _read() -> dict[str, RuleText]:
    path = paths.ASSETS / FINDINGS_FILE
    data = read_asset(FINDINGS_FILE)
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
        rules[rule_id] = RuleText.from_entry(rule_id, entry, tuple(controls))
    return rules


def audit_finding(rule_id: str, subject: str, message: str, *, resources: tuple[str, ...] = (),
                  grants: tuple[Grant, ...] = (), facts: tuple[tuple[str, str], ...] = ()) -> Finding:
    """A finding of an audit rule, with its texts and controls joined."""
    rule = audit_rules()[rule_id]
    return Finding(rule_id=rule.id, severity=rule.severity, title=rule.title, why=rule.why, fix=rule.fix,
                   subject=subject, message=message, category=rule.category, concern=rule.concern,
                   grants=grants, resources=resources, controls=rule.controls, facts=facts)
