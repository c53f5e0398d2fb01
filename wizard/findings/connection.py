"""What the documentation package says will happen at run time: bucket connections and KMS keys.

Two things the template does not show on its own and the customer's security team asked for:

- **the policies created when a bucket is connected**, for each policy-creation mode. The
  embedded model documents the per-bucket grants in its pre-created policies (read:
  ``PreCreatedBucketReadPolicy``; write: ``PreCreatedBucketWritePolicy``), which take the
  ``CustomerBucketPrefix*`` form; the statements a placeholder receives for one bucket are those
  statements with the bucket's ARN in place of the prefix pattern. Who writes them depends on
  the mode (the registry, an approver, or nobody: they exist at deployment). The *envelope*
  is what the guardrail's explicit Denies still allow whatever is written.
- **the key-policy statements the customer must add** to the KMS key given as a parameter, so
  that CloudTrail, SNS, S3, Secrets Manager and (for a log group the stack encrypts with it)
  CloudWatch Logs may use it, each bound to this account (and the trail) by condition.

Both are computed from the evaluated template, never from prose; a template without the
pre-created policies (the vendor's) gets no bucket section.
"""

from __future__ import annotations

import json
from dataclasses import dataclass

from wizard.cfn.evaluate import Evaluation
from wizard.cfn.parameters import resolve_parameters
from wizard.iam.grants import IDENTITY, Grant, extract

MODES = (("Automatic", "the registry writes them itself, as a new default version of each placeholder "
                       "(iam:CreatePolicyVersion), as soon as an administrator connects the bucket"),
         ("ManualApproval", "the registry asks on the approval topic; an approver, after signing in with MFA, "
                            "assumes PolicyApproverRole and writes them as a new version of each placeholder"),
         ("PreCreated", "nothing is written at run time: the statements below already exist at deployment, "
                        "for every bucket matching the prefix, in PreCreatedBucketReadPolicy and "
                        "PreCreatedBucketWritePolicy"))
EXAMPLE_BUCKET = "example-data"


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


def bucket_policies(evaluation: Evaluation) -> BucketPolicies | None:
    """The bucket-connection statements of the embedded model, or None for another template."""
    template = evaluation.template
    if not {"PreCreatedBucketReadPolicy", "PreCreatedBucketWritePolicy", "BucketReadPolicy"} <= set(template.resources):
        return None
    raw = dict(evaluation.parameters.raw)
    prefix = raw.get("CustomerBucketPrefix") or "example-"
    bucket = f"{prefix}{EXAMPLE_BUCKET}" if not prefix.endswith(EXAMPLE_BUCKET) else prefix
    as_precreated = Evaluation(template, resolve_parameters(template, {
        **raw, "PolicyCreationMode": "PreCreated", "CustomerBucketPrefix": prefix}))
    grants = extract(as_precreated)
    partition = evaluation.pseudo.partition
    pattern, arn = f"arn:{partition}:s3:::{prefix}*", f"arn:{partition}:s3:::{bucket}"

    def statements(policy: str) -> tuple[tuple[dict, ...], tuple[str, ...]]:
        mine = [g for g in grants if g.kind == IDENTITY and g.source.resource == policy and g.is_allow
                and not g.attachment and not g.grants_nothing]
        unique = {json.dumps(_statement(g, pattern, arn), sort_keys=True): _statement(g, pattern, arn) for g in mine}
        return tuple(unique.values()), tuple(sorted({g.principal for g in mine}))

    read, read_holders = statements("PreCreatedBucketReadPolicy")
    write, write_holders = statements("PreCreatedBucketWritePolicy")
    enhanced = Evaluation(template, resolve_parameters(template, {**raw, "EnableEnhancedSecurity": "true"}))
    envelope = {}
    for grant in extract(enhanced):
        if grant.kind == IDENTITY and grant.source.resource == "QuiltGuardrailPolicy" and not grant.is_allow:
            statement = {"Sid": grant.sid, "Effect": "Deny", "Action": list(grant.actions)}
            statement.update({"NotResource": list(grant.not_resources)} if grant.not_resources
                             else {"Resource": list(grant.resources)})
            envelope[json.dumps(statement, sort_keys=True)] = statement
    attached = any(g.source.resource == "QuiltGuardrailPolicy" for g in extract(evaluation) if g.kind == IDENTITY)
    return BucketPolicies(bucket, read, write, read_holders, write_holders, tuple(envelope.values()), attached)


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
