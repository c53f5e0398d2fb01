"""The security change of each resource in a change set, and the capabilities it needs.

CloudFormation's change set says *which* resources change; the operator deciding whether to
execute it needs to know *what that does to access*. So, at the moment of decision, every IAM
and network resource in the change set is shown with the grants and rules it adds and removes,
computed by our own diff (:mod:`wizard.iam.diff`) between what is deployed and what the change
set deploys: for an update, the stack's current template with its current parameters (NoEcho
values, which CloudFormation never returns, taken from the new values so that they do not show
as a change); for a new stack, nothing. Each resource gets the verdict (broadening, and
weakening where the diff knows it) and, when CloudFormation will replace it, what replacing
that kind of resource risks. A managed policy replaced in an update takes its versions with it:
the versions the application wrote at run time (a connected bucket's grants) are gone, so the
review reads the old policy's versions (``iam:ListPolicyVersions``) and says how many it drops.

The capabilities are computed here too rather than always granted: ``CAPABILITY_IAM`` when the
template creates IAM resources, ``CAPABILITY_NAMED_IAM`` only when one of them has a fixed
name, each listed with the resources that need it, so that the operator confirms them knowingly.
"""

from __future__ import annotations

import bisect
import json
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field, replace
from typing import Any, Mapping

from wizard.aws.changeset import ChangeSetResult, ResourceChange, StackState, read_stack
from wizard.aws.errors import ServiceError
from wizard.aws.session import AwsSession
from wizard.cfn.evaluate import Evaluation
from wizard.cfn.parameters import MASK, resolve_parameters
from wizard.cfn.pseudo import Pseudo
from wizard.cfn.template import Template, parse_template
from wizard.errors import InputError
from wizard.iam.diff import GrantChange, PermissionDiff, RuleChange, diff_evaluations, diff_new
from wizard.iam.describe import describe_change_subject


#: The property that gives an IAM resource a fixed name (CAPABILITY_NAMED_IAM).
NAME_PROPERTIES = {
    "AWS::IAM::Role": "RoleName",
    "AWS::IAM::ManagedPolicy": "ManagedPolicyName",
    "AWS::IAM::User": "UserName",
    "AWS::IAM::Group": "GroupName",
    "AWS::IAM::InstanceProfile": "InstanceProfileName",
}

#: Resource types shown with their security change even when our diff finds none.
NETWORK_TYPES = frozenset({
    "AWS::EC2::SecurityGroup", "AWS::EC2::SecurityGroupIngress", "AWS::EC2::SecurityGroupEgress",
    "AWS::ElasticLoadBalancingV2::LoadBalancer", "AWS::ElasticLoadBalancingV2::Listener",
    "AWS::ElasticLoadBalancingV2::ListenerRule", "AWS::ElasticLoadBalancingV2::TargetGroup",
})
POLICY_TYPES = frozenset({
    "AWS::S3::BucketPolicy", "AWS::SNS::TopicPolicy", "AWS::SQS::QueuePolicy", "AWS::KMS::Key",
    "AWS::Lambda::Permission",
})

#: What replacing a resource of a type risks, beyond "a new physical resource".
_REPLACEMENT_RISKS = {
    "AWS::IAM::Role": "a new role with a new ARN and id: trust, key and bucket policies outside the "
                      "stack that name the old one stop matching, and running sessions end",
    "AWS::IAM::ManagedPolicy": "a new policy ARN: attachments made outside the stack are lost",
    "AWS::IAM::User": "a new user: its access keys and console password are gone",
    "AWS::IAM::Group": "a new group: members added outside the stack are lost",
    "AWS::IAM::InstanceProfile": "a new instance profile: instances launched with the old one lose it",
    "AWS::EC2::SecurityGroup": "a new group id: rules in other groups and network interfaces that use "
                               "the old group must move, which can stall the update",
    "AWS::ElasticLoadBalancingV2::LoadBalancer": "a new DNS name: the catalog's CNAME must be changed "
                                                 "and traffic stops until it is",
    "AWS::ElasticLoadBalancingV2::Listener": "the listener is deleted and created again: connections "
                                             "on its port fail in between",
    "AWS::ElasticLoadBalancingV2::TargetGroup": "the target group is created again: targets re-register "
                                                "and fail health checks for a while",
    "AWS::KMS::Key": "a new key: data encrypted with the old key needs the old key, which is "
                     "scheduled for deletion",
    "AWS::S3::Bucket": "a new bucket: the old one and its objects are left or deleted",
}


