"""How fast IAM action classification is: cold build, warm load, and classify() once warm.

Run: ``python benchmarks/bench_actions.py``. Uses a temporary cache directory, so the
user's cache is neither read nor written.
"""

from __future__ import annotations

import os
import statistics
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from wizard.iam import actions
from wizard.paths import CACHE_ENV

PATTERNS = [
    "s3:GetObject", "s3:GetObjectVersion", "s3:PutObject", "s3:DeleteObject", "s3:ListBucket",
    "s3:GetBucketLocation", "s3:Get*", "s3:List*", "s3:PutObjectTagging", "kms:Decrypt",
    "kms:GenerateDataKey*", "kms:DescribeKey", "athena:StartQueryExecution",
    "athena:GetQueryResults", "athena:Get*", "glue:GetTable*", "glue:GetDatabase*",
    "glue:GetPartitions", "logs:CreateLogStream", "logs:PutLogEvents", "sqs:SendMessage",
    "sqs:ReceiveMessage", "sns:Publish", "iam:PassRole", "iam:CreatePolicy",
    "iam:*PolicyVersion", "ecr:BatchGetImage", "lambda:InvokeFunction", "sts:AssumeRole",
    "es:ESHttp*",
]
"""Thirty action patterns of the kind a data platform's roles grant."""


def timed(run: Callable[[], object], repeat: int) -> list[float]:
    """Seconds taken by each of ``repeat`` runs."""
    samples = []
    for _ in range(repeat):
        start = time.perf_counter()
        run()
        samples.append(time.perf_counter() - start)
    return samples


def main() -> None:
    """Measure and print."""
    with tempfile.TemporaryDirectory() as cache:
        os.environ[CACHE_ENV] = cache
        cold = timed(actions.ActionCatalog.from_definitions, repeat=5)
        actions.ActionCatalog.load(cache=Path(cache))
        warm = timed(lambda: actions.ActionCatalog.load(cache=Path(cache)), repeat=20)
        assert actions.ActionCatalog.load(cache=Path(cache)).from_cache

        actions.catalog()
        first = timed(lambda: actions.classify(PATTERNS), repeat=1)[0]
        same = timed(lambda: actions.classify(PATTERNS), repeat=2000)
        patterns = frozenset(PATTERNS)
        merged = timed(lambda: actions._classified.__wrapped__(patterns), repeat=2000)
        statements = [PATTERNS[i % 30:i % 30 + 1 + i % 5] for i in range(100)]
        hundred = timed(lambda: [actions.classify(s) for s in statements], repeat=200)

    result = actions.classify(PATTERNS)
    print(f"actions known: {len(actions.expand('*'))}; {len(PATTERNS)} patterns grant "
          f"{sum(map(len, result.levels.values()))} actions, {len(result.unknown)} unknown")
    rows = [
        ("cold index build from raw definitions", statistics.median(cold) * 1e3, "ms, median of 5"),
        ("warm load from the disk cache", statistics.median(warm) * 1e3, "ms, median of 20"),
        ("first classify() after load", first * 1e3, "ms, expands each pattern"),
        ("classify(), same list again", statistics.median(same) * 1e6, "µs, median of 2000"),
        ("classify(), new mix of seen patterns", statistics.median(merged) * 1e6,
         "µs, median of 2000, per-pattern cache only"),
        ("classify() of 100 statements, 1-5 each", statistics.median(hundred) * 1e6,
         "µs, median of 200, warm"),
    ]
    for label, value, unit in rows:
        print(f"{label:<40}{value:9.2f} {unit}")


if __name__ == "__main__":
    main()
