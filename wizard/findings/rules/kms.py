"""KMS grants that an alias widens to every key of the account (``wizard.iam.kms``).

A policy cannot name a key by its alias, so a template given an alias for its key falls back to
every key of the account. One finding per alias, listing every statement it widens; where the
template's own ``AWS::KMS::Alias`` says which key the alias names, the finding names that key.
"""

from __future__ import annotations

from wizard.findings.context import RuleContext
from wizard.findings.model import Hit
from wizard.findings.rules import detector
from wizard.findings.rules.common import grant_lines_of, place, resources_of, short
from wizard.iam.kms import AliasWidening, alias_widenings


@detector("QW-IAM-112")
def key_grants_widened_by_an_alias(ctx: RuleContext):
    groups: dict[tuple[str, str], list[AliasWidening]] = {}
    for widening in alias_widenings(ctx.evaluation, ctx.grants):
        groups.setdefault((widening.parameter, widening.alias), []).append(widening)
    for (parameter, alias), members in groups.items():
        grants = tuple(dict.fromkeys(w.grant for w in members))
        actions = list(dict.fromkeys(a for g in grants for a in g.actions if a == "*" or a.lower().startswith("kms:")))
        account = members[0].account
        key = members[0].key
        named = (f"the template's own alias names {short([key], 1)}, but the policy is written from the "
                 "parameter's text" if key else "the template does not say which key the alias names")
        message = (f"{parameter} gives the KMS key by its alias {alias}, and a policy cannot name a key by "
                   f"an alias: {short([place(g) for g in grants], 3)} {'allow' if len(grants) > 1 else 'allows'} "
                   f"{short(actions, 4)} on "
                   f"{members[0].resource}, every key of account {account}, not one ({named}).")
        yield Hit(subject=f"{parameter} = {alias}", message=message, grants=grants,
                  resources=resources_of(grants), lines=grant_lines_of(grants))
