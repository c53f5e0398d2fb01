"""PreCreated keeps each placeholder to its purpose, on the vendor's real template: the read
placeholder gets read actions, the write placeholder object reads and writes, neither ``s3:*`` nor
any bucket administration, each bound to this account's buckets by condition; and the question
catalog calls the pre-created policies conditional only because they are."""

from __future__ import annotations

import pytest

from tests.unit.overlay.helpers import allows, grants
from tests.unit.overlay.test_overlay_guarantees import ACCOUNT, holds


#: What no pre-created bucket policy may grant: the bucket itself, its policy, its ACLs, its configuration.
BUCKET_ADMINISTRATION = ("s3:DeleteBucket", "s3:PutBucketPolicy", "s3:DeleteBucketPolicy", "s3:PutBucketAcl",
                         "s3:PutObjectAcl", "s3:PutBucketPublicAccessBlock", "s3:PutLifecycleConfiguration",
                         "s3:CreateBucket", "s3:PutEncryptionConfiguration")


def test_pre_created_keeps_each_placeholder_to_its_purpose(vendor):
    """Read placeholder: read actions only. Write placeholder: object reads and writes. Neither
    holds s3:* or any bucket administration, and both are bound to this account's buckets."""
    _template, hardening, values = vendor
    if "BucketReadPolicy" not in hardening.template.resources:
        pytest.skip("the split form's placeholders are in its IAM part (the split tests below)")
    after = grants(hardening.template, {**values, "PolicyCreationMode": "PreCreated", "CustomerBucketPrefix": "acme-"})
    read = [g for g in after if g.source.resource == "BucketReadPolicy" and allows(g)]
    write = [g for g in after if g.source.resource == "BucketWritePolicy" and allows(g)]
    assert read and write
    for grant in read:
        assert set(grant.actions) == {"s3:Get*", "s3:List*"}, grant.actions
        assert set(grant.access_levels) <= {"Read", "List"}, grant.access_levels
    for grant in write:
        assert all(holds(grant, a) for a in ("s3:GetObject", "s3:PutObject", "s3:DeleteObject", "s3:ListBucket"))
        assert set(grant.access_levels) <= {"Read", "List", "Write", "Tagging"}, grant.access_levels
    for grant in read + write:
        assert "s3:*" not in grant.actions
        assert not [a for a in BUCKET_ADMINISTRATION if holds(grant, a)], grant.source.resource
        assert not holds(grant, "s3:PutObject") or grant.source.resource == "BucketWritePolicy"
        assert grant.condition == {"StringEquals": {"s3:ResourceAccount": ACCOUNT}}
    # The write placeholder goes to the roles that also read; the read-only roles get no write.
    read_only = {g.principal for g in read} - {g.principal for g in write}
    assert read_only and not any(holds(g, "s3:PutObject") for g in after
                                 if g.principal in read_only and g.source.resource.startswith("Bucket") and allows(g))


def test_the_catalog_calls_pre_created_policies_conditional_only_where_they_hold_conditions(vendor):
    """The answer's label promises conditional policies: every pre-created bucket grant, on the
    hardened vendor template and on the embedded model, in standard and enhanced mode, has one."""
    from tests.functional.helpers import EMBEDDED_REQUIRED
    from wizard.cfn.template import load_template
    from wizard.flow.catalog import load_catalog
    from wizard.paths import DEFAULT_TEMPLATE

    question = next(q for q in load_catalog().questions if q.id == "policy_creation")
    label = next(c.label for c in question.choices if c.value == "precreated")
    _template, hardening, values = vendor
    embedded = load_template(DEFAULT_TEMPLATE)
    for enhanced in ("false", "true"):
        chosen = {"PolicyCreationMode": "PreCreated", "CustomerBucketPrefix": "acme-", "EnableEnhancedSecurity": enhanced}
        filled = [g for g in grants(hardening.template, {**values, **chosen})
                  if g.source.resource in ("BucketReadPolicy", "BucketWritePolicy") and allows(g)]
        filled += [g for g in grants(embedded, {**EMBEDDED_REQUIRED, **chosen})
                   if g.source.resource.startswith("PreCreatedBucket") and allows(g)]
        assert filled or "BucketReadPolicy" not in hardening.template.resources
        if "conditional" in label.lower():
            assert all(g.condition for g in filled), [g.source.resource for g in filled if not g.condition]


# --- the split pair: the placeholders live in the IAM part ------------------------------------

#: The options of each case, on top of PreCreated with a prefix (the guardrail and boundaries on or off).
SPLIT_CASES = {"standard": {}, "enhanced": {"EnableEnhancedSecurity": "true", "TrustExternalPrincipals": "Remove"}}


