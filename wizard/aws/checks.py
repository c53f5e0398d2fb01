"""The individual preflight checks: one function a prerequisite, each answering with a
``PreflightCheck`` (pass, warn, fail or skip, what it found, how to fix it).

Read-only calls only. This module knows what a good certificate, key, log group, bucket set,
workgroup list and stack state look like, that the VPC, subnets, security groups, key pair and
SSM parameters the AWS-specific parameter types name exist, and ``guarded`` turns an AWS refusal of a check's
call into that check's outcome; ``wizard.aws.preflight`` runs the checks in order.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from enum import StrEnum
from typing import Any

from wizard.arns import Arn, parse_arn
from wizard.aws.changeset import StackState
from wizard.aws.errors import AccessDenied, ServiceError, Throttled
from wizard.aws.session import AwsSession, CallerIdentity
from wizard.iam.wildcards import action_matches
from wizard.lists import as_list

CERTIFICATE_EXPIRY_WARNING_DAYS = 30
CLOUDTRAIL_SERVICE = "cloudtrail.amazonaws.com"
_LIST = re.compile(r"^List<(.+)>$")


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

def passed(name: str, detail: str) -> PreflightCheck:
    return PreflightCheck(name, CheckStatus.PASS, detail)


def warning(name: str, detail: str, hint: str) -> PreflightCheck:
    return PreflightCheck(name, CheckStatus.WARN, detail, hint)


def failure(name: str, detail: str, hint: str) -> PreflightCheck:
    return PreflightCheck(name, CheckStatus.FAIL, detail, hint)


def skipped(name: str, detail: str) -> PreflightCheck:
    return PreflightCheck(name, CheckStatus.SKIP, detail)


def guarded(names: tuple[str, ...],
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
            first = warning(names[0], f"Could not check: {exc.message}",
                          f"Allow {exc.action} for the operator, or check this by hand.")
        elif isinstance(exc, Throttled):
            first = warning(names[0], f"Could not check: {exc.message}",
                          "Run the preflight again in a minute.")
        else:
            first = failure(names[0], exc.message, "Correct the value this check reads.")
        return [first] + [skipped(n, f"not run: {names[0]} could not be checked")
                          for n in names[1:]]


def identity_check(identity: CallerIdentity, expected: str | None, target: str | None = None) -> PreflightCheck:
    """Fail when the credentials are not for the ``expected`` account the operator named; warn
    when they are not for the ``target`` the parameters were prepared for (a default account)."""
    if expected and identity.account != expected.strip():
        return failure("identity",
                     f"The credentials are for account {identity.account} ({identity.arn}), "
                     f"not {expected.strip()}.",
                     f"Choose the AWS profile for account {expected.strip()}.")
    if target and identity.account != target.strip():
        return warning("identity",
                       f"The credentials are for account {identity.account} ({identity.arn}); the parameters "
                       f"were prepared for account {target.strip()}.",
                       f"Give --account-id {identity.account} (or the account's profile) and prepare them again.")
    return passed("identity", f"{identity.arn} in account {identity.account}")


def stack_check(name: str, stack: StackState | None, region: str) -> PreflightCheck:
    if stack is None:
        return passed("stack", f"No stack named {name} in {region}: the change set will "
                              "CREATE it.")
    status, why = stack.status, f" ({stack.status_reason})" if stack.status_reason else ""
    if status in ("CREATE_COMPLETE", "UPDATE_COMPLETE", "IMPORT_COMPLETE"):
        return passed("stack", f"Stack {name} is {status}: the change set will UPDATE it; its "
                              f"current parameters ({len(stack.parameters)}) are the "
                              "baseline.")
    if status in ("UPDATE_ROLLBACK_COMPLETE", "IMPORT_ROLLBACK_COMPLETE"):
        return warning("stack", f"Stack {name} is {status}: its last update failed and was "
                              f"rolled back{why}. It can be updated.",
                     "Read the stack's events for the cause before deploying again.")
    if status == "REVIEW_IN_PROGRESS":
        return warning("stack", f"Stack {name} exists only as an unexecuted change set "
                              "(REVIEW_IN_PROGRESS): the new change set will CREATE it.",
                     "Delete the older change sets of this stack if nobody needs them.")
    if status == "ROLLBACK_COMPLETE":
        return failure("stack", f"Stack {name} failed to create and was rolled back "
                              f"(ROLLBACK_COMPLETE){why}; CloudFormation cannot update it.",
                     f"Read its events for the cause, then delete it (aws cloudformation "
                     f"delete-stack --stack-name {name}) and deploy again as a new stack.")
    if status == "UPDATE_ROLLBACK_FAILED":
        return failure("stack", f"Stack {name} is UPDATE_ROLLBACK_FAILED{why}: an update "
                              "failed and so did its rollback.",
                     f"Continue the rollback (aws cloudformation continue-update-rollback "
                     f"--stack-name {name}, skipping resources that cannot roll back), then "
                     "run the preflight again.")
    if status in ("CREATE_FAILED", "UPDATE_FAILED"):
        return warning("stack", f"Stack {name} is {status}{why}: the last operation failed with "
                              "rollback disabled. A change set can update it once the cause "
                              "is fixed.",
                     f"Read the stack's events; or roll it back first (aws cloudformation "
                     f"rollback-stack --stack-name {name}).")
    if status in ("ROLLBACK_FAILED", "DELETE_FAILED", "IMPORT_ROLLBACK_FAILED"):
        return failure("stack", f"Stack {name} is {status}{why}: some resources could not be "
                              "removed.",
                     f"Delete the stack, retaining the resources that block it (aws "
                     f"cloudformation delete-stack --stack-name {name} --retain-resources "
                     "...), clean those up, then deploy again.")
    if status.endswith("_IN_PROGRESS"):
        return failure("stack", f"Stack {name} is busy ({status}): CloudFormation takes no "
                              "change set until that operation ends.",
                     "Wait for it to finish, then run the preflight again.")
    return warning("stack", f"Stack {name} is in an unexpected status {status}{why}.",
                 "Look at the stack in the CloudFormation console before deploying.")


_CERTIFICATE_STATUS_HINTS = {
    "PENDING_VALIDATION": "Finish validation: create the DNS (CNAME) records ACM lists for "
                          "this certificate, or answer the validation e-mail.",
    "EXPIRED": "Renew it or import a current certificate, then use the new ARN.",
}


def certificate_checks(session: AwsSession, params: dict[str, str]) -> list[PreflightCheck]:
    arn, host = params.get("CertificateArnELB", ""), params.get("QuiltWebHost", "")
    if not arn:
        return [skipped("certificate", "CertificateArnELB is not set."),
                skipped("certificate-host", "no certificate to check: CertificateArnELB is "
                                          "not set.")]
    blocked = skipped("certificate-host", "not run: the certificate could not be read.")
    parts = parse_arn(arn)
    if parts is None or parts.service != "acm" or not parts.resource.startswith(
            "certificate/"):
        return [failure("certificate", f"{arn!r} is not an ACM certificate ARN.",
                      "Use the ARN ACM shows: arn:aws:acm:REGION:ACCOUNT:certificate/ID."),
                blocked]
    elsewhere = _other_region("certificate", "The certificate", parts, session,
                              f"Request or import a certificate for {host or 'the web host'} in "
                              f"{session.region} and use its ARN.",
                              because=": a load balancer only takes an ACM certificate from its own region")
    if elsewhere is not None:
        return [elsewhere, blocked]
    described = _described(session, "acm", "describe_certificate", "ResourceNotFoundException",
                           CertificateArn=arn)
    if described is None:
        return [failure("certificate", f"No certificate {arn} in account {parts.account}, "
                                     f"region {session.region}.",
                      f"Check the ARN, or request or import the certificate in "
                      f"{session.region}."),
                blocked]
    cert = described["Certificate"]

    domain = cert.get("DomainName", "")
    names = list(dict.fromkeys([domain, *(cert.get("SubjectAlternativeNames") or [])]))
    status = cert.get("Status", "UNKNOWN")
    if status != "ISSUED":
        first = failure("certificate", f"The certificate for {domain} is {status}, not ISSUED.",
                      _CERTIFICATE_STATUS_HINTS.get(
                          status, f"Request a new certificate in {session.region} and use "
                                  "its ARN."))
    else:
        first = _certificate_expiry(domain, cert.get("NotAfter"))

    if not host:
        second = skipped("certificate-host", "QuiltWebHost is not set.")
    elif (match := covering_name(host, names)) is not None:
        second = passed("certificate-host", f"{host} is covered by the certificate name "
                                           f"{match}.")
    else:
        second = failure("certificate-host",
                       f"The certificate names {', '.join(names)}; none covers {host}.",
                       f"Use a certificate for {host} (or for *.{host.partition('.')[2]}: a "
                       "wildcard covers exactly one label).")
    return [first, second]


def _certificate_expiry(domain: str, not_after: Any) -> PreflightCheck:
    if not isinstance(not_after, datetime):
        return passed("certificate", f"The certificate for {domain} is ISSUED.")
    if not_after.tzinfo is None:
        not_after = not_after.replace(tzinfo=UTC)
    days = (not_after - datetime.now(UTC)).days
    until = not_after.date().isoformat()
    if days < CERTIFICATE_EXPIRY_WARNING_DAYS:
        return warning("certificate", f"The certificate for {domain} is ISSUED but expires on "
                                    f"{until} ({max(days, 0)} days).",
                     "Renew it, or make sure ACM's automatic renewal can validate it.")
    return passed("certificate", f"The certificate for {domain} is ISSUED, valid until {until}.")


_KEY_STATE_HINTS = {
    "Disabled": "Enable it: aws kms enable-key --key-id {key}.",
    "PendingDeletion": "Cancel the deletion (aws kms cancel-key-deletion --key-id {key}), "
                       "then enable it.",
    "PendingImport": "Import the key material, or choose another key.",
}


def kms_checks(session: AwsSession, params: dict[str, str]) -> list[PreflightCheck]:
    key = params.get("KMSKeyId", "")
    if not key:
        return [skipped("kms-key", "KMSKeyId is empty: CloudTrail will not use a customer key."),
                skipped("kms-key-cloudtrail", "no key to check: KMSKeyId is empty.")]
    blocked = skipped("kms-key-cloudtrail", "not run: the key is not usable.")
    elsewhere = _other_region("kms-key", "The key", parse_arn(key), session,
                              f"Use a KMS key in {session.region} (a multi-Region replica works).")
    if elsewhere is not None:
        return [elsewhere, blocked]
    described = _described(session, "kms", "describe_key", "NotFoundException", KeyId=key)
    if described is None:
        return [failure("kms-key", f"No KMS key {key} in {session.region}.",
                      "Check the key id, ARN or alias (aliases start with 'alias/')."),
                blocked]
    meta = described["KeyMetadata"]

    state = meta.get("KeyState", "UNKNOWN")
    if state != "Enabled":
        hint = _KEY_STATE_HINTS.get(state, "Choose an enabled key.").format(key=meta["KeyId"])
        return [failure("kms-key", f"KMS key {meta['KeyId']} is {state}, not Enabled.", hint),
                blocked]
    spec = meta.get("KeySpec") or meta.get("CustomerMasterKeySpec") or "SYMMETRIC_DEFAULT"
    usage = meta.get("KeyUsage") or "ENCRYPT_DECRYPT"
    if spec != "SYMMETRIC_DEFAULT" or usage != "ENCRYPT_DECRYPT":
        return [failure("kms-key", f"KMS key {meta['KeyId']} is {spec} for {usage}; CloudTrail "
                                 "needs a symmetric encryption key.",
                      "Use a symmetric (SYMMETRIC_DEFAULT) ENCRYPT_DECRYPT key."),
                blocked]
    if meta.get("KeyManager") == "AWS":
        return [failure("kms-key", f"KMS key {meta['KeyId']} is AWS managed; its policy cannot "
                                 "let CloudTrail use it.",
                      "Use a customer managed key."),
                blocked]
    first = passed("kms-key", f"KMS key {meta['KeyId']} is Enabled and symmetric.")
    return [first, *guarded(("kms-key-cloudtrail",),
                             lambda: [_key_policy_check(session, meta["Arn"])])]


def _key_policy_check(session: AwsSession, key_arn: str) -> PreflightCheck:
    text = session.call("kms", "get_key_policy", KeyId=key_arn,
                        PolicyName="default").get("Policy", "")
    try:
        policy = json.loads(text)
    except ValueError:
        policy = {}
    if policy_lets_cloudtrail_encrypt(policy):
        return passed("kms-key-cloudtrail", f"The key policy lets {CLOUDTRAIL_SERVICE} use "
                                           "kms:GenerateDataKey*.")
    return warning("kms-key-cloudtrail",
                 f"The key policy has no statement allowing {CLOUDTRAIL_SERVICE} "
                 "kms:GenerateDataKey*: CloudTrail cannot encrypt its logs with this key.",
                 f"Add a statement: Effect Allow, Principal {{Service: {CLOUDTRAIL_SERVICE}}}, "
                 "Action kms:GenerateDataKey*, with a condition on "
                 "kms:EncryptionContext:aws:cloudtrail:arn.")


def cloudtrail_allows(policy: dict[str, Any]) -> Iterator[dict[str, Any]]:
    """The Allow statements of a resource policy whose principal is the CloudTrail service."""
    for statement in _listed(policy.get("Statement")):
        if not isinstance(statement, dict) or statement.get("Effect") != "Allow":
            continue
        principal = statement.get("Principal")
        services = principal.get("Service") if isinstance(principal, dict) else None
        if CLOUDTRAIL_SERVICE in _listed(services):
            yield statement


def policy_lets_cloudtrail_encrypt(policy: dict[str, Any]) -> bool:
    """Whether a key policy has an Allow statement for the CloudTrail service principal that
    covers ``kms:GenerateDataKey*`` (conditions are not evaluated)."""
    return any(action_matches(a, "kms:GenerateDataKey")
               for statement in cloudtrail_allows(policy) for a in _listed(statement.get("Action")))


def log_group_check(session: AwsSession, params: dict[str, str],
                     identity: CallerIdentity) -> PreflightCheck:
    arn = params.get("CloudWatchLogGroupArn", "")
    if not arn:
        return skipped("log-group", "CloudWatchLogGroupArn is not set.")
    parts = parse_arn(arn)
    if parts is None or parts.service != "logs" or not parts.resource.startswith(
            "log-group:"):
        return failure("log-group", f"{arn!r} is not a CloudWatch Logs log group ARN.",
                     "Use arn:aws:logs:REGION:ACCOUNT:log-group:NAME:*.")
    name = parts.resource[len("log-group:"):].split(":", 1)[0]
    if parts.account and parts.account != identity.account:
        return failure("log-group", f"Log group {name} belongs to account {parts.account}, "
                                  f"not {identity.account}: CloudTrail needs a log group in "
                                  "its own account.",
                     f"Create the log group in account {identity.account}.")
    region = parts.region or session.region
    found = None
    for page in session.pages("logs", "describe_log_groups", region=region,
                              logGroupNamePrefix=name):
        found = next((g for g in page.get("logGroups") or [] if g.get("logGroupName") == name),
                     None)
        if found:
            break
    if found is None:
        return failure("log-group", f"No log group {name} in {region}.",
                     f"Create it (aws logs create-log-group --log-group-name {name} --region "
                     f"{region}) or correct CloudWatchLogGroupArn.")
    retention = found.get("retentionInDays")
    kept = f"kept {retention} days" if retention else "kept forever"
    if region != session.region:
        return warning("log-group", f"Log group {name} exists ({kept}) but in {region}, while the "
                                  f"stack deploys to {session.region}.",
                     f"Use a log group in {session.region}, where the trail is created.")
    return passed("log-group", f"Log group {name} exists ({kept}).")


def bucket_check(session: AwsSession, params: dict[str, str]) -> PreflightCheck:
    prefix = params.get("CustomerBucketPrefix", "")
    if not prefix:
        return skipped("customer-buckets", "CustomerBucketPrefix is not set.")
    if any(ch in prefix for ch in "*?"):
        return failure("customer-buckets",
                     f"CustomerBucketPrefix {prefix!r} contains a wildcard: it could match "
                     "every bucket.",
                     "Give the literal start of the bucket names, e.g. 'acme-'.")
    names = [b["Name"] for page in session.pages("s3", "list_buckets")
             for b in page.get("Buckets") or [] if b.get("Name", "").startswith(prefix)]
    if not names:
        return warning("customer-buckets", f"No bucket in this account starts with {prefix!r}.",
                     "Check the prefix (it is case-sensitive) or create the buckets first.")
    shown = ", ".join(names[:5]) + (f" and {len(names) - 5} more" if len(names) > 5 else "")
    counted = "1 bucket starts" if len(names) == 1 else f"{len(names)} buckets start"
    return passed("customer-buckets", f"{counted} with {prefix!r}: {shown}.")


def workgroup_check(session: AwsSession, params: dict[str, str]) -> PreflightCheck:
    wanted = [w.strip() for w in params.get("AllowedAthenaWorkgroups", "").split(",")
              if w.strip()]
    if not wanted:
        return skipped("athena-workgroups", "AllowedAthenaWorkgroups is not set.")
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
        return failure("athena-workgroups",
                     f"No Athena workgroup {', '.join(missing)} in {session.region}.",
                     "Create it (aws athena create-work-group --name NAME) or correct "
                     "AllowedAthenaWorkgroups (comma-separated names).")
    if disabled:
        return warning("athena-workgroups", f"Workgroups exist but are disabled: "
                                          f"{', '.join(disabled)}.",
                     "Enable them (aws athena update-work-group --state ENABLED).")
    return passed("athena-workgroups", f"Workgroups exist: {', '.join(wanted)}.")


# --- resources named by AWS-specific parameter types ------------------------------------------

#: The resources an AWS-specific parameter type names, looked up one kind at a time: the check's
#: name, the element type, what it is called, and the call (method, filter, the answer's list
#: and the field holding the id) that finds those that exist.
_LOOKUPS = (
    ("vpc", "AWS::EC2::VPC::Id", "VPC", ("describe_vpcs", "vpc-id", "Vpcs", "VpcId")),
    ("subnets", "AWS::EC2::Subnet::Id", "subnet", ("describe_subnets", "subnet-id", "Subnets", "SubnetId")),
    ("security-groups", "AWS::EC2::SecurityGroup::Id", "security group",
     ("describe_security_groups", "group-id", "SecurityGroups", "GroupId")),
    ("key-pair", "AWS::EC2::KeyPair::KeyName", "key pair", ("describe_key_pairs", "key-name", "KeyPairs", "KeyName")),
)
#: Lookups that answer in one page (DescribeKeyPairs has no pagination).
_UNPAGED = frozenset({"describe_key_pairs"})
SSM_CHECK = "ssm-parameters"
#: SSM GetParameters takes at most this many names a call.
_SSM_BATCH = 10


def _named(params: Mapping[str, str], types: Mapping[str, str], wanted) -> dict[str, list[str]]:
    """Parameter -> the values it names, for each parameter whose element type ``wanted`` accepts."""
    found = {}
    for name, kind in types.items():
        element = _LIST.sub(r"\1", kind)
        if not wanted(element):
            continue
        raw = params.get(name, "")
        values = [v.strip() for v in raw.split(",")] if _LIST.match(kind) else [raw.strip()]
        values = [v for v in values if v and not v.startswith("<")]  # a placeholder names nothing yet
        if values:
            found[name] = values
    return found


def _missing_check(name: str, what: str, named: dict[str, list[str]], existing: set[str],
                   region: str, hint: str) -> PreflightCheck:
    missing = [f"{parameter}: no {what} {value} in {region}" for parameter, values in named.items()
               for value in values if value not in existing]
    if missing:
        return failure(name, "; ".join(missing) + ".", hint)
    shown = ", ".join(f"{parameter} ({', '.join(values)})" for parameter, values in named.items())
    return passed(name, f"Exists in {region}: {shown}.")


def parameter_resource_checks(session: AwsSession, params: Mapping[str, str],
                              types: Mapping[str, str]) -> list[tuple[tuple[str, ...], Callable[[], list[PreflightCheck]]]]:
    """One check a kind of resource the AWS-specific parameters name (VPC, subnets, security
    groups, key pair, SSM parameters): each passes when everything named exists in the account
    and region, fails naming each parameter whose value does not. Returned as (names, run)
    for ``guarded``, so a denied call is a warning naming its action."""
    runs = []
    for name, element, what, (method, key, listed, field_name) in _LOOKUPS:
        named = _named(params, types, lambda kind, element=element: kind == element)
        if not named:
            continue

        def run(name=name, what=what, method=method, key=key, listed=listed, field_name=field_name,
                named=named) -> list[PreflightCheck]:
            values = sorted({v for vs in named.values() for v in vs})
            filters = [{"Name": key, "Values": values}]
            pages = [session.call("ec2", method, Filters=filters)] if method in _UNPAGED \
                else session.pages("ec2", method, Filters=filters)
            existing = {item.get(field_name) for page in pages for item in page.get(listed) or []}
            return [_missing_check(name, what, named, existing, session.region,
                                   f"Create the {what} or give the id of one in {session.region} "
                                   f"(aws ec2 {method.replace('_', '-')}).")]
        runs.append(((name,), run))
    named = _named(params, types, lambda kind: kind.startswith("AWS::SSM::Parameter::Value<"))
    if named:
        def ssm() -> list[PreflightCheck]:
            values = sorted({v for vs in named.values() for v in vs})
            existing: set[str] = set()
            for start in range(0, len(values), _SSM_BATCH):
                answer = session.call("ssm", "get_parameters", Names=values[start:start + _SSM_BATCH])
                existing |= {p.get("Name") for p in answer.get("Parameters") or []}
            return [_missing_check(SSM_CHECK, "SSM parameter", named, existing, session.region,
                                   f"Create the parameter in {session.region} (aws ssm put-parameter) or "
                                   "correct the name.")]
        runs.append(((SSM_CHECK,), ssm))
    return runs


def _creates_trail(params: dict[str, str]) -> bool:
    """Whether the parameters make the stack create its own trail (a key, CloudWatch Logs or data events)."""
    return bool(params.get("KMSKeyId")) or params.get("EnableCloudWatchIntegration") == "true" \
        or params.get("RecordS3DataEvents") == "true"


def trail_bucket_check(session: AwsSession, params: dict[str, str], account: str) -> PreflightCheck:
    """The trail's bucket policy admits CloudTrail writing this account's logs (s3:PutObject on
    BUCKET/AWSLogs/ACCOUNT/ for cloudtrail.amazonaws.com): without it the new trail fails to create."""
    bucket = params.get("CloudTrailBucket", "")
    if not bucket or not _creates_trail(params):
        return skipped("trail-bucket-policy", "the stack creates no trail with these parameters."
                       if bucket else "CloudTrailBucket is not set.")
    try:
        text = session.call("s3", "get_bucket_policy", Bucket=bucket).get("Policy", "")
    except ServiceError as exc:
        if exc.code not in ("NoSuchBucketPolicy", "NoSuchBucket"):
            raise
        what = "has no bucket policy" if exc.code == "NoSuchBucketPolicy" else "does not exist"
        return failure("trail-bucket-policy", f"Bucket {bucket} {what}: the stack's trail cannot write to it.",
                       "Add the two statements the report's checklist gives (s3:GetBucketAcl and s3:PutObject "
                       f"for {CLOUDTRAIL_SERVICE}).")
    try:
        policy = json.loads(text)
    except ValueError:
        policy = {}
    objects = f"arn:aws:s3:::{bucket}/AWSLogs/{account}/x"
    for statement in cloudtrail_allows(policy):
        if any(action_matches(a, "s3:PutObject") for a in _listed(statement.get("Action"))) and \
                any(action_matches(r, objects, case_sensitive=True) for r in _listed(statement.get("Resource"))):
            return passed("trail-bucket-policy", f"The policy of {bucket} lets {CLOUDTRAIL_SERVICE} write "
                                                 f"AWSLogs/{account}/.")
    return failure("trail-bucket-policy", f"The policy of {bucket} does not let {CLOUDTRAIL_SERVICE} write "
                                          f"AWSLogs/{account}/: the stack's trail cannot be created.",
                   "Add the two statements the report's checklist gives (s3:GetBucketAcl and s3:PutObject).")


def result_location_check(session: AwsSession, params: dict[str, str]) -> PreflightCheck:
    """Each named workgroup (primary among them) writes its results in a bucket of the prefix and enforces it."""
    prefix = params.get("CustomerBucketPrefix", "")
    named = [w.strip() for w in params.get("AllowedAthenaWorkgroups", "").split(",")
             if w.strip() and not any(c in w for c in "*?")]
    if not prefix or not named:
        return skipped("athena-primary-workgroup", "CustomerBucketPrefix or AllowedAthenaWorkgroups is not set.")
    outside, loose = [], []
    for name in named:
        try:
            group = session.call("athena", "get_work_group", WorkGroup=name).get("WorkGroup") or {}
        except ServiceError as exc:
            if exc.code != "InvalidRequestException":
                raise
            continue  # a missing workgroup is the athena-workgroups check's to report
        configuration = group.get("Configuration") or {}
        location = str((configuration.get("ResultConfiguration") or {}).get("OutputLocation") or "")
        if location and not location.startswith(f"s3://{prefix}"):
            outside.append(f"{name} ({location})")
        elif not location or not configuration.get("EnforceWorkGroupConfiguration"):
            loose.append(name + ("" if location else " (no result location)"))
    if outside:
        return failure("athena-primary-workgroup",
                       f"Results outside the buckets of {prefix!r}: {', '.join(outside)}; Quilt's scoped roles "
                       "cannot write them.",
                       f"aws athena update-work-group --work-group NAME --configuration-updates "
                       f"'ResultConfigurationUpdates={{OutputLocation=s3://{prefix}results/}}' (a bucket of the "
                       "prefix) and EnforceWorkGroupConfiguration=true.")
    if loose:
        return warning("athena-primary-workgroup", f"Workgroups do not enforce a result location in {prefix!r} "
                                                   f"buckets: {', '.join(loose)}.",
                       f"Give each a result location in a bucket of {prefix!r} and set "
                       "EnforceWorkGroupConfiguration to true so a query cannot name another location.")
    return passed("athena-primary-workgroup", f"Workgroups write their results in {prefix!r} buckets and enforce "
                                              f"it: {', '.join(named)}.")


# --- small pieces --------------------------------------------------------------------------

def _other_region(check: str, what: str, arn: Arn | None, session: AwsSession, fix: str,
                  because: str = "") -> PreflightCheck | None:
    """The failure of ``check`` when ``arn`` names a region other than the stack's, else None."""
    if arn is None or arn.region == session.region:
        return None
    return failure(check, f"{what} is in {arn.region}, but the stack deploys to {session.region}{because}.", fix)


def _described(session: AwsSession, service: str, operation: str, not_found: str, **params: Any) -> Any:
    """The answer of a describe call, or None when AWS answers ``not_found`` (any other fault is
    raised)."""
    try:
        return session.call(service, operation, **params)
    except ServiceError as exc:
        if exc.code != not_found:
            raise
        return None


def _listed(value: Any) -> list[Any]:
    return [] if value is None else as_list(value)
