"""Subcommands are listed cheaply and built when chosen, with the same help and behaviour."""

from __future__ import annotations

import subprocess
import sys

import pytest

from wizard import cli


def _subparsers(parser):
    return next(a for a in parser._actions if isinstance(a, cli._LazySubcommands))


def test_the_listed_help_is_each_commands_own():
    lazy, full = cli.build_parser(), cli.build_parser(every=True)
    assert lazy.format_help() == full.format_help()
    assert list(_subparsers(lazy).choices) == list(_subparsers(full).choices) == list(cli._SUBCOMMANDS)


@pytest.mark.parametrize("name", list(cli._SUBCOMMANDS))
def test_a_chosen_command_gets_its_full_parser(name, capsys):
    with pytest.raises(SystemExit):
        cli.build_parser().parse_args([name, "--help"])
    lazy = capsys.readouterr().out
    with pytest.raises(SystemExit):
        cli.build_parser(every=True).parse_args([name, "--help"])
    assert lazy == capsys.readouterr().out
    assert f"usage: quilt-wizard {name}" in lazy and "options:" in lazy


def test_only_the_chosen_commands_module_is_imported():
    code = ("import sys; from wizard.cli import build_parser\n"
            "build_parser().parse_args(['grants'])\n"
            "print(sorted(m for m in sys.modules if m.startswith('wizard.commands.')))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    loaded = eval(out)
    assert "wizard.commands.grants" in loaded
    assert not {"wizard.commands.audit", "wizard.commands.report", "wizard.commands.diff"} & set(loaded)
