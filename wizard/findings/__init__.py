"""Security findings for an evaluated template, mapped to compliance controls.

``evaluate_findings`` runs every rule over one evaluation's grants and network rules and
returns ``Finding`` records, most serious first. The rules cover the eight concerns of the
customer's security review (placeholder policies, wildcard resources, IAM policies created at
run time, CloudTrail without KMS or CloudWatch Logs, broad Athena access, HTTP to the tasks,
a non-standard port, the load balancer's certificate), the checks of the common catalogs
(wildcard actions, Write and permissions-management actions on ``*``, NotAction/NotResource,
``iam:PassRole`` on every role, the privilege-escalation combinations Rhino Security Labs and
Cloudsplaining list), the escalation paths between the stack's own roles and from principals
outside the account, each shown step by step with the template lines that make it, and the
logging, secret and key checks an auditor adds (access logs, multi-region trail, retention
against the chosen frameworks, IMDSv2, NoEcho values in plain environments, key rotation,
service principals without a source condition, the CIS 4.x alarms). Each risk is one finding
that lists every place it is written. ``wizard.findings.assurance`` says, control by control,
what holds where no finding is raised.

Rule texts and the compliance mapping are data (``assets/findings.yaml``,
``assets/compliance.yaml``); the detectors are in ``wizard.findings.rules``.

This package reads ``wizard.iam`` and ``wizard.cfn``; it must not import ``wizard.flow``,
``wizard.aws``, ``wizard.commands`` or the UI.
"""

from __future__ import annotations

from typing import Iterable

from wizard.cfn.evaluate import Evaluation
from wizard.findings.model import SEVERITIES, Control, Finding, Hit, Step, severity_rank
from wizard.iam.grants import Grant
from wizard.iam.network import NetworkRule

__all__ = ["SEVERITIES", "Control", "Finding", "Step", "evaluate_findings", "framework_keys",
           "parse_frameworks", "severity_rank", "at_or_above"]


def evaluate_findings(evaluation: Evaluation, grants: list[Grant] | None = None,
                      rules: list[NetworkRule] | None = None, frameworks: list[str] | None = None,
                      *, select: Iterable[str] | None = None) -> list[Finding]:
    """Every finding for the evaluation, ordered.

    ``grants`` and ``rules`` (network rules) are extracted from the evaluation when not given.
    ``frameworks`` (keys such as ``soc2``, ``hipaa``) keeps every finding but puts those mapped
    to a chosen framework first and limits each finding's controls to the chosen frameworks.
    ``select`` runs only the rules whose id starts with one of the given strings. Within
    those orders, more serious findings come first, then by rule id and template line.
    """
    from wizard.findings.catalog import catalog as rule_catalog
    from wizard.findings.catalog import check_frameworks
    from wizard.findings.context import RuleContext
    from wizard.findings.rules import detectors

    if grants is None:
        from wizard.iam.grants import extract

        grants = extract(evaluation)
    if rules is None:
        from wizard.iam.network import network_rules

        rules = network_rules(evaluation)
    chosen = list(frameworks or [])
    check_frameworks(chosen)
    from wizard.findings.catalog import for_template

    texts = rule_catalog()
    controls_by_rule = texts.controls_by_rule
    prefixes = tuple(select) if select is not None else None
    context = RuleContext(evaluation, grants, rules)
    context.frameworks = tuple(chosen)
    findings = []
    for rule_id, detect in detectors().items():
        if prefixes is not None and not rule_id.startswith(prefixes):
            continue
        text = texts.rules[rule_id]
        controls = controls_by_rule.get(rule_id, ())
        if chosen:
            controls = tuple(c for key in chosen for c in controls if c.framework == key)
        fix = for_template(text.fix, evaluation.template.parameters)
        for hit in detect(context):
            findings.append(_finding(text, controls, hit, fix))
    findings.sort(key=lambda f: (0 if not chosen or f.controls else 1, -f.rank, f.rule_id,
                                 f.lines[0] if f.lines else 0, f.subject))
    return findings


def __getattr__(name: str):
    """The rule catalog's helpers, loaded when first asked for: the ``--fail-on`` option of every
    analysis command reads the severities here without paying for the catalog."""
    if name in ("framework_keys", "parse_frameworks"):
        from wizard.findings import catalog

        return getattr(catalog, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def _finding(text, controls: tuple[Control, ...], hit: Hit, fix: str) -> Finding:
    return Finding(rule_id=text.id, severity=text.severity, title=text.title, why=text.why, fix=fix,
                   subject=hit.subject, message=hit.message, category=text.category, concern=text.concern,
                   grants=hit.grants, network=hit.network, resources=hit.resources, lines=hit.lines,
                   steps=hit.steps, controls=controls, facts=hit.facts)


def at_or_above(findings: Iterable[Finding], severity: str) -> list[Finding]:
    """The findings as serious as ``severity`` or more."""
    floor = severity_rank(severity)
    return [f for f in findings if f.rank >= floor]


def severity_summary(findings: Iterable[Finding]) -> str:
    """``7 (2 high, 5 medium)``: how many findings, most severe first; ``0`` when none."""
    findings = list(findings)
    counts = {severity: 0 for severity in reversed(SEVERITIES)}
    for finding in findings:
        counts[finding.severity] += 1
    detail = ", ".join(f"{n} {severity}" for severity, n in counts.items() if n)
    return f"{len(findings)} ({detail})" if detail else "0"
