"""Every policy document of an evaluated template, whole, as a policy checker outside reads it.

The grants (``wizard.iam.grants``) take each document apart into statements per principal. A
checker such as IAM Access Analyzer wants the documents themselves: each one as IAM will hold
it, of its kind (an identity policy, a resource policy and the resource type it protects, a
role's trust policy), where it is written in the template, and with every value CloudFormation
knows only at deployment (``${Bucket.Arn}``, ``${Topic}``, a parameter left empty) replaced by a
placeholder of the right form in the stack's account and region, so that the checker can read
it: ``arn:aws:s3:::quilt-bucket`` for a bucket's ARN, ``arn:aws:sns:us-east-1:111122223333:quilt-topic``
for a topic's ``Ref``. The forms are data (``placeholders`` in ``assets/access-analyzer.yaml``,
beside the rest of what that check sends); a type it does not list gets a generic ARN of its
service where an ARN is expected and a name elsewhere.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from typing import Any, Iterator

from wizard import paths
from wizard.cfn.evaluate import Evaluation
from wizard.iam import carriers
from wizard.memo import once

IDENTITY, RESOURCE, TRUST = "identity", "resource", "trust"
SETTINGS_FILE = "access-analyzer.yaml"

_TOKEN = re.compile(r"\$\{([^}]*)\}")
_ARN_FIELDS = frozenset({"Resource", "NotResource"})


@dataclass(frozen=True)
class CriticalAccess:
    """Access no policy of the stack should give (one CheckAccessNotGranted call a policy)."""

    id: str
    title: str
    applies_to: tuple[str, ...]
    actions: tuple[str, ...]
    resources: tuple[str, ...] = ()


@dataclass(frozen=True)
class AnalyzerSettings:
    """``assets/access-analyzer.yaml``: what the check sends and how its answers are read."""

    critical_access: tuple[CriticalAccess, ...]
    resource_policy_types: dict[str, str]
    severities: dict[str, str]
    placeholders: dict[str, dict[str, str]]


@once
def settings() -> AnalyzerSettings:
    """The shipped settings (validated against their schema by the tests, not on every run)."""
    import yaml

    path = paths.ASSETS / SETTINGS_FILE
    data = yaml.load(path.read_text(encoding="utf-8"), Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader))
    critical = tuple(CriticalAccess(id=e["id"], title=e["title"], applies_to=tuple(e["applies_to"]),
                                    actions=tuple(e["actions"]), resources=tuple(e.get("resources") or ()))
                     for e in data["critical_access"])
    return AnalyzerSettings(critical, dict(data["resource_policy_types"]), dict(data["severities"]),
                            {k: dict(v) for k, v in data["placeholders"].items()})


@dataclass(frozen=True)
class PolicyDocument:
    """One policy document of the stack, as evaluated, and where it is written."""

    resource: str
    """The logical id of the resource holding it."""
    resource_type: str
    name: str
    """The policy's name (``PolicyName``), or the property holding it (``KeyPolicy``)."""
    kind: str
    """identity, resource or trust."""
    path: tuple[Any, ...]
    """Where the document is in the template, from its top (``Resources``, id, ``Properties``...)."""
    line: int | None
    document: Any = field(compare=False)

    @property
    def key(self) -> tuple[str, str, str]:
        """What names the same policy in another version of the template."""
        return (self.resource, self.kind, self.name)

    @property
    def where(self) -> str:
        """``Role/Policies/p``: the policy, for a person."""
        return f"{self.resource}/{self.name}"

    def validate_resource_type(self) -> str | None:
        """ValidatePolicy's ``validatePolicyResourceType`` for this document (None: none applies)."""
        if self.kind == TRUST:
            return "AWS::IAM::AssumeRolePolicyDocument"
        if self.kind == RESOURCE:
            return settings().resource_policy_types.get(self.resource_type)
        return None

    @property
    def policy_type(self) -> str:
        """IDENTITY_POLICY or RESOURCE_POLICY (a trust policy is a role's resource policy)."""
        return "IDENTITY_POLICY" if self.kind == IDENTITY else "RESOURCE_POLICY"


def policy_documents(evaluation: Evaluation) -> list[PolicyDocument]:
    """Every identity, resource and trust policy document of the resources that exist, in
    template order (a document that is not a mapping, or JSON text of one, is left out: the
    grants name it as not analysed)."""
    found = []
    for logical_id in evaluation.template.resources:
        resource = evaluation.resource(logical_id)
        if resource is None:
            continue
        kind = str(resource.get("Type"))
        properties = resource.get("Properties") or {}
        if not isinstance(properties, dict):
            continue
        for name, policy_kind, path in _documents_of(kind, properties):
            document = _readable(_at(properties, path))
            if document is None:
                continue
            full = ("Resources", logical_id, "Properties", *path)
            found.append(PolicyDocument(logical_id, kind, name, policy_kind, full,
                                        evaluation.template.line_of(*full), document))
    return found