@dataclass(frozen=True)
class Capability:
    """A capability the change set needs, and the resources that need it."""

    name: str
    resources: tuple[tuple[str, str], ...]
    """(logical id, type) of each resource that needs it."""

    def describe(self) -> str:
        names = ", ".join(logical_id for logical_id, _ in self.resources[:6])
        more = f" and {len(self.resources) - 6} more" if len(self.resources) > 6 else ""
        why = {"CAPABILITY_IAM": "creates IAM resources",
               "CAPABILITY_AUTO_EXPAND": "declares a transform CloudFormation expands"}.get(self.name, "names IAM resources")
        return f"{self.name}: the template {why} ({names}{more})"

    def to_json(self) -> dict[str, Any]:
        return {"name": self.name,
                "resources": [{"logical_id": i, "type": t} for i, t in self.resources]}


@dataclass(frozen=True)
class DroppedVersions:
    """The versions of a managed policy that its replacement deletes."""

    policy: str
    """The old policy's ARN (the change's physical id)."""
    count: int | None
    """How many versions it holds; None when IAM did not say (``unknown`` says why)."""
    default: str = ""
    unknown: str = ""

    def describe(self) -> str:
        if self.count is None:
            return (f"replacing {self.policy} deletes it with every version the application wrote at run time; "
                    f"how many could not be read ({self.unknown})")
        return (f"replacing {self.policy} deletes its {self.count} version{'s' * (self.count != 1)} (default "
                f"{self.default or 'unknown'}) with it: what the application wrote at run time is lost; write the "
                f"connected buckets' statements into the new policy after the update (the default version's "
                f"document, `aws iam get-policy-version`; in ManualApproval, `quilt-wizard approve`)")

    def to_json(self) -> dict[str, Any]:
        return {"policy": self.policy, "versions": self.count, "default_version": self.default or None,
                "unknown": self.unknown or None}


@dataclass(frozen=True)
class ResourceSecurity:
    """What one changing resource does to access."""

    logical_id: str
    added: tuple[GrantChange | RuleChange, ...] = ()
    removed: tuple[GrantChange | RuleChange, ...] = ()
    weakenings: tuple[str, ...] = ()
    replacement_risk: str | None = None
    dropped_versions: DroppedVersions | None = None

    @property
    def broadening(self) -> bool:
        return any(c.broadening for c in (*self.added, *self.removed))

    @property
    def weakening(self) -> bool:
        return bool(self.weakenings)

    def summary(self) -> str:
        """The table cell, e.g. ``+2 -1 grants, +1 rule; BROADENING``."""
        grants = [c for c in (*self.added, *self.removed) if isinstance(c, GrantChange)]
        rules = [c for c in (*self.added, *self.removed) if isinstance(c, RuleChange)]
        parts = []
        if grants:
            plus = sum(1 for c in self.added if isinstance(c, GrantChange))
            parts.append(f"+{plus} -{len(grants) - plus} grants")
        if rules:
            plus = sum(1 for c in self.added if isinstance(c, RuleChange))
            parts.append(f"+{plus} -{len(rules) - plus} rules")
        verdicts = [v for v, on in (("BROADENING", self.broadening), ("WEAKENING", self.weakening)) if on]
        text = ", ".join(parts) or "no grant or rule change"
        if self.dropped_versions:
            count = self.dropped_versions.count
            text += f"; drops {'its' if count is None else count} policy version{'s' * (count != 1)}"
        return text + ("; " + ", ".join(verdicts) if verdicts else "")

    def details(self) -> list[str]:
        """One line per change, signed, with the verdict's reason when it broadens."""
        lines = []
        for sign, changes in (("-", self.removed), ("+", self.added)):
            for change in changes:
                text = (describe_change_subject(change.grant) if isinstance(change, GrantChange)
                        else change.rule.describe())
                if change.broadening:
                    text += f"  [broadening: {change.reason}]" if change.reason else "  [broadening]"
                lines.append(f"{sign} {text}")
        lines += [f"! weakening: {reason}" for reason in self.weakenings]
        if self.replacement_risk:
            lines.append(f"! replacement: {self.replacement_risk}")
        if self.dropped_versions:
            lines.append(f"! policy versions: {self.dropped_versions.describe()}")
        return lines

    def to_json(self) -> dict[str, Any]:
        def item(change: GrantChange | RuleChange) -> dict:
            body = change.grant.to_json() if isinstance(change, GrantChange) else change.rule.to_json()
            return {**body, "broadening": change.broadening, "reason": change.reason}

        return {"added": [item(c) for c in self.added], "removed": [item(c) for c in self.removed],
                "broadening": self.broadening, "weakening": self.weakening,
                "weakenings": list(self.weakenings), "replacement_risk": self.replacement_risk,
                "dropped_versions": self.dropped_versions.to_json() if self.dropped_versions else None}


