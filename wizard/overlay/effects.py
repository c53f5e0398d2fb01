"""What each chosen option changes on a hardened vendor template, rule by rule.

The report on a vendor template leads with the vendor's posture and then says what the options
change. The changes are cumulative in the overlay's order: the first applied rule whose
parameters were chosen is compared with the hardened template at every default (which grants
exactly what the vendor's does), the next with the state after the first, and so on, so the
rows add up to the whole change and a rule that needs another (pre-created policies need the
bucket prefix) is read with it in force.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Mapping

from wizard.cfn.pseudo import Pseudo
from wizard.iam.analysis import compare
from wizard.iam.diff import PermissionDiff
from wizard.overlay.apply import APPLIED, Hardening
from wizard.overlay.rules import Rule


@dataclass(frozen=True)
class OptionEffect:
    """One rule's chosen values and the permission diff they add on top of the earlier rules."""

    rule: Rule
    chosen: tuple[tuple[str, str], ...]
    diff: PermissionDiff

    def to_json(self) -> dict:
        return {"rule": self.rule.id, "chosen": dict(self.chosen), "diff": self.diff.to_json()}


def _default_text(spec: dict) -> str:
    default = spec.get("Default", "")
    return str(default)


def option_effects(hardening: Hardening, values: Mapping[str, str], pseudo: Pseudo | None = None) -> list[OptionEffect]:
    """The cumulative effect of each applied rule's non-default values in ``values``."""
    added = set(hardening.added_parameters)
    state = {k: str(v) for k, v in values.items() if k not in added}
    effects = []
    for outcome in hardening.outcomes:
        if outcome.status != APPLIED:
            continue
        chosen = {name: str(values[name]) for name, spec in outcome.rule.parameter_specs().items()
                  if name in values and str(values[name]) != _default_text(spec)}
        if not chosen:
            continue
        after = {**state, **chosen}
        effects.append(OptionEffect(outcome.rule, tuple(sorted(chosen.items())),
                                    compare(hardening.template, state, after, pseudo)))
        state = after
    return effects
