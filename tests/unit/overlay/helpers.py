"""Reading grants of a hardened template the way every command does."""

from __future__ import annotations

from wizard.iam.analysis import analyse
from wizard.iam.diff import PermissionDiff, diff


def grants(template, values):
    return analyse(template, values).grants


def compare(before_template, before_values, after_template, after_values) -> PermissionDiff:
    a = analyse(before_template, before_values)
    b = analyse(after_template, after_values)
    return diff(list(a.grants), list(b.grants), list(a.rules), list(b.rules), b.evaluation.exists)


def allows(grant) -> bool:
    return grant.is_allow and not grant.grants_nothing and grant.attachment is None
