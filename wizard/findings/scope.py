"""Which IAM actions can be scoped to a resource ARN, and which only ever take ``*``.

The customer's reviewers asked why some statements say ``Resource: '*'``; the vendor's answer
was that some are unavoidable (AWS Marketplace metering, for one). That is checkable: the IAM
definitions list, for every action, the resource types it can be limited to, and an action
with none (``aws-marketplace:MeterUsage``, ``cloudwatch:GetMetricData``, ``s3:ListAllMyBuckets``)
can only be granted on ``*``. A wildcard on such an action is a fact to record; a wildcard on
an action that could name its resource is a choice to question.

The answer is read from the resource types of each action (``wizard.iam.resource_types``, built
from the same offline definitions as ``wizard.iam.actions`` and cached the same way), so a
normal run reads a few kilobytes, not thirteen megabytes.
"""

from __future__ import annotations

from wizard.iam import actions as iam_actions
from wizard.iam import resource_types
from wizard.memo import memo


@memo(maxsize=4096)
def split_by_scope(patterns: tuple[str, ...]) -> tuple[tuple[str, ...], tuple[str, ...], tuple[str, ...]]:
    """Expand action patterns into (scopable, unscopable, unknown patterns).

    Scopable actions can name a resource ARN; unscopable ones accept only ``*``; unknown
    patterns match no action AWS defines and are kept as written. Remembered by the patterns:
    several rules ask about each statement, in every evaluation.
    """
    scopable: set[str] = set()
    fixed: set[str] = set()
    unknown = []
    for pattern in patterns:
        names = iam_actions.expand(pattern)
        if not names:
            unknown.append(pattern)
        for name in names:
            (fixed if resource_types.only_star(name) else scopable).add(name)
    return tuple(sorted(scopable)), tuple(sorted(fixed)), tuple(unknown)
