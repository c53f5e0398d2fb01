"""CloudFormation StackSets: one template and its parameters deployed to many accounts and regions.

AWS's own engine does the multi-account work; this module only speaks to it, for
``quilt-wizard fleet``: it reads a stack set and what each of its instances runs (status, reason,
drift, ``ParameterOverrides``), checks the roles a self-managed stack set needs, creates or updates
the stack set, creates or updates stack instances with their overrides, and follows each operation
(``DescribeStackSetOperation``, then the per-instance results) with progress. A stack set accepts
one operation at a time, so every call that starts one waits for it before the next is sent.

Every request carries an ``OperationId`` made once, so a retried call cannot start a second
operation. Nothing here decides what to deploy: the caller hands the parameters and the groups of
accounts (``wizard.fleet.plan``).
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from wizard.aws.changeset import CAPABILITIES, TEMPLATE_BODY_LIMIT, Backoff, upload_template
from wizard.aws.errors import AwsError, ServiceError
from wizard.aws.session import AwsSession, caller_identity

SELF_MANAGED = "SELF_MANAGED"
SERVICE_MANAGED = "SERVICE_MANAGED"

ADMINISTRATION_ROLE = "AWSCloudFormationStackSetAdministrationRole"
"""The role the administrator account's CloudFormation assumes (AWS documentation's name)."""
EXECUTION_ROLE = "AWSCloudFormationStackSetExecutionRole"
"""The role in each target account that the administration role assumes to deploy there."""
ROLES_GUIDE = "https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/stacksets-prereqs-self-managed.html"

PROFILE_TAG = "quilt-wizard:profile"
"""Tag of a stack set deployed by ``fleet deploy``: the profile it came from (for ``fleet status``)."""

_DONE = frozenset({"SUCCEEDED", "FAILED", "STOPPED"})

Progress = Callable[[str], None]


@dataclass(frozen=True)
class StackInstanceState:
    """One stack instance as CloudFormation describes it."""

    account: str
    region: str
    status: str
    status_reason: str | None = None
    detailed_status: str | None = None
    drift_status: str | None = None
    overrides: Mapping[str, str] = field(default_factory=dict)

    def to_json(self) -> dict[str, Any]:
        return {"account": self.account, "region": self.region, "status": self.status,
                "status_reason": self.status_reason, "detailed_status": self.detailed_status,
                "drift_status": self.drift_status, "overrides": dict(self.overrides)}


@dataclass(frozen=True)
class StackSetState:
    """A stack set: its parameters, template, permission model and instances."""

    name: str
    stack_set_id: str
    status: str
    permission_model: str
    parameters: Mapping[str, str]
    template_body: str | None
    tags: Mapping[str, str]
    administration_role_arn: str | None = None
    execution_role_name: str | None = None
    drift_status: str | None = None
    instances: tuple[StackInstanceState, ...] = ()

    @property
    def profile(self) -> str | None:
        return self.tags.get(PROFILE_TAG)


@dataclass(frozen=True)
class InstanceResult:
    """What one operation did to one instance."""

    account: str
    region: str
    status: str
    reason: str | None = None


@dataclass(frozen=True)
class OperationResult:
    """A finished stack-set operation and its per-instance results."""

    operation_id: str
    action: str
    status: str
    status_reason: str | None = None
    results: tuple[InstanceResult, ...] = ()

    @property
    def succeeded(self) -> bool:
        return self.status == "SUCCEEDED"

    def to_json(self) -> dict[str, Any]:
        return {"operation_id": self.operation_id, "action": self.action, "status": self.status,
                "status_reason": self.status_reason,
                "results": [vars(r) for r in self.results]}


@dataclass(frozen=True)
class RoleCheck:
    """Whether a role a self-managed stack set needs exists where it must."""

    role: str
    account: str
    found: bool | None
    """None when it cannot be seen from the caller's account."""
    purpose: str


def operation_id() -> str:
    """A fresh operation id: retries of the same request carry it, so it starts one operation."""
    return f"quilt-wizard-{uuid.uuid4().hex}"


def _parameters(values: Mapping[str, str], keep: Iterable[str] = ()) -> list[dict[str, Any]]:
    """Parameters of a request; those in ``keep`` keep the value they have (``UsePreviousValue``)."""
    kept = set(keep)
    return [{"ParameterKey": k, "UsePreviousValue": True} if k in kept
            else {"ParameterKey": k, "ParameterValue": "" if v is None else str(v)} for k, v in values.items()]


def _not_found(exc: ServiceError) -> bool:
    return exc.code in ("StackSetNotFoundException", "StackSetNotFound", "NoSuchEntity") or "not found" in \
        exc.aws_message.lower()


