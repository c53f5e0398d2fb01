"""A permissions boundary on every role a template creates: the envelope of what it grants.

A path limits where a policy may be written, not what a written policy grants: a role that may
write a new default version of a policy attached to itself can grant itself anything. A
permissions boundary caps that, whatever the policy says. The overlay's ``add-boundary`` edit
gives each matched role a managed policy holding its *envelope*, read from the template as it
stands when the rule runs, so that the earlier rules' scoping (bucket prefix, Athena
workgroups) and conditions (a policy write kept only in Automatic mode) carry over:

- the Allow statements of its inline policies and of the stack's managed policies attached to
  it, under the ``Fn::If`` (or the overlay's ``Overlay::IfDeclared``) they sit under;
- the Allow statements of the AWS managed policies attached to it, from the bundled copies;
- for a policy filled or rewritten at run time, in place of each placeholder statement
  (``NotResource: '*'``), the placeholder's actions that the edit's ``run_time`` data names, on
  the resources it gives them (S3: the bucket-prefix buckets, or every bucket without a prefix;
  STS: roles on the stack's path); a policy of the split pair's other stack that is rewritten
  here, whose text the template does not hold, gets every ``run_time`` entry;
- the ``sts:`` actions of each trust policy of the stack that names the role (with a boundary,
  a trust naming a role's ARN no longer suffices on its own), on that role's ARN as
  CloudFormation names it (``STACK-LogicalId-*`` on its path): naming it by ``Fn::GetAtt``
  would make the two roles wait on each other;
- the actions a resource policy of the stack grants the role's ARN (a key or bucket policy),
  on the resources it names; where naming one would make a dependency cycle, on the pattern
  the edit's ``cyclic`` data gives for its type (a key policy: the account's keys in the
  region), or not at all.

Nothing else: whatever a run-time policy grants beyond that takes no effect (a role granted
nothing gets a boundary that denies everything). Roles whose envelope and condition are the
same share one policy.

IAM takes at most 6,144 characters of policy text (white space aside), and a role has one
boundary. The envelope is first written short and exact: each resource once per set of actions,
an action kept only on the resources of its own service. When the estimate is still too long
(the ECS task role of the vendor's template), the envelope is split: the boundary admits each
action that plain, unconditional statements grant by name (not IAM, STS or the run-time
services) on every resource, and a ``<boundary>Limits`` policy attached to the same roles denies
each of them on every resource but those the envelope names for it. Together they admit
exactly the envelope; both sit under the boundary path the guardrail protects. Only then are
action lists written as the shortest wildcards that name only granted actions (per the IAM
catalog; never IAM, STS or KMS); a boundary that still cannot fit is an error.
"""

from __future__ import annotations

import copy
import json
import re
from typing import Any, Iterator

from wizard.errors import TemplateError
from wizard.iam import actions as iam_actions
from wizard.iam import managed_policies
from wizard.iam.carriers import RESOURCE_CARRIERS
from wizard.overlay.match import POLICY_VERSION_WRITES, as_items, canonical, is_statement, literals, overlaps

NO_VALUE = {"Ref": "AWS::NoValue"}
ENVELOPE = "Overlay::Envelope"

#: IAM's limit on a managed policy's text, white space aside.
MAX_POLICY_CHARACTERS = 6144

_AWS_MANAGED = re.compile(r"arn:(?:aws[a-z-]*|\$\{AWS::Partition\}):iam::aws:policy/([A-Za-z0-9+=,.@_/-]+)")
_SUB_NAME = re.compile(r"\$\{([A-Za-z0-9]+)(?:\.[A-Za-z0-9.]+)?\}")

#: Lengths the estimate gives what CloudFormation fills in (generous: a long region, a 32-character
#: stack name, a generated name and a whole ARN).
_ESTIMATES = {"AWS::Partition": 10, "AWS::Region": 14, "AWS::AccountId": 12, "AWS::StackName": 32,
              "AWS::StackId": 110, "AWS::URLSuffix": 13}
_NAME_LENGTH, _ARN_LENGTH, _BUCKET_ARN_LENGTH = 64, 125, 76

#: The overlay's marker for a value chosen once every rule has applied (``wizard.overlay.edits``):
#: a boundary keeps it, around what it copies, for the same choice to be made there.
DECLARED = "Overlay::IfDeclared"

#: How a value is reached: ``(condition, branch)`` of an ``Fn::If``, or ``((DECLARED, names), branch)``.
Wrappers = tuple[tuple[Any, bool], ...]


def _if(condition: str, when: Any, otherwise: Any) -> dict:
    return {"Fn::If": [condition, when, otherwise]}


def _wrapped(statement: Any, wrappers: Wrappers) -> Any:
    """``statement`` under each ``(condition, branch)``, innermost last."""
    for condition, branch in reversed(wrappers):
        chosen, other = (statement, NO_VALUE) if branch else (NO_VALUE, statement)
        if isinstance(condition, tuple):
            statement = {DECLARED: {"names": list(condition[1]), "then": chosen, "else": other}}
        else:
            statement = _if(condition, chosen, other)
    return statement


def _is_if(value: Any) -> bool:
    return isinstance(value, dict) and len(value) == 1 and isinstance(value.get("Fn::If"), list) \
        and len(value["Fn::If"]) == 3 and isinstance(value["Fn::If"][0], str)


def _choice(value: Any) -> tuple[Any, Any, Any] | None:
    """(wrapper key, value when true, value when false) of an ``Fn::If`` or a declared-names marker."""
    if _is_if(value):
        return tuple(value["Fn::If"])  # type: ignore[return-value]
    spec = value.get(DECLARED) if isinstance(value, dict) and len(value) == 1 else None
    if isinstance(spec, dict):
        return (DECLARED, tuple(literals(spec.get("names")))), spec.get("then"), spec.get("else", NO_VALUE)
    return None


