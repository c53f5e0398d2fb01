"""Deploying a fleet's plan through StackSets: one implementation for ``fleet deploy`` and the
wizard's fleet screen.

Two acts, as for a single stack's change set. :func:`prepare_fleet` only reads: the stack set as
it stands, the roles (self-managed) or the Organizations access (service-managed) its permission
model needs, and what a deployment would do (:class:`FleetDeployment`). :func:`deploy_fleet` does
it, once the operator has confirmed: the stack set created (or updated when its template or
shared parameters changed), the new instances created and those whose overrides changed updated,
accounts with the same overrides in one call, each operation followed to its end. Neither prints:
progress goes through a callback (the command writes it to standard error, the screen shows it as
it comes), and the caller decides how to show the outcome.

The stack set acknowledges the capabilities its instances need, found as a change set finds them
(``required_capabilities`` of each instance's evaluation), so the confirmation can name them and
the resources that need them.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Callable, Mapping, Sequence

from wizard.errors import InputError

if TYPE_CHECKING:
    from wizard.aws import AwsSession
    from wizard.aws.security import Capability
    from wizard.aws.stacksets import OperationResult, StackInstanceState, StackSetState
    from wizard.fleet.plan import FleetPlan

PERMISSION_MODELS = {"self-managed": "SELF_MANAGED", "service-managed": "SERVICE_MANAGED"}
"""The permission models by the names the command line and the screen use."""

STACK_SET_NAME = re.compile(r"[A-Za-z][-A-Za-z0-9]{0,127}")
_OU = re.compile(r"ou-[a-z0-9]{4,32}-[a-z0-9]{8,32}|r-[a-z0-9]{4,32}")

Progress = Callable[[str], None]
Target = tuple[str, str]


def check_stack_set_name(name: str | None, where: str = "--stack-set-name") -> None:
    if name is not None and not STACK_SET_NAME.fullmatch(name):
        raise InputError(f"{name!r} is not a stack set name: a letter, then letters, digits and hyphens, at most "
                         "128 characters", where=where)


def stack_set_name_for(stack_name: str) -> str:
    """The stack set's name a wizard run suggests: its stack's name with ``-fleet`` (a stack name
    already follows the stack-set naming rule)."""
    return f"{stack_name[:122]}-fleet"


def parse_ous(text: str | None, where: str = "--ous") -> list[str]:
    from wizard.fleet.plan import parse_list

    return parse_list(text, "organizational unit ids (ou-xxxx-xxxxxxxx or r-xxxx)", _OU, where)


def check_template_size(plan: "FleetPlan", bucket: str | None, where: str = "--template-bucket") -> None:
    """A template over CloudFormation's inline limit needs a bucket, and a bucket named must have a
    name S3 allows: refused before any call."""
    from wizard.aws.changeset import TEMPLATE_BODY_LIMIT
    from wizard.aws.template_bucket import check_bucket_name

    if bucket:
        check_bucket_name(bucket, where=where)

    size = len(plan.template.text.encode("utf-8"))
    if size > TEMPLATE_BODY_LIMIT and not bucket:
        raise InputError(f"the template is {size:,} bytes, over CloudFormation's {TEMPLATE_BODY_LIMIT:,}-byte inline "
                         "limit: give a template bucket", where=where)


def fleet_capabilities(plan: "FleetPlan") -> tuple["Capability", ...]:
    """The capabilities the stack set acknowledges: those any instance needs (in its own account
    and region, with its own values), each with every resource that needs it."""
    from wizard.aws.security import Capability, required_capabilities
    from wizard.iam.analysis import analyse

    found: dict[str, dict[tuple[str, str], None]] = {}
    for instance in plan.instances:
        # The evaluation the plan's diff already made for this instance (the analysis is cached).
        evaluation = analyse(plan.template, instance.values.raw, instance.deployment.pseudo).evaluation
        for capability in required_capabilities(evaluation):
            found.setdefault(capability.name, {}).update(dict.fromkeys(capability.resources))
    order = ("CAPABILITY_IAM", "CAPABILITY_NAMED_IAM", "CAPABILITY_AUTO_EXPAND")
    return tuple(Capability(name, tuple(found[name])) for name in order if name in found)


@dataclass(frozen=True)
class Check:
    """One thing the permission model needs, as found: a role, or the Organizations access."""

    text: str
    ok: bool


@dataclass(frozen=True)
class FleetDeployment:
    """What deploying the plan to a stack set would do, found by reading only."""

    name: str
    model: str
    ous: tuple[str, ...]
    existing: "StackSetState | None"
    new: tuple[Target, ...]
    """Instances to create."""
    changed: tuple[Target, ...]
    """Instances whose overrides change."""
    unchanged_set: bool
    """The stack set's template and shared parameters are already the plan's."""
    capabilities: tuple["Capability", ...]
    checks: tuple[Check, ...]
    problem: str | None = None
    """Why it cannot be deployed (a missing role, Organizations access off); None: it can."""

    @property
    def model_name(self) -> str:
        return self.model.lower().replace("_", "-")

    def steps(self, plan: "FleetPlan") -> list[str]:
        """What the deployment does, one line a step (steps with no instance left out)."""
        from wizard.fleet.text import counted

        current = len(self.existing.instances) if self.existing else 0
        kept = len(plan.instances) - len(self.new) - len(self.changed)
        action = "create" if self.existing is None else "keep" if self.unchanged_set else "update"
        follows = ("" if self.existing is None or self.unchanged_set
                   else f"; its {current} instances follow the template and shared parameters")
        steps = [f"{action} stack set {self.name} ({self.model_name}){follows}"]
        if self.new:
            steps.append(f"create {counted(len(self.new), 'instance')} in "
                         f"{counted(len(plan.groups(self.new)), 'call')}")
        if self.changed:
            steps.append(f"set the overrides of {counted(len(self.changed), 'instance')} in "
                         f"{counted(len(plan.groups(self.changed)), 'call')}")
        if kept:
            steps.append(f"leave {counted(kept, 'instance')} unchanged")
        return steps

    def acknowledged(self) -> str:
        """The capabilities acknowledged, each with the resources that need it."""
        return "; ".join(c.describe() for c in self.capabilities) or "no capabilities"


@dataclass(frozen=True)
class FleetOutcome:
    """What a deployment did: each operation followed, and the instances at the end."""

    name: str
    model: str
    operations: tuple["OperationResult", ...]
    instances: tuple["StackInstanceState", ...]

    @property
    def failure(self) -> str | None:
        """The first failed operation and its first failing instance's reason; None: all succeeded."""
        failed = next((o for o in self.operations if not o.succeeded), None)
        if failed is None:
            return None
        reason = next((f"{r.account} {r.region}: {r.reason}" for r in failed.results
                       if r.reason and r.status != "SUCCEEDED"), failed.status_reason or "no reason given")
        return f"stack set {self.name}: operation {failed.operation_id} ({failed.action}) {failed.status}: {reason}"

    def to_json(self, plan: "FleetPlan") -> dict[str, Any]:
        return {"plan": plan.to_json(), "stack_set": self.name, "permission_model": self.model,
                "operations": [o.to_json() for o in self.operations],
                "instances": [i.to_json() for i in self.instances]}


