"""``quilt-wizard approve``: the approver writes the policies a connected bucket needs.

Run with the approver's credentials (a session of ``PolicyApproverRole``) on a stack deployed with
``PolicyCreationMode=ManualApproval``. ``--bucket`` reads the stack's template, parameters and
policies, works out what the application needs for that bucket in each placeholder
(``wizard.audit.approval``), shows it as a grants diff against the current default version and
against the envelope, refuses whatever leaves the envelope (exit 2, one line naming the
statement), and writes the new default versions only after the bucket's name is typed (``--yes``
in scripts). ``--list`` shows what exists under the stack's path with every version, as the
audit lists it.
"""

from __future__ import annotations

import argparse
import sys

from wizard.commands.aws_options import add_connection_options
from wizard.errors import InputError


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "approve", help="manual approval: write the IAM policies a connected bucket needs, after review",
        description="For a stack deployed with PolicyCreationMode=ManualApproval, run with the approver's "
                    "credentials (PolicyApproverRole). --bucket shows the statements the application needs for "
                    "that bucket in each placeholder policy, as a grants diff against the current version and "
                    "against the envelope the deployment chose, refuses what leaves the envelope, and writes a new "
                    "default version of each after the bucket's name is typed (keeping IAM's limit of five "
                    "versions by deleting the oldest that is not the default). --list shows the stack's policies "
                    "and those under /quilt/STACK/REGION/ with their versions.")
    parser.add_argument("--stack-name", "--stack", dest="stack_name", required=True, metavar="NAME",
                        help="the deployed stack")
    what = parser.add_mutually_exclusive_group(required=True)
    what.add_argument("--bucket", metavar="BUCKET", help="the connected bucket to approve")
    what.add_argument("--list", action="store_true", help="list the policies under the stack's path and their versions")
    parser.add_argument("--yes", action="store_true", help="write without asking for the bucket's name (for scripts)")
    add_connection_options(parser, region="the stack's region (default: the profile's)")
    parser.set_defaults(handler=run)


def _progress(line: str) -> None:
    print(f"  ... {line}", file=sys.stderr, flush=True)


def run(args: argparse.Namespace) -> int:
    from wizard.audit.approval import require_manual_approval
    from wizard.aws.deployed import read_stack, read_stack_policies
    from wizard.aws.session import caller_identity, make_session

    if args.bucket is not None:
        from wizard.aws.template_bucket import check_bucket_name

        check_bucket_name(args.bucket, where="--bucket")
        if args.yes is False and not sys.stdin.isatty():
            raise InputError("writing needs the bucket's name typed at a terminal, or --yes", where="--bucket")
    elif args.yes:
        raise InputError("--yes only confirms --bucket", where="--yes")
    session = make_session(profile=args.aws_profile, region=args.region, endpoint_url=args.endpoint_url,
                           deadline=args.aws_deadline)
    identity = caller_identity(session)
    print(f"Acting as {identity.arn}", file=sys.stderr, flush=True)
    _progress(f"reading stack {args.stack_name}")
    stack = read_stack(session, args.stack_name)
    require_manual_approval(stack)
    holdings = read_stack_policies(session, stack, on_progress=_progress)
    if args.list:
        sys.stdout.write(_listing(holdings))
        return 0
    return _approve(args, session, holdings)


def _listing(holdings) -> str:
    from wizard.audit.approval import policy_records
    from wizard.audit.document import POLICY_COLUMNS, policy_rows
    from wizard.audit.expected import expected_of

    stack = holdings.stack
    rows = policy_rows(policy_records(holdings, expected_of(holdings)))
    lines = [f"Stack {stack.name} ({stack.status}) in {stack.account_id} {stack.region}: policies of the stack "
             f"and under {holdings.path_prefix}"]
    if not rows:
        return "\n".join(lines + ["  none"]) + "\n"
    table = [POLICY_COLUMNS, *rows]
    widths = [max(len(str(row[i])) for row in table) for i in range(len(POLICY_COLUMNS))]
    for row in table:
        lines.append("  " + "  ".join(str(cell).ljust(width) for cell, width in zip(row, widths)).rstrip())
    return "\n".join(lines) + "\n"


