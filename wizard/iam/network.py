"""Network openings an evaluated template creates: who can reach what, on which port.

Security-group ingress and egress (inline in ``AWS::EC2::SecurityGroup`` and as separate
``SecurityGroupIngress``/``SecurityGroupEgress`` resources; the peer is a CIDR, a prefix list
or another security group), and AWS's default allow-all egress of each group declared without
an inline ``SecurityGroupEgress`` rule: CloudFormation removes that default only for inline
egress, so a separate ``AWS::EC2::SecurityGroupEgress`` resource adds a rule beside it, load-balancer listeners (port, protocol, certificate, default
action including redirects), the load balancer's scheme (internet-facing or internal), target
groups (port and protocol to the tasks), ECS container ports and VPC endpoints (which AWS
service the VPC reaches without leaving the AWS network). Each becomes one ``NetworkRule``; the
diff compares them and the findings read them.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Iterable

from wizard.cfn.evaluate import Evaluation
from wizard.iam.grants import holder_of

INGRESS, EGRESS, LISTENER, SCHEME, TARGET, CONTAINER, ENDPOINT = (
    "ingress", "egress", "listener", "scheme", "target-group", "container-port", "vpc-endpoint")

#: Kinds whose appearance opens something new (the diff calls their addition broadening).
OPENINGS = frozenset({INGRESS, EGRESS, LISTENER, TARGET, CONTAINER})

#: The detail of the rule AWS gives a VPC security group declared without inline egress rules
#: (no line of the template holds it, so its description says where it comes from).
DEFAULT_EGRESS = "default allow-all egress"


@dataclass(frozen=True)
class NetworkRule:
    """One opening: a security-group rule, a listener, a scheme, a target group or a port."""

    kind: str
    resource: str
    protocol: str = ""
    from_port: int | None = None
    to_port: int | None = None
    peer: str = ""
    detail: str = ""
    line: int | None = None

    @property
    def key(self) -> tuple:
        return (self.kind, self.resource, self.protocol, self.from_port, self.to_port, self.peer, self.detail)

    @property
    def ports(self) -> str:
        if self.from_port is None or self.from_port == -1:
            return "all"
        if self.from_port == self.to_port or self.to_port is None:
            return str(self.from_port)
        return f"{self.from_port}-{self.to_port}"

    @property
    def is_default_egress(self) -> bool:
        """AWS's allow-all egress of a group declared without inline egress (no template line)."""
        return self.kind == EGRESS and self.detail == DEFAULT_EGRESS and self.line is None

    @property
    def is_public(self) -> bool:
        """Open to the whole internet (0.0.0.0/0, ::/0) or an internet-facing scheme."""
        return self.peer in ("0.0.0.0/0", "::/0") or (self.kind == SCHEME and self.detail == "internet-facing")

    def describe(self) -> str:
        """One line a person reads, e.g. ``ingress ElbTargetSecurityGroup tcp/80 from ElbPrivateSecurityGroup``."""
        if self.kind == SCHEME:
            return f"load balancer {self.resource} is {self.detail}"
        if self.kind == LISTENER:
            return f"listener {self.resource} {self.protocol}/{self.ports} -> {self.detail}"
        if self.kind == TARGET:
            return f"target group {self.resource} {self.protocol}/{self.ports} to the tasks"
        if self.kind == CONTAINER:
            return f"container {self.detail} in {self.resource} listens on {self.protocol}/{self.ports}"
        if self.kind == ENDPOINT:
            return f"VPC endpoint {self.resource} to {self.peer} ({self.detail})"
        direction = "from" if self.kind == INGRESS else "to"
        protocol = "all traffic" if self.protocol in ("-1", "all") else f"{self.protocol}/{self.ports}"
        implicit = f" ({DEFAULT_EGRESS})" if self.is_default_egress else ""
        return f"{self.kind} {self.resource} {protocol} {direction} {self.peer or '?'}{implicit}"

    def to_json(self) -> dict:
        return {"kind": self.kind, "resource": self.resource, "protocol": self.protocol,
                "from_port": self.from_port, "to_port": self.to_port, "peer": self.peer,
                "detail": self.detail, "line": self.line, "public": self.is_public,
                "description": self.describe()}


def _port(value: Any) -> int | None:
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


def _peer(rule: dict, outbound: bool) -> str:
    for key in ("CidrIp", "CidrIpv6", "SourcePrefixListId", "DestinationPrefixListId"):
        if rule.get(key):
            return str(rule[key])
    group = rule.get("DestinationSecurityGroupId" if outbound else "SourceSecurityGroupId") \
        or rule.get("SourceSecurityGroupName")
    return holder_of(str(group)) if group else ""


def _sg_rule(kind: str, group: str, rule: dict, line: int | None) -> NetworkRule:
    protocol = str(rule.get("IpProtocol", "-1"))
    protocol = {"6": "tcp", "17": "udp", "-1": "all"}.get(protocol, protocol)
    return NetworkRule(kind=kind, resource=group, protocol=protocol, from_port=_port(rule.get("FromPort")),
                       to_port=_port(rule.get("ToPort")), peer=_peer(rule, kind == EGRESS),
                       detail=str(rule.get("Description", "")), line=line)


def default_egress(group: str) -> NetworkRule:
    """The allow-all egress AWS gives security group ``group`` when it is declared without
    inline egress rules."""
    return NetworkRule(kind=EGRESS, resource=group, protocol="all", peer="0.0.0.0/0", detail=DEFAULT_EGRESS)


