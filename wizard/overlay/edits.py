"""The overlay's vocabulary of edits, implemented once.

Every edit keeps the vendor's behaviour when its condition holds at the new parameter's default:
a statement is wrapped as ``Fn::If [Condition, <vendor's statement>, <hardened form>]`` (or the
reverse, for a condition that is false by default), a resource added by the overlay carries a
``Condition`` false by default. So with every added parameter at its default the hardened
template creates exactly the vendor's grants and network rules, and each option changes only
what its rule says.

The vocabulary (``op`` in the data):

- ``wrap-statement``: the statement exists only under the condition; otherwise it is dropped or
  keeps only the actions the match did not name;
- ``scope-resource``: under the condition the matched actions are granted on ``resources``
  instead of ``*`` (or of what ``replaces`` names, such as every workgroup); the statement's
  other resources stay, and its other actions keep the vendor's resources in a statement of
  their own, and so do the matched actions that accept no resource type of ``resources`` (an
  action that takes only ``*``, a list action), which would otherwise be granted nowhere;
- ``add-condition-keys``: under the condition the statement gains condition keys (with, for a
  trust, an ``aws:SourceArn`` per service the data knows supports it);
- ``drop-trust-principals``: unless the (keep) condition holds, the trust's principals outside
  the stack's account are removed, and a trust left with nobody is removed;
- ``add-policy``: an inline policy for each role the match holds, under the condition;
- ``add-resource``: a new resource under the condition (a role, a topic, a trail, a managed
  policy attached to the matched roles);
- ``set-property``: a resource property takes a value under the condition;
- ``set-port``: a security-group rule's port becomes the parameter's value, and the rule exists
  only under the condition;
- ``add-statements``: statements appended, each under the condition, to a policy an earlier rule
  added (the enhanced mode's guardrail, say), named by its logical id in ``to``;
- ``add-boundary``: a permissions boundary for each matched role, holding what the template
  grants it (``wizard.overlay.boundary``);
- ``tolerate-steps``: unless the condition holds, the steps of a container command's ``&&``
  chain that run the named scripts may fail without stopping the steps after them (a script that
  writes IAM policies the mode no longer lets the role write), saying so on standard error;
- ``offer-option``: nothing is edited; the rule's option is offered because the later rule named
  in ``for_rule`` (which requires this one) uses it on these matches (the bucket prefix, which a
  pre-created placeholder is filled with, in a template that holds the placeholders but no S3
  grant on ``*``: the split pair's IAM part).

Data values may hold seven markers the code fills in: ``{Overlay::MatchedRoles: {}}`` (a
``Ref`` to each matched role), ``{Overlay::MatchedResources: {}}`` (the ``Resource`` values of
the matched statements), ``{Overlay::MatchedStatements: {actions: [...]}}`` (in a statement
list: one Allow per matched statement with its actions that the patterns name, on its own
resources), ``{Overlay::NamedS3Resources: {}}`` (every S3 resource the template grants by
name, for Denies that must not cut the stack off its own buckets),
``{Overlay::StackBuckets: {}}`` (the ARN, and its objects', of every bucket the template creates,
whose names CloudFormation generates, so no prefix covers them),
``{Overlay::ConnectedStackBuckets: {}}`` (those of them the stack hands Quilt to connect, as a
customer's bucket is: the canaries' buckets, which a canary's run configuration and the
migration task's command name) and ``{Overlay::VersionedInPlace: {}}`` (a ``Ref`` to each existing policy the stack versions at run
time outside its policy path, which a guardrail lets be versioned where it is: moving a policy
replaces it, and the versions written at run time go with the old one). For the network:
``{Overlay::ForEachMatch: VALUE}`` in a list gives one copy of ``VALUE`` per match, in which
``{Overlay::ThisMatch: {}}`` is a ``Ref`` to that match; ``{Overlay::MatchedVpc: {}}`` and
``{Overlay::MatchedSubnets: {}}`` are the VPC of the matched security groups and the subnets of
the workloads that use them, as the template writes them.

One marker waits until every rule has applied (:func:`resolve_declared`):
``{Overlay::IfDeclared: {names: [...], then: A, else: B}}`` becomes ``A`` when the hardened
template declares every name (a parameter or a condition, possibly added by a later rule, such
as the trail's ``KMSKeyId``) and ``B`` otherwise, so an edit can use a later rule's option
without leaving a dangling reference when that rule does not apply.
"""

from __future__ import annotations

