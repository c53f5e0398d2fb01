"""What the deployed template says each principal and resource should hold, with AWS's names.

The deployed template and its parameters are evaluated exactly as before a deployment
(``wizard.cfn``) and their grants extracted (``wizard.iam.grants.extract``). The evaluation
knows deployed-only values as symbols (``${RegistryRole.Arn}``, a managed policy's ARN built
from its logical id); :class:`Physical` replaces them with what the stack's resources are
really called (DescribeStackResources, and the ARNs IAM gave the roles). The grants are then
grouped back into the carriers AWS stores them in: a principal's inline policy, a managed
policy (by ARN), its attachments, a role's trust policy and permissions boundary, a bucket,
topic, queue or key policy. Each carrier's statements are in :mod:`.statements`' normal form.
"""

from __future__ import annotations

import re
from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

from wizard.audit.holdings import DeployedStack, Holdings
from wizard.audit.statements import Statement, from_grants, normalize, parse_document
from wizard.cfn.evaluate import Evaluation
from wizard.cfn.parameters import resolve_parameters
from wizard.cfn.pseudo import Pseudo
from wizard.cfn.template import Template, parse_template
from wizard.iam.grants import BOUNDARY, IDENTITY, RESOURCE, TRUST, UNATTACHED, Grant, extract
from wizard.lists import as_list

HOLDER_TYPES = {"AWS::IAM::Role": "role", "AWS::IAM::User": "user", "AWS::IAM::Group": "group"}
RESOURCE_POLICY_TYPES = {
    "AWS::S3::BucketPolicy": "Bucket",
    "AWS::SNS::TopicPolicy": "Topics",
    "AWS::SQS::QueuePolicy": "Queues",
    "AWS::KMS::Key": None,
}
_TOKEN = re.compile(r"\$\{([A-Za-z0-9]+)(?:\.([A-Za-z0-9.]+))?\}")


class Physical:
    """Turns the evaluation's symbols into the names and ARNs the deployed stack really has."""

    def __init__(self, stack: DeployedStack, evaluation: Evaluation, role_arns: dict[str, str]):
        self.stack = stack
        pseudo = evaluation.pseudo
        self.partition = pseudo.partition
        self.exact: dict[str, str] = {pseudo.value("AWS::StackId"): stack.stack_id}
        self.refs: dict[str, str] = {}
        self.attributes: dict[tuple[str, str], str] = {}
        region, account, partition = stack.region, stack.account_id, self.partition
        for resource in stack.resources:
            logical, physical = resource.logical_id, resource.physical_id
            if logical not in evaluation.template.resources or not physical:
                continue
            self.refs[logical] = physical
            arn = None
            if resource.type in HOLDER_TYPES:
                arn = role_arns.get(logical)
            elif resource.type == "AWS::IAM::ManagedPolicy":
                self.exact[evaluation.ref_token(logical)] = physical
            elif resource.type == "AWS::S3::Bucket":
                arn = f"arn:{partition}:s3:::{physical}"
            elif resource.type == "AWS::SQS::Queue":
                name = physical.rstrip("/").rsplit("/", 1)[-1]
                arn = f"arn:{partition}:sqs:{region}:{account}:{name}"
                self.attributes[(logical, "QueueName")] = name
            elif resource.type == "AWS::SNS::Topic":
                arn = physical
                self.attributes[(logical, "TopicArn")] = physical
                self.attributes[(logical, "TopicName")] = physical.rsplit(":", 1)[-1]
            elif resource.type == "AWS::Lambda::Function":
                arn = f"arn:{partition}:lambda:{region}:{account}:function:{physical}"
            elif resource.type == "AWS::KMS::Key":
                arn = f"arn:{partition}:kms:{region}:{account}:key/{physical}"
                self.attributes[(logical, "KeyId")] = physical
            elif physical.startswith("arn:"):
                arn = physical
            if arn:
                self.attributes[(logical, "Arn")] = arn

    def __call__(self, text: str) -> str:
        """``text`` with every symbol of a deployed resource replaced by its physical value."""
        if text in self.exact:
            return self.exact[text]
        if "${" not in text:
            return text

        def replace(match: re.Match[str]) -> str:
            logical, attribute = match.group(1), match.group(2)
            if attribute is None:
                return self.refs.get(logical, match.group(0))
            return self.attributes.get((logical, attribute), match.group(0))

        return _TOKEN.sub(replace, text)


