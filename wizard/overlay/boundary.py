"""A permissions boundary on every role a template creates: the envelope of what it grants.

A path limits where a policy may be written, not what a written policy grants: a role that may
write a new default version of a policy attached to itself can grant itself anything. A
permissions boundary caps that, whatever the policy says. The overlay's ``add-boundary`` edit
gives each matched role a managed policy holding its *envelope* (``wizard.overlay.envelope``:
every Allow the template grants it, read as the template stands when the rule runs). Roles whose
envelope and condition are the same share one policy.

IAM takes at most 6,144 characters of policy text (white space aside), and a role has one
boundary: the envelope is written short (``wizard.overlay.fitting``); when it is still too long,
it is split into a boundary and a ``<boundary>Limits`` policy of Denies that together admit
exactly the envelope (``wizard.overlay.limits``); only then are action lists written as
wildcards. A boundary that still cannot fit is an error.
"""

from __future__ import annotations

import copy
from typing import Any

from wizard.errors import TemplateError
from wizard.overlay.branches import NO_VALUE, fn_if, named_ids, settled
from wizard.overlay.envelope import Dependencies, Envelope
from wizard.overlay.fitting import (MAX_POLICY_CHARACTERS, estimated_characters, over_limit, policy_chunks,
                                    wildcarded)
from wizard.overlay.limits import split_by_resource
from wizard.overlay.match import canonical

__all__ = ["ENVELOPE", "add_boundary", "named_ids"]

ENVELOPE = "Overlay::Envelope"


def _with_envelope(value: Any, statements: list) -> Any:
    """The policy data with ``{Overlay::Envelope: {}}`` replaced by the statements (its mappings and
    lists new, the statements as given: the edit's ``expand`` copies the whole policy next)."""
    if isinstance(value, dict):
        return {k: _with_envelope(v, statements) for k, v in value.items()}
    if isinstance(value, list):
        out: list = []
        for item in value:
            if isinstance(item, dict) and len(item) == 1 and ENVELOPE in item:
                out += statements
            else:
                out.append(_with_envelope(item, statements))
        return out
    return value


def add_boundary(ctx: Any, edit: dict) -> None:
    """A permissions boundary for each matched role, holding its envelope (see the module)."""
    body = ctx.body
    resources = body["Resources"]
    edit = {**edit, "run_time": [{**e, "resources": ctx.expand(e["resources"])} for e in edit.get("run_time") or ()]}
    before = Dependencies(resources)  # as the template stands: the envelope adds its boundaries' waits to a copy
    envelope = Envelope(body, edit, before.copy())
    roles = [m.path[-1] for m in ctx.matches if resources.get(m.path[-1], {}).get("Type") == "AWS::IAM::Role"]
    groups: dict[str, tuple[str, list[str], list, str]] = {}
    for role in roles:
        properties = resources[role].setdefault("Properties", {})
        if properties.get("PermissionsBoundary") is not None:
            ctx.skipped.append(f"{role}: it has a permissions boundary of its own; left as the template has it")
            continue
        condition = edit["condition"]
        if resources[role].get("Condition"):
            condition = _both(body, condition, resources[role]["Condition"])
        # the boundary exists only while its condition holds: inside it, that condition's Fn::If are settled
        statements = settled(envelope.of(role), {edit["condition"]: True}) or [
            {"Effect": "Deny", "Action": "*", "Resource": "*"}]  # granted nothing
        key = canonical([condition, statements])
        if key not in groups:
            groups[key] = (f"{edit['logical_id']}{role}", [], statements, condition)
        groups[key][1].append(role)
    for logical_id, members, statements, condition in groups.values():
        for name in (logical_id, f"{logical_id}Limits"):
            if name in resources:
                raise TemplateError(f"the template already has a resource {name}; the overlay cannot add its own",
                                    file=ctx.source, where=f"Resources/{name}")
        policy = ctx.expand(_with_envelope({k: v for k, v in edit["resource"].items() if k != "Type"}, statements))
        properties = policy.setdefault("Properties", {})
        document = properties.get("PolicyDocument") or {}
        denies: list = []
        # each step only when the one before left the policy too long (nothing else changes it)
        if over_limit(document, body, MAX_POLICY_CHARACTERS):
            document["Statement"], denies = split_by_resource(document["Statement"], resources,
                                                              ("iam", "sts", *envelope.run_time_services))
            if over_limit(document, body, MAX_POLICY_CHARACTERS):
                document["Statement"] = wildcarded(document["Statement"])
                if over_limit(document, body, MAX_POLICY_CHARACTERS):
                    raise TemplateError(f"the permissions boundary of {', '.join(members)} would be about "
                                        f"{estimated_characters(document, body):,} characters, over IAM's limit "
                                        f"of {MAX_POLICY_CHARACTERS:,}", file=ctx.source,
                                        where=f"Resources/{members[0]}")
        description = properties.get("Description")
        if isinstance(description, str):
            properties["Description"] = f"{description}: {', '.join(members)}"[:1000]
        resources[logical_id] = {"Type": edit["resource"]["Type"], "Condition": condition, **policy}
        for index, chunk in enumerate(policy_chunks(denies, document.get("Version", "2012-10-17"), body)):
            resources[f"{logical_id}Limits{index + 1 if index else ''}"] = {
                "Type": "AWS::IAM::ManagedPolicy", "Condition": condition,
                "Properties": {"Path": copy.deepcopy(properties.get("Path", "/")),
                               "Description": f"Where the actions of permissions boundary {logical_id} stay allowed "
                                             f"(quilt-wizard overlay): {', '.join(members)}"[:1000],
                               "Roles": [{"Ref": role} for role in members], "PolicyDocument": chunk}}
        for role in members:
            resources[role]["Properties"]["PermissionsBoundary"] = fn_if(condition, {"Ref": logical_id}, NO_VALUE)
    ctx.skipped.extend(dict.fromkeys(envelope.notes))
    # who waits on whom now: the roles given a boundary and the policies added are read again
    waits = before
    waits.reread(resources, [name for name in resources if name not in waits.named]
                 + [role for _logical_id, members, _s, _c in groups.values() for role in members])
    for logical_id, members, _statements, _condition in groups.values():
        looping = [role for role in members if waits.waits_on(logical_id, role)]
        if looping:
            raise TemplateError(f"the permissions boundary {logical_id} would wait on {', '.join(looping)}, which "
                                "waits on it (a dependency cycle CloudFormation refuses)", file=ctx.source,
                                where=f"Resources/{looping[0]}")


def _both(body: dict, first: str, second: str) -> str:
    """A condition true when both are (added to the template once)."""
    name = f"{first}And{second}"
    body.setdefault("Conditions", {}).setdefault(name, {"Fn::And": [{"Condition": first}, {"Condition": second}]})
    return name
