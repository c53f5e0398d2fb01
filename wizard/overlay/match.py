"""Finding what an overlay rule acts on, by meaning rather than by logical id or line.

The next vendor release renames resources and reorders statements; a rule that said "statement
9 of AmazonECSTaskExecutionRole" would silently miss. So each predicate here describes the
thing itself: an Allow statement holding ``iam:CreatePolicy`` in a role an AWS service assumes,
a statement granting S3 actions on ``*`` to a role that holds a run-time placeholder policy, a
trust statement naming a literal account, a security-group rule on a port that no listener,
target group or container uses. Predicates read the raw (unevaluated) template body: literal
strings are compared, intrinsics are carried along untouched. Matching only searches: it never
changes the body (every change is an edit, ``wizard.overlay.edits``).

Every match records its place in the body (for the edits) and a label a person reads (for the
report and the provenance). A policy's ``Statement`` written as one mapping counts as a list of
one (its statement is at index 0): the edits make it that list before they act on a match.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from enum import StrEnum
from typing import Any, Iterator

from wizard.iam.bucket_access import purposes
from wizard.iam.wildcards import action_matches
from wizard.memo import memo



class MatchKind(StrEnum):
    """What a match is (its value is what the provenance and ``harden --json`` show)."""

    STATEMENT = "statement"
    TRUST = "trust"
    ROLE = "role"
    POLICY = "managed-policy"
    PORT_RULE = "port-rule"
    TEMPLATE = "template"
    RESOURCE = "resource"
    GROUP = "security-group"
    LOAD_BALANCER = "load-balancer"
    CONTAINER = "container-command"


(STATEMENT, TRUST, ROLE, POLICY, PORT_RULE, TEMPLATE, RESOURCE, GROUP, LOAD_BALANCER,
 CONTAINER) = MatchKind

#: Actions that write an IAM managed policy or its versions (what a run-time placeholder needs).
POLICY_VERSION_WRITES = ("iam:CreatePolicyVersion", "iam:SetDefaultPolicyVersion")

_ACCOUNT = re.compile(r"(^|:)\d{12}(:|$)")


@dataclass(frozen=True)
class Match:
    """One thing a step acts on: where it is, who holds it, and how a person names it."""

    kind: MatchKind
    path: tuple
    label: str
    holders: tuple[str, ...] = ()
    detail: tuple[str, ...] = ()

    def to_json(self) -> dict:
        return {"kind": self.kind.value, "at": "/".join(str(p) for p in self.path), "label": self.label,
                "holders": list(self.holders), "detail": list(self.detail)}


def literals(value: Any) -> list[str]:
    """The literal strings of a value (a string or a list of them); intrinsics are skipped."""
    if isinstance(value, str):
        return [value]
    if isinstance(value, list):
        return [v for v in value if isinstance(v, str)]
    return []


def referenced(value: Any) -> str | None:
    """``X`` for ``{"Ref": X}`` or ``{"Fn::GetAtt": [X, ...]}``; None otherwise."""
    if isinstance(value, dict) and len(value) == 1:
        if "Ref" in value and isinstance(value["Ref"], str):
            return value["Ref"]
        target = value.get("Fn::GetAtt")
        if isinstance(target, list) and target and isinstance(target[0], str):
            return target[0]
        if isinstance(target, str):
            return target.split(".", 1)[0]
    return None


def references(value: Any) -> list[dict]:
    """Every ``Ref``/``Fn::GetAtt`` inside a value, however deeply it is computed."""
    if isinstance(value, dict):
        if referenced(value):
            return [value]
        return [r for v in value.values() for r in references(v)]
    if isinstance(value, list):
        return [r for v in value for r in references(v)]
    return []


_SUB_NAME = re.compile(r"\$\{([A-Za-z0-9]+)(?:\.[A-Za-z0-9.]+)?\}")


def names_in(value: Any) -> set[str]:
    """The logical ids and parameters a value names: ``Ref``, ``Fn::GetAtt``, ``${X}`` in ``Fn::Sub``."""
    found = {n for r in references(value) if (n := referenced(r))}
    for text in _sub_texts(value):
        found |= set(_SUB_NAME.findall(text))
    return found


def _sub_texts(value: Any) -> list[str]:
    if isinstance(value, dict):
        sub = value.get("Fn::Sub")
        texts = [sub] if isinstance(sub, str) else [sub[0]] if isinstance(sub, list) and sub and isinstance(sub[0], str) else []
        return texts + [t for k, v in value.items() if k != "Fn::Sub" for t in _sub_texts(v)]
    if isinstance(value, list):
        return [t for v in value for t in _sub_texts(v)]
    return []


def canonical(value: Any) -> str:
    """A comparable text form of a raw value (a literal or an intrinsic)."""
    return json.dumps(value, sort_keys=True)


def text_of(value: Any) -> str:
    """The text of a literal or of an ``Fn::Sub`` template (for suffix tests), else ''."""
    if isinstance(value, str):
        return value
    if isinstance(value, dict) and "Fn::Sub" in value:
        sub = value["Fn::Sub"]
        return sub if isinstance(sub, str) else (sub[0] if isinstance(sub, list) and sub and isinstance(sub[0], str) else "")
    return ""


def as_items(value: Any) -> list:
    return value if isinstance(value, list) else ([] if value is None else [value])


def overlaps(patterns: list[str] | tuple[str, ...], actions: list[str]) -> list[str]:
    """The statement's actions that a pattern covers, or that cover a pattern (``iam:*``)."""
    return [a for a in actions if _overlap(tuple(patterns), a)]