def _leaves(value: Any, wrappers: Wrappers = ()) -> Iterator[tuple[Any, Wrappers]]:
    """Every non-``Fn::If`` value inside ``value`` (lists flattened), with the branches that lead to it."""
    choice = _choice(value)
    if choice is not None:
        condition, when, otherwise = choice
        yield from _leaves(when, (*wrappers, (condition, True)))
        yield from _leaves(otherwise, (*wrappers, (condition, False)))
    elif isinstance(value, list):
        for item in value:
            yield from _leaves(item, wrappers)
    elif value is not None and value != NO_VALUE:
        yield value, wrappers


def _strings_in(value: Any) -> Iterator[str]:
    """The literal strings and ``Fn::Sub`` templates anywhere inside ``value``."""
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        sub = value.get("Fn::Sub")
        if isinstance(sub, str):
            yield sub
        elif isinstance(sub, list) and sub and isinstance(sub[0], str):
            yield sub[0]
        for key, item in value.items():
            if key != "Fn::Sub":
                yield from _strings_in(item)
    elif isinstance(value, list):
        for item in value:
            yield from _strings_in(item)


def _named(value: Any) -> set[str]:
    """The logical ids a value names (``Ref``, ``Fn::GetAtt``, ``${X}`` in ``Fn::Sub``)."""
    found: set[str] = set()
    if isinstance(value, dict):
        if isinstance(value.get("Ref"), str):
            found.add(value["Ref"])
        target = value.get("Fn::GetAtt")
        if isinstance(target, list) and target and isinstance(target[0], str):
            found.add(target[0])
        elif isinstance(target, str):
            found.add(target.split(".", 1)[0])
        sub = value.get("Fn::Sub")
        if isinstance(sub, str):
            found |= set(_SUB_NAME.findall(sub))
        elif isinstance(sub, list) and sub and isinstance(sub[0], str):
            local = set(sub[1]) if len(sub) > 1 and isinstance(sub[1], dict) else set()
            found |= set(_SUB_NAME.findall(sub[0])) - local
            found |= _named(sub[1:])
        for key, item in value.items():
            if key not in ("Ref", "Fn::GetAtt", "Fn::Sub"):
                found |= _named(item)
    elif isinstance(value, list):
        for item in value:
            found |= _named(item)
    return found


named_ids = _named


def without_covered(statements: list) -> list:
    """The statements with each resource dropped from those whose every action an unconditional
    plain statement already grants on it (the buckets the stack connects, granted once for every
    mode, are not written again in each mode's statements); a statement left on nothing goes."""
    plain = [s for s in statements if _regroupable(s) and "Condition" not in s]

    def covered(actions: list[str], resource: Any, own: Any) -> bool:
        key = canonical(resource)
        return any(p is not own and key in {canonical(r) for r in as_items(p["Resource"])}
                   and all(any(_covers_action(g, a) for g in literals(p["Action"])) for a in actions) for p in plain)

    def kept(value: Any, actions: list[str], own: Any) -> Any:
        if _is_if(value):
            condition, when, otherwise = value["Fn::If"]
            return {"Fn::If": [condition, kept(when, actions, own), kept(otherwise, actions, own)]}
        if isinstance(value, list):
            left = [kept(v, actions, own) for v in value if _is_if(v) or not covered(actions, v, own)]
            return left
        return NO_VALUE if covered(actions, value, own) else value

    def pruned(value: Any) -> Any:
        if _is_if(value):
            condition, when, otherwise = value["Fn::If"]
            return {"Fn::If": [condition, pruned(when), pruned(otherwise)]}
        if not is_statement(value) or value.get("Effect") != "Allow" or "Resource" not in value \
                or "NotAction" in value or not literals(value.get("Action")):
            return value
        resource = kept(value["Resource"], literals(value["Action"]), value)
        if resource == [] or resource == NO_VALUE:
            return NO_VALUE
        return {**value, "Resource": resource}

    if not plain:
        return statements
    return [s for s in (pruned(s) for s in statements) if s != NO_VALUE]


class Dependencies:
    """Which resource waits on which (``Ref``, ``Fn::GetAtt``, ``Fn::Sub``, ``DependsOn``)."""

    def __init__(self, resources: dict):
        self.edges: dict[str, set[str]] = {}
        for logical_id, resource in resources.items():
            if not isinstance(resource, dict):
                continue
            named = _named({k: v for k, v in resource.items() if k != "DependsOn"})
            named |= set(as_items(resource.get("DependsOn")))
            self.edges[logical_id] = {n for n in named if n in resources and n != logical_id}

    def waits_on(self, start: str, end: str) -> bool:
        """Whether ``start`` waits, directly or not, on ``end``."""
        seen, stack = {start}, [start]
        while stack:
            for following in self.edges.get(stack.pop(), ()):
                if following == end:
                    return True
                if following not in seen:
                    seen.add(following)
                    stack.append(following)
        return False

    def add(self, start: str, ends: set[str]) -> None:
        self.edges.setdefault(start, set()).update(ends)


# -- the statements of a policy, through its conditions -------------------------------------------

def _branches(value: Any, wrappers: Wrappers = ()) -> Iterator[tuple[Any, Wrappers]]:
    """``value`` itself, or the branches of its ``Fn::If`` (lists are not opened)."""
    choice = _choice(value)
    if choice is not None:
        condition, when, otherwise = choice
        yield from _branches(when, (*wrappers, (condition, True)))
        yield from _branches(otherwise, (*wrappers, (condition, False)))
    elif value is not None and value != NO_VALUE:
        yield value, wrappers