@dataclass(frozen=True)
class ChangeSetSecurity:
    """The security side of a change set: per resource, and the capabilities."""

    resources: Mapping[str, ResourceSecurity] = field(default_factory=dict)
    capabilities: tuple[Capability, ...] = ()
    baseline: str = ""
    """What the change is compared with (the deployed stack, or nothing for a new stack)."""
    unattributed: tuple[str, ...] = ()
    """Changes our diff found on resources the change set does not list (say, a policy whose
    text changes through a parameter): shown after the table so that nothing is hidden."""

    @property
    def broadening(self) -> bool:
        return any(r.broadening for r in self.resources.values())

    @property
    def weakening(self) -> bool:
        return any(r.weakening for r in self.resources.values())

    @property
    def capability_names(self) -> tuple[str, ...]:
        return tuple(c.name for c in self.capabilities)

    def to_json(self) -> dict[str, Any]:
        return {"baseline": self.baseline,
                "capabilities": [c.to_json() for c in self.capabilities],
                "resources": {k: v.to_json() for k, v in self.resources.items()},
                "unattributed": list(self.unattributed),
                "broadening": self.broadening, "weakening": self.weakening}


# -- capabilities -----------------------------------------------------------------------------

def required_capabilities(evaluation: Evaluation) -> tuple[Capability, ...]:
    """CAPABILITY_IAM for IAM resources; CAPABILITY_NAMED_IAM only when one has a fixed name;
    CAPABILITY_AUTO_EXPAND for a template whose transform CloudFormation expands (SAM)."""
    transform = evaluation.template.transform
    expand = (Capability("CAPABILITY_AUTO_EXPAND", (("Transform", transform),)),) if transform else ()
    iam = [(logical_id, resource.get("Type", ""))
           for logical_id, resource in evaluation.resources().items()
           if str(resource.get("Type", "")).startswith("AWS::IAM::")]
    if not iam:
        return expand
    named = []
    for logical_id, kind in iam:
        name_property = NAME_PROPERTIES.get(kind)
        properties = (evaluation.resource(logical_id) or {}).get("Properties") or {}
        if name_property and properties.get(name_property):
            named.append((logical_id, kind))
    found = [Capability("CAPABILITY_IAM", tuple(iam))]
    if named:
        found.append(Capability("CAPABILITY_NAMED_IAM", tuple(named)))
    return tuple(found) + expand


# -- the deployed side ------------------------------------------------------------------------

def deployed_template(session: AwsSession, stack_name: str) -> str:
    """The template the stack runs now (as submitted: ``Original`` stage)."""
    answer = session.call("cloudformation", "get_template", StackName=stack_name,
                          TemplateStage="Original")
    body = answer.get("TemplateBody", "")
    return body if isinstance(body, str) else json.dumps(body)


