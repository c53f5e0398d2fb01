"""Network flows of an evaluated stack, as edges a reviewer can read or draw.

The customer asked for "network diagrams showing exactly what traffic flows where". The
network rules say what each security group, listener and target group allows; this module
joins them into flows: clients (the internet, for an internet-facing load balancer) to the
load balancer's listeners, listeners (default action and listener rules) to target groups,
target groups to the containers the ECS services register, and every security-group rule
between its peer and its group. The same edges become a Mermaid flowchart for the Markdown
report and a plain-text listing for the HTML one, which must render without any script.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from wizard.cfn.evaluate import Evaluation
from wizard.iam.grants import holder_of
from wizard.iam.network import EGRESS, INGRESS, LISTENER, SCHEME, NetworkRule

INTERNET = "Internet"
PRIVATE_CLIENTS = "Clients in the VPC"


@dataclass(frozen=True)
class Flow:
    """Traffic from ``source`` to ``target``, described by ``label``; ``public`` from the internet."""

    source: str
    target: str
    label: str
    line: int | None = None
    public: bool = False

    def text(self) -> str:
        where = f"  (line {self.line})" if self.line else ""
        return f"{self.source} --[{self.label}]--> {self.target}{where}"


def _ref(value: object) -> str:
    return holder_of(str(value)) if value else "?"


def flows(evaluation: Evaluation, rules: list[NetworkRule]) -> list[Flow]:
    """Every flow of the stack, clients first, then listeners, targets and security groups.

    A security-group rule pair that allows the same traffic from both ends (egress of one
    group, ingress of the other) is one flow.
    """
    found: list[Flow] = []
    schemes = {r.resource: r for r in rules if r.kind == SCHEME}
    for rule in rules:
        if rule.kind != LISTENER:
            continue
        balancer = rule.peer or "?"
        scheme = schemes.get(balancer)
        label = f"{rule.protocol} {rule.ports} ({rule.resource})"
        for client, public in _clients(evaluation, rules, balancer, rule.from_port, bool(scheme and scheme.is_public)):
            found.append(Flow(client, balancer, label, rule.line, public))
        target = rule.detail.removeprefix("forward to ").split(" (", 1)[0]
        if rule.detail.startswith("forward to "):
            found.append(Flow(balancer, target, f"{rule.resource} default action", rule.line))
        elif rule.detail:
            found.append(Flow(balancer, f"{rule.resource}: {rule.detail}", "answers directly", rule.line))
    listeners = {r.resource: r for r in rules if r.kind == LISTENER}
    for logical_id, resource in evaluation.resources("AWS::ElasticLoadBalancingV2::ListenerRule").items():
        properties = resource.get("Properties") or {}
        listener = listeners.get(_ref(properties.get("ListenerArn")))
        for action in properties.get("Actions") or []:
            if isinstance(action, dict) and action.get("TargetGroupArn"):
                found.append(Flow(listener.peer if listener else _ref(properties.get("ListenerArn")),
                                  _ref(action["TargetGroupArn"]), f"rule {logical_id}",
                                  evaluation.template.line_of("Resources", logical_id)))
    targets = {r.resource: r for r in rules if r.kind == "target-group"}
    for logical_id, resource in evaluation.resources("AWS::ECS::Service").items():
        properties = resource.get("Properties") or {}
        task = _ref(properties.get("TaskDefinition"))
        for binding in properties.get("LoadBalancers") or []:
            if not isinstance(binding, dict) or not binding.get("TargetGroupArn"):
                continue
            group = _ref(binding["TargetGroupArn"])
            rule = targets.get(group)
            protocol = rule.protocol if rule else "?"
            found.append(Flow(group, f"{task}/{binding.get('ContainerName', '?')}",
                              f"{protocol} {binding.get('ContainerPort', '?')} (service {logical_id})",
                              evaluation.template.line_of("Resources", logical_id)))
    for rule in rules:
        if rule.kind == INGRESS:
            found.append(Flow(rule.peer or "?", rule.resource, _port_label(rule), rule.line, rule.is_public))
        elif rule.kind == EGRESS:
            found.append(Flow(rule.resource, rule.peer or "?", _port_label(rule), rule.line))
    unique: dict[tuple[str, str, str], Flow] = {}
    for flow in found:
        unique.setdefault((flow.source, flow.target, flow.label), flow)
    return list(unique.values())


def _clients(evaluation: Evaluation, rules: list[NetworkRule], balancer: str, port: int | None,
             internet_facing: bool) -> list[tuple[str, bool]]:
    """Who may reach a listener: the peers its load balancer's security groups admit on the port.

    The internet appears only where the balancer is internet-facing and one of its groups admits
    0.0.0.0/0 or ::/0 on that port. A group defined outside the template is named as such.
    """
    resource = evaluation.resource(balancer) or {}
    groups = [_ref(g) for g in (resource.get("Properties") or {}).get("SecurityGroups") or []]
    local = {r.resource for r in rules if r.kind in (INGRESS, EGRESS)} | set(evaluation.resources("AWS::EC2::SecurityGroup"))
    found: list[tuple[str, bool]] = []
    for rule in rules:
        if rule.kind != INGRESS or rule.resource not in groups or not _covers(rule, port):
            continue
        if rule.is_public:
            found.append((INTERNET, True) if internet_facing else (f"{PRIVATE_CLIENTS} ({rule.peer})", False))
        else:
            found.append((rule.peer or "?", False))
    for group in groups:
        if group not in local:
            found.append((f"Clients admitted by {group} (outside this template)", False))
    if not groups:
        found.append((INTERNET, True) if internet_facing else (PRIVATE_CLIENTS, False))
    return list(dict.fromkeys(found))


def _covers(rule: NetworkRule, port: int | None) -> bool:
    if rule.protocol in ("all", "-1") or rule.from_port is None or port is None:
        return True
    high = rule.to_port if rule.to_port is not None else rule.from_port
    return rule.from_port <= port <= high


def _port_label(rule: NetworkRule) -> str:
    if rule.protocol in ("all", "-1"):
        return "all traffic"
    return f"{rule.protocol} {rule.ports}"


_UNSAFE = re.compile(r"[^A-Za-z0-9_]")


def mermaid(found: list[Flow]) -> str:
    """A Mermaid flowchart of the flows (public edges drawn thick)."""
    ids: dict[str, str] = {}

    def node(name: str) -> str:
        if name not in ids:
            ids[name] = f"n{len(ids)}_{_UNSAFE.sub('_', name)[:40]}"
        return ids[name]

    lines = ["flowchart LR"]
    edges = []
    for flow in found:
        arrow = "==>" if flow.public else "-->"
        edges.append(f'  {node(flow.source)} {arrow}|"{_label(flow.label)}"| {node(flow.target)}')
    for name, ident in ids.items():
        lines.append(f'  {ident}["{_label(name)}"]')
    return "\n".join(lines + edges) + "\n"


def _label(text: str) -> str:
    return (text.replace('"', "#quot;").replace("|", "#124;").replace("<", "#lt;").replace(">", "#gt;")
            .replace("[", "#91;").replace("]", "#93;"))


def text_diagram(found: list[Flow]) -> str:
    """The flows as plain text, grouped by where the traffic comes from."""
    groups: dict[str, list[Flow]] = {}
    for flow in found:
        groups.setdefault(flow.source, []).append(flow)
    lines = []
    for source, members in groups.items():
        lines.append(source + ("  [public]" if source == INTERNET else ""))
        for flow in members:
            where = f"   (line {flow.line})" if flow.line else ""
            lines.append(f"  └─ {flow.label} ─▶ {flow.target}{where}")
    return "\n".join(lines) + ("\n" if lines else "")