def _role_checks(session: "AwsSession", plan: "FleetPlan", existing: "StackSetState | None",
                 on_progress: Progress) -> tuple[list[Check], str | None]:
    """Self-managed: the administration role in this account and the execution role in each
    target account must exist; the missing ones are named."""
    from wizard.aws import stacksets as ss

    admin = ss.ADMINISTRATION_ROLE
    if existing and existing.administration_role_arn:
        admin = existing.administration_role_arn.rsplit("/", 1)[-1]
    execution = (existing.execution_role_name if existing else None) or ss.EXECUTION_ROLE
    on_progress("Checking the roles of a self-managed stack set")
    found = ss.check_roles(session, plan.accounts, administration_role=admin, execution_role=execution)
    checks = [Check(f"role {c.role} in account {c.account}: "
                    + {True: "found", False: "MISSING", None: "not visible from this account: create it there"}[c.found]
                    + f" ({c.purpose})", c.found is not False) for c in found]
    missing = [c for c in found if c.found is False]
    if not missing:
        return checks, None
    names = "; ".join(f"{c.role} in account {c.account}" for c in missing)
    return checks, (f"self-managed stack sets need {names}: create them as {ss.ROLES_GUIDE} shows "
                    "(or use the service-managed permission model with AWS Organizations)")


def _organizations_check(session: "AwsSession") -> tuple[list[Check], str | None]:
    """Service-managed: StackSets' trusted access with AWS Organizations must be activated."""
    from wizard.aws import stacksets as ss

    access = ss.organizations_access(session)
    check = Check(f"trusted access with AWS Organizations: {access or 'could not be read by this caller'}",
                  access != "DISABLED")
    if access != "DISABLED":
        return [check], None
    return [check], ("service-managed stack sets need StackSets' trusted access with AWS Organizations: activate "
                     "it from the management account (aws cloudformation activate-organizations-access)")


