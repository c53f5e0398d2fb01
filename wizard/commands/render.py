"""``quilt-wizard render``: the template as CloudFormation would see it for given values."""

from __future__ import annotations

import argparse
import json
import sys

from wizard.commands.inputs import add_analysis_options, evaluation_from
from wizard.cfn.serialize import to_yaml


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "render", help="print the evaluated template",
        description="Evaluate a template for the given parameters: only resources whose Condition "
                    "holds, every intrinsic function resolved (deployment-time values such as "
                    "Fn::GetAtt become symbolic ${Resource.Attribute} tokens). NoEcho values are "
                    "masked.")
    add_analysis_options(parser)
    parser.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    from wizard.cfn.parameters import mask_secrets

    evaluation = evaluation_from(args)
    rendered = mask_secrets(evaluation.rendered(), evaluation.parameters.secrets)
    if evaluation.parameters.unresolved:
        rendered["Unresolved"] = list(evaluation.parameters.unresolved)
    if args.json:
        sys.stdout.write(json.dumps(rendered, indent=2, default=str))  # one write, not thousands
        sys.stdout.write("\n")
    else:
        sys.stdout.write(to_yaml(rendered))
    return 0