@memo(maxsize=4096)
def _overlap(patterns: tuple[str, ...], action: str) -> bool:
    return any(action_matches(p, action) or action_matches(action, p) for p in patterns)


def is_statement(value: Any) -> bool:
    return isinstance(value, dict) and "Effect" in value


class TemplateIndex:
    """Who holds which policy in a template body, computed once per step."""

    def __init__(self, body: dict):
        self.body = body
        self.resources: dict = body.get("Resources") or {}

    def of_type(self, *types: str) -> Iterator[tuple[str, dict]]:
        for logical_id, resource in self.resources.items():
            if isinstance(resource, dict) and resource.get("Type") in types:
                yield logical_id, resource

    # --- identity statements -------------------------------------------------------------
    def statement_lists(self) -> Iterator[tuple[tuple, str, tuple[str, ...]]]:
        """(path of a Statement list, label, holders) of every identity policy document."""
        attached: dict[str, list[str]] = {}
        for role, resource in self.of_type("AWS::IAM::Role"):
            for arn in references((resource.get("Properties") or {}).get("ManagedPolicyArns")):
                attached.setdefault(referenced(arn), []).append(role)
        for logical_id, resource in self.resources.items():
            if not isinstance(resource, dict):
                continue
            properties = resource.get("Properties") or {}
            kind = resource.get("Type")
            if kind == "AWS::IAM::Role":
                for i, policy in enumerate(as_items(properties.get("Policies"))):
                    if isinstance(policy, dict) and isinstance(policy.get("PolicyDocument"), dict):
                        path = ("Resources", logical_id, "Properties", "Policies", i, "PolicyDocument")
                        name = policy.get("PolicyName") if isinstance(policy.get("PolicyName"), str) else str(i)
                        yield self._listed(path), f"{logical_id}/{name}", (logical_id,)
            elif kind in ("AWS::IAM::ManagedPolicy", "AWS::IAM::Policy") and isinstance(
                    properties.get("PolicyDocument"), dict):
                holders = [referenced(r) or "" for r in as_items(properties.get("Roles"))]
                holders += attached.get(logical_id, [])
                path = ("Resources", logical_id, "Properties", "PolicyDocument")
                yield self._listed(path), logical_id, tuple(dict.fromkeys(h for h in holders if h))

    def _listed(self, document_path: tuple) -> tuple:
        """The path of the document's Statement (a mapping the vendor wrote counts as a list of one:
        the edits make it one before they act, ``wizard.overlay.edits.listed_statements``)."""
        return (*document_path, "Statement")

    def statement_list(self, list_path: tuple) -> Any:
        """The statements at ``list_path`` as a list (one mapping read as a list of one), or the
        computed value as it is."""
        listed = self.at(list_path[:-1]).get("Statement")
        return [listed] if isinstance(listed, dict) else listed

    def at(self, path: tuple) -> Any:
        node: Any = self.body
        for step in path:
            node = node[step]
        return node

    def statements(self) -> Iterator[tuple[tuple, str, tuple[str, ...], dict]]:
        """(path, label, holders, statement) of every plain Allow identity statement."""
        for list_path, label, holders in self.statement_lists():
            listed = self.statement_list(list_path)
            if not isinstance(listed, list):
                continue  # a computed statement list: nothing to read by meaning
            for j, statement in enumerate(listed):
                if is_statement(statement) and statement.get("Effect") == "Allow":
                    yield (*list_path, j), f"{label}#{j}", holders, statement

    # --- who holds or rewrites run-time policies ----------------------------------------
    def placeholders(self) -> set[str]:
        """Managed policies that grant nothing until filled at run time (Allow + NotResource '*')."""
        found = set()
        for logical_id, resource in self.of_type("AWS::IAM::ManagedPolicy"):
            document = (resource.get("Properties") or {}).get("PolicyDocument") or {}
            statements = as_items(document.get("Statement")) if isinstance(document, dict) else []
            if statements and all(is_statement(s) and s.get("Effect") == "Allow" and "*" in literals(s.get("NotResource"))
                                  for s in statements):
                found.add(logical_id)
        return found

    def rewritten(self) -> tuple[set[str], set[str]]:
        """(canonical ARNs of policies some role may re-version, the roles that may)."""
        targets: set[str] = set()
        writers: set[str] = set()
        for _path, _label, holders, statement in self.statements():
            if overlaps(POLICY_VERSION_WRITES, literals(statement.get("Action"))):
                targets |= {canonical(r) for r in as_items(statement.get("Resource"))}
                writers |= set(holders)
        return targets, writers

    def run_time_policies(self) -> set[str]:
        """Canonical ARNs (``{"Ref": X}``) of policies rewritten at run time or filled later."""
        targets, _writers = self.rewritten()
        return targets | {canonical({"Ref": p}) for p in self.placeholders()}

    def run_time_holders(self) -> set[str]:
        """Roles that hold a run-time policy (attached by ARN or by the policy's Roles)."""
        policies = self.run_time_policies()
        holders = set()
        for role, resource in self.of_type("AWS::IAM::Role"):
            arns = as_items((resource.get("Properties") or {}).get("ManagedPolicyArns"))
            if any(canonical(a) in policies for a in arns + references(arns)):
                holders.add(role)
        for logical_id, resource in self.of_type("AWS::IAM::ManagedPolicy"):
            if canonical({"Ref": logical_id}) in policies:
                holders |= {referenced(r) for r in as_items((resource.get("Properties") or {}).get("Roles"))
                            if referenced(r)}
        return holders

    def versioned_in_place(self) -> list[dict]:
        """A ``Ref`` to each existing policy the stack versions at run time outside its policy
        path: the template's run-time policies at the root path, and a policy ARN given as a
        parameter (the split template's), which the guardrail lets be versioned where it is."""
        found = [{"Ref": m.path[-1]} for m in _managed_policies(self, {"path": "outside-stack-path"})]
        parameters = self.body.get("Parameters") or {}
        targets, _writers = self.rewritten()
        for target in sorted(targets):
            name = referenced(json.loads(target))
            if name in parameters and {"Ref": name} not in found:
                found.append({"Ref": name})
        return found

    def service_trusted(self) -> set[str]:
        roles = set()
        for role, resource in self.of_type("AWS::IAM::Role"):
            document = (resource.get("Properties") or {}).get("AssumeRolePolicyDocument") or {}
            for statement in as_items(document.get("Statement") if isinstance(document, dict) else None):
                principal = statement.get("Principal") if is_statement(statement) else None
                if isinstance(principal, dict) and literals(principal.get("Service")):
                    roles.add(role)
        return roles


