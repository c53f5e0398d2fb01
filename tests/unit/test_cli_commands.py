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


def _collecting_during(monkeypatch, module: str, argv: list[str]) -> bool:
    """Whether the cyclic collector ran while the command's handler did (the handler replaced)."""
    import gc
    import importlib

    seen = []
    monkeypatch.setattr(importlib.import_module(module), "run", lambda args: seen.append(gc.isenabled()) or 0)
    assert cli.main(argv) == 0
    return seen[0]


def test_a_bounded_run_holds_the_collector_and_gives_it_back(monkeypatch):
    import gc

    assert gc.isenabled()
    assert _collecting_during(monkeypatch, "wizard.commands.grants", ["grants", "--json"]) is False
    assert gc.isenabled() and gc.get_freeze_count() == 0  # the caller's process is left as it was
    assert _collecting_during(monkeypatch, "wizard.commands.deploy", ["--answers", "answers.yaml"]) is False
    assert gc.isenabled()


@pytest.mark.parametrize("argv", [
    ["status", "--stack-name", "quilt"],                                   # talks to AWS, may follow
    ["--answers", "answers.yaml", "--preflight"],                          # a headless run calling AWS
    ["--answers", "answers.yaml", "--create-change-set"],
    ["--plain"],                                                           # a person answers
    [],                                                                    # the wizard
])
def test_a_run_that_may_last_has_the_collector(monkeypatch, argv):
    module = "wizard.commands.status" if argv and argv[0] == "status" else "wizard.commands.deploy"
    assert _collecting_during(monkeypatch, module, argv) is True


def test_a_process_that_ends_with_a_bounded_run_sets_its_objects_aside(tmp_path):
    """Run as the command itself (no argv given), a bounded run leaves what it made out of the
    collector's walks at exit; a run given its argv by a caller never does."""
    import os

    code = ("import contextlib, gc, io, sys\nfrom wizard.cli import main\n"
            "sys.argv = ['quilt-wizard', 'grants', '--json']\n"
            "with contextlib.redirect_stdout(io.StringIO()):\n    main(sys.argv[1:])\n"
            "given = gc.get_freeze_count()\n"
            "with contextlib.redirect_stdout(io.StringIO()):\n    main()\n"
            "print(given, gc.get_freeze_count() > 0, gc.isenabled())")
    env = {**os.environ, "QUILT_WIZARD_HOME": str(tmp_path)}
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, env=env).stdout
    assert out.split() == ["0", "True", "True"]


def test_a_headless_run_imports_neither_the_aws_findings_nor_the_yaml_writer(tmp_path):
    """Without a preflight there are no Access Analyzer findings to read, and a run that saves no
    profile writes no YAML: neither module is loaded."""
    from tests.conftest import ROOT

    code = ("import contextlib, io, sys\nfrom wizard.cli import main\n"
            "with contextlib.redirect_stdout(io.StringIO()):\n"
            f"    assert main(['--answers', {str(ROOT / 'examples' / 'answers.yaml')!r}, "
            f"'--out', {str(tmp_path / 'p.json')!r}]) == 0\n"
            "print(sorted(m for m in ('wizard.findings.access_analyzer', 'wizard.cfn.serialize') "
            "if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"


@pytest.mark.parametrize("columns", [None, "", "50", "200", "wide", "-3"])
def test_help_is_laid_out_as_argparse_lays_it_out_without_importing_shutil(monkeypatch, columns):
    import argparse
    import shutil

    if columns is None:
        monkeypatch.delenv("COLUMNS", raising=False)
    else:
        monkeypatch.setenv("COLUMNS", columns)
    assert cli._terminal_columns() == shutil.get_terminal_size().columns
    parser = cli.build_parser(every=True)
    parsers = [parser, *_subparsers(parser).choices.values()]
    ours = [p.format_help() for p in parsers]
    for p in parsers:
        p.formatter_class = argparse.HelpFormatter
    assert ours == [p.format_help() for p in parsers]


def test_reading_a_command_line_imports_no_shutil():
    code = ("import sys; from wizard.cli import build_parser\n"
            "build_parser().parse_args(['grants', '--json', '--fail-on', 'high'])\n"
            "print('shutil' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "False"


@pytest.mark.parametrize("name", list(cli._SUBCOMMANDS))
def test_a_command_named_first_is_read_without_the_default_commands_options(name, capsys):
    """Nothing after a subcommand's name can be one of the default command's options, so they are
    not built (nor their modules imported): its help, and its refusal of an unknown option, are
    those of the whole command line."""
    for argv in ([name, "--help"], [name, "--no-such-option"]):
        with pytest.raises(SystemExit) as first:
            cli.build_parser(argv=argv).parse_args(argv)
        short = capsys.readouterr()
        with pytest.raises(SystemExit) as whole:
            cli.build_parser(every=True).parse_args(argv)
        assert (first.value.code, short) == (whole.value.code, capsys.readouterr())


def test_the_default_command_keeps_its_options_whatever_comes_first(capsys):
    for argv in (["--answers", "a.yaml", "--plain"], [], ["--version"], ["grant"]):
        parser = cli.build_parser(argv=argv)
        assert any("--answers" in action.option_strings for action in parser._actions), argv


def test_a_grants_run_does_not_import_the_default_commands_modules():
    code = ("import sys; from wizard.cli import build_parser\n"
            "argv = ['grants', '--template', 'x.yaml']\n"
            "build_parser(argv=argv).parse_args(argv)\n"
            "print(sorted(m for m in sys.modules if m.startswith('wizard.commands.')))")
    loaded = eval(subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout)
    assert "wizard.commands.grants" in loaded
    assert not {"wizard.commands.deploy", "wizard.commands.aws_steps"} & set(loaded)


def test_a_grants_run_without_a_gate_builds_no_finding():
    """``--fail-on`` offers the severities without the findings' model: a run that asks for no
    gate never imports it."""
    code = ("import sys, io, contextlib; from wizard.cli import main\n"
            f"argv = ['grants', '--template', {str(cli.__file__).replace('cli.py', '')!r} + "
            "'../assets/templates/quilt.yaml', '--json']\n"
            "with contextlib.redirect_stdout(io.StringIO()):\n    main(argv)\n"
            "print('wizard.findings.model' in sys.modules, 'wizard.findings.gate' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.split() == ["False", "True"]
