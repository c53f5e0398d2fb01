"""Manual approval: the policy a connected bucket needs, checked before an approver writes it.

With ``PolicyCreationMode=ManualApproval`` no role of the stack may write IAM policies; an
approver assumes ``PolicyApproverRole`` and writes them when a bucket is connected. What to
write is the application's own pattern for one bucket: the statements the template's
``PreCreated`` form grants the read and write placeholders (``wizard.findings.connection``),
with that bucket's ARN in place of the prefix pattern. Each goes into the placeholder of the
same purpose (``wizard.iam.bucket_access``) as a new default version: the statements of the
current default version stay, the bucket's are added (merged into a statement with the same
actions and condition when there is one).

:func:`plan_approval` works it out from a snapshot of the stack and its policies (read by
``wizard.aws.approval``; nothing here talks to AWS): for each placeholder the grants diff
against its current version, the verdict of every new statement against the envelope the
deployment chose (``wizard.audit.envelope.judge``: the bucket prefix, the guardrail, what the
placeholder was declared for), and, when the policy already holds IAM's five versions, the
oldest version that is not the default, deleted first. :func:`policy_rows` lists what exists
under the stack's path as the audit lists it.
"""

from __future__ import annotations

import json
from dataclasses import dataclass

from wizard.audit.envelope import Envelope, envelope_of, judge
from wizard.audit.expected import Carrier, Expected, evaluate_deployed, expected_of
from wizard.audit.holdings import DeployedStack, HeldPolicy, Holdings
from wizard.audit.statements import document_statements, normalize
from wizard.audit.verdict import RUN_TIME, TEMPLATE, PolicyRecord
from wizard.errors import InputError
from wizard.findings.connection import bucket_statements
from wizard.iam import actions as iam_actions
from wizard.iam.bucket_access import READ, WRITE, purpose_of
from wizard.iam.diff import PermissionDiff, diff_grants
from wizard.iam.grants import IDENTITY, Grant, Source
from wizard.lists import as_list

MANUAL = "ManualApproval"
MODE_PARAMETER = "PolicyCreationMode"
MAX_VERSIONS = 5
"""IAM keeps at most five versions of a customer managed policy."""
MAX_POLICY_CHARACTERS = 6144
"""IAM's limit on a managed policy document, whitespace not counted."""
_S3 = "s3:"


def require_manual_approval(stack: DeployedStack) -> None:
    """An ``InputError`` unless the stack was deployed with ``PolicyCreationMode=ManualApproval``."""
    mode = stack.parameters.get(MODE_PARAMETER)
    if mode is None:
        raise InputError(f"stack {stack.name} has no {MODE_PARAMETER} parameter: approve works on a stack "
                         "deployed from a template with the manual-approval option (the embedded model, or the "
                         "vendor's template hardened by quilt-wizard)", where="--stack-name")
    if mode != MANUAL:
        why = ("its application writes the bucket policies itself" if mode == "Automatic" else
               "its bucket policies exist from deployment" if mode == "PreCreated" else "")
        raise InputError(f"stack {stack.name} runs {MODE_PARAMETER} {mode}, not {MANUAL}: there is nothing to "
                         f"approve{': ' + why if why else ''}", where="--stack-name")


@dataclass(frozen=True)
class Target:
    """A placeholder the application fills for one purpose, as the stack holds it."""

    purpose: str
    carrier: Carrier
    held: HeldPolicy | None

    @property
    def name(self) -> str:
        return self.carrier.holder

    @property
    def arn(self) -> str:
        return self.carrier.name


@dataclass(frozen=True)
class Change:
    """What approving the bucket writes into one placeholder."""

    target: Target
    document: dict
    """The new default version."""
    diff: PermissionDiff
    """Against the current default version."""
    verdicts: tuple[tuple[str, tuple[tuple[str, str], ...]], ...]
    """(a new statement in brief, the envelope rules it breaks) for each statement added."""
    drop: str | None = None
    """The version deleted first, to stay within IAM's five."""

    @property
    def needed(self) -> bool:
        return bool(self.diff.added or self.diff.removed)

    @property
    def refusals(self) -> list[str]:
        return [f"{self.target.name} statement {brief}: {rule} {detail}"
                for brief, broken in self.verdicts for rule, detail in broken]