def _default_action(actions: Any) -> str:
    for action in actions or []:
        if not isinstance(action, dict):
            continue
        kind = action.get("Type", "?")
        if kind == "redirect":
            config = action.get("RedirectConfig") or {}
            return f"redirect to {config.get('Protocol', '#{protocol}')}:{config.get('Port', '#{port}')}"
        if kind == "forward":
            target = action.get("TargetGroupArn") or ""
            return f"forward to {holder_of(str(target))}" if target else "forward"
        if kind == "fixed-response":
            return f"fixed response {(action.get('FixedResponseConfig') or {}).get('StatusCode', '')}".strip()
        return str(kind)
    return "no default action"


def _endpoint_detail(properties: dict) -> str:
    """``Interface, private DNS, in subnet-1, subnet-2`` or ``Gateway, on rtb-1``."""
    kind = str(properties.get("VpcEndpointType", "Gateway"))
    if kind == "Gateway":
        tables = [str(t) for t in properties.get("RouteTableIds") or []]
        return f"{kind}, on {', '.join(tables) or 'no route table'}"
    subnets = [str(s) for s in properties.get("SubnetIds") or []]
    dns = ", private DNS" if str(properties.get("PrivateDnsEnabled", "")).lower() == "true" else ""
    return f"{kind}{dns}, in {', '.join(subnets) or 'no subnet'}"


def network_rules(evaluation: Evaluation) -> list[NetworkRule]:
    """Every network opening the evaluated template creates, in template order."""
    template = evaluation.template
    rules: list[NetworkRule] = []
    for logical_id, resource in evaluation.resources(
            "AWS::EC2::SecurityGroup", "AWS::EC2::SecurityGroupIngress", "AWS::EC2::SecurityGroupEgress",
            "AWS::ElasticLoadBalancingV2::LoadBalancer", "AWS::ElasticLoadBalancingV2::Listener",
            "AWS::ElasticLoadBalancingV2::TargetGroup", "AWS::ECS::TaskDefinition",
            "AWS::EC2::VPCEndpoint").items():
        kind = resource["Type"]
        properties = resource.get("Properties") or {}
        line = template.line_of("Resources", logical_id)
        if kind == "AWS::EC2::SecurityGroup":
            for key, direction in (("SecurityGroupIngress", INGRESS), ("SecurityGroupEgress", EGRESS)):
                for index, rule in enumerate(properties.get(key) or []):
                    if isinstance(rule, dict):
                        rules.append(_sg_rule(direction, logical_id, rule,
                                              template.line_of("Resources", logical_id, "Properties", key, index)))
            if not any(isinstance(rule, dict) for rule in properties.get("SecurityGroupEgress") or []):
                rules.append(default_egress(logical_id))
        elif kind in ("AWS::EC2::SecurityGroupIngress", "AWS::EC2::SecurityGroupEgress"):
            group = holder_of(str(properties.get("GroupId") or properties.get("GroupName") or "?"))
            rules.append(_sg_rule(INGRESS if kind.endswith("Ingress") else EGRESS, group, properties, line))
        elif kind == "AWS::ElasticLoadBalancingV2::LoadBalancer":
            scheme = str(properties.get("Scheme", "internet-facing"))
            if properties.get("Type", "application") in ("application", "network", "gateway"):
                rules.append(NetworkRule(kind=SCHEME, resource=logical_id, detail=scheme, line=line))
        elif kind == "AWS::ElasticLoadBalancingV2::Listener":
            certificates = [str(c.get("CertificateArn")) for c in properties.get("Certificates") or []
                            if isinstance(c, dict) and c.get("CertificateArn")]
            detail = _default_action(properties.get("DefaultActions"))
            if certificates:
                detail += f" (certificate {', '.join(certificates)})"
            port = _port(properties.get("Port"))
            rules.append(NetworkRule(kind=LISTENER, resource=logical_id,
                                     protocol=str(properties.get("Protocol", "")), from_port=port,
                                     to_port=port, peer=holder_of(str(properties.get("LoadBalancerArn", ""))),
                                     detail=detail, line=line))
        elif kind == "AWS::ElasticLoadBalancingV2::TargetGroup":
            port = _port(properties.get("Port"))
            if port is not None:
                rules.append(NetworkRule(kind=TARGET, resource=logical_id,
                                         protocol=str(properties.get("Protocol", "")), from_port=port,
                                         to_port=port, line=line))
        elif kind == "AWS::EC2::VPCEndpoint":
            rules.append(NetworkRule(kind=ENDPOINT, resource=logical_id, peer=str(properties.get("ServiceName", "")),
                                     detail=_endpoint_detail(properties), line=line))
        elif kind == "AWS::ECS::TaskDefinition":
            for container in properties.get("ContainerDefinitions") or []:
                if not isinstance(container, dict):
                    continue
                for mapping in container.get("PortMappings") or []:
                    if not isinstance(mapping, dict):
                        continue
                    port = _port(mapping.get("ContainerPort"))
                    if port is not None:
                        rules.append(NetworkRule(kind=CONTAINER, resource=logical_id,
                                                 protocol=str(mapping.get("Protocol", "tcp")),
                                                 from_port=port, to_port=port,
                                                 detail=str(container.get("Name", "")), line=line))
    return rules


def openings(rules: Iterable[NetworkRule]) -> list[NetworkRule]:
    """The rules that let traffic in or out (everything but the scheme line)."""
    return [rule for rule in rules if rule.kind in OPENINGS]
