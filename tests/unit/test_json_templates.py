"""JSON templates take a faster reader that gives exactly what the YAML reader gives."""

from __future__ import annotations

import json

import pytest

from tests.unit.test_parse_cache import EMBEDDED, same_lines
from wizard.cfn.jsonsource import read_json
from wizard.cfn.template import parse_template
from wizard.cfn.yamlsource import parse_yaml
from wizard.errors import TemplateError


def as_json(body, **options):
    return json.dumps(body, ensure_ascii=False, **options)


@pytest.mark.parametrize("options", [{}, {"indent": 2}, {"indent": 1, "sort_keys": True}],
                         ids=["one line", "indented", "sorted"])
def test_the_embedded_template_as_json_reads_as_yaml_reads_it(options):
    text = as_json(parse_template(EMBEDDED).body, **options)
    fast = read_json(text)
    assert fast is not None
    same_lines(parse_yaml(text, "t.json"), fast)


def test_the_real_template_as_json_reads_as_yaml_reads_it(real_template_path):
    text = as_json(parse_template(real_template_path.read_text()).body, indent=2)
    same_lines(parse_yaml(text, "t.json"), read_json(text))


@pytest.mark.parametrize("text", [
    '{"a": 1e5}',                 # YAML 1.1: text, not a number
    '{"a": 1.5e5}',
    '{"a":\t1}',                  # tabs
    '{"a": 1,\r\n "b": 2}',       # other line breaks
    '{"a": "caf\\u00e9"}',        # \\u escapes
    '{"a": "\\/"}',
    '{"a": 1, "a": 2}',           # duplicate key: YAML words the error
    '[1, 2]', '{} trailing', '', '{"a": NaN}', '{"a": "\\u0000"}',
    '{"a": "line\u2028break"}', '{"a": "\x85"}', '{"a": "\x7f"}',   # YAML line breaks, unprintable
])
def test_what_yaml_might_read_otherwise_is_left_to_it(text):
    assert read_json(text) is None


def test_text_beyond_ascii_is_read():
    text = '{"caf\u00e9": ["\u65e5\u672c", "\U0001f600"]}'
    same_lines(parse_yaml(text, "t.json"), read_json(text))
    assert read_json(text) == {"caf\u00e9": ["\u65e5\u672c", "\U0001f600"]}


def test_plain_values_are_yamls():
    text = '{\n "a": [true, false, null, -0, 12, 1.5, -2.25e+3],\n "b": {"c": "\\"q\\" \\\\u \\n"}\n}'
    fast = read_json(text)
    same_lines(parse_yaml(text, "t.json"), fast)
    assert fast["a"] == [True, False, None, 0, 12, 1.5, -2250.0] and fast["b"]["c"] == '"q" \\u \n'
    assert (fast.key_lines, fast["a"].item_lines) == ({"a": 2, "b": 3}, [2] * 7)


def test_a_json_template_gives_the_same_errors_and_lines():
    body = {"Resources": {"Topic": {"Type": "AWS::SNS::Topic"}, "Topic": {"Type": "AWS::SNS::Topic"}}}
    text = '{\n"Resources": {\n  "Topic": {"Type": "AWS::SNS::Topic"},\n  "Topic": {"Type": "AWS::SNS::Topic"}\n}}'
    with pytest.raises(TemplateError, match="duplicate key 'Topic'") as caught:
        parse_template(text, "t.json")
    assert caught.value.line == 4
    good = parse_template(json.dumps({"Resources": body["Resources"]}, indent=2), "t.json")
    assert good.format == "json" and good.line_of("Resources", "Topic") == 3
