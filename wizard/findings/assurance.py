"""What holds: the evidence behind a control that has no finding, so "no finding" is never read as "met".

For each control of the frameworks in view the report says one of three things:

- **attention**: findings of the rules mapped to the control, listed;
- **evidence**: no finding, and the template shows what satisfies the control: the trail
  property, the listener that redirects, the key that rotates, with its template line, or
  (for the IAM and escalation rules, which look for something that must be absent) how many
  statements, roles or rules the rule examined and found clean;
- **needs evidence outside the template**: what the template shows cannot prove the control
  (a key given by ARN may still be AWS-managed; a log group the stack makes in its own account is
  not a central log store; no open ingress is not a business need); the row says what would;
- **not assessed by this tool**: nothing in the template for the mapped rules to examine (a
  stack that creates no trail cannot show log-file validation), or a control no rule maps to,
  with the reason recorded in ``assets/compliance.yaml``.

Evidence that does not prove is never shown as evidence: an item marked ``attention`` (a trail
encrypted with an AWS-managed key, which CloudTrail cannot use) makes the control need attention,
an item marked ``outside`` makes it need evidence outside the template. A control whose meaning
no rule's evidence captures names an assessor in ``assets/compliance.yaml`` (``assess``), which
judges it from the template's facts instead.

Evidence producers are keyed by rule id, like the detectors; a rule without one of its own
falls back to what its category examines.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Callable, Iterable

from wizard.arns import parse_arn
from wizard.findings.catalog import catalog
from wizard.findings.context import RuleContext
from wizard.findings.model import Control, Finding
from wizard.iam.grants import IDENTITY, RESOURCE, TRUST
from wizard.iam.network import INGRESS, LISTENER, TARGET

ATTENTION, EVIDENCE, NOT_ASSESSED = "attention", "evidence", "not assessed by this tool"
OUTSIDE = "needs evidence outside the template"
PROVES = "proves"


@dataclass(frozen=True)
class Evidence:
    """Something in the template that satisfies a rule: what, and where."""

    rule_id: str
    text: str
    lines: tuple[int, ...] = ()
    kind: str = "proves"
    """``proves``; ``attention`` (it shows the control is not met); ``outside`` (it cannot prove
    the control: the text says what would)."""

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
            if value in (None, "", False, "false"):
                continue
            where = _lines(ctx.line(logical_id, "Properties", key))
            if key == "KMSKeyId" and aws_managed_key(value):
                yield Evidence(rule_id, f"trail {logical_id} names {value}, an AWS-managed key: CloudTrail cannot "
                                        f"encrypt with it (its key policy admits no trail); give a customer-managed "
                                        f"key", where, kind=ATTENTION)
            else:
                yield Evidence(rule_id, f"trail {logical_id} {what} {key} = {value}", where)
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


def aws_managed_key(value: object) -> bool:
    """A KMS key named by an AWS-managed alias (``alias/aws/...`` or its ARN)."""
    text = str(value or "").strip()
    arn = parse_arn(text)
    return text.startswith("alias/aws/") or bool(arn and arn.aws_partition and arn.service == "kms"
                                                  and arn.resource.startswith("alias/aws/"))


@_produces("QW-NET-007", "QW-NET-002", "QW-NET-005")
def _ingress(ctx: RuleContext) -> Iterable[Evidence]:
    ingress = [r for r in ctx.rules if r.kind == INGRESS]
    if not ingress:
        return
    public = [r for r in ingress if r.peer in ("0.0.0.0/0", "::/0")]
    opened = sorted({f"{r.resource} {r.protocol}/{r.ports}" for r in public})
    text = (f"{len(ingress)} security-group ingress rule(s) examined; "
            + (f"open to 0.0.0.0/0 or ::/0 only: {', '.join(opened)}" if opened
               else "none admits 0.0.0.0/0 or ::/0"))
    for rule_id in ("QW-NET-007", "QW-NET-002", "QW-NET-005"):
        yield Evidence(rule_id, text, _lines(*(r.line for r in public)))


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
            assessor = texts.assessors.get((key, control.id)) if texts.assessors else None
            if assessor:
                shown = tuple(ASSESSORS[assessor](ctx, texts.control_notes.get((key, control.id), "")))
            else:
                shown = tuple(e for r in rule_ids for e in proofs.get(r, ()))
            if shown:
                statuses.append(_judged(control, shown))
            else:
                note = texts.control_notes.get((key, control.id)) or (
                    "the template has nothing the mapped rules (" + ", ".join(rule_ids) + ") examine"
                    if rule_ids else "no rule of this tool bears on it")
                statuses.append(ControlStatus(control, NOT_ASSESSED, note=note))
        result[key] = statuses
    return result


def _judged(control: Control, shown: tuple[Evidence, ...]) -> ControlStatus:
    """A control's status from what the template shows: proved only when every item proves."""
    kinds = {item.kind for item in shown}
    if ATTENTION in kinds:
        return ControlStatus(control, ATTENTION, evidence=shown,
                             note="; ".join(i.text for i in shown if i.kind == ATTENTION))
    if OUTSIDE in kinds:
        return ControlStatus(control, OUTSIDE, evidence=shown,
                             note="; ".join(i.text for i in shown if i.kind == OUTSIDE))
    return ControlStatus(control, EVIDENCE, evidence=shown)


# -- controls no rule's evidence proves: judged from the template's facts -------------------

