"""The envelope a deployment chose, and the verdict on each statement written at run time.

The parameters of the deployed stack say how far the application may go once it runs:
``CustomerBucketPrefix`` (the buckets it may reach), ``AllowedAthenaWorkgroups`` (where it may
query), the guardrail (the template's own Deny statements, such as the enhanced mode's
``QuiltGuardrailPolicy``), what each placeholder policy was declared for (its ``Action`` list
beside ``NotResource: '*'``), and the path ``/quilt/<stack>/<region>/`` every run-time policy
must live under. ``judge`` holds one statement that AWS holds and the template does not
explain against that envelope and returns the rule ids it breaks, each with what exactly
broke it. Only Allow statements that can match a request are judged.
"""

from __future__ import annotations

from dataclasses import dataclass

from wizard.arns import parse_arn
from wizard.audit.expected import Expected
from wizard.audit.holdings import Holdings
from wizard.audit.statements import Statement
from wizard.iam import actions as iam_actions
from wizard.iam.wildcards import action_matches, pattern_covers

S3_OUTSIDE_PREFIX = "QW-AUD-001"
ATHENA_OUTSIDE_WORKGROUPS = "QW-AUD-002"
BEYOND_GUARDRAIL = "QW-AUD-003"
PLACEHOLDER_ACTIONS = "QW-AUD-004"
OUTSIDE_PATH = "QW-AUD-005"
DRIFT = "QW-AUD-006"
MISSING = "QW-AUD-007"

PERMISSIONS_MANAGEMENT = "Permissions management"


@dataclass(frozen=True)
class Envelope:
    """What the deployment allows run-time statements to reach."""

    partition: str
    path: str
    bucket_prefix: str = ""
    own_buckets: tuple[str, ...] = ()
    workgroups: tuple[str, ...] = ()
    """Allowed workgroup names (the parameter's and the stack's own); empty: not bounded."""
    guardrail: tuple[Statement, ...] = ()
    """The template's Deny statements on identities."""

    @property
    def bucket_base(self) -> str:
        return f"arn:{self.partition}:s3:::{self.bucket_prefix}" if self.bucket_prefix else ""


def envelope_of(expected: Expected, holdings: Holdings) -> Envelope:
    """The envelope the deployed parameters chose."""
    parameters = expected.evaluation.parameters.raw
    prefix = str(parameters.get("CustomerBucketPrefix") or "").strip()
    listed = [w.strip() for w in str(parameters.get("AllowedAthenaWorkgroups") or "").split(",") if w.strip()]
    stack = holdings.stack
    own_workgroups = [r.physical_id for r in stack.of_type("AWS::Athena::WorkGroup")]
    denies = []
    for carrier in [*expected.inline.values(), *expected.managed.values()]:
        denies.extend(s for s in carrier.statements if s.effect == "Deny")
    return Envelope(
        partition=expected.physical.partition,
        path=holdings.path_prefix,
        bucket_prefix=prefix,
        own_buckets=tuple(r.physical_id for r in stack.of_type("AWS::S3::Bucket")),
        workgroups=tuple(dict.fromkeys([*listed, *own_workgroups])) if listed else (),
        guardrail=tuple(dict.fromkeys(denies)),
    )


def judge(statement: Statement, envelope: Envelope, *, intended: tuple[str, ...] | None = None
          ) -> list[tuple[str, str]]:
    """(rule id, what broke it) for every envelope rule the statement breaks.

    ``intended`` is the placeholder's declared actions when the statement was written into a
    placeholder policy.
    """
    if not statement.is_allow or statement.grants_nothing or statement.principals:
        return []
    broken: list[tuple[str, str]] = []
    for rule, check in ((S3_OUTSIDE_PREFIX, _s3_outside), (ATHENA_OUTSIDE_WORKGROUPS, _athena_outside),
                        (BEYOND_GUARDRAIL, _beyond_guardrail)):
        found = check(statement, envelope)
        if found:
            broken.append((rule, found))
    if intended is not None:
        found = _beyond_placeholder(statement, intended)
        if found:
            broken.append((PLACEHOLDER_ACTIONS, found))
    return broken


# -- actions and resources ------------------------------------------------------------------

def _covers_service(statement: Statement, service: str) -> bool:
    if statement.not_actions:
        return not any(pattern_covers(n, f"{service}:*") for n in statement.not_actions)
    return any(action_matches(a.split(":", 1)[0], service) for a in statement.actions)


def _service_actions(statement: Statement, service: str) -> list[str]:
    if statement.not_actions:
        return [f"{service}:* but " + ", ".join(statement.not_actions)]
    return [a for a in statement.actions if action_matches(a.split(":", 1)[0], service)]


def _resource_service(resource: str) -> str:
    arn = parse_arn(resource)
    return arn.service if arn else "*"


def _about(resource: str, service: str) -> bool:
    return action_matches(_resource_service(resource), service)


def _everything(statement: Statement) -> str | None:
    if statement.not_resources:
        return "every resource but " + ", ".join(statement.not_resources)
    return None


# -- the rules ------------------------------------------------------------------------------

