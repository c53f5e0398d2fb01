"""Values known only after deployment stay symbolic through Fn::Split, Fn::Select, Fn::Join and
Fn::GetAZs, and render and grants accept and refuse the same templates."""

from __future__ import annotations

import json

import pytest

from wizard.cfn.evaluate import Evaluation
from wizard.cfn.parameters import resolve_parameters
from wizard.cfn.pseudo import Pseudo
from wizard.cfn.symbolic import SymbolicList, zones
from wizard.cfn.template import parse_template
from wizard.cli import main
from wizard.errors import TemplateError

RESOURCES = """
Resources:
  Certificate: {Type: AWS::CertificateManager::Certificate, Properties: {DomainName: x.example.com}}
  Eni: {Type: AWS::EC2::NetworkInterface, Properties: {SubnetId: subnet-1}}
  Bucket: {Type: AWS::S3::Bucket}
Outputs:
  Value: {Value: EXPRESSION}
"""


def output(expression: str, region: str = "us-east-1"):
    template = parse_template(RESOURCES.replace("EXPRESSION", expression), "t.yaml")
    evaluation = Evaluation(template, resolve_parameters(template, {}), Pseudo(region=region))
    return evaluation.outputs()["Value"]["Value"]


def test_select_from_the_split_of_a_deployment_time_value_is_a_stable_token():
    expression = "!Select [1, !Split ['/', !Ref Certificate]]"
    assert output(expression) == "${Certificate}.split('/')[1]"
    assert output(expression) == output(expression)


def test_the_token_keeps_the_delimiter_of_the_split():
    """The first label of a bucket's domain name is its name, not the whole domain name."""
    first = output("!Select [0, !Split ['.', !GetAtt Bucket.DomainName]]")
    assert first == "${Bucket.DomainName}.split('.')[0]"
    assert first != output("!Select [0, !Split ['-', !GetAtt Bucket.DomainName]]")
    assert output("!Select [0, !GetAtt Eni.SecondaryPrivateIpAddresses]") != first.replace(".split('.')", "")


def test_select_from_a_list_attribute_is_a_token():
    assert output("!Select [0, !GetAtt Eni.SecondaryPrivateIpAddresses]") == "${Eni.SecondaryPrivateIpAddresses}[0]"


def test_known_parts_before_the_token_stay_exact():
    arn = "!Split [':', !Sub 'arn:${AWS::Partition}:acm:${AWS::Region}:1:certificate/${Certificate}']"
    assert output(f"!Select [2, {arn}]") == "acm"
    assert output(f"!Select [5, {arn}]") == "(arn:aws:acm:us-east-1:1:certificate/${Certificate}).split(':')[5]"


def test_joining_back_a_split_gives_the_value():
    assert output("!Join ['/', !Split ['/', !Ref Certificate]]") == "${Certificate}"


def test_a_symbolic_list_renders_as_a_list():
    value = output("!Split [',', !GetAtt Eni.SecondaryPrivateIpAddresses]")
    assert isinstance(value, SymbolicList)
    assert json.loads(json.dumps(value)) == ["${Eni.SecondaryPrivateIpAddresses}.split(',')[*]"]


def test_get_azs_gives_the_real_zones_of_each_region():
    assert output("!Select [5, !GetAZs '']") == "us-east-1f"
    assert output("!Select [1, !GetAZs us-west-1]") == "us-west-1b"
    assert len(zones()["us-east-1"]) == 6 and len(zones()["us-west-2"]) == 4
    with pytest.raises(TemplateError, match="Fn::Select index 3 is outside a list of 3"):
        output("!Select [3, !GetAZs '']", region="eu-west-1")


def test_get_azs_of_a_region_the_table_does_not_know_is_symbolic():
    assert output("!Select [4, !GetAZs '']", region="us-isob-east-1") == "${AZs:us-isob-east-1}[4]"


@pytest.mark.parametrize("index", ["1.5", "'x'", "true", "[1]"])
def test_a_select_index_that_is_not_a_whole_number_is_refused(index):
    with pytest.raises(TemplateError, match="Fn::Select index must be a whole number"):
        output(f"!Select [{index}, [a, b]]")


def test_a_fractional_index_is_one_line_and_exit_2(tmp_path, capsys):
    path = tmp_path / "t.yaml"
    path.write_text("Resources:\n  T: {Type: AWS::SNS::Topic}\nOutputs:\n  X: {Value: !Select [1.5, [a, b]]}\n")
    for command in ("render", "grants"):
        assert main([command, "--template", str(path)]) == 2
        out, err = capsys.readouterr()
        assert out == "" and len(err.strip().splitlines()) == 1
        assert "Fn::Select index must be a whole number, found 1.5" in err


@pytest.mark.parametrize("expression", [
    "!Select [1, !Split ['/', !Ref Certificate]]",
    "!Select [0, !GetAtt Eni.SecondaryPrivateIpAddresses]",
    "!Select [3, !GetAZs '']",
])
def test_render_and_grants_accept_the_same_templates(expression, tmp_path, capsys):
    path = tmp_path / "t.yaml"
    path.write_text(RESOURCES.replace("EXPRESSION", expression))
    assert main(["render", "--template", str(path)]) == 0
    assert main(["grants", "--template", str(path)]) == 0
