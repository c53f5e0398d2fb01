"""The embedded template (assets/templates/quilt.yaml) is valid CloudFormation and carries the
parameters promised to the customer, spelled exactly, each one shown in the console's groups."""

from __future__ import annotations

import importlib.util
import re
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]
TEMPLATE = ROOT / "assets" / "templates" / "quilt.yaml"
README = ROOT / "assets" / "templates" / "README.md"

#: Parameter -> (Type, Default or None for "no default", AllowedValues or None).
EXPECTED = {
    # promised in the answer to the security review
    "EnableEnhancedSecurity": ("String", "false", ["true", "false"]),
    "CustomerBucketPrefix": ("String", "", None),
    "AllowedAthenaWorkgroups": ("CommaDelimitedList", "", None),
    "EnableCloudWatchIntegration": ("String", "false", ["true", "false"]),
    "KMSKeyId": ("String", "", None),
    # implied by the answer
    "PolicyCreationMode": ("String", "Automatic", ["Automatic", "ManualApproval", "PreCreated"]),
    "EnableTaskTLS": ("String", "false", ["true", "false"]),
    "InternalApiPort": ("Number", 444, None),
    "UseVPCEndpoints": ("String", "false", ["true", "false"]),
    "CloudWatchLogGroupArn": ("String", "", None),
    "LoadBalancerScheme": ("String", "internet-facing", ["internet-facing", "internal"]),
    "Qurator": ("String", "Disabled", ["Enabled", "Disabled"]),
    # operator-specific values: no default
    "AdminEmail": ("String", None, None),
    "CertificateArnELB": ("String", None, None),
    "QuiltWebHost": ("String", None, None),
    "VPC": ("AWS::EC2::VPC::Id", None, None),
    "Subnets": ("List<AWS::EC2::Subnet::Id>", None, None),
    "PublicSubnets": ("List<AWS::EC2::Subnet::Id>", None, None),
    "CloudTrailBucket": ("String", None, None),
}


class _CfnLoader(yaml.SafeLoader):
    """PyYAML loader that accepts CloudFormation's short-form tags (!Ref, !Sub, !If ...)."""


def _intrinsic(loader: yaml.SafeLoader, suffix: str, node: yaml.Node):
    key = suffix if suffix in ("Ref", "Condition") else f"Fn::{suffix}"
    if isinstance(node, yaml.ScalarNode):
        value = loader.construct_scalar(node)
    elif isinstance(node, yaml.SequenceNode):
        value = loader.construct_sequence(node, deep=True)
    else:
        value = loader.construct_mapping(node, deep=True)
    return {key: value}


_CfnLoader.add_multi_constructor("!", _intrinsic)


@pytest.fixture(scope="module")
def template() -> dict:
    return yaml.load(TEMPLATE.read_text(encoding="utf-8"), Loader=_CfnLoader)


@pytest.fixture(scope="module")
def lint_matches() -> list:
    """cfn-lint's findings on the embedded template (its Python API, run once per module)."""
    if importlib.util.find_spec("cfnlint") is None:
        pytest.skip("cfn-lint is not installed (pip install -e '.[dev]')")
    from cfnlint.api import lint_file

    return list(lint_file(TEMPLATE))


def _describe(matches) -> str:
    return "\n".join(f"{m.rule.id} line {m.linenumber}: {m.message}" for m in matches)


@pytest.mark.slow
def test_cfn_lint_reports_no_errors(lint_matches):
    errors = [m for m in lint_matches if m.rule.id.startswith("E")]
    assert not errors, "cfn-lint errors:\n" + _describe(errors)


@pytest.mark.slow
def test_cfn_lint_reports_no_warnings(lint_matches):
    warnings = [m for m in lint_matches if m.rule.id.startswith("W")]
    assert not warnings, "cfn-lint warnings (fix them, or justify and ignore in the resource's Metadata):\n" + _describe(warnings)


@pytest.mark.slow
def test_cfn_lint_actually_catches_errors(tmp_path):
    """Guard against a linter that silently checks nothing."""
    if importlib.util.find_spec("cfnlint") is None:
        pytest.skip("cfn-lint is not installed (pip install -e '.[dev]')")
    from cfnlint.api import lint_file

    broken = tmp_path / "broken.yaml"
    broken.write_text(
        "Resources:\n  Role:\n    Type: AWS::IAM::Role\n    Properties:\n      Path: !Ref Missing\n",
        encoding="utf-8",
    )
    assert any(m.rule.id.startswith("E") for m in lint_file(broken))


def test_promised_parameters_exist_with_exact_spelling(template):
    parameters = template["Parameters"]
    for name, (kind, default, allowed) in EXPECTED.items():
        assert name in parameters, f"missing parameter {name}"
        spec = parameters[name]
        assert spec["Type"] == kind, name
        if default is None:
            assert "Default" not in spec, f"{name} is operator-specific and must have no Default"
        else:
            assert spec.get("Default") == default, name
        if allowed is not None:
            assert spec.get("AllowedValues") == allowed, name
        assert spec.get("Description"), f"{name} needs a Description"


def test_internal_api_port_bounds(template):
    port = template["Parameters"]["InternalApiPort"]
    assert (port["MinValue"], port["MaxValue"]) == (0, 65535)


def test_admin_password_is_no_echo(template):
    assert template["Parameters"]["AdminPassword"]["NoEcho"] is True


def test_every_parameter_is_in_exactly_one_interface_group(template):
    interface = template["Metadata"]["AWS::CloudFormation::Interface"]
    grouped = [name for group in interface["ParameterGroups"] for name in group["Parameters"]]
    assert sorted(grouped) == sorted(template["Parameters"]), "parameters missing or repeated in ParameterGroups"
    assert all(group["Label"]["default"] for group in interface["ParameterGroups"])
    assert set(interface["ParameterLabels"]) == set(template["Parameters"])


@pytest.mark.parametrize("value, ok", [
    ("", True), ("acme-quilt-", True), ("acme.data", True),
    ("*", False), ("acme-*", False), ("acme?", False), ("ac", False), ("Acme", False), ("a b", False),
])
def test_bucket_prefix_pattern_refuses_widening_characters(template, value, ok):
    pattern = template["Parameters"]["CustomerBucketPrefix"]["AllowedPattern"]
    assert bool(re.fullmatch(pattern, value)) is ok


def test_every_parameter_has_a_readme_row(template):
    readme = README.read_text(encoding="utf-8")
    for name in template["Parameters"]:
        assert f"`{name}`" in readme, f"README.md does not document {name}"


def test_no_vendor_account_ids_or_staff_users():
    text = TEMPLATE.read_text(encoding="utf-8")
    assert ":user/" not in text
    # no literal account id at all (patterns spell it [0-9]{12})
    assert not re.search(r"(?<![0-9{])[0-9]{12}(?![0-9}])", text)
