"""Every reproduction of a traceback is one line and exit status 2 now (3 for AWS, 130 for Ctrl-C).

Each bad template and answers file is a file under ``tests/data/robustness/``, one case a file.
"""

from __future__ import annotations

import os
import runpy
import signal
import sys
import types

import pytest

from tests.conftest import DATA
from wizard import cli
from wizard.cli import main

CASES = DATA / "robustness"
TEMPLATES = sorted(p.name for p in (CASES / "templates").iterdir())
ANSWERS_WITH_BAD_KEYS = sorted(p.name for p in CASES.glob("answers-*-key-*.yaml"))
GOOD = str(DATA / "answers" / "good-standard.yaml")


def one_line(capsys) -> str:
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "Traceback" not in err, err
    return err


@pytest.mark.parametrize("name", TEMPLATES)
@pytest.mark.parametrize("command", ["render", "grants", "report"])
def test_a_malformed_template_is_one_line_and_exit_2(name, command, tmp_path, capsys):
    extra = ["--out", str(tmp_path / "report")] if command == "report" else []
    assert main([command, "--template", str(CASES / "templates" / name), *extra]) == 2
    assert name in one_line(capsys)
    assert not (tmp_path / "report").exists()


def test_every_reproduction_of_the_review_has_a_case():
    wanted = {"condition-not-a-string.yaml", "role-policies-number.yaml", "valueof-outside-rules.yaml",
              "refall-outside-rules.yaml", "base64-nested-400.json", "json-nested-deep.json"}
    wanted |= {f"properties-{kind}-{t}.yaml" for kind in ("string", "list", "number")
               for t in ("iamrole", "s3bucketpolicy", "lambdapermission", "ec2securitygroup",
                         "elasticloadbalancingv2listener")}
    assert wanted <= set(TEMPLATES)


@pytest.mark.parametrize("name", ANSWERS_WITH_BAD_KEYS)
def test_a_key_that_is_not_text_in_an_answers_file(name, tmp_path, capsys):
    assert main(["--answers", str(CASES / name), "--out", str(tmp_path / "p.json")]) == 2
    err = one_line(capsys)
    assert "a key must be text" in err and f"{name}:" in err
    assert not (tmp_path / "p.json").exists()


def test_a_profile_with_a_key_that_is_not_text(tmp_path, capsys):
    folder = cli_home_profiles()
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "odd.yaml").write_text("name: odd\nanswers:\n  yes: no\n")
    assert main(["profiles", "show", "odd"]) == 2
    assert "a key must be text" in one_line(capsys)


def cli_home_profiles():
    from wizard.flow.profiles import user_profiles_dir

    return user_profiles_dir()


@pytest.mark.parametrize("url", ["not a url", "ftp://example.com", "http://", "http://host:port"])
def test_an_endpoint_url_that_is_not_a_url(url, tmp_path, capsys):
    assert main(["--answers", GOOD, "--out", str(tmp_path / "p.json"), "--preflight", "--endpoint-url", url]) == 2
    assert "--endpoint-url" in one_line(capsys)
    assert not (tmp_path / "p.json").exists()


@pytest.mark.parametrize("name", ["1quilt", "quilt_prod", "quilt\n", "a" * 129, ""])
def test_a_stack_name_cloudformation_refuses(name, tmp_path, capsys):
    assert main(["--answers", GOOD, "--out", str(tmp_path / "p.json"), "--stack-name", name]) == 2
    assert "--stack-name" in one_line(capsys)
    assert not (tmp_path / "p.json").exists()
    assert main(["grants", "--stack-name", name]) == 2
    one_line(capsys)


def test_ctrl_c_while_the_command_line_is_built_is_130(monkeypatch, capsys):
    real = cli.build_parser

    def interrupted():
        os.kill(os.getpid(), signal.SIGINT)  # arrives while the modules are imported
        return real()

    monkeypatch.setattr(cli, "build_parser", interrupted)
    assert main(["render"]) == 130
    assert "interrupted" in one_line(capsys)


def test_ctrl_c_inside_a_class_definition_is_130(monkeypatch, capsys):
    """Python reports an interrupt during class creation as a RuntimeError caused by it."""
    def handler(args):
        try:
            raise KeyboardInterrupt
        except KeyboardInterrupt as exc:
            raise RuntimeError("Error calling __set_name__") from exc

    parser = cli.build_parser()
    parser.set_defaults(handler=handler)
    monkeypatch.setattr(cli, "build_parser", lambda: parser)
    assert main([]) == 130
    assert "interrupted" in one_line(capsys)


def test_ctrl_c_while_python_m_wizard_imports_is_130(monkeypatch, capsys):
    class Interrupting(types.ModuleType):
        def __getattr__(self, name):
            os.kill(os.getpid(), signal.SIGINT)
            return lambda: 0

    monkeypatch.setitem(sys.modules, "wizard.cli", Interrupting("wizard.cli"))
    with pytest.raises(SystemExit) as caught:
        runpy.run_module("wizard", run_name="__main__")
    assert caught.value.code == 130
    assert "interrupted" in one_line(capsys)