@dataclass(frozen=True)
class Approval:
    """Everything the approver sees before confirming."""

    stack: DeployedStack
    bucket: str
    envelope: Envelope
    changes: tuple[Change, ...]

    @property
    def refusals(self) -> list[str]:
        return [r for c in self.changes for r in c.refusals]

    @property
    def needed(self) -> list[Change]:
        return [c for c in self.changes if c.needed]


# -- the placeholders and what they receive -------------------------------------------------

def targets(holdings: Holdings, expected: Expected) -> list[Target]:
    """The stack's S3 placeholders, each with its purpose (read before write)."""
    body = expected.template.body
    found = []
    for carrier in expected.managed.values():
        if not carrier.placeholder or not any(a.startswith(_S3) or a == "*" for a in carrier.intended_actions):
            continue
        found.append(Target(purpose_of(body, carrier.holder), carrier, holdings.policies.get(carrier.name)))
    return sorted(found, key=lambda t: (t.purpose != READ, t.name))


def _statements_for(expected: Expected, bucket: str) -> dict[str, list[dict]]:
    found = bucket_statements(expected.evaluation, bucket)
    if found is None:
        return {}
    arn = f"arn:{expected.physical.partition}:s3:::{bucket}"
    return {READ: _on_bucket(found.read, arn), WRITE: _on_bucket(found.write, arn)}


def _on_bucket(statements, arn: str) -> list[dict]:
    """The statements as they apply to the bucket being connected: the pre-created form also names
    the stack's own buckets (its canaries'), which the stack grants itself and no approval is for."""
    kept = []
    for statement in statements:
        statement = dict(statement)
        resources = statement.get("Resource")
        if isinstance(resources, list):
            statement["Resource"] = [r for r in resources if r in (arn, f"{arn}/*")]
            if not statement["Resource"]:
                continue
        kept.append(statement)
    return kept


def _fallback(target: Target, bucket: str, partition: str) -> list[dict]:
    """Without a PreCreated form: the placeholder's declared actions on the bucket and its objects."""
    actions = [a for a in target.carrier.intended_actions if a.startswith(_S3) or a == "*"]
    arn = f"arn:{partition}:s3:::{bucket}"
    return [{"Effect": "Allow", "Action": actions, "Resource": [arn, f"{arn}/*"]}]


def _key(statement: dict) -> tuple:
    def texts(value) -> tuple:
        return tuple(sorted(as_list(value))) if value is not None else ()

    return (statement.get("Effect", "Allow"), texts(statement.get("Action")),
            json.dumps(statement.get("Condition") or {}, sort_keys=True))


def merged(current: list[dict], wanted: list[dict]) -> list[dict]:
    """``current`` with every statement of ``wanted`` in it: its resources added to a statement
    with the same effect, actions and condition, or the statement appended."""
    out = [dict(s) for s in current]
    for statement in wanted:
        partner = next((s for s in out if _key(s) == _key(statement) and "Resource" in s), None)
        if partner is None:
            out.append(dict(statement))
            continue
        have, more = as_list(partner["Resource"]), as_list(statement["Resource"])
        partner["Resource"] = [*have, *(r for r in more if r not in have)]
    return out


def _grants(statements: list[dict], policy: str) -> list[Grant]:
    """The statements of a policy as grants, so the diff judges and shows them like any other."""
    found = []
    for index, statement in enumerate(statements):
        def texts(key: str) -> tuple[str, ...]:
            value = statement.get(key)
            return tuple(value) if isinstance(value, list) else ((str(value),) if value is not None else ())

        actions, not_actions = texts("Action"), texts("NotAction")
        resources, not_resources = texts("Resource"), texts("NotResource")
        condition = json.dumps(statement["Condition"], sort_keys=True) if statement.get("Condition") else ""
        effect = str(statement.get("Effect", "Allow"))
        levels = iam_actions.summary(actions)[0] if actions else iam_actions.ACCESS_LEVELS
        nothing = effect == "Allow" and ("*" in not_resources or not (resources or not_resources))
        grant = Grant(principal=policy, kind=IDENTITY, source=Source(policy, None, index), effect=effect,
                      actions=actions, not_actions=not_actions, resources=resources, not_resources=not_resources,
                      condition_json=condition, sid=statement.get("Sid") or None, access_levels=tuple(levels),
                      grants_nothing=nothing)
        object.__setattr__(grant, "key", (IDENTITY, policy, (), effect, actions, not_actions, resources,
                                          not_resources, condition, None))
        found.append(grant)
    return found


