"""Checks, before anything is created, that the account is ready for the parameters chosen.

CloudFormation finds a missing certificate or a disabled KMS key twenty minutes into a
deployment and then rolls everything back; a first deployment that fails that way is left in
ROLLBACK_COMPLETE and must be deleted by hand. The customer's security review named these
prerequisites (the ELB certificate must exist in the deployment region; CloudTrail with their
KMS key and CloudWatch log group; buckets scoped by a prefix; named Athena workgroups), so the
wizard checks them up front, with read-only calls, and says for each: pass, warn, fail or
skip, what it found, and how to fix it. A check whose parameter is not set is skipped, with
the reason. A check the caller is not allowed to run is a warning naming the IAM action, not
a crash: the other checks still run. Missing credentials or an unreachable endpoint stop the
whole preflight with an ``AwsError``.

The stack check also returns the stack's current parameters: they are the baseline the
wizard diffs the new answers against.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from enum import StrEnum
from typing import Any

from wizard.wildcards import action_matches
from wizard.aws.changeset import ChangeSetType, StackState, read_stack
from wizard.aws.errors import AccessDenied, ServiceError, Throttled
from wizard.aws.session import AwsSession, CallerIdentity, caller_identity

CERTIFICATE_EXPIRY_WARNING_DAYS = 30
CLOUDTRAIL_SERVICE = "cloudtrail.amazonaws.com"


class CheckStatus(StrEnum):
    PASS = "pass"
    WARN = "warn"
    FAIL = "fail"
    SKIP = "skip"


@dataclass(frozen=True)
class PreflightCheck:
    """The outcome of one named check, with what was found and how to fix it."""

    name: str
    status: CheckStatus
    detail: str
    hint: str = ""


@dataclass(frozen=True)
class PreflightReport:
    """Every check, in order, plus the existing stack (the diff baseline) if there is one."""

    stack_name: str
    region: str
    account: str | None
    checks: tuple[PreflightCheck, ...]
    stack: StackState | None = None

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
            "ok": self.ok,
            "counts": self.counts(),
            "change_set_type": self.change_set_type,
            "stack": stack,
            "baseline_parameters": self.baseline_parameters,
            "checks": [{"name": c.name, "status": c.status.value, "detail": c.detail,
                        "hint": c.hint} for c in self.checks],
        }


def run_preflight(session: AwsSession, parameters: dict[str, str], *, stack_name: str,
                  expected_account: str | None = None,
                  on_progress: Callable[[str], None] | None = None) -> PreflightReport:
    """Run every check for ``parameters`` against the session's account and region.

    ``expected_account``, when given, must match the credentials' account; otherwise the
    identity check fails and the others are not run (they would inspect the wrong account).
    ``on_progress`` receives one line per check started.
    """
    report = on_progress or (lambda _line: None)
    params = {k: "" if v is None else str(v).strip() for k, v in parameters.items()}

    report("Checking the caller identity")
    identity = caller_identity(session)
    checks = [_identity_check(identity, expected_account)]
    if checks[0].status is CheckStatus.FAIL:
        checks += [_skip(name, "not run: the credentials are for another account")
                   for name in _LATER_CHECKS]
        return PreflightReport(stack_name, session.region, identity.account, tuple(checks))

    report(f"Checking stack {stack_name}")
    stack: StackState | None = None

    def stack_check() -> list[PreflightCheck]:
        nonlocal stack
        stack = read_stack(session, stack_name)
        return [_stack_check(stack_name, stack, session.region)]

    checks += _guarded(("stack",), stack_check)
    for names, run in (
        (("certificate", "certificate-host"), lambda: _certificate_checks(session, params)),
        (("kms-key", "kms-key-cloudtrail"), lambda: _kms_checks(session, params)),
        (("log-group",), lambda: [_log_group_check(session, params, identity)]),
        (("customer-buckets",), lambda: [_bucket_check(session, params)]),
        (("athena-workgroups",), lambda: [_workgroup_check(session, params)]),
    ):
        report(f"Checking {names[0]}")
        checks += _guarded(names, run)
    return PreflightReport(stack_name, session.region, identity.account, tuple(checks),
                           stack=stack)


_LATER_CHECKS = ("stack", "certificate", "certificate-host", "kms-key", "kms-key-cloudtrail",
                 "log-group", "customer-buckets", "athena-workgroups")


def render_preflight(report: PreflightReport) -> str:
    """The report as plain text: one line per check, the fix under each failure or warning."""
    width = max(len(c.name) for c in report.checks)
    account = f", account {report.account}" if report.account else ""
    lines = [f"Preflight for stack {report.stack_name} in {report.region}{account}"]
    for check in report.checks:
        lines.append(f"  {check.status.value.upper():4}  {check.name:{width}}  {check.detail}")
        if check.hint and check.status in (CheckStatus.FAIL, CheckStatus.WARN):
            lines.append(f"  {'':4}  {'':{width}}  fix: {check.hint}")
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


# --- host names and certificates ----------------------------------------------------------

def _host(name: str) -> str:
    return name.strip().lower().rstrip(".")


def name_covers(certificate_name: str, host: str) -> bool:
    """Whether one certificate name covers ``host``, the way ACM and browsers match.

    ``*.example.com`` covers ``a.example.com`` but neither ``a.b.example.com`` nor
    ``example.com``: a wildcard stands for exactly one whole left-most label.
    """
    name, host = _host(certificate_name), _host(host)
    if not name or not host:
        return False
    if name.startswith("*."):
        label, dot, rest = host.partition(".")
        return bool(dot) and bool(label) and "*" not in label and rest == name[2:]
    return name == host


def covering_name(host: str, certificate_names: Iterable[str]) -> str | None:
    """The first of a certificate's names (DomainName, SANs) that covers ``host``, if any."""
    return next((n for n in certificate_names if n and name_covers(n, host)), None)


