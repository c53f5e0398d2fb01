"""``grants`` refuses what ``render`` refuses: the whole template is evaluated, once per template,
values, pseudo parameters and installed files; a verdict that it renders lets a later run skip
that, a refusal is never remembered, and no digest of a NoEcho value is written down."""

from __future__ import annotations

import pytest

from wizard.cfn.evaluate import Evaluation
from wizard.cfn.parameters import resolve_parameters
from wizard.cfn.template import parse_template
from wizard.cli import main
from wizard.paths import CACHE_ENV

GOOD = """
Parameters:
  Name: {Type: String, Default: data}
  Secret: {Type: String, NoEcho: true, Default: ''}
Resources:
  Bucket:
    Type: AWS::S3::Bucket
    Properties: {BucketName: !Sub '${Name}-bucket'}
  Role:
    Type: AWS::IAM::Role
    Properties:
      AssumeRolePolicyDocument: {Statement: [{Effect: Allow, Principal: {Service: ecs.amazonaws.com}, Action: sts:AssumeRole}]}
"""
#: A fault in a resource no grant reads: only evaluating the whole template finds it.
BAD = GOOD + """
  Queue:
    Type: AWS::SQS::Queue
    Properties: {QueueName: !Select [9, [a, b]]}
"""


@pytest.fixture
def cache(tmp_path, monkeypatch):
    monkeypatch.setenv(CACHE_ENV, str(tmp_path / "cache"))
    return tmp_path / "cache"


def _renders(monkeypatch) -> list:
    rendered = []
    real = Evaluation.rendered
    monkeypatch.setattr(Evaluation, "rendered", lambda self: rendered.append(1) or real(self))
    return rendered


def test_a_template_that_renders_is_rendered_once_then_known(tmp_path, cache, monkeypatch, capsys):
    path = tmp_path / "t.yaml"
    path.write_text(GOOD)
    rendered = _renders(monkeypatch)
    assert main(["grants", "--template", str(path), "--json"]) == 0
    assert main(["grants", "--template", str(path), "--json"]) == 0
    assert len(rendered) == 1 and len(list((cache / "renders-1").iterdir())) == 1
    assert main(["grants", "--template", str(path), "--json", "--set", "Name=other"]) == 0
    assert len(rendered) == 2  # other values: rendered again


def test_a_refusal_is_never_remembered(tmp_path, cache, monkeypatch, capsys):
    path = tmp_path / "t.yaml"
    path.write_text(BAD)
    for _ in range(2):
        assert main(["grants", "--template", str(path), "--json"]) == 2
        assert "Fn::Select" in capsys.readouterr().err
    assert not (cache / "renders-1").exists()


def test_values_holding_a_noecho_value_are_always_rendered_and_never_written_down(cache, monkeypatch):
    template = parse_template(GOOD)
    rendered = _renders(monkeypatch)
    for _ in range(2):
        Evaluation(template, resolve_parameters(template, {"Secret": "hunter2-hunter2"})).check_renders()
    assert len(rendered) == 2 and not (cache / "renders-1").exists()
    Evaluation(template, resolve_parameters(template, {})).check_renders()
    assert (cache / "renders-1").exists()
