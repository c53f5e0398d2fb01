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
    SVG element drawn by ``wizard.findings.diagram`` in ``svg``, written beside the report as
    ``file``) or ``figure`` (a drawing without Mermaid source: ``svg``, ``alt`` and ``file``).
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
    file: str = ""
    """For a drawing: the name of the SVG file written beside the report."""


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
    blocks += _vendor(context.get("vendor"), evaluation, grants)
    blocks += _stops(context.get("vendor"))
    blocks += _questions(context, findings, evaluation, grants)
    blocks += _summary(findings)
    blocks += _choices(context)
    blocks += _parameters(evaluation)
    blocks += _findings(findings)
    blocks += _compliance(evaluation, grants, rules, findings, context.get("frameworks"))
    blocks += _flows(evaluation, rules)
    blocks += _permission_map(evaluation, grants, findings)
    blocks += _policies(grants)
    blocks += _bucket_connection(evaluation)
    blocks += _key_policies(evaluation)
    blocks += _checklist(checklist(evaluation, findings, preflight))
    blocks += _vendor_appendix(context.get("vendor"))
    return blocks


_TOPICS = {"policy_creation": "Policy-creation approach", "tighter_security": "Acceptable trade-offs",
           "frameworks": "Compliance frameworks", "timeline": "Timeline"}


def _questions(context: dict, findings: list[Finding], evaluation: Evaluation, grants: list[Grant]) -> list[Block]:
    """The vendor's four questions, the customer's answer to each, and what it changes and costs,
    every sentence built from the template in use (``wizard.findings.choices``)."""
    questions = context.get("questions") or []
    if not questions:
        return []
    blocks = [_h(2, "The vendor's four questions, answered", "questions"),
              _p("The vendor asked the customer four questions before this deployment. Each is restated "
                 "below with the answer this package was produced for, what that answer changes in this "
                 "template and what it costs, read from the template as evaluated here.")]
    for number, question in enumerate(questions, start=1):
        blocks.append(_h(3, f"{number}. {_TOPICS.get(question['id'], question['title'])}"))
        blocks.append(_p(f"**The question:** {question['title']}"))
        choice = _choice(question, evaluation, grants)
        if question["answered"]:
            answer = choice.answer if choice else (", ".join(question["values"]) or "none")
            origin = (" (read back from the parameters, as the run was given no answers file: "
                      + ", ".join(f"`{k}` = `{v}`" for k, v in question["sets"].items()) + ")"
                      if question["inferred"] else "")
            blocks.append(_p(f"**The answer:** {answer}{origin}."))
        else:
            blocks.append(_p("**The answer:** not given for this run"
                             + (f"; the template as evaluated: {choice.answer}." if choice else ".")))
        blocks.append(_p(f"**What it changes:** {_changes(question, findings, choice)}"))
        costs = _costs(question, findings, choice)
        if costs:
            blocks.append(_p(f"**What it costs:** {costs}"))
    return blocks


def _choice(question: dict, evaluation: Evaluation, grants: list[Grant]):
    from wizard.findings import choices

    if question["id"] == "policy_creation":
        return choices.policy_creation(evaluation, grants)
    if question["id"] == "tighter_security":
        return choices.enhanced_security(evaluation, grants)
    return None


