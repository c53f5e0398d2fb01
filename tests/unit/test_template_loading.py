"""Reading templates: short-form tags, JSON, line numbers and refusing bad input."""

from __future__ import annotations

import json

import pytest

from wizard.errors import TemplateError
from wizard.cfn.template import load_template, parse_template
from wizard.cfn.yamlsource import parse_yaml

TAGS = """
Resources:
  R:
    Type: AWS::SNS::Topic
    Properties:
      a: !Ref X
      b: !Sub 'x-${AWS::Region}'
      c: !GetAtt Bucket.Arn
      c2: !GetAtt DB.Endpoint.Address
      d: !If [Cond, 1, 2]
      e: !Equals [a, b]
      f: !And [!Condition A, !Condition B]
      g: !Or [!Condition A, !Condition B]
      h: !Not [!Condition A]
      i: !Join [',', [a, b]]
      j: !Split [',', 'a,b']
      k: !Select [0, [a]]
      l: !FindInMap [M, a, b]
      m: !Base64 text
      n: !Cidr [10.0.0.0/16, 2, 8]
      o: !GetAZs ''
      p: !ImportValue Shared
"""


def test_every_short_form_tag_becomes_the_long_form():
    props = parse_template(TAGS).resources["R"]["Properties"]
    assert props["a"] == {"Ref": "X"}
    assert props["b"] == {"Fn::Sub": "x-${AWS::Region}"}
    assert props["c"] == {"Fn::GetAtt": ["Bucket", "Arn"]}
    assert props["c2"] == {"Fn::GetAtt": ["DB", "Endpoint.Address"]}
    assert props["d"] == {"Fn::If": ["Cond", 1, 2]}
    assert props["e"] == {"Fn::Equals": ["a", "b"]}
    assert props["f"] == {"Fn::And": [{"Condition": "A"}, {"Condition": "B"}]}
    assert props["g"] == {"Fn::Or": [{"Condition": "A"}, {"Condition": "B"}]}
    assert props["h"] == {"Fn::Not": [{"Condition": "A"}]}
    assert props["i"] == {"Fn::Join": [",", ["a", "b"]]}
    assert props["j"] == {"Fn::Split": [",", "a,b"]}
    assert props["k"] == {"Fn::Select": [0, ["a"]]}
    assert props["l"] == {"Fn::FindInMap": ["M", "a", "b"]}
    assert props["m"] == {"Fn::Base64": "text"}
    assert props["n"] == {"Fn::Cidr": ["10.0.0.0/16", 2, 8]}
    assert props["o"] == {"Fn::GetAZs": ""}
    assert props["p"] == {"Fn::ImportValue": "Shared"}


def test_the_transform_tag_becomes_the_long_form():
    """A template that uses it is refused (wizard.cfn.transform); the reader still reads it."""
    data = parse_yaml("q: !Transform {Name: AWS::Include}\n", "<template>")
    assert data["q"] == {"Fn::Transform": {"Name": "AWS::Include"}}


def test_line_numbers_are_kept():
    template = parse_template(TAGS)
    assert template.line_of("Resources", "R") == 3
    assert template.line_of("Resources", "R", "Properties", "c") == 8
    assert template.line_of("Resources", "R", "Properties", "nothing-here") == 5


def test_json_templates_are_read(tmp_path):
    path = tmp_path / "t.json"
    path.write_text(json.dumps({"Resources": {"T": {"Type": "AWS::SNS::Topic",
                                                     "Properties": {"TopicName": {"Ref": "AWS::StackName"}}}}},
                               indent=2))
    template = load_template(path)
    assert template.format == "json"
    assert template.resources["T"]["Properties"]["TopicName"] == {"Ref": "AWS::StackName"}
    assert template.line_of("Resources", "T") == 3


def test_a_file_is_parsed_once(tmp_path):
    path = tmp_path / "t.yaml"
    path.write_text("Resources:\n  T:\n    Type: AWS::SNS::Topic\n")
    assert load_template(path) is load_template(path)


