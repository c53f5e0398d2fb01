"""What each choice costs Quilt, proved on the vendor's template, monolithic and split: every
role belongs to a feature, removing the vendor's users is a lost access caused by
TrustExternalPrincipals, no access is lost by accident, no action becomes ungrantable."""

from __future__ import annotations

import pytest

from tests.unit.overlay.conftest import VENDOR_FILES, _vendor
from wizard.cfn.pseudo import Pseudo
from wizard.errors import InputError
from wizard.overlay import harden
from wizard.overlay.costs import costs
from wizard.overlay.features import CATALOG, load_features

KEY = "arn:aws:kms:us-east-1:123456789012:key/11111111-2222-3333-4444-555555555555"
RESTRICTIVE = {"EnableEnhancedSecurity": "true", "CustomerBucketPrefix": "acme-", "AllowedAthenaWorkgroups": "primary",
               "KMSKeyId": KEY, "EnableCloudWatchIntegration": "true", "TrustExternalPrincipals": "Remove",
               "LoadBalancerScheme": "internal"}
MODES = {"Automatic": {}, "ManualApproval": {"ApproverPrincipalArn": "arn:aws:iam::123456789012:role/approver"},
         "PreCreated": {}}


def _roles(name: str) -> list[str]:
    template = _vendor(name)
    return [k for k, v in template.resources.items() if v.get("Type") == "AWS::IAM::Role"]


@pytest.mark.parametrize("name", list(VENDOR_FILES))
def test_every_role_of_the_vendor_template_belongs_to_a_feature(name):
    catalog = load_features()
    roles = _roles(name)
    assert roles
    assert [r for r in roles if not catalog.of_role(r)] == []


def test_the_roles_the_overlay_adds_belong_to_a_feature():
    template = _vendor("stable.yaml")
    hardened = harden(template).template
    added = [k for k, v in hardened.resources.items() if v.get("Type") == "AWS::IAM::Role" and k not in template.resources]
    assert added
    assert [r for r in added if not load_features().of_role(r)] == []


def test_the_shipped_catalog_fits_its_schema():
    from wizard.cfn.yamlsource import parse_yaml
    from wizard.overlay.features import CATALOG
    from wizard.schemas import validate

    validate(parse_yaml(CATALOG.read_text(encoding="utf-8"), str(CATALOG)), "quilt-features", str(CATALOG))


def test_a_catalog_that_does_not_fit_the_schema_is_one_line_naming_the_field(tmp_path):
    bad = tmp_path / "features.yaml"
    bad.write_text("version: 1\nfeatures:\n  - {id: x, name: X, description: d, roles: [A]}\noptions:\n"
                   "  - {parameter: P, claims: c, removes: [{kinds: [everything], actions: ['*']}]}\n")
    with pytest.raises(InputError) as caught:
        load_features(bad)
    assert "features.yaml:5: /options/0/removes/0/kinds/0: expected one of identity, trust, resource" in str(caught.value)


def _parts(split: bool):
    return [("stable-app.yaml", VENDOR_FILES["stable-app.yaml"]), ("stable-iam.yaml", {})] if split \
        else [("stable.yaml", VENDOR_FILES["stable.yaml"])]


def _run(split: bool, mode: str):
    """(lost accesses, QW-IAM-110 before, after) over the parts of the vendor template."""
    from wizard.flow.risk import findings_of

    lost, before_110, after_110 = [], 0, 0
    for name, required in _parts(split):
        hardened = harden(_vendor(name)).template
        chosen = {**required, **{k: v for k, v in {**RESTRICTIVE, "PolicyCreationMode": mode, **MODES[mode]}.items()
                                 if k in hardened.parameters}}
        lost += costs(hardened, required, chosen).lost
        before_110 += sum(f.rule_id == "QW-IAM-110" for f in findings_of(hardened, required, Pseudo()))
        after_110 += sum(f.rule_id == "QW-IAM-110" for f in findings_of(hardened, chosen, Pseudo()))
    return lost, before_110, after_110


CASES = [pytest.param(split, mode, id=f"{'split' if split else 'monolithic'}-{mode}")
         for split in (False, True) for mode in MODES]


@pytest.mark.parametrize("split, mode", CASES)
def test_removing_the_vendors_users_is_a_lost_access_caused_by_trust_external_principals(split, mode):
    lost, _, _ = _run(split, mode)
    vendor = [item for item in lost if item.kind == "trust" and ":user/" in item.principal]
    assert vendor, "the vendor's IAM users lose sts:AssumeRole"
    for item in vendor:
        assert item.cause == ("TrustExternalPrincipals=Remove",)
        assert item.actions == ("sts:AssumeRole",) and not item.collateral
        assert "The vendor's access to the stack" in item.affects
    assert {r for item in vendor for r in item.resources} >= {"AmazonECSTaskExecutionRole", "T4BucketReadRole"}


