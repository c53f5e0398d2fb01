"""Options shared by every command that evaluates a template, and turning them into objects.

``--template``, ``--params``, ``--set`` and the pseudo parameters (``--stack-name``,
``--region``, ``--account-id``) mean the same thing everywhere; ``diff`` adds a second,
"from" side with ``--from-params`` and ``--from``.
"""

from __future__ import annotations

import argparse
import re
from pathlib import Path

from wizard.cfn.evaluate import Evaluation
from wizard.errors import InputError
from wizard.flow.paramfile import parse_assignments, read_parameter_file
from wizard.cfn.parameters import resolve_parameters
from wizard.cfn.pseudo import Pseudo
from wizard.flow.stack import pseudo_for, template_for
from wizard.cfn.template import Template


def add_template_option(parser: argparse.ArgumentParser) -> None:
    """``--template``: any CloudFormation template; the embedded Quilt template by default.

    ``--harden`` analyses the template with the hardening overlay applied (``quilt-wizard harden``).
    """
    parser.add_argument("--template", "-t", metavar="FILE",
                        help="CloudFormation template, YAML or JSON (default: the embedded, hardened "
                             "Quilt template)")
    parser.add_argument("--harden", action="store_true",
                        help="apply the hardening overlay first (the vendor's template with the promised "
                             "options as parameters, as 'quilt-wizard harden' writes it)")


def add_pseudo_options(parser: argparse.ArgumentParser) -> None:
    """The pseudo parameters of the stack being analysed."""
    group = parser.add_argument_group("stack")
    group.add_argument("--stack-name", default="quilt", metavar="NAME",
                       help="AWS::StackName (default: quilt)")
    group.add_argument("--region", default=None, metavar="REGION",
                       help="AWS::Region (default: us-east-1); the partition follows from it")
    group.add_argument("--account-id", default=None, metavar="ID",
                       help="AWS::AccountId (default: 123456789012)")


def add_parameter_options(parser: argparse.ArgumentParser) -> None:
    """``--params FILE`` and ``--set KEY=VALUE``: the parameter values to evaluate with."""
    group = parser.add_argument_group("parameters")
    group.add_argument("--params", metavar="FILE",
                       help="parameter file: CloudFormation CLI list, CodePipeline "
                            '{"Parameters": ...} or KEY=VALUE lines')
    group.add_argument("--set", dest="set_values", action="append", default=[], metavar="KEY=VALUE",
                       help="a parameter value; repeatable; wins over --params")


def add_json_option(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--json", action="store_true", help="print JSON for a machine to read")


def add_analysis_options(parser: argparse.ArgumentParser) -> None:
    """Template, parameter values, stack and ``--json``: what every analysis command takes."""
    add_template_option(parser)
    add_parameter_options(parser)
    add_pseudo_options(parser)
    add_json_option(parser)


def template_from(args: argparse.Namespace, *, harden: bool | None = None) -> Template:
    """The template named by ``--template`` (or the embedded one), hardened with ``--harden``.

    The overlay's warnings (rules that matched nothing, options that need the vendor) go to
    standard error, one line each, so that the analysis on standard output stays clean.
    """
    template = template_for(getattr(args, "template", None))
    if harden is None:
        harden = getattr(args, "harden", False)
    if not harden:
        return template
    import sys

    from wizard.overlay import harden as apply_overlay

    hardening = apply_overlay(template)
    for line in hardening.warnings + [f"{o.rule.parameter}: needs a change by the vendor" for o in hardening.needs_vendor]:
        print(f"quilt-wizard: harden: {line}", file=sys.stderr)
    return hardening.template


def pseudo_from(args: argparse.Namespace) -> Pseudo:
    check_stack_name(args.stack_name)
    return pseudo_for(None, args.stack_name, args.region, args.account_id)


_STACK_NAME = re.compile(r"[A-Za-z][-A-Za-z0-9]{0,127}")


def check_stack_name(name: str | None, where: str = "--stack-name") -> None:
    """CloudFormation's rule for stack names, checked before anything is read or uploaded."""
    if name is not None and not _STACK_NAME.fullmatch(name):
        raise InputError(f"expected a stack name (a letter, then letters, digits and '-', at most 128), "
                         f"found {name[:140]!r}", where=where)


def given_values(params_file: str | None, assignments: list[str], flag: str = "--set") -> tuple[dict, dict]:
    """Values from a parameter file overlaid with ``KEY=VALUE`` settings, and where each came from."""
    values: dict[str, str] = {}
    origin: dict[str, str] = {}
    if params_file:
        values.update(read_parameter_file(params_file))
        origin.update({k: str(Path(params_file)) for k in values})
    settings = parse_assignments(assignments, flag)
    values.update(settings)
    origin.update({k: flag for k in settings})
    return values, origin


def evaluation_from(args: argparse.Namespace, template: Template | None = None, *,
                    params_file: str | None = None, assignments: list[str] | None = None,
                    flag: str = "--set") -> Evaluation:
    """An Evaluation of the chosen template for the values the options give."""
    template = template or template_from(args)
    if params_file is None and assignments is None:
        params_file, assignments = args.params, args.set_values
    values, origin = given_values(params_file, assignments or [], flag)
    parameters = resolve_parameters(template, values, origin=origin)
    return Evaluation(template, parameters, pseudo_from(args))
