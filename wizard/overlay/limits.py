"""The Limits split: a boundary too long for IAM becomes a shorter boundary and a policy of Denies.

When the envelope of a role (the ECS task role of the vendor's template) does not fit one policy,
the boundary admits each action that plain, unconditional statements grant by name (not IAM, STS
or the run-time services) on every resource, and a ``<boundary>Limits`` policy attached to the
same roles denies each of them on every resource but those the envelope names for it. Together
they admit exactly the envelope; both sit under the boundary path the guardrail protects.
"""

from __future__ import annotations

import copy
from typing import Any

from wizard.overlay.branches import branches, leaves, wrapped
from wizard.overlay.fitting import covers_action, merged_statements, regroupable, resource_service, serves
from wizard.overlay.match import as_items, canonical, is_statement, literals, overlaps

def _grants(statement: Any, action: str) -> bool:
    """Whether a statement (or one of its ``Fn::If`` branches) may allow ``action``."""
    for node, _wrappers in branches(statement):
        if not is_statement(node):
            continue
        if "NotAction" in node:
            if not any(covers_action(n, action) for n in literals(node["NotAction"])):
                return True
        elif any(covers_action(a, action) for a in literals(node.get("Action"))) \
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
    plain = [s for s in statements if regroupable(s) and "Condition" not in s]
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
    boundary = merged_statements(kept, resources) + [{"Effect": "Allow", "Action": list(coarse.values()), "Resource": "*"}]
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
        for leaf, wrappers in branches(statement):
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
            for resource, inner in leaves(leaf["Resource"]):
                if resources is not None and not serves(resource_service(resources, resource), action):
                    continue
                placed = wrapped(copy.deepcopy(resource), (*wrappers, *inner))
                places.setdefault("*" if placed == "*" else canonical(placed), placed)
    return places