def _s3_outside(statement: Statement, envelope: Envelope) -> str:
    if not _covers_service(statement, "s3"):
        return ""
    acts = ", ".join(_service_actions(statement, "s3"))
    broad = _everything(statement)
    if broad:
        return f"{acts} on {broad}"
    outside = [r for r in statement.resources if _about(r, "s3") and not _in_buckets(r, envelope)]
    if not outside:
        return ""
    bound = (f"outside CustomerBucketPrefix {envelope.bucket_prefix!r}" if envelope.bucket_prefix
             else "on every bucket (no CustomerBucketPrefix)")
    return f"{acts} on {', '.join(outside)}: {bound}"


def _in_buckets(resource: str, envelope: Envelope) -> bool:
    s3 = f"arn:{envelope.partition}:s3:::"
    for bucket in envelope.own_buckets:
        if resource == s3 + bucket or resource.startswith(f"{s3}{bucket}/"):
            return True
    if envelope.bucket_prefix:
        return resource.startswith(envelope.bucket_base)
    # No prefix chosen: any named bucket is within the deployment's choice, all of them is not.
    return resource.startswith(s3) and resource[len(s3):][:1] not in ("*", "?", "")


def _athena_outside(statement: Statement, envelope: Envelope) -> str:
    if not envelope.workgroups or not _covers_service(statement, "athena"):
        return ""
    if statement.not_actions:
        acts = _service_actions(statement, "athena")
    else:
        acts = [a for a in _service_actions(statement, "athena") if _beyond_listing(a)]
    if not acts:
        return ""
    broad = _everything(statement)
    if broad:
        return f"{', '.join(acts)} on {broad}"
    outside = []
    for resource in statement.resources:
        if not _about(resource, "athena"):
            continue
        arn = parse_arn(resource)
        part = arn.resource if arn and arn.service == "athena" else "*"
        if part.startswith("datacatalog/"):
            continue
        name = part[len("workgroup/"):] if part.startswith("workgroup/") else None
        if name is None or name not in envelope.workgroups:
            outside.append(resource)
    if not outside:
        return ""
    return (f"{', '.join(acts)} on {', '.join(outside)}: outside the workgroups "
            f"{', '.join(envelope.workgroups)}")


def _beyond_listing(action: str) -> bool:
    """Whether an Athena action pattern grants more than List calls (which need ``*``)."""
    levels = iam_actions.classify([action]).levels
    return not levels or any(level != "List" for level in levels)


def _beyond_guardrail(statement: Statement, envelope: Envelope) -> str:
    hits = [d for d in envelope.guardrail if _actions_meet(statement, d) and _resources_meet(statement, d)]
    if hits:
        named = "; ".join(d.sid or d.brief() for d in hits)
        return f"allows what the guardrail denies ({named})"
    if any(_bounds_iam(d) for d in envelope.guardrail):
        return ""
    # No Deny of the template bounds IAM (none at all, or only Denies on other services, such as
    # the manual-approval topic's): a run-time statement that manages IAM can grant itself more.
    risky = _escalation_actions(statement)
    if not risky:
        return ""
    return (f"allows {', '.join(risky)} and no guardrail is deployed "
            "(EnableEnhancedSecurity false): the run-time policy can grant itself more")


def _bounds_iam(deny: Statement) -> bool:
    """Whether a Deny of the template bounds what IAM actions may do."""
    if deny.not_actions:
        return not any(pattern_covers(n, "iam:*") for n in deny.not_actions)
    return any(_meet(a, "iam:*") for a in deny.actions)


def _escalation_actions(statement: Statement) -> list[str]:
    if statement.not_actions:
        return [] if any(pattern_covers(n, "iam:*") for n in statement.not_actions) else ["iam:* (NotAction)"]
    found = []
    for action in statement.actions:
        levels = iam_actions.classify([action]).levels
        iam_managing = [a for a in levels.get(PERMISSIONS_MANAGEMENT, ()) if a.lower().startswith("iam:")]
        if iam_managing or action_matches(action, "iam:PassRole"):
            found.append(action)
    return found


def _meet(a: str, b: str, *, case_sensitive: bool = False) -> bool:
    return action_matches(a, b, case_sensitive=case_sensitive) or action_matches(b, a, case_sensitive=case_sensitive)


def _actions_meet(allow: Statement, deny: Statement) -> bool:
    if allow.not_actions:
        return not all(any(pattern_covers(n, d) for n in allow.not_actions) for d in deny.actions or ("*",))
    if deny.not_actions:
        return any(not any(pattern_covers(n, a) for n in deny.not_actions) for a in allow.actions)
    return any(_meet(a, d) for a in allow.actions for d in deny.actions)


def _resources_meet(allow: Statement, deny: Statement) -> bool:
    if allow.not_resources:
        return True
    if deny.not_resources:
        return any(not any(pattern_covers(n, r, case_sensitive=True) for n in deny.not_resources)
                   for r in allow.resources)
    return any(_meet(r, d, case_sensitive=True) for r in allow.resources for d in deny.resources)


def _beyond_placeholder(statement: Statement, intended: tuple[str, ...]) -> str:
    if statement.not_actions:
        return f"every action but {', '.join(statement.not_actions)}; declared for {', '.join(intended)}"
    extra = [a for a in statement.actions if not any(pattern_covers(i, a) for i in intended)]
    if not extra:
        return ""
    return f"{', '.join(extra)}; the placeholder was declared for {', '.join(intended)}"
