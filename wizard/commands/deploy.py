"""The wizard itself: the Textual screens, ``--plain`` line prompts, or ``--answers`` headless.

All three faces take the same options and end the same way: a validated parameter file
(two with the "harden after" timeline) and a summary of what the choices change.
"""

from __future__ import annotations

import argparse
import sys

from wizard.errors import GateTripped, InputError


def add_options(parser: argparse.ArgumentParser) -> None:
    """Options of the wizard run (no subcommand)."""
    face = parser.add_argument_group("running the wizard")
    face.add_argument("--answers", metavar="FILE",
                      help="run headless from an answers file (YAML or JSON; see examples/answers.yaml)")
    face.add_argument("--plain", action="store_true", help="ask the questions as line prompts instead of screens")
    face.add_argument("--profile", metavar="NAME",
                      help="start from a deployment mode (standard, restricted, enterprise) or a saved profile")
    face.add_argument("--template", "-t", metavar="FILE", help="template (default: the embedded Quilt template)")
    face.add_argument("--stack-name", metavar="NAME", help="stack name (default: quilt)")
    face.add_argument("--region", metavar="REGION", help="deployment region (default: us-east-1)")
    face.add_argument("--account-id", metavar="ID", help="target AWS account id; selects a profile's account overrides")
    face.add_argument("--set", dest="set_values", action="append", default=[], metavar="KEY=VALUE",
                      help="a template parameter value; repeatable; wins over everything else")
    face.add_argument("--out", "-o", metavar="PATH",
                      help="parameter file to write (default: quilt-parameters.json; quilt.auto.tfvars.json for tfvars)")
    face.add_argument("--format", choices=("cfn", "overrides", "codepipeline", "tfvars"), default=None,
                      help="cfn: CloudFormation CLI list; overrides: Key=Value lines for `aws cloudformation "
                           "deploy`; codepipeline: template configuration; tfvars: *.auto.tfvars.json for the "
                           "vendor's Terraform module (default: cfn)")
    face.add_argument("--baseline", metavar="MODE|PROFILE|FILE",
                      help="what the permission diff compares against (default: the standard mode)")
    face.add_argument("--json", action="store_true", help="print the summary as one JSON object")
    face.add_argument("--fail-on-broadening", action="store_true",
                      help="exit 1 when the result broadens access or weakens a security control compared "
                           "with the baseline")
    face.add_argument("--fail-on-weakening", action="store_true",
                      help="exit 1 when the result weakens a security control (encryption, TLS, logging, "
                           "an internet-facing load balancer) compared with the baseline")
    face.add_argument("--force", action="store_true", help="overwrite an existing parameter file (keeps PATH.bak)")
    face.add_argument("--no-harden", action="store_true",
                      help="with --answers or --plain: analyse a template without the promised options as it is, "
                           "instead of applying the hardening overlay")
    from wizard.commands import aws_steps

    aws_steps.add_options(parser)


def run(args: argparse.Namespace) -> int:
    from wizard.commands import aws_steps

    aws_steps.check_usage(args)
    if args.out is not None and not args.out.strip():
        raise InputError("expected a file path, found an empty name", where="--out")
    from wizard.commands.inputs import check_stack_name

    check_stack_name(args.stack_name)
    if aws_steps.wanted(args) and not args.answers:
        raise InputError("--preflight and --create-change-set run with --answers FILE (in the wizard, "
                         "they are steps after the review)", where="--preflight")
    if args.answers and args.plain:
        raise InputError("choose --answers (headless) or --plain (prompts), not both", where="--answers")
    if args.answers:
        return run_headless(args)
    if args.plain:
        from wizard.flow.prompts import run_prompts

        return run_prompts(args, after=lambda flow: offer_aws_steps(args, flow))
    return _tui()(args)


def _tui():
    """The Textual face, found through the ``quilt_wizard.faces`` entry point (the core never
    imports the UI package)."""
    from importlib.metadata import entry_points

    for entry in entry_points(group="quilt_wizard.faces", name="tui"):
        try:
            return entry.load()
        except ModuleNotFoundError as exc:
            missing = exc.name or "a module"
            raise InputError(f"the Textual wizard cannot start ({missing} is missing); "
                             "use --plain or --answers FILE") from None
    raise InputError("the Textual wizard is not installed; use --plain or --answers FILE")


