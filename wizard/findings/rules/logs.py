"""Logs kept long enough and written where they should be: load-balancer access logs, retention.

The frameworks set the retention: PCI DSS v4 10.5.1 keeps audit logs twelve months (three of
them at hand); the others name no number. The requirement is data (``log_retention_days`` of a
framework in ``assets/compliance.yaml``), and the rule reads the frameworks chosen for the
report, or all of them when none is chosen.
"""

from __future__ import annotations

from wizard.findings.catalog import catalog
from wizard.findings.context import RuleContext
from wizard.findings.model import Hit
from wizard.findings.rules import detector
from wizard.findings.rules.common import short


def _attributes(properties: dict) -> dict[str, str]:
    found = {}
    for item in properties.get("LoadBalancerAttributes") or []:
        if isinstance(item, dict) and "Key" in item:
            found[str(item["Key"])] = str(item.get("Value", "")).lower()
    return found


@detector("QW-LOG-005")
def load_balancer_access_logs_off(ctx: RuleContext):
    for logical_id, resource in ctx.evaluation.resources("AWS::ElasticLoadBalancingV2::LoadBalancer").items():
        properties = resource.get("Properties") or {}
        if _attributes(properties).get("access_logs.s3.enabled") == "true":
            continue
        line = ctx.line(logical_id)
        yield Hit(subject=logical_id,
                  message=f"Load balancer {logical_id} does not set access_logs.s3.enabled to true"
                          + (f" (line {line})" if line else "")
                          + ": the requests it receives (client address, path, status, TLS protocol) are not recorded.",
                  resources=(logical_id,), lines=(line,) if line else ())


def required_retention(frameworks: tuple[str, ...]) -> tuple[int, list[str]]:
    """(days, frameworks that require them): the longest retention the frameworks in view require."""
    texts = catalog()
    keys = frameworks or tuple(texts.frameworks)
    needs = {key: texts.frameworks[key].log_retention_days for key in keys
             if texts.frameworks[key].log_retention_days}
    if not needs:
        return 0, []
    days = max(needs.values())
    return days, [texts.frameworks[k].name for k, d in needs.items() if d == days]


@detector("QW-LOG-007")
def log_retention_too_short(ctx: RuleContext):
    days, names = required_retention(getattr(ctx, "frameworks", ()))
    if not days:
        return
    short_groups = []
    for logical_id, resource in ctx.evaluation.resources("AWS::Logs::LogGroup").items():
        retention = (resource.get("Properties") or {}).get("RetentionInDays")
        try:
            kept = int(retention)
        except (TypeError, ValueError):
            continue  # no retention: events never expire
        if kept < days:
            short_groups.append((logical_id, kept, ctx.line(logical_id, "Properties", "RetentionInDays")))
    if not short_groups:
        return
    kept_values = sorted({kept for _, kept, _ in short_groups})
    yield Hit(subject=short_groups[0][0] if len(short_groups) == 1 else f"{len(short_groups)} log groups",
              message=f"{len(short_groups)} log group(s) keep events {', '.join(map(str, kept_values))} days, shorter "
                      f"than the {days} days {' and '.join(names)} require: "
                      f"{short([g for g, _, _ in short_groups], 6)}.",
              resources=tuple(g for g, _, _ in short_groups),
              lines=tuple(sorted({line for _, _, line in short_groups if line})),
              facts=(("required_days", str(days)),))