def _document_statements(document: Any, wrappers: Wrappers = ()) -> Iterator[tuple[dict, Wrappers]]:
    """Every statement of a policy document (a mapping, or ``Fn::If`` of documents), with the
    branches it sits under; an item of the list that is neither a statement nor an ``Fn::If`` of
    statements (a list in a list, say) grants nothing and is passed over."""
    for node, outer in _branches(document, wrappers):
        if not isinstance(node, dict):
            continue
        for listed, middle in _branches(node.get("Statement"), outer):
            for item in as_items(listed):
                for statement, inner in _branches(item, middle):
                    if is_statement(statement):
                        yield statement, inner


def _is_placeholder(statement: dict) -> bool:
    return statement.get("Effect") == "Allow" and "*" in literals(statement.get("NotResource"))


def _plain(statement: dict) -> dict:
    """An Allow statement as a boundary holds it: without its ``Sid`` (ids may repeat across sources)."""
    return {k: copy.deepcopy(v) for k, v in statement.items() if k != "Sid"}


class Envelope:
    """What the template grants each role, read once per edit."""

    def __init__(self, body: dict, edit: dict):
        self.body = body
        self.resources: dict = body.get("Resources") or {}
        entries = [e for e in edit.get("run_time") or () if e.get("resources")]
        self.run_time: list[dict] = [e for e in entries if not e.get("in_every_mode")]
        #: Entries that hold however the policy is filled (the buckets the stack connects itself).
        self.every_mode: list[dict] = [e for e in entries if e.get("in_every_mode")]
        #: Services a run-time policy may be filled with: their actions stay named with their resources.
        self.run_time_services = tuple(sorted({a.split(":", 1)[0].lower() for e in entries for a in e["actions"]}))
        self.cyclic: dict = edit.get("cyclic") or {}
        self.dependencies = Dependencies(self.resources)
        self.rewritten = self._rewritten()
        self.notes: list[str] = []

    # -- which policies are filled or rewritten at run time
    def _rewritten(self) -> set[str]:
        found: set[str] = set()
        for _logical, resource in self._of_type("AWS::IAM::Role", "AWS::IAM::ManagedPolicy", "AWS::IAM::Policy"):
            properties = resource.get("Properties") or {}
            documents = [p.get("PolicyDocument") for p, _w in _leaves(properties.get("Policies"))
                         if isinstance(p, dict)] + [properties.get("PolicyDocument")]
            for document in documents:
                for statement, _wrappers in _document_statements(document):
                    if statement.get("Effect") == "Allow" and overlaps(POLICY_VERSION_WRITES,
                                                                       literals(statement.get("Action"))):
                        found |= _named(statement.get("Resource"))
        return found

    def _run_time_policy(self, logical_id: str, document: Any) -> bool:
        if logical_id in self.rewritten:
            return True
        for branch, _wrappers in _branches(document):
            statements = [s for s, _w in _document_statements(branch)]
            if statements and all(_is_placeholder(s) for s in statements):
                return True
        return False

    def _of_type(self, *types: str) -> Iterator[tuple[str, dict]]:
        for logical_id, resource in self.resources.items():
            if isinstance(resource, dict) and resource.get("Type") in types:
                yield logical_id, resource

    # -- the envelope of one role
    def of(self, role: str) -> list:
        """The boundary statements of ``role``: every Allow it is granted, as the template grants it."""
        properties = self.resources[role].get("Properties") or {}
        statements: list = []
        for policy, wrappers in _leaves(properties.get("Policies")):
            if isinstance(policy, dict):
                statements += self._copied(policy.get("PolicyDocument"), wrappers, run_time=False)
        for value, wrappers in _leaves(properties.get("ManagedPolicyArns")):
            for text in _strings_in(value):
                for name in _AWS_MANAGED.findall(text):
                    statements += [_wrapped(s, wrappers) for s in self._aws_managed(role, name)]
            for name in sorted(_named(value)):
                if self.resources.get(name, {}).get("Type") == "AWS::IAM::ManagedPolicy":
                    statements += self._managed(name, wrappers)
                elif name in self.rewritten and name not in self.resources:
                    # a policy of another stack, rewritten here at run time: what it may come to hold
                    statements += [_wrapped(s, wrappers) for s in self._filled(None) + self._filled(None, True)]
                elif not name.startswith("AWS::") and name not in self.resources:
                    self.notes.append(f"{role}: the policies that parameter {name} attaches take effect only "
                                      "within its permissions boundary")
        for logical_id, resource in self._of_type("AWS::IAM::ManagedPolicy", "AWS::IAM::Policy"):
            members = (resource.get("Properties") or {}).get("Roles")
            for value, wrappers in _leaves(members):
                if isinstance(value, dict) and value.get("Ref") == role:
                    statements += self._managed(logical_id, wrappers)
        statements += self._assumable(role)
        statements += self._resource_policies(role)
        return without_covered(_merged_under_conditions(statements, self.resources))

    def _managed(self, logical_id: str, wrappers: Wrappers) -> list:
        resource = self.resources[logical_id]
        if resource.get("Condition"):
            wrappers = ((resource["Condition"], True), *wrappers)
        document = (resource.get("Properties") or {}).get("PolicyDocument")
        run_time = self._run_time_policy(logical_id, document)
        found = self._copied(document, wrappers, run_time=run_time)
        if run_time:
            placeholders = {canonical(s): s for s, _w in _document_statements(document) if _is_placeholder(s)}
            found += [_wrapped(s, wrappers) for p in placeholders.values() for s in self._filled(p, True)]
        return found

    def _copied(self, document: Any, wrappers: Wrappers, run_time: bool) -> list:
        found = []
        for statement, inner in _document_statements(document, wrappers):
            if statement.get("Effect") != "Allow":
                continue
            if not _is_placeholder(statement):
                found.append(_wrapped(_plain(statement), inner))
            elif run_time:
                found += [_wrapped(s, inner) for s in self._filled(statement)]
        return found

    def _filled(self, placeholder: dict | None, every_mode: bool = False) -> list:
        """What a run-time placeholder may come to grant: its actions that a ``run_time`` entry
        names, on that entry's resources (``None``: a policy whose text is unknown, every entry);
        ``every_mode``: the entries that hold however it is filled."""
        found = []
        actions = literals(placeholder.get("Action")) if placeholder is not None else []
        admitted: set[str] = set()
        for entry in (self.every_mode if every_mode else self.run_time):
            chosen = overlaps(entry["actions"], actions) if placeholder is not None else list(entry["actions"])
            if chosen:
                admitted |= set(chosen)
                found.append({"Effect": "Allow", "Action": chosen, "Resource": copy.deepcopy(entry["resources"])})
        left = [a for a in actions if a not in admitted]
        if left and not every_mode:
            self.notes.append(f"a run-time policy grants {', '.join(left)}: no boundary admits them (the rule "
                              "names no run-time resources for them)")
        return found

    def _aws_managed(self, role: str, name: str) -> list:
        statements = managed_policies.statements(f"arn:aws:iam::aws:policy/{name}")
        if statements is None:
            self.notes.append(f"{role}: the AWS managed policy {name} is not in the bundled copies; its boundary "
                              "does not admit what it grants")
            return []
        return [_partitioned(_plain(s)) for s in statements if s.get("Effect") == "Allow"]

    def _assumable(self, role: str) -> list:
        """``sts:`` actions on each role of the stack whose trust policy names ``role``."""
        found = []
        for other, resource in self._of_type("AWS::IAM::Role"):
            if other == role:
                continue
            document = (resource.get("Properties") or {}).get("AssumeRolePolicyDocument")
            for statement, _wrappers in _document_statements(document):
                principal = statement.get("Principal")
                if statement.get("Effect") != "Allow" or not isinstance(principal, dict):
                    continue
                if role not in _named(principal.get("AWS")):
                    continue
                actions = [a for a in literals(statement.get("Action")) if a.lower().startswith("sts:")]
                arn = self._role_arn(other)
                if actions and arn is not None:
                    granted = {"Effect": "Allow", "Action": actions, "Resource": arn}
                    found.append(_if(resource["Condition"], granted, NO_VALUE) if resource.get("Condition") else granted)
        return found

    def _role_arn(self, role: str) -> Any:
        """The ARN of a role of the stack as a pattern: its path and its name as CloudFormation writes them."""
        properties = self.resources[role].get("Properties") or {}
        path, name = (_sub_text(properties.get(key)) for key in ("Path", "RoleName"))
        if "Path" not in properties:
            path = "/"
        if "RoleName" not in properties:
            name = "${AWS::StackName}-" + role + "-*"
        if name is None:
            self.notes.append(f"{role}: its name is computed; the roles its trust names cannot assume it "
                              "within their boundaries")
            return None
        return {"Fn::Sub": "arn:${AWS::Partition}:iam::${AWS::AccountId}:role" + (path or "/*") + name}

    def _resource_policies(self, role: str) -> list:
        """What the stack's resource policies grant ``role``'s ARN, on what they protect."""
        found = []
        for carrier_id, resource in self._of_type(*RESOURCE_CARRIERS):
            carrier = RESOURCE_CARRIERS[resource["Type"]]
            document: Any = resource.get("Properties") or {}
            for step in carrier.document:
                document = document.get(step) if isinstance(document, dict) else None
            for statement, wrappers in _document_statements(document):
                principal = statement.get("Principal")
                if statement.get("Effect") != "Allow" or not isinstance(principal, dict) \
                        or role not in _named(principal.get("AWS")):
                    continue
                targets = [r for r in as_items(statement.get("Resource")) if r != "*"]
                if not targets and carrier.target is None:
                    targets = [{"Fn::GetAtt": [carrier_id, "Arn"]}]
                kept = []
                for target in targets:
                    cycle = any(n == role or self.dependencies.waits_on(n, role) for n in _named(target))
                    if not cycle:
                        kept.append(copy.deepcopy(target))
                        self.dependencies.add(role, _named(target))
                    elif resource["Type"] in self.cyclic:
                        kept.append(copy.deepcopy(self.cyclic[resource["Type"]]))
                    else:
                        self.notes.append(f"{role}: what {carrier_id}'s policy grants it is left out of its "
                                          "boundary (naming the resource would make a dependency cycle)")
                if kept:
                    granted = {k: copy.deepcopy(v) for k, v in statement.items()
                               if k in ("Effect", "Action", "NotAction", "Condition")}
                    granted["Resource"] = kept
                    found.append(_wrapped(granted, wrappers))
        return found


