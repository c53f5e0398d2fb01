"""The vendor's posture and what the options change: the first section of a report on a
hardened vendor template.

A customer reading the report on the vendor's template must see, in this order, the template
as the vendor ships it (its findings, unhardened), what each chosen option changes rule by rule
(grants removed and added, the verdict), and what stays out of reach without the vendor (an
option no template edit can deliver, a rule that matched nothing, a trust left as it was). This
module computes that as plain data for the report's ``context["vendor"]``.
"""

from __future__ import annotations

from collections import Counter
from pathlib import Path
from typing import Any, Mapping

from wizard.cfn.pseudo import Pseudo
from wizard.iam.analysis import analyse
from wizard.iam.grants import display_principal
from wizard.overlay import Hardening
from wizard.overlay.costs import costs
from wizard.overlay.effects import option_effects


def _values(values) -> str:
    """Every value in full, each as `code`: a report never cuts an action or an ARN short."""
    return ", ".join(f"`{v}`" for v in values)


def _grant_line(change) -> str:
    """One changed statement in full: holder, effect, every action and resource, the condition."""
    grant = change.grant
    condition = f" if `{grant.condition_json}`" if grant.condition_json else ""
    if grant.attachment:
        return f"{display_principal(grant)}: attaches `{grant.attachment}`"
    what = _values(grant.actions) if grant.actions else "everything except " + _values(grant.not_actions)
    if grant.kind == "trust":
        return f"{', '.join(grant.on)} trusts `{grant.principal}` to {what}{condition}"
    where = (_values(grant.resources) if grant.resources
             else "everything except " + _values(grant.not_resources) if grant.not_resources else "")
    if grant.kind == "resource":
        holder = f"{display_principal(grant)}: {grant.effect} `{grant.principal}`"
    elif grant.kind == "boundary":  # a cap, not a grant
        holder = f"{display_principal(grant)}: {'admits' if grant.is_allow else 'Deny'}"
    else:
        holder = f"{grant.principal or display_principal(grant)}: {grant.effect}"
    placeholder = " (grants nothing: placeholder)" if grant.grants_nothing else ""
    return f"{holder} {what}" + (f" on {where}" if where else "") + condition + placeholder


def _details(diff) -> list[str]:
    """Every grant and network rule an option removes and adds, none left out."""
    return ([f"removed: {_grant_line(c)}" for c in diff.removed]
            + [f"added: {_grant_line(c)}" for c in diff.added]
            + [f"removed: network: {c.rule.describe()}" for c in diff.network_removed]
            + [f"added: network: {c.rule.describe()}" for c in diff.network_added])


def stops_context(hardening: Hardening, values: Mapping[str, str], pseudo: Pseudo | None = None) -> list[dict]:
    """What stops working, and why: for each feature the chosen options stop, each access lost
    (principal, actions, resources), its cause and whether an option claims it."""
    added = set(hardening.added_parameters)
    vendor_values = {k: v for k, v in values.items() if k not in added}
    found = costs(hardening.template, vendor_values, dict(values), pseudo)
    rows = []
    for feature, items in found.by_feature().items():
        for item in items:
            rows.append({"feature": feature, "cause": item.cause_text, "collateral": item.collateral,
                         "access": f"`{item.principal}`: {_values(item.actions)} on {_values(item.resources)}"
                                   + (f" if `{item.condition}`" if item.condition else "")})
    return rows


def vendor_context(hardening: Hardening, values: Mapping[str, str], pseudo: Pseudo | None = None,
                   frameworks: list[str] | None = None) -> dict[str, Any]:
    """The report's vendor section for a deployment's parameter values."""
    from wizard.findings import evaluate_findings

    vendor = hardening.vendor
    own = {k: v for k, v in values.items() if k in vendor.parameters}
    analysis = analyse(vendor, own, pseudo)
    findings = evaluate_findings(analysis.evaluation, list(analysis.grants), list(analysis.rules), frameworks)
    counts = Counter(f.severity for f in findings)
    top = [f"[{f.severity}] {f.title}: {f.subject}" for f in findings if f.severity in ("critical", "high")]
    options = []
    for effect in option_effects(hardening, values, pseudo):
        diff = effect.diff
        options.append({
            "rule": effect.rule.id, "title": effect.rule.title,
            "set": ", ".join(f"{k}={v}" for k, v in effect.chosen),
            "removed": len(diff.removed), "added": len(diff.added),
            "network": f"+{len(diff.network_added)} -{len(diff.network_removed)}",
            "verdict": "broadening" if diff.broadening else ("no change" if diff.empty else "narrowing"),
            "details": _details(diff),
        })
    out_of_reach = [f"{o.rule.parameter}: needs a change by the vendor. {o.rule.needs_vendor}"
                    for o in hardening.needs_vendor]
    out_of_reach += hardening.warnings + hardening.notes
    out_of_reach += [o.rule.preflight for o in hardening.outcomes if o.rule.preflight and o.status == "applied"]
    return {
        "stops": stops_context(hardening, values, pseudo),
        "template": Path(vendor.source).name, "sha256": hardening.vendor_sha256,
        "overlay": f"{hardening.overlay.name} {hardening.overlay.version}",
        "statements": len(analysis.grants), "network": len(analysis.rules),
        "findings": {s: counts.get(s, 0) for s in ("critical", "high", "medium", "low", "info")},
        "top": top, "options": options, "out_of_reach": out_of_reach,
    }
