"""Which CloudFormation resources carry IAM policy text, where, and for whom.

A permission model is only as good as its list of carriers: a template that hides an
``Action: '*'`` in a resource type the model does not read passes every check. This module
is that list, kept as data:

- identity carriers: policies attached to a role, user or group (``AWS::IAM::Policy``,
  ``AWS::IAM::ManagedPolicy``, ``AWS::IAM::RolePolicy``/``UserPolicy``/``GroupPolicy``);
- resource carriers: a policy document protecting a resource (bucket, topic, queue, key,
  secret, repository, domain, API, log group, event bus ...), its ``Principal`` saying who;
- permission resources that are a policy statement written as properties
  (``AWS::Lambda::Permission``, ``AWS::Lambda::LayerVersionPermission``, the older form of
  ``AWS::Events::EventBusPolicy``), turned here into the statement IAM evaluates.

Every other resource that holds something shaped like a policy document (a mapping with a
``Statement``, or a JSON string of one) is *not analysed*: it is named, never skipped
silently, so a reviewer knows what the grants listing does not cover. Finding those costs a
walk of the raw template once per parsed template (cached), and an evaluation of only the
resources found.
"""

from __future__ import annotations

import json
import weakref
from dataclasses import dataclass
from typing import Any, Iterable, Iterator

from wizard.cfn.evaluate import Evaluation
from wizard.cfn.template import Template
from wizard.lists import as_list

#: Resource types whose ``Policies`` and ``ManagedPolicyArns`` attach to themselves.
HOLDERS = {"AWS::IAM::Role": "Roles", "AWS::IAM::User": "Users", "AWS::IAM::Group": "Groups"}

#: The name property of each holder type (what ``RoleName: foo`` elsewhere refers to).
HOLDER_NAMES = {"AWS::IAM::Role": "RoleName", "AWS::IAM::User": "UserName", "AWS::IAM::Group": "GroupName"}

#: Single-holder inline policies: type -> the property naming the holder.
INLINE_POLICIES = {"AWS::IAM::RolePolicy": "RoleName", "AWS::IAM::UserPolicy": "UserName",
                   "AWS::IAM::GroupPolicy": "GroupName"}


@dataclass(frozen=True)
class ResourceCarrier:
    """A resource type holding a resource policy: where the document is, what it protects.

    ``document`` is a property path; ``target`` the property naming the protected resources,
    or None when the carrier protects itself (a key policy, a repository policy);
    ``default_target`` is used when ``target`` is absent (the default event bus).
    """

    document: tuple[str, ...]
    target: str | None = None
    default_target: str | None = None


RESOURCE_CARRIERS: dict[str, ResourceCarrier] = {
    "AWS::S3::BucketPolicy": ResourceCarrier(("PolicyDocument",), "Bucket"),
    "AWS::S3::AccessPoint": ResourceCarrier(("Policy",)),
    "AWS::S3::AccessPointPolicy": ResourceCarrier(("PolicyDocument",), "AccessPointName"),
    "AWS::S3::MultiRegionAccessPointPolicy": ResourceCarrier(("Policy",), "MrapName"),
    "AWS::S3Express::BucketPolicy": ResourceCarrier(("PolicyDocument",), "Bucket"),
    "AWS::SNS::TopicPolicy": ResourceCarrier(("PolicyDocument",), "Topics"),
    "AWS::SNS::TopicInlinePolicy": ResourceCarrier(("PolicyDocument",), "TopicArn"),
    "AWS::SQS::QueuePolicy": ResourceCarrier(("PolicyDocument",), "Queues"),
    "AWS::SQS::QueueInlinePolicy": ResourceCarrier(("PolicyDocument",), "Queue"),
    "AWS::KMS::Key": ResourceCarrier(("KeyPolicy",)),
    "AWS::KMS::ReplicaKey": ResourceCarrier(("KeyPolicy",)),
    "AWS::Logs::ResourcePolicy": ResourceCarrier(("PolicyDocument",)),
    "AWS::SecretsManager::ResourcePolicy": ResourceCarrier(("ResourcePolicy",), "SecretId"),
    "AWS::ECR::Repository": ResourceCarrier(("RepositoryPolicyText",)),
    "AWS::ECR::PublicRepository": ResourceCarrier(("RepositoryPolicyText",)),
    "AWS::ECR::RegistryPolicy": ResourceCarrier(("PolicyText",)),
    "AWS::OpenSearchService::Domain": ResourceCarrier(("AccessPolicies",)),
    "AWS::Elasticsearch::Domain": ResourceCarrier(("AccessPolicies",)),
    "AWS::ApiGateway::RestApi": ResourceCarrier(("Policy",)),
    "AWS::Events::EventBus": ResourceCarrier(("Policy",)),
    "AWS::EC2::VPCEndpoint": ResourceCarrier(("PolicyDocument",)),
    "AWS::EFS::FileSystem": ResourceCarrier(("FileSystemPolicy",)),
    "AWS::Backup::BackupVault": ResourceCarrier(("AccessPolicy",)),
    "AWS::DynamoDB::Table": ResourceCarrier(("ResourcePolicy", "PolicyDocument")),
    "AWS::Kinesis::ResourcePolicy": ResourceCarrier(("ResourcePolicy",), "ResourceArn"),
    "AWS::CodeArtifact::Domain": ResourceCarrier(("PermissionsPolicyDocument",)),
    "AWS::CodeArtifact::Repository": ResourceCarrier(("PermissionsPolicyDocument",)),
}

