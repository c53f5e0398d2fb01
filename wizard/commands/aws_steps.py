"""The AWS steps of a wizard run: preflight, change set, and (only when asked) execution.

Options: ``--preflight``, ``--create-change-set`` (with ``--change-set-name``,
``--template-bucket`` or the managed bucket, ``--create-template-bucket``,
``--template-bucket-kms-key``), ``--execute`` (after an explicit confirmation, ``--yes`` when there is
nobody to ask), ``--aws-profile``, ``--endpoint-url``, ``--aws-deadline``. Progress goes to standard error so
that ``--json`` output stays one object on standard output.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from wizard.commands.aws_options import add_connection_options
from wizard.errors import GateTripped, InputError, WizardError


def add_options(parser: argparse.ArgumentParser) -> None:
    group = parser.add_argument_group("AWS (never used unless asked)")
    group.add_argument("--preflight", action="store_true",
                       help="check the account before deploying: certificate in the region and covering "
                            "the host, KMS key usable by CloudTrail, log group, buckets, workgroups, stack state")
    group.add_argument("--access-analyzer", action="store_true",
                       help="with the preflight (--preflight; in --plain and the wizard, their preflight step): also "
                            "check every policy document of the template with IAM Access Analyzer: ValidatePolicy, "
                            "CheckNoNewAccess of each changed policy against the deployed stack or the vendor's "
                            "template, CheckAccessNotGranted for critical actions (assets/access-analyzer.yaml); "
                            "its findings join the summary, --json and the report. These calls reach AWS, and "
                            "CheckNoNewAccess and CheckAccessNotGranted are billed per call")
    group.add_argument("--create-change-set", action="store_true",
                       help="create (never execute) a change set for --stack-name with the written parameters")
    group.add_argument("--change-set-name", metavar="NAME", help="default: quilt-wizard-YYYYMMDD-HHMMSS")
    group.add_argument("--template-bucket", metavar="BUCKET",
                       help="S3 bucket for templates over 51,200 bytes (CloudFormation's inline limit); "
                            "default: the managed bucket quilt-wizard-templates-ACCOUNT-REGION or the "
                            "profile's template_bucket")
    group.add_argument("--create-template-bucket", action="store_true",
                       help="create the managed template bucket when it does not exist yet (encrypted, "
                            "public access blocked, TLS only, versioned, old templates expire)")
    group.add_argument("--template-bucket-kms-key", metavar="KEY",
                       help="KMS key (id, alias or ARN, of the stack's account and region) for a template bucket "
                            "created now (default: SSE-S3); checked before anything is written or created")
    group.add_argument("--execute", action="store_true",
                       help="execute the change set after an explicit confirmation")
    group.add_argument("--yes", action="store_true", help="confirm --execute without asking (for CI)")
    add_connection_options(group)


def wanted(args: argparse.Namespace) -> bool:
    return bool(args.preflight or args.create_change_set)


def check_usage(args: argparse.Namespace) -> None:
    if args.endpoint_url is not None:
        from wizard.aws.session import check_endpoint_url

        check_endpoint_url(args.endpoint_url)
    if getattr(args, "access_analyzer", False) and getattr(args, "answers", None) and not args.preflight:
        raise InputError("is a check of the preflight: add --preflight", where="--access-analyzer")
    if args.execute and not args.create_change_set:
        raise InputError("--execute needs --create-change-set", where="--execute")
    if (args.create_template_bucket or args.template_bucket_kms_key is not None) and not args.create_change_set:
        raise InputError("the template bucket is used by --create-change-set", where="--create-template-bucket")
    if args.template_bucket_kms_key is not None:
        from wizard.aws.template_bucket import kms_key_problem

        problem = kms_key_problem(args.template_bucket_kms_key)
        if problem:
            raise InputError(problem, where="--template-bucket-kms-key")
        if args.template_bucket is not None:
            raise InputError("--template-bucket names a bucket used as it is; the key applies to a bucket the "
                             "wizard creates", where="--template-bucket-kms-key")
        if not args.create_template_bucket:
            raise InputError("--template-bucket-kms-key applies to a bucket created with --create-template-bucket",
                             where="--template-bucket-kms-key")
    if args.yes and not args.execute:
        raise InputError("--yes only confirms --execute", where="--yes")
    if args.execute and not args.yes and not sys.stdin.isatty():
        # Found before any AWS call: nothing is uploaded or created for a run that cannot finish.
        raise InputError("--execute needs --yes when nobody can confirm at a terminal", where="--execute")
    if args.template_bucket is not None:
        from wizard.aws.template_bucket import check_bucket_name

        check_bucket_name(args.template_bucket, where="--template-bucket")


@dataclass
class AwsOutcome:
    """What the AWS steps found and did, for the summary."""

    preflight: Any = None
    change_set: Any = None
    executed: bool = False
    security: Any = None
    """The security change of each resource of the change set (``ChangeSetSecurity``)."""
    deployment: Any = None
    """Where the executed change set's stack operation ended (``FollowResult``)."""
    template_bucket: Any = None
    """The template bucket the change set's template went through (``TemplateBucket``)."""

    def to_json(self) -> dict[str, Any]:
        change_set = self.change_set.to_json() if self.change_set else None
        if change_set is not None and self.security is not None:
            change_set["security"] = self.security.to_json()
        return {"preflight": self.preflight.to_json() if self.preflight else None,
                "change_set": change_set, "executed": self.executed,
                "deployment": self.deployment.to_json() if self.deployment else None}


