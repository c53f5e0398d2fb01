"""``quilt-wizard audit``: what a deployed stack's account really grants, judged day after day."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from wizard.commands.aws_options import add_connection_options
from wizard.errors import InputError
from wizard.findings.gate import add_fail_on_option, check_gate

REPORT_MD = "audit-report.md"
REPORT_HTML = "audit-report.html"


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "audit", help="compare a deployed stack's IAM with its template and judge run-time policies",
        description="Read a deployed stack's template and parameters, and what IAM, S3, SNS, SQS and KMS hold "
                    "for its principals and resources; report drift, every IAM policy under "
                    "/quilt/STACK/REGION/ with its versions (and who created them, from CloudTrail), and each "
                    "run-time statement outside the envelope the deployment chose.")
    parser.add_argument("--stack-name", required=True, metavar="NAME", help="the deployed stack")
    add_connection_options(parser, region="the stack's region (default: the profile's)")
    parser.add_argument("--json", action="store_true", help="print JSON for a machine to read")
    parser.add_argument("--out", metavar="DIR", help=f"write {REPORT_MD} and {REPORT_HTML} into this folder")
    parser.add_argument("--force", action="store_true", help="with --out: replace an existing audit report")
    add_fail_on_option(parser)
    parser.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    from wizard.audit.verdict import audit
    from wizard.aws.deployed import read_holdings
    from wizard.aws.session import make_session

    out = _check_out(args.out, args.force)
    session = make_session(profile=args.aws_profile, region=args.region, endpoint_url=args.endpoint_url,
                           deadline=args.aws_deadline)
    holdings = read_holdings(session, args.stack_name, on_progress=_progress())
    result = audit(holdings)
    written = _write(out, result) if out else ()
    if args.json:
        data = result.to_json()
        data["files"] = [str(p) for p in written]
        json.dump(data, sys.stdout, indent=2, default=str)
        sys.stdout.write("\n")
    else:
        sys.stdout.write(_text(result, written))
    check_gate(result.findings, args.fail_on)
    return 0


def _check_out(folder: str | None, force: bool) -> Path | None:
    """The report folder, refused before anything is read when it would overwrite a report."""
    if not folder:
        if force:
            raise InputError("--force only applies to --out", where="--force")
        return None
    out = Path(folder)
    if out.exists() and not out.is_dir():
        raise InputError("exists and is not a folder", file=str(out), where="--out")
    existing = [name for name in (REPORT_MD, REPORT_HTML) if (out / name).exists()]
    if existing and not force:
        raise InputError(f"{', '.join(existing)} already there; give --force to replace", file=str(out),
                         where="--out")
    return out


def _write(out: Path, result) -> tuple[Path, Path]:
    from wizard.atomic import write_atomic
    from wizard.audit.document import audit_blocks
    from wizard.flow.report import to_html, to_markdown

    blocks = audit_blocks(result)
    md_path, html_path = out / REPORT_MD, out / REPORT_HTML
    try:
        write_atomic(md_path, to_markdown(blocks))
        write_atomic(html_path, to_html(blocks))
    except OSError as exc:
        raise InputError(f"cannot write the audit report: {exc.strerror or exc}", file=str(out),
                         where="--out") from None
    return md_path, html_path


def _progress():
    """One line per step on standard error; counts overwrite each other at a terminal."""
    interactive = sys.stderr.isatty()
    state = {"open": False}

    def show(line: str) -> None:
        counting = "/" in line.split(":", 1)[0]
        if interactive and counting:
            sys.stderr.write("\r\033[K  ... " + line[:150])
            state["open"] = True
        else:
            if state["open"]:
                sys.stderr.write("\n")
                state["open"] = False
            if not counting or not interactive:
                sys.stderr.write(f"  ... {line}\n")
        sys.stderr.flush()

    return show


def _text(result, written) -> str:
    from wizard.findings import severity_summary

    stack = result.holdings.stack
    lines = [f"Stack {stack.name} ({stack.status}) in {stack.account_id} {stack.region}",
             f"  compared {len(result.comparisons)} places, "
             f"{sum(len(c.comparison.matched) for c in result.comparisons)} statements as the template says, "
             f"{len(result.drift)} differences",
             f"  policies: {len(result.policies)} ({len(result.run_time_policies)} created at run time or "
             f"outside the path) under {result.holdings.path_prefix}"]
    if result.holdings.cloudtrail:
        lines.append(f"  CloudTrail unavailable: {result.holdings.cloudtrail}")
    lines.append(f"Findings: {severity_summary(result.findings)}")
    for finding in result.findings:
        lines.append(f"  {finding.severity.upper():8} {finding.rule_id} {finding.subject}: {finding.message}")
    for label, kind, statement in result.drift:
        lines.append(f"  drift: {label}: {'only in AWS' if kind == 'unexplained' else 'only in the template'}: "
                     f"{statement.brief()}")
    if written:
        lines.append(f"Wrote {written[0]} and {written[1]}")
    return "\n".join(lines) + "\n"