# --- checks ----------------------------------------------------------------------------------

def _pass(name: str, detail: str) -> PreflightCheck:
    return PreflightCheck(name, CheckStatus.PASS, detail)


def _warn(name: str, detail: str, hint: str) -> PreflightCheck:
    return PreflightCheck(name, CheckStatus.WARN, detail, hint)


def _fail(name: str, detail: str, hint: str) -> PreflightCheck:
    return PreflightCheck(name, CheckStatus.FAIL, detail, hint)


def _skip(name: str, detail: str) -> PreflightCheck:
    return PreflightCheck(name, CheckStatus.SKIP, detail)


def _guarded(names: tuple[str, ...],
             run: Callable[[], list[PreflightCheck]]) -> list[PreflightCheck]:
    """Run a check; an AWS refusal of one of its calls becomes its outcome.

    Denied or throttled: the check could not be made (warn, naming the action). Any other
    service error: AWS refused what the parameter names (fail). The checks that depend on it
    are skipped.
    """
    try:
        return run()
    except ServiceError as exc:
        if isinstance(exc, AccessDenied):
            first = _warn(names[0], f"Could not check: {exc.message}",
                          f"Allow {exc.action} for the operator, or check this by hand.")
        elif isinstance(exc, Throttled):
            first = _warn(names[0], f"Could not check: {exc.message}",
                          "Run the preflight again in a minute.")
        else:
            first = _fail(names[0], exc.message, "Correct the value this check reads.")
        return [first] + [_skip(n, f"not run: {names[0]} could not be checked")
                          for n in names[1:]]


def _identity_check(identity: CallerIdentity, expected: str | None) -> PreflightCheck:
    if expected and identity.account != expected.strip():
        return _fail("identity",
                     f"The credentials are for account {identity.account} ({identity.arn}), "
                     f"not {expected.strip()}.",
                     f"Choose the AWS profile for account {expected.strip()}.")
    return _pass("identity", f"{identity.arn} in account {identity.account}")


