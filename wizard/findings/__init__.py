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

import weakref
from typing import TYPE_CHECKING, Iterable

from wizard.findings.severity import SEVERITIES, severity_rank
from wizard.memo import memo

if TYPE_CHECKING:
    from wizard.cfn.evaluate import Evaluation
    from wizard.findings.model import Control, Finding, Hit
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
    context = _watched_context()(evaluation, grants, rules, tuple(chosen))
    known = _known_hits(evaluation, grants, rules)
    findings = []
    for rule_id, detect in detectors().items():
        if prefixes is not None and not rule_id.startswith(prefixes):
            continue
        hits, read = known.get(rule_id, ((), ()))
        if rule_id not in known or (read is not None and read != context.chosen):
            context.frameworks_read = False
            hits = tuple(detect(context))
            known[rule_id] = (hits, context.chosen if context.frameworks_read else None)
        if not hits:
            continue  # a rule's texts are made ready for the template only when it found something
        text = texts.rules[rule_id]
        controls = controls_by_rule.get(rule_id, ())
        if chosen:
            controls = tuple(c for key in chosen for c in controls if c.framework == key)
        fix = for_template(text.fix, evaluation.template.parameters)
        for hit in hits:
            findings.append(_finding(text, controls, hit, fix))
    findings.sort(key=lambda f: (0 if not chosen or f.controls else 1, -f.rank, f.rule_id,
                                 f.lines[0] if f.lines else 0, f.subject))
    return findings


#: Each evaluation's rule hits, by the grants and network rules they were found in (by identity,
#: those kept alive beside them): rule id -> (hits, the frameworks they were found for, or None
#: when the rule did not read them). The headless run asks for the findings of its final values
#: twice (with the chosen frameworks, and without for the change in risk); the rules run once.
_HITS: "weakref.WeakKeyDictionary[Evaluation, dict]" = weakref.WeakKeyDictionary()


def _known_hits(evaluation: Evaluation, grants: list[Grant], rules: list[NetworkRule]) -> dict:
    by_input = _HITS.setdefault(evaluation, {})
    key = (tuple(map(id, grants)), tuple(map(id, rules)))
    if key not in by_input:
        if len(by_input) >= 4:  # a few sets of grants per evaluation at most; drop the oldest
            del by_input[next(iter(by_input))]
        by_input[key] = ((tuple(grants), tuple(rules)), {})
    return by_input[key][1]


@memo(maxsize=1)
def _watched_context() -> type:
    """The rule context that watches its frameworks (its module is imported when first needed)."""
    from wizard.findings.context import RuleContext

    class Watched(RuleContext):
        """A rule context that notes whether a rule reads the chosen frameworks (a rule that
        does not finds the same hits whatever they are). Only a rule reads them, never a value
        the context caches for every rule (a test holds that)."""

        def __init__(self, evaluation, grants, rules, chosen: tuple[str, ...], watcher=None):
            super().__init__(evaluation, grants, rules)
            self.chosen = chosen
            self.frameworks_read = False
            self.watcher = watcher  # the context a derived one reports its reads to

        @property
        def frameworks(self) -> tuple[str, ...]:
            (self.watcher or self).frameworks_read = True
            return self.chosen

        def _with_grants(self, grants):
            """The derived context, watched too: handing the frameworks on is not reading them."""
            return type(self)(self.evaluation, grants, self.rules, self.chosen, self.watcher or self)

    return Watched


def __getattr__(name: str):
    """The rule catalog's helpers and the findings' model, loaded when first asked for: the
    ``--fail-on`` option of every analysis command reads the severities without paying for
    either."""
    if name in ("framework_keys", "parse_frameworks"):
        from wizard.findings import catalog

        return getattr(catalog, name)
    if name in ("Control", "Finding", "Hit", "Step"):
        from wizard.findings import model

        return getattr(model, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def _finding(text, controls: tuple[Control, ...], hit: Hit, fix: str) -> Finding:
    from wizard.findings.model import Finding

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