def progress(line: str) -> None:
    print(f"  ... {line}", file=sys.stderr, flush=True)


def session_for(args: argparse.Namespace, region: str):
    from wizard.aws import make_session

    return make_session(profile=args.aws_profile, region=region, endpoint_url=args.endpoint_url,
                        deadline=args.aws_deadline)


def run_preflight_step(args: argparse.Namespace, session, parameters: dict[str, str], stack_name: str,
                       expected_account: str | None, managed_policy_arns: tuple[str, ...] = (),
                       target_account: str | None = None, deployment: Any = None,
                       parameter_types: dict[str, str] | None = None) -> Any:
    """The preflight; with ``--access-analyzer`` (and the ``deployment`` whose policies it sends)
    IAM Access Analyzer's checks too."""
    from wizard.aws import run_preflight

    request = policy_check_request(deployment) if getattr(args, "access_analyzer", False) and deployment else None
    return run_preflight(session, parameters, stack_name=stack_name, expected_account=expected_account,
                         target_account=target_account, on_progress=progress,
                         managed_policy_arns=managed_policy_arns, access_analyzer=request,
                         parameter_types=parameter_types)


def policy_check_request(deployment: Any) -> Any:
    """What IAM Access Analyzer's checks send for a deployment: its template and final values, and
    the reference a changed policy is compared with when no stack is deployed: the vendor's
    template (when the overlay hardened it) with the same values, else the baseline's values."""
    from wizard.aws.access_analyzer import PolicyCheckRequest

    values = dict(deployment.values.raw)
    hardening = deployment.hardening
    if hardening is not None:
        vendor = hardening.vendor
        return PolicyCheckRequest(deployment.template, values, vendor,
                                  {k: v for k, v in values.items() if k in vendor.parameters},
                                  f"the vendor's template {Path(str(vendor.source)).name}")
    return PolicyCheckRequest(deployment.template, values, deployment.template, dict(deployment.baseline.raw),
                              f"the baseline ({deployment.baseline_name})")


_PLAN = object()
"""``run_change_set_step``'s default: find the template bucket there (``--plain``), not before."""


def run_change_set_step(args: argparse.Namespace, session, outcome: AwsOutcome, template,
                        parameters: dict[str, str], stack_name: str, expected_account: str | None,
                        tags: dict[str, str], profile: str | None = None, bucket: Any = _PLAN) -> None:
    """Create the change set (acknowledging only the capabilities the template needs) and
    review the security change of each resource against what is deployed. ``bucket`` is what
    :func:`plan_template_bucket` found before anything was written; it is created here when it
    is to be."""
    from wizard.aws import caller_identity, create_change_set, require_account
    from wizard.aws.security import planned_evaluation, required_capabilities, review_change_set
    from wizard.aws.template_bucket import make_template_bucket

    identity = require_account(session, expected_account) if expected_account else caller_identity(session)
    if bucket is _PLAN:
        bucket = plan_template_bucket(args, session, template.text, profile, expected_account)
    after = planned_evaluation(template, parameters, stack_name, session.region, identity.account)
    capabilities = tuple(c.name for c in required_capabilities(after))
    secrets = frozenset(name for name, spec in template.parameters.items() if spec.no_echo)
    if bucket is not None:
        outcome.template_bucket = bucket = make_template_bucket(session, bucket, on_progress=progress)
        if not bucket.created:
            progress(f"Template bucket s3://{bucket.name} ({bucket.origin})")
        if not args.template_bucket:
            record_template_bucket(profile, identity.account, bucket.name)
    outcome.change_set = create_change_set(
        session, stack_name=stack_name, template_body=template.text, parameters=parameters,
        change_set_name=args.change_set_name, template_bucket=bucket.name if bucket else None, tags=tags or None,
        on_progress=progress, secret_parameters=secrets, capabilities=capabilities)
    if outcome.change_set.changes:
        outcome.security = review_change_set(session, outcome.change_set, after, on_progress=progress)


