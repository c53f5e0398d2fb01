"""``quilt-wizard diff``: what a change of parameters adds to or removes from IAM and network."""

from __future__ import annotations

import argparse
import sys

from wizard.commands.inputs import (add_json_option, add_parameter_options, add_pseudo_options,
                                    add_template_option, evaluation_from, template_from)
from wizard.findings.gate import add_fail_on_option, findings_gate


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "diff", help="compare the grants and network openings of two parameter sets",
        description="Evaluate the template twice, the baseline ('from') and the new side, and show "
                    "the grants and network rules added and removed, with a semantic verdict: "
                    "narrowing a resource from * to a prefix is not broadening, a new action, "
                    "principal, attachment, ingress rule or listener is. Both sides start from the "
                    "template defaults. Then what stops working: every access the baseline grants that "
                    "the new side no longer does, with the option that removed it (cause), the Quilt "
                    "features it stops (affects), and the losses no option means (collateral).")
    add_template_option(parser)
    baseline = parser.add_argument_group("baseline")
    baseline.add_argument("--from-params", metavar="FILE", help="parameter file of the baseline")
    baseline.add_argument("--from", dest="from_values", action="append", default=[], metavar="KEY=VALUE",
                          help="a baseline parameter value; repeatable")
    add_parameter_options(parser)
    add_pseudo_options(parser)
    add_json_option(parser)
    parser.add_argument("--fail-on-broadening", action="store_true",
                        help="exit 1 when the change broadens access or weakens a security control (for CI)")
    parser.add_argument("--fail-on-weakening", action="store_true",
                        help="exit 1 when the change weakens a security control: encryption at rest or in "
                             "transit, logging, an internet-facing load balancer (for CI)")
    add_fail_on_option(parser)
    parser.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    from wizard.iam.diff import diff_evaluations, verdict_gate
    from wizard.flow.stops import costs_text
    from wizard.flow.terminal import Painter, diff_text, use_colour
    from wizard.overlay.costs import costs

    template = template_from(args)
    before = evaluation_from(args, template, params_file=args.from_params, assignments=args.from_values,
                             flag="--from")
    after = evaluation_from(args, template)
    result = diff_evaluations(before, after)
    lost = costs(after.template, before.parameters.raw, after.parameters.raw, after.pseudo)
    if args.json:
        from wizard.commands.json_text import dumps

        sys.stdout.write(dumps({**result.to_json(), **lost.to_json()}))  # one write, not thousands
        sys.stdout.write("\n")
    else:
        sys.stdout.write(diff_text(result, colour=use_colour()))
        sys.stdout.write(costs_text(lost, Painter(use_colour())))
    verdict_gate(result, broadening=args.fail_on_broadening, weakening=args.fail_on_weakening,
                 what="the change")
    findings_gate(after, None, None, args.fail_on)
    return 0