@dataclass
class Carrier:
    """Where AWS stores some statements, and the statements the template puts there."""

    kind: str
    """``inline``, ``managed``, ``trust`` or ``resource``."""
    holder: str
    """The principal's or resource's logical id (for ``managed``: the policy's logical id)."""
    name: str
    """The inline policy's name, the managed policy's ARN, the resource's physical id."""
    statements: list[Statement] = field(default_factory=list)
    grants: list[Grant] = field(default_factory=list)
    type: str = ""

    @property
    def placeholder(self) -> bool:
        """A managed policy that, as deployed, grants nothing: it is filled at run time."""
        return self.kind == "managed" and bool(self.statements) and all(
            s.grants_nothing for s in self.statements)

    @property
    def intended_actions(self) -> tuple[str, ...]:
        """The actions a placeholder was declared for (its ``Action`` list)."""
        return tuple(sorted({a for s in self.statements for a in s.actions}))


@dataclass
class Expected:
    """The deployed template's grants, grouped into the carriers AWS holds them in."""

    template: Template
    evaluation: Evaluation
    grants: list[Grant]
    physical: Physical
    inline: dict[tuple[str, str], Carrier] = field(default_factory=dict)
    managed: dict[str, Carrier] = field(default_factory=dict)
    attachments: dict[str, set[str]] = field(default_factory=lambda: defaultdict(set))
    trust: dict[str, Carrier] = field(default_factory=dict)
    resource: dict[str, Carrier] = field(default_factory=dict)
    boundaries: dict[str, str | None] = field(default_factory=dict)
    not_compared: list[str] = field(default_factory=list)

    def managed_by_arn(self, arn: str) -> Carrier | None:
        for carrier in self.managed.values():
            if carrier.name == arn:
                return carrier
        return None


def evaluate_deployed(stack: DeployedStack) -> Evaluation:
    """The deployed template evaluated for the stack's own parameters and pseudo parameters.

    NoEcho parameters are left out (CloudFormation masks them and no IAM statement should
    depend on a secret): they take their default or stay named placeholders.
    """
    template = parse_template(stack.template_body, f"stack {stack.name}")
    given = {}
    for name, value in stack.parameters.items():
        spec = template.parameters.get(name)
        if spec is None or spec.no_echo or name in stack.masked:
            continue
        given[name] = value
    parameters = resolve_parameters(template, given)
    return Evaluation(template, parameters, Pseudo(stack.name, stack.region, stack.account_id))


