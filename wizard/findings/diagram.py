"""The network flows drawn as an SVG picture: no script, no external reference, one self-contained element.

The customer asked for "network diagrams showing exactly what traffic flows where". The HTML
report embeds this drawing (and ships it as a file beside it); the Markdown report keeps the
Mermaid source. The drawing is built from the same flows (``wizard.findings.flows``) and laid
out by ``wizard.findings.layout`` (layers by hops from where traffic enters, boxes and label
plates sized from their text, never overlapping):

- the **internet** appears only where a security group admits ``0.0.0.0/0`` or ``::/0`` (and a
  load balancer is internet-facing), or where an API Gateway endpoint that is not PRIVATE has
  a resource policy admitting anyone; its box and its arrows are red, and everything else sits
  inside a dashed boundary, the stack's VPC;
- each load balancer says its scheme (internet-facing or internal);
- each API Gateway REST API says its endpoint type and methods, each method whether it asks
  for authorization, with an arrow to the Lambda function it invokes; the other Lambda
  functions are drawn grouped by the security group they run in;
- clients admitted by a group outside the template, target groups, tasks and security groups
  are boxes; egress to ``0.0.0.0/0`` on 443 is "AWS APIs (and the internet)";
- an egress to ``127.0.0.1/32`` (the template's way of saying "no egress") is not drawn.

Every label is escaped; the text is the template's logical ids, so a reader can find each box
in the policies and network-rule tables of the report.
"""

from __future__ import annotations

import re

from wizard.arns import parse_arn
from wizard.cfn.evaluate import Evaluation
from wizard.findings.flows import INTERNET, Flow
from wizard.findings.layout import Edge, Node, render, wrap
from wizard.iam.network import SCHEME, NetworkRule

_PUBLIC = ("0.0.0.0/0", "::/0")
_NOWHERE = "127.0.0.1/32"
_EGRESS = "AWS APIs and the internet (egress)"


def _node(name: str, as_target: bool) -> str:
    """The box a flow end belongs to: open CIDRs become the internet or the egress box."""
    if name in _PUBLIC:
        return _EGRESS if as_target else INTERNET
    return name


def drawable(found: list[Flow]) -> list[tuple[str, str, str, bool]]:
    """(source box, target box, label, from the internet) for each flow worth drawing."""
    merged: dict[tuple[str, str], tuple[list[str], bool]] = {}
    for flow in found:
        if flow.target == _NOWHERE:
            continue
        source, target = _node(flow.source, False), _node(flow.target, True)
        labels, public = merged.setdefault((source, target), ([], False))
        if flow.label not in labels:
            labels.append(flow.label)
        merged[(source, target)] = (labels, public or flow.public or source == INTERNET)
    return [(source, target, ", ".join(labels), public) for (source, target), (labels, public) in merged.items()]


def _scheme_lines(name: str, schemes: dict[str, str]) -> list[str]:
    lines = wrap(name)
    if name in schemes:
        lines.append(f"load balancer, scheme: {schemes[name]}")
    return lines


def svg(found: list[Flow], title: str = "Network flows", evaluation: Evaluation | None = None,
        rules: list[NetworkRule] | None = None) -> str:
    """The flows as one ``<svg>`` element laid out by ``wizard.findings.layout``; empty string when
    there is nothing to draw. With the evaluation, the load balancers' scheme, the API Gateway
    methods (and whether each asks for authorization) and the Lambda functions are drawn too."""
    edges = [Edge(source, target, label, "public" if public else "plain") for source, target, label, public
             in drawable(found)]
    schemes = {r.resource: r.detail for r in rules or () if r.kind == SCHEME}
    extra: dict[str, Node] = {}
    if evaluation is not None:
        edges += _api_and_functions(evaluation, extra)
    if not edges and not extra:
        return ""
    nodes: dict[str, Node] = dict(extra)
    for edge in edges:
        for name in (edge.source, edge.target):
            if name in nodes:
                continue
            public = name == INTERNET or name == API_INTERNET
            nodes[name] = Node(name, _scheme_lines(name, schemes),
                               "public" if public else ("egress" if name == _EGRESS else "plain"),
                               "first" if public else ("last" if name == _EGRESS else ""))
    inside = {n for n, node in nodes.items() if not node.pin}
    return render(nodes, edges, title=title, css_class="network",
                  boundary=("Trust boundary: the stack in its VPC", inside))


