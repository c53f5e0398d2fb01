"""The managed template bucket, created and reused against moto's S3.

Every protection is read back from S3 itself (encryption, public-access block, the TLS-only
policy as a statement, versioning, the lifecycle rule), not from the code that set it.
"""

from __future__ import annotations

import json

import pytest

from tests.moto import ACCOUNT, REGION
from wizard.aws import AwsSession
from wizard.aws.template_bucket import (EXPIRE_DAYS, TemplateBucketNeeded, managed_bucket_name,
                                        resolve_template_bucket)
from wizard.errors import AwsError

MANAGED = f"quilt-wizard-templates-{ACCOUNT}-{REGION}"


def test_the_managed_name_says_what_it_is_and_fits_s3() -> None:
    assert managed_bucket_name(ACCOUNT, REGION) == MANAGED
    longest = managed_bucket_name(ACCOUNT, "ap-southeast-3")
    assert len(longest) <= 63 and longest == longest.lower()


def test_no_consent_creates_nothing(session: AwsSession) -> None:
    with pytest.raises(TemplateBucketNeeded, match="--create-template-bucket") as caught:
        resolve_template_bucket(session)
    assert caught.value.exit_code == 2
    assert MANAGED in str(caught.value)
    assert session.client("s3").list_buckets()["Buckets"] == []


def test_a_refused_confirmation_creates_nothing(session: AwsSession) -> None:
    asked: list[str] = []
    with pytest.raises(TemplateBucketNeeded):
        resolve_template_bucket(session, confirm=lambda name: asked.append(name) or False)
    assert asked == [MANAGED]
    assert session.client("s3").list_buckets()["Buckets"] == []


def test_created_with_every_protection(session: AwsSession) -> None:
    progress: list[str] = []
    bucket = resolve_template_bucket(session, create=True, on_progress=progress.append)
    assert bucket.name == MANAGED and bucket.created
    assert any(MANAGED in line for line in progress)
    s3 = session.client("s3")

    encryption = s3.get_bucket_encryption(Bucket=MANAGED)["ServerSideEncryptionConfiguration"]
    assert encryption["Rules"][0]["ApplyServerSideEncryptionByDefault"]["SSEAlgorithm"] == "AES256"

    block = s3.get_public_access_block(Bucket=MANAGED)["PublicAccessBlockConfiguration"]
    assert block == {"BlockPublicAcls": True, "IgnorePublicAcls": True,
                     "BlockPublicPolicy": True, "RestrictPublicBuckets": True}

    policy = json.loads(s3.get_bucket_policy(Bucket=MANAGED)["Policy"])
    [statement] = policy["Statement"]
    assert statement["Effect"] == "Deny" and statement["Principal"] == "*"
    assert statement["Action"] == "s3:*"
    assert sorted(statement["Resource"]) == [f"arn:aws:s3:::{MANAGED}", f"arn:aws:s3:::{MANAGED}/*"]
    assert statement["Condition"] == {"Bool": {"aws:SecureTransport": "false"}}

    assert s3.get_bucket_versioning(Bucket=MANAGED)["Status"] == "Enabled"
    [rule] = s3.get_bucket_lifecycle_configuration(Bucket=MANAGED)["Rules"]
    assert rule["Status"] == "Enabled" and rule["Expiration"]["Days"] == EXPIRE_DAYS
    assert rule["NoncurrentVersionExpiration"]["NoncurrentDays"] == EXPIRE_DAYS


def test_a_chosen_kms_key_encrypts_it(session: AwsSession) -> None:
    key = session.client("kms").create_key()["KeyMetadata"]["Arn"]
    resolve_template_bucket(session, confirm=lambda name: True, kms_key=key)
    rule = session.client("s3").get_bucket_encryption(Bucket=MANAGED)[
        "ServerSideEncryptionConfiguration"]["Rules"][0]
    assert rule["ApplyServerSideEncryptionByDefault"] == {"SSEAlgorithm": "aws:kms",
                                                          "KMSMasterKeyID": key}


def test_reused_on_a_later_run_without_asking(session: AwsSession) -> None:
    resolve_template_bucket(session, create=True)
    again = resolve_template_bucket(session, confirm=lambda name: pytest.fail("asked again"))
    assert again.name == MANAGED and again.origin == "managed" and not again.created
    assert len(session.client("s3").list_buckets()["Buckets"]) == 1


def test_a_bucket_named_in_the_profile_is_consent_and_is_used(session: AwsSession) -> None:
    first = resolve_template_bucket(session, profile_bucket="acme-quilt-templates")
    assert first.created and first.name == "acme-quilt-templates"
    second = resolve_template_bucket(session, profile_bucket="acme-quilt-templates")
    assert second.origin == "profile" and not second.created
    assert session.client("s3").get_bucket_versioning(
        Bucket="acme-quilt-templates")["Status"] == "Enabled"


def test_template_bucket_option_wins(session: AwsSession) -> None:
    chosen = resolve_template_bucket(session, given="operator-bucket", create=True,
                                     profile_bucket="acme-quilt-templates")
    assert chosen.name == "operator-bucket" and chosen.origin == "--template-bucket"
    assert session.client("s3").list_buckets()["Buckets"] == []


def test_a_bucket_of_another_region_is_refused(session: AwsSession) -> None:
    session.client("s3").create_bucket(
        Bucket="acme-eu-templates", CreateBucketConfiguration={"LocationConstraint": "eu-west-1"})
    with pytest.raises(AwsError, match="is in eu-west-1"):
        resolve_template_bucket(session, profile_bucket="acme-eu-templates")


def test_outside_us_east_1_the_bucket_is_made_in_the_stack_region(
        session: AwsSession, boto_session: object, endpoint: str) -> None:
    frankfurt = AwsSession(boto_session, region="eu-central-1", endpoint_url=endpoint,
                           max_attempts=2)
    bucket = resolve_template_bucket(frankfurt, create=True)
    assert bucket.name == f"quilt-wizard-templates-{ACCOUNT}-eu-central-1"
    location = frankfurt.client("s3").get_bucket_location(Bucket=bucket.name)
    assert location["LocationConstraint"] == "eu-central-1"



def test_moto_applies_the_deny_to_plain_http(session: AwsSession) -> None:
    # moto's S3 enforces a bucket policy's Deny (without reading its condition): our endpoint
    # is plain HTTP, so the upload is refused, as AWS refuses any request without TLS.
    resolve_template_bucket(session, create=True)
    with pytest.raises(Exception, match="403|Forbidden|AccessDenied"):
        session.client("s3").put_object(Bucket=MANAGED, Key="t.template", Body=b"x")


def test_the_refusal_names_the_bucket_it_would_create(session: AwsSession) -> None:
    with pytest.raises(TemplateBucketNeeded) as caught:
        resolve_template_bucket(session)
    assert caught.value.bucket == MANAGED