def plan_template_bucket(args: argparse.Namespace, session, body: str, profile: str | None,
                         expected_account: str | None) -> Any:
    """Before anything is written or created, by reading only: the bucket a template over the
    inline limit goes through (a ``TemplateBucket``, perhaps ``to create``; None when the template
    fits inline), its KMS key checked. Every refusal (no consent, a key of another region or
    account, an existing bucket with another encryption) comes from here."""
    from wizard.aws import caller_identity, require_account
    from wizard.aws.changeset import TEMPLATE_BODY_LIMIT
    from wizard.aws.template_bucket import find_template_bucket

    if len(body.encode("utf-8")) <= TEMPLATE_BODY_LIMIT and not args.template_bucket:
        if args.template_bucket_kms_key is not None:
            progress("The template fits inline: no template bucket is used, nor --template-bucket-kms-key")
        return None
    identity = require_account(session, expected_account) if expected_account else caller_identity(session)
    return find_template_bucket(session, given=args.template_bucket,
                                profile_bucket=profile_template_bucket(profile, identity.account),
                                create=args.create_template_bucket, kms_key=args.template_bucket_kms_key)


class Interrupted(WizardError):
    """Ctrl-C after something was written or created (exit 130): the message says what."""

    exit_code = 130


@contextmanager
def telling_what_is_left(written: Sequence[Path], outcome: AwsOutcome) -> Iterator[None]:
    """The AWS steps after the parameter file is written: when one fails (or Ctrl-C stops it),
    its one line also says what the run left behind (the files, a template bucket it created, a
    change set). Stopping the following of a deployment is not a failure and is left as it is."""
    from wizard.aws.events import FollowingStopped

    try:
        yield
    except FollowingStopped:
        raise
    except WizardError as exc:
        exc.message = f"{exc.message}; {left_behind(written, outcome)}"
        raise
    except KeyboardInterrupt:
        raise Interrupted(f"interrupted; {left_behind(written, outcome)}") from None


def left_behind(written: Sequence[Path], outcome: AwsOutcome) -> str:
    """``left behind: the parameter file p.json, ...``: what a run that stopped had made."""
    things = []
    if written:
        first, *others = [str(path) for path in written]
        things.append(f"the parameter file {first}" + (f" (and {', '.join(others)})" if others else ""))
    bucket = outcome.template_bucket
    if bucket is not None and bucket.created:
        things.append(f"the template bucket s3://{bucket.name} (created by this run, kept for later runs)")
    if outcome.change_set is not None:
        things.append(f"the change set {outcome.change_set.change_set_name} of stack "
                      f"{outcome.change_set.stack_name} ({'executed' if outcome.executed else 'not executed'})")
    return "left behind: " + ("; ".join(things) if things else "nothing")


def record_template_bucket(profile: str | None, account_id: str, bucket: str) -> None:
    """Name the template bucket in a saved profile's account section, so that the next run with
    that profile (for this account) says which bucket it uses. Built-in modes are not written."""
    from wizard.flow.profiles import BUILTIN_MODES, Profile, load_profile, save_profile

    if not profile or profile in BUILTIN_MODES or profile_template_bucket(profile, account_id) == bucket:
        return
    saved = load_profile(profile)
    account = {**dict(saved.accounts.get(account_id) or {}), "template_bucket": bucket}
    save_profile(Profile(name=saved.name, description=saved.description, extends=saved.extends,
                         answers=saved.answers, parameters=saved.parameters, accounts={account_id: account}))
    progress(f"Profile {profile}: template_bucket {bucket} recorded for account {account_id}")