@pytest.mark.parametrize("split, mode", CASES)
def test_no_access_is_lost_that_no_option_claims(split, mode):
    lost, _, _ = _run(split, mode)
    assert [(i.principal, i.actions, i.cause) for i in lost if i.collateral] == []


@pytest.mark.parametrize("split, mode", CASES)
def test_no_action_becomes_ungrantable(split, mode):
    _, before, after = _run(split, mode)
    assert after <= before


@pytest.mark.parametrize("split, mode", CASES)
def test_every_loss_has_a_cause_and_names_the_features_it_stops(split, mode):
    lost, _, _ = _run(split, mode)
    assert lost
    for item in lost:
        assert item.cause and all("=" in c for c in item.cause)
        assert item.affects, f"{item.principal} {item.actions} stops no feature of the catalog"
    causes = {c.split("=")[0] for item in lost for c in item.cause}
    assert {"TrustExternalPrincipals", "AllowedAthenaWorkgroups", "CustomerBucketPrefix"} <= causes


def test_what_the_options_take_is_claimed_and_an_unclaimed_loss_is_collateral(tmp_path):
    """On the vendor's template every loss is one an option means (the workgroups take Athena off
    '*', the prefix takes S3 off '*'); with a catalog in which the workgroups option claims nothing,
    the same losses are found and marked collateral."""
    import yaml

    lost, _, _ = _run(False, "Automatic")
    claimed = {a for item in lost if not item.collateral for a in item.actions}
    assert "athena:StartQueryExecution" in claimed and "s3:PutBucketNotification" in claimed
    assert not [item for item in lost if item.collateral]

    data = yaml.safe_load(CATALOG.read_text(encoding="utf-8"))
    data["options"] = [o for o in data["options"] if o["parameter"] != "AllowedAthenaWorkgroups"]
    (tmp_path / "features.yaml").write_text(yaml.safe_dump(data), encoding="utf-8")
    hardened = harden(_vendor("stable.yaml")).template
    required = VENDOR_FILES["stable.yaml"]
    found = costs(hardened, required, {**required, "AllowedAthenaWorkgroups": "primary"},
                  catalog=load_features(tmp_path / "features.yaml"))
    collateral = {a for item in found.collateral for a in item.actions}
    assert "athena:StartQueryExecution" in collateral


def test_one_changed_option_is_the_cause_without_running_again():
    hardened = harden(_vendor("stable.yaml")).template
    required = VENDOR_FILES["stable.yaml"]
    found = costs(hardened, required, {**required, "TrustExternalPrincipals": "Remove"}, causes=False)
    assert {c for item in found.lost for c in item.cause} == {"TrustExternalPrincipals=Remove"}
    assert found.features() == ["The vendor's access to the stack"]
    assert found.collateral == ()


def test_the_panels_features_mark_what_no_option_claims():
    from wizard.flow.stops import stopped_features

    hardened = harden(_vendor("stable.yaml")).template
    required = VENDOR_FILES["stable.yaml"]
    found = dict(stopped_features(hardened, required, {**required, "AllowedAthenaWorkgroups": "primary"}, Pseudo()))
    assert found["Access counts"] is False, "scoping its queries to the workgroups is what the option means"
    assert not any(found.values()), "the overlay loses nothing by accident: the list actions stay on '*'"
    assert stopped_features(hardened, required, dict(required), Pseudo()) == []


def test_the_causes_worked_out_are_kept_and_read_back_as_they_were(tmp_path, monkeypatch):
    """A second run with the same template, values, pseudo parameters and installed files reads
    the causes back without analysing anything; other values, other installed files or a damaged
    entry work them out again."""
    from wizard import verdicts
    from wizard.overlay import costs as costs_module
    from wizard.paths import CACHE_ENV

    monkeypatch.setenv(CACHE_ENV, str(tmp_path / "cache"))
    hardened = harden(_vendor("stable.yaml")).template
    required = VENDOR_FILES["stable.yaml"]
    chosen = {**required, "EnableEnhancedSecurity": "true", "TrustExternalPrincipals": "Remove"}
    first = costs(hardened, required, chosen)
    assert first.lost and any(len(item.cause) == 1 for item in first.lost)
    [kept] = (tmp_path / "cache" / "costs-1").iterdir()
    assert kept.stat().st_mode & 0o777 == 0o600

    worked = []
    real = costs_module._costs
    monkeypatch.setattr(costs_module, "_costs", lambda *a, **k: worked.append(1) or real(*a, **k))
    assert costs(hardened, required, chosen) == first and worked == []
    assert costs(hardened, required, chosen, Pseudo(region="eu-west-1")) is not None and worked == [1]
    stamp = verdicts.installed_stamp
    monkeypatch.setattr(verdicts, "installed_stamp", lambda: b"other installed files")
    assert costs(hardened, required, chosen) == first and worked == [1, 1]
    monkeypatch.setattr(verdicts, "installed_stamp", stamp)
    kept.write_text("[{\"principal\": 1}]")
    assert costs(hardened, required, chosen) == first and worked == [1, 1, 1]
