"""Reading what AWS holds for a deployed stack: the snapshot ``quilt-wizard audit`` judges.

One function, :func:`read_holdings`, asks CloudFormation for the stack (DescribeStacks,
GetTemplate, DescribeStackResources), IAM for each of its roles, users and groups (inline
policies, attached managed policies, trust policy, permissions boundary), for every policy
under ``/quilt/<stack>/<region>/`` with all its versions and holders, S3, SNS, SQS and KMS for
the policies of the stack's buckets, topics, queues and keys, and, best effort, CloudTrail for
who created each policy version. It fills :mod:`wizard.audit.holdings` and judges nothing.

:func:`read_stack_policies` reads the part ``quilt-wizard approve`` needs: the stack and its
policies, those under the path included, with every version.

NoEcho parameter values are dropped as they are read. Every call goes through
``AwsSession`` (retries on throttling, one-line errors); CloudTrail is optional: when it
cannot answer (no permission, not enabled, a local endpoint without it) the snapshot says why
and the audit goes on. ``on_progress`` hears one line per step and a count while many
policies are read.
"""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any, Callable

from wizard.arns import parse_arn
from wizard.audit.holdings import (GROUP, ROLE, USER, DeployedStack, HeldPolicy, HeldPrincipal,
                                   HeldResourcePolicy, Holdings, PolicyVersion, StackResource,
                                   path_prefix)
from wizard.aws.errors import AwsError, ServiceError
from wizard.aws.iam_policies import get_policy, policy_document, version_document
from wizard.aws.session import AwsSession

Progress = Callable[[str], None]
_MASK = "****"
_AWS_MANAGED = ":iam::aws:policy/"
_HOLDERS = {"AWS::IAM::Role": ROLE, "AWS::IAM::User": USER, "AWS::IAM::Group": GROUP}
_CLOUDTRAIL_ATTEMPTS = 2


def read_holdings(session: AwsSession, stack_name: str, *, on_progress: Progress | None = None) -> Holdings:
    """The snapshot of ``stack_name`` in the session's region and account."""
    say = on_progress or (lambda line: None)
    say(f"reading stack {stack_name}")
    stack = read_stack(session, stack_name)
    prefix = path_prefix(stack.name, stack.region)
    principals = []
    holders = [r for r in stack.resources if r.type in _HOLDERS]
    for index, resource in enumerate(holders, 1):
        say(f"reading principals {index}/{len(holders)}: {resource.logical_id}")
        principals.append(_principal(session, resource))
    attached = {a for principal in principals for a in principal.attached if _AWS_MANAGED not in a}
    policies = _policies(session, stack, prefix, attached, say)
    ordered = sorted(policies)
    say("reading bucket, topic, queue and key policies")
    resource_policies = tuple(_resource_policies(session, stack))
    creators, unavailable = _creators(session, stack, ordered, say)
    if creators:
        policies = {arn: _with_creators(p, creators) for arn, p in policies.items()}
    return Holdings(stack=stack, path_prefix=prefix, principals=tuple(principals), policies=policies,
                    resource_policies=resource_policies, cloudtrail=unavailable)


def read_stack_policies(session: AwsSession, stack: DeployedStack, *, on_progress: Progress | None = None) -> Holdings:
    """``stack`` (from :func:`read_stack`) and its managed policies with those under
    ``/quilt/<stack>/<region>/``, every version of each (what ``quilt-wizard approve`` reads: no
    principal, no resource policy)."""
    say = on_progress or (lambda line: None)
    prefix = path_prefix(stack.name, stack.region)
    return Holdings(stack=stack, path_prefix=prefix, policies=_policies(session, stack, prefix, set(), say))


def _policies(session: AwsSession, stack: DeployedStack, prefix: str, attached: set[str],
              say: Progress) -> dict[str, HeldPolicy]:
    """The stack's managed policies, those under ``prefix`` and ``attached``, with their versions."""
    wanted = {r.physical_id for r in stack.of_type("AWS::IAM::ManagedPolicy")} | attached
    say(f"listing IAM policies under {prefix}")
    for page in session.pages("iam", "list_policies", Scope="Local", PathPrefix=prefix):
        wanted.update(p["Arn"] for p in page.get("Policies", []))
    policies: dict[str, HeldPolicy] = {}
    ordered = sorted(a for a in wanted if a.startswith("arn:"))
    for index, arn in enumerate(ordered, 1):
        say(f"reading policies {index}/{len(ordered)}: {arn.rsplit('/', 1)[-1]}")
        policy = _policy(session, arn)
        if policy is not None:
            policies[arn] = policy
    return policies


