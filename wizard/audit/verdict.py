"""The audit of one deployed stack: the comparison, the run-time policies, the findings.

``audit`` takes what AWS holds (:mod:`.holdings`) and walks every place a grant can live:

- each principal of the stack: its inline policies, trust policy, permissions boundary and
  attached managed policies, against the template's;
- each managed policy of the stack: its default version against the template's document. A
  placeholder (a policy that grants nothing as deployed) is meant to be filled at run time:
  what it holds beyond the template is a run-time write, judged against the envelope, not
  drift;
- each policy under ``/quilt/<stack>/<region>/`` that the template did not create: written at
  run time, every statement of its default version judged against the envelope;
- each customer managed policy attached to a stack principal that is neither the template's
  nor under the path: a policy outside the path, its statements judged too;
- the bucket, topic, queue and key policies of the stack's resources.

Drift (AWS holds what the template does not explain, outside the placeholders) and missing
grants are findings too, so one ``--fail-on`` gates all of it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from wizard.audit import envelope as rules
from wizard.audit.envelope import Envelope, envelope_of, judge
from wizard.audit.expected import Carrier, Expected, expected_of
from wizard.audit.holdings import HeldPolicy, HeldPrincipal, Holdings
from wizard.audit.rules import audit_finding
from wizard.audit.statements import Comparison, Statement, compare, parse_document
from wizard.findings.model import Finding
from wizard.iam.grants import IDENTITY, Grant, Source

TEMPLATE, RUN_TIME, OUTSIDE_PATH = "template", "run time", "outside the path"
_SNS_DEFAULT = "__default_statement_ID"


@dataclass(frozen=True)
class CarrierComparison:
    """One place AWS stores grants, compared with the template."""

    label: str
    comparison: Comparison
    run_time: bool = False
    """A placeholder: what it holds beyond the template was written at run time."""

    def to_json(self) -> dict[str, Any]:
        return {"carrier": self.label, "run_time": self.run_time,
                "matched": len(self.comparison.matched),
                "unexplained": [s.to_document() for s in self.comparison.unexplained],
                "missing": [s.to_document() for s in self.comparison.missing]}


@dataclass(frozen=True)
class PolicyRecord:
    """A managed policy the audit lists: where it comes from, and what it holds."""

    policy: HeldPolicy
    origin: str
    logical_id: str | None = None
    placeholder: bool = False

    def to_json(self) -> dict[str, Any]:
        p = self.policy
        return {"arn": p.arn, "name": p.name, "path": p.path, "origin": self.origin,
                "logical_id": self.logical_id, "placeholder": self.placeholder,
                "default_version": p.default_version, "created": p.created,
                "attached_to": [f"{kind}/{name}" for kind, name in p.attached_to],
                "versions": [v.to_json() for v in p.versions]}


@dataclass
class AuditResult:
    """Everything the audit found."""

    holdings: Holdings
    expected: Expected
    envelope: Envelope
    comparisons: list[CarrierComparison] = field(default_factory=list)
    policies: list[PolicyRecord] = field(default_factory=list)
    findings: list[Finding] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    @property
    def drift(self) -> list[tuple[str, str, Statement]]:
        """(carrier, ``unexplained``/``missing``, statement) outside the placeholders."""
        found = []
        for item in self.comparisons:
            if not item.run_time:
                found += [(item.label, "unexplained", s) for s in item.comparison.unexplained]
            found += [(item.label, "missing", s) for s in item.comparison.missing]
        return found

    @property
    def run_time_policies(self) -> list[PolicyRecord]:
        return [p for p in self.policies if p.origin != TEMPLATE]

    def to_json(self) -> dict[str, Any]:
        stack = self.holdings.stack
        shown = self.expected.evaluation.parameters.display()
        return {
            "stack": {"name": stack.name, "id": stack.stack_id, "region": stack.region,
                      "account": stack.account_id, "status": stack.status, "parameters": shown},
            "path": self.holdings.path_prefix,
            "cloudtrail": self.holdings.cloudtrail or "available",
            "envelope": {"bucket_prefix": self.envelope.bucket_prefix,
                         "workgroups": list(self.envelope.workgroups),
                         "guardrail": [s.sid or s.brief() for s in self.envelope.guardrail]},
            "summary": {"carriers": len(self.comparisons),
                        "matched": sum(len(c.comparison.matched) for c in self.comparisons),
                        "drift": len(self.drift), "run_time_policies": len(self.run_time_policies),
                        "findings": len(self.findings)},
            "comparisons": [c.to_json() for c in self.comparisons],
            "policies": [p.to_json() for p in self.policies],
            "findings": [f.to_json() for f in self.findings],
            "notes": list(self.notes),
        }


def audit(holdings: Holdings, expected: Expected | None = None) -> AuditResult:
    """Compare what AWS holds with the deployed template and judge the run-time writes."""
    expected = expected or expected_of(holdings)
    result = AuditResult(holdings, expected, envelope_of(expected, holdings))
    _Auditor(result).run()
    result.findings.sort(key=lambda f: (-f.rank, f.rule_id, f.subject))
    return result


class _Auditor:
    def __init__(self, result: AuditResult):
        self.result = result
        self.holdings = result.holdings
        self.expected = result.expected
        self.partition = result.expected.physical.partition
        self.stack_policies = {c.name: c for c in self.expected.managed.values()}
        self.judged: set[str] = set()

    def run(self) -> None:
        for principal in self.holdings.principals:
            self.principal(principal)
        missing = [logical for logical in self.expected.attachments
                   if self.holdings.principal(logical) is None and self.expected.evaluation.exists(logical)]
        for logical in missing:
            self.result.notes.append(f"{logical}: no such principal in the stack's resources; not compared")
        for carrier in self.expected.managed.values():
            self.stack_policy(carrier)
        for arn, policy in sorted(self.holdings.policies.items()):
            if arn in self.stack_policies:
                continue
            if policy.path.startswith(self.holdings.path_prefix):
                self.result.policies.append(PolicyRecord(policy, RUN_TIME))
                self.judge_policy(policy, None)
        self.resource_policies()
        self.result.notes.extend(f"not compared: {item}" for item in self.expected.not_compared)
        if self.holdings.cloudtrail:
            self.result.notes.append(f"who created each policy version is unknown: {self.holdings.cloudtrail}")

    # -- principals -------------------------------------------------------------------

    def principal(self, principal: HeldPrincipal) -> None:
        logical = principal.logical_id
        names = set(principal.inline) | {n for (h, n) in self.expected.inline if h == logical}
        for name in sorted(names):
            carrier = self.expected.inline.get((logical, name))
            self.compare(f"{logical} inline policy {name}", carrier, principal.inline.get(name), logical)
        if principal.kind == "role":
            self.compare(f"{logical} trust policy", self.expected.trust.get(logical), principal.trust, logical)
        wanted_boundary = self.expected.boundaries.get(logical)
        if (principal.boundary or None) != wanted_boundary:
            if principal.boundary:
                self.finding(rules.DRIFT, f"{logical} permissions boundary",
                             f"{principal.name} has the permissions boundary {principal.boundary}; the template "
                             f"sets {wanted_boundary or 'none'}", (principal.arn,))
            else:
                self.finding(rules.MISSING, f"{logical} permissions boundary",
                             f"the template sets the permissions boundary {wanted_boundary}; "
                             f"{principal.name} has none", (principal.arn,))
        self.attachments(principal)

    def attachments(self, principal: HeldPrincipal) -> None:
        logical = principal.logical_id
        wanted = self.expected.attachments.get(logical, set())
        for arn in principal.attached:
            if arn in wanted:
                continue
            policy = self.holdings.policies.get(arn)
            if policy is not None and policy.path.startswith(self.holdings.path_prefix) \
                    and arn not in self.stack_policies:
                continue  # a run-time policy under the path: judged with the path's policies
            if policy is not None and arn not in self.stack_policies:
                if all(r.policy.arn != arn for r in self.result.policies):
                    self.result.policies.append(PolicyRecord(policy, OUTSIDE_PATH))
                self.finding(rules.OUTSIDE_PATH, f"{policy.name} on {logical}",
                             f"{policy.arn} (path {policy.path}) is attached to {principal.kind} {principal.name}; "
                             f"it is neither the template's nor under {self.holdings.path_prefix}", (arn,))
                self.judge_policy(policy, None)
                continue
            self.finding(rules.DRIFT, f"{logical} attachment",
                         f"{arn} is attached to {principal.kind} {principal.name}; the template does not attach it",
                         (arn, principal.arn))
        for arn in sorted(wanted - set(principal.attached)):
            self.finding(rules.MISSING, f"{logical} attachment",
                         f"the template attaches {arn} to {principal.name}; AWS does not hold that attachment",
                         (arn, principal.arn))

    # -- managed policies ---------------------------------------------------------------

    def stack_policy(self, carrier: Carrier) -> None:
        policy = self.holdings.policies.get(carrier.name)
        if policy is None:
            self.finding(rules.MISSING, carrier.holder,
                         f"the template's managed policy {carrier.name} was not found in IAM", (carrier.name,))
            return
        self.result.policies.append(PolicyRecord(policy, TEMPLATE, carrier.holder, carrier.placeholder))
        held = parse_document(policy.default_document, partition=self.partition)
        comparison = compare(carrier.statements, held)
        if carrier.placeholder:
            # Filling a placeholder replaces its empty statement: that is the design, not drift.
            comparison = Comparison(comparison.matched, comparison.unexplained, ())
            self.result.comparisons.append(CarrierComparison(
                f"{carrier.holder} (placeholder {policy.name})", comparison, run_time=True))
            self.judge_statements(policy, comparison.unexplained, carrier.intended_actions)
            return
        self.record(f"{carrier.holder} managed policy {policy.name}", comparison, carrier.holder, (policy.arn,))
        self.judge_statements(policy, comparison.unexplained, None)

    def judge_policy(self, policy: HeldPolicy, intended: tuple[str, ...] | None) -> None:
        if policy.arn in self.judged:
            return
        self.judge_statements(policy, parse_document(policy.default_document, partition=self.partition), intended)

    def judge_statements(self, policy: HeldPolicy, statements: tuple[Statement, ...] | list[Statement],
                         intended: tuple[str, ...] | None) -> None:
        self.judged.add(policy.arn)
        holders = ", ".join(f"{k} {n}" for k, n in policy.attached_to) or "nobody"
        for index, statement in enumerate(statements):
            for rule_id, detail in judge(statement, self.result.envelope, intended=intended):
                evidence = _grant(statement, policy, index)
                self.finding(rule_id, f"{policy.name} {policy.default_version}",
                             f"{detail} (attached to {holders})", (policy.arn,), (evidence,),
                             (("policy", policy.arn), ("version", policy.default_version),
                              ("created_by", _creator(policy) or "unknown")))

    # -- resource policies --------------------------------------------------------------

    def resource_policies(self) -> None:
        held = {r.target: r for r in self.holdings.resource_policies}
        seen = set()
        for carrier in self.expected.resource.values():
            for target in [t for t in carrier.name.split(",") if t]:
                seen.add(target)
                found = held.get(target)
                if found is None:
                    self.result.notes.append(f"{carrier.holder}: the policy of {target} was not read; not compared")
                    continue
                self.compare(f"{carrier.holder} ({carrier.type}) on {target}", carrier, found.document, carrier.holder)
        for target, found in sorted(held.items()):
            if target in seen or found.document is None:
                continue
            statements = [s for s in parse_document(found.document, partition=self.partition)
                          if s.sid != _SNS_DEFAULT]
            if statements:
                self.record(f"{found.logical_id} ({found.type}) policy on {target}",
                            compare([], statements), found.logical_id, (target,))

    # -- helpers ------------------------------------------------------------------------

    def compare(self, label: str, carrier: Carrier | None, document: Any, holder: str) -> None:
        expected = carrier.statements if carrier else []
        held = parse_document(document, partition=self.partition) if document is not None else []
        self.record(label, compare(expected, held), holder, ())

    def record(self, label: str, comparison: Comparison, holder: str, resources: tuple[str, ...]) -> None:
        self.result.comparisons.append(CarrierComparison(label, comparison))
        for statement in comparison.unexplained:
            self.finding(rules.DRIFT, label, f"AWS holds {statement.brief()}", resources or (holder,))
        for statement in comparison.missing:
            self.finding(rules.MISSING, label, f"the template says {statement.brief()}; AWS lacks it",
                         resources or (holder,))

    def finding(self, rule_id: str, subject: str, message: str, resources: tuple[str, ...],
                grants: tuple[Grant, ...] = (), facts: tuple[tuple[str, str], ...] = ()) -> None:
        self.result.findings.append(audit_finding(rule_id, subject, message, resources=resources,
                                                  grants=grants, facts=facts))


def _grant(statement: Statement, policy: HeldPolicy, index: int) -> Grant:
    """A held statement as a grant record, so findings carry it like any other evidence."""
    holder = ", ".join(name for _, name in policy.attached_to) or policy.name
    return Grant(principal=holder, kind=IDENTITY, source=Source(policy.name, policy.default_version, index),
                 effect=statement.effect, actions=statement.actions, not_actions=statement.not_actions,
                 resources=statement.resources, not_resources=statement.not_resources,
                 condition_json=statement.condition, sid=statement.sid)


def _creator(policy: HeldPolicy) -> str | None:
    for version in policy.versions:
        if version.version_id == policy.default_version:
            return version.created_by
    return None
