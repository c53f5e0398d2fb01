"""Escalation paths inside the stack, shown step by step (see ``wizard.findings.paths``).

A role with a permissions boundary that some role can rewrite reaches its boundary, not "any
permission": QW-ESC-002 and QW-ESC-001 report it only when what the boundary admits still
leads to administrator; otherwise QW-ESC-007 says what the rewrite can add, boundary by boundary.
"""

from __future__ import annotations

from wizard.findings.context import RuleContext
from wizard.findings.model import Hit, Step
from wizard.findings.outside import outside_paths
from wizard.findings.paths import ASSUME, CODE, TRUST_REWRITE, Edge, stack_paths
from wizard.findings.rules import detector
from wizard.findings.rules.common import condition_note, grant_lines_of, place, resources_of, short
from wizard.iam.grants import Grant


def _hit(subject: str, message: str, steps: list[Step], extra: tuple[str, ...] = ()) -> Hit:
    grants = tuple(dict.fromkeys(g for step in steps for g in step.grants))
    lines = tuple(sorted({line for step in steps for line in step.lines}))
    resources = tuple(dict.fromkeys((subject, *extra, *resources_of(grants))))
    return Hit(subject=subject, message=message, grants=grants, resources=resources, lines=lines,
               steps=tuple(steps))


def _policies(edges: list[Edge]) -> str:
    return short(list(dict.fromkeys(e.via for e in edges if e.via)), 4)


@detector("QW-ESC-002")
def rewrites_itself(ctx: RuleContext):
    paths = stack_paths(ctx)
    for name in paths.roles:
        edges = paths.self_rewrites(name)
        if not edges:
            continue
        if not paths.capped(name):
            steps = [e.step() for e in edges]
            steps.append(Step(f"{name} can therefore grant itself any permission in the account."))
            yield _hit(name, f"{name} can rewrite its own permissions ({_policies(edges)}) and so grant itself "
                             f"any permission.", steps)
        elif name in paths.escalating:
            yield _hit(name, f"{name} can rewrite its own permissions ({_policies(edges)}); its permissions "
                             f"boundary ({paths.roles[name].boundary}) caps them, but what it admits still leads "
                             f"to any permission.", paths.escalation_steps(name))


@detector("QW-ESC-001")
def rewrites_role_it_assumes(ctx: RuleContext):
    paths = stack_paths(ctx)
    for name in paths.roles:
        for rewrite, assume in paths.assume_rewrites(name):
            target = assume.target
            if paths.capped(target) and target not in paths.escalating:
                continue  # what the rewrite can add stays within the boundary: QW-ESC-007
            rewrites = [e for e in paths.out("rewrite", name) if e.target == target]
            steps = [*(e.step() for e in rewrites), assume.step(),
                     Step(f"{name} can give {target} any permission, then assume {target} and use it.")]
            yield _hit(name, f"{name} can rewrite the permissions of {target} ({_policies(rewrites)}) and can "
                             f"assume {target}: {name} -> {target} -> any permission.", steps, (target,))


@detector("QW-ESC-003")
def runs_as_escalating_role(ctx: RuleContext):
    paths = stack_paths(ctx)
    for name in paths.roles:
        if name in paths.escalating:
            continue
        chain = paths.chain_to_escalation(name)
        if not chain:
            continue
        last = chain[-1].target
        steps = [edge.step() for edge in chain] + paths.escalation_steps(last)
        route = name + "".join(edge.hop for edge in chain)
        yield _hit(name, f"{name} can act as {last}, which holds or can grant itself any permission: "
                         f"{route} -> any permission.", steps, tuple(edge.target for edge in chain))


@detector("QW-ESC-004")
def runs_as_other_role(ctx: RuleContext):
    paths = stack_paths(ctx)
    for name in paths.roles:
        if name in paths.escalating:
            continue
        for edge in paths.out("act-as", name):
            if edge.how not in (CODE, TRUST_REWRITE) or edge.target in paths.escalating:
                continue
            yield _hit(name, f"{name} can act as {edge.target} ({'runs code' if edge.how == CODE else 'rewrites its trust'}"
                             f"): it gains whatever {edge.target} may do.", [edge.step()], (edge.target,))


