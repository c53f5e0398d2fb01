"""Answers: layers, precedence, and a clear message for every kind of bad answers file."""

from __future__ import annotations

import pytest

from tests.conftest import DATA
from wizard.flow.answers import Layer, load_answers_file, resolve
from wizard.flow.catalog import load_catalog
from wizard.cli import main
from wizard.paths import DEFAULT_TEMPLATE
from wizard.flow.profiles import load_profile
from wizard.cfn.template import load_template


@pytest.fixture(scope="module")
def template():
    return load_template(DEFAULT_TEMPLATE)


def test_defaults_give_the_standard_parameters(template):
    plan = resolve(load_catalog(), template, [])
    assert plan.parameters["PolicyCreationMode"] == "Automatic"
    assert plan.parameters["InternalApiPort"] == "444"
    assert "log_group" not in plan.answers  # only asked with CloudWatch


def test_layers_weakest_first(template):
    layers = load_profile("restricted").layers(None) + [
        Layer("file", {"internal_port": "disabled"}, {"AdminEmail": "a@b.co"}),
        Layer("--set", {}, {"InternalApiPort": "9443"}),
    ]
    plan = resolve(load_catalog(), template, layers)
    assert plan.parameters["PolicyCreationMode"] == "ManualApproval"  # from the mode
    assert plan.answers["internal_port"] == "disabled"                # the file wins over the mode
    assert plan.parameters["InternalApiPort"] == "9443"               # --set wins over everything
    assert plan.origin["InternalApiPort"] == "--set"


def test_when_condition_follows_answers(template):
    plan = resolve(load_catalog(), template, [Layer("f", {"cloudwatch": "yes", "log_group": "arn:x"})])
    assert plan.parameters["CloudWatchLogGroupArn"] == "arn:x"
    plan = resolve(load_catalog(), template, [Layer("f", {"cloudwatch": "no", "log_group": "arn:x"})])
    assert "CloudWatchLogGroupArn" not in plan.parameters


def test_a_complete_answers_file_loads():
    answers = load_answers_file(DATA / "answers" / "good-standard.yaml")
    assert answers.mode == "standard"
    assert answers.stack["account_id"] == "111122223333"


BAD = {
    "bad-not-yaml.yaml": "not valid YAML",
    "bad-unknown-field.yaml": ":3: /anwsers: unexpected field 'anwsers'",
    "bad-wrong-type.yaml": ":4: /stack/account_id: expected string, found int 1234",
    "bad-unknown-question.yaml": ":3: /answers/task_tsl: no question 'task_tsl' in the catalog; did you mean 'task_tls'?",
    "bad-choice.yaml": ":4: /answers/task_tls: expected one of yes, no, found 'maybe'",
    "bad-bucket-wildcard.yaml": ":3: /answers/bucket_scope (CustomerBucketPrefix): 'acme-*' does not match AllowedPattern",
    "bad-unknown-parameter.yaml": ":3: /parameters/AdminEmial (AdminEmial): the template has no parameter AdminEmial; did you mean 'AdminEmail'?",
    "bad-format.yaml": ":3: /output/format: expected one of cfn, overrides, codepipeline, tfvars, found 'json'",
    "bad-version.yaml": ":1: /version: expected 1, found 2",
    "bad-mode.yaml": ":2: /mode: no profile named 'paranoid'",
}


@pytest.mark.parametrize("name", sorted(BAD))
def test_every_bad_answers_file_gets_one_line_exit_2_and_nothing_written(name, tmp_path, capsys):
    out = tmp_path / "params.json"
    assert main(["--answers", str(DATA / "answers" / name), "--out", str(out)]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "Traceback" not in err
    assert str(DATA / "answers" / name) in err
    assert BAD[name] in err
    assert not out.exists()


def test_bad_answers_files_cover_every_case():
    assert sorted(p.name for p in (DATA / "answers").glob("bad-*.yaml")) == sorted(BAD)


def test_missing_required_values_are_named(tmp_path, capsys):
    path = tmp_path / "a.yaml"
    path.write_text("version: 1\nmode: standard\n")
    assert main(["--answers", str(path), "--out", str(tmp_path / "p.json")]) == 2
    err = capsys.readouterr().err
    assert "no value for AdminEmail" in err and "--set KEY=VALUE" in err


def test_a_weaker_layers_parameter_loses_to_a_stronger_layers_answer(template):
    profile = Layer("profile", {}, {"EnableTaskTLS": "false", "InternalApiPort": "9443"})
    answers = Layer("answers file", {"task_tls": "yes"}, {})
    plan = resolve(load_catalog(), template, [profile, answers])
    assert plan.parameters["EnableTaskTLS"] == "true"      # the stronger answer wins
    assert plan.parameters["InternalApiPort"] == "9443"    # nothing stronger set it
    same_layer = Layer("answers file", {"task_tls": "yes"}, {"EnableTaskTLS": "false"})
    assert resolve(load_catalog(), template, [same_layer]).parameters["EnableTaskTLS"] == "false"


def test_a_yaml_bomb_in_an_answers_file_is_refused_quickly(tmp_path, capsys):
    lines = ["a0: &a0 [x, x, x, x, x, x, x, x, x, x]"]
    for i in range(1, 8):
        lines.append(f"a{i}: &a{i} [{', '.join(['*a%d' % (i - 1)] * 10)}]")
    lines.append("version: 1\nanswers: {frameworks: *a7}")
    path = tmp_path / "bomb.yaml"
    path.write_text("\n".join(lines))
    assert main(["--answers", str(path), "--out", str(tmp_path / "p.json")]) == 2
    err = capsys.readouterr().err
    assert "YAML bomb" in err and len(err) < 500


def test_an_unwritable_output_is_one_line_exit_2(tmp_path, capsys):
    blocker = tmp_path / "file.txt"
    blocker.write_text("not a folder")
    assert main(["--answers", str(DATA / "answers" / "good-standard.yaml"), "--out", str(blocker / "p.json")]) == 2
    err = capsys.readouterr().err
    assert "cannot write" in err and err.count("\n") == 1
