"""What every stack instance of a fleet runs, decided before anything is sent to AWS.

A StackSets deployment has two levels of parameters: the stack set's (one value each, shared by
every instance) and each instance's ``ParameterOverrides``. A profile has the same two levels:
its shared answers and parameters, and its ``accounts:`` section. ``plan_fleet`` maps one onto
the other:

- each instance (an account of the profile, in each region) is planned exactly as a single run
  for that account and region would be (``layers_for`` and ``plan_deployment``: the same layers,
  validation against the template and its ``Rules``, the same checks), so an instance that a
  single run would refuse is refused here, naming the account, the region and the field;
- the fleet's base is the profile's shared layers alone; the stack set gets the base's value of
  every parameter, and an empty value for a parameter only accounts give (a VPC, a certificate, a
  value the mode requires that the shared part leaves empty, such as enterprise's KMS key): an
  instance created without its override then fails instead of inheriting another account's;
- an instance's overrides are the parameters whose value differs from the stack set's; accounts
  with the same overrides in the same regions share one ``CreateStackInstances`` or
  ``UpdateStackInstances`` call (:class:`CallGroup`);
- each instance's permission diff against the base (in its own account and region, with its own
  per-account values, those it must give included) shows what its overrides change: broadening
  (and weakening, when the diff says so) stands out.

The command refuses the whole fleet at its first invalid instance; the wizard's fleet screen plans
with ``strict=False`` so that every instance is shown, the refused ones with their message
(:class:`Refusal`), and nothing can be deployed while one is refused.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any, Iterable, Mapping, Sequence

from wizard.cfn.parameters import MASK, ParameterValues, resolve_parameters
from wizard.cfn.pseudo import Pseudo
from wizard.cfn.template import Template
from wizard.errors import InputError
from wizard.flow.answers import resolve
from wizard.flow.catalog import load_catalog
from wizard.flow.headless import Deployment, layers_for, plan_deployment
from wizard.flow.profiles import Profile, load_profile, requirements
from wizard.iam.analysis import compare
from wizard.iam.diff import PermissionDiff
from wizard.overlay import Hardening

DEFAULT_REGION = "us-east-1"
"""The region of an account whose profile entry names none, when ``--regions`` is not given."""

_REGION = re.compile(r"[a-z]{2}(-gov|-iso[a-z]?)?-[a-z]+-\d{1,2}")
_ACCOUNT = re.compile(r"\d{12}")


@dataclass(frozen=True)
class Instance:
    """One stack instance: an account in a region, what it runs and how that differs."""

    account: str
    region: str
    deployment: Deployment
    overrides: Mapping[str, str]
    """The parameters whose value differs from the stack set's (its ``ParameterOverrides``)."""
    diff: PermissionDiff
    """What the overrides change against the fleet's base, in this account and region."""

    @property
    def values(self) -> ParameterValues:
        return self.deployment.values

    @property
    def broadening(self) -> bool:
        return self.diff.broadening

    @property
    def weakening(self) -> bool:
        """True when the diff carries a weakening verdict and it holds."""
        return bool(getattr(self.diff, "weakening", False))

    def shown_overrides(self) -> dict[str, str]:
        """The overrides for a person or a log: NoEcho values masked."""
        return masked(self.overrides, self.values)


@dataclass(frozen=True)
class Refusal:
    """An instance a single run for its account and region would refuse, and why (naming the field)."""

    account: str
    region: str
    message: str

    def to_json(self) -> dict[str, str]:
        return {"account": self.account, "region": self.region, "message": self.message}


@dataclass(frozen=True)
class CallGroup:
    """One stack-instances call: these accounts in these regions, with these overrides."""

    accounts: tuple[str, ...]
    regions: tuple[str, ...]
    overrides: tuple[tuple[str, str], ...]


