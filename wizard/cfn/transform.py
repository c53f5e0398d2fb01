"""Templates that declare a transform: the SAM one expanded offline, any other refused.

A template with ``Transform: AWS::Serverless-2016-10-31`` is what its author writes, not what
CloudFormation deploys: a ``AWS::Serverless::Function`` becomes a Lambda function and a role
whose policies come from the function's ``Policies`` (AWS managed policy names, inline
statements, policy templates such as ``S3ReadPolicy``). The analysis reads the deployed form,
so the template is expanded first with the translator AWS maintains (``samtranslator``), the
same code CloudFormation runs, with no AWS call: AWS managed policy names are looked up in the
bundled copy (``assets/aws-managed-policies.jsonl``), the pseudo parameters and the template's
own parameters stay symbols (``!Ref``) for the evaluator to resolve with the run's values (a
template whose expansion needs a parameter's value, such as ``AutoPublishAlias: !Ref Alias``,
is expanded with the parameters' defaults, as ``sam validate`` does), and an application of
the Serverless Application Repository (which only AWS can fetch) is refused.

Every resource the translator writes cites a line of the user's file: a resource it passes
through keeps its own lines; one it generates takes the line of the SAM resource it came from
(``MyFunctionRole`` the line of ``MyFunction``; the role's policies, the lines of the
function's ``Policies`` items; an implicit API, the line of ``Transform``).

Any other transform (``AWS::Include``, ``AWS::LanguageExtensions``, a macro of the account, an
``Fn::Transform`` anywhere) runs only inside CloudFormation, at deploy time: a template that
uses one is refused with one line naming it, never analysed as if it were not there. A SAM
template the translator refuses is one line with the translator's reason.

``samtranslator`` (and pydantic under it) takes a large part of a second to import, so it is
imported only when a template declares the SAM transform.
"""

from __future__ import annotations

import copy
import re
from typing import Any

from wizard.cfn.yamlsource import LineDict, LineList
from wizard.errors import TemplateError
from wizard.memo import once
from wizard.paths import ASSETS

#: The transform this module expands.
SAM = "AWS::Serverless-2016-10-31"
#: The first fields of each line of the bundled AWS managed policies.
_MANAGED = re.compile(rb'^\{"arn":"(arn:aws:iam::aws:policy/[^"]+)","name":"([^"]+)"', re.MULTILINE)
#: The region the translator is told (it asks one to name the partition): only ``aws`` follows.
_REGION = "us-east-1"
#: The policy a SAM role writes for the function's ``Policies`` item N: ``<Role>Policy<N>``.
_POLICY_INDEX = re.compile(r"Policy(\d+)$")


def expand(body: LineDict, text: str, source: str) -> LineDict:
    """``body`` as CloudFormation deploys it: the SAM transform expanded, lines kept; ``body``
    itself when it declares no transform. Raises TemplateError for a transform that cannot be
    expanded offline and for a SAM template the translator refuses."""
    if not mentions_transform(text):
        return body
    declared = _declared(body, source)
    inline = _inline_transform(body)
    if inline is not None:
        path, name, line = inline
        raise TemplateError(f"Fn::Transform {name} is a macro CloudFormation runs when it deploys; it cannot be "
                            "expanded offline, so the template cannot be analysed", file=source,
                            where="/".join(map(str, path)), line=line)
    if not declared:
        return body
    _refuse_repository_applications(body, source)
    expanded = _translate(body, source)
    return _with_lines(expanded, body, line=body.key_lines.get("Transform"))


def mentions_transform(text: str) -> bool:
    """Whether ``Transform`` is a word of ``text``: a template without it declares no transform
    (and costs no walk). Found by substring, faster than a regular expression on a large text."""
    start = text.find("Transform")
    while start >= 0:
        end = start + len("Transform")
        before, after = text[start - 1:start], text[end:end + 1]
        if not (before.isalnum() or before == "_") and not (after.isalnum() or after == "_"):
            return True
        start = text.find("Transform", end)
    return False


def _declared(body: LineDict, source: str) -> list[str]:
    """The transforms of the ``Transform`` section; TemplateError for any but SAM's."""
    if "Transform" not in body:
        return []
    value = body["Transform"]
    line = body.key_lines.get("Transform")
    items = value if isinstance(value, list) else [value]
    names = []
    for index, item in enumerate(items):
        item_line = value.item_lines[index] if isinstance(value, LineList) and index < len(value.item_lines) else line
        name = item.get("Name") if isinstance(item, dict) else item
        if not isinstance(name, str) or not name:
            raise TemplateError("Transform must name a transform (such as AWS::Serverless-2016-10-31) or list them",
                                file=source, where="Transform", line=item_line)
        if name != SAM:
            raise TemplateError(f"the transform {name} is a macro CloudFormation runs when it deploys; it cannot "
                                f"be expanded offline (only {SAM} can), so the template cannot be analysed",
                                file=source, where="Transform", line=item_line)
        names.append(name)
    return names


