"""Parameter validation, as CloudFormation validates."""

from __future__ import annotations

import pytest

from wizard.errors import ParameterError
from wizard.cfn.parameters import MASK, Unresolved, resolve_parameters
from wizard.cfn.template import parse_template

TEMPLATE = parse_template("""
Parameters:
  Name: {Type: String, MinLength: 2, MaxLength: 5}
  Mode: {Type: String, AllowedValues: [A, B], Default: A}
  Prefix: {Type: String, AllowedPattern: '[a-z]+', Default: abc, ConstraintDescription: lower-case letters}
  Port: {Type: Number, MinValue: 1, MaxValue: 65535, Default: 444}
  Ports: {Type: List<Number>, Default: '80,443'}
  Names: {Type: CommaDelimitedList, Default: ''}
  Vpc: {Type: 'AWS::EC2::VPC::Id'}
  Subnets: {Type: 'List<AWS::EC2::Subnet::Id>'}
  Ami: {Type: 'AWS::SSM::Parameter::Value<AWS::EC2::Image::Id>', Default: /aws/service/ami}
  Secret: {Type: String, NoEcho: true, Default: hunter2}
Resources:
  T: {Type: AWS::SNS::Topic}
""")


def resolve(**given):
    return resolve_parameters(TEMPLATE, given)


def test_defaults_fill_and_missing_values_stay_unresolved():
    values = resolve(Name="ab")
    assert values.ref("Mode") == "A"
    assert values.ref("Ports") == ["80", "443"]
    assert values.ref("Names") == [""]
    assert set(values.unresolved) == {"Vpc", "Subnets"}
    assert isinstance(values.ref("Vpc"), Unresolved) and values.ref("Vpc") == "<Vpc>"
    assert values.ref("Subnets") == ["<Subnets>"]


@pytest.mark.parametrize("name, value, message", [
    ("Mode", "C", "not one of the AllowedValues: A, B"),
    ("Prefix", "ABC", "does not match AllowedPattern [a-z]+ (lower-case letters)"),
    ("Prefix", "abc1", "does not match AllowedPattern"),  # a full match, not a search
    ("Name", "a", "shorter than MinLength 2"),
    ("Name", "abcdef", "longer than MaxLength 5"),
    ("Port", "http", "expected a number"),
    ("Port", "0", "below MinValue 1"),
    ("Port", "70000", "above MaxValue 65535"),
    ("Ports", "80,x", "element 'x': expected a number"),
    ("Vpc", "", "expected a value of type AWS::EC2::VPC::Id"),
    ("Nope", "1", "the template has no parameter Nope"),
    ("Mod", "A", "did you mean 'Mode'?"),
])
def test_values_are_refused_with_the_reason(name, value, message):
    with pytest.raises(ParameterError) as caught:
        resolve(**{name: value})
    assert message in str(caught.value)
    assert caught.value.where == name


def test_list_elements_and_ssm_values_are_kept():
    values = resolve(Subnets="subnet-1,subnet-2", Ami="/my/ami", Names="a,b")
    assert values.ref("Subnets") == ["subnet-1", "subnet-2"]
    assert values.ref("Ami") == "/my/ami"
    assert values.ref("Names") == ["a", "b"]


def test_no_echo_values_are_masked_in_display_and_messages():
    values = resolve(Secret="s3cr3t")
    assert values.display()["Secret"] == MASK
    assert "s3cr3t" not in str(values.display())
    template = parse_template("Parameters:\n  S: {Type: String, NoEcho: true, AllowedPattern: '[a-z]+'}\n"
                              "Resources:\n  T: {Type: AWS::SNS::Topic}\n")
    with pytest.raises(ParameterError) as caught:
        resolve_parameters(template, {"S": "TOPSECRET"})
    assert "TOPSECRET" not in str(caught.value)


def test_non_string_values_become_strings():
    values = resolve(Port=8443, Names=["x", "y"])
    assert values.raw["Port"] == "8443"
    assert values.raw["Names"] == "x,y"
    assert values.explicit == {"Port": "8443", "Names": "x,y"}
