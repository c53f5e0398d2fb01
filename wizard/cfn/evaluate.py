"""Evaluating a template for one set of parameter values, as CloudFormation would.

An ``Evaluation`` resolves Conditions, resource-level ``Condition``, ``Fn::If`` at any depth
(an ``AWS::NoValue`` branch removes the property or the list item), ``Ref``, ``Fn::Sub``,
``Fn::Join``, ``Fn::Split``, ``Fn::Select``, ``Fn::FindInMap``, ``Fn::GetAZs``,
``Fn::Base64``, ``Fn::Cidr``, ``Fn::Length`` and ``Fn::ToJsonString``.

What only exists once a stack is deployed becomes a *symbolic* value, the same on every run so
that two evaluations can be compared: ``Fn::GetAtt`` gives ``${Resource.Attribute}``, a
``Ref`` to a resource gives ``${Resource}`` (or, for an IAM managed policy, the ARN built from
its path and name, which is what policies in the same stack compare against),
``Fn::ImportValue`` gives ``${Import:Name}``.

A NoEcho value never leaves an evaluation: ``Ref`` to a NoEcho parameter gives a ``Secret``,
every intrinsic that read one returns ``Secret`` values (``Fn::Sub`` and ``Fn::Join`` keep the
rest of their text visible), and what the public methods hand out shows ``****`` in their
place. Conditions still compare the real values.

Evaluation is lazy and memoised: a resource is resolved the first time somebody asks for it,
so the live permission panel, which reads only IAM and network resources, never pays for the
other two hundred. Subtrees without any intrinsic are returned as they are (shared, never to
be mutated by callers): the template knows which hold one (``Template.dynamic``). An
evaluation made ``like`` another of the same template takes over the other's resolution of each
resource that reads no parameter whose value differs (``wizard.cfn.dependencies``), as long as
the other is alive.
"""

from __future__ import annotations

import base64
import ipaddress
import json
import re
import sys
import threading
import weakref
from typing import Any, Callable, Mapping

from wizard import verdicts
from wizard.errors import TemplateError
from wizard.cfn.intrinsics import CONTAINERS, is_intrinsic_key
from wizard.cfn.parameters import ParameterValues, Secret, Unresolved, mask_secrets, secret, shown
from wizard.cfn.pseudo import Pseudo
from wizard.cfn.shapes import problem as shape_problem
from wizard.cfn.symbolic import SymbolicList, availability_zones, is_token, split
from wizard.cfn.template import Template
from wizard.lists import as_list


class _NoValue:
    """``AWS::NoValue``: the property or list item that holds it disappears."""

    __slots__ = ()

    def __repr__(self) -> str:
        return "AWS::NoValue"


NO_VALUE = _NoValue()

_SUB_VARIABLE = re.compile(r"\$\{([^}]*)\}")

#: The verdicts' kind: templates and values rendered without error (``Evaluation.check_renders``).
_RENDERS = "renders-1"


#: Each parsed template's resources by type, and each resource's place: worked out once.
_BY_TYPE: "weakref.WeakKeyDictionary[Template, dict[Any, list[str]]]" = weakref.WeakKeyDictionary()
_ORDER: "weakref.WeakKeyDictionary[Template, dict[str, int]]" = weakref.WeakKeyDictionary()


def _by_type(template: Template) -> dict[Any, list[str]]:
    found = _BY_TYPE.get(template)
    if found is None:
        found = {}
        for logical_id, raw in template.resources.items():
            found.setdefault(raw.get("Type"), []).append(logical_id)
        _BY_TYPE[template] = found
    return found


def _order(template: Template) -> dict[str, int]:
    found = _ORDER.get(template)
    if found is None:
        found = _ORDER[template] = {logical_id: n for n, logical_id in enumerate(template.resources)}
    return found