def _stack_check(name: str, stack: StackState | None, region: str) -> PreflightCheck:
    if stack is None:
        return _pass("stack", f"No stack named {name} in {region}: the change set will "
                              "CREATE it.")
    status, why = stack.status, f" ({stack.status_reason})" if stack.status_reason else ""
    if status in ("CREATE_COMPLETE", "UPDATE_COMPLETE", "IMPORT_COMPLETE"):
        return _pass("stack", f"Stack {name} is {status}: the change set will UPDATE it; its "
                              f"current parameters ({len(stack.parameters)}) are the "
                              "baseline.")
    if status in ("UPDATE_ROLLBACK_COMPLETE", "IMPORT_ROLLBACK_COMPLETE"):
        return _warn("stack", f"Stack {name} is {status}: its last update failed and was "
                              f"rolled back{why}. It can be updated.",
                     "Read the stack's events for the cause before deploying again.")
    if status == "REVIEW_IN_PROGRESS":
        return _warn("stack", f"Stack {name} exists only as an unexecuted change set "
                              "(REVIEW_IN_PROGRESS): the new change set will CREATE it.",
                     "Delete the older change sets of this stack if nobody needs them.")
    if status == "ROLLBACK_COMPLETE":
        return _fail("stack", f"Stack {name} failed to create and was rolled back "
                              f"(ROLLBACK_COMPLETE){why}; CloudFormation cannot update it.",
                     f"Read its events for the cause, then delete it (aws cloudformation "
                     f"delete-stack --stack-name {name}) and deploy again as a new stack.")
    if status == "UPDATE_ROLLBACK_FAILED":
        return _fail("stack", f"Stack {name} is UPDATE_ROLLBACK_FAILED{why}: an update "
                              "failed and so did its rollback.",
                     f"Continue the rollback (aws cloudformation continue-update-rollback "
                     f"--stack-name {name}, skipping resources that cannot roll back), then "
                     "run the preflight again.")
    if status in ("CREATE_FAILED", "UPDATE_FAILED"):
        return _warn("stack", f"Stack {name} is {status}{why}: the last operation failed with "
                              "rollback disabled. A change set can update it once the cause "
                              "is fixed.",
                     f"Read the stack's events; or roll it back first (aws cloudformation "
                     f"rollback-stack --stack-name {name}).")
    if status in ("ROLLBACK_FAILED", "DELETE_FAILED", "IMPORT_ROLLBACK_FAILED"):
        return _fail("stack", f"Stack {name} is {status}{why}: some resources could not be "
                              "removed.",
                     f"Delete the stack, retaining the resources that block it (aws "
                     f"cloudformation delete-stack --stack-name {name} --retain-resources "
                     "...), clean those up, then deploy again.")
    if status.endswith("_IN_PROGRESS"):
        return _fail("stack", f"Stack {name} is busy ({status}): CloudFormation takes no "
                              "change set until that operation ends.",
                     "Wait for it to finish, then run the preflight again.")
    return _warn("stack", f"Stack {name} is in an unexpected status {status}{why}.",
                 "Look at the stack in the CloudFormation console before deploying.")


_CERTIFICATE_STATUS_HINTS = {
    "PENDING_VALIDATION": "Finish validation: create the DNS (CNAME) records ACM lists for "
                          "this certificate, or answer the validation e-mail.",
    "EXPIRED": "Renew it or import a current certificate, then use the new ARN.",
}


