"""The content of the security documentation package, as blocks any renderer can write.

What the vendor promised the customer's security team, for one evaluation: the deployment
parameters (NoEcho masked), the findings with why, fix, template lines, escalation steps and
controls, the customer's eight concerns one by one, the compliance mapping per framework, the
network flows, every principal's policies as IAM will hold them, and the pre-deployment
checklist with preflight results. ``build`` returns it as a list of ``Block`` records
(heading, paragraph, table, list, code, diagram); ``wizard.flow.report`` writes them as Markdown
and HTML, so both always say the same thing. Text may mark `code` and **bold** spans; the
renderers escape everything else.
"""

from __future__ import annotations

import json
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Iterable

from wizard.cfn.evaluate import Evaluation
from wizard.findings.catalog import catalog
from wizard.findings.checklist import ChecklistEntry, checklist
from wizard.findings.diagram import svg
from wizard.findings.flows import flows, mermaid, text_diagram
from wizard.findings.model import SEVERITIES, Finding
from wizard.findings.policies import policies_by_principal
from wizard.iam.grants import Grant
from wizard.iam.network import NetworkRule


@dataclass(frozen=True)
class Block:
    """One piece of the document.

    ``kind`` is ``h`` (``level``, optional ``anchor``), ``p``, ``table`` (``rows``, the first
    being the header), ``ul``/``ol`` (``items``), ``code`` (``text`` in language ``lang``) or
    ``diagram`` (Mermaid source in ``text``, the same drawing as plain text in ``alt`` and as an
    SVG element drawn by ``wizard.findings.diagram`` in ``svg``).
    """

    kind: str
    text: str = ""
    level: int = 2
    rows: tuple[tuple[str, ...], ...] = ()
    items: tuple[str, ...] = ()
    lang: str = ""
    anchor: str = ""
    alt: str = ""
    svg: str = ""


def _h(level: int, text: str, anchor: str = "") -> Block:
    return Block("h", text, level=level, anchor=anchor)


def _p(text: str) -> Block:
    return Block("p", text)


def _table(header: Iterable[str], rows: Iterable[Iterable[Any]]) -> Block:
    return Block("table", rows=(tuple(header), *(tuple("" if c is None else str(c) for c in r) for r in rows)))


def _list(items: Iterable[str], ordered: bool = False) -> Block:
    return Block("ol" if ordered else "ul", items=tuple(items))


def _code(text: str, lang: str = "") -> Block:
    return Block("code", text, lang=lang)


# -- assembling -----------------------------------------------------------------------------

def build(evaluation: Evaluation, grants: list[Grant], rules: list[NetworkRule], findings: list[Finding],
          *, context: dict | None = None, preflight: Any = None) -> list[Block]:
    """The document as blocks."""
    context = dict(context or {})
    pseudo = evaluation.pseudo
    blocks = [_h(1, f"Security review: stack {pseudo.stack_name} in {pseudo.account_id}, {pseudo.region}")]
    blocks.append(_p(f"Template `{Path(evaluation.template.source).name}`, evaluated for the parameters below. "
                     f"{len(grants)} IAM statements, {len(rules)} network rules, {len(findings)} findings."))
    blocks += _summary(findings)
    blocks += _choices(context)
    blocks += _parameters(evaluation)
    blocks += _findings(findings)
    blocks += _compliance(evaluation, grants, rules, findings, context.get("frameworks"))
    blocks += _flows(evaluation, rules)
    blocks += _policies(grants)
    blocks += _checklist(checklist(evaluation, findings, preflight))
    return blocks


def _summary(findings: list[Finding]) -> list[Block]:
    counts = Counter(f.severity for f in findings)
    blocks = [_h(2, "Summary", "summary"),
              _table(["Severity", "Findings"], [(s, counts.get(s, 0)) for s in reversed(SEVERITIES)])]
    texts = catalog()
    rows = []
    for number, concern in sorted(texts.concerns.items()):
        mine = [f for f in findings if f.concern == number]
        worst = max((f.severity for f in mine), key=SEVERITIES.index, default="none")
        ids = sorted({f.rule_id for f in mine})
        rows.append((number, concern, len(mine), worst, ", ".join(ids) or "-"))
    blocks += [_h(3, "The customer's review, concern by concern"),
               _table(["#", "Concern", "Findings", "Highest", "Rules"], rows)]
    return blocks


def _choices(context: dict) -> list[Block]:
    rows = []
    for key in ("mode", "profile"):
        if context.get(key):
            rows.append((key, context[key]))
    answers = context.get("answers") or {}
    blocks: list[Block] = []
    if rows or answers:
        blocks.append(_h(2, "Deployment choices", "choices"))
        if rows:
            blocks.append(_table(["Setting", "Value"], rows))
        if answers:
            blocks.append(_table(["Question", "Answer"], [(k, _flat(v)) for k, v in answers.items()]))
    return blocks


def _flat(value: Any) -> str:
    if isinstance(value, (list, tuple)):
        return ", ".join(_flat(v) for v in value)
    if isinstance(value, dict):
        return json.dumps(value, sort_keys=True, default=str)
    return str(value)


def _parameters(evaluation: Evaluation) -> list[Block]:
    shown = evaluation.parameters.display()
    specs = evaluation.parameters.specs
    rows = []
    for name, value in shown.items():
        spec = specs[name]
        note = "NoEcho (masked)" if spec.no_echo else ("no value yet" if name in evaluation.parameters.unresolved
                                                      else ("default" if spec.default == evaluation.parameters.raw.get(name) else ""))
        rows.append((name, value if value != "" else "(empty)", note))
    return [_h(2, "Deployment parameters", "parameters"),
            _p("Values as this report evaluated them. NoEcho values are never shown."),
            _table(["Parameter", "Value", "Note"], rows)]