@detector("QW-ESC-005")
def outsider_reaches_administrator(ctx: RuleContext):
    paths = stack_paths(ctx)
    for path in outside_paths(paths):
        first = path.roles[0]
        route = path.principals[0] + f" -> {path.entry.on[0] if path.entry.on else first}" + "".join(
            edge.hop for edge in path.chain) + " -> any permission"
        others = [r for r in path.roles if r != first]
        message = (f"{len(path.principals)} principal(s) of {path.origin} ({short(path.principals, 3)}) may assume "
                   f"{first}, which {'holds or can grant itself' if not path.chain else 'leads to a role that can grant itself'}"
                   f" any permission: {route}.")
        if others:
            message += f" The same principals reach it through {short(others, 4)} too."
        yield _hit(first, message, list(path.steps), (*path.roles, *(e.target for e in path.chain)))


@detector("QW-ESC-006")
def exec_into_escalating_task(ctx: RuleContext):
    paths = stack_paths(ctx)
    for service, task, role, _cluster, line in paths.exec_services:
        name = role.logical_id
        if name in paths.escalating:
            tail = paths.escalation_steps(name)
        else:
            chain = paths.chain_to_escalation(name)
            if not chain:
                continue
            tail = [edge.step() for edge in chain] + paths.escalation_steps(chain[-1].target)
        steps = [Step(f"Service {service} has ECS Exec enabled (line {line}): anyone in the account allowed "
                      f"ecs:ExecuteCommand on its cluster or tasks gets a shell in a running task of {task}, "
                      f"with the credentials of its task role {name}.", (), (line,) if line else ()), *tail]
        yield _hit(service, f"ECS Exec is enabled on {service}, whose task role {name} can reach any permission: "
                            f"ecs:ExecuteCommand on its tasks is as good as administrator.", steps, (task, name))


@detector("QW-ESC-007")
def rewrites_within_boundary(ctx: RuleContext):
    paths = stack_paths(ctx)
    for name in paths.roles:
        edges = paths.capped_rewrites(name)
        if not edges:
            continue
        targets = list(dict.fromkeys(e.target for e in edges))
        steps = [e.step() for e in edges]
        reach = []
        for target in targets:
            added = paths.beyond(target)
            if target != name:
                assume = next(a for a in paths.out("act-as", name) if a.how == ASSUME and a.target == target)
                steps.append(assume.step())
            steps.append(Step(f"A rewritten policy takes effect on {target} only within its permissions boundary "
                              f"({paths.roles[target].boundary}): " +
                              (f"beyond what {target} holds today, it admits {_admitted(added)}." if added
                               else f"it admits nothing {target} does not hold today."),
                              tuple(added), grant_lines_of(added)))
            reach.append(f"{target}: {_admitted(added) if added else 'nothing it does not hold today'}")
        whose = "its own" if targets == [name] else "the" if name not in targets else "its own and the"
        others = [t for t in targets if t != name]
        named = f" of {', '.join(others)}" if others else ""
        yield _hit(name, f"{name} can rewrite {whose} permissions{named} ({_policies(edges)}), but a rewritten "
                         f"policy takes effect only within the role's permissions boundary; at most it adds "
                         + "; ".join(reach) + ".", steps, tuple(others))


def _admitted(grants: list[Grant]) -> str:
    """Every action and resource of boundary statements, whole, with their conditions."""
    parts = []
    for grant in grants:
        actions = ", ".join(grant.actions) if grant.actions else "everything except " + ", ".join(grant.not_actions)
        resources = (", ".join(grant.resources) if grant.resources
                     else "everything except " + ", ".join(grant.not_resources))
        parts.append(f"{actions} on {resources}{condition_note(grant)} ({place(grant)})")
    return "; ".join(parts)