import copy
import re
from typing import Any, Callable

from wizard.errors import TemplateError
from wizard.iam import actions as iam_actions
from wizard.iam import resource_types
from wizard.overlay.match import (
    STATEMENT, TRUST, Match, TemplateIndex, as_items, canonical, external, literals, overlaps, text_of,
    workload_networks)
from wizard.overlay.boundary import add_boundary
from wizard.overlay.branches import named_ids

NO_VALUE = {"Ref": "AWS::NoValue"}

_MARKERS = ("Overlay::MatchedRoles", "Overlay::MatchedResources", "Overlay::MatchedStatements",
            "Overlay::NamedS3Resources", "Overlay::ForEachMatch", "Overlay::VersionedInPlace",
            "Overlay::StackBuckets", "Overlay::ConnectedStackBuckets")

#: Markers that stand for one value (the others stand for a list of values).
_SCALAR_MARKERS = ("Overlay::ThisMatch", "Overlay::MatchedVpc", "Overlay::MatchedSubnets")


def listed_statements(body: dict) -> None:
    """Every identity and trust policy's ``Statement`` written as one mapping made a list of one
    (in place), as the matches' paths count it (``wizard.overlay.match``)."""
    index = TemplateIndex(body)
    paths = [path for path, _label, _holders in index.statement_lists()]
    paths += [index._listed(("Resources", role, "Properties", "AssumeRolePolicyDocument"))
              for role, resource in index.of_type("AWS::IAM::Role")
              if isinstance((resource.get("Properties") or {}).get("AssumeRolePolicyDocument"), dict)]
    for path in paths:
        document = index.at(path[:-1])
        if isinstance(document.get("Statement"), dict):
            document["Statement"] = [document["Statement"]]


class EditContext:
    """The body being hardened, the matches of the current step, and what the edits did."""

    def __init__(self, body: dict, matches: list[Match], source: str):
        listed_statements(body)
        self.body = body
        self.matches = matches
        self.source = source
        self.skipped: list[str] = []
        self._this: Match | None = None

    def at(self, path: tuple) -> Any:
        node: Any = self.body
        for step in path:
            node = node[step]
        return node

    def put(self, path: tuple, value: Any) -> None:
        self.at(path[:-1])[path[-1]] = value

    def roles(self) -> list[str]:
        return list(dict.fromkeys(h for m in self.matches for h in m.holders))

    def expand(self, value: Any) -> Any:
        """A deep copy of data with the markers replaced by what they stand for."""
        if isinstance(value, dict):
            if len(value) == 1 and next(iter(value)) in _SCALAR_MARKERS:
                return self._scalar(next(iter(value)))
            marker = next((k for k in value if k in _MARKERS), None) if len(value) == 1 else None
            if marker:
                return self._marker(marker, value[marker])
            return {k: self.expand(v) for k, v in value.items()}
        if isinstance(value, list):
            out: list = []
            for item in value:
                if isinstance(item, dict) and len(item) == 1 and next(iter(item)) in _MARKERS:
                    out.extend(self._marker(*next(iter(item.items()))))
                else:
                    out.append(self.expand(item))
            return out
        return value

    def _scalar(self, marker: str) -> Any:
        if marker == "Overlay::ThisMatch":
            if self._this is None:
                raise ValueError("Overlay::ThisMatch outside Overlay::ForEachMatch")
            return {"Ref": self._this.path[-1]}
        groups = [m.path[-1] for m in self.matches]
        if marker == "Overlay::MatchedVpc":
            return copy.deepcopy(self.body["Resources"][groups[0]]["Properties"]["VpcId"])
        subnets = [s for used, s in workload_networks(self.body) if set(used) & set(groups)]
        return copy.deepcopy(subnets[0])

    def _for_each_match(self, value: Any) -> list:
        out = []
        for match in self.matches:
            self._this = match
            try:
                out.append(self.expand(value))
            finally:
                self._this = None
        return out

    def _marker(self, marker: str, argument: Any = None) -> list:
        if marker == "Overlay::ForEachMatch":
            return self._for_each_match(argument)
        if marker == "Overlay::MatchedStatements":
            return self._matched_statements(literals((argument or {}).get("actions")))
        if marker == "Overlay::VersionedInPlace":
            return TemplateIndex(self.body).versioned_in_place()
        if marker in ("Overlay::StackBuckets", "Overlay::ConnectedStackBuckets"):
            return _bucket_arns(self.body, stack_buckets(self.body, connected=marker == "Overlay::ConnectedStackBuckets"))
        if marker == "Overlay::MatchedRoles":
            resources = self.body["Resources"]
            return [_if(resources[r]["Condition"], {"Ref": r}, NO_VALUE) if resources[r].get("Condition")
                    else {"Ref": r} for r in self.roles()]
        if marker == "Overlay::MatchedResources":
            values = [r for m in self.matches if m.kind == STATEMENT
                      for r in as_items(self.at(m.path).get("Resource"))]
        else:
            values = [r for _p, _l, _h, s in TemplateIndex(self.body).statements()
                      if overlaps(["s3:*"], literals(s.get("Action"))) for r in as_items(s.get("Resource"))
                      if r != "*" and not (isinstance(r, dict) and "Fn::If" in r)]
        unique = {canonical(v): copy.deepcopy(v) for v in values}
        return list(unique.values())


    def _matched_statements(self, patterns: list[str]) -> list[dict]:
        """One Allow per matched statement: its actions that ``patterns`` name, on its own
        resources (so an action granted on one set of resources never spreads to another's)."""
        found: dict[str, dict] = {}
        for match in self.matches:
            if match.kind != STATEMENT:
                continue
            statement = self.at(match.path)
            actions = [a for a in literals(statement.get("Action")) if overlaps(patterns, [a])]
            if actions and "Resource" in statement:
                granted = {"Effect": "Allow", "Action": actions, "Resource": copy.deepcopy(statement["Resource"])}
                found.setdefault(canonical(granted), granted)
        return list(found.values())


