"""Evaluation of conditions and intrinsic functions, one or more tests per rule."""

from __future__ import annotations

import base64

import pytest

from wizard.errors import TemplateError
from wizard.cfn.evaluate import Evaluation
from wizard.cfn.pseudo import Pseudo, partition_of
from wizard.cfn.parameters import resolve_parameters
from wizard.cfn.template import parse_template


def evaluate(text: str, pseudo: Pseudo | None = None, **given) -> Evaluation:
    template = parse_template(text, "t.yaml")
    return Evaluation(template, resolve_parameters(template, given), pseudo)


def value_of(expression: str, params: str = "", **given):
    text = f"""
Parameters:
  Env: {{Type: String, Default: prod}}
  Names: {{Type: CommaDelimitedList, Default: 'a,b,c'}}
  Host: {{Type: String}}
{params}
Conditions:
  IsProd: !Equals [!Ref Env, prod]
Mappings:
  Sizes:
    prod: {{Count: '3'}}
Resources:
  Bucket: {{Type: AWS::S3::Bucket}}
  Policy:
    Type: AWS::IAM::ManagedPolicy
    Properties:
      Path: !Sub /quilt/${{AWS::StackName}}/${{AWS::Region}}/
      PolicyDocument: {{}}
  Named:
    Type: AWS::IAM::ManagedPolicy
    Properties: {{ManagedPolicyName: Fixed, PolicyDocument: {{}}}}
  T:
    Type: AWS::SNS::Topic
    Properties:
      V: {expression}
"""
    return evaluate(text, **given).resource("T")["Properties"].get("V", "<removed>")


def test_ref_parameters_and_pseudo_parameters():
    assert value_of("!Ref Env") == "prod"
    assert value_of("!Ref Names") == ["a", "b", "c"]
    assert value_of("!Ref AWS::Region") == "us-east-1"
    assert value_of("!Ref AWS::AccountId") == "123456789012"
    assert value_of("!Ref AWS::StackName") == "quilt"
    assert value_of("!Ref AWS::Partition") == "aws"
    assert value_of("!Ref AWS::URLSuffix") == "amazonaws.com"
    assert value_of("!Ref AWS::StackId").startswith("arn:aws:cloudformation:us-east-1:123456789012:stack/quilt/")
    assert value_of("!Ref AWS::NotificationARNs") == []


def test_pseudo_parameters_follow_the_region():
    assert partition_of("cn-north-1") == "aws-cn"
    assert partition_of("us-gov-west-1") == "aws-us-gov"
    assert Pseudo(region="cn-north-1").url_suffix == "amazonaws.com.cn"


def test_ref_to_resources_is_symbolic_and_managed_policies_are_arns():
    assert value_of("!Ref Bucket") == "${Bucket}"
    assert value_of("!Ref Policy") == "arn:aws:iam::123456789012:policy/quilt/quilt/us-east-1/Policy"
    assert value_of("!Ref Named") == "arn:aws:iam::123456789012:policy/Fixed"


def test_get_att_and_import_value_are_symbolic():
    assert value_of("!GetAtt Bucket.Arn") == "${Bucket.Arn}"
    assert value_of("{'Fn::GetAtt': [Bucket, {Ref: Env}]}") == "${Bucket.prod}"
    assert value_of("!ImportValue shared-vpc") == "${Import:shared-vpc}"


def test_sub_string_and_list_forms():
    assert value_of("!Sub 'arn:${AWS::Partition}:s3:::${Bucket}/${Env}'") == "arn:aws:s3:::${Bucket}/prod"
    assert value_of("!Sub '${Bucket.Arn}/*'") == "${Bucket.Arn}/*"
    assert value_of("!Sub '${!Literal}-${Env}'") == "${Literal}-prod"
    assert value_of("!Sub ['${a}-${Env}', {a: !Ref AWS::Region}]") == "us-east-1-prod"


def test_join_split_select():
    assert value_of("!Join ['-', [a, !Ref Env]]") == "a-prod"
    assert value_of("!Join [',', !Ref Names]") == "a,b,c"
    assert value_of("!Split [',', 'x,y']") == ["x", "y"]
    assert value_of("!Select [1, !Ref Names]") == "b"
    assert value_of("!Select ['2', !Split ['.', a.b.c]]") == "c"


def test_find_in_map_with_and_without_default():
    assert value_of("!FindInMap [Sizes, !Ref Env, Count]") == "3"
    assert value_of("!FindInMap [Sizes, dev, Count, {DefaultValue: '1'}]") == "1"
    with pytest.raises(TemplateError, match="no Sizes/dev/Count"):
        value_of("!FindInMap [Sizes, dev, Count]")


def test_get_azs_base64_cidr():
    assert value_of("!GetAZs ''") == [f"us-east-1{z}" for z in "abcdef"]
    assert value_of("!Base64 hello") == base64.b64encode(b"hello").decode()
    assert value_of("!Cidr [10.0.0.0/16, 3, 8]") == ["10.0.0.0/24", "10.0.1.0/24", "10.0.2.0/24"]


