"""Checks, before anything is created, that the account is ready for the parameters chosen.

CloudFormation finds a missing certificate or a disabled KMS key twenty minutes into a
deployment and then rolls everything back; a first deployment that fails that way is left in
ROLLBACK_COMPLETE and must be deleted by hand. The customer's security review named these
prerequisites (the ELB certificate must exist in the deployment region; CloudTrail with their
KMS key and CloudWatch log group; buckets scoped by a prefix; named Athena workgroups; the VPC,
subnets, security groups, key pair and SSM parameters that AWS-specific parameters name), so the
wizard checks them up front, with read-only calls, and says for each: pass, warn, fail or
skip, what it found, and how to fix it. A check whose parameter is not set is skipped, with
the reason. A check the caller is not allowed to run is a warning naming the IAM action, not
a crash: the other checks still run. Missing credentials or an unreachable endpoint stop the
whole preflight with an ``AwsError``.

The stack check also returns the stack's current parameters: they are the baseline the
wizard diffs the new answers against.
"""


from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import asdict, dataclass
from typing import Any

from wizard.aws.changeset import ChangeSetType, StackState, read_stack
from wizard.aws.checks import (CheckStatus, PreflightCheck, bucket_check, certificate_checks, guarded,
                               identity_check, kms_checks, log_group_check, parameter_resource_checks,
                               result_location_check, skipped, stack_check, trail_bucket_check,
                               workgroup_check)
from wizard.aws.policy_versions import NAME, managed_policy_check
from wizard.aws.session import AwsSession, caller_identity


@dataclass(frozen=True)
class PreflightReport:
    """Every check, in order, plus the existing stack (the diff baseline) if there is one."""

    stack_name: str
    region: str
    account: str | None
    checks: tuple[PreflightCheck, ...]
    stack: StackState | None = None
    target_account: str | None = None
    """The account the parameters are for (the caller's ``account`` should be the same)."""
    access_analysis: Any = None
    """IAM Access Analyzer's answers (``AccessAnalysis``), when asked for."""

    @property
    def ok(self) -> bool:
        """No check failed (warnings and skips do not block)."""
        return all(c.status is not CheckStatus.FAIL for c in self.checks)

    @property
    def change_set_type(self) -> ChangeSetType | None:
        """CREATE or UPDATE; None when the stack could not be read."""
        if self.stack is not None:
            return self.stack.change_set_type
        stack_check = next((c for c in self.checks if c.name == "stack"), None)
        read = stack_check is not None and stack_check.status is CheckStatus.PASS
        return "CREATE" if read else None

    @property
    def baseline_parameters(self) -> dict[str, str]:
        """The stack's current parameters when the change set will UPDATE it, else empty."""
        if self.stack is None or self.change_set_type != "UPDATE":
            return {}
        return dict(self.stack.parameters)

    @property
    def failed(self) -> list[str]:
        """The names of the checks that failed."""
        return [c.name for c in self.checks if c.status is CheckStatus.FAIL]

    @property
    def caller_differs(self) -> bool:
        """The credentials belong to another account than the one the parameters target."""
        return bool(self.account and self.target_account and self.account != self.target_account)

    def check(self, name: str) -> PreflightCheck:
        return next(c for c in self.checks if c.name == name)

    def counts(self) -> dict[str, int]:
        return {s.value: sum(1 for c in self.checks if c.status is s) for s in CheckStatus}

    def to_json(self) -> dict[str, Any]:
        stack = None
        if self.stack is not None:
            stack = asdict(self.stack) | {"masked_parameters": list(self.stack.masked_parameters)}
        return {
            "stack_name": self.stack_name,
            "region": self.region,
            "account": self.account,
            "target_account": self.target_account,
            "ok": self.ok,
            "counts": self.counts(),
            "change_set_type": self.change_set_type,
            "stack": stack,
            "baseline_parameters": self.baseline_parameters,
            "checks": [{"name": c.name, "status": c.status.value, "detail": c.detail,
                        "hint": c.hint} for c in self.checks],
            "access_analyzer": self.access_analysis.to_json() if self.access_analysis is not None else None,
        }