@pytest.mark.parametrize("text, expected", [
    ("Resources: [unclosed", "not valid YAML"),
    ("{\"Resources\": ", "not valid"),
    ("just a string", "expected a CloudFormation template"),
    ("", "an empty file"),
    ("Parameters: {}\n", "no Resources"),
    ("Resources:\n  A:\n    Properties: {}\n", "a resource needs a Type"),
    ("Resources:\n  A:\n    Type: X\n  A:\n    Type: Y\n", "duplicate key 'A'"),
    ("Resources:\n  A:\n    Type: X\n    Properties:\n      V: !Bogus x\n", "unknown tag !Bogus"),
    ("Resources:\n  A:\n    Type: X\n    Properties:\n      V: !GetAtt NoDot\n", "expected Resource.Attribute"),
])
def test_bad_templates_get_one_clear_message(text, expected):
    with pytest.raises(TemplateError) as caught:
        parse_template(text, "bad.yaml")
    message = str(caught.value)
    assert message.startswith("bad.yaml")
    assert expected in message


def test_errors_name_the_line():
    with pytest.raises(TemplateError) as caught:
        parse_template("Resources:\n  A:\n    Type: X\n    Properties:\n      V: !Bogus x\n", "bad.yaml")
    assert caught.value.line == 5


def test_a_yaml_bomb_is_refused():
    lines = ["a0: &a0 [x, x, x, x, x, x, x, x, x, x]"]
    for i in range(1, 9):
        lines.append(f"a{i}: &a{i} [{', '.join(['*a%d' % (i - 1)] * 10)}]")
    lines.append("Resources:\n  A:\n    Type: X\n    Properties:\n      V: *a8")
    with pytest.raises(TemplateError, match="YAML bomb"):
        parse_template("\n".join(lines))


def test_a_huge_template_is_refused(tmp_path):
    path = tmp_path / "huge.yaml"
    path.write_text("Resources:\n  A:\n    Type: X\n" + "# padding\n" * 120_000)
    with pytest.raises(TemplateError, match="CloudFormation accepts at most"):
        load_template(path)


def test_missing_file():
    with pytest.raises(TemplateError, match="no such file"):
        load_template("/nonexistent/template.yaml")


def test_real_template_parses(real_template_path):
    template = load_template(real_template_path)
    assert len(template.resources) == 235
    assert len(template.parameters) == 42
    assert len(template.conditions) == 13


@pytest.mark.parametrize("kept", [False, True], ids=["small", "kept"])
@pytest.mark.parametrize("extra, refused", [(0, False), (1, True), (40, True)])
def test_a_template_nested_past_the_limit_is_refused(extra, refused, kept):
    """A template large enough to be kept is measured by the walk that finds its intrinsics,
    a small one by a walk of its own: the same limit either way, and no recursion past it."""
    from wizard.cfn import parsecache
    from wizard.cfn.template import MAX_DEPTH, _depth

    # The body, Resources, A and Properties are four levels; the rest are lists in V.
    lists = MAX_DEPTH - 4 + extra
    text = "Resources:\n  A:\n    Type: X\n    Properties:\n      V: " + "[" * lists + "]" * lists + "\n"
    if kept:
        text += f"# {'x' * parsecache.MIN_CHARS}\n"
    if refused:
        with pytest.raises(TemplateError, match=f"nested more than {MAX_DEPTH} levels deep"):
            parse_template(text, "deep.yaml")
    else:
        body = parse_template(text, "deep.yaml").body
        assert _depth(body) == MAX_DEPTH
    assert _depth([[], {"a": [1, {"b": []}]}]) == 5 and _depth("text") == 0 and _depth({}) == 1


@pytest.mark.parametrize("kept", [False, True], ids=["small", "kept"])
def test_json_nested_far_past_the_limit_is_refused_without_recursing_into_it(kept):
    """JSON is read to any depth its reader manages: the walk stops at the limit."""
    from wizard.cfn import parsecache
    from wizard.cfn.template import MAX_DEPTH

    text = '{"Resources": {"A": {"Type": "X", "Properties": {"V": ' + "[" * 800 + "]" * 800 + "}}}}"
    if kept:
        text += " " * parsecache.MIN_CHARS
    with pytest.raises(TemplateError, match=f"nested more than {MAX_DEPTH} levels deep"):
        parse_template(text, "deep.json")
