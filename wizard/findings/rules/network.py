"""Concerns 6 to 8 of the review and the common network checks.

Plain HTTP from the load balancer to the tasks; a load-balancer port other than 80 and 443
(which the customer's proxies and firewalls must then allow); the HTTPS certificate, which
must be an ACM certificate in the deployment region covering the host name; and the usual
catalog checks: an internet-facing load balancer, an HTTP listener that does not redirect,
security groups open to the whole internet, and API methods anyone may call.
"""

from __future__ import annotations

from wizard.arns import parse_arn
from wizard.findings.context import RuleContext
from wizard.findings.model import Hit
from wizard.findings.rules import detector
from wizard.iam.grants import holder_of
from wizard.iam.network import CONTAINER, INGRESS, LISTENER, SCHEME, TARGET, NetworkRule

STANDARD_PORTS = frozenset({80, 443})
ADMIN_PORTS = {22: "SSH", 3389: "RDP"}


def _hit(rule: NetworkRule, message: str, *facts: tuple[str, str], extra: tuple[str, ...] = ()) -> Hit:
    return Hit(subject=rule.resource, message=message, network=(rule,),
               resources=tuple(dict.fromkeys((rule.resource, *extra))),
               lines=(rule.line,) if rule.line else (), facts=facts)


def _where(rule: NetworkRule) -> str:
    return f" (line {rule.line})" if rule.line else ""


@detector("QW-NET-001")
def http_to_tasks(ctx: RuleContext):
    """One finding per plain-HTTP flow: a target group and the containers its services send it to."""
    served = _served_containers(ctx)
    linked: set[tuple[str, str]] = set()
    containers = {(r.resource, r.detail): r for r in ctx.rules if r.kind == CONTAINER and r.from_port == 80}
    for rule in ctx.rules:
        if rule.kind == TARGET and rule.protocol.upper() in ("HTTP", ""):
            ends = [containers[key] for key in served.get(rule.resource, ()) if key in containers]
            linked.update((c.resource, c.detail) for c in ends)
            to = "".join(f"; container {c.detail} of {c.resource} listens on {c.protocol}/80{_where(c)}" for c in ends)
            yield Hit(subject=rule.resource,
                      message=f"Target group {rule.resource} sends plain HTTP to the tasks on port {rule.ports}"
                              f"{_where(rule)}{to}: TLS ends at the load balancer.",
                      network=(rule, *ends), resources=tuple(dict.fromkeys((rule.resource, *(c.resource for c in ends)))),
                      lines=tuple(sorted({r.line for r in (rule, *ends) if r.line})))
    for key, rule in containers.items():
        if key not in linked:
            yield _hit(rule, f"Container {rule.detail} of {rule.resource} listens on {rule.protocol}/80 "
                             f"(plain HTTP){_where(rule)}.")


def _served_containers(ctx: RuleContext) -> dict[str, list[tuple[str, str]]]:
    """Target group -> (task definition, container) its ECS services register behind it."""
    found: dict[str, list[tuple[str, str]]] = {}
    for resource in ctx.evaluation.resources("AWS::ECS::Service").values():
        properties = resource.get("Properties") or {}
        task = holder_of(str(properties.get("TaskDefinition", "")))
        for balancer in properties.get("LoadBalancers") or []:
            if isinstance(balancer, dict) and balancer.get("TargetGroupArn"):
                group = holder_of(str(balancer["TargetGroupArn"]))
                found.setdefault(group, []).append((task, str(balancer.get("ContainerName", ""))))
    return found


def _load_balancer_groups(ctx: RuleContext) -> dict[str, str]:
    """Security group logical id -> the load balancer it is attached to."""
    found = {}
    for logical_id, resource in ctx.evaluation.resources("AWS::ElasticLoadBalancingV2::LoadBalancer").items():
        groups = (resource.get("Properties") or {}).get("SecurityGroups") or []
        for group in groups if isinstance(groups, list) else []:
            found[holder_of(str(group))] = logical_id
    return found


def _standard(rule: NetworkRule) -> bool:
    """Whether a security-group rule opens exactly port 80 or 443 over TCP."""
    if rule.protocol not in ("tcp", "6") or rule.from_port is None:
        return False
    high = rule.to_port if rule.to_port is not None else rule.from_port
    return rule.from_port == high and rule.from_port in STANDARD_PORTS


@detector("QW-NET-002")
def non_standard_port(ctx: RuleContext):
    """One finding per non-standard port of a load balancer: its listener and the group rules that admit it."""
    balancers = _load_balancer_groups(ctx)
    openings = [r for r in ctx.rules if r.kind == INGRESS and r.resource in balancers and not _standard(r)]
    claimed: set[NetworkRule] = set()
    for rule in ctx.rules:
        if rule.kind == LISTENER and rule.from_port is not None and rule.from_port not in STANDARD_PORTS:
            admits = [o for o in openings if balancers[o.resource] == rule.peer and o.from_port is not None
                      and o.from_port <= rule.from_port <= (o.to_port if o.to_port is not None else o.from_port)]
            claimed.update(admits)
            where = "".join(f"; security group {o.resource} admits it from {o.peer or '?'}{_where(o)}" for o in admits)
            yield Hit(subject=rule.resource,
                      message=f"Listener {rule.resource} accepts {rule.protocol} on port {rule.ports}{_where(rule)}"
                              f"{where}: clients, proxies and firewalls must allow a port other than 80 and 443.",
                      network=(rule, *admits), resources=tuple(dict.fromkeys((rule.resource, *(o.resource for o in admits)))),
                      lines=tuple(sorted({r.line for r in (rule, *admits) if r.line})), facts=(("port", rule.ports),))
    listener_ports = {r.from_port for r in ctx.rules if r.kind == LISTENER}
    for rule in openings:
        if rule in claimed:
            continue
        listening = rule.from_port in listener_ports
        yield _hit(rule, f"Security group {rule.resource} of load balancer {balancers[rule.resource]} admits "
                         f"{rule.protocol}/{rule.ports} from {rule.peer or '?'}{_where(rule)}"
                         + ("" if listening else "; no listener of this template uses that port") + ".",
                   ("port", rule.ports), extra=(balancers[rule.resource],))