@dataclass(frozen=True)
class FleetPlan:
    """The stack set's parameters and every instance the profile deploys."""

    profile: Profile
    template: Template
    base: ParameterValues
    parameters: Mapping[str, str]
    """The stack set's parameters: the base's values, empty for those only accounts give."""
    per_account: tuple[str, ...]
    """Parameters the profile gives only per account (empty in the stack set)."""
    instances: tuple[Instance, ...]
    hardening: Hardening | None = None
    """How ``template`` was made from a vendor template without the promised options, if it was."""
    refused: tuple[Refusal, ...] = ()
    """Instances that cannot be deployed as the profile stands (only with ``strict=False``)."""

    @property
    def deployable(self) -> bool:
        """Every instance planned: none refused."""
        return not self.refused

    @property
    def accounts(self) -> tuple[str, ...]:
        return tuple(dict.fromkeys(i.account for i in self.instances))

    @property
    def regions(self) -> tuple[str, ...]:
        return tuple(dict.fromkeys(i.region for i in self.instances))

    def instance(self, account: str, region: str) -> Instance | None:
        return next((i for i in self.instances if i.account == account and i.region == region), None)

    def groups(self, targets: Iterable[tuple[str, str]] | None = None) -> list[CallGroup]:
        """The calls that deploy ``targets`` ((account, region) pairs; all by default)."""
        chosen = None if targets is None else set(targets)
        return call_groups([i for i in self.instances if chosen is None or (i.account, i.region) in chosen])

    def shown_parameters(self) -> dict[str, str]:
        return masked(self.parameters, self.base)

    def to_json(self) -> dict[str, Any]:
        def instance(i: Instance) -> dict[str, Any]:
            return {"account": i.account, "region": i.region, "overrides": i.shown_overrides(),
                    "broadening": i.broadening, "weakening": i.weakening, "diff": i.diff.to_json()}

        return {
            "profile": self.profile.name,
            "template": self.template.source,
            "hardening": self.hardening.to_json() if self.hardening else None,
            "stack_set_parameters": self.shown_parameters(),
            "per_account": list(self.per_account),
            "instances": [instance(i) for i in self.instances],
            "refused": [r.to_json() for r in self.refused],
            "calls": [{"accounts": list(g.accounts), "regions": list(g.regions),
                       "overrides": masked(dict(g.overrides), self.base)} for g in self.groups()],
            "broadening": [f"{i.account}/{i.region}" for i in self.instances if i.broadening],
            "weakening": [f"{i.account}/{i.region}" for i in self.instances if i.weakening],
        }


def masked(values: Mapping[str, str], reference: ParameterValues) -> dict[str, str]:
    """``values`` with every NoEcho parameter's value shown as the mask."""
    return {k: MASK if k in reference.specs and reference.specs[k].no_echo and v else v
            for k, v in values.items()}


def call_groups(instances: Sequence[Instance]) -> list[CallGroup]:
    """Accounts with the same overrides in the same regions, one group each (a call can only
    name accounts and regions as a product, and carries one set of overrides)."""
    by_overrides: dict[tuple[tuple[str, str], ...], dict[str, list[str]]] = {}
    for instance in instances:
        key = tuple(sorted(instance.overrides.items()))
        by_overrides.setdefault(key, {}).setdefault(instance.account, []).append(instance.region)
    groups = []
    for overrides, accounts in by_overrides.items():
        by_regions: dict[tuple[str, ...], list[str]] = {}
        for account, regions in accounts.items():
            by_regions.setdefault(tuple(sorted(regions)), []).append(account)
        for regions, members in by_regions.items():
            groups.append(CallGroup(tuple(sorted(members)), regions, overrides))
    return groups


def parse_list(text: str | None, what: str, pattern: re.Pattern[str], where: str) -> list[str]:
    """A comma-separated option (``--accounts``, ``--regions``), each item checked whole."""
    if text is None:
        return []
    items = [item.strip() for item in text.split(",")]
    if not items or any(not item for item in items):
        raise InputError(f"expected a comma-separated list of {what}, found {text!r}", where=where)
    for item in items:
        if not pattern.fullmatch(item):
            raise InputError(f"expected {what}, found {item!r}", where=where)
    return list(dict.fromkeys(items))


def parse_accounts(text: str | None) -> list[str]:
    return parse_list(text, "12-digit AWS account ids", _ACCOUNT, "--accounts")


def parse_regions(text: str | None) -> list[str]:
    return parse_list(text, "AWS region names (such as us-east-1)", _REGION, "--regions")


def targets(profile: Profile, accounts: Sequence[str] = (), regions: Sequence[str] = ()) -> list[tuple[str, str]]:
    """(account, region) of every instance: the profile's accounts (or those of ``accounts``,
    which must be the profile's), each in ``regions`` or else in its own ``region:``."""
    if not profile.accounts:
        raise InputError(f"profile {profile.name} has no accounts: section; a fleet is the accounts listed there "
                         "(accounts: {ID: {region: ..., parameters: {...}}})", file=profile.source or None,
                         where="/accounts")
    for account in accounts:
        if account not in profile.accounts:
            raise InputError(f"account {account} is not in profile {profile.name} (its accounts: "
                             f"{', '.join(profile.accounts)})", where="--accounts")
    found = []
    for account in accounts or list(profile.accounts):
        own = profile.accounts[account].get("region")
        if not regions and own is not None and not (isinstance(own, str) and _REGION.fullmatch(own)):
            raise InputError(f"expected an AWS region name, found {own!r}", file=profile.source or None,
                             where=f"/accounts/{account}/region")
        for region in regions or [own or DEFAULT_REGION]:
            found.append((account, region))
    return found