def check_profile_template_buckets(profile: str | None, account_id: str | None) -> None:
    """Before any AWS call: the ``template_bucket`` the profile names for the account (for every
    account, when the account is not known before the credentials are read) is a name S3 allows."""
    from wizard.aws.template_bucket import check_bucket_name
    from wizard.cfn.yamlsource import line_at
    from wizard.flow.profiles import load_profile

    seen: set[str] = set()
    checked: set[str] = set()
    while profile and profile not in seen:
        seen.add(profile)
        found = load_profile(profile)
        for account, values in found.accounts.items():
            bucket = (values or {}).get("template_bucket")
            if not bucket or account in checked or (account_id and account != account_id):
                continue
            checked.add(account)  # the first profile of the chain that names one wins, as when it is used
            path = ["accounts", account, "template_bucket"]
            check_bucket_name(str(bucket), file=found.source or None, where="/" + "/".join(path),
                              line=line_at(found.data, path) if found.data is not None else None)
        profile = found.extends


def profile_template_bucket(profile: str | None, account_id: str | None) -> str | None:
    """The ``template_bucket`` of the profile's account section (or of a profile it extends)."""
    from wizard.flow.profiles import load_profile

    seen: set[str] = set()
    while profile and profile not in seen and account_id:
        seen.add(profile)
        found = load_profile(profile)
        bucket = (found.accounts.get(account_id) or {}).get("template_bucket")
        if bucket:
            return str(bucket)
        profile = found.extends
    return None


def confirm_and_execute(args: argparse.Namespace, session, outcome: AwsOutcome) -> None:
    """Execute after the operator confirms the change set and its capabilities, then follow it."""
    from wizard.aws import execute_change_set, render_change_set
    from wizard.aws.events import event_ids

    result = outcome.change_set
    if not result.executable:
        print("Nothing to execute: " + ("no changes." if result.empty else f"status {result.status}."),
              file=sys.stderr)
        return
    capabilities = ", ".join(result.capabilities) or "no capabilities"
    if not args.yes:
        if not sys.stdin.isatty():
            raise InputError("--execute needs --yes when nobody can confirm at a terminal", where="--execute")
        sys.stderr.write("\n" + render_change_set(result, outcome.security))
        answer = input(f"Execute change set {result.change_set_name} on stack {result.stack_name}, "
                       f"acknowledging {capabilities}? Type the stack name to confirm: ")
        if answer.strip() != result.stack_name:
            print("Not executed.", file=sys.stderr)
            return
    else:
        for line in _capability_lines(outcome):
            progress(f"{line} (confirmed by --yes)")
    seen = event_ids(session, result.stack_name)
    execute_change_set(session, result)
    outcome.executed = True
    from wizard.commands.status import follow

    outcome.deployment = follow(session, result.stack_name, seen=seen, after_execution=True)


def _capability_lines(outcome: AwsOutcome) -> list[str]:
    if outcome.security is not None and outcome.security.capabilities:
        return [f"Acknowledging {c.describe()}" for c in outcome.security.capabilities]
    names = outcome.change_set.capabilities
    return [f"Acknowledging {', '.join(names)}"] if names else ["No capabilities acknowledged"]


def gate_reason(outcome: AwsOutcome) -> str | None:
    """Why a failed preflight stops the run (before anything is written), or None."""
    report = outcome.preflight
    if report is not None and not report.ok:
        return f"preflight failed: {', '.join(report.failed)}"
    return None


def gate(outcome: AwsOutcome) -> None:
    """A failed preflight check stops the run like any other policy gate (exit 1); a deployment
    that failed is an AWS failure (exit 3)."""
    reason = gate_reason(outcome)
    if reason:
        raise GateTripped(reason)
    deployed = outcome.deployment
    if deployed is not None and deployed.finished and not deployed.succeeded:
        from wizard.errors import AwsError

        failure = deployed.first_failure
        why = f": {failure.logical_id}: {failure.reason}" if failure is not None and failure.reason else ""
        raise AwsError(f"the deployment of stack {deployed.stack_name} ended in {deployed.status}{why}")
