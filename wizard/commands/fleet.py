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
import sys
from typing import Any

from wizard.commands.aws_options import add_connection_options
from wizard.commands.fleet_deploy import PERMISSION_MODELS, check_stack_set_name, parse_ous
from wizard.errors import AwsError, GateTripped, InputError


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
    add_connection_options(group, region="the stack set's home region (default: the AWS profile's region)")


def progress(line: str) -> None:
    print(f"  ... {line}", file=sys.stderr, flush=True)


def _emit(data: Any) -> None:
    json.dump(data, sys.stdout, indent=2, default=str)
    sys.stdout.write("\n")


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

    check_stack_set_name(args.stack_set_name)
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
    check_stack_set_name(args.stack_set_name)
    if args.template_bucket is not None:
        from wizard.aws.template_bucket import check_bucket_name

        check_bucket_name(args.template_bucket, where="--template-bucket")
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


def run_deploy(args: argparse.Namespace) -> int:
    from wizard.aws.session import make_session
    from wizard.aws.stacksets import preferences
    from wizard.commands.fleet_deploy import check_template_size, deploy_fleet, prepare_fleet
    from wizard.fleet.text import instances_text, plan_text
    from wizard.flow.terminal import use_colour

    asked_model = _check_deploy_usage(args)
    ous = parse_ous(args.ous)
    plan = _plan(args)
    check_template_size(plan, args.template_bucket)
    colour = use_colour()
    out = sys.stderr if args.json else sys.stdout
    out.write(plan_text(plan, colour))
    name = args.stack_set_name
    session = make_session(profile=args.aws_profile, region=args.region, endpoint_url=args.endpoint_url,
                           deadline=args.aws_deadline)
    prepared = prepare_fleet(session, plan, name, model=asked_model, ous=ous, on_progress=progress)
    for check in prepared.checks:
        print(f"  {check.text}", file=sys.stderr)
    if prepared.problem:
        raise GateTripped(prepared.problem)
    out.write("\nDeployment\n" + "".join(f"  {s}\n" for s in prepared.steps(plan))
              + f"  acknowledge {prepared.acknowledged()}\n")
    out.flush()
    if not args.yes and not _confirmed(name):
        print("Not deployed.", file=sys.stderr)
        return 0
    outcome = deploy_fleet(session, plan, prepared, template_bucket=args.template_bucket,
                           options=preferences(args.max_concurrent, args.failure_tolerance), on_progress=progress)
    if args.json:
        _emit(outcome.to_json(plan))
    else:
        sys.stdout.write("\n" + instances_text(outcome.instances, colour))
    if outcome.failure:
        raise AwsError(outcome.failure)
    return 0


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
    check_stack_set_name(args.stack_set_name)
    chosen_template = template_for(args.template) if args.template else None
    if args.profile:
        load_profile(args.profile)
    name = args.stack_set_name
    session = make_session(profile=args.aws_profile, region=args.region, endpoint_url=args.endpoint_url,
                           deadline=args.aws_deadline)
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