class Evaluation:
    """One template evaluated for one set of parameter values and pseudo parameters."""

    def __init__(self, template: Template, parameters: ParameterValues, pseudo: Pseudo | None = None,
                 like: "Evaluation | None" = None):
        self.template = template
        self.parameters = parameters
        self.pseudo = pseudo or Pseudo()
        self._dynamic = template.dynamic
        self._like: tuple[weakref.ref, Callable[[str], bool]] | None = None
        if like is not None:
            from wizard.cfn.dependencies import resolved_alike

            alike = resolved_alike(like, self, self._dynamic)
            if alike.changed is not None:
                self._like = (weakref.ref(like), alike)
        self._conditions: dict[str, bool] = {}
        self._evaluating: list[str] = []
        self._resources: dict[str, dict | None] = {}
        self._unresolved_refs: set[str] | None = None
        # How many times a NoEcho parameter was read: an intrinsic that read one is a secret.
        self._secret_reads = 0
        # Analyses are cached and shared by the TUI's worker threads: one evaluation at a time.
        self._lock = threading.RLock()
        self._intrinsics: dict[str, Callable[[Any, str], Any]] = {
            "Ref": self._ref,
            "Fn::If": self._if,
            "Fn::Sub": self._sub,
            "Fn::GetAtt": self._get_att,
            "Fn::Join": self._join,
            "Fn::Split": self._split,
            "Fn::Select": self._select,
            "Fn::FindInMap": self._find_in_map,
            "Fn::GetAZs": self._get_azs,
            "Fn::Base64": self._base64,
            "Fn::Cidr": self._cidr,
            "Fn::ImportValue": self._import_value,
            "Fn::Length": self._length,
            "Fn::ToJsonString": self._to_json_string,
            "Fn::Equals": self._cond_equals,
            "Fn::And": self._cond_and,
            "Fn::Or": self._cond_or,
            "Fn::Not": self._cond_not,
            "Fn::Transform": self._transform,
            "Fn::Contains": self._rule_contains,
            "Fn::EachMemberEquals": self._rule_each_member_equals,
            "Fn::EachMemberIn": self._rule_each_member_in,
            "Fn::RefAll": self._needs_aws,
            "Fn::ValueOf": self._needs_aws,
            "Fn::ValueOfAll": self._needs_aws,
        }

    # -- public -------------------------------------------------------------------------

    @property
    def like(self) -> "Evaluation | None":
        """The evaluation this one takes resolved resources over from, while it is alive."""
        return None if self._like is None else self._like[0]()

    def taken_over(self) -> "tuple[Evaluation, Callable[[str], bool]] | None":
        """(the evaluation this one is like, which resources resolve alike in both), while the
        other is alive; None otherwise."""
        other = self.like
        return None if other is None else (other, self._like[1])

    def condition(self, name: str) -> bool:
        """The value of a named Condition (memoised; a cycle is an error)."""
        with self._lock:
            return self._condition(name)

    def _condition(self, name: str) -> bool:
        if not isinstance(name, str):
            raise self._error(f"a condition is named by a string, found {_kind(name)}", "Conditions")
        if name in self._conditions:
            return self._conditions[name]
        conditions = self.template.conditions
        if name not in conditions:
            raise self._error(f"no Condition named {name!r}", "Conditions")
        if name in self._evaluating:
            cycle = " -> ".join(self._evaluating[self._evaluating.index(name):] + [name])
            raise self._error(f"circular condition: {cycle}", f"Conditions/{name}")
        self._evaluating.append(name)
        outer = self._unresolved_refs
        reads = self._secret_reads  # a condition is a boolean: what it read taints nothing
        self._unresolved_refs = set()
        try:
            value = self._condition_value(conditions[name], f"Conditions/{name}")
            if self._unresolved_refs:
                missing = ", ".join(sorted(self._unresolved_refs))
                raise self._error(f"condition {name} needs a value for {missing}, which has no "
                                  "value and no Default", f"Conditions/{name}")
        finally:
            self._unresolved_refs = outer
            self._secret_reads = reads
            self._evaluating.pop()
        self._conditions[name] = value
        return value

    def conditions(self) -> dict[str, bool]:
        """Every Condition of the template and its value."""
        return {name: self.condition(name) for name in self.template.conditions}

    def exists(self, logical_id: str) -> bool:
        """Whether the resource is created (its Condition, if any, is true)."""
        resource = self.template.resources.get(logical_id)
        if resource is None:
            return False
        condition = resource.get("Condition")
        return condition is None or self.condition(condition)

    def resource(self, logical_id: str) -> dict | None:
        """The resolved resource (Type, Properties, ...), or None when it does not exist."""
        with self._lock:
            return self._resource(logical_id)

    def _resource(self, logical_id: str) -> dict | None:
        if logical_id in self._resources:
            return self._resources[logical_id]
        if self._like is not None:
            other = self._like[0]()
            if other is not None and self._like[1](logical_id):
                result = self._resources[logical_id] = other.resource(logical_id)
                return result
        result = None
        if self.exists(logical_id):
            raw = self.template.resources[logical_id]
            result = self._shown(self._eval_mapping, raw, f"Resources/{logical_id}")
            wrong = shape_problem(result, written=False)
            if wrong:
                raise self._error(wrong[1], "/".join(["Resources", logical_id, *map(str, wrong[0])]))
        self._resources[logical_id] = result
        return result

    def resources(self, *types: str) -> dict[str, dict]:
        """Every resource that exists, optionally only of the given types, resolved (in template
        order)."""
        if types:
            by_type = _by_type(self.template)
            ids = [i for t in dict.fromkeys(types) for i in by_type.get(t, ())]
            if len(types) > 1:
                order = _order(self.template)
                ids.sort(key=order.__getitem__)
        else:
            ids = list(self.template.resources)
        found = {}
        for logical_id in ids:
            resource = self.resource(logical_id)
            if resource is not None:
                found[logical_id] = resource
        return found

    def outputs(self) -> dict[str, Any]:
        """Outputs whose Condition holds, resolved."""
        result = {}
        for name, raw in self.template.outputs.items():
            condition = raw.get("Condition") if isinstance(raw, dict) else None
            if condition is not None and not self.condition(condition):
                continue
            result[name] = self._shown(self._eval, raw, f"Outputs/{name}")
        return result

    def rule_violations(self) -> list[tuple[str, str]]:
        """The template's ``Rules`` whose assertions fail for these values, as (rule, description).

        Assertions that need a look-up in the account (``Fn::RefAll``, ``Fn::ValueOf``) are left
        to CloudFormation.
        """
        violations = []
        rules = self.template.body.get("Rules") or {}
        for name, rule in rules.items():
            where = f"Rules/{name}"
            assertions = rule.get("Assertions") if isinstance(rule, dict) else None
            if not isinstance(assertions, list) or not all(isinstance(a, dict) for a in assertions):
                raise self._error("a rule needs a list of Assertions, each a mapping with Assert", where)
            try:
                if "RuleCondition" in rule and not self._condition_value(rule["RuleCondition"], f"{where}/RuleCondition"):
                    continue
                for index, assertion in enumerate(assertions):
                    if not self._condition_value(assertion.get("Assert"), f"{where}/Assertions/{index}"):
                        violations.append((name, str(assertion.get("AssertDescription") or f"rule {name} fails")))
            except _NeedsAws:
                continue
        return violations

    def check_renders(self) -> None:
        """Raise what ``rendered`` would raise, without keeping its result: a command that reads
        part of the template refuses what ``render`` refuses. Rendered without error before
        (the same template, values, pseudo parameters and installed files: ``wizard.verdicts``),
        it is not rendered again; values holding a NoEcho value are always rendered, so no
        digest of a secret is written down."""
        digest = self._render_digest()
        if digest is not None and verdicts.known(_RENDERS, digest):
            return
        self.rendered()
        if digest is not None:
            verdicts.remember(_RENDERS, digest)

    def _render_digest(self) -> str | None:
        if any(spec.no_echo and self.parameters.raw.get(name) for name, spec in self.parameters.specs.items()):
            return None
        return verdicts.installed_digest(self.template.text, [
            sorted(self.parameters.raw.items()), list(self.parameters.unresolved),
            [self.pseudo.stack_name, self.pseudo.region, self.pseudo.account_id]])

    def rendered(self) -> dict:
        """The whole template as CloudFormation would see it for these values."""
        body = self.template.body
        out: dict[str, Any] = {}
        for key in ("AWSTemplateFormatVersion", "Description", "Transform"):
            if key in body:
                out[key] = body[key]
        if self.template.parameters:
            out["Parameters"] = self.parameters.display()
        if self.template.conditions:
            out["Conditions"] = self.conditions()
        out["Resources"] = self.resources()
        outputs = self.outputs()
        if outputs:
            out["Outputs"] = outputs
        return out

    def evaluate(self, value: Any, where: str = "") -> Any:
        """Resolve an arbitrary value taken from this template (NoEcho values masked)."""
        with self._lock:
            return self._shown(self._eval, value, where)

    def ref_token(self, logical_id: str) -> str:
        """What ``Ref`` to a resource yields here (symbolic unless it is a managed policy)."""
        with self._lock:
            return self._shown(self._ref_token, logical_id)

    def _ref_token(self, logical_id: str) -> str:
        raw = self.template.resources[logical_id]
        if raw.get("Type") == "AWS::IAM::ManagedPolicy":
            properties = raw.get("Properties") or {}
            path = self._eval(properties.get("Path", "/"), f"Resources/{logical_id}/Properties/Path")
            path = "/" if path is NO_VALUE else path  # a Path removed by Fn::If is the default path
            name = properties.get("ManagedPolicyName")
            name = logical_id if name is None else self._eval(name, f"Resources/{logical_id}/Properties")
            if isinstance(path, str) and isinstance(name, str):
                return f"arn:{self.pseudo.partition}:iam::{self.pseudo.account_id}:policy{path}{name}"
        return "${" + logical_id + "}"

    # -- machinery ----------------------------------------------------------------------

    def _shown(self, evaluate: Callable[..., Any], *args: Any) -> Any:
        """``evaluate(*args)`` with every value made from a NoEcho parameter masked."""
        reads = self._secret_reads
        value = evaluate(*args)
        return shown(value) if self._secret_reads != reads else value

    def _error(self, message: str, where: str) -> TemplateError:
        parts = [p for p in where.split("/") if p]
        steps: list[Any] = [int(p) if p.isdigit() else p for p in parts]
        message = mask_secrets(message, self.parameters.secrets)
        return TemplateError(message, file=self.template.source, where=where or None,
                             line=self.template.line_of(*steps))

    def _eval(self, node: Any, where: str) -> Any:
        if isinstance(node, dict):
            if id(node) not in self._dynamic:
                return node
            if len(node) == 1:
                key = next(iter(node))
                if is_intrinsic_key(key):
                    handler = self._intrinsics.get(key)
                    if handler is None:
                        raise self._error(f"unknown intrinsic function {key}", where)
                    reads = self._secret_reads
                    value = handler(node[key], f"{where}/{key}")
                    if self._secret_reads != reads and key != "Fn::If":
                        value = secret(value)  # made from a NoEcho value (Fn::If only chose)
                    return value
            return self._eval_mapping(node, where)
        if isinstance(node, list):
            dynamic = self._dynamic
            if id(node) not in dynamic:
                return node
            out = []
            for index, item in enumerate(node):
                # A value holding no intrinsic function is itself: no call, no path made for it.
                if isinstance(item, CONTAINERS) and id(item) in dynamic:
                    item = self._eval(item, f"{where}/{index}")
                    if item is NO_VALUE:
                        continue
                out.append(item)
            return out
        return node

    def _eval_mapping(self, node: dict, where: str) -> dict:
        dynamic = self._dynamic
        if id(node) not in dynamic:
            return node
        out = {}
        for key, item in node.items():
            if isinstance(item, CONTAINERS) and id(item) in dynamic:  # as in ``_eval``'s lists
                item = self._eval(item, f"{where}/{key}")
                if item is NO_VALUE:
                    continue
            out[key] = item
        return out

    def _string(self, value: Any, where: str, what: str) -> str:
        value = self._eval(value, where)
        if isinstance(value, bool):
            return "true" if value else "false"
        if isinstance(value, (int, float)):
            return str(value)
        if not isinstance(value, str):
            raise self._error(f"{what} must be a string, found {_kind(value)}", where)
        return value

    def _list(self, value: Any, where: str, what: str) -> list:
        value = self._eval(value, where)
        if not isinstance(value, list):
            raise self._error(f"{what} must be a list, found {_kind(value)}", where)
        return value

    def _args(self, value: Any, count: int | tuple[int, ...], where: str, name: str) -> list:
        counts = (count,) if isinstance(count, int) else count
        if not isinstance(value, list) or len(value) not in counts:
            expected = " or ".join(str(c) for c in counts)
            raise self._error(f"{name} expects a list of {expected} arguments, found {_kind(value)}", where)
        return value

    # -- intrinsics ---------------------------------------------------------------------

    def _ref(self, name: Any, where: str) -> Any:
        name = self._eval(name, where)
        if not isinstance(name, str):
            raise self._error(f"Ref expects a name, found {_kind(name)}", where)
        if name == "AWS::NoValue":
            return NO_VALUE
        if name.startswith("AWS::"):
            try:
                return self.pseudo.value(name)
            except KeyError:
                raise self._error(f"unknown pseudo parameter {name}", where) from None
        if name in self.parameters.specs:
            if self._unresolved_refs is not None and name in self.parameters.unresolved:
                self._unresolved_refs.add(name)
            if self.parameters.specs[name].no_echo and name in self.parameters.raw:
                self._secret_reads += 1
            return self.parameters.ref(name)
        if name in self.template.resources:
            return self._ref_token(name)
        raise self._error(f"Ref to {name!r}, which is neither a parameter nor a resource", where)

    def _if(self, value: Any, where: str) -> Any:
        args = self._args(value, 3, where, "Fn::If")
        name = args[0]
        if not isinstance(name, str):
            raise self._error("Fn::If expects a condition name first", where)
        branch = 1 if self.condition(name) else 2
        return self._eval(args[branch], f"{where}/{branch}")

    def _sub(self, value: Any, where: str) -> str:
        variables: Mapping[str, Any] = {}
        if isinstance(value, list):
            args = self._args(value, 2, where, "Fn::Sub")
            text, raw_vars = args
            if not isinstance(raw_vars, dict):
                raise self._error("Fn::Sub expects a mapping of variables second", where)
            variables = {k: self._eval(v, f"{where}/1/{k}") for k, v in raw_vars.items()}
        else:
            text = value
        if not isinstance(text, str):
            raise self._error(f"Fn::Sub expects a string, found {_kind(text)}", where)
        secrets_used: list[bool] = []

        def replace(match: re.Match[str], masked: bool = False) -> str:
            name = match.group(1)
            if name.startswith("!"):
                return "${" + name[1:] + "}"
            name = name.strip()
            if name in variables:
                found = variables[name]
            elif "." in name and not name.startswith("AWS::"):
                resource, _, attribute = name.partition(".")
                found = self._get_att([resource, attribute], where)
            else:
                found = self._ref(name, where)
            if isinstance(found, list):
                raise self._error(f"Fn::Sub variable ${{{name}}} is a list; use Fn::Join", where)
            if found is NO_VALUE:
                raise self._error(f"Fn::Sub variable ${{{name}}} is AWS::NoValue", where)
            if isinstance(found, Secret):
                secrets_used.append(True)
                return found.shown if masked else str.__str__(found)
            return str(found)

        if "${" in _SUB_VARIABLE.sub("", text):
            raise self._error("Fn::Sub: a '${' without its closing '}'", where)
        real = _SUB_VARIABLE.sub(replace, text)
        if secrets_used:  # the text around a NoEcho value stays readable
            return Secret(real, _SUB_VARIABLE.sub(lambda m: replace(m, True), text))
        return real

    def _get_att(self, value: Any, where: str) -> str:
        if isinstance(value, str):
            resource, _, attribute = value.partition(".")
        else:
            args = self._args(value, 2, where, "Fn::GetAtt")
            resource = args[0]
            attribute = self._eval(args[1], f"{where}/1")
        if not isinstance(resource, str) or not isinstance(attribute, str) or not attribute:
            raise self._error("Fn::GetAtt expects [Resource, Attribute]", where)
        if resource not in self.template.resources:
            raise self._error(f"Fn::GetAtt names {resource!r}, which is not a resource", where)
        return "${" + resource + "." + attribute + "}"

    def _join(self, value: Any, where: str) -> str:
        delimiter, items = self._args(value, 2, where, "Fn::Join")
        if not isinstance(delimiter, str):
            raise self._error("Fn::Join expects a delimiter string first", where)
        items = self._list(items, f"{where}/1", "Fn::Join's second argument")
        if isinstance(items, SymbolicList) and items.delimiter == delimiter:
            return items.source  # joining back what was split
        parts = []
        for index, item in enumerate(items):
            if isinstance(item, (dict, list)):
                raise self._error(f"Fn::Join item {index} must be a string, found {_kind(item)}", where)
            parts.append(str(item) if not isinstance(item, bool) else str(item).lower())
        if any(isinstance(item, Secret) for item in items):  # the other parts stay readable
            return Secret(delimiter.join(parts), delimiter.join(
                item.shown if isinstance(item, Secret) else part for item, part in zip(items, parts)))
        return delimiter.join(parts)

    def _split(self, value: Any, where: str) -> list[str]:
        delimiter, text = self._args(value, 2, where, "Fn::Split")
        if not isinstance(delimiter, str) or not delimiter:
            raise self._error("Fn::Split expects a non-empty delimiter string first", where)
        return split(self._string(text, f"{where}/1", "Fn::Split's source"), delimiter)

    def _select(self, value: Any, where: str) -> Any:
        index, items = self._args(value, 2, where, "Fn::Select")
        index = self._eval(index, f"{where}/0")
        position = _whole_number(index)
        if position is None:
            raise self._error(f"Fn::Select index must be a whole number, found {_kind(index)}", where)
        items = self._eval(items, f"{where}/1")
        if isinstance(items, SymbolicList):
            return items.element(position)
        if is_token(items):
            return f"{items}[{position}]"  # a list attribute known only after deployment
        items = self._list(items, f"{where}/1", "Fn::Select's list")
        if not 0 <= position < len(items):
            placeholder = self._unresolved_in(items)
            if placeholder is not None:
                # The list was made from a value nobody has given yet: its parts are unknown too.
                return Unresolved(placeholder, f"{placeholder}[{position}]")
            shown_index = position if abs(position) < sys.maxsize else f"of {len(str(index).strip()):,} digits"
            raise self._error(f"Fn::Select index {shown_index} is outside a list of {len(items)}", where)
        return items[position]

    def _unresolved_in(self, items: list) -> str | None:
        for item in items:
            if isinstance(item, Unresolved):
                return item.parameter
            if isinstance(item, str) and "<" in item:
                for name in self.parameters.unresolved:
                    if f"<{name}" in item:
                        return name
        return None

    def _find_in_map(self, value: Any, where: str) -> Any:
        args = self._args(value, (3, 4), where, "Fn::FindInMap")
        names = [self._string(a, f"{where}/{i}", "Fn::FindInMap key") for i, a in enumerate(args[:3])]
        default = NO_VALUE
        if len(args) == 4:
            option = args[3]
            if not isinstance(option, dict) or "DefaultValue" not in option:
                raise self._error("Fn::FindInMap's fourth argument must be {DefaultValue: ...}", where)
            default = option["DefaultValue"]
        mapping = self.template.mappings.get(names[0])
        level = mapping.get(names[1]) if isinstance(mapping, dict) else None
        if level is not None and not isinstance(level, dict):
            raise self._error(f"Mappings/{names[0]}/{names[1]} must be a mapping", where)
        found = level.get(names[2], NO_VALUE) if level is not None else NO_VALUE
        if found is NO_VALUE:
            if default is not NO_VALUE:
                return self._eval(default, f"{where}/3/DefaultValue")
            raise self._error(f"Fn::FindInMap: no {names[0]}/{names[1]}/{names[2]} in Mappings", where)
        return self._eval(found, where)

    def _get_azs(self, value: Any, where: str) -> list[str]:
        region = self._eval(value, where) or self.pseudo.region
        if not isinstance(region, str):
            raise self._error("Fn::GetAZs expects a region name", where)
        return availability_zones(region)

    def _base64(self, value: Any, where: str) -> str:
        text = self._string(value, where, "Fn::Base64's argument")
        return base64.b64encode(text.encode()).decode()

    def _cidr(self, value: Any, where: str) -> list[str]:
        block, count, bits = (self._eval(a, f"{where}/{i}")
                              for i, a in enumerate(self._args(value, 3, where, "Fn::Cidr")))
        try:
            count, bits = int(count), int(bits)
        except (TypeError, ValueError):
            raise self._error("Fn::Cidr expects a count and a number of subnet bits", where) from None
        if not 1 <= count <= 256:
            raise self._error(f"Fn::Cidr count must be from 1 to 256, found {count}", where)
        try:
            network = ipaddress.ip_network(str(block), strict=False)
            prefix = network.max_prefixlen - bits
            subnets = []
            for subnet in network.subnets(new_prefix=prefix):
                if len(subnets) == count:
                    break
                subnets.append(str(subnet))
        except (ValueError, TypeError):
            if isinstance(block, str) and "${" not in block and "<" not in block:
                # A concrete value, not a deployment-time one: CloudFormation refuses it too.
                raise self._error(f"Fn::Cidr: {block!r} with {bits} subnet bits is not an address block "
                                  "that can be divided so", where) from None
            return [f"${{Cidr:{block}/{count}/{bits}:{i}}}" for i in range(count)]
        return subnets

    def _import_value(self, value: Any, where: str) -> str:
        return "${Import:" + self._string(value, where, "Fn::ImportValue's name") + "}"

    def _length(self, value: Any, where: str) -> int | str:
        items = self._list(value, where, "Fn::Length's argument")
        return "${Length:" + items.label + "}" if isinstance(items, SymbolicList) else len(items)

    def _to_json_string(self, value: Any, where: str) -> str:
        return json.dumps(self._eval(value, where), separators=(",", ":"), default=str)

    def _transform(self, value: Any, where: str) -> Any:
        return {"Fn::Transform": value}

    def _cond_equals(self, value: Any, where: str) -> bool:
        left, right = (self._eval(a, f"{where}/{i}")
                       for i, a in enumerate(self._args(value, 2, where, "Fn::Equals")))
        return _comparable(left) == _comparable(right)

    def _conditions_list(self, value: Any, where: str, name: str) -> list[bool]:
        if not isinstance(value, list) or not 1 <= len(value) <= 10:
            raise self._error(f"{name} expects a list of 1 to 10 conditions", where)
        return [self._condition_value(item, f"{where}/{i}") for i, item in enumerate(value)]

    def _condition_value(self, item: Any, where: str) -> bool:
        if isinstance(item, dict) and len(item) == 1 and "Condition" in item:
            return self.condition(item["Condition"])
        value = self._eval(item, where)
        if not isinstance(value, bool):
            raise self._error(f"expected a condition, found {_kind(value)}", where)
        return value

    def _rule_contains(self, value: Any, where: str) -> bool:
        items, item = (self._eval(a, f"{where}/{i}") for i, a in enumerate(self._args(value, 2, where, "Fn::Contains")))
        return _comparable(item) in [_comparable(v) for v in as_list(items)]

    def _rule_each_member_equals(self, value: Any, where: str) -> bool:
        items, item = (self._eval(a, f"{where}/{i}")
                       for i, a in enumerate(self._args(value, 2, where, "Fn::EachMemberEquals")))
        return all(_comparable(v) == _comparable(item) for v in as_list(items))

    def _rule_each_member_in(self, value: Any, where: str) -> bool:
        items, allowed = (self._eval(a, f"{where}/{i}")
                          for i, a in enumerate(self._args(value, 2, where, "Fn::EachMemberIn")))
        permitted = [_comparable(v) for v in as_list(allowed)]
        return all(_comparable(v) in permitted for v in as_list(items))

    def _needs_aws(self, value: Any, where: str) -> Any:
        if not where.startswith("Rules/"):
            name = where.rstrip("/").rsplit("/", 1)[-1]
            raise self._error(f"{name} is only allowed in the Rules section", where)
        raise _NeedsAws(where)

    def _cond_and(self, value: Any, where: str) -> bool:
        return all(self._conditions_list(value, where, "Fn::And"))

    def _cond_or(self, value: Any, where: str) -> bool:
        return any(self._conditions_list(value, where, "Fn::Or"))

    def _cond_not(self, value: Any, where: str) -> bool:
        if not isinstance(value, list) or len(value) != 1:
            raise self._error("Fn::Not expects a list of one condition", where)
        return not self._condition_value(value[0], f"{where}/0")


class _NeedsAws(Exception):
    """A Rules function that only CloudFormation can answer (it reads the account)."""


def _whole_number(value: Any) -> int | None:
    """An Fn::Select index: an integer, or a string or float that is one; else None."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, float):
        return int(value) if value.is_integer() else None
    if isinstance(value, str) and value.strip().lstrip("-").isascii() and value.strip().lstrip("-").isdigit():
        try:
            return int(value)
        except ValueError:  # more digits than Python reads: past the end of any list
            return -sys.maxsize if value.strip().startswith("-") else sys.maxsize
    return None


def _comparable(value: Any) -> Any:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)):
        return str(int(value)) if float(value).is_integer() else str(value)
    if isinstance(value, Unresolved):
        return str(value)
    return value


def _kind(value: Any) -> str:
    if isinstance(value, dict):
        return "a mapping"
    if isinstance(value, list):
        return "a list"
    if value is NO_VALUE:
        return "AWS::NoValue"
    return repr(value)