def external(principal: str) -> bool:
    """A literal AWS principal outside the stack's account: a 12-digit account in it, or ``*``."""
    return principal == "*" or bool(_ACCOUNT.search(principal)) or principal.isdigit()


def _statements(index: TemplateIndex, spec: dict) -> list[Match]:
    holder = spec.get("holder", "any")
    wanted = {"any": None, "service-trusted-role": index.service_trusted,
              "bucket-connecting-role": index.run_time_holders}[holder]
    allowed = wanted() if wanted else None
    found = []
    for path, label, holders, statement in index.statements():
        actions = literals(statement.get("Action"))
        if spec.get("actions") and not overlaps(spec["actions"], actions):
            continue
        resources = as_items(statement.get("Resource"))
        if spec.get("resource") == "*" and "*" not in resources:
            continue
        if spec.get("resource_kind") and not any(text_of(r).endswith(":" + spec["resource_kind"]) for r in resources):
            continue
        if spec.get("names") and not any(spec["names"] in names_in(r) for r in resources):
            continue
        if allowed is not None and not (set(holders) & allowed):
            continue
        chosen = overlaps(spec["actions"], actions) if spec.get("actions") else actions
        found.append(Match(STATEMENT, path, label, tuple(h for h in holders if allowed is None or h in allowed),
                           tuple(chosen)))
    return found


