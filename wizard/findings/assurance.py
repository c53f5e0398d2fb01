"""What holds: the evidence behind a control that has no finding, so "no finding" is never read as "met".

For each control of the frameworks in view the report says one of three things:

- **attention**: findings of the rules mapped to the control, listed;
- **evidence**: no finding, and the template shows what satisfies the control: the trail
  property, the listener that redirects, the key that rotates, with its template line, or
  (for the IAM and escalation rules, which look for something that must be absent) how many
  statements, roles or rules the rule examined and found clean;
- **not assessed by this tool**: nothing in the template for the mapped rules to examine (a
  stack that creates no trail cannot show log-file validation), or a control no rule maps to,
  with the reason recorded in ``assets/compliance.yaml``.

Evidence producers are keyed by rule id, like the detectors; a rule without one of its own
falls back to what its category examines.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable, Iterable

from wizard.findings.catalog import catalog
from wizard.findings.context import RuleContext
from wizard.findings.model import Control, Finding
from wizard.iam.grants import IDENTITY, RESOURCE, TRUST
from wizard.iam.network import INGRESS, LISTENER, TARGET

ATTENTION, EVIDENCE, NOT_ASSESSED = "attention", "evidence", "not assessed by this tool"


@dataclass(frozen=True)
class Evidence:
    """Something in the template that satisfies a rule: what, and where."""

    rule_id: str
    text: str
    lines: tuple[int, ...] = ()

    def describe(self) -> str:
        where = f" (line {', '.join(map(str, self.lines))})" if self.lines else ""
        return f"{self.rule_id}: {self.text}{where}"


@dataclass(frozen=True)
class ControlStatus:
    """One control's standing for this deployment."""

    control: Control
    status: str
    findings: tuple[Finding, ...] = ()
    evidence: tuple[Evidence, ...] = ()
    note: str = ""


Producer = Callable[[RuleContext], Iterable[Evidence]]
_PRODUCERS: dict[str, Producer] = {}


def _produces(*rule_ids: str) -> Callable[[Producer], Producer]:
    def register(function: Producer) -> Producer:
        for rule_id in rule_ids:
            _PRODUCERS[rule_id] = function
        return function
    return register


def _lines(*lines: int | None) -> tuple[int, ...]:
    return tuple(line for line in lines if line)


_TRAIL_PROPERTIES = {"QW-LOG-001": ("KMSKeyId", "encrypts its log files with KMS key"),
                     "QW-LOG-002": ("CloudWatchLogsLogGroupArn", "delivers its events to CloudWatch Logs group"),
                     "QW-LOG-003": ("EnableLogFileValidation", "validates its log files:"),
                     "QW-LOG-006": ("IsMultiRegionTrail", "records every region:")}


def _trail_evidence(rule_id: str) -> Producer:
    key, what = _TRAIL_PROPERTIES[rule_id]

    def produce(ctx: RuleContext) -> Iterable[Evidence]:
        for logical_id, resource in ctx.evaluation.resources("AWS::CloudTrail::Trail").items():
            value = (resource.get("Properties") or {}).get(key)
            if value not in (None, "", False, "false"):
                yield Evidence(rule_id, f"trail {logical_id} {what} {key} = {value}",
                               _lines(ctx.line(logical_id, "Properties", key)))
    return produce


for _rule in _TRAIL_PROPERTIES:
    _PRODUCERS[_rule] = _trail_evidence(_rule)


@_produces("QW-LOG-008")
def _cis_alarms(ctx: RuleContext) -> Iterable[Evidence]:
    from wizard.findings.rules.cloudtrail import alarmed_filters

    for cis, (logical_id, line) in sorted(alarmed_filters(ctx).items(), key=lambda item: [int(p) for p in item[0].split(".")]):
        yield Evidence("QW-LOG-008", f"CIS {cis}: metric filter {logical_id} with an alarm that notifies", _lines(line))


@_produces("QW-LOG-005")
def _access_logs(ctx: RuleContext) -> Iterable[Evidence]:
    for logical_id, resource in ctx.evaluation.resources("AWS::ElasticLoadBalancingV2::LoadBalancer").items():
        for item in (resource.get("Properties") or {}).get("LoadBalancerAttributes") or []:
            if isinstance(item, dict) and item.get("Key") == "access_logs.s3.enabled" \
                    and str(item.get("Value")).lower() == "true":
                yield Evidence("QW-LOG-005", f"load balancer {logical_id} sets access_logs.s3.enabled = true",
                               _lines(ctx.line(logical_id, "Properties", "LoadBalancerAttributes")))


@_produces("QW-LOG-007")
def _retention(ctx: RuleContext) -> Iterable[Evidence]:
    from wizard.findings.rules.logs import required_retention

    days, names = required_retention(getattr(ctx, "frameworks", ()))
    for logical_id, resource in ctx.evaluation.resources("AWS::Logs::LogGroup").items():
        retention = (resource.get("Properties") or {}).get("RetentionInDays")
        if retention is None:
            yield Evidence("QW-LOG-007", f"log group {logical_id} never expires its events",
                           _lines(ctx.line(logical_id)))
        elif days and str(retention).isdigit() and int(retention) >= days:
            yield Evidence("QW-LOG-007", f"log group {logical_id} keeps events {retention} days (required: {days})",
                           _lines(ctx.line(logical_id, "Properties", "RetentionInDays")))