def _documents_of(kind: str, properties: dict) -> Iterator[tuple[str, str, tuple]]:
    if kind in carriers.HOLDERS:
        for index, policy in enumerate(properties.get("Policies") or []):
            if isinstance(policy, dict):
                yield str(policy.get("PolicyName", index)), IDENTITY, ("Policies", index, "PolicyDocument")
        if kind == "AWS::IAM::Role":
            yield "AssumeRolePolicyDocument", TRUST, ("AssumeRolePolicyDocument",)
    elif kind in ("AWS::IAM::ManagedPolicy", "AWS::IAM::Policy") or kind in carriers.INLINE_POLICIES:
        name = properties.get("ManagedPolicyName") or properties.get("PolicyName") or "PolicyDocument"
        yield str(name), IDENTITY, ("PolicyDocument",)
    elif kind in carriers.RESOURCE_CARRIERS:
        path = carriers.RESOURCE_CARRIERS[kind].document
        yield path[-1], RESOURCE, path


def _at(value: Any, path: tuple) -> Any:
    for step in path:
        if isinstance(value, dict):
            value = value.get(step)
        elif isinstance(value, list) and isinstance(step, int) and 0 <= step < len(value):
            value = value[step]
        else:
            return None
    return value


def _readable(value: Any) -> dict | None:
    if isinstance(value, str):
        try:
            value = json.loads(value)
        except ValueError:
            return None
    return value if isinstance(value, dict) and "Statement" in value else None


# -- placeholders ---------------------------------------------------------------------------------

def with_placeholders(document: Any, evaluation: Evaluation) -> Any:
    """``document`` with every deployment-time value replaced by a placeholder of its form."""
    return _Placeholders(evaluation).value(document, None)


def document_text(document: PolicyDocument, evaluation: Evaluation) -> str:
    """The JSON text sent to a checker: the document with placeholders, keys in template order."""
    return json.dumps(with_placeholders(document.document, evaluation), default=str)


class _Placeholders:
    def __init__(self, evaluation: Evaluation) -> None:
        self.template = evaluation.template
        pseudo = evaluation.pseudo
        self.fields = {"partition": pseudo.partition, "region": pseudo.region, "account": pseudo.account_id}
        self.stack = pseudo.stack_name
        self.forms = settings().placeholders

    def value(self, value: Any, key: str | None) -> Any:
        if isinstance(value, dict):
            inner = key if key in ("Principal", "NotPrincipal") else None
            return {k: self.value(v, k if inner is None else f"{inner}.{k}") for k, v in value.items()}
        if isinstance(value, list):
            return [self.value(v, key) for v in value]
        if isinstance(value, str) and "${" in value:
            return self.text(value, key)
        return value

    def text(self, text: str, key: str | None) -> str:
        whole = _TOKEN.fullmatch(text)
        if whole:
            replaced = self.token(whole.group(1), alone=True)
        else:
            replaced = _TOKEN.sub(lambda m: self.token(m.group(1), alone=False), text)
        if key in _ARN_FIELDS and not replaced.startswith(("arn:", "*")):
            return self.generic(replaced)
        if key in ("Principal.AWS", "NotPrincipal.AWS") and not (replaced.startswith("arn:") or replaced == "*"
                                                              or replaced.isdigit()):
            return f"arn:{self.fields['partition']}:iam::{self.fields['account']}:role/{replaced}"
        return replaced

    def name(self, label: str) -> str:
        name = re.sub(r"[^a-z0-9-]+", "-", f"{self.stack}-{label}".lower()).strip("-")
        return name[:56] or "placeholder"

    def token(self, token: str, *, alone: bool) -> str:
        base = re.sub(r"\[[^\]]*\]$", "", token)
        logical, _, attribute = base.partition(".")
        resource = self.template.resources.get(logical)
        name = self.name(logical)
        forms = self.forms.get(str(resource.get("Type"))) if isinstance(resource, dict) else None
        form = (forms or {}).get(attribute or "ref")
        if form is None and forms and attribute.endswith("Arn"):
            form = forms.get("Arn")
        if form is not None:
            return form.format(name=name, **self.fields)
        if alone and isinstance(resource, dict) and (attribute.endswith("Arn") or attribute == "Arn"):
            return self.generic(name, str(resource.get("Type")))
        return name

    def generic(self, name: str, resource_type: str | None = None) -> str:
        """``arn:aws:SERVICE:REGION:ACCOUNT:TYPE/NAME``: an ARN of the resource's service."""
        parts = (resource_type or "AWS::Placeholder::Resource").split("::")
        service, kind = (parts[1].lower(), parts[2].lower()) if len(parts) == 3 else ("placeholder", "resource")
        return f"arn:{self.fields['partition']}:{service}:{self.fields['region']}:{self.fields['account']}:{kind}/{name}"
