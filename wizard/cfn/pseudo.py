"""The pseudo parameters of a stack: ``AWS::AccountId``, ``AWS::Region``, ``AWS::StackName``...

Analysis happens before any stack exists, so the stack's name, region and account are chosen
(by default a stack called ``quilt`` in us-east-1 of account 123456789012); the partition and
URL suffix follow from the region, as they do in AWS.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property
from typing import Any

_ZERO_UUID = "00000000-0000-0000-0000-000000000000"


def partition_of(region: str) -> str:
    """The AWS partition a region belongs to."""
    if region.startswith("cn-"):
        return "aws-cn"
    if region.startswith("us-gov-"):
        return "aws-us-gov"
    if region.startswith("us-isob-"):
        return "aws-iso-b"
    if region.startswith("us-iso-"):
        return "aws-iso"
    return "aws"


@dataclass(frozen=True)
class Pseudo:
    """The pseudo parameters of one evaluation (defaults: a stack called quilt in us-east-1)."""

    stack_name: str = "quilt"
    region: str = "us-east-1"
    account_id: str = "123456789012"

    @property
    def partition(self) -> str:
        return partition_of(self.region)

    @property
    def url_suffix(self) -> str:
        return "amazonaws.com.cn" if self.partition == "aws-cn" else "amazonaws.com"

    def value(self, name: str) -> Any:
        """The value of ``AWS::<name>``, or raise KeyError."""
        return self._values[name]

    @cached_property
    def _values(self) -> dict[str, Any]:
        return {
            "AWS::AccountId": self.account_id,
            "AWS::Region": self.region,
            "AWS::StackName": self.stack_name,
            "AWS::Partition": self.partition,
            "AWS::URLSuffix": self.url_suffix,
            "AWS::StackId": f"arn:{self.partition}:cloudformation:{self.region}:{self.account_id}:"
                            f"stack/{self.stack_name}/{_ZERO_UUID}",
            "AWS::NotificationARNs": [],
        }
