"""Amazon Resource Names: ``arn:partition:service:region:account:resource``, read in one place.

``parse_arn`` splits an ARN into its six fields (``None`` for anything that is not one: fewer
fields, or no ``arn`` first); the resource field is kept whole, colons included, and
``resource_type`` and ``resource_id`` split it as IAM's resource types do (``role/Name``,
``log-group:name:*``, a bare ``bucket``). ``well_formed`` says whether an ARN has the shape an
account's own resources have (a partition ``aws...``, a service, a region and an account id or
``aws``), for values a user gives. ``iam_principal`` reads the account and resource of an IAM or
STS principal. Shared by every layer: it imports nothing of the wizard.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

_WELL_FORMED = re.compile(r"arn:aws[a-z-]*:[a-z0-9-]+:[a-z0-9-]*:(?:\d{12}|aws|):.+")
_ACCOUNT_ID = re.compile(r"\d{12}")
_AWS_PARTITION = re.compile(r"aws[a-z-]*")


@dataclass(frozen=True)
class Arn:
    """The six fields of an ARN (``resource`` whole, colons included)."""

    partition: str
    service: str
    region: str
    account: str
    resource: str

    def __str__(self) -> str:
        return f"arn:{self.partition}:{self.service}:{self.region}:{self.account}:{self.resource}"

    @property
    def resource_type(self) -> str:
        """``role`` of ``role/path/Name``, ``log-group`` of ``log-group:name``; ``""`` for a bare
        resource (an S3 bucket or object)."""
        kind, separator, _ = _split_resource(self.resource)
        return kind if separator else ""

    @property
    def resource_id(self) -> str:
        """What follows the resource type (``path/Name``, ``name:*``), or the bare resource."""
        kind, separator, rest = _split_resource(self.resource)
        return rest if separator else kind

    @property
    def aws_partition(self) -> bool:
        """Whether the partition is one of AWS's (``aws``, ``aws-cn``, ``aws-us-gov``...)."""
        return _AWS_PARTITION.fullmatch(self.partition) is not None

    @property
    def own_account(self) -> bool:
        """Whether the account field is a 12-digit account id."""
        return _ACCOUNT_ID.fullmatch(self.account) is not None

    @property
    def well_formed(self) -> bool:
        """Whether the ARN has the shape of an account's resource: partition ``aws...``, a service,
        a region (or none), an account id, ``aws`` or none, and a resource."""
        return _WELL_FORMED.fullmatch(str(self)) is not None


def parse_arn(text: str) -> Arn | None:
    """The fields of ``text``, or ``None`` when it has fewer than six or does not start ``arn``."""
    parts = text.split(":", 5)
    if len(parts) != 6 or parts[0] != "arn":
        return None
    return Arn(*parts[1:])


def iam_principal(text: str) -> tuple[str, str] | None:
    """(account id, resource) of an IAM or STS ARN naming a 12-digit account
    (``arn:aws:iam::111122223333:role/Name``), else ``None``."""
    arn = parse_arn(text)
    if (arn is None or arn.service not in ("iam", "sts") or arn.region or not arn.partition
            or not arn.own_account or not arn.resource):
        return None
    return arn.account, arn.resource


def _split_resource(resource: str) -> tuple[str, str, str]:
    slash, colon = resource.find("/"), resource.find(":")
    cuts = [i for i in (slash, colon) if i >= 0]
    if not cuts:
        return resource, "", ""
    cut = min(cuts)
    return resource[:cut], resource[cut], resource[cut + 1:]