def _findings(findings: list[Finding]) -> list[Block]:
    blocks = [_h(2, "Findings", "findings")]
    if not findings:
        return blocks + [_p("No finding.")]
    for index, finding in enumerate(findings, start=1):
        blocks.append(_h(3, f"{index}. [{finding.severity.upper()}] {finding.rule_id} {finding.title}: {finding.subject}"))
        blocks.append(_p(finding.message))
        if finding.steps:
            blocks.append(_p("**Path, step by step:**"))
            blocks.append(_list([s.text + (f" (template lines {', '.join(map(str, s.lines))})" if s.lines else "")
                                 for s in finding.steps], ordered=True))
        blocks.append(_p(f"**Why it matters:** {finding.why}"))
        blocks.append(_p(f"**How to fix:** {finding.fix}"))
        where = ", ".join(map(str, finding.lines)) or "-"
        blocks.append(_p(f"**Template lines:** {where}. **Resources:** {', '.join(finding.resources) or '-'}."))
        if finding.controls:
            blocks.append(_p("**Controls:** " + "; ".join(f"{_framework_name(c.framework)} {c.id} ({c.title})"
                                                         for c in finding.controls) + "."))
    return blocks


def _framework_name(key: str) -> str:
    return {"soc2": "SOC 2", "hipaa": "HIPAA", "pci-dss": "PCI DSS", "iso27001": "ISO 27001",
            "cis-aws": "CIS AWS"}.get(key, key)


def _compliance(evaluation: Evaluation, grants: list[Grant], rules: list[NetworkRule], findings: list[Finding],
                chosen: Any) -> list[Block]:
    from wizard.findings.assurance import ATTENTION, EVIDENCE, control_statuses
    from wizard.findings.context import RuleContext

    texts = catalog()
    keys = [k for k in (chosen or []) if k in texts.frameworks] or list(texts.frameworks)
    context = RuleContext(evaluation, grants, rules)
    context.frameworks = tuple(keys if chosen else ())
    statuses = control_statuses(context, findings, keys)
    blocks = [_h(2, "Compliance mapping", "compliance"),
              _p("Each control shows the findings against it (**attention**), or the evidence in the template "
                 "that it holds, with its line (**evidence**), or that this tool cannot judge it from a template "
                 "(**not assessed by this tool**). No control is left blank: a missing finding is never, by "
                 "itself, taken as met.")]
    for key in keys:
        framework = texts.frameworks[key]
        blocks.append(_h(3, framework.name))
        if framework.note:
            blocks.append(_p(framework.note))
        rows = []
        for status in statuses[key]:
            if status.status == ATTENTION:
                counts = Counter(f.rule_id for f in status.findings)
                detail = ", ".join(f"{r} ({n})" for r, n in counts.items())
            elif status.status == EVIDENCE:
                shown = [e.describe() for e in status.evidence]
                detail = "; ".join(shown[:4]) + (f"; and {len(shown) - 4} more" if len(shown) > 4 else "")
            else:
                detail = status.note
            rows.append((status.control.id, status.control.title, status.status, detail))
        blocks.append(_table(["Control", "Title", "Status", "Findings, evidence or reason"], rows))
    return blocks


def _flows(evaluation: Evaluation, rules: list[NetworkRule]) -> list[Block]:
    found = flows(evaluation, rules)
    blocks = [_h(2, "Network flows", "network")]
    if not found:
        return blocks + [_p("The template opens no network flow.")]
    blocks += [_p("Red, thick arrows come from the internet: only where a security group of an internet-facing "
                  "load balancer admits 0.0.0.0/0 or ::/0. The dashed box is the stack's trust boundary."),
               Block("diagram", mermaid(found), alt=text_diagram(found), svg=svg(found))]
    rows = [(r.kind, r.resource, r.protocol, r.ports, r.peer, r.detail, r.line) for r in rules]
    blocks += [_h(3, "Every network rule"),
               _table(["Kind", "Resource", "Protocol", "Ports", "Peer", "Detail", "Line"], rows)]
    return blocks


def _policies(grants: list[Grant]) -> list[Block]:
    blocks = [_h(2, "Exact policies per principal", "policies"),
              _p("Every IAM policy as IAM will hold it for these parameters, grouped by the principal it is "
                 "given to (roles), or by the role or resource it protects (trust and resource policies).")]
    for principal in policies_by_principal(grants):
        blocks.append(_h(3, principal.name))
        for arn, known, line in principal.attachments:
            state = "its statements are shown below" if known else "its statements are not known to this tool"
            blocks.append(_p(f"Attaches `{arn}`" + (f" (line {line})" if line else "") + f": {state}."))
        for document in principal.documents:
            title = document.title + (f", line {document.line}" if document.line else "")
            if document.note:
                title += f" ({document.note})"
            blocks.append(_p(f"**{title}**"))
            blocks.append(_code(document.to_text(), "json"))
    return blocks


_MARKS = {"pass": "✓ pass", "warn": "! warn", "fail": "✗ fail", "skip": "- skip", None: "☐ to check"}


def _checklist(entries: list[ChecklistEntry]) -> list[Block]:
    rows = []
    for entry in entries:
        detail = entry.detail + (f" Fix: {entry.hint}" if entry.hint else "")
        rows.append((_MARKS.get(entry.status, "☐ to check"), entry.text, detail.strip()))
    return [_h(2, "Pre-deployment checklist", "checklist"), _table(["Status", "Check", "Preflight result"], rows)]