def _certificate_checks(session: AwsSession, params: dict[str, str]) -> list[PreflightCheck]:
    arn, host = params.get("CertificateArnELB", ""), params.get("QuiltWebHost", "")
    if not arn:
        return [_skip("certificate", "CertificateArnELB is not set."),
                _skip("certificate-host", "no certificate to check: CertificateArnELB is "
                                          "not set.")]
    blocked = _skip("certificate-host", "not run: the certificate could not be read.")
    parts = _arn(arn)
    if parts is None or parts["service"] != "acm" or not parts["resource"].startswith(
            "certificate/"):
        return [_fail("certificate", f"{arn!r} is not an ACM certificate ARN.",
                      "Use the ARN ACM shows: arn:aws:acm:REGION:ACCOUNT:certificate/ID."),
                blocked]
    if parts["region"] != session.region:
        return [_fail("certificate",
                      f"The certificate is in {parts['region']}, but the stack deploys to "
                      f"{session.region}: a load balancer only takes an ACM certificate from "
                      "its own region.",
                      f"Request or import a certificate for {host or 'the web host'} in "
                      f"{session.region} and use its ARN."),
                blocked]
    try:
        cert = session.call("acm", "describe_certificate", CertificateArn=arn)["Certificate"]
    except ServiceError as exc:
        if exc.code != "ResourceNotFoundException":
            raise
        return [_fail("certificate", f"No certificate {arn} in account {parts['account']}, "
                                     f"region {session.region}.",
                      f"Check the ARN, or request or import the certificate in "
                      f"{session.region}."),
                blocked]

    domain = cert.get("DomainName", "")
    names = list(dict.fromkeys([domain, *(cert.get("SubjectAlternativeNames") or [])]))
    status = cert.get("Status", "UNKNOWN")
    if status != "ISSUED":
        first = _fail("certificate", f"The certificate for {domain} is {status}, not ISSUED.",
                      _CERTIFICATE_STATUS_HINTS.get(
                          status, f"Request a new certificate in {session.region} and use "
                                  "its ARN."))
    else:
        first = _certificate_expiry(domain, cert.get("NotAfter"))

    if not host:
        second = _skip("certificate-host", "QuiltWebHost is not set.")
    elif (match := covering_name(host, names)) is not None:
        second = _pass("certificate-host", f"{host} is covered by the certificate name "
                                           f"{match}.")
    else:
        second = _fail("certificate-host",
                       f"The certificate names {', '.join(names)}; none covers {host}.",
                       f"Use a certificate for {host} (or for *.{host.partition('.')[2]}: a "
                       "wildcard covers exactly one label).")
    return [first, second]


def _certificate_expiry(domain: str, not_after: Any) -> PreflightCheck:
    if not isinstance(not_after, datetime):
        return _pass("certificate", f"The certificate for {domain} is ISSUED.")
    if not_after.tzinfo is None:
        not_after = not_after.replace(tzinfo=UTC)
    days = (not_after - datetime.now(UTC)).days
    until = not_after.date().isoformat()
    if days < CERTIFICATE_EXPIRY_WARNING_DAYS:
        return _warn("certificate", f"The certificate for {domain} is ISSUED but expires on "
                                    f"{until} ({max(days, 0)} days).",
                     "Renew it, or make sure ACM's automatic renewal can validate it.")
    return _pass("certificate", f"The certificate for {domain} is ISSUED, valid until {until}.")


_KEY_STATE_HINTS = {
    "Disabled": "Enable it: aws kms enable-key --key-id {key}.",
    "PendingDeletion": "Cancel the deletion (aws kms cancel-key-deletion --key-id {key}), "
                       "then enable it.",
    "PendingImport": "Import the key material, or choose another key.",
}