def _envelope_lines(envelope) -> list[str]:
    guardrail = ", ".join(s.sid or s.brief() for s in envelope.guardrail) or "none (EnableEnhancedSecurity is false)"
    return ["Envelope the deployment chose",
            f"  CustomerBucketPrefix  {envelope.bucket_prefix or 'none (every bucket)'}",
            f"  Athena workgroups     {', '.join(envelope.workgroups) or 'not bounded'}",
            f"  Deny statements       {guardrail}",
            f"  Path                  {envelope.path}"]


def approval_text(approval, colour: bool = False) -> str:
    """The approval as the approver reviews it: the envelope, then each placeholder's diff
    against its current version and the verdict of each new statement against the envelope."""
    from wizard.flow.terminal import Painter, diff_text

    paint = Painter(colour)
    stack = approval.stack
    lines = [paint(f"Stack {stack.name} ({stack.status}) in {stack.account_id} {stack.region}, "
                   f"PolicyCreationMode ManualApproval: bucket {approval.bucket}", "bold"), ""]
    lines += _envelope_lines(approval.envelope)
    for change in approval.changes:
        target, held = change.target, change.target.held
        holders = ", ".join(f"{k} {n}" for k, n in held.attached_to) if held else ""
        version = (f"default version {held.default_version} of {len(held.versions)}" if held else "not found in IAM")
        lines += ["", paint(f"{target.name} ({target.purpose})", "bold"),
                  f"  {target.arn}: {version}" + (f", attached to {holders}" if holders else "")]
        if not change.needed:
            lines.append(f"  already grants what bucket {approval.bucket} needs: nothing to write")
            continue
        current = held.default_version if held else "none"
        lines += ["  " + line for line in diff_text(change.diff, colour,
                                                    title=f"Against the current version ({current})").rstrip().splitlines()]
        lines.append("  Against the envelope")
        for brief, broken in change.verdicts:
            if broken:
                lines += [f"    {paint('outside', 'bold', 'red')}: {brief}: {rule} {detail}" for rule, detail in broken]
            else:
                lines.append(f"    within: {brief}")
        if change.drop:
            lines.append(f"  IAM keeps at most 5 versions: {change.drop}, the oldest that is not the default, "
                         "will be deleted first")
    return "\n".join(lines) + "\n"


def _approve(args: argparse.Namespace, session, holdings) -> int:
    from wizard.audit.approval import document_problem, plan_approval
    from wizard.aws.approval import write_version
    from wizard.flow.terminal import use_colour

    approval = plan_approval(holdings, args.bucket)
    sys.stdout.write(approval_text(approval, use_colour(sys.stdout)))
    sys.stdout.flush()
    refusals = approval.refusals
    if refusals:
        raise InputError(f"refused, outside the envelope: {refusals[0]}", where="--bucket")
    for change in approval.needed:
        problem = document_problem(change)
        if problem:
            raise InputError(problem, where="--bucket")
    needed = approval.needed
    if not needed:
        print(f"Nothing to write: bucket {args.bucket} is already approved.")
        return 0
    names = ", ".join(c.target.name for c in needed)
    if not args.yes:
        answer = input(f"Write a new default version of {names} for bucket {args.bucket}? "
                       "Type the bucket name to confirm: ")
        if answer.strip() != args.bucket:
            print("Not written.", file=sys.stderr)
            return 0
    else:
        _progress(f"writing {names} (confirmed by --yes)")
    for change in needed:
        target = change.target
        if change.drop:
            print(f"IAM keeps at most 5 versions of {target.name}: deleting {change.drop}, the oldest that is "
                  "not the default")
        version = write_version(session, target.arn, change.document, drop=change.drop, on_progress=_progress)
        print(f"Wrote {target.name} {version} (the default version) for bucket {args.bucket}")
    return 0
