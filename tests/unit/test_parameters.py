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
    values = resolve(Subnets="subnet-10000001,subnet-20000002", Ami="/my/ami", Names="a,b")
    assert values.ref("Subnets") == ["subnet-10000001", "subnet-20000002"]
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


#: For each AWS-specific type: values CloudFormation takes, and values it refuses before any look-up.
AWS_TYPES = {
    "AWS::EC2::VPC::Id": (["vpc-0123abcd", "vpc-0123456789abcdef0"],
                          ["foo", "vpc-1", "vpc-0123456789abcdef", "VPC-0123ABCD", "vpc-0123abcg", " vpc-0123abcd"]),
    "AWS::EC2::Subnet::Id": (["subnet-0123abcd", "subnet-0123456789abcdef0"],
                             ["foo", "subnet-01", "sg-0123abcd", "subnet-0123456789abcdef01"]),
    "AWS::EC2::SecurityGroup::Id": (["sg-0123abcd", "sg-0123456789abcdef0"], ["foo", "sg-1", "sg-0123abcd "]),
    "AWS::EC2::Image::Id": (["ami-0123abcd", "ami-0123456789abcdef0"], ["foo", "ami-", "ami-xyz12345"]),
    "AWS::EC2::Instance::Id": (["i-0123abcd", "i-0123456789abcdef0"], ["foo", "i-123"]),
    "AWS::EC2::Volume::Id": (["vol-0123abcd", "vol-0123456789abcdef0"], ["foo", "vol-123"]),
    "AWS::EC2::KeyPair::KeyName": (["foo", "my key-pair_1"], ["k\u00e9y", "x" * 256, "tab\tkey"]),
    "AWS::EC2::SecurityGroup::GroupName": (["quilt-users", "default"], ["sg-users", "x" * 256]),
    "AWS::EC2::AvailabilityZone::Name": (["us-east-1a", "eu-west-2c", "us-west-2-lax-1a", "us-gov-west-1b"],
                                         ["foo", "us-east-1", "use1-az1", "US-EAST-1A"]),
    "AWS::Route53::HostedZone::Id": (["Z0123456789ABCDEFGHIJ", "Z1D633PJN98FT9"], ["foo", "Z", "z123", "Z12-34"]),
    "AWS::SSM::Parameter::Name": (["/quilt/ami", "quilt.ami", "/aws/service/ami-amazon-linux-latest/x"],
                                  ["bad name", "quilt*", "x" * 2049]),
}


def typed(kind: str):
    return parse_template(f"Parameters:\n  P: {{Type: '{kind}'}}\n  L: {{Type: 'List<{kind}>'}}\n"
                          "Resources:\n  T: {Type: AWS::SNS::Topic}\n")


@pytest.mark.parametrize("kind", sorted(AWS_TYPES))
def test_aws_specific_types_take_values_of_their_form(kind):
    good, _bad = AWS_TYPES[kind]
    template = typed(kind)
    for value in good:
        assert resolve_parameters(template, {"P": value, "L": f"{value},{good[0]}"}).raw["P"] == value


@pytest.mark.parametrize("kind", sorted(AWS_TYPES))
def test_aws_specific_types_refuse_values_of_another_form_naming_the_form(kind):
    from wizard.cfn.parameters import aws_forms

    good, bad = AWS_TYPES[kind]
    template = typed(kind)
    expected = aws_forms()[kind].expected
    for value in bad:
        with pytest.raises(ParameterError) as caught:
            resolve_parameters(template, {"P": value})
        message = str(caught.value)
        assert caught.value.where == "P" and f"is not {kind}: expected {expected}" in message, message
        assert "\n" not in message
        with pytest.raises(ParameterError) as caught:  # a List<...> checks every element
            resolve_parameters(template, {"L": f"{good[0]},{value}"})
        assert caught.value.where == "L" and f"is not {kind}: expected {expected}" in str(caught.value)


@pytest.mark.parametrize("kind", ["AWS::SSM::Parameter::Value<AWS::EC2::Image::Id>",
                                  "AWS::SSM::Parameter::Value<List<String>>"])
def test_an_ssm_parameter_type_takes_the_name_of_an_ssm_parameter(kind):
    template = parse_template(f"Parameters:\n  P: {{Type: '{kind}'}}\nResources:\n  T: {{Type: AWS::SNS::Topic}}\n")
    assert resolve_parameters(template, {"P": "/aws/service/ami"}).raw["P"] == "/aws/service/ami"
    with pytest.raises(ParameterError, match="is not AWS::SSM::Parameter::Name: expected an SSM parameter name"):
        resolve_parameters(template, {"P": "not a name"})


def test_a_no_echo_value_of_an_aws_type_is_not_repeated():
    template = parse_template("Parameters:\n  P: {Type: 'AWS::EC2::KeyPair::KeyName', NoEcho: true}\n"
                              "Resources:\n  T: {Type: AWS::SNS::Topic}\n")
    with pytest.raises(ParameterError) as caught:
        resolve_parameters(template, {"P": "s\u00e9cretkey"})
    assert "cretkey" not in str(caught.value) and "the value is not AWS::EC2::KeyPair::KeyName" in str(caught.value)


def test_every_form_in_the_asset_matches_its_example():
    from wizard.cfn.parameters import aws_forms

    for kind, form in aws_forms().items():
        assert form.pattern.fullmatch(form.example), kind
    assert set(AWS_TYPES) == set(aws_forms())