def test_if_picks_a_branch_and_no_value_removes():
    assert value_of("!If [IsProd, first, second]") == "first"
    assert value_of("!If [IsProd, first, second]", Env="dev") == "second"
    assert value_of("!If [IsProd, !Ref AWS::NoValue, kept]") == "<removed>"
    assert value_of("[a, !If [IsProd, !Ref AWS::NoValue, b], c]") == ["a", "c"]
    assert value_of("[a, !If [IsProd, [!If [IsProd, deep, x]], y]]") == ["a", ["deep"]]


CONDITIONS = """
Parameters:
  A: {Type: String, Default: 'on'}
  B: {Type: String, Default: 'off'}
  Open: {Type: String}
Conditions:
  AOn: !Equals [!Ref A, 'on']
  BOn: !Equals [!Ref B, 'on']
  Both: !And [!Condition AOn, !Condition BOn]
  Either: !Or [!Condition AOn, !Condition BOn]
  NotB: !Not [!Condition BOn]
  Nested: !And [!Or [!Condition BOn, !Equals [x, x]], !Not [!Equals [!Ref A, 'off']]]
  OpenSet: !Equals [!Ref Open, 'x']
Resources:
  Always: {Type: AWS::SNS::Topic}
  OnlyBoth: {Type: AWS::SNS::Topic, Condition: Both}
  OnlyEither: {Type: AWS::SNS::Topic, Condition: Either}
"""


def test_condition_functions():
    ev = evaluate(CONDITIONS, Open="x")
    assert ev.conditions() == {"AOn": True, "BOn": False, "Both": False, "Either": True, "NotB": True,
                               "Nested": True, "OpenSet": True}


def test_a_false_resource_condition_removes_the_resource():
    ev = evaluate(CONDITIONS, Open="x")
    assert set(ev.resources()) == {"Always", "OnlyEither"}
    assert ev.resource("OnlyBoth") is None
    ev = evaluate(CONDITIONS, Open="x", B="on")
    assert set(ev.resources()) == {"Always", "OnlyBoth", "OnlyEither"}


def test_a_condition_on_an_unresolved_parameter_is_an_error_naming_it():
    ev = evaluate(CONDITIONS)
    with pytest.raises(TemplateError, match="condition OpenSet needs a value for Open"):
        ev.condition("OpenSet")
    assert ev.condition("AOn") is True  # the others still evaluate


def test_unresolved_parameters_are_placeholders_in_values():
    assert value_of("!Sub 'https://${Host}/'") == "https://<Host>/"
    assert value_of("!Select [1, !Split ['.', !Ref Host]]") == "<Host[1]>"


def test_circular_conditions_are_an_error_naming_the_cycle():
    text = """
Conditions:
  A: !Condition B
  B: !Not [!Condition A]
Resources:
  T: {Type: AWS::SNS::Topic, Condition: A}
"""
    with pytest.raises(TemplateError, match="circular condition: A -> B -> A"):
        evaluate(text).resources()


def test_unknown_intrinsic_names_its_place():
    with pytest.raises(TemplateError) as caught:
        value_of("{'Fn::Bogus': 1}")
    assert "unknown intrinsic function Fn::Bogus" in str(caught.value)
    assert caught.value.where == "Resources/T/Properties/V"
    assert caught.value.line is not None


@pytest.mark.parametrize("expression, message", [
    ("!Ref Missing", "neither a parameter nor a resource"),
    ("!Ref AWS::Bogus", "unknown pseudo parameter"),
    ("!GetAtt Missing.Arn", "not a resource"),
    ("!Select [5, [a]]", "outside a list of 1"),
    ("!Join [',', [[a]]]", "must be a string"),
    ("!If [IsProd, a]", "Fn::If expects a list of 3"),
    ("!If [NoSuch, a, b]", "no Condition named 'NoSuch'"),
    ("!Sub '${Names}'", "is a list"),
])
def test_malformed_intrinsics_are_errors(expression, message):
    with pytest.raises(TemplateError, match=message):
        value_of(expression)


def test_static_subtrees_are_shared_not_copied():
    template = parse_template("Resources:\n  T:\n    Type: X\n    Properties:\n      Big: {a: [1, 2]}\n")
    ev = Evaluation(template, resolve_parameters(template, {}))
    assert ev.resource("T")["Properties"]["Big"] is template.resources["T"]["Properties"]["Big"]


def test_pseudo_values_can_be_chosen():
    pseudo = Pseudo(stack_name="prod", region="eu-west-1", account_id="111122223333")
    ev = evaluate("Resources:\n  T:\n    Type: X\n    Properties:\n      V: !Sub '${AWS::StackName}:${AWS::Region}:${AWS::AccountId}'\n",
                  pseudo)
    assert ev.resource("T")["Properties"]["V"] == "prod:eu-west-1:111122223333"


def test_resources_of_some_types_come_in_template_order(real_evaluation):
    evaluation = real_evaluation()
    every = evaluation.resources()
    types = ("AWS::IAM::Role", "AWS::S3::Bucket", "AWS::IAM::Role", "AWS::Nothing::Here")
    chosen = evaluation.resources(*types)
    assert list(chosen) == [r for r in every if every[r]["Type"] in types] and chosen
    assert evaluation.resources("AWS::Nothing::Here") == {}
