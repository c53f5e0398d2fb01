"""Reading an IAM managed policy from the account: the policy, and a version's document decoded.

``iam:GetPolicy`` answers ``NoSuchEntity`` for a policy the account does not hold; here that is
``None``, every other fault is raised. IAM hands policy documents back URL-encoded JSON text;
``policy_document`` turns them into mappings (a local endpoint's Python-literal documents
included) and leaves anything it cannot read as it came.
"""

from __future__ import annotations

import ast
import json
from typing import Any
from urllib.parse import unquote

from wizard.aws.errors import ServiceError
from wizard.aws.session import AwsSession


def get_policy(session: AwsSession, arn: str) -> dict[str, Any] | None:
    """The managed policy ``arn`` (``iam:GetPolicy``'s ``Policy``), or None when the account has
    no such policy."""
    try:
        return session.call("iam", "get_policy", PolicyArn=arn)["Policy"]
    except ServiceError as exc:
        if exc.code == "NoSuchEntity":
            return None
        raise


def version_document(session: AwsSession, arn: str, version_id: str) -> Any:
    """One version's document (``iam:GetPolicyVersion``), decoded."""
    answer = session.call("iam", "get_policy_version", PolicyArn=arn, VersionId=version_id)
    return policy_document(answer["PolicyVersion"]["Document"])


def policy_document(value: Any) -> Any:
    """A policy document as IAM returns it (a mapping, or its JSON text, URL-encoded or not),
    read; text that is neither JSON nor a mapping written as a Python literal is returned as it
    is."""
    if isinstance(value, str):
        text = value if value.lstrip().startswith("{") else unquote(value)
        try:
            return json.loads(text)
        except json.JSONDecodeError:
            pass
        try:  # a local endpoint (moto) hands back documents a stack created as a Python literal
            literal = ast.literal_eval(text)
        except (ValueError, SyntaxError, MemoryError, RecursionError):
            return value
        return literal if isinstance(literal, dict) else value
    return value
