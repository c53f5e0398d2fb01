"""Preflight: the AWS managed policies a template attaches, as the account really holds them.

The grants, the diff and the findings read an attached AWS managed policy from the bundled
copy (``assets/aws-managed-policies.jsonl``, a dataset of a known version and date). AWS
revises its managed policies now and then, and what applies at run time is the default
version in the account. So when a run has AWS access, the account is the source of truth:
this check reads each attached policy's default version (``iam:GetPolicy``,
``iam:GetPolicyVersion``) and reports every policy whose statements differ from the bundled
copy, or that the account does not know, so the review can look at what AWS holds today.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from typing import Any

from wizard.aws.checks import PreflightCheck, passed, skipped, warning
from wizard.aws.iam_policies import get_policy, version_document
from wizard.aws.session import AwsSession
from wizard.iam import managed_policies
from wizard.lists import as_list

NAME = "aws-managed-policies"


def canonical_statements(statements: Any) -> list[str]:
    """Statements as comparable text: single values as lists, lists sorted, order ignored."""
    if isinstance(statements, dict):
        statements = [statements]

    def normal(value: Any) -> Any:
        if isinstance(value, dict):
            return {k: normal(v) for k, v in value.items()}
        if isinstance(value, list):
            return sorted((normal(v) for v in value), key=lambda v: json.dumps(v, sort_keys=True))
        return value

    out = []
    for statement in statements or []:
        entry = {k: normal(v if k in ("Condition", "Principal", "NotPrincipal") else as_list(v))
                 for k, v in statement.items() if k != "Sid"}
        out.append(json.dumps(entry, sort_keys=True))
    return sorted(out)


def account_version(session: AwsSession, arn: str) -> tuple[str, list[dict]] | None:
    """(default version id, statements) of a managed policy in the account; None if unknown."""
    policy = get_policy(session, arn)
    if policy is None:
        return None
    version = policy["DefaultVersionId"]
    document = version_document(session, arn, version)
    statements = document.get("Statement") if isinstance(document, dict) else None
    return version, as_list(statements) if statements else []


def managed_policy_check(session: AwsSession, arns: Iterable[str]) -> PreflightCheck:
    """Whether the account's default version of each attached AWS managed policy is the bundled one."""
    wanted = sorted({a for a in arns if managed_policies.is_aws_managed(a)})
    if not wanted:
        return skipped(NAME, "the template attaches no AWS managed policy")
    dataset = managed_policies.header()
    differing, missing, unbundled = [], [], []
    for arn in wanted:
        name = arn.rsplit("/", 1)[-1]
        held = account_version(session, arn)
        bundled = managed_policies.policy(arn)
        if held is None:
            missing.append(name)
        elif bundled is None:
            unbundled.append(f"{name} ({held[0]})")
        elif canonical_statements(held[1]) != canonical_statements(bundled["statements"]):
            differing.append(f"{name} (account {held[0]}, bundled {bundled['version']})")
    if not (differing or missing or unbundled):
        return passed(NAME, f"{len(wanted)} attached AWS managed policies match the bundled copy "
                            f"({dataset['dataset']} {dataset['version']})")
    parts = []
    if differing:
        parts.append("the account's default version differs from the bundled copy for " + ", ".join(differing))
    if unbundled:
        parts.append("not in the bundled copy: " + ", ".join(unbundled))
    if missing:
        parts.append("the account does not know " + ", ".join(missing))
    return warning(NAME, "; ".join(parts),
                   "The grants were computed from the bundled copy; the account's version is what applies. "
                   "Review it with `aws iam get-policy-version` before deploying"
                   + (", and check the ARNs the account does not know" if missing else "") + ".")