def _inline_transform(body: Any) -> tuple[tuple, str, int | None] | None:
    """The first ``Fn::Transform`` of the template: its path, macro name and line."""
    stack: list[tuple[Any, tuple, int | None]] = [(body, (), getattr(body, "line", None))]
    while stack:
        node, path, line = stack.pop()
        if isinstance(node, dict):
            lines = node.key_lines if isinstance(node, LineDict) else {}
            if "Fn::Transform" in node:
                argument = node["Fn::Transform"]
                name = argument.get("Name") if isinstance(argument, dict) else None
                return path, name if isinstance(name, str) else "(unnamed)", lines.get("Fn::Transform", line)
            stack.extend((value, (*path, key), lines.get(key, line)) for key, value in reversed(node.items()))
        elif isinstance(node, list):
            lines = node.item_lines if isinstance(node, LineList) else []
            stack.extend((value, (*path, index), lines[index] if index < len(lines) else line)
                         for index, value in reversed(list(enumerate(node))))
    return None


def _refuse_repository_applications(body: LineDict, source: str) -> None:
    """An application of the Serverless Application Repository: only AWS can fetch its template."""
    resources = body.get("Resources") or {}
    for logical_id, resource in resources.items():
        if resource.get("Type") != "AWS::Serverless::Application":
            continue
        location = (resource.get("Properties") or {}).get("Location")
        if isinstance(location, dict):
            raise TemplateError("an application of the Serverless Application Repository: its template is fetched "
                                "from AWS when the stack deploys, so it cannot be expanded offline",
                                file=source, where=f"Resources/{logical_id}/Properties/Location",
                                line=resources.key_lines.get(logical_id))


@once
def managed_policy_arns() -> dict[str, str]:
    """The ARN of every AWS managed policy by name, from the bundled copy (no AWS call)."""
    data = (ASSETS / "aws-managed-policies.jsonl").read_bytes()
    return {name.decode(): arn.decode() for arn, name in _MANAGED.findall(data)}


class _Offline(Exception):
    """The translator asked for an AWS client: the expansion would need the network."""


class _Region:
    """What the translator reads of a boto3 session: a region, to name the partition."""

    region_name = _REGION


def _translate(body: LineDict, source: str) -> dict:
    """The translator's expansion of ``body``: the template's parameters as symbols first; when
    the translator needs a value (``AutoPublishAlias: !Ref Alias``), with their defaults, as
    ``sam validate`` does."""
    from samtranslator.model.exceptions import ExceptionWithMessage, InvalidDocumentException

    declared = body.get("Parameters") or {}
    symbols: dict[str, Any] = {name: {"Ref": name} for name in declared}
    defaults = {**symbols, **{name: spec["Default"] for name, spec in declared.items()
                              if isinstance(spec, dict) and "Default" in spec}}
    try:
        try:
            return _translated(body, symbols)
        except InvalidDocumentException:
            if defaults == symbols:
                raise
            return _translated(body, defaults)
    except InvalidDocumentException as exc:
        causes = exc.causes or [exc]
        logical_id = getattr(causes[0], "_logical_id", None)
        resources = body.get("Resources") or {}
        line = resources.key_lines.get(logical_id) if isinstance(logical_id, str) else None
        reasons = "; ".join(" ".join(cause.message.split()) for cause in causes)
        raise TemplateError(f"the SAM transform refuses the template: {reasons}", file=source,
                            where=f"Resources/{logical_id}" if line else None, line=line) from None
    except _Offline:
        raise TemplateError("the SAM transform needs the Serverless Application Repository, so the template "
                            "cannot be expanded offline", file=source) from None
    except ExceptionWithMessage as exc:
        raise TemplateError(f"the SAM transform refuses the template: {' '.join(exc.message.split())}",
                            file=source) from None


def _translated(body: LineDict, parameters: dict[str, Any]) -> dict:
    """One run of the translator, offline: the bundled managed policies, no AWS client."""
    from samtranslator.metrics.metrics import DummyMetricsPublisher, Metrics
    from samtranslator.parser.parser import Parser
    from samtranslator.plugins.application.serverless_app_plugin import ServerlessAppPlugin
    from samtranslator.translator.translator import Translator

    def offline() -> Any:
        raise _Offline

    values = {**parameters, **{pseudo: {"Ref": pseudo} for pseudo in ("AWS::Region", "AWS::Partition")}}
    metrics = Metrics("ServerlessTransform", DummyMetricsPublisher())
    plugins = [ServerlessAppPlugin(parameters=values, sar_client_creator=offline)]
    translator = Translator(managed_policy_arns(), Parser(), plugins=plugins, boto_session=_Region(),
                            metrics=metrics)
    try:
        return translator.translate(copy.deepcopy(body), values)
    finally:
        metrics.publish()  # to nowhere: unpublished ones are a warning on stderr when collected


