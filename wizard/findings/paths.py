"""Escalation paths inside the stack: who can act as whom, and who can rewrite whose rights.

The public catalogs (Rhino Security Labs' methods, Cloudsplaining's list) look at one policy
and ask whether it allows a dangerous combination on ``*``. Inside one stack the dangerous
combinations are usually scoped to the stack's own resources, and the danger is in how they
connect: the registry role may create a new version of ``BucketReadPolicy``, that policy is
attached to ``ManagedUserRole``, and ``ManagedUserRole`` trusts the registry role. So this
module builds two kinds of edges between the stack's roles:

- *act as*: A can obtain B's permissions: B's trust policy names A (within one account
  that alone suffices) or trusts the account and A may ``sts:AssumeRole`` on B; A may run a
  task definition whose task role is B and pass B (``ecs:RunTask`` + ``iam:PassRole``, with a
  command override); A may create an EventBridge rule or schedule whose target is such a
  task, run by a role C that trusts the events service and that A may pass to it
  (``events:PutRule`` + ``events:PutTargets`` + ``iam:PassRole``); A may open a shell in a
  running task of a service with ECS Exec enabled whose task role is B
  (``ecs:ExecuteCommand``); A may change the code or the configuration (layers) of a
  function that runs as B; A may pass B to a new function it can invoke, or to a
  CloudFormation stack; A may rewrite B's trust policy;
- *rewrite*: A can change what B may do: a new default version (``iam:CreatePolicyVersion``)
  or another existing version (``iam:SetDefaultPolicyVersion``) of a managed policy attached
  to B, or attaching or writing a policy on B itself (``iam:AttachRolePolicy``,
  ``iam:PutRolePolicy``).

A principal that can rewrite the rights of a role it can act as (itself included) can grant
itself anything, unless that role has a permissions boundary: a rewritten policy takes effect
only within the boundary, so the role reaches what its boundary admits (minus the Denies) and
no more. Such a role escalates only if what its boundary admits does: the search runs again
on the context in which every bounded role whose policies can be rewritten holds its whole
boundary (``reach``, to a fixed point), and a bounded role is escalating when, holding its
boundary, it is an administrator, can rewrite a role without a boundary that it acts as, or
can act as a role that escalates. Principals outside the account (another account's users and roles, or
anyone) that a role's trust policy names are where a chain can start, too:
``wizard.findings.outside`` follows them to a role that can grant itself anything. Every edge keeps the statements that make it, with their template lines,
so the report can show the path step by step.
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass, replace
from functools import cached_property

from wizard.findings.context import Holder, RuleContext, Target, allows_action
from wizard.findings.model import Step
from wizard.findings.rules.common import grant_lines_of, place
from wizard.iam.coverage import allow_covers
from wizard.iam.grants import IDENTITY, Grant
from wizard.lists import as_list

ACT_AS, REWRITE = "act-as", "rewrite"
ASSUME, CODE, TRUST_REWRITE = "assume", "code", "trust-rewrite"


@dataclass(frozen=True)
class Edge:
    """One way principal ``source`` reaches principal ``target``."""

    kind: str
    how: str
    source: str
    target: str
    text: str
    grants: tuple[Grant, ...] = ()
    lines: tuple[int, ...] = ()
    via: str = ""

    @property
    def hop(self) -> str:
        """`` -> B``, or `` -> (as C) -> B`` when the edge goes through another role."""
        return f" -> (a rule run as {self.via}) -> {self.target}" if self.kind == ACT_AS and self.via else f" -> {self.target}"

    def step(self) -> Step:
        lines = tuple(sorted(set(self.lines) | set(grant_lines_of(self.grants))))
        return Step(self.text, self.grants, lines)


class StackPaths:
    """The act-as and rewrite edges between the stack's roles, and the paths they make."""

    def __init__(self, ctx: RuleContext):
        self.ctx = ctx
        self.roles: dict[str, Holder] = {k: h for k, h in ctx.holders.items() if h.kind == "role"}

    def capped(self, name: str) -> bool:
        """Whether role ``name`` has a permissions boundary the model reads."""
        return name in self.ctx.boundaries

    # -- edges --------------------------------------------------------------------------

    @cached_property
    def edges(self) -> list[Edge]:
        found: list[Edge] = []
        for name in self.roles:
            found += self._assume_edges(name)
            found += self._rewrite_edges(name)
        found += self._task_edges()
        found += self._event_edges()
        found += self._exec_edges()
        found += self._function_edges()
        found += self._pass_role_edges()
        return found

    def callers(self, *actions: str) -> list[str]:
        """The roles, in order, with an Allow naming one of ``actions``: every other role's
        ``can`` would be empty, so the edge searches ask only these (pairs stay linear in the
        roles that can act, not quadratic in all of them)."""
        naming = frozenset().union(*(self.ctx.principals_naming(action) for action in actions))
        return [name for name in self.roles if name in naming]

    def out(self, kind: str, source: str) -> list[Edge]:
        """The edges of one kind from ``source``, in order (asked again and again by every rule:
        worked out once)."""
        found = self._out.get((kind, source))
        if found is None:
            found = self._out[kind, source] = [e for e in self._by_source.get(source, ()) if e.kind == kind]
        return found

    @cached_property
    def _out(self) -> dict[tuple[str, str], list[Edge]]:
        return {}

    @cached_property
    def _by_source(self) -> dict[str, list[Edge]]:
        grouped: dict[str, list[Edge]] = {}
        for edge in self.edges:
            grouped.setdefault(edge.source, []).append(edge)
        return grouped

    def _assume_edges(self, name: str) -> list[Edge]:
        ctx, role = self.ctx, self.roles[name]
        account = ctx.pseudo.account_id
        whole_account = {"*", "AWS:*", f"AWS:{account}", f"AWS:arn:{ctx.pseudo.partition}:iam::{account}:root"}
        found = []
        for trust in ctx.trusts.get(name, ()):
            if not allows_action(trust, "sts:AssumeRole"):
                continue
            token = trust.principal.removeprefix("AWS:")
            caller = ctx.holder_of_token(token) if trust.principal.startswith("AWS:") else None
            if caller is not None and caller.kind == "role" and caller.logical_id != name:
                own = ctx.can(caller.logical_id, "sts:AssumeRole", role.target)
                how = (f"and {caller.logical_id} may sts:AssumeRole on it ({place(own[0])})" if own else
                       f"which within one account is enough: {caller.logical_id} needs no sts:AssumeRole "
                       f"statement of its own")
                found.append(Edge(ACT_AS, ASSUME, caller.logical_id, name,
                                  f"{name}'s trust policy names {caller.logical_id} ({place(trust)}), {how}; "
                                  f"so {caller.logical_id} can assume {name}.", (trust, *own[:1])))
            elif trust.principal in whole_account:
                for caller_name in self.callers("sts:AssumeRole"):
                    if caller_name == name:
                        continue
                    own = ctx.can(caller_name, "sts:AssumeRole", role.target)
                    if own:
                        found.append(Edge(ACT_AS, ASSUME, caller_name, name,
                                          f"{name}'s trust policy trusts {trust.principal} ({place(trust)}) and "
                                          f"{caller_name} may sts:AssumeRole on it ({place(own[0])}); so "
                                          f"{caller_name} can assume {name}.", (trust, own[0])))
        return found

    def _rewrite_edges(self, name: str) -> list[Edge]:
        ctx, role = self.ctx, self.roles[name]
        capped = (f" Its permissions boundary ({role.boundary}) still caps what a rewritten policy can grant."
                  if role.boundary else "")
        found = []
        for caller in self._rewriters:
            for policy in role.attached.values():
                for action, verb in (("iam:CreatePolicyVersion", "create a new default version of"),
                                     ("iam:SetDefaultPolicyVersion", "switch the default version of")):
                    allowed = ctx.can(caller, action, policy.target)
                    if allowed:
                        label = policy.logical_id or policy.arn
                        found.append(Edge(REWRITE, action, caller, name,
                                          f"{caller} may {action} on {label} ({place(allowed[0])}): it can "
                                          f"{verb} that policy, which is attached to {name}"
                                          + (f" (line {policy.line})" if policy.line else "") + "." + capped,
                                          allowed[:1], (policy.line,) if policy.line else (), via=label))
                        break
            for action in ("iam:AttachRolePolicy", "iam:PutRolePolicy"):
                allowed = ctx.can(caller, action, role.target)
                if allowed:
                    found.append(Edge(REWRITE, action, caller, name,
                                      f"{caller} may {action} on {name} ({place(allowed[0])}): it can add any "
                                      f"policy to {name}." + capped, allowed[:1], via=f"{action} on {name}"))
            allowed = ctx.can(caller, "iam:UpdateAssumeRolePolicy", role.target)
            if allowed and caller != name:
                found.append(Edge(ACT_AS, TRUST_REWRITE, caller, name,
                                  f"{caller} may iam:UpdateAssumeRolePolicy on {name} ({place(allowed[0])}): it "
                                  f"can make {name} trust it, then assume it.", allowed[:1]))
        return found

    @cached_property
    def _rewriters(self) -> list[str]:
        return self.callers("iam:CreatePolicyVersion", "iam:SetDefaultPolicyVersion", "iam:AttachRolePolicy",
                            "iam:PutRolePolicy", "iam:UpdateAssumeRolePolicy")

    def passes(self, caller: str, role: Holder, service: str) -> tuple[Grant, ...]:
        """``caller``'s statements that let it pass ``role`` to ``service`` (``iam:PassedToService``)."""
        return tuple(g for g in self.ctx.can(caller, "iam:PassRole", role.target)
                     if _service_allowed(g, service))

    @cached_property
    def _tasks(self) -> list[tuple[str, Holder, Target]]:
        """(task definition, its task role, the task definition as policies name it)."""
        ctx = self.ctx
        found = []
        for task, resource in ctx.evaluation.resources("AWS::ECS::TaskDefinition").items():
            properties = resource.get("Properties") or {}
            role = ctx.holder_of_token(str(properties.get("TaskRoleArn", "")))
            if role is None:
                continue
            family = properties.get("Family")
            family = family if isinstance(family, str) else ctx.generated_name(task)
            found.append((task, role, Target(frozenset({"${" + task + "}"}), ctx.arn("ecs", f"task-definition/{family}:*"))))
        return found

    def task_runs(self, runner: str) -> list[tuple[str, Holder, Grant, Grant]]:
        """(task definition, task role, run statement, pass statement) ``runner`` may start as another role."""
        ctx = self.ctx
        found = []
        for task, role, target in self._tasks:
            if runner == role.logical_id:
                continue
            run = ctx.can(runner, "ecs:RunTask", target) or ctx.can(runner, "ecs:StartTask", target)
            passing = self.passes(runner, role, "ecs-tasks.amazonaws.com") if run else ()
            if run and passing:
                found.append((task, role, run[0], passing[0]))
        return found

    def _task_edges(self) -> list[Edge]:
        ctx = self.ctx
        found = []
        for caller in self.callers("ecs:RunTask", "ecs:StartTask"):
            for task, role, run, passing in self.task_runs(caller):
                line = ctx.line(task, "Properties", "TaskRoleArn")
                found.append(Edge(ACT_AS, CODE, caller, role.logical_id,
                                  f"{caller} may start task definition {task} ({place(run)}), whose task "
                                  f"role is {role.logical_id} (line {line}), "
                                  f"and pass that role ({place(passing)}); with a command override the task "
                                  f"runs any code as {role.logical_id}.", (run, passing), _lines(line)))
        return found

    def _event_edges(self) -> list[Edge]:
        """A creates a rule or schedule whose target starts a task as another role, run by a role A may pass."""
        ctx = self.ctx
        found = []
        for runner, trusts in ctx.trusts.items():
            if runner not in self.roles:
                continue
            for service, (create, target_action, what) in _SCHEDULERS.items():
                trust = next((t for t in trusts if t.principal == f"Service:{service}"
                              and allows_action(t, "sts:AssumeRole")), None)
                if trust is None:
                    continue
                runs = self.task_runs(runner)
                if not runs:
                    continue
                any_rule = Target(frozenset(), ctx.arn(service.split(".")[0], "rule/*" if service.startswith("events")
                                                       else "schedule/*"))
                for caller in self.callers(create):
                    if caller == runner:
                        continue
                    put = ctx.can(caller, create, any_rule)
                    targets = ctx.can(caller, target_action, any_rule) if put else ()
                    passing = self.passes(caller, self.roles[runner], service) if targets else ()
                    if not passing:
                        continue
                    for task, role, run, pass_task in runs:
                        if role.logical_id == caller:
                            continue
                        line = ctx.line(task, "Properties", "TaskRoleArn")
                        places = (f"{create} and {target_action}, {place(put[0])}" if put[0] is targets[0]
                                  else f"{create}, {place(put[0])}; {target_action}, {place(targets[0])}")
                        found.append(Edge(
                            ACT_AS, CODE, caller, role.logical_id,
                            f"{caller} may create {what} ({places}) and pass {runner} to {service} "
                            f"({place(passing[0])}); "
                            f"{runner} trusts {service} ({place(trust)}) and may start task definition {task} "
                            f"({place(run)}) and pass its task role {role.logical_id} ({place(pass_task)}); with "
                            f"a container override in the target the task runs any code as {role.logical_id}.",
                            (put[0], targets[0], passing[0], trust, run, pass_task), _lines(line), via=runner))
        return found

    def _exec_edges(self) -> list[Edge]:
        """A opens a shell (ECS Exec) in a running task of a service whose task role is another role."""
        ctx = self.ctx
        found = []
        callers = self.callers("ecs:ExecuteCommand")
        for service, task, role, cluster, line in self.exec_services:
            target = Target(frozenset({"${" + cluster + "}", "${" + cluster + ".Arn}"} if cluster else ()),
                            ctx.arn("ecs", "task/*"))
            for caller in callers:
                if caller == role.logical_id:
                    continue
                allowed = ctx.can(caller, "ecs:ExecuteCommand", target)
                if allowed:
                    found.append(Edge(ACT_AS, CODE, caller, role.logical_id,
                                      f"{caller} may ecs:ExecuteCommand ({place(allowed[0])}) into the tasks of "
                                      f"service {service}, which has ECS Exec enabled (line {line}) and runs task "
                                      f"definition {task} as {role.logical_id}: a shell there acts as "
                                      f"{role.logical_id}.", allowed[:1], _lines(line)))
        return found

    @cached_property
    def exec_services(self) -> list[tuple[str, str, Holder, str | None, int | None]]:
        """(service, task definition, task role, cluster, line) of every ECS service with ECS Exec enabled."""
        ctx = self.ctx
        roles = {task: role for task, role, _ in self._tasks}
        found = []
        for service, resource in ctx.evaluation.resources("AWS::ECS::Service").items():
            properties = resource.get("Properties") or {}
            if properties.get("EnableExecuteCommand") not in (True, "true", "True"):
                continue
            task = _logical(properties.get("TaskDefinition"))
            if task not in roles:
                continue
            cluster = _logical(properties.get("Cluster"))
            found.append((service, task, roles[task], cluster,
                          ctx.line(service, "Properties", "EnableExecuteCommand")))
        return found

    def _function_edges(self) -> list[Edge]:
        ctx = self.ctx
        found = []
        callers = self.callers("lambda:UpdateFunctionCode", "lambda:UpdateFunctionConfiguration")
        for function, resource in ctx.evaluation.resources("AWS::Lambda::Function").items():
            role = ctx.holder_of_token(str((resource.get("Properties") or {}).get("Role", "")))
            if role is None:
                continue
            target = ctx.resource_target(function, "lambda", "function:", "FunctionName")
            role_line = ctx.line(function, "Properties", "Role")
            for caller in callers:
                if caller == role.logical_id:
                    continue
                for action, what in (("lambda:UpdateFunctionCode", "replace the code of"),
                                     ("lambda:UpdateFunctionConfiguration", "change the layers and environment of")):
                    allowed = ctx.can(caller, action, target)
                    if allowed:
                        found.append(Edge(ACT_AS, CODE, caller, role.logical_id,
                                          f"{caller} may {action} on {function} ({place(allowed[0])}): it can {what} "
                                          f"a function that runs as {role.logical_id} (line {role_line}).",
                                          allowed[:1], _lines(role_line)))
                        break
        return found

    def _pass_role_edges(self) -> list[Edge]:
        ctx = self.ctx
        any_function = Target(frozenset(), ctx.arn("lambda", "function:*"))
        any_stack = Target(frozenset(), ctx.arn("cloudformation", "stack/*"))
        found = []
        for caller in self.callers("iam:PassRole"):
            create = ctx.can(caller, "lambda:CreateFunction", any_function)
            invoke = ctx.can(caller, "lambda:InvokeFunction", any_function) if create else ()
            stack = ctx.can(caller, "cloudformation:CreateStack", any_stack)
            if not ((create and invoke) or stack):
                continue
            for name, role in self.roles.items():
                if name == caller:
                    continue
                passing = ctx.can(caller, "iam:PassRole", role.target)
                if not passing:
                    continue
                if create and invoke:
                    found.append(Edge(ACT_AS, CODE, caller, name,
                                      f"{caller} may pass {name} ({place(passing[0])}) to a new function "
                                      f"({place(create[0])}) and invoke it ({place(invoke[0])}).",
                                      (passing[0], create[0], invoke[0])))
                elif stack:
                    found.append(Edge(ACT_AS, CODE, caller, name,
                                      f"{caller} may pass {name} ({place(passing[0])}) to a new CloudFormation "
                                      f"stack ({place(stack[0])}), which then acts with {name}'s rights.",
                                      (passing[0], stack[0])))
        return found

    # -- paths --------------------------------------------------------------------------

    def self_rewrites(self, name: str) -> list[Edge]:
        """Edges by which ``name`` can rewrite its own rights (none for a full administrator)."""
        if name in self.ctx.full_admins:
            return []
        return [e for e in self.out(REWRITE, name) if e.target == name]

    @cached_property
    def rewritten(self) -> frozenset[str]:
        """The roles whose rights some role can rewrite."""
        return frozenset(e.target for e in self.edges if e.kind == REWRITE)

    @cached_property
    def reach(self) -> "StackPaths":
        """The paths once every bounded role whose rights can be rewritten holds its whole
        boundary: what each may come to hold. Repeated until no further role is rewritable
        (holding its boundary, a role may rewrite others)."""
        held: frozenset[str] = frozenset()
        paths: StackPaths = self
        while True:
            more = held | {r for r in paths.rewritten if paths.capped(r)}
            if more == held:
                return paths
            held = frozenset(more)
            paths = StackPaths(self.ctx.holding_boundaries(held))
            for name in ("_tasks", "exec_services"):  # the evaluation's alone, the same there
                if name in self.__dict__:
                    paths.__dict__[name] = self.__dict__[name]

    def _grants_anything(self, name: str) -> bool:
        """Whether ``name`` holds everything, or rewrites a role without a boundary that it is or
        can assume."""
        if name in self.ctx.full_admins:
            return True
        if not self.capped(name) and self.self_rewrites(name):
            return True
        return any(not self.capped(assume.target) for _rewrite, assume in self.assume_rewrites(name))

    def capped_rewrites(self, name: str) -> list[Edge]:
        """Rewrite edges of ``name`` on itself or on a role it can assume, each role with a
        boundary that keeps it from escalating: what ``name`` can change, within those caps."""
        assumable = {a.target for a in self.out(ACT_AS, name) if a.how == ASSUME}
        return [e for e in self.out(REWRITE, name)
                if (e.target == name or e.target in assumable) and self.capped(e.target)
                and e.target not in self.escalating and name not in self.ctx.full_admins]

    def beyond(self, name: str) -> list[Grant]:
        """What ``name``'s boundary admits that its identity policies do not already allow: what a
        rewritten policy can add, and no more. Each boundary statement comes back narrowed to the
        actions and resources it adds (an action it admits on every resource, where a Deny keeps it
        to some, on those)."""
        allows, _denies = self.ctx.boundaries.get(name, ((), ()))
        held = self.ctx.allows.get(name, [])
        limits = [d for d in self.ctx.denies.get(name, ()) if d.not_resources and not d.condition_json]
        found = []
        for grant in allows:
            if grant.not_actions or grant.not_resources:
                found.append(grant)
                continue
            probe = replace(grant, kind=IDENTITY)
            added = [(a, r) for a in grant.actions for r in self._limited(a, grant.resources or (None,), limits)
                     if not any(allow_covers(old, probe, a, r) for old in held)]
            if added:
                found.append(replace(grant, actions=tuple(dict.fromkeys(a for a, _r in added)),
                                     resources=tuple(dict.fromkeys(r for _a, r in added if r is not None))))
        return found

    @staticmethod
    def _limited(action: str, resources: tuple, limits: list[Grant]) -> tuple:
        """Where an action a boundary admits on every resource stays allowed: the resources a Deny
        of every other one (``NotResource``) leaves it, as the Limits of a split boundary do."""
        if "*" not in resources:
            return resources
        for deny in limits:
            if allows_action(deny, action):
                return deny.not_resources
        return resources

    def assume_rewrites(self, name: str) -> list[tuple[Edge, Edge]]:
        """(rewrite, assume) pairs: ``name`` rewrites role B's rights and can assume B."""
        if name in self.ctx.full_admins:
            return []
        pairs = self._assume_rewrites.get(name)
        if pairs is None:
            pairs = self._assume_rewrites[name] = []
            for assume in self.out(ACT_AS, name):
                if assume.how != ASSUME:
                    continue
                for rewrite in self.out(REWRITE, name):
                    if rewrite.target == assume.target:
                        pairs.append((rewrite, assume))
                        break
        return pairs

    @cached_property
    def _assume_rewrites(self) -> dict[str, list[tuple[Edge, Edge]]]:
        return {}

    @cached_property
    def escalating(self) -> set[str]:
        """Roles that hold or can grant themselves anything, directly or through a role they
        assume; a rewritten role with a permissions boundary only if, holding its boundary, it
        still reaches that (``reach``)."""
        reach = self.reach if self.ctx.boundaries else self
        found = {name for name in self.roles if reach._grants_anything(name)}
        if reach is not self:
            held = {name for name in reach.rewritten if reach.capped(name)}
            grown = True
            while grown:
                grown = False
                for name in sorted(held - found):
                    if reach._chain_to(name, found):
                        found.add(name)
                        grown = True
        return found

    def _chain_to(self, name: str, ends: set[str]) -> list[Edge] | None:
        """The shortest act-as chain from ``name`` to one of ``ends`` (not ``name``)."""
        queue = deque([(name, [])])
        seen = {name}
        while queue:
            here, path = queue.popleft()
            for edge in self.out(ACT_AS, here):
                if edge.target in seen:
                    continue
                seen.add(edge.target)
                route = [*path, edge]
                if edge.target in ends:
                    return route
                queue.append((edge.target, route))
        return None

    def chain_to_escalation(self, name: str) -> list[Edge] | None:
        """The shortest act-as chain from ``name`` to a role that can escalate (not ``name``)."""
        return self._chain_to(name, self.escalating)

    def escalation_steps(self, name: str) -> list[Step]:
        """How role ``name`` grants itself anything, as steps (empty if it cannot)."""
        admin = self.ctx.full_admins.get(name)
        if admin is not None:
            return [Step(f"{name} already may do every action on every resource ({place(admin)}).", (admin,),
                         grant_lines_of((admin,)))]
        own = self.self_rewrites(name)
        if own and not self.capped(name):
            return [own[0].step(), Step(f"{name} can then grant itself any permission.")]
        pairs = [(rw, assume) for rw, assume in self.assume_rewrites(name) if not self.capped(assume.target)]
        if pairs:
            rewrite, assume = pairs[0]
            return [rewrite.step(), assume.step(),
                    Step(f"{name} can then give {assume.target} any permission and act with it.")]
        if name in self.escalating and self.capped(name):
            return self._through_boundary(name)
        return []

    def _through_boundary(self, name: str) -> list[Step]:
        """How a bounded role escalates all the same: a rewrite gives it its whole boundary,
        and what the boundary admits goes further."""
        rewrite = next((e for e in self.edges if e.kind == REWRITE and e.target == name), None)
        reach = self.reach
        steps = [rewrite.step()] if rewrite else []
        steps.append(Step(f"{name}'s permissions boundary ({self.roles[name].boundary}) still admits what "
                          f"leads to administrator: holding all it admits,"))
        if name in reach.ctx.full_admins or reach._grants_anything(name):
            return steps + reach.escalation_steps(name)
        chain = reach._chain_to(name, self.escalating - {name}) or []
        return steps + [edge.step() for edge in chain] + (
            self.escalation_steps(chain[-1].target) if chain else [])