def _sub_text(value: Any) -> str | None:
    """A value as ``Fn::Sub`` text: a literal, a parameter's ``${Name}``, a one-string ``Fn::Sub``."""
    if isinstance(value, str):
        return value.replace("${", "${!")
    if isinstance(value, dict) and isinstance(value.get("Ref"), str) and len(value) == 1:
        return "${" + value["Ref"] + "}"
    if isinstance(value, dict) and isinstance(value.get("Fn::Sub"), str) and len(value) == 1:
        return value["Fn::Sub"]
    return None


def _partitioned(statement: dict) -> dict:
    """An AWS managed policy's statement with ``arn:aws:`` resources written for any partition."""
    def one(value: Any) -> Any:
        if isinstance(value, str) and value.startswith("arn:aws:") and "${" not in value:
            return {"Fn::Sub": "arn:${AWS::Partition}:" + value[len("arn:aws:"):]}
        return value
    for key in ("Resource", "NotResource"):
        if isinstance(statement.get(key), list):
            statement[key] = [one(v) for v in statement[key]]
        elif key in statement:
            statement[key] = one(statement[key])
    return statement


# -- fitting IAM's limit ------------------------------------------------------------------------

def _mergeable(statement: Any) -> bool:
    return is_statement(statement) and set(statement) <= {"Effect", "Action", "Resource", "Condition"} \
        and statement.get("Effect") == "Allow" and "Action" in statement and "Resource" in statement