def _with_lines(expanded: dict, body: LineDict, line: int | None) -> LineDict:
    """The translator's output with a line on every mapping and list (see the module's text)."""
    written = body.get("Resources") or {}
    sam_ids = sorted((logical_id for logical_id, resource in written.items()
                      if str(resource.get("Type", "")).startswith("AWS::Serverless::")), key=len, reverse=True)
    resources = LineDict()
    resources.line = written.line
    for logical_id, resource in (expanded.get("Resources") or {}).items():
        origin = logical_id if logical_id in written else next(
            (sam for sam in sam_ids if logical_id.startswith(sam)), None)
        resource_line = written.key_lines.get(origin, line) if origin is not None else line
        if isinstance(resource, LineDict):  # passed through: its own lines
            resources[logical_id] = _lined(resource, resource_line)
        else:
            resources[logical_id] = _generated(resource, written.get(origin) if origin else None, resource_line)
        resources.key_lines[logical_id] = resource_line
    out = LineDict()
    out.line = body.line
    for key, value in expanded.items():
        key_line = body.key_lines.get(key, line)
        out[key] = resources if key == "Resources" else _lined(value, key_line)
        out.key_lines[key] = key_line
    return out


def _generated(resource: dict, origin: Any, line: int | None) -> LineDict:
    """A resource the translator wrote for the SAM resource ``origin`` (written at ``line``)."""
    properties = resource.get("Properties")
    written = origin.get("Properties") if isinstance(origin, dict) else None
    if not isinstance(properties, dict) or not isinstance(written, LineDict):
        return _lined(resource, line)
    policies = written.get("Policies")
    policy_line = written.key_lines.get("Policies", line)
    policy_items = policies.item_lines if isinstance(policies, LineList) else []
    lined = LineDict()
    lined.line = line
    for key, value in properties.items():
        key_line = written.key_lines.get(key, line)
        if key == "ManagedPolicyArns" and isinstance(value, list):
            key_line = policy_line
            value = _arns_with_lines(value, policies, policy_items, policy_line)
        elif key == "Policies" and isinstance(value, list):
            key_line = policy_line
            value = _policies_with_lines(value, policy_items, policy_line)
        lined[key] = _lined(value, key_line)
        lined.key_lines[key] = key_line
    result = _lined({k: v for k, v in resource.items() if k != "Properties"}, line)
    result["Properties"] = lined
    result.key_lines["Properties"] = line
    return result


def _arns_with_lines(arns: list, policies: Any, item_lines: list[int], line: int | None) -> LineList:
    """``ManagedPolicyArns``, each ARN at the line of the ``Policies`` item that names it."""
    named = {}
    for index, item in enumerate(policies if isinstance(policies, list) else []):
        if isinstance(item, str) and index < len(item_lines):
            named[item] = item_lines[index]
            named[managed_policy_arns().get(item, item)] = item_lines[index]
    result = LineList(arns)
    result.line = line
    result.item_lines = [named.get(arn, line) if isinstance(arn, str) else line for arn in arns]
    return result


def _policies_with_lines(policies: list, item_lines: list[int], line: int | None) -> LineList:
    """The role's inline policies, each at the line of the ``Policies`` item it was written from."""
    result = LineList()
    result.line = line
    for policy in policies:
        name = policy.get("PolicyName") if isinstance(policy, dict) else None
        match = _POLICY_INDEX.search(name) if isinstance(name, str) else None
        index = int(match.group(1)) if match else -1
        policy_line = item_lines[index] if 0 <= index < len(item_lines) else line
        result.append(_lined(policy, policy_line))
        result.item_lines.append(policy_line)
    return result


def _lined(node: Any, line: int | None) -> Any:
    """``node`` with every mapping a LineDict and every list a LineList: what the translator
    copied from the user's file keeps its lines, what it wrote takes ``line``."""
    if isinstance(node, LineDict):
        for key, value in node.items():
            node[key] = _lined(value, node.key_lines.get(key, node.line or line))
        node.key_lines = {key: node.key_lines.get(key, node.line or line) for key in node}
        if node.line is None:
            node.line = line
        return node
    if isinstance(node, dict):
        result = LineDict()
        result.line = line
        for key, value in node.items():
            result[key] = _lined(value, line)
            result.key_lines[key] = line
        return result
    if isinstance(node, list):
        kept = isinstance(node, LineList) and len(node.item_lines) == len(node)
        lines = list(node.item_lines) if kept else [getattr(item, "line", None) or line for item in node]
        result = LineList(_lined(item, item_line) for item, item_line in zip(node, lines))
        result.line = node.line if isinstance(node, LineList) and node.line else line
        result.item_lines = lines
        return result
    return node