#: Where the stack hands Quilt the name of a bucket to connect itself: a canary's run
#: configuration, a container's command (the migration task's ``setup_canaries.py``).
_CONNECTING = {"AWS::Synthetics::Canary": ("RunConfig",), "AWS::ECS::TaskDefinition": ("ContainerDefinitions",)}


def stack_buckets(body: dict, connected: bool = False) -> list[str]:
    """The buckets the template creates (``connected``: those it hands Quilt to connect, which
    Quilt then reads and writes as it does a customer's bucket, whatever their generated name)."""
    resources = body.get("Resources") or {}
    buckets = [b for b, r in resources.items() if isinstance(r, dict) and r.get("Type") == "AWS::S3::Bucket"]
    if not connected:
        return buckets
    named: set[str] = set()
    for resource in resources.values():
        if not isinstance(resource, dict) or resource.get("Type") not in _CONNECTING:
            continue
        value: Any = resource.get("Properties") or {}
        for step in _CONNECTING[resource["Type"]]:
            value = value.get(step) if isinstance(value, dict) else None
        if resource["Type"] == "AWS::ECS::TaskDefinition":
            value = [c.get("Command") for c in as_items(value) if isinstance(c, dict)]
        named |= named_ids(value)
    return [b for b in buckets if b in named]


def _bucket_arns(body: dict, buckets: list[str]) -> list:
    """Each bucket's ARN and its objects', under the bucket's own condition."""
    resources = body["Resources"]
    found = []
    for bucket in buckets:
        for arn in ("${%s.Arn}" % bucket, "${%s.Arn}/*" % bucket):
            value = {"Fn::Sub": arn}
            found.append(_if(resources[bucket]["Condition"], value, NO_VALUE) if resources[bucket].get("Condition")
                         else value)
    return found


def _descending(matches: list[Match]) -> list[Match]:
    """Later places first, so that inserting after one match moves no other."""
    return sorted(matches, key=lambda m: tuple((0, p) if isinstance(p, int) else (1, p) for p in m.path),
                  reverse=True)


def _if(condition: str, when: Any, otherwise: Any) -> dict:
    return {"Fn::If": [condition, when, otherwise]}


def wrap_statement(ctx: EditContext, edit: dict) -> None:
    for m in _descending(ctx.matches):
        statement = ctx.at(m.path)
        otherwise: Any = NO_VALUE
        if edit["otherwise"] == "keep-other-actions":
            rest = [a for a in literals(statement.get("Action")) if a not in m.detail]
            if rest:
                otherwise = {**copy.deepcopy(statement), "Action": rest}
        ctx.put(m.path, _if(edit["condition"], statement, otherwise))


