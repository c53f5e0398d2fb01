"""What the documentation package says will happen at run time: bucket connections and KMS keys.

Two things the template does not show on its own and the customer's security team asked for:

- **the policies created when a bucket is connected**, for each policy-creation mode. A template
  with the ``PreCreated`` mode documents the per-bucket grants: what that mode grants in managed
  policies beyond what ``Automatic`` grants (the embedded model's ``PreCreatedBucketReadPolicy``
  and ``PreCreatedBucketWritePolicy``, the hardened vendor template's filled placeholders), in
  the ``CustomerBucketPrefix*`` form; the statements a placeholder receives for one bucket are
  those statements with the bucket's ARN in place of the prefix pattern, read or write by the
  names the template gives each policy (``wizard.iam.bucket_access``). Who writes them depends
  on the mode (the registry, an approver with ``quilt-wizard approve``, or nobody: they exist at
  deployment). The *envelope* is what the guardrail's explicit Denies still allow whatever is
  written.
- **the key-policy statements the customer must add** to the KMS key given as a parameter, so
  that CloudTrail, SNS, S3, Secrets Manager and (for a log group the stack encrypts with it)
  CloudWatch Logs may use it, each bound to this account (and the trail) by condition.

Both are computed from the evaluated template, never from prose; a template without the
``PreCreated`` mode (the vendor's, unhardened) gets no bucket section.
"""

from __future__ import annotations

import json
from dataclasses import dataclass

from wizard.cfn.evaluate import Evaluation
from wizard.cfn.parameters import resolve_parameters
from wizard.iam.bucket_access import READ, WRITE, purpose_of
from wizard.iam.grants import IDENTITY, Grant, extract

#: What the approver runs when a bucket is connected, and what the request side still needs.
APPROVE_COMMAND = "quilt-wizard approve --stack-name STACK --bucket BUCKET"
APPROVAL_STEPS = (
    f"When a bucket is connected, an approver (a principal of ApproverPrincipalArn, or any principal "
    f"PolicyApproverRole trusts) assumes PolicyApproverRole and runs `{APPROVE_COMMAND}`: it shows the "
    "statements the bucket needs against the current policies and the envelope, refuses what leaves the "
    "envelope, and writes them after a typed confirmation.",
    "The request side, the application publishing a request on PolicyApprovalTopic, needs a change by the "
    "vendor: today the administrator who connects a bucket tells the approver.",
)

MODES = (("Automatic", "the registry writes them itself, as a new default version of each placeholder "
                       "(iam:CreatePolicyVersion), as soon as an administrator connects the bucket"),
         ("ManualApproval", "an approver, assuming PolicyApproverRole (users with MFA), runs "
                            f"`{APPROVE_COMMAND}` when a bucket is connected: a new default version of each "
                            "placeholder, after a typed confirmation, refused outside the envelope. The request "
                            "side (the application publishing on the approval topic) needs a change by the "
                            "vendor"),
         ("PreCreated", "nothing is written at run time: the statements below already exist at deployment, "
                        "for every bucket matching the prefix, in the pre-created policies"))
EXAMPLE_BUCKET = "example-data"
_S3 = "s3:"


@dataclass(frozen=True)
class BucketPolicies:
    """The statements a bucket connection adds, who gets them, and what caps them."""

    bucket: str
    read: tuple[dict, ...]
    write: tuple[dict, ...]
    read_holders: tuple[str, ...]
    write_holders: tuple[str, ...]
    envelope: tuple[dict, ...]
    guardrail_attached: bool


def _statement(grant: Grant, pattern: str, arn: str) -> dict:
    statement: dict = {"Effect": grant.effect, "Action": list(grant.actions)}
    resources = [r.replace(pattern, arn) for r in grant.resources]
    statement["Resource"] = resources if len(resources) > 1 else resources[0]
    if grant.condition:
        statement["Condition"] = grant.condition
    return statement


def _with(evaluation: Evaluation, **values: str) -> Evaluation:
    template = evaluation.template
    return Evaluation(template, resolve_parameters(template, {**evaluation.parameters.raw, **values}),
                      evaluation.pseudo)