def read_stack(session: AwsSession, stack_name: str) -> DeployedStack:
    """The stack, its template text, parameters (NoEcho dropped) and resources."""
    found = session.call("cloudformation", "describe_stacks", StackName=stack_name)["Stacks"][0]
    body = session.call("cloudformation", "get_template", StackName=stack_name,
                        TemplateStage="Original")["TemplateBody"]
    if not isinstance(body, str):  # botocore parses JSON template bodies
        body = json.dumps(body, indent=1)
    secret = _no_echo(body, stack_name)
    parameters, masked = {}, []
    for item in found.get("Parameters") or []:
        value = item.get("ResolvedValue", item.get("ParameterValue", ""))
        if value == _MASK or item["ParameterKey"] in secret:
            masked.append(item["ParameterKey"])
            continue
        parameters[item["ParameterKey"]] = value
    resources = []
    for page in session.pages("cloudformation", "list_stack_resources", StackName=stack_name):
        for item in page.get("StackResourceSummaries", []):
            if item.get("LogicalResourceId") and item.get("PhysicalResourceId"):
                resources.append(StackResource(item["LogicalResourceId"], item["ResourceType"],
                                               item["PhysicalResourceId"], item.get("ResourceStatus", "")))
    stack_arn = parse_arn(found["StackId"])
    region, account = (stack_arn.region, stack_arn.account) if stack_arn else ("", "")
    return DeployedStack(name=found["StackName"], stack_id=found["StackId"], region=region or session.region,
                         account_id=account, status=found.get("StackStatus", ""), template_body=body,
                         parameters=parameters, resources=tuple(resources), masked=tuple(masked))


def _no_echo(body: str, stack_name: str) -> frozenset[str]:
    """The template's NoEcho parameters: their values are never kept, even where AWS shows them."""
    from wizard.cfn.template import parse_template

    template = parse_template(body, f"stack {stack_name}")
    return frozenset(name for name, spec in template.parameters.items() if spec.no_echo)


def _principal(session: AwsSession, resource: StackResource) -> HeldPrincipal:
    kind = _HOLDERS[resource.type]
    name = resource.physical_id
    noun = kind.capitalize()
    key = {f"{noun}Name": name}
    described = session.call("iam", f"get_{kind}", **key)[noun]
    inline = {}
    for page in session.pages("iam", f"list_{kind}_policies", **key):
        for policy_name in page.get("PolicyNames", []):
            answer = session.call("iam", f"get_{kind}_policy", PolicyName=policy_name, **key)
            inline[policy_name] = policy_document(answer["PolicyDocument"])
    attached = []
    for page in session.pages("iam", f"list_attached_{kind}_policies", **key):
        attached.extend(p["PolicyArn"] for p in page.get("AttachedPolicies", []))
    boundary = (described.get("PermissionsBoundary") or {}).get("PermissionsBoundaryArn")
    trust = policy_document(described.get("AssumeRolePolicyDocument")) if kind == ROLE else None
    return HeldPrincipal(logical_id=resource.logical_id, kind=kind, name=name, arn=described.get("Arn", ""),
                         inline=inline, attached=tuple(sorted(attached)), trust=trust, boundary=boundary)