#: Resource types read by special code (a statement written as properties).
PERMISSION_TYPES = ("AWS::Lambda::Permission", "AWS::Lambda::LayerVersionPermission",
                    "AWS::Events::EventBusPolicy")

#: Every type the permission model reads.
READ_TYPES = frozenset({*HOLDERS, *INLINE_POLICIES, "AWS::IAM::Policy", "AWS::IAM::ManagedPolicy",
                        *RESOURCE_CARRIERS, *PERMISSION_TYPES})


def self_token(logical_id: str) -> str:
    """How a carrier that protects itself is named in ``on``."""
    return "${" + logical_id + "}"


def document_at(properties: dict, path: tuple[str, ...]) -> Any:
    """The value at a property path, or None."""
    value: Any = properties
    for step in path:
        if not isinstance(value, dict):
            return None
        value = value.get(step)
    return value


def lambda_permission(properties: dict) -> tuple[str, dict, tuple[str, ...]]:
    """(principal, statement, on) of an ``AWS::Lambda::Permission``."""
    condition: dict = {}
    if properties.get("SourceArn"):
        condition.setdefault("ArnLike", {})["AWS:SourceArn"] = properties["SourceArn"]
    if properties.get("SourceAccount"):
        condition.setdefault("StringEquals", {})["AWS:SourceAccount"] = properties["SourceAccount"]
    if properties.get("PrincipalOrgID"):
        condition.setdefault("StringEquals", {})["aws:PrincipalOrgID"] = properties["PrincipalOrgID"]
    if properties.get("FunctionUrlAuthType"):
        condition.setdefault("StringEquals", {})["lambda:FunctionUrlAuthType"] = properties["FunctionUrlAuthType"]
    statement = {"Effect": "Allow", "Action": properties.get("Action"), "Resource": properties.get("FunctionName")}
    if condition:
        statement["Condition"] = condition
    return _account_or_service(properties.get("Principal", "*")), statement, _strings(properties.get("FunctionName"))


def layer_permission(properties: dict) -> tuple[str, dict, tuple[str, ...]]:
    """(principal, statement, on) of an ``AWS::Lambda::LayerVersionPermission``."""
    statement = {"Effect": "Allow", "Action": properties.get("Action"),
                 "Resource": properties.get("LayerVersionArn")}
    if properties.get("OrganizationId"):
        statement["Condition"] = {"StringEquals": {"aws:PrincipalOrgID": properties["OrganizationId"]}}
    return (_account_or_service(properties.get("Principal", "*")), statement,
            _strings(properties.get("LayerVersionArn")))


def event_bus_policy(properties: dict) -> tuple[Any, tuple[str, ...]]:
    """(policy document, on) of an ``AWS::Events::EventBusPolicy``, either form (None: unreadable)."""
    on = _strings(properties.get("EventBusName")) or ("default",)
    statement = properties.get("Statement")
    if isinstance(statement, str):
        try:
            statement = json.loads(statement)
        except json.JSONDecodeError:
            return None, on
    if statement is not None:
        return ({"Statement": [statement]} if isinstance(statement, dict) else None), on
    principal = properties.get("Principal")
    built: dict = {"Effect": "Allow", "Action": properties.get("Action"),
                   "Principal": principal if principal == "*" else {"AWS": principal}}
    if properties.get("StatementId"):
        built["Sid"] = properties["StatementId"]
    condition = properties.get("Condition")
    if isinstance(condition, dict) and condition.get("Type") and condition.get("Key"):
        built["Condition"] = {condition["Type"]: {condition["Key"]: condition.get("Value")}}
    return {"Statement": [built]}, on


