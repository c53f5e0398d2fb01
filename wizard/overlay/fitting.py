"""Fitting a policy into IAM's size limit: the same grants in fewer characters, and an estimate
of the length a policy reaches once CloudFormation has filled it in.

IAM takes at most 6,144 characters of policy text (white space aside). The envelope is first
written short and exact (``merged_statements``: each resource once per set of actions, an action
kept only on the resources of its own service); when the estimate is still too long, the boundary
is split (``wizard.overlay.limits``), and only then are action lists written as the shortest
wildcards that name only granted actions (``wildcarded``, per the IAM catalog; never IAM, STS or
KMS). ``policy_chunks`` spreads statements over documents that each fit.
"""

from __future__ import annotations

import copy
import json
import re
from typing import Any, Iterator

from wizard.iam import actions as iam_actions
from wizard.overlay.branches import (DECLARED, NO_VALUE, Wrappers, ifs_as_lists, is_if, leaves, peeled, settled,
                                     wrapped)
from wizard.overlay.match import as_items, canonical, is_statement, literals

#: IAM's limit on a managed policy's text, white space aside.
MAX_POLICY_CHARACTERS = 6144


#: Lengths the estimate gives what CloudFormation fills in (generous: a long region, a 32-character
#: stack name, a generated name and a whole ARN).
_ESTIMATES = {"AWS::Partition": 10, "AWS::Region": 14, "AWS::AccountId": 12, "AWS::StackName": 32,
              "AWS::StackId": 110, "AWS::URLSuffix": 13}


_NAME_LENGTH, _ARN_LENGTH, _BUCKET_ARN_LENGTH = 64, 125, 76


def _mergeable(statement: Any) -> bool:
    return is_statement(statement) and set(statement) <= {"Effect", "Action", "Resource", "Condition"} \
        and statement.get("Effect") == "Allow" and "Action" in statement and "Resource" in statement


def _unit(value: Any) -> bool:
    """A resource value that may stand in a list beside others: a string, or an intrinsic giving one."""
    if isinstance(value, str):
        return True
    if is_if(value):
        return all(branch == NO_VALUE or _unit(branch) for branch in value["Fn::If"][1:])
    return isinstance(value, dict) and len(value) == 1 and next(iter(value)) in ("Ref", "Fn::GetAtt", "Fn::Sub",
                                                                               "Fn::Join", "Fn::Select")


def regroupable(statement: Any) -> bool:
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


def serves(service: str | None, action: str) -> bool:
    """Whether ``action`` may name a resource of ``service`` (None: of any)."""
    prefix = action.split(":", 1)[0].lower()
    return service is None or prefix == service or prefix not in _OWN_RESOURCES_ONLY


def merged_statements(statements: list, resources: dict | None = None) -> list:
    """The same grants in fewer characters: duplicates dropped, and the plain statements (Allow,
    Action, Resource, Condition) rewritten as one statement per set of actions, each resource
    written once, beside the statements of the same condition that grant it the same actions.
    With the template's ``resources``, an action is kept only on the resources of its service
    (a statement granting S3 and Glue actions on S3 and Glue ARNs grants nothing else)."""
    unique = list({canonical(s): s for s in statements}.values())
    granted: dict[str, dict[str, tuple[Any, list[str]]]] = {}
    conditions: dict[str, Any] = {}
    services: dict[str, str | None] = {}  # each resource's service, by its canonical form
    out: list = []
    for statement in unique:
        if not regroupable(statement):
            out.append(statement)
            continue
        condition = canonical(statement.get("Condition"))
        if condition not in granted:
            conditions[condition] = statement.get("Condition")
            out.append(condition)  # where the condition's statements go
        on = granted.setdefault(condition, {})
        for resource in as_items(statement["Resource"]):
            key = canonical(resource)
            if key not in services:
                services[key] = resource_service(resources, resource) if resources is not None else None
            serving = [a for a in literals(statement["Action"]) if serves(services[key], a)]
            if not serving:
                continue
            _value, actions = on.setdefault(key, (resource, []))
            known = {x.lower() for x in actions}
            actions += [a for a in serving if a.lower() not in known]
    result: list = []
    for item in out:
        if not isinstance(item, str):
            result.append(item)
            continue
        pairs = [(key, resource, _without_covered_actions(actions)) for key, (resource, actions) in granted[item].items()]
        shortest = min((_by_actions(pairs), _by_resources(pairs)), key=lambda c: _estimate(c, resources or {}))
        for actions, named in shortest:
            named = [copy.deepcopy(r) for r in named]
            merged: dict = {"Effect": "Allow", "Action": actions if len(actions) > 1 else actions[0],
                            "Resource": named if len(named) > 1 else named[0]}
            if conditions[item] is not None:
                merged["Condition"] = copy.deepcopy(conditions[item])
            result.append(merged)
    return result


def merged_under_conditions(statements: list, resources: dict | None = None) -> list:
    """:func:`merged_statements`, applied to the statements under each same set of conditions (the
    policy-creation mode's read and write statements on the same buckets become one)."""
    groups: dict[str, tuple[Wrappers, list]] = {}
    order: list = []
    for statement in statements:
        wrappers, inner = peeled(statement)
        if not wrappers or not is_statement(inner):
            order.append(statement)
            continue
        key = canonical(wrappers)
        if key not in groups:
            groups[key] = (wrappers, [])
            order.append(key)
        groups[key][1].append(inner)
    plain = merged_statements([s for s in order if not isinstance(s, str)], resources)
    return plain + [wrapped(s, groups[k][0]) for k in order if isinstance(k, str)
                    for s in merged_statements(groups[k][1], resources)]


