"""API Gateway methods and Lambda functions of a template: what the network diagram adds to the flows.

Security groups and listeners say what reaches the containers; an API Gateway REST API is
reached another way: its endpoint type (``PRIVATE`` or not) and its resource policy decide who
may call it, and each method says whether it asks for authorization (``AuthorizationType``
``NONE`` does not) and which Lambda function it invokes. Lambda functions that run in the
VPC are grouped by the security groups they run in, so the drawing shows every function
without one box each.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from wizard.cfn.evaluate import Evaluation
from wizard.iam.grants import holder_of


@dataclass(frozen=True)
class Method:
    """One API Gateway method: its API, path, verb, authorization and the function it invokes."""

    api: str
    path: str
    verb: str
    authorization: str
    function: str
    line: int | None = None

    @property
    def authenticated(self) -> bool:
        return self.authorization.upper() not in ("", "NONE")


@dataclass(frozen=True)
class Api:
    """A REST API: whether anyone may call it (endpoint not PRIVATE and a policy admitting ``*``)."""

    name: str
    endpoint: str
    public: bool
    methods: tuple[Method, ...]


def _name(value: object) -> str:
    return holder_of(str(value)) if value else "?"


def apis(evaluation: Evaluation) -> list[Api]:
    """Every REST API of the template with its methods, as evaluated."""
    found = []
    resources = evaluation.resources("AWS::ApiGateway::Resource")
    methods = evaluation.resources("AWS::ApiGateway::Method")
    for logical_id, resource in evaluation.resources("AWS::ApiGateway::RestApi").items():
        properties = resource.get("Properties") or {}
        types = [str(t).upper() for t in ((properties.get("EndpointConfiguration") or {}).get("Types") or ["EDGE"])]
        endpoint = ",".join(types)
        policy = str(properties.get("Policy") or "")
        anyone = bool(re.search(r"'Principal': '\*'|'AWS': '\*'", policy)) or not properties.get("Policy")
        mine = []
        for method_id, method in methods.items():
            mp = method.get("Properties") or {}
            if _name(mp.get("RestApiId")) != logical_id:
                continue
            path_part = (resources.get(_name(mp.get("ResourceId"))) or {}).get("Properties", {}).get("PathPart")
            uri = str((mp.get("Integration") or {}).get("Uri") or "")
            target = re.search(r"functions/\$\{([A-Za-z0-9]+)\.Arn\}|functions/arn:[^/]*:function:([A-Za-z0-9-_]+)", uri)
            function = (target.group(1) or target.group(2)) if target else "?"
            mine.append(Method(logical_id, f"/{path_part or ''}", str(mp.get("HttpMethod", "?")),
                               str(mp.get("AuthorizationType", "NONE")), function,
                               evaluation.template.line_of("Resources", method_id)))
        found.append(Api(logical_id, endpoint, "PRIVATE" not in types and anyone,
                         tuple(sorted(mine, key=lambda m: (m.path, m.verb)))))
    return found


def functions_by_group(evaluation: Evaluation, skip: set[str] = frozenset()) -> dict[str, list[str]]:
    """Security group (or "no VPC") -> the Lambda functions that run in it, ``skip`` left out."""
    found: dict[str, list[str]] = {}
    for logical_id, resource in evaluation.resources("AWS::Lambda::Function").items():
        if logical_id in skip:
            continue
        groups = ((resource.get("Properties") or {}).get("VpcConfig") or {}).get("SecurityGroupIds") or []
        names = [_name(g) for g in groups] if isinstance(groups, list) else []
        for group in names or ["no VPC"]:
            found.setdefault(group, []).append(logical_id)
    return {g: sorted(f) for g, f in sorted(found.items())}