def _prefix_access(found, types) -> dict[str, set]:
    """Per role, the S3 (action, resource, condition) on the prefix's buckets that takes effect."""
    from wizard.iam.effective import effective

    found = {holder: {(a.action, a.resource, a.condition_json) for a in items
                      if a.action.startswith("s3:") and a.resource.startswith("arn:aws:s3:::acme-")}
             for holder, items in effective(found, types).items()}
    return {holder: pairs for holder, pairs in found.items() if pairs}


def _vendor_template(name):
    from tests.unit.overlay.conftest import _vendor

    return _vendor(name)


def _hardened(name):
    from wizard.overlay import harden

    return harden(_vendor_template(name)).template


@pytest.mark.parametrize("case", list(SPLIT_CASES))
def test_split_pre_created_gives_every_role_the_prefix_access_of_the_monolithic_template(case):
    """Split PreCreated: the IAM part fills its placeholders, and each role of the application part
    that attaches one (by the ARN the IAM part exports) reaches the prefix's buckets exactly as the
    same role does on the monolithic template: the same actions, resources and s3:ResourceAccount."""
    from dataclasses import replace

    from tests.unit.overlay.conftest import SPLIT_APP_REQUIRED, VENDOR_FILES
    from wizard.iam.effective import resource_types_of

    chosen = {"PolicyCreationMode": "PreCreated", "CustomerBucketPrefix": "acme-", **SPLIT_CASES[case]}
    mono = _hardened("stable.yaml")
    app, iam = _hardened("stable-app.yaml"), _hardened("stable-iam.yaml")
    assert {"PolicyCreationMode", "CustomerBucketPrefix"} <= set(iam.parameters)

    expected = _prefix_access(grants(mono, {**VENDOR_FILES["stable.yaml"], **chosen}), resource_types_of(mono.resources))
    # The IAM part's policies, by the ARN the application part is given for each.
    filled = [g for g in grants(iam, {k: v for k, v in chosen.items() if k in iam.parameters}) if allows(g)]
    by_arn = {SPLIT_APP_REQUIRED[name]: [g for g in filled if g.source.resource == name]
              for name in ("BucketReadPolicy", "BucketWritePolicy")}
    app_grants = grants(app, {**SPLIT_APP_REQUIRED, **{k: v for k, v in chosen.items() if k in app.parameters}})
    joined = list(app_grants) + [replace(g, principal=a.principal) for a in app_grants
                                 if a.attachment in by_arn for g in by_arn[a.attachment]]
    got = _prefix_access(joined, resource_types_of(app.resources))

    holders = {"AmazonECSTaskExecutionRole", "T4BucketWriteRole", "PackagerRole", "ManifestIndexerRole",
               "PkgEventsRole", "SearchHandlerRole", "T4BucketReadRole", "ManagedUserRole"}
    assert holders <= set(expected)
    # The vendor's split application part writes ManagedUserRole's ManagedPolicyArns without its
    # intrinsics (a list holding ',' and lists where the monolithic template has !Split of !Sub):
    # the role attaches no placeholder there, before hardening as after.
    vendor_app = grants(_vendor_template("stable-app.yaml"), SPLIT_APP_REQUIRED)
    assert not [g for g in vendor_app if g.principal == "ManagedUserRole" and g.attachment in by_arn]
    assert "ManagedUserRole" not in got
    expected.pop("ManagedUserRole")
    for role in sorted(set(expected) | set(got)):
        assert got.get(role) == expected.get(role), role
    condition = '{"StringEquals": {"s3:ResourceAccount": "123456789012"}}'
    writes = lambda role: {a for a, _r, c in got[role] if a == "s3:PutObject" and c == condition}  # noqa: E731
    assert writes("AmazonECSTaskExecutionRole") and writes("T4BucketWriteRole") and writes("PackagerRole")
    assert not writes("PkgEventsRole") and not writes("ManifestIndexerRole")
    assert {("s3:Get*", "arn:aws:s3:::acme-*/*", condition)} <= got["PkgEventsRole"]


def test_split_pre_created_without_the_iam_parts_options_leaves_the_placeholders_empty():
    """What the IAM part's options fix: at its defaults (Automatic) the placeholders grant nothing,
    so the application's roles reach no prefix bucket through them."""
    iam = _hardened("stable-iam.yaml")
    filled = [g for g in grants(iam, {}) if g.source.resource.startswith("Bucket") and allows(g)]
    assert filled == []
    precreated = [g for g in grants(iam, {"PolicyCreationMode": "PreCreated", "CustomerBucketPrefix": "acme-"})
                  if g.source.resource.startswith("Bucket") and allows(g)]
    assert {g.source.resource for g in precreated} == {"BucketReadPolicy", "BucketWritePolicy"}