def _certificates(ctx: RuleContext, rule: NetworkRule) -> list[tuple[str, str | None]]:
    """(certificate ARN, parameter it comes from) for a listener."""
    resource = ctx.evaluation.resource(rule.resource) or {}
    resolved = (resource.get("Properties") or {}).get("Certificates") or []
    raw = ((ctx.template.resources.get(rule.resource) or {}).get("Properties") or {}).get("Certificates") or []
    found = []
    for index, item in enumerate(resolved if isinstance(resolved, list) else []):
        if not isinstance(item, dict) or not item.get("CertificateArn"):
            continue
        source = raw[index].get("CertificateArn") if index < len(raw) and isinstance(raw[index], dict) else None
        parameter = source.get("Ref") if isinstance(source, dict) and isinstance(source.get("Ref"), str) else None
        found.append((str(item["CertificateArn"]), parameter))
    return found


def _secure_listeners(ctx: RuleContext):
    for rule in ctx.rules:
        if rule.kind == LISTENER and rule.protocol.upper() in ("HTTPS", "TLS"):
            yield rule


@detector("QW-NET-003")
def certificate_checklist(ctx: RuleContext):
    region = ctx.pseudo.region
    for rule in _secure_listeners(ctx):
        for arn, parameter in _certificates(ctx, rule):
            origin = f" (parameter {parameter})" if parameter else ""
            yield _hit(rule, f"Listener {rule.resource} ({rule.protocol}/{rule.ports}) presents certificate "
                             f"{arn}{origin}: it must be an issued ACM certificate in {region} whose names "
                             f"cover the host name clients use.",
                       ("certificate", arn), ("region", region), ("parameter", parameter or ""))


@detector("QW-NET-004")
def certificate_other_region(ctx: RuleContext):
    region = ctx.pseudo.region
    for rule in _secure_listeners(ctx):
        for arn, parameter in _certificates(ctx, rule):
            parts = parse_arn(arn)
            if parts and parts.service == "acm" and parts.region and parts.region != region:
                yield _hit(rule, f"Listener {rule.resource} names certificate {arn}"
                                 + (f" (parameter {parameter})" if parameter else "")
                                 + f", which lives in {parts.region}; the stack deploys to {region}, where a load "
                                   f"balancer cannot use it.",
                           ("certificate", arn), ("region", region))


@detector("QW-NET-005")
def internet_facing(ctx: RuleContext):
    for rule in ctx.rules:
        if rule.kind == SCHEME and rule.is_public:
            yield _hit(rule, f"Load balancer {rule.resource} is internet-facing{_where(rule)}: its listeners are "
                             f"reachable from any address its security groups admit.")


@detector("QW-NET-006")
def http_without_redirect(ctx: RuleContext):
    for rule in ctx.rules:
        if rule.kind == LISTENER and rule.protocol.upper() == "HTTP" and not rule.detail.startswith("redirect to HTTPS"):
            yield _hit(rule, f"Listener {rule.resource} serves plain HTTP on port {rule.ports} and its default "
                             f"action is '{rule.detail}', not a redirect to HTTPS{_where(rule)}.")


@detector("QW-NET-007")
def open_to_internet(ctx: RuleContext):
    public_balancers = {r.resource for r in ctx.rules if r.kind == SCHEME and r.is_public}
    balancers = {group: lb for group, lb in _load_balancer_groups(ctx).items() if lb in public_balancers}
    for rule in ctx.rules:
        if rule.kind != INGRESS or not rule.is_public:
            continue
        if rule.resource in balancers and _standard(rule):
            continue
        admin = [name for port, name in ADMIN_PORTS.items()
                 if rule.from_port is None or rule.protocol in ("all", "-1")
                 or (rule.from_port <= port <= (rule.to_port if rule.to_port is not None else rule.from_port))]
        note = f", including remote administration ({', '.join(admin)})" if admin else ""
        yield _hit(rule, f"Security group {rule.resource} admits {rule.protocol}/{rule.ports} from {rule.peer}, "
                         f"the whole internet{note}{_where(rule)}.")


@detector("QW-NET-008")
def api_without_authorization(ctx: RuleContext):
    ev = ctx.evaluation
    for logical_id, resource in ev.resources("AWS::ApiGateway::Method").items():
        properties = resource.get("Properties") or {}
        if str(properties.get("HttpMethod", "")).upper() == "OPTIONS":
            continue
        if str(properties.get("AuthorizationType", "NONE")).upper() != "NONE":
            continue
        if str(properties.get("ApiKeyRequired", "false")).lower() == "true":
            continue
        api = holder_of(str(properties.get("RestApiId", "")))
        api_resource = ev.resource(api) or {}
        types = ((api_resource.get("Properties") or {}).get("EndpointConfiguration") or {}).get("Types") or []
        if "PRIVATE" in [str(t).upper() for t in types]:
            continue
        line = ctx.line(logical_id)
        yield Hit(subject=logical_id,
                  message=f"API method {logical_id} ({properties.get('HttpMethod', '?')}) of {api} needs no "
                          f"authorization and no API key" + (f" (line {line})" if line else "")
                          + f"; the API's endpoint type is {', '.join(map(str, types)) or 'EDGE'}.",
                  resources=(logical_id, api) if api else (logical_id,), lines=(line,) if line else ())