def _kms_checks(session: AwsSession, params: dict[str, str]) -> list[PreflightCheck]:
    key = params.get("KMSKeyId", "")
    if not key:
        return [_skip("kms-key", "KMSKeyId is empty: CloudTrail will not use a customer key."),
                _skip("kms-key-cloudtrail", "no key to check: KMSKeyId is empty.")]
    blocked = _skip("kms-key-cloudtrail", "not run: the key is not usable.")
    parts = _arn(key)
    if parts is not None and parts["region"] != session.region:
        return [_fail("kms-key", f"The key is in {parts['region']}, but the stack deploys to "
                                 f"{session.region}.",
                      f"Use a KMS key in {session.region} (a multi-Region replica works)."),
                blocked]
    try:
        meta = session.call("kms", "describe_key", KeyId=key)["KeyMetadata"]
    except ServiceError as exc:
        if exc.code != "NotFoundException":
            raise
        return [_fail("kms-key", f"No KMS key {key} in {session.region}.",
                      "Check the key id, ARN or alias (aliases start with 'alias/')."),
                blocked]

    state = meta.get("KeyState", "UNKNOWN")
    if state != "Enabled":
        hint = _KEY_STATE_HINTS.get(state, "Choose an enabled key.").format(key=meta["KeyId"])
        return [_fail("kms-key", f"KMS key {meta['KeyId']} is {state}, not Enabled.", hint),
                blocked]
    spec = meta.get("KeySpec") or meta.get("CustomerMasterKeySpec") or "SYMMETRIC_DEFAULT"
    usage = meta.get("KeyUsage") or "ENCRYPT_DECRYPT"
    if spec != "SYMMETRIC_DEFAULT" or usage != "ENCRYPT_DECRYPT":
        return [_fail("kms-key", f"KMS key {meta['KeyId']} is {spec} for {usage}; CloudTrail "
                                 "needs a symmetric encryption key.",
                      "Use a symmetric (SYMMETRIC_DEFAULT) ENCRYPT_DECRYPT key."),
                blocked]
    if meta.get("KeyManager") == "AWS":
        return [_fail("kms-key", f"KMS key {meta['KeyId']} is AWS managed; its policy cannot "
                                 "let CloudTrail use it.",
                      "Use a customer managed key."),
                blocked]
    first = _pass("kms-key", f"KMS key {meta['KeyId']} is Enabled and symmetric.")
    return [first, *_guarded(("kms-key-cloudtrail",),
                             lambda: [_key_policy_check(session, meta["Arn"])])]


def _key_policy_check(session: AwsSession, key_arn: str) -> PreflightCheck:
    text = session.call("kms", "get_key_policy", KeyId=key_arn,
                        PolicyName="default").get("Policy", "")
    try:
        policy = json.loads(text)
    except ValueError:
        policy = {}
    if policy_lets_cloudtrail_encrypt(policy):
        return _pass("kms-key-cloudtrail", f"The key policy lets {CLOUDTRAIL_SERVICE} use "
                                           "kms:GenerateDataKey*.")
    return _warn("kms-key-cloudtrail",
                 f"The key policy has no statement allowing {CLOUDTRAIL_SERVICE} "
                 "kms:GenerateDataKey*: CloudTrail cannot encrypt its logs with this key.",
                 f"Add a statement: Effect Allow, Principal {{Service: {CLOUDTRAIL_SERVICE}}}, "
                 "Action kms:GenerateDataKey*, with a condition on "
                 "kms:EncryptionContext:aws:cloudtrail:arn.")


def policy_lets_cloudtrail_encrypt(policy: dict[str, Any]) -> bool:
    """Whether a key policy has an Allow statement for the CloudTrail service principal that
    covers ``kms:GenerateDataKey*`` (conditions are not evaluated)."""
    for statement in _listed(policy.get("Statement")):
        if not isinstance(statement, dict) or statement.get("Effect") != "Allow":
            continue
        principal = statement.get("Principal")
        services = principal.get("Service") if isinstance(principal, dict) else None
        if CLOUDTRAIL_SERVICE not in _listed(services):
            continue
        if any(action_matches(a, "kms:GenerateDataKey") for a in _listed(statement.get("Action"))):
            return True
    return False


def _log_group_check(session: AwsSession, params: dict[str, str],
                     identity: CallerIdentity) -> PreflightCheck:
    arn = params.get("CloudWatchLogGroupArn", "")
    if not arn:
        return _skip("log-group", "CloudWatchLogGroupArn is not set.")
    parts = _arn(arn)
    if parts is None or parts["service"] != "logs" or not parts["resource"].startswith(
            "log-group:"):
        return _fail("log-group", f"{arn!r} is not a CloudWatch Logs log group ARN.",
                     "Use arn:aws:logs:REGION:ACCOUNT:log-group:NAME:*.")
    name = parts["resource"][len("log-group:"):].split(":", 1)[0]
    if parts["account"] and parts["account"] != identity.account:
        return _fail("log-group", f"Log group {name} belongs to account {parts['account']}, "
                                  f"not {identity.account}: CloudTrail needs a log group in "
                                  "its own account.",
                     f"Create the log group in account {identity.account}.")
    region = parts["region"] or session.region
    found = None
    for page in session.pages("logs", "describe_log_groups", region=region,
                              logGroupNamePrefix=name):
        found = next((g for g in page.get("logGroups") or [] if g.get("logGroupName") == name),
                     None)
        if found:
            break
    if found is None:
        return _fail("log-group", f"No log group {name} in {region}.",
                     f"Create it (aws logs create-log-group --log-group-name {name} --region "
                     f"{region}) or correct CloudWatchLogGroupArn.")
    retention = found.get("retentionInDays")
    kept = f"kept {retention} days" if retention else "kept forever"
    if region != session.region:
        return _warn("log-group", f"Log group {name} exists ({kept}) but in {region}, while the "
                                  f"stack deploys to {session.region}.",
                     f"Use a log group in {session.region}, where the trail is created.")
    return _pass("log-group", f"Log group {name} exists ({kept}).")


