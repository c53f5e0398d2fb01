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
        pytest.skip("the split form's placeholders are in its IAM part, which takes no PolicyCreationMode")
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
