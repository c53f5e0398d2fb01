"""``quilt-wizard report``: the security documentation package for one set of parameters."""

from __future__ import annotations

import argparse
import sys
from collections import Counter
from pathlib import Path

from wizard.commands.inputs import add_analysis_options, evaluation_from
from wizard.errors import InputError
from wizard.findings.gate import add_fail_on_option, check_gate


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "report", help="write the security report (Markdown and HTML) for a template",
        description="Evaluate a template and write the security documentation package into a folder: "
                    "security-report.md and a self-contained security-report.html with the deployment "
                    "parameters (NoEcho masked), the findings mapped to compliance controls, every "
                    "principal's exact policies, the network flows and the pre-deployment checklist.")
    add_analysis_options(parser)
    parser.add_argument("--answers", metavar="FILE",
                        help="take template, stack, mode and parameters from an answers file (as the headless "
                             "run does); the report then records the deployment mode and the answers; with "
                             "the 'harden after' timeline phase 1's report is written to DIR/phase-1 too")
    parser.add_argument("--profile", metavar="NAME", help="with --answers: the mode or profile to start from")
    parser.add_argument("--frameworks", metavar="LIST",
                        help="compliance frameworks to map, comma-separated: soc2, hipaa, pci-dss, iso27001, "
                             "cis-aws (default: all); their findings come first")
    parser.add_argument("--out", required=True, metavar="DIR", help="folder to write the report into")
    parser.add_argument("--force", action="store_true",
                        help="replace a report already in the folder (the old files are kept as .bak)")
    add_fail_on_option(parser)
    parser.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    from wizard.findings import parse_frameworks
    from wizard.iam.grants import extract
    from wizard.iam.network import network_rules
    from wizard.errors import GateTripped
    from wizard.flow.report import prepare_package, write_packages

    frameworks = parse_frameworks(args.frameworks)
    context: dict = {}
    first = None
    if args.answers:
        evaluation, context, first = _from_answers(args)
        frameworks = frameworks or context.get("frameworks") or None
    else:
        evaluation = evaluation_from(args)
        if args.harden:
            context["vendor"] = _vendor_section(args, evaluation, frameworks)
    # "Harden after" deploys phase 1 first: its report is written too (OUT/phase-1), and gated.
    # OUT comes first: phase 1's folder is made inside it.
    packages = [(args.out, evaluation, context, "")]
    if first is not None:
        packages = [(args.out, evaluation, context, "phase 2 (harden): "),
                    (str(Path(args.out) / "phase-1"), first, context, "phase 1 (deployed first): ")]
    # Everything is decided before anything is written (every folder and file, the overwrite
    # checks, the gate): a refusal leaves OUT as it was.
    prepared, made = [], ()
    for out, found_in, found_context, label in packages:
        try:
            package = prepare_package(out, found_in, extract(found_in), network_rules(found_in),
                                      frameworks=frameworks, context=found_context, force=args.force, made=made)
        except InputError as exc:
            raise InputError(exc.message, file=exc.file, where="--out") from None
        prepared.append((label, package))
        made = (*made, package.folder)
    tripped: GateTripped | None = None
    try:
        for _, package in reversed(prepared):  # phase 1 first, as it is deployed
            check_gate(package.findings, args.fail_on)
    except GateTripped as exc:
        tripped = exc  # the report is still written: it says why the gate tripped
    try:
        write_packages([package for _, package in prepared], force=args.force)
    except InputError as exc:
        raise InputError(exc.message, file=exc.file, where="--out") from None
    written = [(label, package.paths, package.findings) for label, package in reversed(prepared)]  # phase 1 first
    if args.json:
        document = [{"phase": label.rstrip(": ") or None, "files": [str(p) for p in paths],
                     "counts": dict(Counter(f.severity for f in findings)),
                     "findings": [f.to_json() for f in findings]} for label, paths, findings in written]
        from wizard.commands.json_text import dumps

        sys.stdout.write(dumps(document[-1] if len(document) == 1 else {**document[-1], "phases": document}) + "\n")
    else:
        for label, paths, findings in written:
            counts = Counter(f.severity for f in findings)
            summary = ", ".join(f"{counts[s]} {s}" for s in ("critical", "high", "medium", "low", "info")
                                if counts[s])
            sys.stdout.write(f"{label}Wrote {paths[0]} and {paths[1]}: {len(findings)} findings"
                             + (f" ({summary})" if summary else "") + "\n")
    if tripped is not None:
        raise tripped
    return 0


def _from_answers(args: argparse.Namespace):
    """The evaluation of an answers file's final parameters, and what the report records of it."""
    from wizard.iam.analysis import analyse
    from wizard.flow.answers import load_answers_file
    from wizard.flow.headless import plan_arguments, plan_deployment
    from wizard.flow.paramfile import parse_assignments
    from wizard.flow.report import deployment_context

    if args.params:
        raise InputError("give --answers or --params, not both", where="--params")
    answers = load_answers_file(args.answers)
    plan = plan_arguments(answers, template=args.template, profile=args.profile, region=args.region,
                          account_id=args.account_id, settings=parse_assignments(args.set_values),
                          stack_name=None if args.stack_name == "quilt" else args.stack_name)
    deployment = plan_deployment(**plan, require_complete=False)
    evaluation = analyse(deployment.template, deployment.values.raw, deployment.pseudo).evaluation
    context = deployment_context(deployment)
    if deployment.hardening is not None:
        from wizard.flow.posture import vendor_context

        context["vendor"] = vendor_context(deployment.hardening, deployment.values.raw, deployment.pseudo,
                                           context.get("frameworks") or None)
    first = None
    if len(deployment.phases) > 1:
        first = analyse(deployment.template, deployment.phases[0].values.raw, deployment.pseudo).evaluation
    return evaluation, context, first


def _vendor_section(args: argparse.Namespace, evaluation, frameworks) -> dict:
    """With --harden: the vendor's posture and what the given values change, for the report's lead."""
    from wizard.flow.posture import vendor_context
    from wizard.flow.stack import template_for
    from wizard.overlay import harden

    hardening = harden(template_for(args.template))
    return vendor_context(hardening, evaluation.parameters.raw, evaluation.pseudo, frameworks)
