"""``quilt-wizard harden``: the vendor's template with the promised security options added.

Reads a CloudFormation template (the vendor's real one, typically), applies the hardening
overlay (``assets/overlays/quilt/``) and writes the hardened template: to ``--out`` (atomically,
never over an existing file without ``--force``) or to standard output. Beside it, rule by rule,
what each rule matched and what it adds, which rules matched nothing (a warning, exit 0) and
which options need a change by the vendor. The account is never contacted.
"""

from __future__ import annotations

import argparse
import sys

from wizard.commands import json_text
from wizard.commands.inputs import add_json_option, template_from
from wizard.errors import InputError


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "harden", help="add the promised security options to a vendor template",
        description="Apply the hardening overlay to a template: every promised security option becomes "
                    "a parameter whose default is the vendor's behaviour (so at the defaults the "
                    "template grants exactly what the vendor's does). Prints rule by rule what matched "
                    "and what it adds, and what only the vendor can change.")
    parser.add_argument("--template", "-t", metavar="FILE",
                        help="the vendor's CloudFormation template, YAML or JSON (default: the embedded "
                             "model, which already has every option)")
    parser.add_argument("--out", "-o", metavar="FILE",
                        help="write the hardened template here (default: standard output, the report then "
                             "goes to standard error)")
    parser.add_argument("--force", action="store_true", help="replace an existing --out file (keeps FILE.bak)")
    parser.add_argument("--overlay", metavar="DIR", help=argparse.SUPPRESS)
    add_json_option(parser)
    parser.set_defaults(handler=run)


def report_text(hardening) -> str:
    """Rule by rule: the status, what matched, what it adds; then warnings and notes."""
    from wizard.overlay.apply import APPLIED, VENDOR

    overlay = hardening.overlay
    lines = [f"Hardened {hardening.vendor.source} (sha256 {hardening.vendor_sha256[:12]}) with the "
             f"{overlay.name} overlay {overlay.version}:"]
    for outcome in hardening.outcomes:
        rule = outcome.rule
        concerns = ", ".join(str(c) for c in rule.concerns)
        head = f"  {outcome.status:<16} {rule.parameter} ({rule.id}, concern {concerns})"
        if outcome.status == VENDOR:
            lines.append(f"{head}: needs a change by the vendor. {rule.needs_vendor}")
            continue
        lines.append(head)
        if outcome.status != APPLIED:
            continue
        for step in outcome.steps:
            if step.matches:
                shown = ", ".join(m.label for m in step.matches[:6])
                more = f" and {len(step.matches) - 6} more" if len(step.matches) > 6 else ""
                lines.append(f"      matched {step.name}: {shown}{more}")
            for says in step.says:
                lines.append(f"        + {says}")
        if rule.preflight:
            lines.append(f"      preflight: {rule.preflight}")
    added = hardening.added_parameters
    lines.append(f"Parameters added ({len(added)}): {', '.join(added) if added else 'none'}; "
                 "every default is the vendor's behaviour.")
    lines += [f"warning: {w}" for w in hardening.warnings]
    lines += [f"note: {n}" for n in hardening.notes]
    return "\n".join(lines) + "\n"


def run(args: argparse.Namespace) -> int:
    from wizard.atomic import check_output, write_output
    from wizard.overlay import harden, load_overlay

    template = template_from(args, harden=False)
    overlay = load_overlay(args.overlay) if args.overlay else load_overlay()
    if args.out:
        check_output(args.out, force=args.force)
    hardening = harden(template, overlay)
    report = json_text.dumps(hardening.to_json()) + "\n" if args.json else report_text(hardening)
    if args.out:
        try:
            write_output(args.out, hardening.text, force=args.force)
        except OSError as exc:
            raise InputError(f"cannot write: {exc.strerror or exc}", file=args.out, where="--out") from None
        sys.stdout.write(report)
        if not args.json:
            sys.stdout.write(f"Wrote {args.out}\n")
    else:
        sys.stdout.write(hardening.text)
        sys.stdout.flush()
        sys.stderr.write(report)
    return 0