def _changes(question: dict, findings: list[Finding], choice: Any = None) -> str:
    parts = list(choice.changes) if choice else []
    if question["sets"]:
        parts.append("Template parameters: " + ", ".join(f"`{k}` = `{v}`" for k, v in question["sets"].items()) + ".")
    if question["id"] == "frameworks":
        chosen = list(question["answer"])
        texts = catalog()
        retention = max((texts.frameworks[k].log_retention_days for k in question.get("values", ())
                         if k in texts.frameworks), default=0)
        mapped = [f for f in findings if f.controls and any(c.framework in question.get("values", ())
                                                             for c in f.controls)]
        parts.append((f"{len(mapped)} finding(s) map to " + ", ".join(chosen) + " and come first; the compliance "
                      "section lists every control of these frameworks with its findings, its evidence, what "
                      "would prove it, or why it is not assessed."
                      if chosen else "No framework was chosen: every framework's controls are listed."))
        if retention:
            parts.append(f"Logs are judged against a retention of {retention} days.")
    if question["id"] == "timeline":
        values = question.get("values") or []
        parts.append("Two parameter files: phase 1 without the hardening options, phase 2 with them; this "
                     "report is phase 2's." if "after" in values else
                     "One deployment with every chosen option in force." if values else "")
    return " ".join(p.strip() for p in parts if p.strip()) or "Nothing in the template."


def _costs(question: dict, findings: list[Finding], choice: Any = None) -> str:
    if choice is not None:
        return " ".join(choice.costs)
    if question["id"] == "frameworks":
        chosen = question.get("values") or []
        return (f"Each finding mapped to {', '.join(question['answer'])} must be fixed or accepted in writing before "
                f"the review signs." if chosen else "")
    if question["id"] == "timeline":
        values = question.get("values") or []
        if "after" in values:
            return ("Two deployments; until phase 2 is deployed the stack runs with phase 1's grants (its own "
                    "report, in phase-1, lists them).")
        return "One deployment; every option's manual steps (the checklist) come before it." if values else ""
    return ""


def _vendor(vendor: dict | None, evaluation: Evaluation | None = None, grants: list[Grant] = ()) -> list[Block]:
    """A hardened vendor template: its posture as shipped, what the options change, what they cannot."""
    if not vendor:
        return []
    blocks = [_h(2, "The vendor's template and what the options change", "vendor"),
              _p(f"The vendor's template `{vendor['template']}` (sha256 `{vendor['sha256']}`) carries none of "
                 f"the promised options; the {vendor['overlay']} overlay adds them, each defaulting to the "
                 "vendor's behaviour. The rest of this report is about the hardened template."),
              _h(3, "The vendor's template as it is"),
              _p(f"{vendor['statements']} IAM statements, {vendor['network']} network rules."),
              _table(["Severity", "Findings"], list(vendor["findings"].items()))]
    if vendor["top"]:
        blocks.append(_list(vendor["top"]))
    blocks.append(_h(3, "What the chosen options change, rule by rule"))
    if vendor["options"]:
        blocks.append(_table(["Rule", "Set", "Grants removed", "Grants added", "Network", "Verdict"],
                             [(o["rule"], o["set"], o["removed"], o["added"], o["network"], o["verdict"])
                              for o in vendor["options"]]))
        for option in vendor["options"]:
            if not option["details"]:
                continue
            blocks.append(_p(f"**{option['rule']}** ({option['set']})"))
            if len(option["details"]) <= INLINE_CHANGES:
                blocks.append(_list(option["details"]))
            else:
                blocks.append(_p(f"{len(option['details'])} changes, listed in full at the end of this report under "
                                 f"\"{_APPENDIX}\"."))
    else:
        blocks.append(_p("Every option is at its default: the hardened template grants exactly what the vendor's does."))
    blocks.append(_h(3, "Out of reach without the vendor"))
    reach = list(vendor["out_of_reach"]) + (_beyond_options(evaluation, list(grants)) if evaluation else [])
    blocks.append(_list(reach) if reach else _p("Nothing."))
    return blocks


#: Services whose write actions can name their resources: a grant of them on every resource is
#: one no option of the overlay scopes, so scoping it needs the vendor.
SCOPABLE = ("athena", "dynamodb", "events", "glue", "iam", "kms", "lambda", "s3", "secretsmanager", "sns", "sqs",
            "states")