def _brief(statement: dict) -> str:
    """``Allow s3:Get*, s3:List* on arn:aws:s3:::acme-data, ...`` (the condition left out)."""
    def texts(key: str) -> str:
        value = statement.get(key)
        return ", ".join(value) if isinstance(value, list) else str(value)

    return f"{statement.get('Effect', 'Allow')} {texts('Action')} on {texts('Resource')}"


def oldest_to_drop(policy: HeldPolicy | None) -> str | None:
    """The version to delete before writing one more: the oldest that is not the default, when
    the policy holds IAM's five already."""
    if policy is None or len(policy.versions) < MAX_VERSIONS:
        return None
    others = [v for v in policy.versions if not v.is_default]
    return others[0].version_id if others else None


def plan_approval(holdings: Holdings, bucket: str, expected: Expected | None = None) -> Approval:
    """What approving ``bucket`` writes into each placeholder, checked against the envelope."""
    require_manual_approval(holdings.stack)
    expected = expected or expected_of(holdings, evaluate_deployed(holdings.stack))
    envelope = envelope_of(expected, holdings)
    found = targets(holdings, expected)
    if not found:
        raise InputError(f"stack {holdings.stack.name} has no S3 placeholder policy (a managed policy that grants "
                         "nothing until a bucket is connected): nothing to approve", where="--stack-name")
    wanted = _statements_for(expected, bucket)
    partition = expected.physical.partition
    changes = []
    for target in found:
        held = target.held
        current = document_statements(held.default_document) if held is not None else []
        kept = [s for s in current if not normalize(s, partition=partition).grants_nothing]
        adding = wanted.get(target.purpose) or _fallback(target, bucket, partition)
        statements = merged(kept, adding)
        document = {"Version": "2012-10-17", "Statement": statements}
        added, removed = diff_grants(_grants(current, target.name), _grants(statements, target.name))
        verdicts = []
        for statement in adding:
            normal = normalize(statement, partition=partition)
            if any(normal == normalize(s, partition=partition) for s in kept):
                continue
            verdicts.append((_brief(statement), tuple(judge(normal, envelope, intended=target.carrier.intended_actions))))
        changes.append(Change(target, document, PermissionDiff(added, removed), tuple(verdicts),
                              oldest_to_drop(held)))
    return Approval(holdings.stack, bucket, envelope, tuple(changes))


def document_problem(change: Change) -> str | None:
    """Why IAM would refuse the new version's size, or None."""
    size = len("".join(json.dumps(change.document, separators=(",", ":")).split()))
    if size > MAX_POLICY_CHARACTERS:
        return (f"{change.target.name} would hold {size:,} characters, over IAM's limit of {MAX_POLICY_CHARACTERS:,} "
                "for a managed policy: remove the statements of buckets no longer connected first")
    return None


# -- what exists under the path -------------------------------------------------------------

def policy_records(holdings: Holdings, expected: Expected) -> list[PolicyRecord]:
    """The stack's managed policies and those under its path, as the audit records them."""
    records = []
    for arn, policy in sorted(holdings.policies.items()):
        carrier = expected.managed_by_arn(arn)
        if carrier is not None:
            records.append(PolicyRecord(policy, TEMPLATE, carrier.holder, carrier.placeholder))
        elif policy.path.startswith(holdings.path_prefix):
            records.append(PolicyRecord(policy, RUN_TIME))
    return sorted(records, key=lambda r: (r.origin != TEMPLATE, r.policy.name))
