"""What each choice costs Quilt: every access lost between two parameter sets of one template,
with the option that removed it (``cause``), the features it stops (``affects``) and whether an
option meant to remove it (an access no option claims is ``collateral``).

``before`` is the baseline (on a hardened vendor template, every option at its default: exactly
the vendor's grants) and ``after`` the chosen options. The lost accesses are
``wizard.iam.effective.lost_access``. The cause is found by running the analysis again, never
guessed: an option causes a loss when the loss disappears with that one option back at its
baseline value, or appears with that option alone changed (an option needed only together with
another still counts: a prefix Deny of the guardrail needs both the prefix and enhanced
security). When one parameter changes, it is the cause and nothing runs again. The two sides'
analyses are cached (``wizard.iam.analysis``); a run costs at most two evaluations more per
changed option (the second only when the first leaves some loss undecided), each made like the
side it varies, so that only the resources reading that option are resolved and read for grants
again (``wizard.cfn.dependencies``), and compared with the baseline only on the accesses that can
answer for the losses (``wizard.iam.effective.Baseline``, prepared once for every variant).

The causes are kept in the cache folder under a digest of the template's text, both sets of
values, the pseudo parameters and the installed files' stamp (``wizard.verdicts``): a run with
the same inputs reads them back instead of running the analyses again. A cache that cannot be
read or written only costs time.

The features come from ``assets/quilt-features.yaml`` (``wizard.overlay.features``): those of
the outside principal an access is for, of the stack resource it is on, or of the role holding
it. An access is claimed when an option among its causes, at its chosen value, lists it among
what it ``removes``; the rest are collateral.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass
from typing import Mapping

from wizard import verdicts
from wizard.atomic import write_atomic
from wizard.cfn.evaluate import Evaluation
from wizard.cfn.parameters import resolve_parameters
from wizard.cfn.pseudo import Pseudo
from wizard.cfn.template import Template
from wizard.iam.analysis import analyse
from wizard.iam.effective import Access, Baseline, accesses, lost_access, resource_types_of
from wizard.iam.grants import TRUST, Grant, extract
from wizard.iam.wildcards import action_matches
from wizard.overlay.features import FeatureCatalog, load_features
from wizard.paths import cache_dir


@dataclass(frozen=True)
class LostAccess:
    """Accesses one principal loses for one cause: the actions, the resources, what stops."""

    principal: str
    kind: str
    actions: tuple[str, ...]
    resources: tuple[str, ...]
    cause: tuple[str, ...]
    affects: tuple[str, ...]
    collateral: bool
    condition: str = ""

    @property
    def cause_text(self) -> str:
        return ", ".join(self.cause) or "no single option (several together)"

    def to_json(self) -> dict:
        return {"principal": self.principal, "actions": list(self.actions), "resources": list(self.resources),
                "cause": ", ".join(self.cause), "affects": list(self.affects)}

    def line(self) -> str:
        """``Role: s3:GetObject, s3:PutObject on arn:...``: who loses which actions where."""
        return f"{self.principal}: {', '.join(self.actions)} on {', '.join(self.resources)}"


@dataclass(frozen=True)
class Costs:
    """Every access lost, grouped, and the features each choice stops."""

    lost: tuple[LostAccess, ...] = ()

    @property
    def collateral(self) -> tuple[LostAccess, ...]:
        return tuple(item for item in self.lost if item.collateral)

    def features(self) -> list[str]:
        """The features that stop (lose some access), in order of first mention."""
        return list(dict.fromkeys(f for item in self.lost for f in item.affects))

    def by_feature(self) -> dict[str, list[LostAccess]]:
        """Feature -> the losses that stop it (a loss serving several features under each)."""
        found: dict[str, list[LostAccess]] = {}
        for item in self.lost:
            for feature in item.affects or ("(no feature)",):
                found.setdefault(feature, []).append(item)
        return found

    def to_json(self) -> dict:
        return {"lost_access": [item.to_json() for item in self.lost],
                "collateral": [item.to_json() for item in self.collateral]}


def _text(value: object) -> str:
    return "" if value is None else str(value)


def _index(accesses: list[Access]) -> dict[tuple, list[str]]:
    found: dict[tuple, list[str]] = {}
    for a in accesses:
        found.setdefault((a.principal, a.kind, a.on, a.resource, a.condition_json), []).append(a.action)
    return found


def _within(access: Access, index: dict[tuple, list[str]]) -> bool:
    actions = index.get((access.principal, access.kind, access.on, access.resource, access.condition_json), ())
    return any(a == access.action or action_matches(a, access.action) or action_matches(access.action, a)
               for a in actions)


def _changed(before: Mapping[str, str], after: Mapping[str, str]) -> list[str]:
    return [k for k in dict.fromkeys([*before, *after]) if _text(before.get(k)) != _text(after.get(k))]


def _set(values: Mapping[str, str], name: str, source: Mapping[str, str]) -> dict[str, str]:
    updated = dict(values)
    if name in source:
        updated[name] = source[name]
    else:
        updated.pop(name, None)
    return updated


def _fresh(template: Template, base, chosen) -> frozenset[str]:
    """The resources the chosen side creates that the baseline does not."""
    return frozenset(r for r in template.resources
                     if chosen.evaluation.exists(r) and not base.evaluation.exists(r))


def costs(template: Template, before: Mapping[str, str], after: Mapping[str, str], pseudo: Pseudo | None = None,
          catalog: FeatureCatalog | None = None, *, causes: bool = True) -> Costs:
    """The accesses ``before`` grants that ``after`` no longer does, with cause, features and
    whether an option claims each. ``causes=False`` names every changed parameter as the cause
    of every loss without running anything again (the live panel, where one choice changes)."""
    if catalog is None and causes:
        key = _digest(template, before, after, pseudo or Pseudo())
        found = _remembered(key)
        if found is None:
            found = _costs(template, before, after, pseudo, load_features(), causes=True)
            _remember(key, found)
        return found
    return _costs(template, before, after, pseudo, catalog or load_features(), causes=causes)


def _costs(template: Template, before: Mapping[str, str], after: Mapping[str, str], pseudo: Pseudo | None,
           catalog: FeatureCatalog, *, causes: bool) -> Costs:
    base = analyse(template, before, pseudo)
    chosen = analyse(template, after, pseudo)
    types = resource_types_of(template.resources)
    fresh = _fresh(template, base, chosen)
    lost = lost_access(base.grants, chosen.grants, types, fresh)
    if not lost:
        return Costs()
    changed = _changed(before, after)
    cause_of: dict[Access, list[str]] = {a: [] for a in lost}
    if len(changed) == 1 or not causes:
        for access in lost:
            cause_of[access] = list(changed)
    else:
        relevant = Baseline(_relevant(base.grants, lost, types), types, asked=lost)
        for name in changed:
            for access in _caused_by(template, name, before, after, pseudo, base, chosen, relevant, lost):
                cause_of[access].append(name)
    return Costs(_group(lost, cause_of, after, catalog))


#: The cache folder's subfolder of the causes worked out before, one JSON file a digest.
_KEPT = "costs-1"


def _digest(template: Template, before: Mapping[str, str], after: Mapping[str, str], pseudo: Pseudo) -> str:
    """What decides the costs: the template, both sets of values, the pseudo parameters and the
    installed code and data (the analysis, the features catalog)."""
    return verdicts.installed_digest(template.text, [
        sorted((str(k), _text(v)) for k, v in before.items()), sorted((str(k), _text(v)) for k, v in after.items()),
        [pseudo.stack_name, pseudo.region, pseudo.account_id]])


def _remembered(digest: str) -> Costs | None:
    """The costs an earlier run kept under ``digest``; None when none (or unreadable)."""
    try:
        rows = json.loads((cache_dir() / _KEPT / f"{digest}.json").read_bytes())
        return Costs(tuple(LostAccess(row["principal"], row["kind"], tuple(row["actions"]), tuple(row["resources"]),
                                      tuple(row["cause"]), tuple(row["affects"]), bool(row["collateral"]),
                                      row["condition"]) for row in rows))
    except (OSError, ValueError, KeyError, TypeError):
        return None


def _remember(digest: str, found: Costs) -> None:
    body = json.dumps([asdict(item) for item in found.lost], ensure_ascii=False)
    try:
        write_atomic(cache_dir() / _KEPT / f"{digest}.json", body.encode("utf-8", "surrogatepass"),
                     mode=0o600, durable=False)
    except OSError:
        pass  # a cache we cannot write only costs time


def _key(access: Access) -> tuple:
    return (access.principal, access.kind, access.on, access.resource, access.condition_json)


def _relevant(grants: tuple[Grant, ...], lost: list[Access], types: Mapping[str, str]) -> tuple[Grant, ...]:
    """The baseline's grants with the Allows that grant nothing on a lost access's holder,
    resource and condition left out: the losses of a variant, asked only about those (``_within``
    reads nothing else), are the same, at a fraction of the work. Denies and boundaries (no
    accesses of their own) all stay, as does the order."""
    keys = {_key(a) for a in lost}
    return tuple(g for g in grants if not (found := accesses(g, types)) or any(_key(a) in keys for a in found))


@dataclass(frozen=True)
class _Variant:
    """One variant's evaluation and grants: what a loss is judged by (no network rules)."""

    evaluation: Evaluation
    grants: tuple[Grant, ...]