def _scoped(statement: dict, edit: dict, resources: list) -> list:
    """The statement's resources with the broad ones (``*``, or ending as ``replaces`` says) swapped."""
    suffixes = [s for s in edit.get("replaces", ["*"]) if s != "*"]
    kept = [r for r in as_items(statement.get("Resource"))
            if r != "*" and not any(text_of(r).endswith(s) for s in suffixes)]
    return copy.deepcopy(kept) + copy.deepcopy(resources)


_SUB_VARIABLE = re.compile(r"\$\{[^}]*\}")


def _arn_patterns(values: list) -> list[str] | None:
    """The ARN patterns raw resources can take (a literal, an ``Fn::Sub`` text, each branch of an
    ``Fn::If``; every ``${...}`` stands for any text), those that can be read; None when none can."""
    found: list[str] = []
    unread = False
    for value in values:
        if value == NO_VALUE:
            continue
        if isinstance(value, dict) and isinstance(value.get("Fn::If"), list) and len(value["Fn::If"]) == 3:
            branches = _arn_patterns(list(value["Fn::If"][1:]))
            unread = unread or branches is None
            found += branches or []
            continue
        text = text_of(value)
        if text.startswith("arn:"):
            found.append(_SUB_VARIABLE.sub("*", text))
        else:
            unread = True
    return None if unread and not found else found


def _takes(action: str, patterns: tuple[str, ...]) -> bool:
    """Whether a literal action accepts one of the ARN patterns (an unknown action is taken to)."""
    return resource_types.only_star(action) is not True and not resource_types.mismatches((action,), patterns)


def split_by_resource_type(actions: list[str], resources: list) -> tuple[list[str], list[str]]:
    """(actions that accept the scoped ``resources``, actions that do not and keep the vendor's).

    IAM matches an action only against the resource types it defines: an action that accepts
    only ``*`` (``sns:Unsubscribe``, ``athena:ListWorkGroups``) or no type of the scoped
    resources (``athena:ListDatabases`` takes a data catalog, not a workgroup) would be granted
    nowhere once scoped, so it keeps the vendor's resources. A wildcard some of whose actions
    accept them is scoped, and those of its actions that do not keep the vendor's resources by
    name. Resources that cannot be read as ARNs leave every action scoped."""
    patterns = _arn_patterns(resources)
    if not patterns:
        return list(actions), []
    scoped, kept = [], []
    for action in actions:
        if "*" not in action and "?" not in action:
            (scoped if _takes(action, tuple(patterns)) else kept).append(action)
            continue
        names = iam_actions.expand(action)
        refused = [n for n in names if not _takes(n, tuple(patterns))]
        if names and len(refused) == len(names):
            kept.append(action)
        else:
            scoped.append(action)
            kept += refused
    return scoped, list(dict.fromkeys(kept))


def scope_resource(ctx: EditContext, edit: dict) -> None:
    for m in _descending(ctx.matches):
        statement = ctx.at(m.path)
        resources = _scoped(statement, edit, ctx.expand(edit["resources"]))
        actions = literals(statement.get("Action"))
        inside, refused = split_by_resource_type(overlaps(edit["actions"], actions), ctx.expand(edit["resources"]))
        if not inside:
            ctx.skipped.append(f"{m.label}: {', '.join(refused)} accept no resource of the scope; left on "
                               "the vendor's resources")
            continue
        rest = [a for a in actions if a not in inside]
        rest += [a for a in refused if a not in rest]
        if not rest:
            scoped = {**statement, "Resource": _if(edit["condition"], resources, statement["Resource"])}
            ctx.put(m.path, scoped)
            continue
        scoped = {**copy.deepcopy(statement), "Action": inside, "Resource": copy.deepcopy(resources)}
        others = {**copy.deepcopy(statement), "Action": rest}
        if statement.get("Sid"):
            others["Sid"] = f"{statement['Sid']}Others"
        ctx.put(m.path, _if(edit["condition"], scoped, statement))
        ctx.at(m.path[:-1]).insert(m.path[-1] + 1, _if(edit["condition"], others, NO_VALUE))


