"""The rule modules are found in their folder, not listed by hand, and a detector whose id the
catalog has no texts for is refused as a bug."""

from __future__ import annotations

import sys
import textwrap

import pytest

from wizard.findings import rules
from wizard.findings.catalog import catalog

NEW_RULE = textwrap.dedent('''
    from wizard.findings.model import Hit
    from wizard.findings.rules import detector


    @detector("QW-TST-901")
    def dropped_in(ctx):
        yield Hit(subject="x", message="found")
''')


@pytest.fixture
def dropped_module(tmp_path, monkeypatch):
    """A rule module dropped beside the shipped ones (a second folder of the package)."""
    (tmp_path / "zz_dropped.py").write_text(NEW_RULE, encoding="utf-8")
    rules.detectors()
    monkeypatch.setattr(rules, "__path__", [*rules.__path__, str(tmp_path)])
    monkeypatch.setattr(rules, "DETECTORS", dict(rules.DETECTORS))
    yield "zz_dropped"
    sys.modules.pop(f"{rules.__name__}.zz_dropped", None)


def test_every_shipped_module_is_found_sorted():
    names = rules.rule_modules()
    assert names == sorted(names)
    assert {"kms", "network", "resource_types", "trust"} <= set(names)
    rules.detectors()
    assert all(f"{rules.__name__}.{name}" in sys.modules for name in names)


def test_every_detector_comes_from_a_found_module_in_id_order():
    found = rules.detectors()
    assert list(found) == sorted(found)
    modules = {function.__module__.rsplit(".", 1)[1] for function in found.values()}
    assert modules <= set(rules.rule_modules())
    assert set(found) == set(catalog().rules)


def test_a_module_dropped_in_the_folder_is_found(dropped_module):
    assert dropped_module in rules.rule_modules()
    found = rules.load({*catalog().rules, "QW-TST-901"})
    assert found["QW-TST-901"].__module__ == f"{rules.__name__}.{dropped_module}"
    assert list(found) == sorted(found)
    assert set(found) == {*catalog().rules, "QW-TST-901"}


def test_a_detector_without_catalog_texts_is_a_bug(dropped_module):
    with pytest.raises(rules.RuleBug, match=r"zz_dropped\.dropped_in .*rule QW-TST-901 has no entry in "
                                            r"assets/findings\.yaml"):
        rules.load(catalog().rules)


def test_two_detectors_for_one_id_are_a_bug(monkeypatch):
    monkeypatch.setattr(rules, "DETECTORS", dict(rules.detectors()))
    with pytest.raises(rules.RuleBug, match="two detectors for QW-IAM-112"):
        rules.detector("QW-IAM-112")(lambda ctx: ())