def _lost_in(template: Template, values: Mapping[str, str], pseudo: Pseudo | None, like: Evaluation, base,
             relevant: Baseline) -> dict[tuple, list[str]]:
    """The lost accesses of one variant, indexed; its grants read anew only from the resources
    that read the one parameter it changes from ``like`` (``wizard.iam.grants.extract``)."""
    evaluation = Evaluation(template, resolve_parameters(template, dict(values)), pseudo or Pseudo(), like=like)
    other = _Variant(evaluation, tuple(extract(evaluation)))
    return _index(relevant.lost_in(other.grants, _fresh(template, base, other)))


def _caused_by(template: Template, name: str, before: Mapping[str, str], after: Mapping[str, str],
               pseudo: Pseudo | None, base, chosen, relevant: Baseline, lost: list[Access]) -> list[Access]:
    """The lost accesses ``name`` causes: kept with it back at its baseline value, or lost with
    it alone changed. The second analysis runs only for the accesses the first left undecided."""
    kept = _lost_in(template, _set(after, name, before), pseudo, chosen.evaluation, base, relevant)
    found = [a for a in lost if not _within(a, kept)]
    undecided = [a for a in lost if _within(a, kept)]
    if undecided:
        only = _lost_in(template, _set(before, name, after), pseudo, base.evaluation, base, relevant)
        found += [a for a in undecided if _within(a, only)]
    return found


