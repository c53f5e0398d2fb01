"""The rule texts and the compliance mapping: valid, complete, and refused when broken."""

from __future__ import annotations

import shutil

import pytest
import yaml

from wizard import paths
from wizard.errors import InputError
from wizard.findings import catalog as catalog_module
from wizard.findings.catalog import catalog, parse_frameworks

EXPECTED_CONTROLS = {
    "soc2": {"CC6.1", "CC6.3", "CC6.6", "CC6.8", "CC7.2"},
    "hipaa": {"164.312(a)(1)", "164.312(b)", "164.312(c)(1)", "164.312(d)", "164.312(e)(1)"},
    "pci-dss": {"1.2.5", "2.2.5", "4.2.1", "7.2.1", "7.2.5", "8.2.7", "10.2.1", "10.3.2"},
    "iso27001": {"5.15", "5.18", "8.2", "8.3", "8.15", "8.20", "8.24"},
    "cis-aws": {"1.16", "3.2", "3.5", "4.1", "4.4", "5.2"},
}


def test_the_five_frameworks_and_their_key_controls():
    frameworks = catalog().frameworks
    assert list(frameworks) == ["soc2", "hipaa", "pci-dss", "iso27001", "cis-aws"]
    for key, expected in EXPECTED_CONTROLS.items():
        ids = {control.id for control, _ in frameworks[key].controls}
        assert expected <= ids, key


def test_each_customer_concern_has_a_rule():
    texts = catalog()
    assert set(texts.concerns) == set(range(1, 9))
    assert {r.concern for r in texts.rules.values() if r.concern} == set(range(1, 9))


def test_the_escalation_catalog_holds_the_public_methods():
    methods = {m.id: set(m.actions) for m in catalog().escalation_methods}
    assert methods["CreateNewPolicyVersion"] == {"iam:CreatePolicyVersion"}
    assert methods["PassExistingRoleToNewLambdaThenInvoke"] == {
        "iam:PassRole", "lambda:CreateFunction", "lambda:InvokeFunction"}
    assert methods["UpdateRolePolicyToAssumeIt"] == {"iam:UpdateAssumeRolePolicy", "sts:AssumeRole"}
    assert methods["PassExistingRoleToCloudFormation"] == {"iam:PassRole", "cloudformation:CreateStack"}
    assert {"CreateAccessKey", "CreateLoginProfile", "UpdateLoginProfile", "AttachUserPolicy",
            "AttachRolePolicy", "AttachGroupPolicy", "PutUserPolicy", "PutRolePolicy", "PutGroupPolicy",
            "SetExistingDefaultPolicyVersion", "CreateEC2WithExistingIP", "EditExistingLambdaFunctionWithRole",
            "UpdateExistingGlueDevEndpoint"} <= set(methods)


def test_frameworks_option_is_parsed_and_checked():
    assert parse_frameworks("soc2, HIPAA") == ["soc2", "hipaa"]
    assert parse_frameworks(None) is None
    with pytest.raises(InputError, match="unknown framework 'soc3'"):
        parse_frameworks("soc2,soc3")


@pytest.fixture
def assets_copy(tmp_path, monkeypatch):
    """A private copy of the shipped assets, read instead of the real ones."""
    folder = tmp_path / "assets"
    (folder / "schemas").mkdir(parents=True)
    for name in ("findings.yaml", "compliance.yaml"):
        shutil.copy(paths.ASSETS / name, folder / name)
        schema = name.replace(".yaml", ".schema.json")
        shutil.copy(paths.SCHEMAS / schema, folder / "schemas" / schema)
    monkeypatch.setattr(paths, "ASSETS", folder)
    monkeypatch.setattr(paths, "SCHEMAS", folder / "schemas")
    return folder


def _edit(path, change):
    data = yaml.safe_load(path.read_text())
    change(data)
    path.write_text(yaml.safe_dump(data, sort_keys=False))


def test_a_rule_with_a_bad_severity_is_refused_with_its_pointer(assets_copy):
    _edit(assets_copy / "findings.yaml", lambda d: d["rules"]["QW-IAM-001"].update(severity="urgent"))
    with pytest.raises(InputError) as caught:
        catalog_module.check_assets()
    assert "/rules/QW-IAM-001/severity" in str(caught.value)


def test_a_control_naming_an_unknown_rule_is_refused(assets_copy):
    _edit(assets_copy / "compliance.yaml",
          lambda d: d["frameworks"]["soc2"]["controls"][0]["rules"].append("QW-IAM-999"))
    with pytest.raises(InputError, match="QW-IAM-999"):
        catalog_module._build()


def test_the_shipped_assets_fit_their_schemas_and_each_other():
    catalog_module.check_assets()


def test_the_shipped_assets_load_once(monkeypatch):
    first = catalog()
    monkeypatch.setattr(catalog_module, "_build", lambda: pytest.fail("read twice"))
    assert catalog() is first


def test_a_second_read_of_the_shipped_assets_parses_no_yaml(monkeypatch):
    """The rule texts and the compliance mapping are read back from the cache folder, as a
    template is; an edited file is a new entry (its text is the key), never a stale one."""
    from wizard.cfn import yamlsource

    first = {name: catalog_module.read_asset(name) for name in ("findings.yaml", "compliance.yaml")}
    monkeypatch.setattr(yamlsource, "parse_yaml", lambda *a, **k: pytest.fail("parsed again"))
    monkeypatch.setattr(yaml, "load", lambda *a, **k: pytest.fail("parsed again"))
    assert {name: catalog_module.read_asset(name) for name in first} == first
    assert catalog_module._build().rules == catalog().rules


def test_an_edited_asset_is_parsed_again(assets_copy):
    catalog_module.read_asset("findings.yaml")
    _edit(assets_copy / "findings.yaml", lambda d: d["rules"]["QW-IAM-001"].update(title="Edited"))
    assert catalog_module.read_asset("findings.yaml")["rules"]["QW-IAM-001"]["title"] == "Edited"