def read_stack_set(session: AwsSession, name: str, *, with_instances: bool = True) -> StackSetState | None:
    """The stack set called ``name`` (None when there is none), with what each instance runs."""
    try:
        answer = session.call("cloudformation", "describe_stack_set", StackSetName=name)
    except ServiceError as exc:
        if _not_found(exc):
            return None
        raise
    stack_set = answer.get("StackSet") or {}
    if stack_set.get("Status") == "DELETED":
        return None
    instances = read_instances(session, name) if with_instances else ()
    return StackSetState(
        name=stack_set.get("StackSetName", name), stack_set_id=stack_set.get("StackSetId", ""),
        status=stack_set.get("Status", ""), permission_model=stack_set.get("PermissionModel") or SELF_MANAGED,
        parameters={p["ParameterKey"]: p.get("ParameterValue", "") for p in stack_set.get("Parameters") or []},
        template_body=stack_set.get("TemplateBody"),
        tags={t["Key"]: t.get("Value", "") for t in stack_set.get("Tags") or []},
        administration_role_arn=stack_set.get("AdministrationRoleARN"),
        execution_role_name=stack_set.get("ExecutionRoleName"),
        drift_status=(stack_set.get("StackSetDriftDetectionDetails") or {}).get("DriftStatus"),
        instances=tuple(instances))


def read_instances(session: AwsSession, name: str) -> list[StackInstanceState]:
    """Every instance of a stack set; the overrides come from DescribeStackInstance (the list
    does not carry them)."""
    found = []
    for page in session.pages("cloudformation", "list_stack_instances", StackSetName=name):
        for summary in page.get("Summaries") or []:
            account, region = summary["Account"], summary["Region"]
            detail = session.call("cloudformation", "describe_stack_instance", StackSetName=name,
                                  StackInstanceAccount=account, StackInstanceRegion=region).get("StackInstance") or {}
            merged = {**summary, **detail}
            found.append(StackInstanceState(
                account=account, region=region, status=merged.get("Status", ""),
                status_reason=merged.get("StatusReason"),
                detailed_status=(merged.get("StackInstanceStatus") or {}).get("DetailedStatus"),
                drift_status=merged.get("DriftStatus"),
                overrides={p["ParameterKey"]: p.get("ParameterValue", "")
                           for p in merged.get("ParameterOverrides") or []}))
    return sorted(found, key=lambda i: (i.account, i.region))


def check_roles(session: AwsSession, accounts: Iterable[str], *, administration_role: str = ADMINISTRATION_ROLE,
                execution_role: str = EXECUTION_ROLE) -> list[RoleCheck]:
    """The roles of the self-managed model: the administration role in the caller's account, and
    the execution role in each target account (seen only in the caller's own; the others are
    reported as not checked)."""
    own = caller_identity(session).account
    checks = [RoleCheck(administration_role, own, _role_exists(session, administration_role),
                        "CloudFormation assumes it in the administrator account")]
    for account in dict.fromkeys(accounts):
        found = _role_exists(session, execution_role) if account == own else None
        checks.append(RoleCheck(execution_role, account, found,
                                "the administration role assumes it to deploy in this account"))
    return checks


def organizations_access(session: AwsSession) -> str | None:
    """Whether StackSets' trusted access with AWS Organizations is ``ENABLED`` or ``DISABLED``
    (what the service-managed model needs); None when the caller cannot read it."""
    try:
        return session.call("cloudformation", "describe_organizations_access").get("Status")
    except ServiceError:
        return None


def _role_exists(session: AwsSession, name: str) -> bool:
    try:
        session.call("iam", "get_role", RoleName=name)
    except ServiceError as exc:
        if exc.code == "NoSuchEntity" or "cannot be found" in exc.aws_message:
            return False
        raise
    return True


def template_source(session: AwsSession, name: str, body: str, bucket: str | None) -> dict[str, str]:
    """``TemplateBody``, or ``TemplateURL`` after an upload when the body is over the inline limit."""
    size = len(body.encode("utf-8"))
    if size <= TEMPLATE_BODY_LIMIT:
        return {"TemplateBody": body}
    if not bucket:
        raise AwsError(f"The template is {size:,} bytes; CloudFormation takes at most {TEMPLATE_BODY_LIMIT:,} "
                       "inline: give a template bucket.")
    key = f"quilt-wizard/stacksets/{name}/{uuid.uuid4().hex}.template"
    return {"TemplateURL": upload_template(session, body, bucket=bucket, key=key)}


def preferences(max_concurrent: int | None, failure_tolerance: int | None) -> dict[str, Any]:
    """``OperationPreferences`` from the command line's numbers (none given: AWS's defaults)."""
    found: dict[str, Any] = {}
    if max_concurrent is not None:
        found["MaxConcurrentCount"] = max_concurrent
    if failure_tolerance is not None:
        found["FailureToleranceCount"] = failure_tolerance
    return {"OperationPreferences": found} if found else {}


