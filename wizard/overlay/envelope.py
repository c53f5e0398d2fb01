"""The envelope of a role: every Allow the template grants it, read as the template stands.

The ``add-boundary`` edit (``wizard.overlay.boundary``) gives each matched role a permissions
boundary holding its envelope, read when the rule runs, so that the earlier rules' scoping
(bucket prefix, Athena workgroups) and conditions (a policy write kept only in Automatic mode)
carry over:

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
nothing gets a boundary that denies everything). The envelope is written short and exact
(``wizard.overlay.fitting``): each resource once per set of actions, an action kept only on the
resources of its own service.
"""

from __future__ import annotations

import copy
import re
from typing import Any, Iterator

from wizard.iam import managed_policies
from wizard.iam.carriers import RESOURCE_CARRIERS
from wizard.overlay.branches import (NO_VALUE, Wrappers, branches, fn_if, is_if, leaves, named_ids, strings_in,
                                     wrapped)
from wizard.overlay.fitting import covers_action, merged_under_conditions, regroupable
from wizard.overlay.match import POLICY_VERSION_WRITES, as_items, canonical, is_statement, literals, overlaps

_AWS_MANAGED = re.compile(r"arn:(?:aws[a-z-]*|\$\{AWS::Partition\}):iam::aws:policy/([A-Za-z0-9+=,.@_/-]+)")


def without_covered(statements: list) -> list:
    """The statements with each resource dropped from those whose every action an unconditional
    plain statement already grants on it (the buckets the stack connects, granted once for every
    mode, are not written again in each mode's statements); a statement left on nothing goes."""
    plain = [s for s in statements if regroupable(s) and "Condition" not in s]
    granting: dict[str, list] = {}  # resource -> the plain statements that name it, in their order
    for p in plain:
        for key in dict.fromkeys(canonical(r) for r in as_items(p["Resource"])):
            granting.setdefault(key, []).append(p)

    grants_all: dict[tuple[int, tuple[str, ...]], bool] = {}  # (plain statement, actions): it grants each

    def grants_each(p: dict, actions: list[str]) -> bool:
        key = (id(p), tuple(actions))
        if key not in grants_all:
            granted = literals(p["Action"])
            grants_all[key] = all(any(covers_action(g, a) for g in granted) for a in actions)
        return grants_all[key]

    def covered(actions: list[str], resource: Any, own: Any) -> bool:
        return any(p is not own and grants_each(p, actions) for p in granting.get(canonical(resource), ()))

    def kept(value: Any, actions: list[str], own: Any) -> Any:
        if is_if(value):
            condition, when, otherwise = value["Fn::If"]
            return {"Fn::If": [condition, kept(when, actions, own), kept(otherwise, actions, own)]}
        if isinstance(value, list):
            left = [kept(v, actions, own) for v in value if is_if(v) or not covered(actions, v, own)]
            return left
        return NO_VALUE if covered(actions, value, own) else value

    def pruned(value: Any) -> Any:
        if is_if(value):
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

    def __init__(self, resources: dict, edges: dict[str, set[str]] | None = None):
        #: Every name each resource names (a parameter too), read once.
        self.named: dict[str, set[str]] = {}
        self.edges: dict[str, set[str]] = {}
        if edges is not None:
            self.edges = {name: set(ends) for name, ends in edges.items()}
        else:
            self.reread(resources, resources)

    def reread(self, resources: dict, changed) -> None:
        """The edges as ``resources`` stand now, the resources ``changed`` since they were read
        (or never read) read again."""
        for logical_id in changed:
            resource = resources.get(logical_id)
            if isinstance(resource, dict):
                named = named_ids({k: v for k, v in resource.items() if k != "DependsOn"})
                self.named[logical_id] = named | set(as_items(resource.get("DependsOn")))
        self.edges = {logical_id: {n for n in named if n in resources and n != logical_id}
                      for logical_id, named in self.named.items() if logical_id in resources}

    def copy(self) -> "Dependencies":
        """The edges alone, to add to (``add``) without changing these."""
        return Dependencies({}, self.edges)

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


def _document_statements(document: Any, wrappers: Wrappers = ()) -> Iterator[tuple[dict, Wrappers]]:
    """Every statement of a policy document (a mapping, or ``Fn::If`` of documents), with the
    branches it sits under; an item of the list that is neither a statement nor an ``Fn::If`` of
    statements (a list in a list, say) grants nothing and is passed over."""
    for node, outer in branches(document, wrappers):
        if not isinstance(node, dict):
            continue
        for listed, middle in branches(node.get("Statement"), outer):
            for item in as_items(listed):
                for statement, inner in branches(item, middle):
                    if is_statement(statement):
                        yield statement, inner