def run_headless(args: argparse.Namespace) -> int:
    from wizard.flow.answers import load_answers_file
    from wizard.commands import aws_steps
    from wizard.flow.headless import findings_for, plan_arguments, plan_deployment, summary_text, write_deployment
    from wizard.flow.paramfile import parse_assignments
    from wizard.flow.terminal import use_colour
    from wizard.commands.inputs import check_stack_name

    answers = load_answers_file(args.answers)
    plan = plan_arguments(answers, template=args.template, profile=args.profile, stack_name=args.stack_name,
                          region=args.region, account_id=args.account_id,
                          settings=parse_assignments(args.set_values), out=args.out, fmt=args.format,
                          baseline=args.baseline, harden=not args.no_harden)
    template, pseudo = plan["template"], plan["pseudo"]
    check_stack_name(pseudo.stack_name, where=f"{args.answers}: /stack/name")
    deployment = plan_deployment(**plan)
    left_out = deployment.plan.left_out_warning()
    if left_out and args.json:  # the text summary says it in its place
        print(f"quilt-wizard: warning: {left_out}", file=sys.stderr)
    expected_account = args.account_id or answers.stack.get("account_id")
    outcome = aws_steps.AwsOutcome()
    session = None
    if args.create_change_set and not args.template_bucket:
        aws_steps.check_profile_template_buckets(plan["mode"], expected_account)
    if aws_steps.wanted(args):
        session = aws_steps.session_for(args, pseudo.region)
    if args.preflight:
        outcome.preflight = aws_steps.run_preflight_step(args, session, dict(deployment.values.raw),
                                                         pseudo.stack_name, expected_account,
                                                         attached_aws_policies(template, deployment, pseudo),
                                                         target_account=pseudo.account_id, deployment=deployment,
                                                         parameter_types=parameter_types(template))
        current = outcome.preflight.baseline_parameters
        if current and not plan["baseline"]:
            # Updating a stack: compare with what is deployed, not with a mode.
            deployment = plan_deployment(**plan, baseline_parameters=current)
    findings = findings_for(deployment)
    if outcome.preflight is not None:
        from wizard.findings.access_analyzer import analyzer_findings

        # AWS's findings (IAM Access Analyzer, with --access-analyzer) join ours, marked as AWS's.
        findings = findings + analyzer_findings(outcome.preflight)
    # Every gate is decided before anything is written: a tripped gate writes nothing.
    tripped = gates(args, deployment, outcome)
    if not tripped:
        bucket = None
        if args.create_change_set:  # read only: a refusal (the KMS key, the bucket) writes nothing
            bucket = aws_steps.plan_template_bucket(args, session, template.text, plan["mode"], expected_account)
        written = write_deployment(deployment, force=args.force)
        if args.create_change_set:
            first = deployment.phases[0].values
            with aws_steps.telling_what_is_left(written, outcome):
                aws_steps.run_change_set_step(
                    args, session, outcome, template, dict(first.raw), pseudo.stack_name, expected_account,
                    dict(deployment.tags), plan["mode"], bucket=bucket)
                if args.execute:
                    aws_steps.confirm_and_execute(args, session, outcome)
    if args.json:
        summary = deployment.summary_json(findings)
        summary["written"] = not tripped
        summary["left_out"] = {layer: list(names) for layer, names in deployment.plan.left_out.items()}
        if aws_steps.wanted(args):
            summary["aws"] = outcome.to_json()
        from wizard.commands.json_text import dumps

        sys.stdout.write(dumps(summary) + "\n")  # one write, not thousands
    else:
        sys.stdout.write(summary_text(deployment, colour=use_colour(), findings=findings, written=not tripped))
        _print_aws(outcome)
    if tripped:
        raise GateTripped(f"{'; '.join(tripped)}; nothing was written")
    aws_steps.gate(outcome)  # a deployment that failed (exit 3)
    return 0


