"""What a stack set's instances run, compared with what the profile says they should run.

The most common complaint about StackSets is that nobody can see which overrides each instance
runs with. ``fleet status`` reads them (through ``wizard.aws``) and this module lays them beside
the profile's plan: for each instance, every parameter whose running value (the stack set's value,
or the instance's override) differs from the value the profile gives that account and region, and
instances of accounts the profile does not list. An instance changed outside the wizard stands
out. NoEcho values are never compared (CloudFormation shows them as ``****``).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Mapping, Protocol, Sequence

from wizard.cfn.parameters import MASK
from wizard.fleet.plan import FleetPlan


class RunningInstance(Protocol):
    """What the status needs of one instance as CloudFormation describes it."""

    account: str
    region: str
    status: str
    status_reason: str | None
    detailed_status: str | None
    drift_status: str | None
    overrides: Mapping[str, str]


@dataclass(frozen=True)
class Difference:
    """One parameter whose running value is not the profile's."""

    parameter: str
    running: str | None
    profile: str | None

    def to_json(self) -> dict[str, Any]:
        return {"parameter": self.parameter, "running": self.running, "profile": self.profile}


@dataclass(frozen=True)
class InstanceView:
    """One instance: its state, its overrides and how it differs from the profile."""

    account: str
    region: str
    status: str
    reason: str | None
    detailed_status: str | None
    drift: str | None
    overrides: Mapping[str, str]
    differences: tuple[Difference, ...] = ()
    in_profile: bool | None = None
    """None when there is no profile to compare with."""

    @property
    def stands_out(self) -> bool:
        return bool(self.differences) or self.in_profile is False or self.drift == "DRIFTED"

    def to_json(self) -> dict[str, Any]:
        return {"account": self.account, "region": self.region, "status": self.status,
                "status_reason": self.reason, "detailed_status": self.detailed_status, "drift_status": self.drift,
                "overrides": dict(self.overrides), "in_profile": self.in_profile,
                "differences": [d.to_json() for d in self.differences], "stands_out": self.stands_out}


@dataclass(frozen=True)
class FleetStatus:
    """A stack set's instances beside its profile."""

    stack_set: str
    profile: str | None
    note: str | None
    parameter_differences: tuple[Difference, ...]
    instances: tuple[InstanceView, ...]
    missing_accounts: tuple[str, ...] = ()

    @property
    def differs(self) -> bool:
        return bool(self.parameter_differences or self.missing_accounts
                    or any(i.differences or i.in_profile is False for i in self.instances))

    def to_json(self) -> dict[str, Any]:
        return {"stack_set": self.stack_set, "profile": self.profile, "note": self.note,
                "parameter_differences": [d.to_json() for d in self.parameter_differences],
                "instances": [i.to_json() for i in self.instances],
                "missing_accounts": list(self.missing_accounts), "differs_from_profile": self.differs}


def _differences(running: Mapping[str, str], expected: Mapping[str, str], secret: frozenset[str]) -> list[Difference]:
    found = []
    for name in dict.fromkeys([*expected, *running]):
        if name in secret or running.get(name) == MASK:
            continue
        if running.get(name) != expected.get(name):
            found.append(Difference(name, running.get(name), expected.get(name)))
    return found


def fleet_status(stack_set: str, parameters: Mapping[str, str], instances: Sequence[RunningInstance],
                 plan: FleetPlan | None, *, note: str | None = None) -> FleetStatus:
    """Each instance with its overrides and, when ``plan`` is given, its differences from it."""
    secret = frozenset(n for n, s in plan.template.parameters.items() if s.no_echo) if plan else frozenset()
    views = []
    for running in instances:
        differences: list[Difference] = []
        in_profile = None
        if plan is not None:
            planned = plan.instance(running.account, running.region)
            in_profile = planned is not None
            if planned is not None:
                effective = {**parameters, **running.overrides}
                differences = _differences({k: v for k, v in effective.items() if k in planned.values.raw},
                                           planned.values.raw, secret)
        views.append(InstanceView(running.account, running.region, running.status, running.status_reason,
                                  running.detailed_status, running.drift_status, dict(running.overrides),
                                  tuple(differences), in_profile))
    set_differences: list[Difference] = []
    missing: tuple[str, ...] = ()
    if plan is not None:
        set_differences = _differences({k: v for k, v in parameters.items() if k in plan.parameters},
                                       plan.parameters, secret)
        present = {i.account for i in instances}
        missing = tuple(a for a in plan.profile.accounts if a not in present)
    return FleetStatus(stack_set, plan.profile.name if plan else None, note, tuple(set_differences), tuple(views),
                       missing)
