"""``quilt-wizard grants``: every IAM grant and network opening of an evaluated template."""

from __future__ import annotations

import argparse
import sys

from wizard.commands.inputs import add_analysis_options, evaluation_from
from wizard.findings.gate import add_fail_on_option, findings_gate


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "grants", help="list the IAM grants and network openings a template creates",
        description="Evaluate a template and list every IAM statement it creates (identity policies, "
                    "resource policies, trust policies), grouped by principal with AWS access levels, "
                    "and every network opening (security-group rules, listeners, scheme, ports).")
    add_analysis_options(parser)
    add_fail_on_option(parser)
    parser.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    from wizard.iam.grants import extract, not_analysed
    from wizard.iam.network import network_rules

    evaluation = evaluation_from(args)
    evaluation.check_renders()  # the whole template, so that grants refuses what render refuses
    grants = extract(evaluation)
    rules = network_rules(evaluation)
    skipped = not_analysed(evaluation)
    unresolved = list(evaluation.parameters.unresolved)
    if args.json:
        from wizard.commands.json_text import dumps

        # one write of the whole text (json.dump writes each of its thousands of pieces separately)
        sys.stdout.write(dumps({"grants": [g.to_json() for g in grants], "network": [r.to_json() for r in rules],
                                "not_analysed": [s.to_json() for s in skipped], "unresolved": unresolved}))
        sys.stdout.write("\n")
    else:
        from wizard.flow.terminal import grants_text, use_colour
        from wizard.iam.carriers import not_analysed_text

        sys.stdout.write(grants_text(grants, rules, unresolved, colour=use_colour()))
        sys.stdout.write(not_analysed_text(skipped))
    findings_gate(evaluation, grants, rules, args.fail_on)
    return 0
