"""What each of the customer's answers changes and costs, read from the template in use.

The report answers the vendor's four questions in prose a customer can paste into its review.
No sentence here is fixed prose about what an option might do: each is built from facts of the
evaluated template: which roles may write IAM policies, whether the pre-created policies carry
conditions (and on which keys), whether the application is told where to send an approval
request, which services' grants on every resource the enhanced-security answer narrows (the
template evaluated both ways), how many Denies and boundaries it adds, and which write grants
stay on every resource. A fact the template lacks is said as such ("the template has no
PolicyCreationMode").
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from fnmatch import fnmatchcase

from wizard.cfn.evaluate import Evaluation
from wizard.cfn.parameters import resolve_parameters
from wizard.iam.grants import IDENTITY, Grant, extract

#: The IAM actions that write a policy (what a running stack must not hold under approval).
POLICY_WRITES = ("iam:CreatePolicy", "iam:CreatePolicyVersion", "iam:SetDefaultPolicyVersion",
                 "iam:DeletePolicyVersion", "iam:PutRolePolicy", "iam:AttachRolePolicy")
APPROVAL_TOPIC = "PolicyApprovalTopic"


@dataclass(frozen=True)
class Choice:
    """One answer in words: what was chosen, what it changes, what it costs."""

    answer: str
    changes: tuple[str, ...]
    costs: tuple[str, ...]


def _with(evaluation: Evaluation, **values: str) -> Evaluation:
    template = evaluation.template
    return Evaluation(template, resolve_parameters(template, {**evaluation.parameters.raw, **values}),
                      evaluation.pseudo)


def _matches(action: str, wanted: tuple[str, ...]) -> bool:
    return any(fnmatchcase(w.lower(), action.lower()) for w in wanted)


def policy_writers(grants: list[Grant]) -> dict[str, list[str]]:
    """Principal -> the policy-writing actions it is allowed (a Deny of the same statement aside)."""
    found: dict[str, set[str]] = {}
    for grant in grants:
        if grant.kind != IDENTITY or not grant.is_allow or grant.grants_nothing:
            continue
        hits = [w for w in POLICY_WRITES if any(fnmatchcase(w.lower(), a.lower()) for a in grant.actions)]
        if hits:
            found.setdefault(grant.principal, set()).update(hits)
    return {p: sorted(a) for p, a in sorted(found.items())}


def request_path(evaluation: Evaluation) -> list[str]:
    """Where the application is told of the approval topic (an environment variable naming it):
    without one, nothing in the stack sends a request, so nothing waits for an approver."""
    if APPROVAL_TOPIC not in evaluation.template.resources:
        return []
    found = []
    for logical_id, raw in evaluation.template.resources.items():
        if raw.get("Type") not in ("AWS::ECS::TaskDefinition", "AWS::Lambda::Function"):
            continue
        resource = evaluation.resources(raw["Type"]).get(logical_id)
        if resource is None:
            continue
        properties = resource.get("Properties") or {}
        environments = [properties.get("Environment") or {}]
        environments += [c.get("Environment") or [] for c in properties.get("ContainerDefinitions") or []
                         if isinstance(c, dict)]
        for env in environments:
            pairs = env.get("Variables", {}).items() if isinstance(env, dict) else \
                [(e.get("Name"), e.get("Value")) for e in env if isinstance(e, dict)]
            for name, value in pairs:
                if re.search(rf"(?<![A-Za-z0-9]){APPROVAL_TOPIC}(?![A-Za-z0-9])", json.dumps(value, default=str)):
                    found.append(f"{name} of {logical_id}")
    return found


def _condition_keys(grants: list[Grant]) -> list[str]:
    keys: list[str] = []
    for grant in grants:
        for operator in (grant.condition or {}).values():
            if isinstance(operator, dict):
                keys += [k for k in operator if k not in keys]
    return keys


def policy_creation(evaluation: Evaluation, grants: list[Grant]) -> Choice:
    """How IAM policies are created when a bucket is connected, for the mode this evaluation has."""
    from wizard.findings.connection import _pre_created

    if "PolicyCreationMode" not in evaluation.template.parameters:
        return Choice("the template has no PolicyCreationMode parameter", ("Nothing in the template.",), ())
    mode = str(evaluation.parameters.raw.get("PolicyCreationMode") or "")
    writers = policy_writers(grants)
    held = "; ".join(f"{p} ({', '.join(a)})" for p, a in writers.items())
    prefix = str(evaluation.parameters.raw.get("CustomerBucketPrefix") or "")
    changes, costs = [], []
    if mode == "Automatic":
        answer = "Automatic: the application writes the policy a connected bucket needs"
        changes.append(f"Roles that may write IAM policies at run time: {held}." if held else
                       "No role of the stack may write an IAM policy.")
        costs.append("No manual step; a role of the running application may write IAM policies"
                     + (f" ({', '.join(writers)})." if writers else "."))
    elif mode == "ManualApproval":
        answer = "ManualApproval: an approver writes the policy a connected bucket needs"
        approvers = [g.principal for g in grants if g.kind == "trust" and g.is_allow
                     and g.on and "PolicyApproverRole" in g.on]
        trusted = sorted({p for p in approvers if p})
        running = {p: a for p, a in writers.items() if p != "PolicyApproverRole"}
        changes.append(("Roles of the running application that may still write IAM policies: "
                        + "; ".join(f"{p} ({', '.join(a)})" for p, a in running.items()) + "." if running
                        else "No role of the running application may write an IAM policy."))
        if "PolicyApproverRole" in evaluation.template.resources:
            changes.append("PolicyApproverRole writes them, assumed by "
                           + (", ".join(trusted) if trusted else "no principal yet (ApproverPrincipalArn is empty)")
                           + ", with `quilt-wizard approve`.")
        paths = request_path(evaluation)
        if paths:
            changes.append(f"The application is told of {APPROVAL_TOPIC} ({', '.join(paths)}), so a new bucket's "
                           f"policy waits for an approver.")
            costs.append("One approval per connected bucket, by a person holding the approver role.")
        else:
            costs.append(f"Nothing in the template tells the application of {APPROVAL_TOPIC}: no request reaches "
                         f"the approver, so whoever connects a bucket must ask one, and the bucket is unusable "
                         f"until the approver has run `quilt-wizard approve` (the request side needs a change "
                         f"by the vendor).")
    elif mode == "PreCreated":
        answer = "PreCreated: the policies exist at deployment"
        placeholders = _pre_created(evaluation, prefix or "example-")
        keys = _condition_keys(placeholders)
        policies = sorted({g.source.resource for g in placeholders})
        changes.append(f"{len(placeholders)} statement(s) in {', '.join(policies) or 'no policy'} grant the buckets "
                       f"matching `{prefix or '(no prefix)'}*` at deployment"
                       + (f", each bound by a condition on {', '.join(keys)}." if keys else ", without a condition."))
        changes.append(f"Roles that may still write IAM policies: {held}." if held else
                       "No role of the running application may write an IAM policy.")
        costs.append(f"A bucket outside `{prefix or '(no prefix)'}*` needs a new CustomerBucketPrefix and a stack "
                     f"update; every bucket matching it is reachable from deployment on.")
    else:
        answer = f"PolicyCreationMode = {mode or '(empty)'}"
        changes.append(f"Roles that may write IAM policies: {held}." if held else "No role may write an IAM policy.")
    return Choice(answer, tuple(changes), tuple(costs))


def _on_everything(grants: list[Grant]) -> dict[str, set[tuple[str, str]]]:
    """Service -> (principal, action) pairs allowed on every resource."""
    found: dict[str, set[tuple[str, str]]] = {}
    for grant in grants:
        if grant.kind != IDENTITY or not grant.is_allow or grant.grants_nothing or "*" not in grant.resources:
            continue
        for action in grant.actions:
            found.setdefault(action.split(":")[0].lower(), set()).add((grant.principal, action))
    return found


def enhanced_security(evaluation: Evaluation, grants: list[Grant]) -> Choice:
    """What EnableEnhancedSecurity changes here: the template evaluated with it and without it."""
    if "EnableEnhancedSecurity" not in evaluation.template.parameters:
        return Choice("the template has no EnableEnhancedSecurity parameter", ("Nothing in the template.",), ())
    on = str(evaluation.parameters.raw.get("EnableEnhancedSecurity", "")).lower() == "true"
    other = extract(_with(evaluation, EnableEnhancedSecurity="false" if on else "true"))
    with_it, without = (grants, other) if on else (other, grants)
    wide_with, wide_without = _on_everything(with_it), _on_everything(without)
    narrowed = sorted(s for s in wide_without if len(wide_without[s] - wide_with.get(s, set())) > 0)
    denies = sum(1 for g in with_it if g.kind == IDENTITY and not g.is_allow) - \
        sum(1 for g in without if g.kind == IDENTITY and not g.is_allow)
    bounded = sorted({g.principal for g in with_it if g.kind == "boundary"})
    writes_left = sorted({(p, a) for s, pairs in wide_with.items() for p, a in pairs
                          if not re.match(r"(get|list|describe|batchget|head)", a.split(":")[-1].lower())
                          and a.split(":")[-1] != "*"})
    changes = [("With it, the grants on every resource narrowed: " + ", ".join(
                    f"{s} ({len(wide_without[s] - wide_with.get(s, set()))} action(s))" for s in narrowed) + "."
                if narrowed else "With it, no grant on every resource is narrowed."),
               f"It adds {max(denies, 0)} Deny statement(s)"
               + (f" and a permissions boundary on {len(bounded)} role(s)." if bounded else ".")]
    if not on:
        changes.insert(0, "Not chosen: none of the following is in the stack.")
    by_action: dict[str, list[str]] = {}
    for principal, action in writes_left:
        by_action.setdefault(action, []).append(principal)
    left = ", ".join(f"{a} ({', '.join(p) if len(p) <= 3 else f'{len(p)} roles'})" for a, p in sorted(by_action.items()))
    costs = [f"{len(by_action)} write action(s) stay on every resource with it" + (f": {left}" if left else "") + ".",
             "A bucket, topic or workgroup the scoped statements do not name needs its parameter changed and a "
             "stack update before Quilt can use it." if narrowed else "Nothing is scoped, so nothing needs a "
             "stack update."]
    return Choice("EnableEnhancedSecurity = " + ("true" if on else "false"), tuple(changes), tuple(costs))