def _trust_statements(index: TemplateIndex, spec: dict) -> list[Match]:
    found = []
    for role, resource in index.of_type("AWS::IAM::Role"):
        document = (resource.get("Properties") or {}).get("AssumeRolePolicyDocument")
        if not isinstance(document, dict):
            continue
        list_path = index._listed(("Resources", role, "Properties", "AssumeRolePolicyDocument"))
        listed = index.statement_list(list_path)
        for j, statement in enumerate(listed if isinstance(listed, list) else []):
            if not is_statement(statement) or statement.get("Effect") != "Allow":
                continue
            principal = statement.get("Principal")
            if spec["principal"] == "service":
                services = literals(principal.get("Service")) if isinstance(principal, dict) else []
                if services:
                    found.append(Match(TRUST, (*list_path, j), f"{role} trust #{j}", (role,), tuple(services)))
            else:
                members = literals(principal.get("AWS")) if isinstance(principal, dict) else literals(principal)
                outside = [m for m in members if external(m)]
                if outside:
                    found.append(Match(TRUST, (*list_path, j), f"{role} trust #{j}", (role,), tuple(outside)))
    return found


def _roles(index: TemplateIndex, spec: dict) -> list[Match]:
    _targets, writers = index.rewritten()
    roles = sorted(index.run_time_holders() | writers, key=list(index.resources).index)
    return [Match(ROLE, ("Resources", r), r, (r,),
                  ("rewrites run-time policies",) if r in writers else ("holds a run-time policy",))
            for r in roles if r in index.resources]


def _managed_policies(index: TemplateIndex, spec: dict) -> list[Match]:
    policies = index.run_time_policies()
    purpose_of = purposes(index.body) if spec.get("purpose") else None
    found = []
    for logical_id, resource in index.of_type("AWS::IAM::ManagedPolicy"):
        if canonical({"Ref": logical_id}) not in policies:
            continue
        properties = resource.get("Properties") or {}
        if spec.get("path") == "outside-stack-path" and properties.get("Path") not in (None, "/"):
            continue
        document = properties.get("PolicyDocument")
        actions = [a for s in as_items(document.get("Statement") if isinstance(document, dict) else None)
                   if is_statement(s) for a in literals(s.get("Action"))]
        if spec.get("grant") == "s3" and not overlaps(["s3:*"], actions):
            continue
        if purpose_of is not None and purpose_of(logical_id) != spec["purpose"]:
            continue
        found.append(Match(POLICY, ("Resources", logical_id), logical_id, (), tuple(actions)))
    return found


def _load_balancers(index: TemplateIndex, spec: dict) -> list[Match]:
    return [Match(LOAD_BALANCER, ("Resources", logical_id), logical_id, (), (spec["scheme"],))
            for logical_id, resource in index.of_type("AWS::ElasticLoadBalancingV2::LoadBalancer")
            if (resource.get("Properties") or {}).get("Scheme", "internet-facing") == spec["scheme"]]


