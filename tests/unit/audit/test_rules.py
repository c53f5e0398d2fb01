"""The audit rules' texts: every rule the audit raises has them, and controls must exist."""

from __future__ import annotations

import shutil

import pytest
import yaml

from wizard import paths
from wizard.audit import envelope, rules
from wizard.errors import InputError


def test_every_audit_rule_has_texts_and_known_controls() -> None:
    raised = {value for name, value in vars(envelope).items() if name.isupper() and str(value).startswith("QW-AUD-")}
    texts = rules.audit_rules()
    assert set(texts) == raised
    for rule in texts.values():
        assert rule.controls and rule.why and rule.fix
        assert all(control.title for control in rule.controls)


def test_an_unknown_control_is_refused(tmp_path, monkeypatch) -> None:
    folder = tmp_path / "assets"
    shutil.copytree(paths.ASSETS / "schemas", folder / "schemas")
    for name in ("findings.yaml", "compliance.yaml"):
        shutil.copy(paths.ASSETS / name, folder / name)
    data = yaml.safe_load((folder / "findings.yaml").read_text())
    data["audit_rules"]["QW-AUD-001"]["controls"]["soc2"].append("CC9.9")
    (folder / "findings.yaml").write_text(yaml.safe_dump(data, sort_keys=False))
    monkeypatch.setattr(paths, "ASSETS", folder)
    with pytest.raises(InputError, match="soc2 CC9.9"):
        rules._read()


def test_audit_rules_and_template_rules_are_one_type_read_one_way() -> None:
    from wizard.findings.catalog import RuleText, catalog, read_asset

    data = read_asset("findings.yaml")
    for rule_id, rule in rules.audit_rules().items():
        assert type(rule) is RuleText
        assert rule == RuleText.from_entry(rule_id, data["audit_rules"][rule_id], rule.controls)
        assert "\n" not in rule.why and "  " not in rule.fix
    for rule_id, rule in catalog().rules.items():
        assert rule == RuleText.from_entry(rule_id, data["rules"][rule_id]) and rule.controls == ()