def _beyond_options(evaluation: Evaluation, grants: list[Grant]) -> list[str]:
    """What the hardened template still does that no option changes, read from it."""
    from wizard.findings.apis import apis
    from wizard.findings.choices import APPROVAL_TOPIC, _on_everything, request_path

    found = []
    if "PolicyCreationMode" in evaluation.template.parameters and \
            not request_path(_with_mode(evaluation, "ManualApproval")):
        found.append(f"The request side of manual approval: nothing in the template tells the application of "
                     f"{APPROVAL_TOPIC}, so only a change to the application can send an approval request; until "
                     f"then whoever connects a bucket asks the approver.")
    for api in apis(evaluation):
        open_ = [f"{m.verb} {m.path}" for m in api.methods if not m.authenticated]
        if open_:
            found.append(f"API Gateway {api.name} ({api.endpoint} endpoint"
                         + (", its resource policy admits anyone" if api.public else "")
                         + f"): {len(open_)} method(s) take no authorization ({', '.join(open_)}); no option "
                           f"changes them.")
    wide = _on_everything(grants)
    left: dict[str, list[str]] = {}
    for service in SCOPABLE:
        for principal, action in sorted(wide.get(service, ())):
            verb = action.split(":")[-1]
            if verb != "*" and not verb.lower().startswith(("get", "list", "describe", "batchget", "head")):
                left.setdefault(principal, []).append(action)
    if left:
        found.append("Write grants on every resource that no option scopes: "
                     + "; ".join(f"{p} ({', '.join(a)})" for p, a in sorted(left.items())) + ".")
    return found


STOPS = "What stops working, and why"


def _stops(vendor: dict | None) -> list[Block]:
    """Each Quilt feature the chosen options stop, the option that stops it and every access lost;
    an access no option meant to take away is marked collateral."""
    if not vendor or "stops" not in vendor:
        return []
    blocks = [_h(2, STOPS, "stops")]
    rows = vendor["stops"]
    if not rows:
        return blocks + [_p("Nothing: every access the vendor's template grants still takes effect.")]
    blocks.append(_p("Every access the vendor's template grants that no longer takes effect with the chosen options "
                     "(removed, narrowed, newly denied or outside a permissions boundary), the Quilt feature it "
                     "serves and the option that takes it away. **Collateral** marks an access no option means to "
                     "remove."))
    blocks.append(_table(["Feature", "Cause", "Access lost", ""],
                         [(r["feature"], r["cause"], r["access"], "collateral" if r["collateral"] else "")
                          for r in rows]))
    return blocks


#: An option that changes more grants than this lists them in the appendix, not in the lead.
INLINE_CHANGES = 8
_APPENDIX = "Appendix: every change of the chosen options"


