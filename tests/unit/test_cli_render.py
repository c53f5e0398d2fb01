"""``quilt-wizard render`` and the command line's handling of bad input."""

from __future__ import annotations

import json

import pytest

from wizard.cli import main

SMALL = """
Parameters:
  Env: {Type: String, AllowedValues: [prod, dev], Default: prod}
  Secret: {Type: String, NoEcho: true, Default: hunter2}
Conditions:
  IsProd: !Equals [!Ref Env, prod]
Resources:
  Topic:
    Type: AWS::SNS::Topic
    Properties:
      TopicName: !Sub '${AWS::StackName}-${Env}'
  ProdOnly: {Type: AWS::SNS::Topic, Condition: IsProd}
"""


@pytest.fixture
def small(tmp_path):
    path = tmp_path / "small.yaml"
    path.write_text(SMALL)
    return path


def test_render_json(small, capsys):
    assert main(["render", "--template", str(small), "--set", "Env=dev", "--stack-name", "s1", "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["Resources"] == {"Topic": {"Type": "AWS::SNS::Topic", "Properties": {"TopicName": "s1-dev"}}}
    assert out["Conditions"] == {"IsProd": False}
    assert out["Parameters"]["Secret"] == "****"


def test_render_yaml_never_prints_no_echo_values(small, capsys):
    assert main(["render", "--template", str(small), "--set", "Secret=topsecret"]) == 0
    out = capsys.readouterr().out
    assert "ProdOnly:" in out and "topsecret" not in out and "hunter2" not in out


@pytest.mark.parametrize("params, content", [
    ("p.json", '[{"ParameterKey": "Env", "ParameterValue": "dev"}]'),
    ("p.json", '{"Parameters": {"Env": "dev"}}'),
    ("p.txt", "# comment\nEnv=dev\n"),
])
def test_params_file_formats(small, tmp_path, capsys, params, content):
    path = tmp_path / params
    path.write_text(content)
    assert main(["render", "--template", str(small), "--params", str(path), "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["Conditions"] == {"IsProd": False}


@pytest.mark.parametrize("args, message", [
    (["--set", "Env=test"], "Env: 'test' is not one of the AllowedValues: prod, dev"),
    (["--set", "Nope=1"], "Nope: the template has no parameter Nope"),
    (["--set", "Env"], "expected KEY=VALUE"),
    (["--account-id", "12"], "12-digit AWS account id"),
])
def test_bad_input_is_one_line_and_exit_2(small, capsys, args, message):
    assert main(["render", "--template", str(small), *args]) == 2
    err = capsys.readouterr().err
    assert message in err
    assert len(err.strip().splitlines()) == 1
    assert "Traceback" not in err


def test_bad_template_is_exit_2(tmp_path, capsys):
    path = tmp_path / "bad.yaml"
    path.write_text("Resources:\n  A:\n    Type: X\n    Properties:\n      V: {'Fn::Nope': 1}\n")
    assert main(["render", "--template", str(path)]) == 2
    err = capsys.readouterr().err
    assert f"{path}:5: Resources/A/Properties/V: unknown intrinsic function Fn::Nope" in err


def test_bad_params_file_names_file_and_line(small, tmp_path, capsys):
    path = tmp_path / "p.txt"
    path.write_text("Env=dev\nbroken line\n")
    assert main(["render", "--template", str(small), "--params", str(path)]) == 2
    assert f"{path}:2: expected KEY=VALUE" in capsys.readouterr().err


def test_real_template_renders(real_template_path, capsys):
    assert main(["render", "--template", str(real_template_path), "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert "QuiltWebHost" in out["Unresolved"]
    assert out["Parameters"]["QuiltWebHost"] == "<QuiltWebHost>"
