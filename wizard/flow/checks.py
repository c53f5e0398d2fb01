"""Values checked where they are typed and before anything is written.

The template's own constraints (``AllowedPattern`` and the rest) are checked by the CloudFormation
engine; this module adds what the template cannot say: an ARN of a certificate, KMS key or log
group must be in the stack's region and account (``wizard.flow.accounts.arn_problem``), the trail's
KMS key must not be AWS-managed (``alias/aws/...``: CloudTrail cannot use it), a principal
the stack trusts (an approver) must be a role or user of its account (``principal_problem``), and the
mode's requirements hold (enterprise needs a KMS key). Every face calls ``value_problem`` as a
value is typed (the wizard shows it on the question's screen, the prompts refuse it) and the
planning of a deployment calls ``value_problems`` before any file is written.
"""

from __future__ import annotations

from typing import Iterable, Mapping

from wizard.cfn.pseudo import Pseudo
from wizard.flow.accounts import arn_problem, principal_problem
from wizard.flow.profiles import requirements


#: Parameters another parameter's value makes required: name -> (that parameter, its value, why).
#: Their questions are asked only then, so a face checking a typed value applies it as is.
NEEDED_WITH = {
    "ApproverPrincipalArn": ("PolicyCreationMode", "ManualApproval",
                             "manual approval trusts only the approvers named here: give the ARN of at least one "
                             "IAM role or user of this account"),
}


def value_problem(name: str, value: str | None, pseudo: Pseudo, required: Mapping[str, str],
                  values: Mapping[str, str] | None = None) -> str | None:
    """Why ``value`` cannot be deployed as parameter ``name`` with this stack and mode, or None
    (``values``: every parameter value, when known, for the requirements one value makes)."""
    text = "" if value is None else str(value).strip()
    if not text:
        if name in required:
            return f"required: {required[name]}"
        needed = NEEDED_WITH.get(name)
        if needed and (values is None or values.get(needed[0]) == needed[1]):
            return f"required: {needed[2]}"
        return None
    return arn_problem(text, pseudo) or principal_problem(name, text, pseudo) or trail_key_problem(name, text)


#: Parameters whose KMS key encrypts a CloudTrail trail.
TRAIL_KEYS = ("KMSKeyId",)


def trail_key_problem(name: str, value: str) -> str | None:
    """Why ``value`` cannot be the trail's key: an AWS-managed key (``alias/aws/...`` or its ARN),
    whose key policy admits no trail, so CloudTrail cannot encrypt with it."""
    if name not in TRAIL_KEYS or "alias/aws/" not in str(value or ""):
        return None  # an AWS-managed key is named by its alias, or the alias's ARN
    from wizard.findings.assurance import aws_managed_key

    if aws_managed_key(value):
        return (f"{value} is an AWS-managed key: CloudTrail cannot encrypt with it (its key policy, which AWS "
                f"owns, admits no trail); give a customer-managed key's id, ARN or alias")
    return None


def value_problems(values: Mapping[str, str], pseudo: Pseudo, mode: str | None,
                   declared: Iterable[str]) -> list[tuple[str, str]]:
    """Every (parameter, problem) of a set of parameter values, in the template's order
    (``declared``: a requirement on a parameter the template lacks does not apply)."""
    required = requirements(mode)
    names = list(declared)
    found = []
    for name in names:
        problem = value_problem(name, values.get(name), pseudo, required, values)
        if problem:
            found.append((name, problem))
    return found