def _account_or_service(principal: Any) -> str:
    text = str(principal)
    if text == "*":
        return text
    return f"Service:{text}" if text.endswith(".amazonaws.com") else f"AWS:{text}"


def _strings(value: Any) -> tuple[str, ...]:
    if value is None:
        return ()
    if isinstance(value, list):
        return tuple(str(v) for v in value if not isinstance(v, (dict, list)))
    return (str(value),)


# -- what the model does not read ---------------------------------------------------------


@dataclass(frozen=True)
class UnanalysedPolicy:
    """A policy document in a resource type the permission model does not read."""

    resource: str
    type: str
    property: str
    line: int | None = None
    reason: str = "resource type not read by the permission model"

    def to_json(self) -> dict:
        """The record as ``grants --json`` prints it under ``not_analysed``."""
        return {"resource": self.resource, "type": self.type, "property": self.property, "line": self.line,
                "reason": self.reason}

    def describe(self) -> str:
        """One line for a person."""
        where = f" (line {self.line})" if self.line else ""
        return f"{self.resource} ({self.type}) {self.property}{where}: not analysed, {self.reason}"


_CANDIDATES: "weakref.WeakKeyDictionary[Template, tuple]" = weakref.WeakKeyDictionary()


def _policy_paths(node: Any, path: tuple, found: list[tuple]) -> list[tuple]:
    """Property paths under ``node`` holding something shaped like a policy document, added to
    ``found`` in the order of the template (a walk by calls, one a container: most values are
    strings, looked at in their container's loop)."""
    if isinstance(node, dict):
        statement = node.get("Statement")
        if isinstance(statement, (list, dict)) and len(node) <= 3 and _statement_shaped(statement):
            found.append(path)
            return found
        if len(node) == 1 and next(iter(node)) in ("Fn::Sub", "Fn::Join"):
            if any(_json_policy_text(leaf) for leaf in _string_leaves(node)):
                found.append(path)
            return found
        items: Iterable = node.items()
    elif isinstance(node, list):
        items = enumerate(node)
    else:
        if _json_policy_text(node):
            found.append(path)
        return found
    for key, value in items:
        if isinstance(value, (dict, list)):
            _policy_paths(value, (*path, key), found)
        elif _json_policy_text(value):
            found.append((*path, key))
    return found


def _json_policy_text(value: Any) -> bool:
    return isinstance(value, str) and value.lstrip().startswith("{") and '"Statement"' in value


def _string_leaves(node: Any) -> Iterator[str]:
    if isinstance(node, dict):
        for value in node.values():
            yield from _string_leaves(value)
    elif isinstance(node, list):
        for value in node:
            yield from _string_leaves(value)
    elif isinstance(node, str):
        yield node


def _statement_shaped(statement: Any) -> bool:
    items = as_list(statement)
    return any(isinstance(i, dict) and ("Effect" in i or "Action" in i or "Fn::If" in i) for i in items) \
        or not items


def _candidates(template: Template) -> tuple[tuple[str, str, tuple], ...]:
    found = _CANDIDATES.get(template)
    if found is None:
        collected = []
        for logical_id, raw in template.resources.items():
            kind = raw.get("Type") if isinstance(raw, dict) else None
            if not isinstance(kind, str) or kind in READ_TYPES:
                continue
            for path in _policy_paths(raw.get("Properties"), ("Properties",), []):
                collected.append((logical_id, kind, path))
        found = _CANDIDATES[template] = tuple(collected)
    return found


def unread_documents(evaluation: Evaluation) -> list[UnanalysedPolicy]:
    """Every policy document of an existing resource whose type the model does not read."""
    template = evaluation.template
    found = []
    for logical_id, kind, path in _candidates(template):
        if not evaluation.exists(logical_id):
            continue
        property_path = "/".join(str(step) for step in path[1:])
        found.append(UnanalysedPolicy(logical_id, kind, property_path,
                                      template.line_of("Resources", logical_id, *path)))
    return found


def not_analysed_text(found: list[UnanalysedPolicy]) -> str:
    """The section ``quilt-wizard grants`` prints after the grants: empty when nothing is skipped."""
    if not found:
        return ""
    lines = ["", f"Not analysed: {len(found)} policy documents in resource types the model does not read"]
    lines += [f"  {item.describe()}" for item in found]
    return "\n".join(lines) + "\n"