API_INTERNET = "Internet (API Gateway endpoint)"


def _api_and_functions(evaluation: Evaluation, nodes: dict[str, Node]) -> list[Edge]:
    from wizard.findings.apis import apis, functions_by_group

    edges: list[Edge] = []
    invoked: set[str] = set()
    for api in apis(evaluation):
        name = f"API Gateway {api.name}"
        open_ = sum(1 for m in api.methods if not m.authenticated)
        nodes[name] = Node(name, [name, f"{api.endpoint} endpoint",
                                  f"{len(api.methods)} method(s), {open_} without authorization"])
        caller = API_INTERNET if api.public else "Callers its resource policy admits"
        verbs = ", ".join(f"{m.verb} {m.path}" + ("" if m.authenticated else " (no auth)") for m in api.methods)
        edges.append(Edge(caller, name, f"HTTPS: {verbs}" if verbs else "HTTPS", "public" if api.public else "plain"))
        for method in api.methods:
            invoked.add(method.function)
            edges.append(Edge(name, method.function, f"{method.verb} {method.path}"
                              + ("" if method.authenticated else ", no authorization")))
    for group, functions in functions_by_group(evaluation).items():
        running = [f for f in functions if f in invoked]
        others = [f for f in functions if f not in invoked]
        if others:
            box = f"Lambda functions in {group}" if group != "no VPC" else "Lambda functions outside the VPC"
            nodes[box] = Node(box, [box] + wrap(", ".join(others), 40), "service")
            if group != "no VPC":
                edges.append(Edge(box, group, "run in"))
        for function in running:
            nodes.setdefault(function, Node(function, [function, "Lambda function"], "service"))
            if group != "no VPC":
                edges.append(Edge(function, group, "runs in"))
    return edges


# -- the permission map ---------------------------------------------------------------------

_OWN_ROLE = re.compile(r"\$\{([A-Za-z0-9]+)\.Arn\}")


def _principal_node(principal: str, account: str, roles: set[str]) -> tuple[str, str, str]:
    """(node, style, member) for a trusted principal: a role of the stack, a service, an account."""
    kind, _, value = principal.partition(":")
    own = _OWN_ROLE.fullmatch(value)
    if own and own.group(1) in roles:
        return own.group(1), "role", ""
    if kind == "Service":
        return f"Service {value}", "service", ""
    if value == "*":
        return "Anyone (Principal *)", "outside", ""
    arn = parse_arn(value)
    if arn is None or not (arn.aws_partition and arn.service == "iam" and not arn.region and arn.own_account):
        return f"{kind} {value}", "plain", ""
    if arn.account != account:
        return f"Account {arn.account} (outside)", "outside", arn.resource
    return f"This account: {arn.resource}", "plain", ""


