"""Values and templates CloudFormation would refuse are refused here first, one line, exit 2.

One input file a case under ``tests/data/robustness/validation/``.
"""

from __future__ import annotations

import pytest

from tests.conftest import DATA
from wizard.cfn.parameters import pattern_matches
from wizard.cli import main

CASES = DATA / "robustness" / "validation"
GOOD = str(DATA / "answers" / "good-standard.yaml")


def one_line(capsys) -> str:
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "Traceback" not in err, err
    return err


@pytest.mark.parametrize("name, expected", [
    ("sub-unclosed.yaml", "a '${' without its closing '}'"),
    ("cidr-not-a-cidr.yaml", "'notacidr'"),
    ("default-outside-allowed-values.yaml", "Default 'open' is not one of the AllowedValues"),
    ("json-duplicate-key.json", "duplicate key 'T'"),
    ("json-duplicate-key-tabs.json", "duplicate key 'T'"),
])
def test_a_template_cloudformation_refuses(name, expected, capsys):
    assert main(["render", "--template", str(CASES / name)]) == 2
    assert expected in one_line(capsys)


@pytest.mark.parametrize("name, expected", [
    ("params-number-newline.json", "InternalApiPort: expected a number"),
    ("params-subnets-empty.json", "Subnets: expected a comma-separated list of AWS::EC2::Subnet::Id"),
    ("params-subnets-commas.json", "Subnets: expected a comma-separated list of AWS::EC2::Subnet::Id"),
])
def test_a_parameter_value_cloudformation_refuses(name, expected, capsys):
    assert main(["render", "--params", str(CASES / name)]) == 2
    assert expected in one_line(capsys)


@pytest.mark.parametrize("setting", ["InternalApiPort=444\n", "Subnets=", "Subnets=,,,", "Subnets=subnet-1,"])
def test_the_same_values_from_the_command_line(setting, tmp_path, capsys):
    assert main(["--answers", GOOD, "--out", str(tmp_path / "p.json"), "--set", setting]) == 2
    one_line(capsys)
    assert not (tmp_path / "p.json").exists()


def test_a_pattern_that_backtracks_without_end_is_refused_not_waited_for(capsys):
    template = str(CASES / "pattern-backtracks.yaml")
    assert main(["render", "--template", template, "--set", "Name=" + "a" * 40 + "d"]) == 2
    assert "takes too long to match" in one_line(capsys)
    assert main(["render", "--template", template, "--set", "Name=aab"]) == 0


def test_patterns_match_the_whole_value():
    assert pattern_matches("^[a-z]+$", "abc") and not pattern_matches("^[a-z]+$", "abc\n")
    assert not pattern_matches("[0-9]+", "12a")
    assert pattern_matches("(", "anything")  # a pattern in a dialect we cannot read is not held against a value


def test_the_reviews_pattern_ends():
    try:
        assert not pattern_matches("(a|a)*b", "a" * 40)
    except TimeoutError:
        pass  # refused in bounded time: what matters is that it returns


def test_a_headless_run_refuses_a_value_not_of_its_aws_type_and_writes_nothing(tmp_path, capsys):
    out = tmp_path / "p.json"
    assert main(["--answers", str(CASES / "answers-vpc-not-an-id.yaml"), "--out", str(out)]) == 2
    err = one_line(capsys)
    assert "answers-vpc-not-an-id.yaml:13: /parameters/VPC (VPC): 'foo' is not AWS::EC2::VPC::Id" in err
    assert "expected vpc- followed by 8 or 17 hexadecimal digits" in err
    assert not out.exists() and list(tmp_path.iterdir()) == []


@pytest.mark.parametrize("setting, name", [("VPC=foo", "VPC"), ("Subnets=subnet-0123456789abcdef0,foo", "Subnets"),
                                           ("PublicSubnets=vpc-0123456789abcdef0", "PublicSubnets")])
def test_set_refuses_a_value_not_of_its_aws_type(setting, name, tmp_path, capsys):
    out = tmp_path / "p.json"
    assert main(["--answers", GOOD, "--out", str(out), "--set", setting]) == 2
    err = one_line(capsys)
    assert f"({name}):" in err and "is not AWS::EC2::" in err
    assert not out.exists()


def test_a_parameter_file_with_a_subnet_that_is_not_an_id(capsys):
    assert main(["render", "--params", str(CASES / "params-subnets-not-ids.json")]) == 2
    assert "Subnets: element 'subnet-1' is not AWS::EC2::Subnet::Id" in one_line(capsys)