def _trail_bucket(ctx: RuleContext) -> tuple[str, str]:
    """(the bucket the trail writes to or the stack reads the trail from, the parameter or resource)."""
    for logical_id, resource in ctx.evaluation.resources("AWS::CloudTrail::Trail").items():
        name = (resource.get("Properties") or {}).get("S3BucketName")
        if name:
            return str(name), f"trail {logical_id}"
    value = ctx.evaluation.parameters.raw.get("CloudTrailBucket", "")
    return (str(value), "parameter CloudTrailBucket") if value else ("", "")


_READS = ("s3:GetObject", "s3:*", "s3:Get*", "*")


def trail_readers(ctx: RuleContext) -> dict[str, tuple[int, ...]]:
    """The stack's principals that may read objects of the trail's bucket, with the lines that say so."""
    from fnmatch import fnmatchcase

    bucket, _ = _trail_bucket(ctx)
    if not bucket:
        return {}
    objects = f"arn:aws:s3:::{bucket}/AWSLogs/"
    found: dict[str, list[int]] = {}
    for grant in ctx.grants:
        if grant.kind != IDENTITY or not grant.is_allow:
            continue
        if not any(fnmatchcase("s3:GetObject", a) or a in _READS for a in grant.actions):
            continue
        if any(fnmatchcase(objects, r) or fnmatchcase(objects + "x", r) for r in grant.resources):
            found.setdefault(grant.principal, []).extend(_lines(grant.source.line))
    return {p: tuple(dict.fromkeys(lines)) for p, lines in sorted(found.items())}


def _trail_read_access(ctx: RuleContext, note: str) -> Iterable[Evidence]:
    """PCI DSS 10.3.1: who may read the audit logs. Encryption does not say it; the grants do."""
    bucket, where = _trail_bucket(ctx)
    if not bucket:
        return
    readers = trail_readers(ctx)
    if readers:
        lines = tuple(line for found in readers.values() for line in found)
        yield Evidence("-", f"{', '.join(readers)} may read the audit logs in {bucket} ({where}); whether each has "
                            f"a job-related need is for the security team to record, and encrypting the logs "
                            f"limits no reader that may also decrypt with the key", _lines(*lines), kind=OUTSIDE)
    else:
        yield Evidence("-", f"no principal of the stack may read objects of the trail's bucket {bucket} ({where}); "
                            f"who else may is decided by the bucket's policy and the account's other principals, "
                            f"outside the template", kind=OUTSIDE)


def _central_log_store(ctx: RuleContext, note: str) -> Iterable[Evidence]:
    """PCI DSS 10.3.3: a log group or bucket of the stack's own account is not a central store."""
    bucket, where = _trail_bucket(ctx)
    groups = list(ctx.evaluation.resources("AWS::Logs::LogGroup"))
    trails = ctx.evaluation.resources("AWS::CloudTrail::Trail")
    if not (bucket or trails):
        return
    stores = [f"bucket {bucket} ({where})"] if bucket else []
    for logical_id, resource in trails.items():
        arn = (resource.get("Properties") or {}).get("CloudWatchLogsLogGroupArn")
        if arn:
            made = [g for g in groups if re.search(rf"(?<![A-Za-z0-9]){re.escape(g)}(?![A-Za-z0-9])", str(arn))]
            stores.append(f"log group {made[0]} made by this stack in account {ctx.pseudo.account_id}" if made
                          else f"log group {arn}")
    yield Evidence("-", f"the audit logs go to {' and '.join(stores)}; a central log store is one the stack's "
                        f"account cannot change (an organization trail or replication into a log-archive account): "
                        f"{note or 'show it'}", kind=OUTSIDE)


def _customer_managed_key(ctx: RuleContext, note: str) -> Iterable[Evidence]:
    """CIS 3.5: the trail's key is customer managed. Only a key the template creates proves it."""
    keys = ctx.evaluation.resources("AWS::KMS::Key")
    for logical_id, resource in ctx.evaluation.resources("AWS::CloudTrail::Trail").items():
        value = str((resource.get("Properties") or {}).get("KMSKeyId") or "")
        if not value:
            continue
        where = _lines(ctx.line(logical_id, "Properties", "KMSKeyId"))
        if aws_managed_key(value):
            yield Evidence("-", f"trail {logical_id} names {value}, an AWS-managed key: CloudTrail cannot encrypt "
                                f"with it; give a customer-managed key", where, kind=ATTENTION)
        elif any(k in value for k in keys):
            yield Evidence("-", f"trail {logical_id} encrypts with {value}, a key this stack creates (customer "
                                f"managed)", where)
        else:
            yield Evidence("-", f"trail {logical_id} encrypts with {value}; whether it is customer managed is "
                                f"KMS's word (DescribeKey: KeyManager CUSTOMER, the checklist's kms-key check), "
                                f"not the template's", where, kind=OUTSIDE)


def _needs_outside(ctx: RuleContext, note: str) -> Iterable[Evidence]:
    """Controls about need and approval: the template shows what is open, never why."""
    ingress = [r for r in ctx.rules if r.kind == INGRESS]
    if not ingress:
        return
    public = sorted({f"{r.resource} {r.protocol}/{r.ports}" for r in ingress if r.peer in ("0.0.0.0/0", "::/0")})
    shown = (f"the template opens {len(ingress)} ingress rule(s)"
             + (f", to anyone on {', '.join(public)}" if public else ", none to 0.0.0.0/0 or ::/0"))
    yield Evidence("-", f"{shown}; {note}", kind=OUTSIDE)


ASSESSORS: dict[str, Callable[[RuleContext, str], Iterable[Evidence]]] = {
    "trail-read-access": _trail_read_access,
    "central-log-store": _central_log_store,
    "customer-managed-key": _customer_managed_key,
    "needs-outside": _needs_outside,
}