def add_condition_keys(ctx: EditContext, edit: dict) -> None:
    per_service = edit.get("source_arns") or {}
    unsupported: dict[str, list[str]] = {}
    for m in _descending(ctx.matches):
        statement = ctx.at(m.path)
        existing = statement.get("Condition")
        if existing is not None and not isinstance(existing, dict) or any(
                k.startswith("Fn::") for k in (existing or {})):
            ctx.skipped.append(f"{m.label}: its Condition is computed; left as the vendor wrote it")
            continue
        keys = ctx.expand(edit["keys"])
        if m.kind == TRUST and per_service:
            unknown = [s for s in m.detail if s not in per_service]
            if unknown:
                for service in unknown:
                    unsupported.setdefault(service, []).append(m.holders[0] if m.holders else m.label)
                continue
            arns = [ctx.expand(per_service[s]) for s in m.detail]
            keys.setdefault("ArnLike", {})["aws:SourceArn"] = arns if len(arns) > 1 else arns[0]
            principal = statement.get("Principal")
            if isinstance(principal, dict) and set(principal) - {"Service"}:
                # The statement also names accounts or roles, which send no aws:Source* keys: the
                # keys are checked when present, so those principals keep (or lose) their trust
                # only by their own option.
                keys = {f"{operator}IfExists": pairs for operator, pairs in keys.items()}
                ctx.skipped.append(f"{m.label}: also names principals that are not services; the keys are "
                                   "checked when present (the IfExists form of each operator)")
        merged = copy.deepcopy(existing) if existing else {}
        for operator, pairs in keys.items():
            merged.setdefault(operator, {}).update(pairs)
        statement["Condition"] = _if(edit["condition"], merged, existing if existing is not None else NO_VALUE)
    for service, roles in sorted(unsupported.items()):
        ctx.skipped.append(f"{service} sets no aws:SourceArn the overlay knows of when it assumes a role: the "
                           f"trust of {len(roles)} role(s) ({', '.join(sorted(roles))}) left as the vendor wrote it")


def drop_trust_principals(ctx: EditContext, edit: dict) -> None:
    keep = edit["condition"]
    for m in _descending(ctx.matches):
        statement = ctx.at(m.path)
        principal = statement.get("Principal")
        members = as_items(principal.get("AWS")) if isinstance(principal, dict) else as_items(principal)
        kept = [p for p in members if not (isinstance(p, str) and external(p))]
        others = {k: v for k, v in principal.items() if k != "AWS"} if isinstance(principal, dict) else {}
        if not kept and not others:
            ctx.put(m.path, _if(keep, statement, NO_VALUE))
        elif isinstance(principal, dict):
            principal["AWS"] = _if(keep, principal["AWS"], kept if kept else NO_VALUE)
        else:
            statement["Principal"] = _if(keep, principal, {"AWS": kept})


def add_policy(ctx: EditContext, edit: dict) -> None:
    for role in ctx.roles():
        properties = ctx.body["Resources"][role].setdefault("Properties", {})
        policies = properties.get("Policies")
        if policies is not None and not isinstance(policies, list):
            ctx.skipped.append(f"{role}: its Policies are computed; no policy added")
            continue
        properties.setdefault("Policies", []).append(_if(edit["condition"], ctx.expand(edit["policy"]), NO_VALUE))


def add_resource(ctx: EditContext, edit: dict) -> None:
    logical_id = edit["logical_id"]
    resources = ctx.body["Resources"]
    if logical_id in resources:
        raise TemplateError(f"the template already has a resource {logical_id}; the overlay cannot add its own",
                            file=ctx.source, where=f"Resources/{logical_id}")
    resources[logical_id] = {"Type": edit["resource"]["Type"], "Condition": edit["condition"],
                             **{k: ctx.expand(v) for k, v in edit["resource"].items() if k != "Type"}}


def set_property(ctx: EditContext, edit: dict) -> None:
    for m in ctx.matches:
        properties = ctx.at(m.path).setdefault("Properties", {})
        before = properties.get(edit["property"], NO_VALUE)
        properties[edit["property"]] = _if(edit["condition"], ctx.expand(edit["value"]), before)


def add_statements(ctx: EditContext, edit: dict) -> None:
    """Statements appended, under the condition, to a policy an earlier rule added (by its
    logical id); nothing, and a note, when that rule did not apply."""
    target = edit["to"]
    resource = ctx.body["Resources"].get(target)
    document = (resource.get("Properties") or {}).get("PolicyDocument") if isinstance(resource, dict) else None
    statements = document.get("Statement") if isinstance(document, dict) else None
    if not isinstance(statements, list):
        ctx.skipped.append(f"the template has no {target} (the rule that adds it did not apply): "
                           f"not added: {edit['says']}")
        return
    statements.extend(_if(edit["condition"], ctx.expand(s), NO_VALUE) for s in edit["statements"])


