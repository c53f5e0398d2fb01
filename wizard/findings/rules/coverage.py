"""Policy documents the permission model does not read: named, so a review knows its limits.

A template can carry policy text in a resource type the model has no reader for, or in a form
it cannot read (a document that is not JSON, a Statement that is not a list of statements).
Whatever such a document grants is missing from the grants, the diff and every other rule,
so its presence is a finding of its own rather than a silence.
"""

from __future__ import annotations

from wizard.findings.context import RuleContext
from wizard.findings.model import Hit
from wizard.findings.rules import detector
from wizard.iam.grants import not_analysed


@detector("QW-IAM-111")
def policy_not_analysed(ctx: RuleContext):
    for item in not_analysed(ctx.evaluation):
        yield Hit(subject=item.resource,
                  message=f"{item.resource} ({item.type}) holds a policy document at {item.property} that is not "
                          f"analysed ({item.reason}); what it grants is not in this review.",
                  resources=(item.resource,), lines=(item.line,) if item.line else ())
