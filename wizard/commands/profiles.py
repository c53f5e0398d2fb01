"""``quilt-wizard profiles``: list, show, save and delete reusable sets of answers."""

from __future__ import annotations

import argparse
import json
import sys


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "profiles", help="list, show, save or delete profiles (reusable answers across accounts)",
        description="Profiles are named sets of answers reused across AWS accounts. The deployment "
                    "modes standard, restricted and enterprise are built in; saved profiles live in "
                    "the user config folder ($QUILT_WIZARD_HOME/config when set).")
    actions = parser.add_subparsers(title="actions", metavar="ACTION", required=True)
    listing = actions.add_parser("list", help="every built-in mode and saved profile")
    listing.add_argument("--json", action="store_true", help="print JSON")
    listing.set_defaults(handler=run_list)
    show = actions.add_parser("show", help="one profile's answers and account overrides")
    show.add_argument("name")
    show.add_argument("--json", action="store_true", help="print JSON")
    show.set_defaults(handler=run_show)
    save = actions.add_parser("save", help="save an answers file as a profile (secrets are dropped)")
    save.add_argument("name")
    save.add_argument("--answers", required=True, metavar="FILE", help="answers file to take the answers from")
    save.add_argument("--account-id", metavar="ID",
                      help="store the file's parameters as overrides for this account instead of for all")
    save.add_argument("--extends", metavar="MODE|PROFILE", help="the profile it builds on (default: the file's mode)")
    save.add_argument("--description", default="", help="one line saying what it is for")
    save.add_argument("--force", action="store_true",
                      help="replace the answers of an existing profile (its other accounts are always kept)")
    save.set_defaults(handler=run_save)
    delete = actions.add_parser("delete", help="delete a saved profile")
    delete.add_argument("name")
    delete.set_defaults(handler=run_delete)


def run_list(args: argparse.Namespace) -> int:
    from wizard.flow.profiles import list_profiles

    profiles = list_profiles()
    if args.json:
        json.dump([{"name": p.name, "builtin": p.builtin, "extends": p.extends, "description": p.description,
                    "accounts": sorted(p.accounts)} for p in profiles], sys.stdout, indent=2)
        sys.stdout.write("\n")
        return 0
    width = max(len(p.name) for p in profiles)
    for p in profiles:
        kind = "built-in mode" if p.builtin else f"extends {p.extends}" if p.extends else "saved"
        accounts = f", {len(p.accounts)} account(s)" if p.accounts else ""
        print(f"{p.name:<{width}}  {kind}{accounts}  {p.description}")
    return 0


def run_show(args: argparse.Namespace) -> int:
    from wizard.flow.profiles import load_profile
    from wizard.cfn.serialize import to_yaml

    profile = load_profile(args.name)
    document = profile.to_document()
    if args.json:
        json.dump(document, sys.stdout, indent=2)
        sys.stdout.write("\n")
    else:
        sys.stdout.write(f"# {profile.source}\n" + to_yaml(document))
    return 0


def run_save(args: argparse.Namespace) -> int:
    from wizard.flow.answers import load_answers_file
    from wizard.flow.headless import template_for
    from wizard.flow.profiles import account_profile, save_profile

    answers = load_answers_file(args.answers)
    template = template_for(None, answers)
    secrets = frozenset(name for name, spec in template.parameters.items() if spec.no_echo)
    types = {name: spec.type for name, spec in template.parameters.items()}
    # Values of one account (certificate, KMS key, VPC...) are kept for that account only.
    profile = account_profile(args.name, answers=dict(answers.answers), parameters=dict(answers.parameters),
                              account_id=args.account_id or answers.stack.get("account_id"),
                              all_parameters_per_account=bool(args.account_id), types=types,
                              description=args.description, extends=args.extends or answers.mode)
    path = save_profile(profile, secrets, types, force=args.force)
    print(f"saved profile {args.name} to {path}")
    return 0


def run_delete(args: argparse.Namespace) -> int:
    from wizard.flow.profiles import delete_profile

    path = delete_profile(args.name)
    print(f"deleted profile {args.name} ({path})")
    return 0