def _ports_in_use(index: TemplateIndex) -> set[int]:
    used: set[int] = set()

    def add(value: Any) -> None:
        try:
            used.add(int(value))
        except (TypeError, ValueError):
            pass

    for _id, resource in index.of_type("AWS::ElasticLoadBalancingV2::Listener",
                                      "AWS::ElasticLoadBalancingV2::TargetGroup"):
        add((resource.get("Properties") or {}).get("Port"))
    for _id, resource in index.of_type("AWS::ECS::TaskDefinition"):
        for container in as_items((resource.get("Properties") or {}).get("ContainerDefinitions")):
            for mapping in as_items(container.get("PortMappings") if isinstance(container, dict) else None):
                if isinstance(mapping, dict):
                    add(mapping.get("ContainerPort"))
                    add(mapping.get("HostPort"))
    return used


def _port_rules(index: TemplateIndex, spec: dict) -> list[Match]:
    used = _ports_in_use(index)
    balancer_groups = {referenced(g) for _id, lb in index.of_type("AWS::ElasticLoadBalancingV2::LoadBalancer")
                       for g in as_items((lb.get("Properties") or {}).get("SecurityGroups"))}
    balancer_groups.discard(None)

    def orphan(rule: dict, group: str) -> int | None:
        try:
            low, high = int(rule.get("FromPort")), int(rule.get("ToPort"))
        except (TypeError, ValueError):
            return None
        peer = referenced(rule.get("SourceSecurityGroupId") or rule.get("DestinationSecurityGroupId"))
        if low != high or low in used or not ({group, peer} & balancer_groups):
            return None
        return low

    found = []
    for group, resource in index.of_type("AWS::EC2::SecurityGroup"):
        for key in ("SecurityGroupIngress", "SecurityGroupEgress"):
            for i, rule in enumerate(as_items((resource.get("Properties") or {}).get(key))):
                port = orphan(rule, group) if isinstance(rule, dict) else None
                if port is not None:
                    found.append(Match(PORT_RULE, ("Resources", group, "Properties", key, i),
                                       f"{group} {key[len('SecurityGroup'):].lower()} tcp/{port}", (group,), (str(port),)))
    for logical_id, resource in index.of_type("AWS::EC2::SecurityGroupIngress", "AWS::EC2::SecurityGroupEgress"):
        properties = resource.get("Properties") or {}
        port = orphan(properties, referenced(properties.get("GroupId")) or "")
        if port is not None:
            found.append(Match(PORT_RULE, ("Resources", logical_id), f"{logical_id} tcp/{port}",
                               (logical_id,), (str(port),)))
    return found


def _template(index: TemplateIndex, spec: dict) -> list[Match]:
    kind = spec["lacks_type"]
    if any(True for _ in index.of_type(kind)):
        return []
    if spec.get("has_parameter") and spec["has_parameter"] not in (index.body.get("Parameters") or {}):
        return []
    return [Match(TEMPLATE, (), f"the template creates no {kind}", (), (kind,))]


def _resources(index: TemplateIndex, spec: dict) -> list[Match]:
    return [Match(RESOURCE, ("Resources", logical_id), logical_id, (), (spec["type"],))
            for logical_id, _resource in index.of_type(spec["type"])]


#: Where a workload (a service, a scheduled task, a function) names its security groups and subnets.
_WORKLOAD_NETWORK = {
    "AWS::ECS::Service": (("NetworkConfiguration", "AwsvpcConfiguration"), "SecurityGroups", "Subnets"),
    "AWS::Lambda::Function": (("VpcConfig",), "SecurityGroupIds", "SubnetIds"),
}