def _pre_created(evaluation: Evaluation, prefix: str) -> list[Grant]:
    """The S3 Allows of managed policies that PreCreated grants and Automatic does not."""
    template = evaluation.template
    managed = {logical for logical, raw in template.resources.items() if raw.get("Type") == "AWS::IAM::ManagedPolicy"}

    def s3_allows(mode: str) -> list[Grant]:
        return [g for g in extract(_with(evaluation, PolicyCreationMode=mode, CustomerBucketPrefix=prefix))
                if g.kind == IDENTITY and g.is_allow and not g.attachment and not g.grants_nothing
                and g.source.resource in managed and any(a.lower().startswith(_S3) for a in g.actions)]

    automatic = {(g.source.resource, g.key) for g in s3_allows("Automatic")}
    return [g for g in s3_allows("PreCreated") if (g.source.resource, g.key) not in automatic]


def bucket_statements(evaluation: Evaluation, bucket: str) -> BucketPolicies | None:
    """The statements connecting ``bucket`` adds (from the template's PreCreated form), or None
    for a template without that mode."""
    template = evaluation.template
    mode = template.parameters.get("PolicyCreationMode")
    if mode is None or "PreCreated" not in (mode.allowed_values or ()) or "CustomerBucketPrefix" not in template.parameters:
        return None
    prefix = str(evaluation.parameters.raw.get("CustomerBucketPrefix") or "") or bucket[:62]
    partition = evaluation.pseudo.partition
    pattern, arn = f"arn:{partition}:s3:::{prefix}*", f"arn:{partition}:s3:::{bucket}"
    by_purpose: dict[str, dict[str, dict]] = {READ: {}, WRITE: {}}
    holders: dict[str, set[str]] = {READ: set(), WRITE: set()}
    for grant in _pre_created(evaluation, prefix):
        if not any(pattern in r for r in grant.resources):
            continue
        purpose = purpose_of(template.body, grant.source.resource)
        statement = _statement(grant, pattern, arn)
        by_purpose[purpose].setdefault(json.dumps(statement, sort_keys=True), statement)
        holders[purpose].add(grant.principal)
    if not (by_purpose[READ] or by_purpose[WRITE]):
        return None
    enhanced = _with(evaluation, EnableEnhancedSecurity="true") if "EnableEnhancedSecurity" in template.parameters \
        else evaluation
    envelope = {}
    for grant in extract(enhanced):
        if grant.kind == IDENTITY and grant.source.resource == "QuiltGuardrailPolicy" and not grant.is_allow:
            statement = {"Sid": grant.sid, "Effect": "Deny", "Action": list(grant.actions)}
            statement.update({"NotResource": list(grant.not_resources)} if grant.not_resources
                             else {"Resource": list(grant.resources)})
            envelope[json.dumps(statement, sort_keys=True)] = statement
    attached = any(g.source.resource == "QuiltGuardrailPolicy" for g in extract(evaluation) if g.kind == IDENTITY)
    return BucketPolicies(bucket, tuple(by_purpose[READ].values()), tuple(by_purpose[WRITE].values()),
                          tuple(sorted(holders[READ] - {""})), tuple(sorted(holders[WRITE] - {""})),
                          tuple(envelope.values()), attached)


def bucket_policies(evaluation: Evaluation) -> BucketPolicies | None:
    """The bucket-connection statements for an example bucket, or None for a template without
    the PreCreated mode."""
    prefix = str(evaluation.parameters.raw.get("CustomerBucketPrefix") or "") or "example-"
    bucket = f"{prefix}{EXAMPLE_BUCKET}" if not prefix.endswith(EXAMPLE_BUCKET) else prefix
    return bucket_statements(evaluation, bucket)


def _kms_parameter(evaluation: Evaluation) -> tuple[str, str] | None:
    for name, value in evaluation.parameters.raw.items():
        if "kms" in name.lower() and "key" in name.lower() and value:
            return name, str(value)
    return None


