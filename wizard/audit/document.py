"""The audit report's content, as the same blocks the security report is written from.

``wizard.flow.report`` turns blocks into Markdown and self-contained HTML; this module says
what an audit report holds: the stack and the envelope its parameters chose, the findings
with their controls, every policy under the stack's path with all versions and who created
them, the drift, and what could not be compared. Parameter values are shown as the template
evaluation displays them (NoEcho masked).
"""

from __future__ import annotations

import json

from wizard.audit.verdict import AuditResult
from wizard.findings import severity_summary
from wizard.findings.document import Block


def audit_blocks(result: AuditResult) -> list[Block]:
    """Every block of the audit report, in reading order."""
    stack = result.holdings.stack
    env = result.envelope
    blocks = [Block("h", f"IAM audit of stack {stack.name}", level=1),
              Block("p", f"Account `{stack.account_id}`, region `{stack.region}`, status `{stack.status}`. "
                         f"Run-time policies live under `{result.holdings.path_prefix}`. "
                         f"Findings: {severity_summary(result.findings)}.")]
    blocks.append(Block("h", "Envelope chosen by the deployment", level=2, anchor="envelope"))
    blocks.append(_table(("Bound", "Value"), [
        ("CustomerBucketPrefix", f"`{env.bucket_prefix}`" if env.bucket_prefix else "none (every bucket)"),
        ("Athena workgroups", ", ".join(f"`{w}`" for w in env.workgroups) or "not bounded"),
        ("Guardrail (Deny statements)", ", ".join(f"`{s.sid or s.brief()}`" for s in env.guardrail) or "none"),
        ("Path", f"`{env.path}`")]))
    blocks.append(Block("h", "Findings", level=2, anchor="findings"))
    if not result.findings:
        blocks.append(Block("p", "No finding: AWS holds what the template explains, and every run-time "
                                 "statement is within the envelope."))
    for number, finding in enumerate(result.findings, 1):
        blocks.append(Block("h", f"{number}. [{finding.severity.upper()}] {finding.title}", level=3))
        blocks.append(Block("p", f"**{finding.rule_id}** on `{finding.subject}`: {finding.message}"))
        blocks.append(Block("p", f"Why it matters: {finding.why}"))
        blocks.append(Block("p", f"Fix: {finding.fix}"))
        if finding.controls:
            blocks.append(Block("ul", items=tuple(f"{c.framework} {c.id}: {c.title}" for c in finding.controls)))
    blocks.append(Block("h", "IAM policies under the path and attached to the stack", level=2, anchor="policies"))
    rows = [(f"`{row[0]}`", *row[1:]) for row in policy_rows(result.policies)]
    blocks.append(_table(POLICY_COLUMNS, rows) if rows else Block("p", "No policy."))
    for record in result.run_time_policies:
        blocks.append(Block("h", f"{record.policy.name} ({record.origin})", level=3))
        for version in record.policy.versions:
            blocks.append(Block("p", f"Version `{version.version_id}`" + (" (default)" if version.is_default else "")))
            blocks.append(Block("code", json.dumps(version.document, indent=2, sort_keys=True), lang="json"))
    blocks.append(Block("h", "Drift: AWS compared with the template", level=2, anchor="drift"))
    drift = result.drift
    blocks.append(Block("p", f"{len(result.comparisons)} places compared, "
                             f"{sum(len(c.comparison.matched) for c in result.comparisons)} statements as the "
                             f"template says, {len(drift)} differences."))
    if drift:
        blocks.append(_table(("Where", "Difference", "Statement"),
                             [(label, "only in AWS" if kind == "unexplained" else "only in the template",
                               f"`{statement.brief()}`") for label, kind, statement in drift]))
    if result.notes:
        blocks.append(Block("h", "Not compared", level=2, anchor="notes"))
        blocks.append(Block("ul", items=tuple(result.notes)))
    return blocks


POLICY_COLUMNS = ("Policy", "Origin", "Version", "Created", "Created by", "Attached to")


def policy_rows(records) -> list[tuple[str, ...]]:
    """One row per version of each policy (``POLICY_COLUMNS``): the audit's listing, which
    ``quilt-wizard approve --list`` prints too."""
    rows = []
    for record in records:
        p = record.policy
        origin = f"{record.origin} ({record.logical_id})" if record.logical_id else record.origin
        if record.placeholder:
            origin += ", placeholder"
        holders = ", ".join(f"{k} {n}" for k, n in p.attached_to) or "-"
        for version in p.versions:
            rows.append((p.name, origin, version.version_id + (" (default)" if version.is_default else ""),
                         version.created, version.created_by or "unknown", holders))
    return rows


def _table(header, rows) -> Block:
    return Block("table", rows=(tuple(header), *(tuple(str(c) for c in row) for row in rows)))