def _unit(value: Any) -> bool:
    """A resource value that may stand in a list beside others: a string, or an intrinsic giving one."""
    if isinstance(value, str):
        return True
    if _is_if(value):
        return all(branch == NO_VALUE or _unit(branch) for branch in value["Fn::If"][1:])
    return isinstance(value, dict) and len(value) == 1 and next(iter(value)) in ("Ref", "Fn::GetAtt", "Fn::Sub",
                                                                               "Fn::Join", "Fn::Select")


def _regroupable(statement: Any) -> bool:
    return _mergeable(statement) and all(isinstance(a, str) for a in as_items(statement["Action"])) \
        and all(_unit(r) for r in as_items(statement["Resource"]))


#: The IAM service of the resources of a CloudFormation type (``AWS::<this>::...``), where it is sure.
_TYPE_SERVICES = {"S3": "s3", "SQS": "sqs", "SNS": "sns", "Lambda": "lambda", "Glue": "glue", "Athena": "athena",
                  "Events": "events", "KinesisFirehose": "firehose", "Kinesis": "kinesis", "KMS": "kms",
                  "Logs": "logs", "DynamoDB": "dynamodb", "SSM": "ssm", "SecretsManager": "secretsmanager",
                  "Synthetics": "synthetics", "IAM": "iam", "ECS": "ecs", "ECR": "ecr", "StepFunctions": "states",
                  "OpenSearchService": "es", "Elasticsearch": "es", "CloudTrail": "cloudtrail"}


def resource_service(resources: dict, value: Any) -> str | None:
    """The IAM service a resource value names (``glue`` for a Glue ARN, ``s3`` for a bucket's
    ``Fn::GetAtt``), or None when it may be any."""
    text = value if isinstance(value, str) else None
    if isinstance(value, dict) and len(value) == 1:
        target = value.get("Fn::GetAtt") or ([value["Ref"]] if isinstance(value.get("Ref"), str) else None)
        if isinstance(target, str):
            target = target.split(".")
        if isinstance(target, list) and target and isinstance(target[0], str):
            kind = str((resources.get(target[0]) or {}).get("Type", ""))
            return _TYPE_SERVICES.get(kind.split("::")[1]) if kind.count("::") == 2 else None
        sub = value.get("Fn::Sub")
        text = sub if isinstance(sub, str) else None
    if text is None:
        return None
    if text.startswith("${") and "}" in text and not text.startswith("${AWS::"):
        return resource_service(resources, {"Fn::GetAtt": text[2:text.index("}")].split(".")})
    parts = re.sub(r"\$\{AWS::[A-Za-z]+\}", "x", text).split(":")
    return parts[2] if text.startswith("arn:") and len(parts) > 3 and parts[2] and "$" not in parts[2] else None


#: Services whose actions only ever name their own resources (``sts:AssumeRole`` names an IAM role,
#: ``ssm:SendCommand`` an EC2 instance: those are not here).
_OWN_RESOURCES_ONLY = frozenset({"s3", "sqs", "sns", "lambda", "glue", "athena", "events", "firehose", "kinesis",
                                 "kms", "logs", "dynamodb", "secretsmanager", "synthetics", "iam", "ecr", "es",
                                 "cloudtrail", "states"})


def _serves(service: str | None, action: str) -> bool:
    """Whether ``action`` may name a resource of ``service`` (None: of any)."""
    prefix = action.split(":", 1)[0].lower()
    return service is None or prefix == service or prefix not in _OWN_RESOURCES_ONLY


def _merged(statements: list, resources: dict | None = None) -> list:
    """The same grants in fewer characters: duplicates dropped, and the plain statements (Allow,
    Action, Resource, Condition) rewritten as one statement per set of actions, each resource
    written once, beside the statements of the same condition that grant it the same actions.
    With the template's ``resources``, an action is kept only on the resources of its service
    (a statement granting S3 and Glue actions on S3 and Glue ARNs grants nothing else)."""
    unique = list({canonical(s): s for s in statements}.values())
    granted: dict[str, dict[str, tuple[Any, list[str]]]] = {}
    conditions: dict[str, Any] = {}
    out: list = []
    for statement in unique:
        if not _regroupable(statement):
            out.append(statement)
            continue
        condition = canonical(statement.get("Condition"))
        if condition not in granted:
            conditions[condition] = statement.get("Condition")
            out.append(condition)  # where the condition's statements go
        on = granted.setdefault(condition, {})
        for resource in as_items(statement["Resource"]):
            service = resource_service(resources, resource) if resources is not None else None
            serving = [a for a in literals(statement["Action"]) if _serves(service, a)]
            if not serving:
                continue
            _value, actions = on.setdefault(canonical(resource), (resource, []))
            actions += [a for a in serving if a.lower() not in {x.lower() for x in actions}]
    result: list = []
    for item in out:
        if not isinstance(item, str):
            result.append(item)
            continue
        pairs = [(resource, [a for a in actions if not any(b != a and "*" in b and _covers_action(b, a)
                                                            for b in actions)])
                 for resource, actions in granted[item].values()]
        shortest = min((_by_actions(pairs), _by_resources(pairs)), key=lambda c: _estimate(c, resources or {}))
        for actions, named in shortest:
            merged: dict = {"Effect": "Allow", "Action": actions if len(actions) > 1 else actions[0],
                            "Resource": named if len(named) > 1 else named[0]}
            if conditions[item] is not None:
                merged["Condition"] = copy.deepcopy(conditions[item])
            result.append(merged)
    return result


def _peeled(value: Any) -> tuple[Wrappers, Any]:
    """(the conditions a statement sits under, one branch each, the statement itself)."""
    wrappers: list[tuple[Any, bool]] = []
    while _is_if(value) and NO_VALUE in value["Fn::If"][1:]:
        condition, when, otherwise = value["Fn::If"]
        branch = otherwise == NO_VALUE
        wrappers.append((condition, branch))
        value = when if branch else otherwise
    return tuple(wrappers), value


