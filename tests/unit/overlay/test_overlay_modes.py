"""The modes and questions work unchanged on the hardened vendor template, and it lints clean.

cfn-lint runs on the hardened template once for every mode (standard, restricted, enterprise)
and once for every option on its own, each time with the overlay's parameters defaulting to the
values under test; the hardened template may carry no cfn-lint error the vendor's own template
does not already have.
"""

from __future__ import annotations

import importlib.util
import re
from functools import lru_cache

import pytest

from tests.conftest import REAL
from wizard.cfn.parameters import resolve_parameters
from wizard.flow.answers import resolve
from wizard.flow.catalog import load_catalog
from wizard.flow.profiles import builtin_profile

MODES = ("standard", "restricted", "enterprise")
#: What the operator adds to a mode (the profiles say a prefix and workgroups must be named; manual
#: approval needs its approvers).
OPERATOR = {"bucket_scope": "acme-quilt-", "athena_scope": "primary,analytics",
            "approvers": "arn:aws:iam::123456789012:role/quilt-approver"}

#: One non-default value per option, each tried on its own.
OPTIONS = {
    "CustomerBucketPrefix": "acme-",
    "PolicyCreationMode": "ManualApproval",
    "AllowedAthenaWorkgroups": "primary,analytics",
    "EnableEnhancedSecurity": "true",
    "TrustExternalPrincipals": "Remove",
    "InternalApiPort": "0",
    "LoadBalancerScheme": "internal",
    "EnableCloudWatchIntegration": "true",
    "KMSKeyId": "alias/audit",
    "UseVPCEndpoints": "true",
    "RecordS3DataEvents": "true",
}

#: Options that act together: the topics take the key only with enhanced security; the S3
#: gateway endpoint needs route tables.
COMBINED = {
    "key-and-endpoints": {"EnableEnhancedSecurity": "true", "KMSKeyId": "alias/audit", "UseVPCEndpoints": "true",
                          "PrivateRouteTableIds": "rtb-0123456789abcdef0"},
    "guarded-trail": {"EnableEnhancedSecurity": "true", "CustomerBucketPrefix": "acme-",
                      "KMSKeyId": "1234abcd-12ab-34cd-56ef-1234567890ab", "EnableCloudWatchIntegration": "true",
                      "RecordS3DataEvents": "true"},
    # every restrictive option, in each policy-creation mode
    **{f"every-restriction-{mode}": {
        "EnableEnhancedSecurity": "true", "CustomerBucketPrefix": "acme-", "AllowedAthenaWorkgroups": "primary",
        "KMSKeyId": "1234abcd-12ab-34cd-56ef-1234567890ab", "EnableCloudWatchIntegration": "true",
        "TrustExternalPrincipals": "Remove", "PolicyCreationMode": mode,
        **({"ApproverPrincipalArn": "arn:aws:iam::123456789012:role/approver"} if mode == "ManualApproval" else {})}
       for mode in ("Automatic", "ManualApproval", "PreCreated")},
}


def mode_values(template, mode: str) -> dict:
    from wizard.flow.answers import Layer

    layers = builtin_profile(mode).layers() + [Layer("operator", OPERATOR, {}, None)]
    return dict(resolve(load_catalog(), template, layers).parameters)


def test_the_catalogs_questions_apply_to_the_hardened_template(vendor):
    _template, hardening, _values = vendor
    asked = {q.id for q in load_catalog().for_template(hardening.template)}
    assert {"policy_creation", "tighter_security", "bucket_scope", "athena_scope", "cloudtrail_kms",
            "cloudwatch", "internal_port", "lb_scheme"} <= asked
    assert "task_tls" not in asked, "TLS to the tasks needs the vendor: never offered"
    assert not ({"policy_creation", "bucket_scope"} & {q.id for q in load_catalog().for_template(_template)})


@pytest.mark.parametrize("mode", MODES)
def test_every_mode_resolves_on_the_hardened_template(vendor, mode):
    _template, hardening, values = vendor
    chosen = mode_values(hardening.template, mode)
    resolved = resolve_parameters(hardening.template, {**values, **chosen})
    assert resolved.unresolved == ()
    from wizard.iam.analysis import analyse

    assert analyse(hardening.template, {**values, **chosen}).evaluation.rule_violations() == []


@pytest.mark.parametrize("mode", MODES)
def test_every_mode_resolves_on_the_split_pairs_iam_part(mode):
    """The IAM part takes the modes' prefix and policy-creation mode (its placeholders are what
    PreCreated fills) and its template Rules hold for every mode."""
    if not REAL.is_file():
        pytest.skip("the real Quilt template fixture (../shared/fixtures/quilt-real) is absent")
    from wizard.cfn.template import load_template
    from wizard.iam.analysis import analyse
    from wizard.overlay import harden

    hardened = harden(load_template(REAL.parent / "stable-iam.yaml")).template
    chosen = mode_values(hardened, mode)
    assert {"CustomerBucketPrefix", "PolicyCreationMode"} <= set(chosen)
    assert resolve_parameters(hardened, chosen).unresolved == ()
    assert analyse(hardened, chosen).evaluation.rule_violations() == []


# --- cfn-lint (slow: one lint of 240 KB per case) ---------------------------------------------

def _lint(text: str) -> frozenset[tuple[str, str]]:
    if importlib.util.find_spec("cfnlint") is None:
        pytest.skip("cfn-lint is not installed (pip install -e '.[dev]')")
    from cfnlint.api import lint

    # "X is not one of [every resource]" lists the resources, which the overlay adds to: compare the rest
    return frozenset((m.rule.id, re.sub(r" is not one of \[.*\]$", " is not one of [...]", m.message))
                     for m in lint(text) if m.rule.id.startswith("E"))


@lru_cache(maxsize=None)
def _vendor_errors(name: str) -> frozenset[tuple[str, str]]:
    return _lint((REAL.parent / name).read_text())


def _with_defaults(hardening, values: dict) -> str:
    from wizard.overlay.apply import dump_template, plain

    body = plain(hardening.template.body)
    for name in hardening.added_parameters:
        if name in values:
            spec = body["Parameters"][name]
            spec["Default"] = int(values[name]) if spec["Type"] == "Number" else values[name]
    return dump_template(body)


CASES = ([("stable.yaml", f"mode:{m}") for m in MODES] + [("stable.yaml", f"option:{o}") for o in OPTIONS]
         + [("stable.yaml", f"combined:{c}") for c in COMBINED]
         + [("stable-app.yaml", f"mode:{m}") for m in MODES] + [("stable-iam.yaml", f"mode:{m}") for m in MODES]
         + [("stable-iam.yaml", f"combined:every-restriction-{m}") for m in ("Automatic", "ManualApproval", "PreCreated")])


@pytest.mark.slow
@pytest.mark.parametrize("name,case", CASES)
def test_the_hardened_template_adds_no_cfn_lint_error(name, case):
    if not REAL.is_file():
        pytest.skip("the real Quilt template fixture (../shared/fixtures/quilt-real) is absent")
    from wizard.cfn.template import load_template
    from wizard.overlay import harden

    hardening = harden(load_template(REAL.parent / name))
    kind, what = case.split(":")
    values = (mode_values(hardening.template, what) if kind == "mode" else dict(COMBINED[what]) if kind == "combined"
              else {what: OPTIONS[what]})
    if kind == "mode" and hardening.added_parameters:
        assert set(values) & set(hardening.added_parameters)
    new = _lint(_with_defaults(hardening, values)) - _vendor_errors(name)
    assert not new, "cfn-lint errors the overlay added:\n" + "\n".join(f"{i} {m}" for i, m in sorted(new))