def base_values(profile: Profile, template: Template) -> ParameterValues:
    """The fleet's base: the profile's shared layers alone (no account's overrides)."""
    plan = resolve(load_catalog(), template, profile.layers(None))
    try:
        return resolve_parameters(template, plan.parameters, origin=plan.origin)
    except InputError as exc:
        raise plan.blame(exc) from None


def _named(exc: InputError, account: str, region: str) -> InputError:
    """The same error, saying which instance it is about."""
    return type(exc)(f"account {account} in {region}: {exc.message}", file=exc.file, where=exc.where,
                     line=exc.line)


def plan_instance(profile: Profile, template: Template, account: str, region: str,
                  stack_name: str) -> Deployment:
    """One instance planned as a single run for this account and region is."""
    pseudo = Pseudo(stack_name=stack_name, region=region, account_id=account)
    try:
        deployment = plan_deployment(template=template, pseudo=pseudo,
                                     layers=layers_for(profile.name, account, None, {}),
                                     out="fleet-parameters.json", mode=profile.name)
    except InputError as exc:
        raise _named(exc, account, region) from None
    if len(deployment.phases) > 1:
        raise InputError(f"account {account} in {region}: the 'harden after' timeline is two deployments, and a "
                         "stack set deploys one set of values to every instance: answer timeline: before (deploy "
                         "phase 1's answers first, then the hardened ones)", file=profile.source or None,
                         where="/answers/timeline")
    return deployment


def plan_fleet(profile_name: str, template: Template, *, accounts: Sequence[str] = (),
               regions: Sequence[str] = (), stack_name: str = "quilt",
               pairs: Sequence[tuple[str, str]] | None = None, hardening: Hardening | None = None,
               strict: bool = True) -> FleetPlan:
    """Plan every instance of ``profile_name``'s fleet; an invalid one raises ``InputError``
    naming its account, region and field (with ``strict=False`` it is kept in ``refused`` and the
    others are planned). No AWS call.

    ``pairs`` (account, region) replaces the profile's targets: the instances a stack set has.
    ``hardening`` says how ``template`` was hardened (``wizard.flow.headless.hardened_for``)."""
    profile = load_profile(profile_name)
    chosen = list(pairs) if pairs is not None else targets(profile, accounts, regions)
    base = base_values(profile, template)
    # What the mode requires and the shared part leaves empty (enterprise's KMS key) each account
    # must give: like a value without a Default, it is each account's own, never a broadening.
    required = {name for name in requirements(profile.name) if name in template.parameters and not base.raw.get(name)}
    per_account = tuple(name for name in template.parameters if name in base.unresolved or name in required)
    parameters = {name: base.raw.get(name, "") for name in template.parameters}
    instances, refused = [], []
    for account, region in chosen:
        try:
            deployment = plan_instance(profile, template, account, region, stack_name)
        except InputError as exc:
            if strict:
                raise
            refused.append(Refusal(account, region, str(exc)))
            continue
        values = deployment.values.raw
        overrides = {name: values[name] for name in template.parameters
                     if name in values and values[name] != parameters[name]}
        fleet_base = {**values, **{name: value for name, value in base.raw.items() if name not in required}}
        instances.append(Instance(account, region, deployment, overrides,
                                  compare(template, fleet_base, values, deployment.pseudo)))
    return FleetPlan(profile, template, base, parameters, per_account, tuple(instances), hardening,
                     tuple(refused))


def not_in_profile(plan: FleetPlan, values: Mapping[str, str], account: str, region: str) -> tuple[str, ...]:
    """The parameters a single run for ``account`` in ``region`` sets otherwise than the fleet
    deploys there: what that run changed without saving it in the profile (the fleet deploys the
    profile as saved). An account outside the fleet is compared on the shared values alone."""
    planned = plan.instance(account, region) or next((i for i in plan.instances if i.account == account), None)
    if planned is not None:
        expected: Mapping[str, str] = planned.values.raw
        names = [n for n in expected if n in values]
    else:
        expected = plan.parameters
        names = [n for n in expected if n not in plan.per_account and n in values]
    return tuple(n for n in names if values[n] != expected[n])