def _is_placeholder(statement: dict) -> bool:
    return statement.get("Effect") == "Allow" and "*" in literals(statement.get("NotResource"))


def _plain(statement: dict) -> dict:
    """An Allow statement as a boundary holds it: without its ``Sid`` (ids may repeat across sources);
    its values are the template's (see ``Envelope.of``)."""
    return {k: v for k, v in statement.items() if k != "Sid"}


class Envelope:
    """What the template grants each role, read once per edit."""

    def __init__(self, body: dict, edit: dict, dependencies: Dependencies | None = None):
        self.body = body
        self.resources: dict = body.get("Resources") or {}
        entries = [e for e in edit.get("run_time") or () if e.get("resources")]
        self.run_time: list[dict] = [e for e in entries if not e.get("in_every_mode")]
        #: Entries that hold however the policy is filled (the buckets the stack connects itself).
        self.every_mode: list[dict] = [e for e in entries if e.get("in_every_mode")]
        #: Services a run-time policy may be filled with: their actions stay named with their resources.
        self.run_time_services = tuple(sorted({a.split(":", 1)[0].lower() for e in entries for a in e["actions"]}))
        self.cyclic: dict = edit.get("cyclic") or {}
        self.dependencies = dependencies if dependencies is not None else Dependencies(self.resources)
        self.rewritten = self._rewritten()
        self.notes: list[str] = []
        # Who names which role, read once (a role's envelope then reads only what names it).
        self._members = self._policies_by_member()
        self._trusting = self._trusts_by_principal()
        self._granting = self._resource_statements_by_principal()

    # -- which policies are filled or rewritten at run time
    def _rewritten(self) -> set[str]:
        found: set[str] = set()
        for _logical, resource in self._of_type("AWS::IAM::Role", "AWS::IAM::ManagedPolicy", "AWS::IAM::Policy"):
            properties = resource.get("Properties") or {}
            documents = [p.get("PolicyDocument") for p, _w in leaves(properties.get("Policies"))
                         if isinstance(p, dict)] + [properties.get("PolicyDocument")]
            for document in documents:
                for statement, _wrappers in _document_statements(document):
                    if statement.get("Effect") == "Allow" and overlaps(POLICY_VERSION_WRITES,
                                                                       literals(statement.get("Action"))):
                        found |= named_ids(statement.get("Resource"))
        return found

    def _run_time_policy(self, logical_id: str, document: Any) -> bool:
        if logical_id in self.rewritten:
            return True
        for branch, _wrappers in branches(document):
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
        """The boundary statements of ``role``: every Allow it is granted, as the template grants it.
        They share values with the template and the edit's data, never changed here: a caller
        that changes them copies them first (``settled`` does)."""
        properties = self.resources[role].get("Properties") or {}
        statements: list = []
        for policy, wrappers in leaves(properties.get("Policies")):
            if isinstance(policy, dict):
                statements += self._copied(policy.get("PolicyDocument"), wrappers, run_time=False)
        for value, wrappers in leaves(properties.get("ManagedPolicyArns")):
            for text in strings_in(value):
                for name in _AWS_MANAGED.findall(text):
                    statements += [wrapped(s, wrappers) for s in self._aws_managed(role, name)]
            for name in sorted(named_ids(value)):
                if self.resources.get(name, {}).get("Type") == "AWS::IAM::ManagedPolicy":
                    statements += self._managed(name, wrappers)
                elif name in self.rewritten and name not in self.resources:
                    # a policy of another stack, rewritten here at run time: what it may come to hold
                    statements += [wrapped(s, wrappers) for s in self._filled(None) + self._filled(None, True)]
                elif not name.startswith("AWS::") and name not in self.resources:
                    self.notes.append(f"{role}: the policies that parameter {name} attaches take effect only "
                                      "within its permissions boundary")
        for logical_id, wrappers in self._members.get(role, ()):
            statements += self._managed(logical_id, wrappers)
        statements += self._assumable(role)
        statements += self._resource_policies(role)
        return without_covered(merged_under_conditions(statements, self.resources))

    def _managed(self, logical_id: str, wrappers: Wrappers) -> list:
        resource = self.resources[logical_id]
        if resource.get("Condition"):
            wrappers = ((resource["Condition"], True), *wrappers)
        document = (resource.get("Properties") or {}).get("PolicyDocument")
        run_time = self._run_time_policy(logical_id, document)
        found = self._copied(document, wrappers, run_time=run_time)
        if run_time:
            placeholders = {canonical(s): s for s, _w in _document_statements(document) if _is_placeholder(s)}
            found += [wrapped(s, wrappers) for p in placeholders.values() for s in self._filled(p, True)]
        return found

    def _copied(self, document: Any, wrappers: Wrappers, run_time: bool) -> list:
        found = []
        for statement, inner in _document_statements(document, wrappers):
            if statement.get("Effect") != "Allow":
                continue
            if not _is_placeholder(statement):
                found.append(wrapped(_plain(statement), inner))
            elif run_time:
                found += [wrapped(s, inner) for s in self._filled(statement)]
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
                found.append({"Effect": "Allow", "Action": chosen, "Resource": entry["resources"]})
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

    def _policies_by_member(self) -> dict[str, list[tuple[str, Wrappers]]]:
        """For each role, (managed or inline policy, the branches it is attached under) of every
        ``AWS::IAM::ManagedPolicy`` and ``AWS::IAM::Policy`` whose ``Roles`` name it, in order."""
        found: dict[str, list[tuple[str, Wrappers]]] = {}
        for logical_id, resource in self._of_type("AWS::IAM::ManagedPolicy", "AWS::IAM::Policy"):
            members = (resource.get("Properties") or {}).get("Roles")
            for value, wrappers in leaves(members):
                if isinstance(value, dict) and isinstance(value.get("Ref"), str):
                    found.setdefault(value["Ref"], []).append((logical_id, wrappers))
        return found

    def _trusts_by_principal(self) -> dict[str, list[tuple[str, dict, dict]]]:
        """For each logical id a trust's ``AWS`` principal names, (role, its resource, the Allow
        statement) in the order of the roles and their statements."""
        found: dict[str, list[tuple[str, dict, dict]]] = {}
        for other, resource in self._of_type("AWS::IAM::Role"):
            document = (resource.get("Properties") or {}).get("AssumeRolePolicyDocument")
            for statement, _wrappers in _document_statements(document):
                principal = statement.get("Principal")
                if statement.get("Effect") != "Allow" or not isinstance(principal, dict):
                    continue
                for name in named_ids(principal.get("AWS")):
                    found.setdefault(name, []).append((other, resource, statement))
        return found

    def _resource_statements_by_principal(self) -> dict[str, list[tuple[str, dict, Any, dict, Wrappers]]]:
        """For each logical id a resource policy's ``AWS`` principal names, (carrier, its resource,
        its kind, the Allow statement, its branches) in the order of the carriers and statements."""
        found: dict[str, list[tuple[str, dict, Any, dict, Wrappers]]] = {}
        for carrier_id, resource in self._of_type(*RESOURCE_CARRIERS):
            carrier = RESOURCE_CARRIERS[resource["Type"]]
            document: Any = resource.get("Properties") or {}
            for step in carrier.document:
                document = document.get(step) if isinstance(document, dict) else None
            for statement, wrappers in _document_statements(document):
                principal = statement.get("Principal")
                if statement.get("Effect") != "Allow" or not isinstance(principal, dict):
                    continue
                for name in named_ids(principal.get("AWS")):
                    found.setdefault(name, []).append((carrier_id, resource, carrier, statement, wrappers))
        return found

    def _assumable(self, role: str) -> list:
        """``sts:`` actions on each role of the stack whose trust policy names ``role``."""
        found = []
        for other, resource, statement in self._trusting.get(role, ()):
            if other == role:
                continue
            actions = [a for a in literals(statement.get("Action")) if a.lower().startswith("sts:")]
            arn = self._role_arn(other)
            if actions and arn is not None:
                granted = {"Effect": "Allow", "Action": actions, "Resource": arn}
                found.append(fn_if(resource["Condition"], granted, NO_VALUE) if resource.get("Condition") else granted)
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
        for carrier_id, resource, carrier, statement, wrappers in self._granting.get(role, ()):
            targets = [r for r in as_items(statement.get("Resource")) if r != "*"]
            if not targets and carrier.target is None:
                targets = [{"Fn::GetAtt": [carrier_id, "Arn"]}]
            kept = []
            for target in targets:
                cycle = any(n == role or self.dependencies.waits_on(n, role) for n in named_ids(target))
                if not cycle:
                    kept.append(copy.deepcopy(target))
                    self.dependencies.add(role, named_ids(target))
                elif resource["Type"] in self.cyclic:
                    kept.append(copy.deepcopy(self.cyclic[resource["Type"]]))
                else:
                    self.notes.append(f"{role}: what {carrier_id}'s policy grants it is left out of its "
                                      "boundary (naming the resource would make a dependency cycle)")
            if kept:
                granted = {k: copy.deepcopy(v) for k, v in statement.items()
                           if k in ("Effect", "Action", "NotAction", "Condition")}
                granted["Resource"] = kept
                found.append(wrapped(granted, wrappers))
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