def prepare_fleet(session: "AwsSession", plan: "FleetPlan", name: str, *, model: str | None = None,
                  ous: Sequence[str] = (), on_progress: Progress | None = None) -> FleetDeployment:
    """Read the stack set and what its permission model needs; what a deployment would do.

    ``model`` is ``SELF_MANAGED`` or ``SERVICE_MANAGED`` (None: the existing stack set's, else
    self-managed). Raises ``InputError`` when the model asked for cannot be (an existing stack set
    keeps its own; service-managed targets organizational units). Sends no change."""
    from wizard.aws import stacksets as ss

    report = on_progress or (lambda _line: None)
    report(f"Looking up stack set {name} in {session.region}")
    existing = ss.read_stack_set(session, name)
    chosen = model or (existing.permission_model if existing else ss.SELF_MANAGED)
    if existing and existing.permission_model != chosen:
        raise InputError(f"stack set {name} is {existing.permission_model}; it cannot become {chosen}",
                         where="--permission-model")
    if chosen == ss.SERVICE_MANAGED and not ous:
        raise InputError(f"stack set {name} is service-managed: give the organizational units holding the accounts",
                         where="--ous")
    if chosen == ss.SELF_MANAGED:
        checks, problem = _role_checks(session, plan, existing, report)
    else:
        checks, problem = _organizations_check(session)
    current = {(i.account, i.region): i for i in existing.instances} if existing else {}
    wanted = [(i.account, i.region) for i in plan.instances]
    new = tuple(t for t in wanted if t not in current)
    changed = tuple(t for t in wanted if t in current
                    and dict(current[t].overrides) != dict(plan.instance(*t).overrides))
    secret = {n for n, spec in plan.template.parameters.items() if spec.no_echo}
    unchanged_set = (existing is not None and existing.template_body == plan.template.text
                     and set(existing.parameters) == set(plan.parameters)
                     and all(existing.parameters[k] == v for k, v in plan.parameters.items() if k not in secret))
    return FleetDeployment(name, chosen, tuple(ous), existing, new, changed, unchanged_set,
                           fleet_capabilities(plan), tuple(checks), problem)


def deploy_fleet(session: "AwsSession", plan: "FleetPlan", prepared: FleetDeployment, *,
                 template_bucket: str | None = None, options: Mapping[str, Any] | None = None,
                 on_progress: Progress | None = None) -> FleetOutcome:
    """Create or update the stack set and its instances as ``prepared`` says, following each
    operation; after a failed operation no further one is started. Only after a confirmation."""
    from wizard.aws import stacksets as ss

    if prepared.problem:
        raise InputError(prepared.problem)
    report = on_progress or (lambda _line: None)
    name, model, existing = prepared.name, prepared.model, prepared.existing
    tags = {ss.PROFILE_TAG: plan.profile.name}
    capabilities = [c.name for c in prepared.capabilities]
    secret = {n for n, spec in plan.template.parameters.items() if spec.no_echo}
    operations: list[OperationResult] = []
    if existing is None or not prepared.unchanged_set:
        source = ss.template_source(session, name, plan.template.text, template_bucket)
        if existing is None:
            report(f"Creating stack set {name}")
            ss.create_stack_set(session, name, template=source, parameters=plan.parameters, permission_model=model,
                                tags=tags, capabilities=capabilities,
                                description=f"Quilt, profile {plan.profile.name}; deployed by quilt-wizard")
        else:
            report(f"Updating stack set {name}")
            operation = ss.update_stack_set(session, name, template=source, parameters=plan.parameters, tags=tags,
                                            options=options or {}, capabilities=capabilities,
                                            keep=[k for k in secret if not plan.parameters.get(k)])
            operations.append(ss.follow_operation(session, name, operation, on_progress=report))
    for targets, update in ((prepared.new, False), (prepared.changed, True)):
        for group in plan.groups(targets):
            if operations and not operations[-1].succeeded:
                break
            request = ss.instances_request(name, group.accounts, group.regions, dict(group.overrides),
                                           permission_model=model, ous=prepared.ous, options=options)
            report(f"{'Updating' if update else 'Creating'} instances: {', '.join(group.accounts)} in "
                   f"{', '.join(group.regions)}")
            operation = ss.start_instances(session, request, update=update)
            operations.append(ss.follow_operation(session, name, operation, on_progress=report))
    final = ss.read_stack_set(session, name)
    return FleetOutcome(name, model, tuple(operations), final.instances if final else ())
