"""Values that belong to one AWS account or region, recognised wherever values are kept or checked.

A profile is reused across accounts; a certificate, a KMS key, a log group, a VPC or subnets of
one account are worthless (or dangerous) in another. ``tied_to_account`` recognises such a value
(an ARN naming an account, an account id inside a value such as an ECR image, an EC2 resource
id, a KMS key id or alias, a parameter of an ``AWS::EC2::...`` type), so profiles keep it under
``accounts: <id>`` and never in the part shared by every account (``split_for_account``), and a
run for an account the profile has no such values for can say which ones are missing
(``missing_for_account``).

``arn_problem`` checks an ARN against the stack it is deployed with: a certificate, KMS key or
log group of another region or account makes CloudFormation (or CloudTrail) fail.
``principal_problem`` checks the principals a parameter trusts (the policy approvers): IAM roles
or users of the stack's own account, never another account's.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any, Mapping

from wizard.arns import Arn, parse_arn
from wizard.cfn.pseudo import Pseudo

_ACCOUNT_ID = re.compile(r"(?<!\d)\d{12}(?!\d)")
_RESOURCE_ID = re.compile(r"^(vpc|subnet|sg|vpce|rtb|igw|nat|eni|pl|tgw|vgw)-[0-9a-f]{8,17}$")
_KEY_ID = re.compile(r"^([0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}|mrk-[0-9a-f]{32}|alias/.+)$")
_KEY_NAME = re.compile(r"kms", re.IGNORECASE)

#: Services whose resources a stack can only use in its own region and account.
SAME_REGION_AND_ACCOUNT = {"acm": "certificate", "kms": "KMS key", "logs": "log group"}


def _account_arn(value: str) -> Arn | None:
    """The ARN ``value`` names when it has the shape of an account's resource, else None."""
    arn = parse_arn(value.strip())
    return arn if arn is not None and arn.well_formed else None


def _items(value: Any) -> list[str]:
    if isinstance(value, (list, tuple)):
        return [str(v).strip() for v in value]
    return [v.strip() for v in str(value).split(",")] if value is not None else []


def tied_to_account(name: str, value: Any, parameter_type: str = "") -> bool:
    """Whether ``value`` (of parameter or question ``name``) names something in one AWS account."""
    if parameter_type.startswith(("AWS::", "List<AWS::")):
        return bool(str(value or "").strip())
    for item in _items(value):
        if not item:
            continue
        arn = _account_arn(item)
        if arn is not None and arn.account.isdigit():
            return True
        if _ACCOUNT_ID.search(item) or _RESOURCE_ID.match(item):
            return True
        if _KEY_NAME.search(name) and _KEY_ID.match(item):
            return True
    return False


@dataclass(frozen=True)
class Split:
    """Answers and parameters separated into the shared part and one account's part."""

    answers: dict[str, Any]
    parameters: dict[str, Any]
    account_answers: dict[str, Any]
    account_parameters: dict[str, Any]

    @property
    def account_names(self) -> list[str]:
        return [*self.account_answers, *self.account_parameters]


def split_for_account(answers: Mapping[str, Any], parameters: Mapping[str, Any],
                      types: Mapping[str, str] | None = None,
                      question_parameters: Mapping[str, str] | None = None) -> Split:
    """Separate the values tied to an account from those every account shares.

    ``types`` gives a parameter's template type; ``question_parameters`` the parameter a typed
    question sets (so ``cloudtrail_kms`` is judged as ``KMSKeyId``)."""
    types = types or {}
    question_parameters = question_parameters or {}
    shared_answers, shared_parameters, own_answers, own_parameters = {}, {}, {}, {}
    for key, value in answers.items():
        parameter = question_parameters.get(key, key)
        tied = tied_to_account(parameter, value, types.get(parameter, ""))
        (own_answers if tied else shared_answers)[key] = value
    for key, value in parameters.items():
        (own_parameters if tied_to_account(key, value, types.get(key, "")) else shared_parameters)[key] = value
    return Split(shared_answers, shared_parameters, own_answers, own_parameters)


def missing_for_account(accounts: Mapping[str, Mapping[str, Any]], account_id: str,
                        question_parameters: Mapping[str, str] | None = None) -> dict[str, list[str]]:
    """The values tied to an account that a profile keeps for other accounts but not for
    ``account_id``: name -> those accounts (a per-account choice such as the scheme is not one).

    Names are template parameters (an answer to a typed question counts as its parameter)."""
    question_parameters = question_parameters or {}

    def names(override: Mapping[str, Any], tied_only: bool = False) -> set[str]:
        values = {question_parameters.get(k, k): v for k, v in (override.get("answers") or {}).items()}
        values.update(override.get("parameters") or {})
        return {name for name, value in values.items() if not tied_only or tied_to_account(name, value)}

    own = names(accounts.get(account_id) or {})
    missing: dict[str, list[str]] = {}
    for account, override in accounts.items():
        if account == account_id:
            continue
        for name in sorted(names(override, tied_only=True) - own):
            missing.setdefault(name, []).append(account)
    return missing


def arn_problem(value: Any, pseudo: Pseudo) -> str | None:
    """Why an ARN cannot be used by a stack in ``pseudo``'s region and account, or None."""
    for item in _items(value):
        arn = _account_arn(item)
        if arn is None or arn.service not in SAME_REGION_AND_ACCOUNT:
            continue
        what = SAME_REGION_AND_ACCOUNT[arn.service]
        if arn.region and arn.region != pseudo.region:
            return (f"this {what} is in region {arn.region}; the stack deploys to {pseudo.region} "
                    f"and CloudFormation would fail")
        if arn.account and arn.account.isdigit() and arn.account != pseudo.account_id:
            return (f"this {what} belongs to account {arn.account}; the stack deploys to account "
                    f"{pseudo.account_id}")
    return None


#: Parameters that name principals the stack trusts, which must be roles or users of its account.
ACCOUNT_PRINCIPALS = {"ApproverPrincipalArn": "approver"}


def principal_problem(name: str, value: Any, pseudo: Pseudo) -> str | None:
    """Why ``value`` cannot name the principals parameter ``name`` trusts, or None: each entry
    must be the ARN of an IAM role or user of the stack's account."""
    what = ACCOUNT_PRINCIPALS.get(name)
    if what is None:
        return None
    items = _items(value)
    for item in items:
        if not item:
            return "an empty entry between commas: give each ARN once, separated by commas" if len(items) > 1 else None
        arn = _account_arn(item)
        kind = arn.resource.split("/", 1)[0] if arn else ""
        if arn is not None and arn.service == "sts" and kind == "assumed-role":
            role = arn.resource.split("/")[1] if arn.resource.count("/") >= 1 else "NAME"
            return (f"{item} is a session, not a principal: name its role, "
                    f"arn:{arn.partition}:iam::{arn.account}:role/{role} (with the role's path, if it has one)")
        if arn is None or arn.service != "iam" or kind not in ("role", "user") or "/" not in arn.resource:
            return (f"{item!r} is not the ARN of an IAM role or user: expected arn:aws:iam::ACCOUNT:role/NAME "
                    "or arn:aws:iam::ACCOUNT:user/NAME")
        if arn.account != pseudo.account_id:
            return (f"this {what} belongs to account {arn.account or 'none'}; the stack deploys to account "
                    f"{pseudo.account_id}, and only its own roles and users may be trusted")
    return None
