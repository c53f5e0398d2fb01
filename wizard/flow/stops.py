"""What stops working: the features of Quilt the chosen answers stop, for every face.

The comparison is with the vendor's template: the hardened template with every option the overlay
added back at its default, which grants exactly what the vendor's does. A template the overlay
did not harden (the embedded one) has no vendor to compare with, and the features catalog's
options are the overlay's: nothing is listed there. The accesses lost, their cause, the features they stop and which
are collateral are ``wizard.overlay.costs``; this module ties each cause to the answer that set
it, for the summary the headless run, ``--plain`` and the write screen share.
"""

from __future__ import annotations

from typing import Any, Mapping

from wizard.flow.catalog import load_catalog
from wizard.overlay.costs import Costs, LostAccess, costs

#: A ``wizard.flow.headless.Deployment`` (not imported: the headless summary imports this module).
Deployment = Any


def vendor_values(deployment: Deployment) -> dict[str, str]:
    """The values the comparison starts from: the chosen ones with every overlay option at its
    default (the vendor's behaviour)."""
    added = set(deployment.hardening.added_parameters)
    return {k: v for k, v in deployment.values.raw.items() if k not in added}


def deployment_costs(deployment: Deployment) -> Costs:
    """Every access the chosen answers take away from the vendor's template, with cause,
    features and collateral; nothing on a template the overlay did not harden (the catalog's
    options are the overlay's)."""
    if deployment.hardening is None:
        return Costs()
    return costs(deployment.template, vendor_values(deployment), dict(deployment.values.raw), deployment.pseudo)


def per_answer(deployment: Deployment, found: Costs) -> list[tuple[str, list[LostAccess]]]:
    """(answer, the losses it causes) in the order of the answers; a cause no answer set (a
    value given as a parameter) under its parameter's name."""
    owners = _owners(deployment)
    rows: dict[str, list[LostAccess]] = {}
    for item in found.lost:
        names = [c.split("=", 1)[0] for c in item.cause] or [""]
        for name in names:
            owner = owners.get(name, name or "several options together")
            if item not in rows.setdefault(owner, []):
                rows[owner].append(item)
    return list(rows.items())


def _owners(deployment: Deployment) -> dict[str, str]:
    """Parameter -> the answer that sets it (the first one given)."""
    catalog = load_catalog()
    owners: dict[str, str] = {}
    for key in deployment.plan.given():
        try:
            question = catalog.question(key)
        except KeyError:  # not a question of the catalog: its parameters are named as they are
            continue
        for name in question.parameters:
            owners.setdefault(name, key)
    return owners


def answer_stops(deployment: Deployment, found: Costs | None = None) -> list[tuple[str, list[str], list[tuple[str, bool]]]]:
    """(answer, its causes as ``Parameter=value``, the features it stops with whether each is
    collateral) for every answer that stops something, in the order of the answers."""
    found = deployment_costs(deployment) if found is None else found
    owned = _owners(deployment)
    rows = []
    for owner, items in per_answer(deployment, found):
        causes = sorted({c for item in items for c in item.cause
                         if owned.get(c.split("=", 1)[0], c.split("=", 1)[0]) == owner})
        rows.append((owner, causes, features_of(items)))
    return rows


def stop_lines(deployment: Deployment, paint: Any, found: Costs | None = None) -> list[str]:
    """The summary's "What stops working" section: per answer, one line per feature it stops
    (``collateral`` when no option meant to take that access away)."""
    rows = answer_stops(deployment, found)
    if not rows:
        return []
    lines = ["", paint("What stops working", "bold")]
    for owner, causes, features in rows:
        lines.append(f"  {owner} ({', '.join(causes) or 'several options together'})")
        for feature, collateral in features:
            marker = paint("  collateral: no option asked for it", "bold", "yellow") if collateral else ""
            lines.append(f"    stops: {feature}{marker}")
    return lines


def features_of(items: list[LostAccess]) -> list[tuple[str, bool]]:
    """(feature, whether some of its losses are collateral), in order of first mention."""
    found: dict[str, bool] = {}
    for item in items:
        for feature in item.affects or ("(no feature listed)",):
            found[feature] = found.get(feature, False) or item.collateral
    return list(found.items())


def stopped_features(template, before: Mapping[str, str], after: Mapping[str, str], pseudo) -> list[tuple[str, bool]]:
    """The features a change of values stops (the live panel: one choice changes, so its
    parameters are the cause and nothing is analysed again)."""
    return features_of(list(costs(template, before, after, pseudo, causes=False).lost))


def costs_text(found: Costs, paint: Any) -> str:
    """What stops working, feature by feature, each access lost with its cause (``diff``'s text)."""
    if not found.lost:
        return ""
    lines = ["", paint("What stops working", "bold")]
    for feature, items in found.by_feature().items():
        lines.append(f"  {feature}")
        for item in items:
            marker = paint("  collateral: no option asked for it", "bold", "yellow") if item.collateral else ""
            lines.append(f"    {item.line()} ({item.cause_text}){marker}")
    return "\n".join(lines) + "\n"