def _merged_under_conditions(statements: list, resources: dict | None = None) -> list:
    """:func:`_merged`, applied to the statements under each same set of conditions (the
    policy-creation mode's read and write statements on the same buckets become one)."""
    groups: dict[str, tuple[Wrappers, list]] = {}
    order: list = []
    for statement in statements:
        wrappers, inner = _peeled(statement)
        if not wrappers or not is_statement(inner):
            order.append(statement)
            continue
        key = canonical(wrappers)
        if key not in groups:
            groups[key] = (wrappers, [])
            order.append(key)
        groups[key][1].append(inner)
    plain = _merged([s for s in order if not isinstance(s, str)], resources)
    return plain + [_wrapped(s, groups[k][0]) for k in order if isinstance(k, str)
                    for s in _merged(groups[k][1], resources)]


def _by_actions(pairs: list[tuple[Any, list[str]]]) -> list[tuple[list[str], list]]:
    """(actions, resources): each resource once, beside those granted the same actions."""
    grouped: dict[frozenset, tuple[list[str], list]] = {}
    for resource, actions in pairs:
        grouped.setdefault(frozenset(a.lower() for a in actions), (actions, []))[1].append(copy.deepcopy(resource))
    return [(actions, _uncovered(named)) for actions, named in grouped.values()]


def _by_resources(pairs: list[tuple[Any, list[str]]]) -> list[tuple[list[str], list]]:
    """(actions, resources): each action once, beside those granted on the same resources."""
    places: dict[str, tuple[str, dict[str, Any]]] = {}
    for resource, actions in pairs:
        for action in actions:
            places.setdefault(action.lower(), (action, {}))[1].setdefault(canonical(resource), resource)
    grouped: dict[str, tuple[list[str], list]] = {}
    for action, named in places.values():
        grouped.setdefault(canonical(sorted(named)), ([], [copy.deepcopy(r) for r in named.values()]))[0].append(action)
    return [(actions, _uncovered(named)) for actions, named in grouped.values()]


def _uncovered(values: list) -> list:
    """The resource values without those another value's pattern names whole (both written as
    text, the same ``${...}`` standing for the same value)."""
    from wizard.iam.wildcards import pattern_covers

    texts = [v if isinstance(v, str) else v.get("Fn::Sub") if isinstance(v, dict) and len(v) == 1
             and isinstance(v.get("Fn::Sub"), str) else None for v in values]
    kept = []
    for i, value in enumerate(values):
        if texts[i] is not None and any(j != i and texts[j] is not None and "*" in texts[j] and texts[j] != texts[i]
                                        and pattern_covers(texts[j], texts[i], case_sensitive=True)
                                        for j in range(len(values))):
            continue
        kept.append(value)
    return kept


def _covers_action(pattern: str, action: str) -> bool:
    from wizard.iam.wildcards import action_matches

    return action_matches(pattern, action)


#: Services whose actions are never written as wildcards (the next release of the catalog may add
#: an action a pattern would then admit).
_EXACT_SERVICES = ("iam", "sts", "kms")


def wildcarded(statements: list) -> list:
    """Each plain statement's literal actions written as the shortest patterns that name only
    actions it grants (per the IAM catalog); IAM, STS and KMS actions, actions the catalog does
    not know, and statements on every resource (where a Limits Deny names each action) stay as
    they are."""
    out = []
    for statement in statements:
        if not _regroupable(statement) or statement["Resource"] == "*":
            out.append(statement)
            continue
        granted = {a.lower() for a in literals(statement["Action"])}
        patterns: list[str] = []
        for action in literals(statement["Action"]):
            if not any(_covers(p, action) for p in patterns):
                patterns.append(_shortest(action, granted))
        out.append({**statement, "Action": patterns if len(patterns) > 1 else patterns[0]})
    return out


def _covers(pattern: str, action: str) -> bool:
    return pattern.endswith("*") and action.lower().startswith(pattern[:-1].lower())


def _shortest(action: str, granted: set[str]) -> str:
    service, _, name = action.partition(":")
    if not name or service.lower() in _EXACT_SERVICES or "*" in action or "?" in action \
            or not iam_actions.expand(action):
        return action
    for length in range(1, len(name)):
        pattern = f"{service}:{name[:length]}*"
        named = {a.lower() for a in iam_actions.expand(pattern)}
        if named and named <= granted:
            return pattern
    return action


def _grants(statement: Any, action: str) -> bool:
    """Whether a statement (or one of its ``Fn::If`` branches) may allow ``action``."""
    for node, _wrappers in _branches(statement):
        if not is_statement(node):
            continue
        if "NotAction" in node:
            if not any(_covers_action(n, action) for n in literals(node["NotAction"])):
                return True
        elif any(_covers_action(a, action) for a in literals(node.get("Action"))) \
                or any(not isinstance(a, str) for a in as_items(node.get("Action"))):
            return True
    return False