def _group(lost: list[Access], cause_of: dict[Access, list[str]], after: Mapping[str, str],
           catalog: FeatureCatalog) -> tuple[LostAccess, ...]:
    rows: dict[tuple, dict[str, list[str]]] = {}
    for access in lost:
        names = cause_of[access]
        cause = tuple(f"{n}={_text(after.get(n))}" for n in names)
        claimed = any(catalog.claimed(n, _text(after.get(n)), access) for n in names)
        affects = tuple(f.name for f in catalog.affects(access))
        holder = access.holder if access.kind != TRUST else access.principal.split(":", 1)[-1]
        key = (holder, access.kind, cause, affects, not claimed, access.condition_json)
        actions = rows.setdefault(key, {}).setdefault(access.resource if access.kind != TRUST
                                                      else ", ".join(access.on), [])
        if access.action not in actions:
            actions.append(access.action)
    found: list[LostAccess] = []
    for (holder, kind, cause, affects, collateral, condition), by_resource in rows.items():
        merged: dict[tuple[str, ...], list[str]] = {}
        for resource, actions in by_resource.items():
            merged.setdefault(tuple(actions), []).append(resource)
        for actions, resources in merged.items():
            found.append(LostAccess(holder, kind, actions, tuple(resources), cause, affects, collateral, condition))
    return tuple(found)
