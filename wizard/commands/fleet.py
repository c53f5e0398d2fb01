"""``quilt-wizard fleet``: one profile deployed to many accounts and regions through StackSets.

``plan`` shows, without AWS, what every stack instance would run and what its overrides change
against the fleet's base; ``deploy`` creates or updates the stack set and its instances after a
confirmation and follows each operation; ``status`` shows what every instance runs, with what
differs from the profile marked. Progress goes to standard error, so ``--json`` output stays one
object on standard output.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
from typing import Any

from wizard.errors import AwsError, GateTripped, InputError

PERMISSION_MODELS = {"self-managed": "SELF_MANAGED", "service-managed": "SERVICE_MANAGED"}
_STACK_SET_NAME = re.compile(r"[A-Za-z][-A-Za-z0-9]{0,127}")
_OU = re.compile(r"ou-[a-z0-9]{4,32}-[a-z0-9]{8,32}|r-[a-z0-9]{4,32}")


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "fleet", help="one profile, many accounts: plan, deploy and follow a CloudFormation stack set",
        description="Deploy a profile to the accounts of its accounts: section through CloudFormation "
                    "StackSets: the profile's shared values are the stack set's parameters, each account's "
                    "values its stack instances' parameter overrides.")
    actions = parser.add_subparsers(title="actions", metavar="ACTION", required=True)

    plan = actions.add_parser("plan", help="what every instance would run and what its overrides change (no AWS)")
    _targets_options(plan)
    plan.add_argument("--stack-set-name", metavar="NAME", help="AWS::StackName while analysing (default: quilt)")
    plan.add_argument("--json", action="store_true", help="print JSON for a machine to read")
    plan.add_argument("--fail-on-broadening", action="store_true",
                      help="exit 1 when an instance's overrides broaden (or weaken) access against the fleet's base")
    plan.set_defaults(handler=run_plan)

    deploy = actions.add_parser("deploy", help="create or update the stack set and its instances, after a confirmation")
    _targets_options(deploy)
    deploy.add_argument("--stack-set-name", required=True, metavar="NAME", help="the stack set to create or update")
    deploy.add_argument("--permission-model", choices=tuple(PERMISSION_MODELS),
                        help="self-managed (IAM roles you create; the default for a new stack set) or "
                             "service-managed (AWS Organizations; targets --ous)")
    deploy.add_argument("--ous", metavar="OU,...", help="organizational units holding the accounts (service-managed)")
    deploy.add_argument("--max-concurrent", type=int, metavar="N", help="accounts deployed at the same time per region")
    deploy.add_argument("--failure-tolerance", type=int, metavar="N",
                        help="failed accounts per region before the operation stops")
    deploy.add_argument("--template-bucket", metavar="BUCKET",
                        help="S3 bucket for a template over 51,200 bytes (CloudFormation's inline limit)")
    deploy.add_argument("--yes", action="store_true", help="deploy without asking (for CI)")
    deploy.add_argument("--json", action="store_true", help="print JSON for a machine to read")
    _aws_options(deploy)
    deploy.set_defaults(handler=run_deploy)

    status = actions.add_parser("status", help="every instance of a stack set with its overrides and drift")
    status.add_argument("--stack-set-name", required=True, metavar="NAME", help="the stack set")
    status.add_argument("--profile", metavar="NAME",
                        help="the profile to compare with (default: the one fleet deploy recorded on the stack set)")
    status.add_argument("--template", "-t", metavar="FILE",
                        help="template to plan the profile with (default: the stack set's own)")
    status.add_argument("--json", action="store_true", help="print JSON for a machine to read")
    status.add_argument("--fail-on-difference", action="store_true",
                        help="exit 1 when an instance runs something other than the profile says")
    _aws_options(status)
    status.set_defaults(handler=run_status)


def _targets_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--profile", required=True, metavar="NAME", help="a saved profile with an accounts: section")
    chosen = parser.add_mutually_exclusive_group()
    chosen.add_argument("--accounts", metavar="ID,...", help="only these accounts of the profile")
    chosen.add_argument("--all-accounts", action="store_true", help="every account of the profile (the default)")
    parser.add_argument("--regions", metavar="REGION,...",
                        help="deploy each account to these regions (default: the account's region: in the "
                             "profile, else us-east-1)")
    parser.add_argument("--template", "-t", metavar="FILE", help="template (default: the embedded Quilt template)")
    parser.add_argument("--no-harden", action="store_true",
                        help="deploy a template without the promised options as it is, instead of applying the "
                             "hardening overlay")


def _aws_options(parser: argparse.ArgumentParser) -> None:
    group = parser.add_argument_group("AWS")
    group.add_argument("--region", metavar="REGION",
                       help="the stack set's home region (default: the AWS profile's region)")
    group.add_argument("--aws-profile", metavar="NAME", help="AWS profile (default: AWS_PROFILE or the default chain)")
    group.add_argument("--endpoint-url", metavar="URL", help="a local AWS endpoint, for tests")


def progress(line: str) -> None:
    print(f"  ... {line}", file=sys.stderr, flush=True)


def _emit(data: Any) -> None:
    json.dump(data, sys.stdout, indent=2, default=str)
    sys.stdout.write("\n")


def _check_stack_set_name(name: str | None) -> None:
    if name is not None and not _STACK_SET_NAME.fullmatch(name):
        raise InputError(f"{name!r} is not a stack set name: a letter, then letters, digits and hyphens, at most "
                         "128 characters", where="--stack-set-name")


def _plan(args: argparse.Namespace):
    from wizard.fleet.plan import parse_accounts, parse_regions, plan_fleet
    from wizard.flow.headless import hardened_for
    from wizard.flow.stack import template_for

    accounts, regions = parse_accounts(args.accounts), parse_regions(args.regions)
    template = template_for(args.template)
    hardening = None if args.no_harden else hardened_for(template)
    return plan_fleet(args.profile, hardening.template if hardening else template, accounts=accounts,
                      regions=regions, stack_name=args.stack_set_name or "quilt", hardening=hardening)


def run_plan(args: argparse.Namespace) -> int:
    from wizard.fleet.text import plan_text
    from wizard.flow.terminal import use_colour

    _check_stack_set_name(args.stack_set_name)
    plan = _plan(args)
    if args.json:
        _emit(plan.to_json())
    else:
        sys.stdout.write(plan_text(plan, use_colour()))
    _gate(plan, args.fail_on_broadening)
    return 0


def _gate(plan, wanted: bool) -> None:
    flagged = [f"{i.account} in {i.region}" for i in plan.instances if i.broadening or i.weakening]
    if wanted and flagged:
        raise GateTripped(f"the overrides of {', '.join(flagged)} broaden or weaken access against the fleet's base "
                          "(--fail-on-broadening)")


def _check_deploy_usage(args: argparse.Namespace) -> str | None:
    """Everything about the command line, before any file is read or any call made; the
    permission model asked for."""
    if args.endpoint_url is not None:
        from wizard.aws.session import check_endpoint_url

        check_endpoint_url(args.endpoint_url)
    _check_stack_set_name(args.stack_set_name)
    model = PERMISSION_MODELS.get(args.permission_model) if args.permission_model else None
    if args.ous is not None and model != "SERVICE_MANAGED":
        raise InputError("--ous targets organizational units: it needs --permission-model service-managed",
                         where="--ous")
    if model == "SERVICE_MANAGED" and not args.ous:
        raise InputError("a service-managed stack set deploys to organizational units: give --ous", where="--ous")
    if args.max_concurrent is not None and args.max_concurrent < 1:
        raise InputError(f"expected a number of accounts of 1 or more, found {args.max_concurrent}",
                         where="--max-concurrent")
    if args.failure_tolerance is not None and args.failure_tolerance < 0:
        raise InputError(f"expected 0 or more, found {args.failure_tolerance}", where="--failure-tolerance")
    if not args.yes and not sys.stdin.isatty():
        raise InputError("fleet deploy needs --yes when nobody can confirm at a terminal", where="--yes")
    return model


def _ous(text: str | None) -> list[str]:
    from wizard.fleet.plan import parse_list

    return parse_list(text, "organizational unit ids (ou-xxxx-xxxxxxxx or r-xxxx)", _OU, "--ous")


def run_deploy(args: argparse.Namespace) -> int:
    from wizard.aws import stacksets as ss
    from wizard.aws.changeset import TEMPLATE_BODY_LIMIT
    from wizard.aws.session import make_session
    from wizard.fleet.text import instances_text, plan_text
    from wizard.flow.terminal import use_colour

    asked_model = _check_deploy_usage(args)
    ous = _ous(args.ous)
    plan = _plan(args)
    body = plan.template.text
    if len(body.encode("utf-8")) > TEMPLATE_BODY_LIMIT and not args.template_bucket:
        raise InputError(f"the template is {len(body.encode('utf-8')):,} bytes, over CloudFormation's "
                         f"{TEMPLATE_BODY_LIMIT:,}-byte inline limit: give --template-bucket", where="--template-bucket")
    colour = use_colour()
    out = sys.stderr if args.json else sys.stdout
    out.write(plan_text(plan, colour))
    name = args.stack_set_name
    session = make_session(profile=args.aws_profile, region=args.region, endpoint_url=args.endpoint_url)
    progress(f"Looking up stack set {name} in {session.region}")
    existing = ss.read_stack_set(session, name)
    model = asked_model or (existing.permission_model if existing else ss.SELF_MANAGED)
    if existing and existing.permission_model != model:
        raise InputError(f"stack set {name} is {existing.permission_model}; it cannot become {model}",
                         where="--permission-model")
    if model == ss.SERVICE_MANAGED and not ous:
        raise InputError(f"stack set {name} is service-managed: give --ous", where="--ous")
    if model == ss.SELF_MANAGED:
        _check_roles(session, plan, existing)
    else:
        _check_organizations_access(session)
    current = {(i.account, i.region): i for i in existing.instances} if existing else {}
    wanted = [(i.account, i.region) for i in plan.instances]
    new = [t for t in wanted if t not in current]
    changed = [t for t in wanted if t in current
               and dict(current[t].overrides) != dict(plan.instance(*t).overrides)]
    secret = {n for n, spec in plan.template.parameters.items() if spec.no_echo}
    unchanged_set = (existing is not None and existing.template_body == body
                     and set(existing.parameters) == set(plan.parameters)
                     and all(existing.parameters[k] == v for k, v in plan.parameters.items() if k not in secret))
    steps = [("create" if existing is None else "keep" if unchanged_set else "update")
             + f" stack set {name} ({model.lower().replace('_', '-')})"
             + ("" if existing is None or unchanged_set else f"; its {len(current)} instances follow the template "
                "and shared parameters"),
             f"create {len(new)} instances in {len(plan.groups(new))} calls",
             f"set the overrides of {len(changed)} instances in {len(plan.groups(changed))} calls",
             f"leave {len(wanted) - len(new) - len(changed)} instances as they are"]
    out.write("\nDeployment\n" + "".join(f"  {s}\n" for s in steps))
    out.flush()
    if not args.yes and not _confirmed(name):
        print("Not deployed.", file=sys.stderr)
        return 0
    options = ss.preferences(args.max_concurrent, args.failure_tolerance)
    tags = {ss.PROFILE_TAG: plan.profile.name}
    operations = []
    if existing is None or not unchanged_set:
        source = ss.template_source(session, name, body, args.template_bucket)
        if existing is None:
            progress(f"Creating stack set {name}")
            ss.create_stack_set(session, name, template=source, parameters=plan.parameters, permission_model=model,
                                tags=tags, description=f"Quilt, profile {plan.profile.name}; deployed by quilt-wizard")
        else:
            progress(f"Updating stack set {name}")
            operation = ss.update_stack_set(session, name, template=source, parameters=plan.parameters, tags=tags,
                                            options=options, keep=[k for k in secret if not plan.parameters.get(k)])
            operations.append(ss.follow_operation(session, name, operation, on_progress=progress))
    for targets, update in ((new, False), (changed, True)):
        for group in plan.groups(targets):
            if operations and not operations[-1].succeeded:
                break
            request = ss.instances_request(name, group.accounts, group.regions, dict(group.overrides),
                                           permission_model=model, ous=ous, options=options)
            progress(f"{'Updating' if update else 'Creating'} instances: {', '.join(group.accounts)} in "
                     f"{', '.join(group.regions)}")
            operation = ss.start_instances(session, request, update=update)
            operations.append(ss.follow_operation(session, name, operation, on_progress=progress))
    final = ss.read_stack_set(session, name)
    instances = final.instances if final else ()
    if args.json:
        _emit({"plan": plan.to_json(), "stack_set": name, "permission_model": model,
               "operations": [o.to_json() for o in operations], "instances": [i.to_json() for i in instances]})
    else:
        sys.stdout.write("\n" + instances_text(instances, colour))
    failed = next((o for o in operations if not o.succeeded), None)
    if failed is not None:
        reason = next((f"{r.account} {r.region}: {r.reason}" for r in failed.results if r.reason
                       and r.status != "SUCCEEDED"), failed.status_reason or "no reason given")
        raise AwsError(f"stack set {name}: operation {failed.operation_id} ({failed.action}) {failed.status}: {reason}")
    return 0


def _check_roles(session, plan, existing) -> None:
    """Self-managed: the administration role in this account and the execution role in each
    target account must exist; the missing ones are named (exit 1)."""
    from wizard.aws import stacksets as ss

    admin = ss.ADMINISTRATION_ROLE
    if existing and existing.administration_role_arn:
        admin = existing.administration_role_arn.rsplit("/", 1)[-1]
    execution = (existing.execution_role_name if existing else None) or ss.EXECUTION_ROLE
    progress("Checking the roles of a self-managed stack set")
    checks = ss.check_roles(session, plan.accounts, administration_role=admin, execution_role=execution)
    for check in checks:
        state = {True: "found", False: "MISSING", None: "not visible from this account: create it there"}[check.found]
        print(f"  role {check.role} in account {check.account}: {state} ({check.purpose})", file=sys.stderr)
    missing = [c for c in checks if c.found is False]
    if missing:
        names = "; ".join(f"{c.role} in account {c.account}" for c in missing)
        raise GateTripped(f"self-managed stack sets need {names}: create them as {ss.ROLES_GUIDE} shows "
                          "(or use --permission-model service-managed with AWS Organizations)")


def _check_organizations_access(session) -> None:
    """Service-managed: StackSets' trusted access with AWS Organizations must be activated."""
    from wizard.aws import stacksets as ss

    access = ss.organizations_access(session)
    print(f"  trusted access with AWS Organizations: {access or 'could not be read by this caller'}", file=sys.stderr)
    if access == "DISABLED":
        raise GateTripped("service-managed stack sets need StackSets' trusted access with AWS Organizations: activate "
                          "it from the management account (aws cloudformation activate-organizations-access)")