def permission_svg(evaluation: Evaluation, grants: list, findings: list = (),
                   title: str = "Who may act as which role") -> str:
    """The stack's roles, who may assume each (services, roles, other accounts: red), the
    escalation paths the findings found between them (red, dashed) and, in each box, the
    permissions boundary, the guardrail and the services the role may change. Roles alike in
    all of that are one box."""
    from wizard.iam.grants import BOUNDARY, IDENTITY, TRUST

    roles = set(evaluation.resources("AWS::IAM::Role"))
    if not roles:
        return ""
    account = evaluation.pseudo.account_id
    trusted: dict[str, set[str]] = {r: set() for r in roles}
    members: dict[str, list[str]] = {}
    styles: dict[str, str] = {}
    for grant in grants:
        if grant.kind != TRUST or not grant.is_allow:
            continue
        for role in grant.on:
            if role not in roles:
                continue
            node, style, member = _principal_node(grant.principal, account, roles)
            trusted[role].add(node)
            styles[node] = style
            if member and member not in members.setdefault(node, []):
                members[node].append(member)
    boundary: dict[str, str] = {}
    guardrail: dict[str, set[str]] = {r: set() for r in roles}
    writes: dict[str, set[str]] = {r: set() for r in roles}
    for grant in grants:
        if grant.principal not in roles:
            continue
        if grant.kind == BOUNDARY:
            boundary.setdefault(grant.principal, grant.source.resource)
        elif grant.kind == IDENTITY and not grant.is_allow and "guardrail" in grant.source.resource.lower():
            guardrail[grant.principal].add(grant.source.resource)
        elif grant.kind == IDENTITY and grant.is_allow and not grant.grants_nothing and \
                {"Write", "Permissions management"} & set(grant.access_levels):
            writes[grant.principal].update(a.split(":")[0] for a in grant.actions if ":" in a)
    escalations: dict[tuple[str, str], list[str]] = {}
    notes: dict[str, list[str]] = {}
    for finding in findings:
        if not finding.rule_id.startswith("QW-ESC"):
            continue
        chain = [r for r in finding.resources if r in roles]
        if len(chain) == 1:
            notes.setdefault(chain[0], []).append(f"{finding.rule_id}: {finding.title.lower()}")
        for source, target in zip(chain, chain[1:]):
            if source != target and finding.rule_id not in escalations.setdefault((source, target), []):
                escalations[(source, target)].append(finding.rule_id)
    involved = {r for pair in escalations for r in pair} | set(notes)
    involved |= {r for r in roles for node in trusted[r] if styles.get(node) in ("outside", "role")}
    involved |= {node for r in roles for node in trusted[r] if styles.get(node) == "role"}
    groups: dict[tuple, list[str]] = {}
    for role in sorted(roles):
        key = (role,) if role in involved else (tuple(sorted(trusted[role])), boundary.get(role, ""),
                                                tuple(sorted(guardrail[role])))
        groups.setdefault(key, []).append(role)
    box_of: dict[str, str] = {}
    nodes: dict[str, Node] = {}
    for key, names in groups.items():
        box = names[0] if len(names) == 1 else f"{len(names)} roles"
        box = box if box not in nodes else f"{box} ({names[0]})"
        lines = [box] + (wrap(", ".join(names), 44) if len(names) > 1 else ["role"])
        first = names[0]
        lines.append(f"boundary: {boundary[first]}" if first in boundary else "no permissions boundary")
        if guardrail[first]:
            lines.append(f"guardrail: {', '.join(sorted(guardrail[first]))}")
        changed = sorted(set().union(*(writes[n] for n in names)))
        lines += wrap("may change: " + (", ".join(changed) if changed else "nothing"), 44)
        for name in names:
            lines += [line for note in notes.get(name, []) for line in wrap(note, 44)]
        nodes[box] = Node(box, lines, "escalation" if any(n in notes for n in names) else
                          ("guarded" if first in boundary or guardrail[first] else "plain"))
        for name in names:
            box_of[name] = box
    edges: list[Edge] = []
    seen: set[tuple[str, str]] = set()
    for role in sorted(roles):
        for node in sorted(trusted[role]):
            source = box_of.get(node, node)
            if source not in nodes:
                lines = [node] + wrap(", ".join(members.get(node, [])), 44) if members.get(node) else [node]
                nodes[source] = Node(source, lines, styles.get(node, "plain"), "first")
            if (source, box_of[role]) in seen or source == box_of[role]:
                continue
            seen.add((source, box_of[role]))
            outside = styles.get(node) == "outside"
            edges.append(Edge(source, box_of[role], "may assume" if outside or styles.get(node) == "role" else "",
                              "public" if outside else "plain", f"{node} may assume {role}"))
    for (source, target), rule_ids in sorted(escalations.items()):
        edges.append(Edge(box_of[source], box_of[target], ", ".join(rule_ids) + " escalation", "escalation",
                          f"{source} can gain {target}'s permissions ({', '.join(rule_ids)})"))
    return render(nodes, edges, title=title, css_class="permissions")