def split_by_resource(statements: list, resources: dict | None = None,
                      exact: tuple[str, ...] = ("iam", "sts")) -> tuple[list, list]:
    """The envelope as a shorter boundary and the Denies that keep it exact. An action that plain,
    unconditional statements name (not of a service in ``exact``), and that no statement with a
    ``Condition`` grants (nor, for a pattern such as ``sqs:*``, any statement that does not name
    that very pattern), is admitted by the boundary on every resource; a Deny of that action on
    every resource but those the envelope grants it on (each under the ``Fn::If`` it is granted
    under) restores the envelope. (boundary statements, Denies)"""
    plain = [s for s in statements if _regroupable(s) and "Condition" not in s]
    candidates: dict[str, str] = {}
    for statement in plain:
        for action in literals(statement["Action"]):
            service = action.split(":", 1)[0].lower()
            if service not in exact and "*" not in service and "?" not in service:
                candidates.setdefault(action.lower(), action)
    coarse: dict[str, str] = {}
    allowed: dict[str, dict[str, Any]] = {}
    for lowered, action in candidates.items():
        places = _granted_on(statements, action, resources)
        if places is not None:
            coarse[lowered], allowed[lowered] = action, places
    if not coarse:
        return statements, []
    kept: list = []
    for statement in statements:
        if not any(statement is p for p in plain):
            kept.append(statement)
            continue
        rest = [a for a in literals(statement["Action"]) if a.lower() not in coarse]
        if rest:
            kept.append({**statement, "Action": rest if len(rest) > 1 else rest[0]})
    boundary = _merged(kept, resources) + [{"Effect": "Allow", "Action": list(coarse.values()), "Resource": "*"}]
    by_resources: dict[str, tuple[list[str], list]] = {}
    for lowered, action in coarse.items():
        places = allowed[lowered]
        if "*" in places:
            continue
        key = canonical(sorted(places))
        by_resources.setdefault(key, ([], [copy.deepcopy(r) for r in places.values()]))[0].append(action)
    denies = [{"Effect": "Deny", "Action": names if len(names) > 1 else names[0], "NotResource": places}
              for names, places in by_resources.values()]
    return boundary, denies


def _granted_on(statements: list, action: str, resources: dict | None) -> dict[str, Any] | None:
    """Every resource the statements grant ``action`` on, each under the ``Fn::If`` it is granted
    under; None when a statement granting it has a ``Condition``, a ``NotAction`` or no ``Resource``,
    or, for a pattern, when a statement grants some action it names without naming the pattern."""
    places: dict[str, Any] = {}
    pattern = "*" in action or "?" in action
    for statement in statements:
        for leaf, wrappers in _branches(statement):
            if not is_statement(leaf):
                continue
            if pattern:
                if "NotAction" not in leaf and not overlaps([action], literals(leaf.get("Action"))):
                    continue
                if action.lower() not in {a.lower() for a in literals(leaf.get("Action"))}:
                    return None
            elif not _grants(leaf, action):
                continue
            if "Condition" in leaf or "NotAction" in leaf or "Resource" not in leaf:
                return None
            for resource, inner in _leaves(leaf["Resource"]):
                if resources is not None and not _serves(resource_service(resources, resource), action):
                    continue
                placed = _wrapped(copy.deepcopy(resource), (*wrappers, *inner))
                places.setdefault("*" if placed == "*" else canonical(placed), placed)
    return places


def estimated_characters(document: Any, body: dict | None = None) -> int:
    """A generous estimate of a policy's length once CloudFormation has filled it in, white space
    aside: each value it fills in counted at the length it may reach (an ARN of a bucket the
    template creates at a bucket ARN's, any other at a long ARN's). With the template ``body``,
    the longest over every way the conditions the policy names can hold (those that compare one
    parameter with different values hold one at a time), else each ``Fn::If`` at its longer branch."""
    if body is None:
        return _estimate(document, {})
    resources = body.get("Resources") or {}
    return max(_estimate(_chosen(document, truth), resources)
               for truth in _truths(document, body.get("Conditions") or {}))


def _truths(document: Any, conditions: dict) -> Iterator[dict[str, bool]]:
    """Every way the conditions ``document`` names can hold together (at most 2**10 of them)."""
    names = sorted({condition for _leaf, wrappers in _leaves(_ifs_as_lists(document)) for condition, _branch in wrappers
                    if isinstance(condition, str)})
    choices: dict[str, list[str]] = {}
    single = []
    for name in names:
        compared = _compares(conditions.get(name))
        if compared is None:
            single.append(name)
        else:
            choices.setdefault(compared[0], []).append(name)
    groups = [[{name: True}, {name: False}] for name in single[:10]]
    for members in choices.values():
        groups.append([{n: n == chosen for n in members} for chosen in members] + [{n: False for n in members}])
    combos: list[dict[str, bool]] = [{}]
    for group in groups:
        combos = [{**combo, **option} for combo in combos for option in group][:1024]
    yield from combos


def _compares(expression: Any) -> tuple[str, str] | None:
    """(parameter, value) for a condition ``Fn::Equals [{Ref: P}, value]``."""
    equals = expression.get("Fn::Equals") if isinstance(expression, dict) else None
    if isinstance(equals, list) and len(equals) == 2:
        ref = next((e.get("Ref") for e in equals if isinstance(e, dict) and isinstance(e.get("Ref"), str)), None)
        value = next((e for e in equals if isinstance(e, str)), None)
        if ref is not None and value is not None:
            return ref, value
    return None


def _ifs_as_lists(value: Any) -> Any:
    """``value`` with every mapping made a list of its values, so ``_leaves`` sees every ``Fn::If``."""
    if _is_if(value):
        return value
    if isinstance(value, dict):
        return [_ifs_as_lists(v) for v in value.values()]
    if isinstance(value, list):
        return [_ifs_as_lists(v) for v in value]
    return value


def _chosen(value: Any, truth: dict[str, bool]) -> Any:
    """``value`` with each ``Fn::If`` whose condition ``truth`` settles replaced by its branch."""
    if _is_if(value):
        condition, when, otherwise = value["Fn::If"]
        if condition in truth:
            return _chosen(when if truth[condition] else otherwise, truth)
        return {"Fn::If": [condition, _chosen(when, truth), _chosen(otherwise, truth)]}
    if isinstance(value, dict):
        return {k: _chosen(v, truth) for k, v in value.items()}
    if isinstance(value, list):
        return [c for c in (_chosen(v, truth) for v in value) if c != NO_VALUE]
    return value


def _arn_length(resources: dict, name: str) -> int:
    return _BUCKET_ARN_LENGTH if (resources.get(name) or {}).get("Type") == "AWS::S3::Bucket" else _ARN_LENGTH