def _confirmed(name: str) -> bool:
    print(f"Deploy stack set {name}? Type its name to confirm: ", end="", file=sys.stderr, flush=True)
    answer = input()
    return answer.strip() == name


def run_status(args: argparse.Namespace) -> int:
    from wizard.aws import stacksets as ss
    from wizard.aws.session import make_session
    from wizard.cfn.template import parse_template
    from wizard.fleet.plan import plan_fleet
    from wizard.fleet.status import fleet_status
    from wizard.fleet.text import status_text
    from wizard.flow.profiles import load_profile
    from wizard.flow.stack import template_for
    from wizard.flow.terminal import use_colour

    if args.endpoint_url is not None:
        from wizard.aws.session import check_endpoint_url

        check_endpoint_url(args.endpoint_url)
    _check_stack_set_name(args.stack_set_name)
    chosen_template = template_for(args.template) if args.template else None
    if args.profile:
        load_profile(args.profile)
    name = args.stack_set_name
    session = make_session(profile=args.aws_profile, region=args.region, endpoint_url=args.endpoint_url)
    progress(f"Reading stack set {name} in {session.region}")
    state = ss.read_stack_set(session, name)
    if state is None:
        raise AwsError(f"no stack set named {name} in {session.region} (the stack set's home region: --region)")
    profile = args.profile or state.profile
    plan, note = None, None
    if profile is None:
        note = "No profile to compare with: give --profile (a stack set deployed by fleet deploy names its own)."
    else:
        try:
            template = chosen_template or parse_template(state.template_body or "", f"stack set {name}")
            accounts = load_profile(profile).accounts
            pairs = [(i.account, i.region) for i in state.instances if i.account in accounts]
            plan = plan_fleet(profile, template, pairs=pairs, stack_name=name)
        except InputError as exc:
            if args.profile:
                raise
            note = f"Profile {profile} (recorded on the stack set) cannot be compared: {exc}"
    status = fleet_status(name, state.parameters, state.instances, plan, note=note)
    if args.json:
        _emit(status.to_json())
    else:
        sys.stdout.write(status_text(status, use_colour()))
    if args.fail_on_difference and status.differs:
        raise GateTripped(f"stack set {name} runs something other than profile {profile} says (--fail-on-difference)")
    return 0
