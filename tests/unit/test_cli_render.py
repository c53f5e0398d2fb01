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


def test_render_never_prints_no_echo_values_even_where_the_template_uses_them(tmp_path, capsys):
    path = tmp_path / "t.yaml"
    path.write_text(SMALL + "  Secret2:\n    Type: AWS::SecretsManager::Secret\n"
                            "    Properties: {SecretString: !Sub '{\"password\": \"${Secret}\"}'}\n")
    for extra in ([], ["--json"]):
        assert main(["render", "--template", str(path), "--set", "Secret=topsecret", *extra]) == 0
        out = capsys.readouterr().out
        assert "ProdOnly" in out and "topsecret" not in out and "hunter2" not in out
        assert "****" in out


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


MALFORMED = {
    "find-in-map": ("Mappings:\n  M: {a: [1]}\nResources:\n  T:\n    Type: AWS::SNS::Topic\n"
                    "    Properties: {V: !FindInMap [M, a, b]}\n", "Mappings/M/a must be a mapping"),
    "rules": ("Rules:\n  R: 5\nResources:\n  T: {Type: AWS::SNS::Topic}\n", "a rule needs a list of Assertions"),
    "cidr": ("Resources:\n  T:\n    Type: AWS::SNS::Topic\n    Properties: {V: !Cidr [10.0.0.0/8, 100000, 8]}\n",
             "Fn::Cidr count must be from 1 to 256"),
    "min-length": ("Parameters:\n  P: {Type: String, MinLength: 1e400}\nResources:\n  T: {Type: AWS::SNS::Topic}\n",
                   "MinLength must be a number"),
}


@pytest.mark.parametrize("case", sorted(MALFORMED))
def test_malformed_templates_are_one_line_not_a_traceback(case, tmp_path, capsys):
    text, message = MALFORMED[case]
    path = tmp_path / "t.yaml"
    path.write_text(text)
    command = ["render", "--template", str(path)]
    assert main(command) == 2
    err = capsys.readouterr().err
    assert message in err and err.count("\n") == 1


def test_a_container_port_that_is_not_a_mapping_is_skipped(tmp_path, capsys):
    path = tmp_path / "t.yaml"
    path.write_text("Resources:\n  Task:\n    Type: AWS::ECS::TaskDefinition\n    Properties:\n"
                    "      ContainerDefinitions: [{Name: c, PortMappings: [5, {ContainerPort: 80}]}]\n")
    assert main(["grants", "--template", str(path), "--json"]) == 0
    network = json.loads(capsys.readouterr().out)["network"]
    assert [r["from_port"] for r in network] == [80]
