"""The privilege-escalation combinations of the public catalogs, on unrestricted resources.

The combinations themselves (Rhino Security Labs' methods as Cloudsplaining lists them) are
data in ``assets/findings.yaml``. A principal is reported for a method when it holds every
action of the method on an unrestricted resource (``*``, ``role/*``, ``function:*`` ...),
across all of its statements together; the same actions scoped to the stack's own roles and
policies are followed by the escalation-path rules instead.
"""

from __future__ import annotations

from wizard.findings.catalog import catalog
from wizard.findings.context import RuleContext, allows_action, is_unrestricted
from wizard.findings.model import Hit
from wizard.findings.rules import detector
from wizard.findings.rules.common import grant_lines_of, place, resources_of
from wizard.iam.grants import Grant


def _unrestricted(grant: Grant) -> bool:
    if grant.not_resources:
        return "*" not in grant.not_resources
    return any(is_unrestricted(r) for r in grant.resources)


@detector("QW-IAM-107")
def escalation_combinations(ctx: RuleContext):
    methods = catalog().escalation_methods
    for principal, grants in ctx.allows.items():
        open_grants = [g for g in grants if _unrestricted(g)]
        if not open_grants or principal in ctx.full_admins:
            continue
        first: dict[str, Grant | None] = {}  # the methods share actions: each is looked up once
        for method in methods:
            supplying = []
            for action in method.actions:
                if action not in first:
                    first[action] = next((g for g in open_grants if allows_action(g, action)), None)
                grant = first[action]
                if grant is None or not ctx.can(principal, action):
                    break
                supplying.append((action, grant))
            else:
                used = tuple(dict.fromkeys(g for _, g in supplying))
                pieces = "; ".join(f"{action} ({place(grant)})" for action, grant in supplying)
                yield Hit(subject=principal,
                          message=f"{principal} holds the '{method.id}' combination on unrestricted resources: "
                                  f"{pieces}. {method.description}",
                          grants=used, resources=resources_of(used), lines=grant_lines_of(used),
                          facts=(("method", method.id),))