def _without_covered_actions(actions: list[str]) -> list[str]:
    """The actions without those another action's pattern (``s3:Get*``) names."""
    patterns = [b for b in actions if "*" in b]
    if not patterns:
        return actions
    return [a for a in actions if not any(b != a and covers_action(b, a) for b in patterns)]


def _by_actions(pairs: list[tuple[str, Any, list[str]]]) -> list[tuple[list[str], list]]:
    """(actions, resources) from (canonical resource, resource, actions): each resource once, beside
    those granted the same actions (the resources are the pairs' own: the caller copies those of
    the grouping it keeps)."""
    grouped: dict[frozenset, tuple[list[str], list]] = {}
    for _key, resource, actions in pairs:
        grouped.setdefault(frozenset(a.lower() for a in actions), (actions, []))[1].append(resource)
    return [(actions, _uncovered(named)) for actions, named in grouped.values()]


def _by_resources(pairs: list[tuple[str, Any, list[str]]]) -> list[tuple[list[str], list]]:
    """(actions, resources): each action once, beside those granted on the same resources (the
    resources are the pairs' own, as in :func:`_by_actions`)."""
    places: dict[str, tuple[str, dict[str, Any]]] = {}
    for key, resource, actions in pairs:
        for action in actions:
            places.setdefault(action.lower(), (action, {}))[1].setdefault(key, resource)
    grouped: dict[tuple[str, ...], tuple[list[str], list]] = {}
    for action, named in places.values():
        grouped.setdefault(tuple(sorted(named)), ([], list(named.values())))[0].append(action)
    return [(actions, _uncovered(named)) for actions, named in grouped.values()]


def _uncovered(values: list) -> list:
    """The resource values without those another value's pattern names whole (both written as
    text, the same ``${...}`` standing for the same value)."""
    from wizard.iam.wildcards import pattern_covers

    texts = [v if isinstance(v, str) else v.get("Fn::Sub") if isinstance(v, dict) and len(v) == 1
             and isinstance(v.get("Fn::Sub"), str) else None for v in values]
    patterns = [text for text in texts if text is not None and "*" in text]
    if not patterns:
        return values
    kept = []
    for text, value in zip(texts, values):
        if text is not None and any(pattern != text and pattern_covers(pattern, text, case_sensitive=True)
                                    for pattern in patterns):
            continue
        kept.append(value)
    return kept


def covers_action(pattern: str, action: str) -> bool:
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
        if not regroupable(statement) or statement["Resource"] == "*":
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


def over_limit(document: Any, body: dict | None = None, limit: int | None = None) -> bool:
    """Whether :func:`estimated_characters` of ``document`` passes ``limit`` (IAM's, unless
    given). Each ``Fn::If`` counted at its longer branch bounds every way the conditions can hold
    (settling a choice never lengthens the text): a policy within the limit so is not estimated
    way by way, which is the cost of the estimate and grows with the conditions it names."""
    limit = MAX_POLICY_CHARACTERS if limit is None else limit
    resources = (body or {}).get("Resources") or {}
    if _estimate(document, resources) <= limit:
        return False
    if body is None:
        return True
    # way by way, until one passes the limit
    return any(_estimate(settled(document, truth), resources) > limit
               for truth in _truths(document, body.get("Conditions") or {}))


def estimated_characters(document: Any, body: dict | None = None) -> int:
    """A generous estimate of a policy's length once CloudFormation has filled it in, white space
    aside: each value it fills in counted at the length it may reach (an ARN of a bucket the
    template creates at a bucket ARN's, any other at a long ARN's). With the template ``body``,
    the longest over every way the conditions the policy names can hold (those that compare one
    parameter with different values hold one at a time), else each ``Fn::If`` at its longer branch."""
    if body is None:
        return _estimate(document, {})
    resources = body.get("Resources") or {}
    return max(_estimate(settled(document, truth), resources)
               for truth in _truths(document, body.get("Conditions") or {}))


def _truths(document: Any, conditions: dict) -> Iterator[dict[str, bool]]:
    """Every way the conditions ``document`` names can hold together (at most 2**10 of them)."""
    names = sorted({condition for _leaf, wrappers in leaves(ifs_as_lists(document)) for condition, _branch in wrappers
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


def _arn_length(resources: dict, name: str) -> int:
    return _BUCKET_ARN_LENGTH if (resources.get(name) or {}).get("Type") == "AWS::S3::Bucket" else _ARN_LENGTH


def _estimate(document: Any, resources: dict) -> int:
    if isinstance(document, list):
        return 2 + sum(_estimate(v, resources) for v in document) + max(len(document) - 1, 0)
    if not isinstance(document, dict):
        return len(json.dumps(document))
    if is_if(document):
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


def policy_chunks(statements: list, version: str, body: dict) -> list[dict]:
    """Policy documents holding the statements, each within IAM's limit."""
    documents: list[dict] = []
    resources = body.get("Resources") or {}
    bound = 0  # the last document's estimate with each Fn::If at its longer branch (see over_limit)
    for statement in statements:
        if documents:
            grown_bound = bound + _estimate(statement, resources) + 1  # the statement and its comma
            if grown_bound <= MAX_POLICY_CHARACTERS or estimated_characters(
                    {**documents[-1], "Statement": [*documents[-1]["Statement"], statement]}, body) \
                    <= MAX_POLICY_CHARACTERS:
                documents[-1]["Statement"].append(statement)
                bound = grown_bound
                continue
        documents.append({"Version": version, "Statement": [statement]})
        bound = _estimate(documents[-1], resources)
    return documents