def key_policies(evaluation: Evaluation) -> tuple[str, str, dict[str, list[dict]]] | None:
    """(parameter, key, {service: statements}) to add to the given KMS key's policy, or None."""
    given = _kms_parameter(evaluation)
    if given is None:
        return None
    name, key = given
    pseudo = evaluation.pseudo
    account, region, partition = pseudo.account_id, pseudo.region, pseudo.partition
    root = f"arn:{partition}:iam::{account}:root"
    trails = [str((r.get("Properties") or {}).get("TrailName") or f"{pseudo.stack_name}-{logical_id}")
              for logical_id, r in evaluation.resources("AWS::CloudTrail::Trail").items()]
    trail_arns = [f"arn:{partition}:cloudtrail:{region}:{account}:trail/{t}" for t in trails] or \
                 [f"arn:{partition}:cloudtrail:{region}:{account}:trail/TRAIL-NAME"]
    trail_context = f"arn:{partition}:cloudtrail:*:{account}:trail/*"

    def via(service: str, actions: list[str], sid: str) -> dict:
        return {"Sid": sid, "Effect": "Allow", "Principal": {"AWS": root}, "Action": actions, "Resource": "*",
                "Condition": {"StringEquals": {"kms:ViaService": f"{service}.{region}.amazonaws.com",
                                               "kms:CallerAccount": account}}}

    source = trail_arns[0] if len(trail_arns) == 1 else trail_arns
    policies = {
        "CloudTrail": [
            {"Sid": "CloudTrailEncryptsLogs", "Effect": "Allow", "Principal": {"Service": "cloudtrail.amazonaws.com"},
             "Action": "kms:GenerateDataKey*", "Resource": "*",
             "Condition": {"StringEquals": {"aws:SourceArn": source},
                           "StringLike": {"kms:EncryptionContext:aws:cloudtrail:arn": trail_context}}},
            {"Sid": "CloudTrailDescribesKey", "Effect": "Allow", "Principal": {"Service": "cloudtrail.amazonaws.com"},
             "Action": "kms:DescribeKey", "Resource": "*", "Condition": {"StringEquals": {"aws:SourceArn": source}}},
            {"Sid": "AccountReadsTrailLogs", "Effect": "Allow", "Principal": {"AWS": root},
             "Action": ["kms:Decrypt", "kms:ReEncryptFrom"], "Resource": "*",
             "Condition": {"StringEquals": {"kms:CallerAccount": account},
                           "StringLike": {"kms:EncryptionContext:aws:cloudtrail:arn": trail_context}}},
        ],
        "SNS": [
            via("sns", ["kms:GenerateDataKey*", "kms:Decrypt"], "AccountUsesKeyThroughSns"),
            {"Sid": "SnsUsesKeyForTopics", "Effect": "Allow", "Principal": {"Service": "sns.amazonaws.com"},
             "Action": ["kms:GenerateDataKey*", "kms:Decrypt"], "Resource": "*",
             "Condition": {"StringEquals": {"aws:SourceAccount": account}}},
            {"Sid": "ServicesPublishToEncryptedTopics", "Effect": "Allow",
             "Principal": {"Service": ["cloudwatch.amazonaws.com", "events.amazonaws.com"]},
             "Action": ["kms:GenerateDataKey*", "kms:Decrypt"], "Resource": "*",
             "Condition": {"StringEquals": {"aws:SourceAccount": account}}},
        ],
        "S3": [via("s3", ["kms:Decrypt", "kms:GenerateDataKey"], "AccountUsesKeyThroughS3")],
        "Secrets Manager": [via("secretsmanager", ["kms:Decrypt", "kms:GenerateDataKey", "kms:DescribeKey"],
                                "AccountUsesKeyThroughSecretsManager")],
    }
    if any((group.get("Properties") or {}).get("KmsKeyId")
           for group in evaluation.resources("AWS::Logs::LogGroup").values()):
        # A log group encrypted with the key cannot even be created until CloudWatch Logs may use it.
        policies["CloudWatch Logs"] = [
            {"Sid": "CloudWatchLogsEncryptsLogGroups", "Effect": "Allow",
             "Principal": {"Service": f"logs.{region}.amazonaws.com"},
             "Action": ["kms:Encrypt*", "kms:Decrypt*", "kms:ReEncrypt*", "kms:GenerateDataKey*", "kms:Describe*"],
             "Resource": "*",
             "Condition": {"ArnLike": {"kms:EncryptionContext:aws:logs:arn":
                                       f"arn:{partition}:logs:{region}:{account}:log-group:*"}}}]
    return name, key, policies
