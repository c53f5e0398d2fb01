"""Values checked where they are typed and before anything is written.

The template's own constraints (``AllowedPattern`` and the rest) are checked by the CloudFormation
engine; this module adds what the template cannot say: an ARN of a certificate, KMS key or log
group must be in the stack's region and account (``wizard.flow.accounts.arn_problem``), and the
mode's requirements hold (enterprise needs a KMS key). Every face calls ``value_problem`` as a
value is typed (the wizard shows it on the question's screen, the prompts refuse it) and the
planning of a deployment calls ``value_problems`` before any file is written.
"""

from __future__ import annotations

from typing import Iterable, Mapping

from wizard.cfn.pseudo import Pseudo
from wizard.flow.accounts import arn_problem
from wizard.flow.profiles import requirements


def value_problem(name: str, value: str | None, pseudo: Pseudo, required: Mapping[str, str]) -> str | None:
    """Why ``value`` cannot be deployed as parameter ``name`` with this stack and mode, or None."""
    text = "" if value is None else str(value).strip()
    if not text:
        return f"required: {required[name]}" if name in required else None
    return arn_problem(text, pseudo)


def value_problems(values: Mapping[str, str], pseudo: Pseudo, mode: str | None,
                   declared: Iterable[str]) -> list[tuple[str, str]]:
    """Every (parameter, problem) of a set of parameter values, in the template's order
    (``declared``: a requirement on a parameter the template lacks does not apply)."""
    required = requirements(mode)
    names = list(declared)
    found = []
    for name in names:
        problem = value_problem(name, values.get(name), pseudo, required)
        if problem:
            found.append((name, problem))
    return found