def gates(args: argparse.Namespace, deployment, outcome) -> list[str]:
    """The policy gates that trip for this deployment (each a reason); checked before writing."""
    from wizard.commands import aws_steps

    tripped = []
    reason = aws_steps.gate_reason(outcome)
    if reason:
        tripped.append(reason)
    from wizard.iam.diff import verdict_gate

    checked = [(deployment.diff, "the deployment, compared with the baseline,")]
    if len(deployment.phases) > 1:
        checked.append((deployment.phases[0].diff, "phase 1, compared with the baseline,"))
    for diff, what in checked:
        try:
            verdict_gate(diff, broadening=args.fail_on_broadening,
                         weakening=getattr(args, "fail_on_weakening", False), what=what)
        except GateTripped as exc:
            tripped.append(str(exc))
            break
    return tripped


def offer_aws_steps(args: argparse.Namespace, flow) -> None:
    """The end of ``--plain``: offer the preflight, then the change set (never executed here).

    A failed preflight refuses the change set unless the operator types ``override``, as in the
    wizard."""
    from wizard.aws import render_preflight, render_change_set
    from wizard.commands import aws_steps

    deployment, asker = flow.deployment, flow.asker
    pseudo = deployment.pseudo
    question = "Run the preflight against AWS now (read-only checks of the account)?"
    if getattr(args, "access_analyzer", False):
        question = ("Run the preflight against AWS now (read-only checks of the account, and IAM Access Analyzer's "
                    "checks of every policy: CheckNoNewAccess and CheckAccessNotGranted are billed per call)?")
    if not asker.confirm(question, False):
        return
    session = aws_steps.session_for(args, pseudo.region)
    report = aws_steps.run_preflight_step(
        args, session, dict(deployment.values.raw), pseudo.stack_name, args.account_id,
        attached_aws_policies(deployment.template, deployment, pseudo), target_account=pseudo.account_id,
        deployment=deployment, parameter_types=parameter_types(deployment.template))
    flow.say(render_preflight(report).rstrip())
    if not asker.confirm("Create a change set with the first file's parameters (it is not executed)?", False):
        return
    if not report.ok and asker.text(f"The preflight failed ({', '.join(report.failed)}). Type override to "
                                    "create the change set anyway", "") != "override":
        flow.say("No change set created.")
        return
    if not getattr(args, "template_bucket", None) and len(deployment.template.text.encode()) > 51_200:
        args.template_bucket = asker.text("Template bucket (S3, the template is over the inline limit)", "")
    outcome = aws_steps.AwsOutcome()
    aws_steps.run_change_set_step(args, session, outcome, deployment.template,
                                  dict(deployment.phases[0].values.raw), pseudo.stack_name, args.account_id,
                                  dict(deployment.tags), args.profile)
    flow.say(render_change_set(outcome.change_set, outcome.security).rstrip())
    flow.say("Not executed: run `aws cloudformation execute-change-set` when you mean it.")


def _print_aws(outcome) -> None:
    if outcome.preflight is not None:
        from wizard.aws import render_preflight

        sys.stdout.write("\n" + render_preflight(outcome.preflight).rstrip() + "\n")
    if outcome.change_set is not None:
        from wizard.aws import render_change_set

        sys.stdout.write("\n" + render_change_set(outcome.change_set, outcome.security,
                                                   executed=outcome.executed).rstrip() + "\n")
    if outcome.deployment is not None:
        from wizard.aws.events import render_follow

        sys.stdout.write("\n" + render_follow(outcome.deployment))


def attached_aws_policies(template, deployment, pseudo) -> tuple[str, ...]:
    """The AWS managed policies the deployment attaches, for the preflight's version check."""
    from wizard.iam.analysis import analyse
    from wizard.iam.managed_policies import attached

    return attached(analyse(template, dict(deployment.values.raw), pseudo).grants)


def parameter_types(template) -> dict[str, str]:
    """Each parameter's declared Type, for the preflight's checks of what AWS-specific types name."""
    return {name: spec.type for name, spec in template.parameters.items()}
