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


def test_only_the_main_parser_and_the_chosen_commands_are_built(monkeypatch):
    import argparse

    built = []
    real = argparse.ArgumentParser.__init__

    def counted(self, *args, **kwargs):
        built.append(kwargs.get("prog"))
        real(self, *args, **kwargs)

    monkeypatch.setattr(argparse.ArgumentParser, "__init__", counted)
    parser = cli.build_parser()
    assert built == ["quilt-wizard"]
    parser.parse_args(["render"])
    assert built == ["quilt-wizard", "quilt-wizard render"]


def test_an_unknown_command_is_refused_naming_every_command(capsys):
    with pytest.raises(SystemExit):
        cli.build_parser().parse_args(["nosuch"])
    assert f"(choose from {', '.join(repr(n) for n in cli._SUBCOMMANDS)})" in capsys.readouterr().err


def test_only_the_chosen_commands_module_is_imported():
    code = ("import sys; from wizard.cli import build_parser\n"
            "build_parser().parse_args(['grants'])\n"
            "print(sorted(m for m in sys.modules if m.startswith('wizard.commands.')))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    loaded = eval(out)
    assert "wizard.commands.grants" in loaded
    assert not {"wizard.commands.audit", "wizard.commands.report", "wizard.commands.diff"} & set(loaded)


def test_a_warm_grants_run_reads_no_yaml_and_validates_no_shipped_file(tmp_path):
    """The second run reads the parsed template and the expanded patterns from the cache folder:
    neither PyYAML nor jsonschema, nor the IAM catalog, is loaded."""
    import os

    code = ("import contextlib, io, sys\nfrom wizard.cli import main\nimport wizard.iam.actions as a\n"
            "with contextlib.redirect_stdout(io.StringIO()):\n    main(['grants', '--json'])\n"
            "print([m for m in ('yaml', 'jsonschema') if m in sys.modules], a.catalog.loaded())")
    env = {**os.environ, "QUILT_WIZARD_HOME": str(tmp_path)}
    env.pop("QUILT_WIZARD_CACHE", None)
    runs = [subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, env=env).stdout
            for _ in range(2)]
    assert runs[0].split("]")[1].strip() == "True"  # the first run built the caches
    assert runs[1].strip() == "[] False"