def _policy(session: AwsSession, arn: str) -> HeldPolicy | None:
    policy = get_policy(session, arn)
    if policy is None:
        return None
    versions = []
    for page in session.pages("iam", "list_policy_versions", PolicyArn=arn):
        for item in page.get("Versions", []):
            versions.append(PolicyVersion(version_id=item["VersionId"], is_default=bool(item.get("IsDefaultVersion")),
                                          created=_when(item.get("CreateDate")),
                                          document=version_document(session, arn, item["VersionId"])))
    holders = []
    for page in session.pages("iam", "list_entities_for_policy", PolicyArn=arn):
        holders += [(ROLE, r["RoleName"]) for r in page.get("PolicyRoles", [])]
        holders += [(USER, u["UserName"]) for u in page.get("PolicyUsers", [])]
        holders += [(GROUP, g["GroupName"]) for g in page.get("PolicyGroups", [])]
    versions.sort(key=lambda v: (v.created, v.version_id))
    return HeldPolicy(arn=arn, name=policy["PolicyName"], path=policy.get("Path", "/"),
                      default_version=policy.get("DefaultVersionId", ""), versions=tuple(versions),
                      attached_to=tuple(sorted(holders)), created=_when(policy.get("CreateDate")))


def _when(value: Any) -> str:
    return value.isoformat() if isinstance(value, datetime) else str(value or "")


def _resource_policies(session: AwsSession, stack: DeployedStack):
    for resource in stack.resources:
        target = resource.physical_id
        if resource.type == "AWS::S3::Bucket":
            try:
                policy = session.call("s3", "get_bucket_policy", Bucket=target).get("Policy")
            except ServiceError as exc:
                if exc.code != "NoSuchBucketPolicy":
                    raise
                policy = None
        elif resource.type == "AWS::SNS::Topic":
            policy = session.call("sns", "get_topic_attributes", TopicArn=target)["Attributes"].get("Policy")
        elif resource.type == "AWS::SQS::Queue":
            policy = session.call("sqs", "get_queue_attributes", QueueUrl=target,
                                  AttributeNames=["Policy"]).get("Attributes", {}).get("Policy")
        elif resource.type == "AWS::KMS::Key":
            policy = session.call("kms", "get_key_policy", KeyId=target, PolicyName="default").get("Policy")
        else:
            continue
        yield HeldResourcePolicy(resource.logical_id, resource.type, target,
                                 policy_document(policy) if policy else None)


def _creators(session: AwsSession, stack: DeployedStack, arns: list[str],
              say: Progress) -> tuple[dict[tuple[str, str], str], str]:
    """(policy ARN, version) -> who created it, from CloudTrail; or why that is unknown."""
    if not arns:
        return {}, ""
    say("asking CloudTrail who created the policy versions")
    # IAM is global: its events are recorded in us-east-1 (the partition's first region).
    region = stack.region if stack.region.startswith(("cn-", "us-gov-", "us-iso")) else "us-east-1"
    trail = AwsSession(session.boto_session, region=region, endpoint_url=session.endpoint_url,
                       max_attempts=_CLOUDTRAIL_ATTEMPTS, deadline=session.deadline)
    wanted = set(arns)
    found: dict[tuple[str, str], str] = {}
    try:
        for event_name in ("CreatePolicy", "CreatePolicyVersion"):
            for page in trail.pages("cloudtrail", "lookup_events", LookupAttributes=[
                    {"AttributeKey": "EventName", "AttributeValue": event_name}]):
                for event in page.get("Events", []):
                    _record(event, wanted, found)
    except AwsError as exc:
        return {}, f"CloudTrail LookupEvents failed ({' '.join(str(exc).split())})"
    return found, ""


def _record(event: dict, wanted: set[str], found: dict[tuple[str, str], str]) -> None:
    try:
        detail = json.loads(event.get("CloudTrailEvent") or "{}")
    except json.JSONDecodeError:
        return
    who = (detail.get("userIdentity") or {}).get("arn") or event.get("Username") or "unknown"
    when = detail.get("eventTime", "")
    response = detail.get("responseElements") or {}
    if detail.get("eventName") == "CreatePolicy":
        policy = response.get("policy") or {}
        arn, version = policy.get("arn"), policy.get("defaultVersionId") or "v1"
    else:
        arn = (detail.get("requestParameters") or {}).get("policyArn")
        version = (response.get("policyVersion") or {}).get("versionId")
    if arn in wanted and version:
        found[(arn, version)] = f"{who} at {when}".strip()


def _with_creators(policy: HeldPolicy, creators: dict[tuple[str, str], str]) -> HeldPolicy:
    from dataclasses import replace

    versions = tuple(replace(v, created_by=creators.get((policy.arn, v.version_id), v.created_by))
                     for v in policy.versions)
    return replace(policy, versions=versions)