def _estimate(document: Any, resources: dict) -> int:
    if isinstance(document, list):
        return 2 + sum(_estimate(v, resources) for v in document) + max(len(document) - 1, 0)
    if not isinstance(document, dict):
        return len(json.dumps(document))
    if _is_if(document):
        return max(_estimate(branch, resources) for branch in document["Fn::If"][1:])
    if len(document) == 1 and isinstance(document.get(DECLARED), dict):  # becomes one of its two values
        chosen = document[DECLARED]
        return max(_estimate(chosen.get("then"), resources), _estimate(chosen.get("else", NO_VALUE), resources))
    if len(document) == 1 and isinstance(document.get("Ref"), str):
        return _ESTIMATES.get(document["Ref"], _NAME_LENGTH) + 2
    if len(document) == 1 and "Fn::GetAtt" in document:
        target = document["Fn::GetAtt"]
        return _arn_length(resources, target[0] if isinstance(target, list) else str(target).split(".")[0]) + 2
    if len(document) == 1 and "Fn::Sub" in document:
        sub = document["Fn::Sub"]
        text, local = (sub, {}) if isinstance(sub, str) else (sub[0], sub[1] if len(sub) > 1 else {})
        total = len(text) + 2
        for whole, name in re.findall(r"(\$\{([^}!]*)\})", text):
            total -= len(whole)
            if name in local:
                total += max(_estimate(local[name], resources) - 2, _NAME_LENGTH)
            else:
                total += _ESTIMATES.get(name, _arn_length(resources, name.split(".")[0]) if "." in name
                                        else _NAME_LENGTH)
        return total
    return 2 + sum(len(json.dumps(k)) + 1 + _estimate(v, resources) for k, v in document.items()) + max(
        len(document) - 1, 0)


# -- the edit -----------------------------------------------------------------------------------

def _with_envelope(value: Any, statements: list) -> Any:
    """A deep copy of the policy data with ``{Overlay::Envelope: {}}`` replaced by the statements."""
    if isinstance(value, dict):
        return {k: _with_envelope(v, statements) for k, v in value.items()}
    if isinstance(value, list):
        out: list = []
        for item in value:
            if isinstance(item, dict) and len(item) == 1 and ENVELOPE in item:
                out += copy.deepcopy(statements)
            else:
                out.append(_with_envelope(item, statements))
        return out
    return copy.deepcopy(value)


def add_boundary(ctx: Any, edit: dict) -> None:
    """A permissions boundary for each matched role, holding its envelope (see the module)."""
    body = ctx.body
    resources = body["Resources"]
    edit = {**edit, "run_time": [{**e, "resources": ctx.expand(e["resources"])} for e in edit.get("run_time") or ()]}
    envelope = Envelope(body, edit)
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
        statements = _chosen(envelope.of(role), {edit["condition"]: True}) or [
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
        if estimated_characters(document, body) > MAX_POLICY_CHARACTERS:
            document["Statement"], denies = split_by_resource(document["Statement"], resources,
                                                              ("iam", "sts", *envelope.run_time_services))
        if estimated_characters(document, body) > MAX_POLICY_CHARACTERS:
            document["Statement"] = wildcarded(document["Statement"])
        if estimated_characters(document, body) > MAX_POLICY_CHARACTERS:
            raise TemplateError(f"the permissions boundary of {', '.join(members)} would be about "
                                f"{estimated_characters(document, body):,} characters, over IAM's limit of "
                                f"{MAX_POLICY_CHARACTERS:,}", file=ctx.source, where=f"Resources/{members[0]}")
        description = properties.get("Description")
        if isinstance(description, str):
            properties["Description"] = f"{description}: {', '.join(members)}"[:1000]
        resources[logical_id] = {"Type": edit["resource"]["Type"], "Condition": condition, **policy}
        for index, chunk in enumerate(_chunks(denies, document.get("Version", "2012-10-17"), body)):
            resources[f"{logical_id}Limits{index + 1 if index else ''}"] = {
                "Type": "AWS::IAM::ManagedPolicy", "Condition": condition,
                "Properties": {"Path": copy.deepcopy(properties.get("Path", "/")),
                               "Description": f"Where the actions of permissions boundary {logical_id} stay allowed "
                                             f"(quilt-wizard overlay): {', '.join(members)}"[:1000],
                               "Roles": [{"Ref": role} for role in members], "PolicyDocument": chunk}}
        for role in members:
            resources[role]["Properties"]["PermissionsBoundary"] = _if(condition, {"Ref": logical_id}, NO_VALUE)
    ctx.skipped.extend(dict.fromkeys(envelope.notes))
    waits = Dependencies(resources)
    for logical_id, members, _statements, _condition in groups.values():
        looping = [role for role in members if waits.waits_on(logical_id, role)]
        if looping:
            raise TemplateError(f"the permissions boundary {logical_id} would wait on {', '.join(looping)}, which "
                                "waits on it (a dependency cycle CloudFormation refuses)", file=ctx.source,
                                where=f"Resources/{looping[0]}")


def _chunks(statements: list, version: str, body: dict) -> list[dict]:
    """Policy documents holding the statements, each within IAM's limit."""
    documents: list[dict] = []
    for statement in statements:
        grown = {**documents[-1], "Statement": [*documents[-1]["Statement"], statement]} if documents else None
        if grown is not None and estimated_characters(grown, body) <= MAX_POLICY_CHARACTERS:
            documents[-1]["Statement"].append(statement)
        else:
            documents.append({"Version": version, "Statement": [statement]})
    return documents


def _both(body: dict, first: str, second: str) -> str:
    """A condition true when both are (added to the template once)."""
    name = f"{first}And{second}"
    body.setdefault("Conditions", {}).setdefault(name, {"Fn::And": [{"Condition": first}, {"Condition": second}]})
    return name