def create_stack_set(session: AwsSession, name: str, *, template: Mapping[str, str], parameters: Mapping[str, str],
                     permission_model: str, tags: Mapping[str, str], description: str,
                     capabilities: Sequence[str] | None = None) -> str:
    """Create the stack set (no instance yet); its id. ``capabilities``: those to acknowledge
    (None: every IAM capability)."""
    request: dict[str, Any] = {
        "StackSetName": name, "Description": description, **template, "Parameters": _parameters(parameters),
        "Capabilities": list(CAPABILITIES if capabilities is None else capabilities), "PermissionModel": permission_model,
        "Tags": [{"Key": k, "Value": v} for k, v in tags.items()], "ClientRequestToken": operation_id()}
    if permission_model == SERVICE_MANAGED:
        request["AutoDeployment"] = {"Enabled": False}
    return session.call("cloudformation", "create_stack_set", **request).get("StackSetId", "")


def update_stack_set(session: AwsSession, name: str, *, template: Mapping[str, str], parameters: Mapping[str, str],
                     tags: Mapping[str, str], options: Mapping[str, Any], keep: Iterable[str] = (),
                     capabilities: Sequence[str] | None = None) -> str:
    """Update the stack set's template and parameters (every instance follows); the operation id.

    ``keep`` names parameters sent as ``UsePreviousValue``: an empty NoEcho value means "the secret
    set before", since no profile stores secrets. ``capabilities`` as for ``create_stack_set``."""
    request = {"StackSetName": name, **template, "Parameters": _parameters(parameters, keep),
               "Capabilities": list(CAPABILITIES if capabilities is None else capabilities), "Tags": [{"Key": k, "Value": v} for k, v in tags.items()],
               "OperationId": operation_id(), **options}
    return session.call("cloudformation", "update_stack_set", **request)["OperationId"]


def instances_request(name: str, accounts: Sequence[str], regions: Sequence[str], overrides: Mapping[str, str], *,
                      permission_model: str, ous: Sequence[str] = (), options: Mapping[str, Any] | None = None
                      ) -> dict[str, Any]:
    """The request of one CreateStackInstances or UpdateStackInstances call.

    ``ParameterOverrides`` is always the whole list: a parameter left out goes back to the stack
    set's value. Service-managed stack sets target organizational units; the accounts then
    narrow them (``AccountFilterType: INTERSECTION``), so only the profile's accounts are touched.
    """
    request: dict[str, Any] = {"StackSetName": name, "Regions": list(regions),
                               "ParameterOverrides": _parameters(overrides), "OperationId": operation_id(),
                               **(options or {})}
    if permission_model == SERVICE_MANAGED:
        request["DeploymentTargets"] = {"OrganizationalUnitIds": list(ous), "Accounts": list(accounts),
                                        "AccountFilterType": "INTERSECTION"}
    else:
        request["Accounts"] = list(accounts)
    return request


def start_instances(session: AwsSession, request: Mapping[str, Any], *, update: bool) -> str:
    """Send one stack-instances request; the operation id."""
    method = "update_stack_instances" if update else "create_stack_instances"
    return session.call("cloudformation", method, **request)["OperationId"]


def follow_operation(session: AwsSession, name: str, operation: str, *, on_progress: Progress | None = None,
                     backoff: Backoff | None = None) -> OperationResult:
    """Wait for a stack-set operation to end, reporting its status; then its per-instance results."""
    report = on_progress or (lambda _line: None)
    pace = backoff or Backoff(first=2.0, factor=1.5, longest=20.0, timeout=3 * 3600.0)
    started = time.monotonic()
    delays = pace.delays()
    while True:
        described = session.call("cloudformation", "describe_stack_set_operation", StackSetName=name,
                                 OperationId=operation).get("StackSetOperation") or {}
        status = described.get("Status", "")
        elapsed = time.monotonic() - started
        report(f"Operation {operation} ({described.get('Action', '?')}): {status} ({elapsed:.0f} s)")
        if status in _DONE:
            break
        if elapsed >= pace.timeout:
            raise AwsError(f"Stack set {name}: operation {operation} was still {status} after {elapsed:.0f} s; it "
                           "goes on in CloudFormation: follow it with quilt-wizard fleet status.")
        time.sleep(min(next(delays), pace.timeout - elapsed))
    results = []
    for page in session.pages("cloudformation", "list_stack_set_operation_results", StackSetName=name,
                              OperationId=operation):
        for summary in page.get("Summaries") or []:
            result = InstanceResult(summary.get("Account", ""), summary.get("Region", ""), summary.get("Status", ""),
                                    summary.get("StatusReason"))
            results.append(result)
            report(f"  {result.account} {result.region}: {result.status}"
                   + (f" ({result.reason})" if result.reason else ""))
    return OperationResult(operation, described.get("Action", ""), status, described.get("StatusReason"),
                           tuple(results))