def run_preflight(session: AwsSession, parameters: dict[str, str], *, stack_name: str,
                  expected_account: str | None = None, target_account: str | None = None,
                  on_progress: Callable[[str], None] | None = None,
                  managed_policy_arns: Iterable[str] = (),
                  access_analyzer: Any = None,
                  parameter_types: Mapping[str, str] | None = None) -> PreflightReport:
    """Run every check for ``parameters`` against the session's account and region.

    ``expected_account``, when given, must match the credentials' account; otherwise the
    identity check fails and the others are not run (they would inspect the wrong account).
    ``target_account`` (default ``expected_account``) is the account the parameters were
    prepared for: the report names it, and a caller of another account gets a warning.
    ``on_progress`` receives one line per check started. ``managed_policy_arns``, the AWS
    managed policies the template attaches, adds the check that the account holds the
    versions the grants were computed from. ``access_analyzer`` (a ``PolicyCheckRequest``) adds
    IAM Access Analyzer's checks of every policy document (calls that reach AWS, some billed).
    ``parameter_types`` (parameter -> declared Type) adds the checks that the VPC, subnets,
    security groups, key pair and SSM parameters the AWS-specific parameters name exist in the
    account and region.
    """
    target_account = target_account or expected_account
    report = on_progress or (lambda _line: None)
    params = {k: "" if v is None else str(v).strip() for k, v in parameters.items()}

    report("Checking the caller identity")
    identity = caller_identity(session)
    checks = [identity_check(identity, expected_account, target_account)]
    types = dict(parameter_types or {})
    if checks[0].status is CheckStatus.FAIL:
        checks += [skipped(name, "not run: the credentials are for another account")
                   for name in (*_LATER_CHECKS, *(names[0] for names, _run in parameter_resource_checks(session, params, types)))]
        return PreflightReport(stack_name, session.region, identity.account, tuple(checks),
                               target_account=target_account)

    report(f"Checking stack {stack_name}")
    stack: StackState | None = None

    def read_and_check_stack() -> list[PreflightCheck]:
        nonlocal stack
        stack = read_stack(session, stack_name)
        return [stack_check(stack_name, stack, session.region)]

    checks += guarded(("stack",), read_and_check_stack)
    for names, run in (
        (("certificate", "certificate-host"), lambda: certificate_checks(session, params)),
        (("kms-key", "kms-key-cloudtrail"), lambda: kms_checks(session, params)),
        (("log-group",), lambda: [log_group_check(session, params, identity)]),
        (("customer-buckets",), lambda: [bucket_check(session, params)]),
        (("athena-workgroups",), lambda: [workgroup_check(session, params)]),
        (("athena-primary-workgroup",), lambda: [result_location_check(session, params)]),
        (("trail-bucket-policy",), lambda: [trail_bucket_check(session, params, identity.account)]),
    ):
        report(f"Checking {names[0]}")
        checks += guarded(names, run)
    for names, run in parameter_resource_checks(session, params, types):
        report(f"Checking {names[0]}")
        checks += guarded(names, run)
    attached = tuple(managed_policy_arns)
    if attached:
        report(f"Checking {NAME}")
        checks += guarded((NAME,), lambda: [managed_policy_check(session, attached)])
    analysis = None
    if access_analyzer is not None:
        from wizard.aws.access_analyzer import run_policy_checks

        report("Checking the policies with IAM Access Analyzer")
        analysis = run_policy_checks(session, access_analyzer, stack, stack_name=stack_name,
                                     account=identity.account, on_progress=report)
        checks += analysis.checks
    return PreflightReport(stack_name, session.region, identity.account, tuple(checks),
                           stack=stack, target_account=target_account, access_analysis=analysis)


_LATER_CHECKS = ("stack", "certificate", "certificate-host", "kms-key", "kms-key-cloudtrail",
                 "log-group", "customer-buckets", "athena-workgroups", "athena-primary-workgroup",
                 "trail-bucket-policy")


def render_preflight(report: PreflightReport) -> str:
    """The report as plain text: one line per check, the fix under each failure or warning."""
    width = max(len(c.name) for c in report.checks)
    target = report.target_account or report.account
    account = f", account {target}" if target else ""
    lines = [f"Preflight for stack {report.stack_name} in {report.region}{account}"]
    if report.caller_differs:
        lines.append(f"  WARNING: the credentials are for account {report.account}, not {report.target_account}")
    for check in report.checks:
        lines.append(f"  {check.status.value.upper():4}  {check.name:{width}}  {check.detail}")
        if check.hint and check.status in (CheckStatus.FAIL, CheckStatus.WARN):
            lines.append(f"  {'':4}  {'':{width}}  fix: {check.hint}")
    if report.access_analysis is not None and report.access_analysis.findings:
        from wizard.aws.access_analyzer import render_results

        lines.append(f"IAM Access Analyzer (AWS) reported {len(report.access_analysis.findings)}:")
        lines += render_results(report.access_analysis)
    counts = report.counts()
    tally = ", ".join(f"{n} {s}" for s, n in counts.items() if n)
    if report.stack is not None and report.change_set_type == "UPDATE":
        lines.append(f"Change set: UPDATE of {report.stack.name} ({report.stack.status}); "
                     f"its current parameters ({len(report.stack.parameters)}) are the "
                     "baseline.")
    elif report.change_set_type == "CREATE":
        lines.append(f"Change set: CREATE of {report.stack_name}.")
    else:
        lines.append("Change set: CREATE or UPDATE unknown: the stack could not be read.")
    verdict = "Ready" if report.ok else "Not ready"
    lines.append(f"{verdict}: {tally}.")
    return "\n".join(lines) + "\n"