def workload_networks(body: dict) -> list[tuple[list[str], Any]]:
    """(security groups the template creates, subnets value) of every workload placed in a VPC:
    ECS services, functions and the ECS tasks EventBridge rules start."""
    index = TemplateIndex(body)
    found: list[tuple[list[str], Any]] = []

    def add(config: Any, groups_key: str, subnets_key: str) -> None:
        if isinstance(config, dict) and config.get(subnets_key) is not None:
            groups = [referenced(g) for g in as_items(config.get(groups_key))]
            found.append(([g for g in groups if g in index.resources], config[subnets_key]))

    for kind, (path, groups_key, subnets_key) in _WORKLOAD_NETWORK.items():
        for _id, resource in index.of_type(kind):
            config: Any = resource.get("Properties") or {}
            for step in path:
                config = config.get(step) if isinstance(config, dict) else None
            add(config, groups_key, subnets_key)
    for _id, resource in index.of_type("AWS::Events::Rule"):
        for target in as_items((resource.get("Properties") or {}).get("Targets")):
            ecs = target.get("EcsParameters") if isinstance(target, dict) else None
            network = (ecs.get("NetworkConfiguration") or {}) if isinstance(ecs, dict) else {}
            add(network.get("AwsVpcConfiguration") if isinstance(network, dict) else None,
                "SecurityGroups", "Subnets")
    return found


def _reaches_anywhere_on_443(rule: Any) -> bool:
    if not isinstance(rule, dict) or rule.get("CidrIp") != "0.0.0.0/0":
        return False
    protocol = str(rule.get("IpProtocol", ""))
    if protocol in ("-1", "all"):
        return True
    try:
        return protocol in ("tcp", "6") and int(rule.get("FromPort")) <= 443 <= int(rule.get("ToPort"))
    except (TypeError, ValueError):
        return False


def _security_groups(index: TemplateIndex, spec: dict) -> list[Match]:
    """Security groups through which the stack's workloads call AWS APIs: egress to anywhere on
    443, attached to a workload placed in subnets, in a VPC the template names."""
    egress: dict[str, bool] = {}
    for group, resource in index.of_type("AWS::EC2::SecurityGroup"):
        rules = as_items((resource.get("Properties") or {}).get("SecurityGroupEgress"))
        egress[group] = any(_reaches_anywhere_on_443(r) for r in rules)
    for _id, resource in index.of_type("AWS::EC2::SecurityGroupEgress"):
        properties = resource.get("Properties") or {}
        group = referenced(properties.get("GroupId"))
        if group in egress and _reaches_anywhere_on_443(properties):
            egress[group] = True
    used = {g for groups, _subnets in workload_networks(index.body) for g in groups}
    found = []
    for group, resource in index.of_type("AWS::EC2::SecurityGroup"):
        if egress.get(group) and group in used and (resource.get("Properties") or {}).get("VpcId") is not None:
            found.append(Match(GROUP, ("Resources", group), group, (group,), ("egress to anywhere on 443",)))
    return found


def _container_commands(index: TemplateIndex, spec: dict) -> list[Match]:
    """Container commands of ECS task definitions that run one of the named scripts (a shell
    ``&&`` chain, as the vendor's migration task runs its scripts)."""
    found = []
    for task, resource in index.of_type("AWS::ECS::TaskDefinition"):
        containers = (resource.get("Properties") or {}).get("ContainerDefinitions")
        for i, container in enumerate(as_items(containers)):
            command = container.get("Command") if isinstance(container, dict) else None
            texts = [t for c in as_items(command) for t in ([c] if isinstance(c, str) else _sub_texts(c))]
            runs = [s for s in spec["runs"] if any(re.search(rf"(^|[/\s]){re.escape(s)}(\s|$)", t) for t in texts)]
            if runs:
                name = container.get("Name") if isinstance(container.get("Name"), str) else str(i)
                found.append(Match(CONTAINER, ("Resources", task, "Properties", "ContainerDefinitions", i, "Command"),
                                   f"{task}/{name}", (task,), tuple(runs)))
    return found


_KINDS = {"statements": _statements, "trust_statements": _trust_statements, "roles": _roles,
          "managed_policies": _managed_policies, "port_rules": _port_rules, "template": _template,
          "load_balancers": _load_balancers, "resources": _resources, "security_groups": _security_groups,
          "container_commands": _container_commands}


def find(body: dict, spec: dict) -> list[Match]:
    """Everything in ``body`` that the match ``spec`` (one kind, with its filters) describes."""
    (kind, filters), = spec.items()
    return _KINDS[kind](TemplateIndex(body), filters or {})
