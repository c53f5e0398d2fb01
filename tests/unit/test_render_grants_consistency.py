"""What ``render --json`` shows, ``grants --json`` accounts for.

For every template under ``tests/data/`` and the real Quilt templates: ``render`` and ``grants``
accept or refuse it alike, every policy statement in the rendered template is a grant of the
same resource with the same effect, actions and resources (or its document is listed as not
analysed), and every security-group rule is a network rule. The rendered side is read here
independently of the permission model, so a carrier the model forgets fails this test.
"""

from __future__ import annotations

import json

import pytest

from tests.conftest import DATA, REAL, REAL_REQUIRED
from wizard.cli import main

TEMPLATES = sorted(p for p in DATA.rglob("*.yaml") if "answers" not in p.parts)
REAL_FIXTURES = sorted(REAL.parent.glob("*.yaml")) if REAL.parent.is_dir() else []
PERMISSIONS = ("AWS::Lambda::Permission", "AWS::Lambda::LayerVersionPermission")


def run(command: str, path, values: dict, capsys) -> tuple[int, dict]:
    args = [command, "--template", str(path), "--json"]
    for key, value in values.items():
        args += ["--set", f"{key}={value}"]
    code = main(args)
    out = capsys.readouterr().out
    return code, (json.loads(out) if code == 0 else {})


def as_list(value) -> list[str]:
    if value is None:
        return []
    return sorted(str(v) for v in (value if isinstance(value, list) else [value]))


def documents(node, path=()):
    """(property path, statements) of every policy document under a rendered value."""
    if isinstance(node, str) and node.lstrip().startswith("{") and '"Statement"' in node:
        try:
            node = json.loads(node)
        except ValueError:
            return
    if isinstance(node, dict):
        if "Statement" in node and isinstance(node["Statement"], (list, dict)):
            statements = node["Statement"] if isinstance(node["Statement"], list) else [node["Statement"]]
            statements = [s for s in statements if isinstance(s, dict) and ("Effect" in s or "Action" in s)]
            if statements:  # (a WAF rule's Statement is no policy)
                yield path, statements
                return
        for key, value in node.items():
            yield from documents(value, (*path, key))
    elif isinstance(node, list):
        for index, value in enumerate(node):
            yield from documents(value, (*path, index))


def statement_shape(statement: dict) -> tuple:
    return (statement.get("Effect", "Allow"), as_list(statement.get("Action")), as_list(statement.get("NotAction")),
            as_list(statement.get("Resource")), as_list(statement.get("NotResource")))


def grant_shape(grant: dict) -> tuple:
    return (grant["effect"], sorted(grant["actions"]), sorted(grant["not_actions"]), sorted(grant["resources"]),
            sorted(grant["not_resources"]))


def security_group_rules(resources: dict) -> list[tuple]:
    found = []
    for logical_id, resource in resources.items():
        properties = resource.get("Properties") or {}
        if resource["Type"] == "AWS::EC2::SecurityGroup":
            for key, kind in (("SecurityGroupIngress", "ingress"), ("SecurityGroupEgress", "egress")):
                found += [(kind, logical_id, rule) for rule in properties.get(key) or []]
        elif resource["Type"] in ("AWS::EC2::SecurityGroupIngress", "AWS::EC2::SecurityGroupEgress"):
            group = str(properties.get("GroupId") or properties.get("GroupName"))
            group = group[2:-1].split(".")[0] if group.startswith("${") else group
            found.append(("ingress" if resource["Type"].endswith("Ingress") else "egress", group, properties))
    return found


def port(value):
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


def check(path, values: dict, capsys) -> None:
    rendered_code, rendered = run("render", path, values, capsys)
    grants_code, listed = run("grants", path, values, capsys)
    assert rendered_code == grants_code, f"{path.name}: render exits {rendered_code}, grants {grants_code}"
    if rendered_code != 0:
        return
    skipped = {item["resource"] for item in listed["not_analysed"]}
    shapes: dict[str, list[tuple]] = {}
    for grant in listed["grants"]:
        shapes.setdefault(grant["source"]["resource"], []).append(grant_shape(grant))
    for logical_id, resource in rendered["Resources"].items():
        if resource["Type"] in PERMISSIONS or logical_id in skipped:
            continue
        for where, statements in documents(resource.get("Properties")):
            for statement in statements:
                assert statement_shape(statement) in shapes.get(logical_id, []), \
                    f"{path.name}: {logical_id}/{'/'.join(map(str, where))} statement {statement} is not a grant"
    rules = {(r["kind"], r["resource"], r["from_port"], r["to_port"]) for r in listed["network"]}
    for kind, group, rule in security_group_rules(rendered["Resources"]):
        key = (kind, group, port(rule.get("FromPort")), port(rule.get("ToPort")))
        assert key in rules, f"{path.name}: {kind} rule {rule} of {group} is not a network rule"


@pytest.mark.parametrize("path", TEMPLATES, ids=lambda p: str(p.relative_to(DATA)))
def test_every_statement_and_rule_rendered_is_listed(path, capsys):
    check(path, {}, capsys)


@pytest.mark.parametrize("path", REAL_FIXTURES, ids=lambda p: p.name)
def test_the_real_templates_too(path, capsys):
    from wizard.cfn.template import load_template

    parameters = load_template(path).parameters
    check(path, {k: v for k, v in REAL_REQUIRED.items() if k in parameters}, capsys)
