"""The ARN shape of a resource the template names: what ``Ref`` and ``Fn::GetAtt`` return.

An evaluation leaves ``!Ref Topic`` as ``${Topic}`` and ``!GetAtt Bucket.Arn`` as
``${Bucket.Arn}``: known only after deployment, yet of a known form. CloudFormation says what
each returns for each resource type (``assets/resource-returns.yaml``): ``Ref`` of an
``AWS::SNS::Topic`` is the topic's ARN, ``Ref`` of an ``AWS::S3::Bucket`` its name, ``Arn`` of
a bucket ``arn:${Partition}:s3:::${BucketName}``. ``pattern`` puts that form in place of each
such token, so that ``${Bucket.Arn}/*`` reads as the ARN pattern of objects and
``arn:aws:s3:::${Bucket}`` as that of a bucket, and ``wizard.iam.resource_types`` can judge it
like a literal ARN.

A part CloudFormation makes up is a wildcard: ``SEGMENT`` (any text without a ``/``) for a
bucket name, a topic name and the other values that never hold one (the asset's ``segments``
and ``slashes``), ``*`` (any text) for the rest. A token the asset does not know (a parameter,
an import, an attribute or a resource type it does not list) stays as it is, any text: nothing
is judged from a guess.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Mapping

from wizard.memo import memo
from wizard.memo import once
from wizard.paths import ASSETS

ASSET: Path = ASSETS / "resource-returns.yaml"

SEGMENT = "\x00"
"""In an ARN pattern: any text that holds no ``/`` (a bucket name, a topic name)."""

_TOKEN = re.compile(r"\$\{([A-Za-z0-9]+)(?:\.([A-Za-z0-9.]+))?\}")
_VARIABLE = re.compile(r"\$\{([^}]*)\}")


@once
def _returns() -> dict:
    """The asset, read once (its schema is checked by the tests, not on every run); parsed by
    the cache folder's copy when it has one, as a template is, so a warm run imports no YAML."""
    from wizard.cfn import parsecache

    return parsecache.read_shipped(ASSET.read_text(encoding="utf-8"), str(ASSET))


def segments(service: str) -> frozenset[str]:
    """The variables of an ARN service's forms that never hold a ``/``."""
    return _segments().get(service, frozenset())


@once
def _segments() -> dict[str, frozenset[str]]:
    return {service: frozenset(names) for service, names in _returns()["segments"].items()}


@memo(maxsize=4096)
def form(arn: str) -> str:
    """An ARN form of the IAM definitions (``arn:${Partition}:s3:::${BucketName}``) as a pattern:
    each variable ``SEGMENT`` when it never holds a ``/``, else ``*``."""
    parts = arn.split(":", 3)
    held = segments(parts[2]) if len(parts) > 2 else frozenset()
    return _VARIABLE.sub(lambda m: SEGMENT if m.group(1) in held else "*", arn)


def returned(resource_type: str, attribute: str | None) -> str | None:
    """What ``Ref`` (``attribute`` None) or ``Fn::GetAtt`` of a resource of this type gives, as
    a pattern; None when that is unknown or not of a form worth judging (a URL)."""
    value = _returns()["types"].get(resource_type, {}).get(attribute or "Ref")
    if value is None:
        return None
    if value["returns"] == "arn":
        return form(value["arn"])
    if value["returns"] in ("name", "id"):
        return "*" if value["slashes"] else SEGMENT
    return None


def pattern(resource: str, types: Mapping[str, str]) -> str:
    """A statement's resource with each token of a known shape replaced by its pattern
    (``types``: logical id -> resource type). A token taken apart (``${Cert}.split('/')[1]``,
    ``${Eni.Addresses}[0]``) leaves the whole resource as it is."""
    if "${" not in resource or ".split(" in resource:
        return resource

    def replace(match: re.Match[str]) -> str:
        end = match.end()
        if resource[end:end + 1] == "[":
            return match.group(0)
        kind = types.get(match.group(1))
        found = returned(kind, match.group(2)) if kind else None
        return match.group(0) if found is None else found

    return _TOKEN.sub(replace, resource)
