"""The change set as a person reads it before deciding: one row per resource, and for each IAM
and network resource what it does to access.

Kept apart from :mod:`.changeset`, which talks to CloudFormation: this module only presents a
``ChangeSetResult`` (and, when given, its ``ChangeSetSecurity`` from :mod:`.security`) as text,
for the headless run, the execution prompt and the logs.
"""

from __future__ import annotations

from typing import Any

from wizard.aws.changeset import ChangeSetResult, ResourceChange

DETAIL_LINES = 8
"""Security lines shown under one resource of the table (``--json`` has them all)."""


def render_change_set(result: ChangeSetResult, security: Any = None, *, executed: bool = False) -> str:
    """The change set as plain text: a headline (saying whether it was ``executed``), then one
    row per resource change.

    With ``security`` (a :class:`wizard.aws.security.ChangeSetSecurity`), IAM and network rows
    get a Security column (grants and rules added and removed, the verdict) and, under the
    row, what each change is and what a replacement risks; then the capabilities and the
    resources that need them.
    """
    head = (f"Change set {result.change_set_name} ({result.change_set_type}) "
            f"for stack {result.stack_name}")
    if result.cancelled:
        where = ("it was not created" if result.change_set_id is None
                 else f"it stays in CloudFormation (last status {result.status}) until deleted")
        return f"{head}: stopped waiting; {where}.\n"
    if result.empty:
        return (f"{head}: no changes. The stack already matches this template and these "
                "parameters; there is nothing to execute.\n")
    lines = [f"{head}: {_summary(result.changes)}. {'Executed' if executed else 'Not executed'}."]
    if result.template_url:
        lines.append(f"Template: {result.template_url}")
    reviewed = security.resources if security is not None else {}
    if security is not None and security.baseline:
        lines.append(f"Security change against {security.baseline}.")
    if result.changes:
        head = ("Action", "Logical id", "Type", "Replacement") + (("Security",) if security else ())
        rows = [head] + [
            (c.action, c.logical_id, c.resource_type, c.replacement or "-")
            + ((reviewed[c.logical_id].summary() if c.logical_id in reviewed else "-",)
               if security else ())
            for c in result.changes]
        widths = [max(len(row[i]) for row in rows) for i in range(len(head) - 1)]
        for row, change in zip(rows, (None, *result.changes)):
            cells = [cell.ljust(widths[i]) for i, cell in enumerate(row[:-1])] + [row[-1]]
            lines.append(("  " + "  ".join(cells)).rstrip())
            review = reviewed.get(change.logical_id) if change is not None else None
            if review is not None:
                details = review.details()
                lines += [f"      {line}" for line in details[:DETAIL_LINES]]
                if len(details) > DETAIL_LINES:
                    lines.append(f"      ... {len(details) - DETAIL_LINES} more (--json lists them all)")
    if security is not None:
        for note in security.unattributed:
            lines.append(f"Also changed by the new values (no row in the change set): {note}")
        if security.capabilities:
            lines.append("Capabilities acknowledged on execution:")
            lines += [f"  {capability.describe()}" for capability in security.capabilities]
        else:
            lines.append("Capabilities: none (no IAM resources).")
    return "\n".join(lines) + "\n"


def _summary(changes: tuple[ResourceChange, ...]) -> str:
    if not changes:
        return "no resource changes"
    counts: dict[str, int] = {}
    for change in changes:
        counts[change.action] = counts.get(change.action, 0) + 1
    parts = [f"{n} {action.lower()}" for action, n in counts.items()]
    replaced = sum(1 for c in changes if c.replacement == "True")
    if replaced:
        parts.append(f"{replaced} replaced")
    return f"{len(changes)} change{'s' if len(changes) != 1 else ''} ({', '.join(parts)})"