def evaluate_deployed(template_text: str | None, stack: StackState, new_template: Template,
                      new_values: Mapping[str, str], pseudo: Pseudo) -> tuple[Evaluation, str]:
    """The deployed stack as an evaluation, and what it is (for the headline).

    The deployed template with the deployed parameters; NoEcho values (shown as ``****``) are
    the new values. When the deployed template cannot be read by our engine, the new template
    with the deployed parameters stands in (a change of template then shows only through its
    parameters), and the label says so.
    """
    deployed = {k: v for k, v in stack.parameters.items() if v != MASK}
    if template_text:
        try:
            old = parse_template(template_text, f"deployed template of {stack.name}")
            values = {**{k: v for k, v in new_values.items() if k in old.parameters},
                      **{k: v for k, v in deployed.items() if k in old.parameters}}
            evaluation = Evaluation(old, resolve_parameters(old, values), pseudo)
            evaluation.resources()
            return evaluation, f"the deployed stack {stack.name} (its template and parameters)"
        except InputError:
            pass
    values = {**new_values, **{k: v for k, v in deployed.items() if k in new_template.parameters}}
    return (Evaluation(new_template, resolve_parameters(new_template, values), pseudo),
            f"the deployed parameters of {stack.name} (its template could not be read)")


def planned_evaluation(template: Template, parameters: Mapping[str, str], stack_name: str, region: str,
                       account: str) -> Evaluation:
    """What the change set deploys, evaluated for the real stack, region and account."""
    pseudo = Pseudo(stack_name=stack_name, region=region, account_id=account)
    return Evaluation(template, resolve_parameters(template, dict(parameters)), pseudo)


def review_change_set(session: AwsSession, result: ChangeSetResult, after: Evaluation, *,
                      on_progress: Callable[[str], None] | None = None) -> ChangeSetSecurity:
    """The security change of each resource of ``result``: against the deployed stack for an
    update (read here), against nothing for a new stack."""
    if result.change_set_type == "CREATE":
        return review_changes(result.changes, None, after, baseline="nothing (a new stack)")
    if on_progress:
        on_progress(f"Reading the deployed template of {result.stack_name} to compare grants and rules")
    stack = read_stack(session, result.stack_name)
    if stack is None:
        return review_changes(result.changes, None, after, baseline="nothing (the stack is gone)")
    before, label = evaluate_deployed(deployed_template(session, result.stack_name), stack, after.template,
                                      after.parameters.raw, after.pseudo)
    review = review_changes(result.changes, before, after, baseline=label)
    dropped = replaced_policy_versions(session, result.changes)
    if not dropped:
        return review
    resources = dict(review.resources)
    for logical_id, versions in dropped.items():
        resources[logical_id] = replace(resources.get(logical_id) or ResourceSecurity(logical_id),
                                        dropped_versions=versions)
    return replace(review, resources=resources)


def replaced_policy_versions(session: AwsSession, changes: Iterable[ResourceChange]) -> dict[str, DroppedVersions]:
    """For each managed policy the change set replaces (or may), the versions the old one holds
    (``iam:ListPolicyVersions`` on its ARN, the change's physical id). A refused call leaves the
    count unknown and says why; a policy already gone is left out."""
    found: dict[str, DroppedVersions] = {}
    for change in changes:
        if (change.resource_type != "AWS::IAM::ManagedPolicy" or change.action != "Modify"
                or change.replacement not in ("True", "Conditional") or not change.physical_id):
            continue
        try:
            versions = session.call("iam", "list_policy_versions", PolicyArn=change.physical_id).get("Versions") or []
        except ServiceError as error:
            if error.code == "NoSuchEntity":
                continue
            found[change.logical_id] = DroppedVersions(change.physical_id, None,
                                                       unknown=f"{error.action or 'iam:ListPolicyVersions'}: {error.code}")
            continue
        default = next((str(v.get("VersionId")) for v in versions if v.get("IsDefaultVersion")), "")
        found[change.logical_id] = DroppedVersions(change.physical_id, len(versions), default)
    return found