def set_port(ctx: EditContext, edit: dict) -> None:
    port = {"Ref": edit["parameter"]}
    condition = edit["condition"]
    conditions = ctx.body.setdefault("Conditions", {})
    for m in _descending(ctx.matches):
        if isinstance(m.path[-1], int):  # a rule inline in its security group
            rule = ctx.at(m.path)
            ctx.put(m.path, _if(condition, {**rule, "FromPort": port, "ToPort": port}, NO_VALUE))
            continue
        resource = ctx.at(m.path)
        resource["Properties"].update(FromPort=port, ToPort=port)
        existing = resource.get("Condition")
        if existing:
            both = f"{condition}And{existing}"
            conditions[both] = {"Fn::And": [{"Condition": condition}, {"Condition": existing}]}
            resource["Condition"] = both
        else:
            resource["Condition"] = condition


_CHAIN = re.compile(r"\s*&&\s*")


def tolerate_steps(ctx: EditContext, edit: dict) -> None:
    """Unless the condition holds, each step of a container's ``&&`` chain that runs one of the
    named scripts may fail without stopping the steps after it (it says so on standard error)."""
    steps = literals(edit["steps"])
    for m in ctx.matches:
        command = ctx.at(m.path)
        changed = copy.deepcopy(command)
        for i, part in enumerate(as_items(changed)):
            if isinstance(part, str):
                changed[i] = _tolerant(part, steps, edit["note"])
            elif isinstance(part, dict) and isinstance(part.get("Fn::Sub"), str):
                part["Fn::Sub"] = _tolerant(part["Fn::Sub"], steps, edit["note"])
            elif isinstance(part, dict) and isinstance(part.get("Fn::Sub"), list) and part["Fn::Sub"] \
                    and isinstance(part["Fn::Sub"][0], str):
                part["Fn::Sub"][0] = _tolerant(part["Fn::Sub"][0], steps, edit["note"])
        if changed == command:
            ctx.skipped.append(f"{m.label}: its command is computed; left as the vendor wrote it")
            continue
        ctx.put(m.path, _if(edit["condition"], command, changed))


def _tolerant(chain: str, steps: list[str], note: str) -> str:
    parts = _CHAIN.split(chain)
    out = []
    for part in parts:
        script = next((s for s in steps if re.search(rf"(^|/){re.escape(s)}(\s|$)", part.split()[0] if part.split() else "")), None)
        if script is None:
            out.append(part)
        else:
            message = note.replace("SCRIPT", script).replace('"', "'").replace("$", "")
            out.append(f'{{ {part} || echo "{message}" >&2; }}')
    return " && ".join(out)


def offer_option(ctx: EditContext, edit: dict) -> None:
    """Nothing to edit: the matches are what a later rule (``for_rule``) fills with this option."""


DECLARED = "Overlay::IfDeclared"


def resolve_declared(body: dict) -> None:
    """Replace every ``Overlay::IfDeclared`` marker of ``body`` (in place) by its ``then`` when
    the template declares every name it lists, else by its ``else`` (``AWS::NoValue`` if none)."""
    declared = set(body.get("Parameters") or {}) | set(body.get("Conditions") or {})

    def resolved(value: Any) -> Any:
        """``value`` with its markers resolved: itself when it holds none (a part of the template
        is copied only along the way to a marker)."""
        if isinstance(value, dict):
            if len(value) == 1 and DECLARED in value:
                spec = value[DECLARED]
                chosen = spec["then"] if set(literals(spec.get("names"))) <= declared else spec.get("else", NO_VALUE)
                return resolved(chosen)
            changed = {key: new for key, item in value.items() if (new := resolved(item)) is not item}
            return {k: changed[k] if k in changed else v for k, v in value.items()} if changed else value
        if isinstance(value, list):
            items = [resolved(v) for v in value]
            return items if any(new is not old for new, old in zip(items, value)) else value
        return value

    for key in ("Resources", "Outputs"):
        if isinstance(body.get(key), dict):
            body[key] = resolved(body[key])


EDITS: dict[str, Callable[[EditContext, dict], None]] = {
    "wrap-statement": wrap_statement,
    "scope-resource": scope_resource,
    "add-condition-keys": add_condition_keys,
    "drop-trust-principals": drop_trust_principals,
    "add-policy": add_policy,
    "add-resource": add_resource,
    "set-property": set_property,
    "set-port": set_port,
    "add-statements": add_statements,
    "add-boundary": add_boundary,
    "tolerate-steps": tolerate_steps,
    "offer-option": offer_option,
}
