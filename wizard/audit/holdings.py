"""What AWS holds for a deployed stack: a snapshot, read once, judged afterwards.

``wizard.aws.deployed`` fills these records from CloudFormation, IAM, S3, SNS, SQS, KMS and
CloudTrail; everything else in :mod:`wizard.audit` reads them and never calls AWS, so the
comparison and the envelope rules are tested without an account. Policy documents are kept
as AWS returned them (parsed JSON); NoEcho parameter values never enter the snapshot.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

ROLE, USER, GROUP = "role", "user", "group"


@dataclass(frozen=True)
class StackResource:
    """One resource of the stack: its logical id, type and the physical id AWS gave it."""

    logical_id: str
    type: str
    physical_id: str
    status: str = ""


@dataclass(frozen=True)
class DeployedStack:
    """The stack as CloudFormation describes it (parameters with NoEcho values left out)."""

    name: str
    stack_id: str
    region: str
    account_id: str
    status: str
    template_body: str
    parameters: dict[str, str]
    resources: tuple[StackResource, ...] = ()
    masked: tuple[str, ...] = ()
    """Names of NoEcho parameters, whose values are not read."""

    def physical(self, logical_id: str) -> str | None:
        """The physical id of a logical resource, or None when the stack has none."""
        for resource in self.resources:
            if resource.logical_id == logical_id:
                return resource.physical_id
        return None

    def of_type(self, *types: str) -> tuple[StackResource, ...]:
        return tuple(r for r in self.resources if r.type in types)


@dataclass(frozen=True)
class PolicyVersion:
    """One version of a managed policy; ``created_by`` comes from CloudTrail when it could."""

    version_id: str
    is_default: bool
    created: str
    document: Any
    created_by: str | None = None

    def to_json(self) -> dict:
        return {"version": self.version_id, "default": self.is_default, "created": self.created,
                "created_by": self.created_by, "document": self.document}


@dataclass(frozen=True)
class HeldPolicy:
    """A customer managed policy: where it lives, its versions, who holds it."""

    arn: str
    name: str
    path: str
    default_version: str
    versions: tuple[PolicyVersion, ...]
    attached_to: tuple[tuple[str, str], ...] = ()
    """(kind, name) of every role, user and group it is attached to."""
    created: str = ""

    @property
    def default_document(self) -> Any:
        for version in self.versions:
            if version.version_id == self.default_version:
                return version.document
        return None


@dataclass(frozen=True)
class HeldPrincipal:
    """A role, user or group of the stack as IAM holds it."""

    logical_id: str
    kind: str
    name: str
    arn: str
    inline: dict[str, Any] = field(default_factory=dict)
    attached: tuple[str, ...] = ()
    trust: Any = None
    boundary: str | None = None


@dataclass(frozen=True)
class HeldResourcePolicy:
    """The policy a bucket, topic, queue or key of the stack holds (None: it has none)."""

    logical_id: str
    type: str
    target: str
    document: Any


@dataclass(frozen=True)
class Holdings:
    """Everything read for one audit."""

    stack: DeployedStack
    path_prefix: str
    principals: tuple[HeldPrincipal, ...] = ()
    policies: dict[str, HeldPolicy] = field(default_factory=dict)
    """Customer managed policies by ARN: the stack's own, those under the path, and any other
    attached to the stack's principals."""
    resource_policies: tuple[HeldResourcePolicy, ...] = ()
    cloudtrail: str = ""
    """Empty when CloudTrail answered; otherwise why the creators of versions are unknown."""

    def principal(self, logical_id: str) -> HeldPrincipal | None:
        for principal in self.principals:
            if principal.logical_id == logical_id:
                return principal
        return None


def path_prefix(stack_name: str, region: str) -> str:
    """The IAM path of the policies a Quilt stack creates at run time."""
    return f"/quilt/{stack_name}/{region}/"