# -- per resource -----------------------------------------------------------------------------

def _owners(template: Template) -> tuple[list[int], list[str]]:
    """Start lines of the template's resources, sorted, with their logical ids."""
    starts = sorted((line, logical_id) for logical_id in template.resources
                    if (line := template.line_of("Resources", logical_id)) is not None)
    return [line for line, _ in starts], [logical_id for _, logical_id in starts]


def _owner_by_line(owners: tuple[list[int], list[str]], line: int | None, fallback: str) -> str:
    lines, ids = owners
    if line is None or not lines:
        return fallback
    index = bisect.bisect_right(lines, line) - 1
    return ids[index] if index >= 0 else fallback


def review_changes(changes: Iterable[ResourceChange], before: Evaluation | None, after: Evaluation, *,
                   baseline: str = "") -> ChangeSetSecurity:
    """Attribute our diff of ``before`` -> ``after`` to the change set's resources (``before``
    None: a new stack, where every grant and rule is an addition, and so is the default
    allow-all egress of each security group created without an egress rule, on that group's row)."""
    if before is None:
        result: PermissionDiff = diff_new(after)
        owners_before: tuple[list[int], list[str]] = ([], [])
    else:
        result = diff_evaluations(before, after)
        owners_before = _owners(before.template)
    listed = {c.logical_id: c for c in changes}
    owners_after = _owners(after.template)
    added: dict[str, list] = {}
    removed: dict[str, list] = {}
    for bucket, items, owners in ((added, result.added, None), (removed, result.removed, None),
                                  (added, result.network_added, owners_after),
                                  (removed, result.network_removed, owners_before)):
        for change in items:
            if isinstance(change, GrantChange):
                owner = change.grant.source.resource
            else:
                owner = _owner_by_line(owners, change.rule.line, change.rule.resource)
            bucket.setdefault(owner, []).append(change)
    weakened: dict[str, list[str]] = {}
    for change in result.weakenings:
        control = change.control
        for owner in (tuple(control.where) or (control.subject,)):
            weakened.setdefault(owner, []).append(change.reason)

    capabilities = required_capabilities(after)
    named = {logical_id for c in capabilities if c.name == "CAPABILITY_NAMED_IAM" for logical_id, _ in c.resources}
    resources: dict[str, ResourceSecurity] = {}
    for logical_id, change in listed.items():
        relevant = (change.resource_type.startswith("AWS::IAM::") or change.resource_type in NETWORK_TYPES
                    or change.resource_type in POLICY_TYPES or logical_id in added
                    or logical_id in removed or logical_id in weakened)
        if not relevant:
            continue
        resources[logical_id] = ResourceSecurity(
            logical_id, tuple(added.get(logical_id, ())), tuple(removed.get(logical_id, ())),
            tuple(weakened.get(logical_id, ())), replacement_risk(change, named=logical_id in named))
    elsewhere = sorted((set(added) | set(removed)) - set(listed))
    unattributed = tuple(f"{owner}: {len(added.get(owner, []))} added, {len(removed.get(owner, []))} removed"
                         for owner in elsewhere)
    return ChangeSetSecurity(resources, capabilities, baseline, unattributed)


def replacement_risk(change: ResourceChange, *, named: bool = False) -> str | None:
    """What replacing this resource risks, when CloudFormation says it will or may (``named``:
    the resource has a fixed name, which a replacement cannot keep)."""
    if change.action != "Modify" or change.replacement not in ("True", "Conditional"):
        return None
    risk = _REPLACEMENT_RISKS.get(change.resource_type,
                                  "a new physical resource replaces the old one, which is then deleted")
    if named:
        risk += "; a named one cannot be replaced and the update fails unless its name changes"
    return risk if change.replacement == "True" else f"may be replaced (decided during the update): {risk}"