@_produces("QW-ENC-001")
def _rotation(ctx: RuleContext) -> Iterable[Evidence]:
    for logical_id, resource in ctx.evaluation.resources("AWS::KMS::Key").items():
        if str((resource.get("Properties") or {}).get("EnableKeyRotation", "")).lower() == "true":
            yield Evidence("QW-ENC-001", f"KMS key {logical_id} rotates (EnableKeyRotation = true)",
                           _lines(ctx.line(logical_id, "Properties", "EnableKeyRotation")))


@_produces("QW-NET-009")
def _imds(ctx: RuleContext) -> Iterable[Evidence]:
    for logical_id, resource in ctx.evaluation.resources("AWS::EC2::LaunchTemplate").items():
        data = (resource.get("Properties") or {}).get("LaunchTemplateData") or {}
        if str((data.get("MetadataOptions") or {}).get("HttpTokens", "")).lower() == "required":
            yield Evidence("QW-NET-009", f"launch template {logical_id} requires IMDSv2 (HttpTokens = required)",
                           _lines(ctx.line(logical_id, "Properties", "LaunchTemplateData", "MetadataOptions")))


@_produces("QW-NET-006", "QW-NET-003", "QW-NET-004")
def _listeners(ctx: RuleContext) -> Iterable[Evidence]:
    for rule in ctx.rules:
        if rule.kind != LISTENER:
            continue
        if rule.protocol.upper() in ("HTTPS", "TLS"):
            for rule_id in ("QW-NET-003", "QW-NET-004"):
                yield Evidence(rule_id, f"listener {rule.resource} serves {rule.protocol}/{rule.ports} with a "
                                        f"certificate in {ctx.pseudo.region}", _lines(rule.line))
        elif rule.detail.startswith("redirect to HTTPS"):
            yield Evidence("QW-NET-006", f"listener {rule.resource} on {rule.protocol}/{rule.ports} redirects to "
                                         f"HTTPS", _lines(rule.line))


@_produces("QW-NET-001")
def _encrypted_targets(ctx: RuleContext) -> Iterable[Evidence]:
    for rule in ctx.rules:
        if rule.kind == TARGET and rule.protocol.upper() == "HTTPS":
            yield Evidence("QW-NET-001", f"target group {rule.resource} sends HTTPS to the tasks", _lines(rule.line))


@_produces("QW-NET-007", "QW-NET-002", "QW-NET-005")
def _ingress(ctx: RuleContext) -> Iterable[Evidence]:
    ingress = [r for r in ctx.rules if r.kind == INGRESS]
    if ingress:
        text = (f"{len(ingress)} security-group ingress rule(s) examined; none admits 0.0.0.0/0 or ::/0 beyond "
                f"the public load balancer's ports 80 and 443")
        for rule_id in ("QW-NET-007", "QW-NET-002", "QW-NET-005"):
            yield Evidence(rule_id, text)


def _examined(ctx: RuleContext, rule_id: str, category: str) -> list[Evidence]:
    """What a rule of ``category`` looked at when it has no evidence producer of its own."""
    if category in ("iam", "escalation"):
        identity = sum(1 for g in ctx.grants if g.kind == IDENTITY)
        policies = sum(1 for g in ctx.grants if g.kind in (RESOURCE, TRUST))
        principals = len({g.principal for g in ctx.grants if g.kind == IDENTITY})
        if identity or policies:
            return [Evidence(rule_id, f"examined {identity} identity statement(s) of {principals} principal(s) and "
                                      f"{policies} trust or resource statement(s); none matched")]
    if category == "secrets":
        hidden = [n for n, spec in ctx.template.parameters.items() if spec.no_echo]
        if hidden:
            return [Evidence(rule_id, f"no plain environment variable takes the NoEcho parameter(s) "
                                      f"{', '.join(hidden)}")]
    return []


def evidence(ctx: RuleContext, rule_ids: Iterable[str]) -> dict[str, list[Evidence]]:
    """Evidence for each rule id that produced no finding (the caller says which)."""
    texts = catalog()
    found: dict[str, list[Evidence]] = {}
    for rule_id in rule_ids:
        producer = _PRODUCERS.get(rule_id)
        items = list(producer(ctx)) if producer else _examined(ctx, rule_id, texts.rules[rule_id].category)
        found[rule_id] = [e for e in items if e.rule_id == rule_id]
    return found


def control_statuses(ctx: RuleContext, findings: list[Finding],
                     frameworks: Iterable[str] | None = None) -> dict[str, list[ControlStatus]]:
    """Every control of the frameworks in view (all when none is chosen), with its status."""
    texts = catalog()
    keys = [k for k in (frameworks or []) if k in texts.frameworks] or list(texts.frameworks)
    by_rule: dict[str, list[Finding]] = {}
    for finding in findings:
        by_rule.setdefault(finding.rule_id, []).append(finding)
    quiet = {r for key in keys for _, rule_ids in texts.frameworks[key].controls for r in rule_ids
             if r not in by_rule}
    proofs = evidence(ctx, sorted(quiet))
    result: dict[str, list[ControlStatus]] = {}
    for key in keys:
        statuses = []
        for control, rule_ids in texts.frameworks[key].controls:
            against = tuple(f for r in rule_ids for f in by_rule.get(r, ()))
            if against:
                statuses.append(ControlStatus(control, ATTENTION, findings=against))
                continue
            shown = tuple(e for r in rule_ids for e in proofs.get(r, ()))
            if shown:
                statuses.append(ControlStatus(control, EVIDENCE, evidence=shown))
            else:
                note = texts.control_notes.get((key, control.id)) or (
                    "the template has nothing the mapped rules (" + ", ".join(rule_ids) + ") examine"
                    if rule_ids else "no rule of this tool bears on it")
                statuses.append(ControlStatus(control, NOT_ASSESSED, note=note))
        result[key] = statuses
    return result
