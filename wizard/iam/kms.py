"""KMS keys given by an alias, and the key grants an alias widens to every key of an account.

A policy names a KMS key by its key ARN: IAM matches a key operation against the key, never
against an alias of it. So a template that takes the customer's key as a parameter can scope its
``kms:`` grants to that key only when the value names the key (an ARN or a key id); given an
alias (``alias/NAME`` or its ARN), it can only fall back to every key of the account
(``arn:aws:kms:REGION:ACCOUNT:key/*``), as the embedded template does. That widening happens in
the template's conditions, without a word.

``alias_widenings`` finds it: every Allow of ``kms:`` actions on every key of an account while a
parameter gives a key by an alias, unless a ``kms:ResourceAliases`` or ``kms:RequestAlias``
condition binds the grant to that alias. Where the template itself says what the alias names (an
``AWS::KMS::Alias`` resource with that ``AliasName`` and its ``TargetKeyId``), the alias is
resolved: the widening carries the key, so a message can name the key to give instead. The
policy CloudFormation deploys is computed from the parameter's text either way: resolving the
alias names the key, it does not narrow the grant.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Iterable

from wizard.cfn.evaluate import Evaluation
from wizard.iam.grants import Grant

_ALIAS = re.compile(r"^(?:arn:aws[a-z-]*:kms:[a-z0-9-]+:\d{12}:)?(alias/[A-Za-z0-9/_-]+)$")
_EVERY_KEY = re.compile(r"^arn:(?:aws[a-z-]*|\*):kms:(?:[a-z0-9-]+|\*):(?P<account>\d{12}|\*):key/\*$")
#: Condition keys that bind a grant on every key to the keys an alias names.
_ALIAS_CONDITIONS = ("kms:resourcealiases", "kms:requestalias")


@dataclass(frozen=True)
class AliasWidening:
    """A ``kms:`` grant on every key of an account, because ``parameter`` gives its key by ``alias``."""

    grant: Grant
    resource: str
    """The grant's resource that covers every key (``arn:aws:kms:us-east-1:123456789012:key/*``)."""
    parameter: str
    alias: str
    """``alias/NAME``, whether the parameter gave the name or the alias ARN."""
    key: str | None = None
    """What the template's ``AWS::KMS::Alias`` of that name targets (a key ARN, a key id or a
    token such as ``${Key}``); None when the template does not define the alias."""

    @property
    def account(self) -> str:
        found = _EVERY_KEY.match(self.resource)
        return found["account"] if found else "*"


def alias_of(value: object) -> str | None:
    """``alias/NAME`` when ``value`` names a KMS key by an alias (the name or its ARN), else None."""
    found = _ALIAS.match(value) if isinstance(value, str) else None
    return found.group(1) if found else None


def aliases_given(evaluation: Evaluation) -> dict[str, str]:
    """Parameter -> ``alias/NAME`` for each parameter whose value is a KMS alias (NoEcho ones are
    never read)."""
    values = evaluation.parameters
    found = {}
    for name, spec in values.specs.items():
        alias = None if spec.no_echo else alias_of(values.raw.get(name))
        if alias:
            found[name] = alias
    return found


def template_aliases(evaluation: Evaluation) -> dict[str, str]:
    """``alias/NAME`` -> the key its ``AWS::KMS::Alias`` resource targets, for every alias the
    evaluated template creates."""
    found = {}
    for _logical_id, resource in evaluation.resources("AWS::KMS::Alias").items():
        properties = resource.get("Properties") or {}
        name, target = properties.get("AliasName"), properties.get("TargetKeyId")
        if isinstance(name, str) and isinstance(target, str) and target:
            found[name] = target
    return found


def covers_every_key(resource: str) -> bool:
    """Whether ``resource`` is every KMS key of an account (``...:kms:REGION:ACCOUNT:key/*``)."""
    return bool(_EVERY_KEY.match(resource))


def _is_key_grant(grant: Grant) -> bool:
    return (grant.is_allow and not grant.grants_nothing
            and any(action == "*" or action.lower().startswith("kms:") for action in grant.actions))


def _bound_to_an_alias(grant: Grant) -> bool:
    condition = grant.condition_json.lower()
    return any(key in condition for key in _ALIAS_CONDITIONS)


def alias_widenings(evaluation: Evaluation, grants: Iterable[Grant]) -> list[AliasWidening]:
    """Every ``kms:`` grant widened to all keys of an account because a parameter gives its key by
    an alias, each with the key the template's own alias resource names, when it has one."""
    given = aliases_given(evaluation)
    if not given:
        return []
    defined = template_aliases(evaluation)
    parameter, alias = next(iter(given.items()))
    found = []
    for grant in grants:
        if not _is_key_grant(grant) or _bound_to_an_alias(grant):
            continue
        for resource in grant.resources:
            if covers_every_key(resource):
                found.append(AliasWidening(grant, resource, parameter, alias, defined.get(alias)))
                break
    return found