def _bucket_check(session: AwsSession, params: dict[str, str]) -> PreflightCheck:
    prefix = params.get("CustomerBucketPrefix", "")
    if not prefix:
        return _skip("customer-buckets", "CustomerBucketPrefix is not set.")
    if any(ch in prefix for ch in "*?"):
        return _fail("customer-buckets",
                     f"CustomerBucketPrefix {prefix!r} contains a wildcard: it could match "
                     "every bucket.",
                     "Give the literal start of the bucket names, e.g. 'acme-'.")
    names = [b["Name"] for page in session.pages("s3", "list_buckets")
             for b in page.get("Buckets") or [] if b.get("Name", "").startswith(prefix)]
    if not names:
        return _warn("customer-buckets", f"No bucket in this account starts with {prefix!r}.",
                     "Check the prefix (it is case-sensitive) or create the buckets first.")
    shown = ", ".join(names[:5]) + (f" and {len(names) - 5} more" if len(names) > 5 else "")
    counted = "1 bucket starts" if len(names) == 1 else f"{len(names)} buckets start"
    return _pass("customer-buckets", f"{counted} with {prefix!r}: {shown}.")


def _workgroup_check(session: AwsSession, params: dict[str, str]) -> PreflightCheck:
    wanted = [w.strip() for w in params.get("AllowedAthenaWorkgroups", "").split(",")
              if w.strip()]
    if not wanted:
        return _skip("athena-workgroups", "AllowedAthenaWorkgroups is not set.")
    existing: dict[str, str] = {}
    token: str | None = None
    while True:
        page = session.call("athena", "list_work_groups",
                            **({"NextToken": token} if token else {}))
        existing.update({w["Name"]: w.get("State", "ENABLED")
                         for w in page.get("WorkGroups") or []})
        token = page.get("NextToken")
        if not token:
            break
    missing, disabled = [], []
    for name in wanted:
        matches = [n for n in existing if action_matches(name, n, case_sensitive=True)]
        if not matches:
            missing.append(name)
        disabled += [n for n in matches if existing[n] != "ENABLED"]
    if missing:
        return _fail("athena-workgroups",
                     f"No Athena workgroup {', '.join(missing)} in {session.region}.",
                     "Create it (aws athena create-work-group --name NAME) or correct "
                     "AllowedAthenaWorkgroups (comma-separated names).")
    if disabled:
        return _warn("athena-workgroups", f"Workgroups exist but are disabled: "
                                          f"{', '.join(disabled)}.",
                     "Enable them (aws athena update-work-group --state ENABLED).")
    return _pass("athena-workgroups", f"Workgroups exist: {', '.join(wanted)}.")


# --- small pieces --------------------------------------------------------------------------

def _arn(text: str) -> dict[str, str] | None:
    parts = text.split(":", 5)
    if len(parts) != 6 or parts[0] != "arn":
        return None
    return dict(zip(("arn", "partition", "service", "region", "account", "resource"), parts,
                    strict=True))


def _listed(value: Any) -> list[Any]:
    if value is None:
        return []
    return list(value) if isinstance(value, (list, tuple)) else [value]