def _vendor_appendix(vendor: dict | None) -> list[Block]:
    """The options whose changes are too many for the lead, each change in full."""
    long = [o for o in (vendor or {}).get("options", ()) if len(o["details"]) > INLINE_CHANGES]
    if not long:
        return []
    blocks = [_h(2, _APPENDIX, "appendix-options"),
              _p("Every grant and network rule each option removes and adds, on top of the options before it, "
                 "as the vendor section counts them.")]
    for option in long:
        blocks.append(_h(3, f"{option['rule']} ({option['set']})"))
        blocks.append(_list(option["details"]))
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
            texts = context.get("answer_texts") or {}
            # the answer as given (the value the parameters take), never a choice's label, which may
            # promise what the template in use lacks
            blocks.append(_table(["Question", "Answer"], [(texts.get(k, (k,))[0], _flat(v)) for k, v in answers.items()]))
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
        if finding.source:
            blocks.append(_p(f"**Source:** {finding.source} (AWS), not this tool's rules."))
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
                 "that it holds, with its line (**evidence**), or what the template shows and what would prove "
                 "the control beyond it (**needs evidence outside the template**), or that this tool cannot judge "
                 "it from a template (**not assessed by this tool**). No control is left blank: a missing finding "
                 "is never, by itself, taken as met, and evidence is shown only where it proves the control.")]
    for key in keys:
        framework = texts.frameworks[key]
        blocks.append(_h(3, framework.name))
        if framework.note:
            blocks.append(_p(framework.note))
        rows = []
        for status in statuses[key]:
            if status.status == ATTENTION and status.findings:
                counts = Counter(f.rule_id for f in status.findings)
                detail = ", ".join(f"{r} ({n})" for r, n in counts.items())
            elif status.evidence and status.status != EVIDENCE:  # what the template shows, and why it does not prove
                detail = "; ".join(item.text + (f" (line {', '.join(map(str, item.lines))})" if item.lines else "")
                                   for item in status.evidence)
            elif status.status == EVIDENCE:
                merged: dict[tuple, list[str]] = {}  # rules that examined the same thing share one line
                for item in status.evidence:
                    merged.setdefault((item.text, item.lines), []).append(item.rule_id)
                shown = [", ".join(dict.fromkeys(ids)) + f": {text}"
                         + (f" (line {', '.join(map(str, lines))})" if lines else "")
                         for (text, lines), ids in merged.items()]
                detail = "; ".join(shown)
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
    from wizard.findings.apis import apis

    public_apis = [a.name for a in apis(evaluation) if a.public]
    blocks += [_p("Red, thick arrows come from the internet: only where a security group of an internet-facing "
                  "load balancer admits 0.0.0.0/0 or ::/0"
                  + (f", and to API Gateway {', '.join(public_apis)}, whose endpoint is not private and whose "
                     f"resource policy admits anyone" if public_apis else "")
                  + ". The dashed box is the stack's trust boundary."),
               Block("diagram", mermaid(found), alt=text_diagram(found), svg=svg(found, evaluation=evaluation, rules=rules),
                     file=NETWORK_SVG)]
    rows = [(r.kind, r.resource, r.protocol, r.ports, r.peer, r.detail, r.line) for r in rules]
    blocks += [_h(3, "Every network rule"),
               _table(["Kind", "Resource", "Protocol", "Ports", "Peer", "Detail", "Line"], rows)]
    return blocks


NETWORK_SVG, PERMISSIONS_SVG = "network.svg", "permissions.svg"


def _permission_map(evaluation: Evaluation, grants: list[Grant], findings: list[Finding]) -> list[Block]:
    """Who may act as which role: the principals, the roles, trust and escalation, guardrail and boundary."""
    from wizard.findings.diagram import permission_svg
    from wizard.iam.grants import TRUST

    drawing = permission_svg(evaluation, grants, findings)
    if not drawing:
        return []
    roles = evaluation.resources("AWS::IAM::Role")
    trusts = sorted({(g.principal, role) for g in grants if g.kind == TRUST and g.is_allow for role in g.on})
    escalations = [f for f in findings if f.rule_id.startswith("QW-ESC")]
    lines = [f"{role} <- {principal}" for principal, role in trusts]
    lines += [f"{f.rule_id}: {' -> '.join(f.resources)}" for f in escalations]
    return [_h(2, "Who may act as which role", "permission-map"),
            _p(f"The stack's {len(roles)} role(s), who may assume each ({len(trusts)} trust statement(s); principals "
               f"of another account in red), the {len(escalations)} escalation finding(s) between them (red, dashed) "
               f"and, in each box, its permissions boundary, the guardrail that caps it and the services it may "
               f"change. Roles alike in all of that share a box."),
            Block("figure", alt="\n".join(lines) + "\n", svg=drawing, file=PERMISSIONS_SVG)]


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