def expected_of(holdings: Holdings, evaluation: Evaluation | None = None) -> Expected:
    """Group the template's grants into carriers, with physical names."""
    stack = holdings.stack
    evaluation = evaluation or evaluate_deployed(stack)
    role_arns = {p.logical_id: p.arn for p in holdings.principals}
    physical = Physical(stack, evaluation, role_arns)
    grants = extract(evaluation)
    expected = Expected(evaluation.template, evaluation, grants, physical)
    partition = physical.partition
    types = {logical: raw.get("Type") for logical, raw in evaluation.template.resources.items()}
    inline_names: dict[str, set[str]] = defaultdict(set)
    for logical, resource in evaluation.resources(*HOLDER_TYPES).items():
        properties = resource.get("Properties") or {}
        for policy in properties.get("Policies") or []:
            if isinstance(policy, dict):
                inline_names[logical].add(str(policy.get("PolicyName")))
        expected.boundaries[logical] = _text(properties.get("PermissionsBoundary"), physical)
        expected.attachments.setdefault(logical, set())
    grouped: dict[tuple, list[Grant]] = defaultdict(list)
    for grant in grants:
        source = grant.source
        source_type = types.get(source.resource)
        if grant.attachment is not None:
            expected.attachments[grant.principal].add(physical(grant.attachment))
            continue
        if grant.kind == IDENTITY and source_type in HOLDER_TYPES:
            if source.policy not in inline_names[source.resource]:
                continue  # a statement of an AWS managed policy, known from the assets
            grouped[("inline", source.resource, source.policy, source.statement)].append(grant)
        elif grant.kind == IDENTITY and source_type == "AWS::IAM::Policy":
            grouped[("inline", grant.principal, source.policy, source.statement)].append(grant)
        elif grant.kind == IDENTITY and source_type == "AWS::IAM::ManagedPolicy":
            arn = physical(evaluation.ref_token(source.resource))
            if grant.principal != UNATTACHED:
                expected.attachments[grant.principal].add(arn)
            grouped[("managed", source.resource, arn, source.statement)].append(grant)
        elif grant.kind == BOUNDARY:
            continue  # the boundary's policy is compared as the managed policy it is
        elif grant.kind == TRUST:
            grouped[("trust", source.resource, "AssumeRolePolicyDocument", source.statement)].append(grant)
        elif grant.kind == RESOURCE and source_type in RESOURCE_POLICY_TYPES:
            grouped[("resource", source.resource, source_type, source.statement)].append(grant)
        else:
            expected.not_compared.append(f"{source} ({source_type or grant.kind})")
    for (kind, holder, name, _), members in grouped.items():
        statement = from_grants(members, partition=partition, resolve=physical,
                                with_principals=kind in ("trust", "resource"))
        if kind == "inline":
            carrier = expected.inline.setdefault((holder, name), Carrier("inline", holder, name))
        elif kind == "managed":
            # one statement per template statement, however many principals hold the policy
            carrier = expected.managed.setdefault(holder, Carrier("managed", holder, name))
            if any(g.source.statement == members[0].source.statement for g in carrier.grants):
                continue
        elif kind == "trust":
            carrier = expected.trust.setdefault(holder, Carrier("trust", holder, name))
        else:
            carrier = expected.resource.setdefault(holder, Carrier("resource", holder, "", type=name))
        carrier.statements.append(statement)
        carrier.grants.extend(members)
    _unattached_managed(expected, evaluation, physical)
    _resource_targets(expected, evaluation, physical)
    return expected


def _text(value: Any, physical: Physical) -> str | None:
    return physical(value) if isinstance(value, str) and value else None


def _unattached_managed(expected: Expected, evaluation: Evaluation, physical: Physical) -> None:
    """Managed policies no principal of the stack holds still exist and are compared."""
    for logical, resource in evaluation.resources("AWS::IAM::ManagedPolicy").items():
        if logical in expected.managed:
            continue
        document = (resource.get("Properties") or {}).get("PolicyDocument")
        arn = physical(evaluation.ref_token(logical))
        expected.managed[logical] = Carrier(
            "managed", logical, arn,
            parse_document(document, partition=physical.partition, resolve=physical))


def _resource_targets(expected: Expected, evaluation: Evaluation, physical: Physical) -> None:
    """The physical bucket, topic, queue or key each resource policy is on."""
    for logical, carrier in expected.resource.items():
        resource = evaluation.resource(logical) or {}
        key = RESOURCE_POLICY_TYPES.get(carrier.type)
        if key is None:
            carrier.name = physical("${" + logical + "}")
            continue
        target = (resource.get("Properties") or {}).get(key)
        targets = as_list(target)
        carrier.name = ",".join(physical(str(t)) for t in targets if t is not None)


def resolve_statement(statement: dict, physical: Physical) -> Statement:
    """A template statement written by hand (tests, reports) in normal form with physical names."""
    return normalize(statement, partition=physical.partition, resolve=physical)
