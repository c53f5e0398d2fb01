"""The question catalog: shipped file valid, questions filtered by template, generic rest."""

from __future__ import annotations

import pytest

from wizard.flow.catalog import load_catalog
from wizard.errors import InputError
from wizard.paths import DEFAULT_TEMPLATE
from wizard.cfn.template import load_template


def test_the_shipped_catalog_holds_the_customer_questions_and_every_concern():
    catalog = load_catalog()
    ids = [q.id for q in catalog.questions]
    assert ids[:4] == ["policy_creation", "tighter_security", "frameworks", "timeline"]
    assert {q.concern for q in catalog.questions} >= {
        "dynamic-policy-creation", "wildcard-resources", "cloudtrail", "athena", "ecs-port-80",
        "elb-port-444", "elb-certificate"}
    for question in catalog.questions:
        assert question.help and question.tradeoff


def test_policy_creation_choices_set_the_template_parameter():
    question = load_catalog().question("policy_creation")
    assert [c.value for c in question.choices] == ["automatic", "manual", "precreated"]
    assert question.parameter_values("manual") == {"PolicyCreationMode": "ManualApproval"}
    assert question.problem("sometimes").startswith("expected one of automatic, manual, precreated")


def test_when_conditions():
    catalog = load_catalog()
    log_group = catalog.question("log_group")
    assert not log_group.applies({"cloudwatch": "no"})
    assert log_group.applies({"cloudwatch": "yes"})


#: Questions about a risk of the vendor's template that the embedded model does not have (its
#: trail always records S3 data events), and the approvers the overlay's manual approval trusts
#: (the embedded model's approver role predates them).
VENDOR_ONLY = ["approval_email", "s3_data_events", "external_trust"]


def test_every_catalog_parameter_exists_in_the_embedded_template():
    template = load_template(DEFAULT_TEMPLATE)
    catalog = load_catalog()
    asked = catalog.for_template(template)
    assert [q.id for q in catalog.questions if q not in asked] == VENDOR_ONLY
    for question in asked:
        for choice in question.choices:
            for name, value in choice.sets.items():
                assert template.parameters[name].problem(value) is None, (question.id, name, value)


def test_on_another_template_only_questions_it_can_honour_are_asked(real_template_path):
    template = load_template(real_template_path)
    catalog = load_catalog()
    assert [q.id for q in catalog.for_template(template)] == ["frameworks", "timeline", "certificate", "host"]
    generic = catalog.generic(template)
    names = [g.id for g in generic]
    assert "CertificateArnELB" not in names and "Qurator" in names
    required = [g.id for g in generic if g.required]
    assert names[:len(required)] == required  # required ones first
    assert "AdminPassword" in names and generic[names.index("AdminPassword")].spec.no_echo


def test_a_malformed_catalog_is_one_clear_error(tmp_path):
    path = tmp_path / "questions.yaml"
    path.write_text("version: 1\nsections: [{id: s, title: S}]\nquestions:\n"
                    "  - {id: q, section: s, title: T, help: H, tradeoff: X, kind: choice}\n")
    with pytest.raises(InputError) as caught:
        load_catalog(path)
    assert "/questions/0" in str(caught.value) and "'choices' is required" in str(caught.value)
    assert caught.value.line == 4


def test_the_shipped_catalog_is_parsed_once_across_runs(monkeypatch, tmp_path):
    """A later run reads the shipped catalog back from the cache folder; a catalog file given
    (validated against its schema) is always parsed."""
    import shutil

    from wizard.flow import catalog as catalog_module
    from wizard.paths import ASSETS

    catalog_module._load.cache_clear()
    first = load_catalog()
    catalog_module._load.cache_clear()
    parsed = []
    real = catalog_module.parse_yaml
    monkeypatch.setattr(catalog_module, "parse_yaml", lambda *a, **k: parsed.append(a[1]) or real(*a, **k))
    assert load_catalog().questions == first.questions and parsed == []
    given = tmp_path / "questions.yaml"
    shutil.copy(ASSETS / "questions.yaml", given)
    assert load_catalog(given).questions == first.questions and parsed == [str(given)]
    catalog_module._load.cache_clear()