def _bucket_connection(evaluation: Evaluation) -> list[Block]:
    from wizard.findings.connection import APPROVAL_STEPS, MODES, bucket_policies

    found = bucket_policies(evaluation)
    if found is None:
        return []
    current = evaluation.parameters.raw.get("PolicyCreationMode", "")
    blocks = [_h(2, "Policies created when a bucket is connected", "bucket-policies"),
              _p(f"The placeholders grant nothing at deployment. When an administrator connects a bucket, for "
                 f"example `{found.bucket}`, the statements below are what the roles receive. They are the "
                 f"template's own per-bucket grants (its pre-created policies) with that bucket's ARN.")]
    from wizard.findings.choices import APPROVAL_TOPIC, request_path

    told = request_path(_with_mode(evaluation, "ManualApproval"))
    request = (f" The application is told of {APPROVAL_TOPIC} ({', '.join(told)}) and publishes a request there, so "
               f"each new policy waits for an approver." if told else
               f" Nothing in the template tells the application of {APPROVAL_TOPIC}: the request side needs a change "
               f"by the vendor, and until then whoever connects a bucket asks the approver.")
    rows = [(mode + (" (this deployment)" if mode == current else ""),
             how.split(". The request side")[0] + ("." + request if mode == "ManualApproval" else ""))
            for mode, how in MODES]
    blocks.append(_table(["Policy-creation mode", "Who writes the statements, and when"], rows))
    if current == "ManualApproval":
        stack = evaluation.pseudo.stack_name
        blocks += [_p(APPROVAL_STEPS[0].replace("STACK", stack)), _p(request.strip())]
    blocks.append(_p(f"**Read access** (BucketReadPolicy, held by {', '.join(found.read_holders) or '-'}):"))
    blocks.append(_code(json.dumps({"Version": "2012-10-17", "Statement": list(found.read)}, indent=2), "json"))
    blocks.append(_p(f"**Write access** (BucketWritePolicy, held by {', '.join(found.write_holders) or '-'}):"))
    blocks.append(_code(json.dumps({"Version": "2012-10-17", "Statement": list(found.write)}, indent=2), "json"))
    state = ("is attached to every role that holds or can rewrite a placeholder in this deployment"
             if found.guardrail_attached else
             "is **not** attached in this deployment (EnableEnhancedSecurity is false): nothing caps what the "
             "placeholders may receive. With enhanced security it would be")
    blocks.append(_p(f"**The envelope for any bucket.** Whatever is written into the placeholders, the guardrail "
                     f"policy's explicit Denies win. It {state}:"))
    blocks.append(_code(json.dumps({"Version": "2012-10-17", "Statement": list(found.envelope)}, indent=2), "json"))
    return blocks


def _with_mode(evaluation: Evaluation, mode: str) -> Evaluation:
    from wizard.cfn.parameters import resolve_parameters

    if evaluation.parameters.raw.get("PolicyCreationMode") == mode:
        return evaluation
    template = evaluation.template
    return Evaluation(template, resolve_parameters(template, {**evaluation.parameters.raw, "PolicyCreationMode": mode}),
                      evaluation.pseudo)


def _key_policies(evaluation: Evaluation) -> list[Block]:
    from wizard.findings.connection import key_policies

    found = key_policies(evaluation)
    if found is None:
        return []
    name, key, policies = found
    blocks = [_h(2, "Key policy statements to apply to the KMS key", "key-policies"),
              _p(f"The stack uses the key given as `{name}` (`{key}`) but does not own its key policy. Add these "
                 f"statements to it before deploying: without them CloudTrail stops logging and encrypted "
                 f"topics, buckets and secrets cannot be used. Each is bound to this account (and the trail) "
                 f"by condition.")]
    for service, statements in policies.items():
        blocks.append(_h(3, service))
        blocks.append(_code(json.dumps(statements, indent=2), "json"))
    return blocks


_MARKS = {"pass": "✓ pass", "warn": "! warn", "fail": "✗ fail", "skip": "- skip", None: "☐ to check"}


def _checklist(entries: list[ChecklistEntry]) -> list[Block]:
    rows = []
    for entry in entries:
        detail = entry.detail + (f" Fix: {entry.hint}" if entry.hint else "")
        rows.append((_MARKS.get(entry.status, "☐ to check"), entry.text, detail.strip()))
    return [_h(2, "Pre-deployment checklist", "checklist"), _table(["Status", "Check", "Preflight result"], rows)]
