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

    def interrupted(**kwargs):
        os.kill(os.getpid(), signal.SIGINT)  # arrives while the modules are imported
        return real(**kwargs)

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
    monkeypatch.setattr(cli, "build_parser", lambda **kwargs: parser)
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


@pytest.mark.parametrize("name, command", [
    *((name, command) for name in ("number-4301-digits.yaml", "number-4301-digits.json", "nul-byte.yaml")
      for command in ("render", "grants", "harden")),
    ("select-index-4301-digits.yaml", "render"), ("select-index-4301-digits.yaml", "grants"),
])
def test_a_number_past_pythons_digit_limit_or_a_nul_byte_is_one_line(name, command, tmp_path, capsys):
    out = tmp_path / "hardened.yaml"
    extra = ["--out", str(out)] if command == "harden" else []
    assert main([command, "--template", str(CASES / "templates" / name), *extra]) == 2
    err = one_line(capsys)
    assert name in err and "ValueError" not in err
    if name == "nul-byte.yaml":
        assert f"{name}:6: not valid YAML: unacceptable character #x0000" in err
    elif name.startswith("number"):
        assert "4,301 digits" in err
    assert not out.exists()


def test_a_number_past_pythons_digit_limit_in_a_parameter_file(tmp_path, capsys):
    path = tmp_path / "p.json"
    path.write_text('[{"ParameterKey": "InternalApiPort", "ParameterValue": ' + "9" * 4301 + "}]")
    assert main(["render", "--params", str(path)]) == 2
    assert str(path) in one_line(capsys)


@pytest.mark.parametrize("option", ["--params", "--from-params", "--baseline", "--answers"])
def test_a_folder_given_for_a_file_is_one_line_naming_it(option, tmp_path, monkeypatch, capsys):
    folder = tmp_path / "inputs"
    folder.mkdir()
    monkeypatch.chdir(tmp_path)
    out = tmp_path / "p.json"
    argv = {"--params": ["render", "--params", "inputs"],
            "--from-params": ["diff", "--from-params", "inputs"],
            "--baseline": ["--answers", GOOD, "--baseline", "inputs", "--out", str(out)],
            "--answers": ["--answers", "inputs", "--out", str(out)]}[option]
    assert main(argv) == 2
    assert "inputs: is a folder, expected a file" in one_line(capsys)
    assert not out.exists()


def test_a_noecho_value_split_by_a_space_in_a_key_value_file_is_not_quoted(capsys):
    template = str(DATA / "templates" / "noecho-derived.yaml")
    assert main(["render", "--template", template, "--params", str(CASES / "params-noecho-value-with-a-space.txt")]) == 2
    err = one_line(capsys)
    assert "params-noecho-value-with-a-space.txt:3: expected KEY=VALUE" in err
    assert "SECRETX" not in err and "space" not in err.split(":3:")[1].split("(")[0]
    assert "in-the-secret" not in err


@pytest.mark.parametrize("argv", [
    ["--answers", GOOD, "--baseline", "{path}", "--out", "{out}"],
    ["--answers", "{path}", "--out", "{out}"],
    ["render", "--params", "{path}"],
    ["diff", "--from-params", "{path}"],
    ["render", "--template", "{path}"],
    ["profiles", "save", "copied", "--answers", "{path}"],
], ids=["baseline", "answers", "params", "from-params", "template", "profile"])
def test_a_file_that_is_not_ours_is_never_quoted(argv, tmp_path, capsys):
    path = str(CASES / "not-ours-shadow")
    out = tmp_path / "p.json"
    assert main([a.format(path=path, out=out) for a in argv]) == 2
    err = one_line(capsys)
    assert path in err
    for word in ("root", "saltsalt", "HASHED", "daemon", "19700", "99999"):
        assert word not in err.replace(path, ""), err
    assert not out.exists()