_SCHEDULERS = {
    "events.amazonaws.com": ("events:PutRule", "events:PutTargets", "an EventBridge rule"),
    "scheduler.amazonaws.com": ("scheduler:CreateSchedule", "scheduler:CreateSchedule", "an EventBridge schedule"),
}
"""Services that start a target with a role passed to them: what creating the trigger takes."""


def _service_allowed(grant: Grant, service: str) -> bool:
    """Whether a PassRole statement's ``iam:PassedToService`` condition (if any) admits ``service``."""
    from fnmatch import fnmatchcase

    for operator, keys in grant.condition.items():
        if not isinstance(keys, dict):
            continue
        for key, values in keys.items():
            if key.lower() != "iam:passedtoservice":
                continue
            values = as_list(values)
            if operator.startswith(("StringEquals", "StringLike", "ForAnyValue:String")):
                if not any(fnmatchcase(service, str(v)) if "Like" in operator else service == str(v)
                           for v in values):
                    return False
    return True


def _logical(value: object) -> str | None:
    """The logical id a ``${X}`` / ``${X.Arn}`` token names, or None."""
    text = str(value or "")
    return text[2:-1].split(".")[0] if text.startswith("${") and text.endswith("}") else None


def _lines(*lines: int | None) -> tuple[int, ...]:
    return tuple(line for line in lines if line)


def stack_paths(ctx: RuleContext) -> StackPaths:
    """The context's StackPaths, built once and shared by the rules that read it."""
    cached = ctx.__dict__.get("_stack_paths")
    if cached is None:
        cached = ctx.__dict__["_stack_paths"] = StackPaths(ctx)
    return cached
