"""The managed template bucket, created and reused against moto's S3.

Every protection is read back from S3 itself (encryption, public-access block, the TLS-only
policy as a statement, versioning, the lifecycle rule), not from the code that set it.
"""

from __future__ import annotations

import json

import pytest

from tests.aws.conftest import CannedEndpoint
from tests.conftest import DATA
from tests.moto import ACCOUNT, REGION
from wizard.aws import AwsSession
from wizard.aws.template_bucket import (EXPIRE_DAYS, TemplateBucketNeeded, managed_bucket_name,
                                        resolve_template_bucket)
from wizard.cli import main
from wizard.errors import AwsError, InputError

GOOD = str(DATA / "answers" / "good-standard.yaml")

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


# -- bucket names S3 refuses: refused before any AWS call, nothing written --------------------------

BAD_NAMES = {
    "ab": "3 to 63", "a" * 64: "3 to 63", "Acme-templates": "lowercase", "acme_templates": "lowercase",
    "-acme": "begins and ends", "acme.": "begins and ends", "acme..templates": "two dots",
    "192.168.5.4": "IP address", "xn--acme": "'xn--'", "sthree-acme": "'sthree-'",
    "amzn-s3-demo-acme": "'amzn-s3-demo-'", "acme-s3alias": "'-s3alias'", "acme--ol-s3": "'--ol-s3'",
    "acme.mrap": "'.mrap'", "acme--x-s3": "'--x-s3'", "acme--table-s3": "'--table-s3'",
}


@pytest.mark.parametrize("name", sorted(BAD_NAMES))
def test_names_s3_refuses_are_named_with_the_rule(name: str) -> None:
    from wizard.aws.template_bucket import bucket_name_problem

    assert BAD_NAMES[name] in (bucket_name_problem(name) or "")


@pytest.mark.parametrize("name", ["abc", "a" * 63, "acme.quilt-templates", "1acme9",
                                  "quilt-wizard-templates-123456789012-ap-southeast-3", "1.2.3.4.5"])
def test_names_s3_allows_pass(name: str) -> None:
    from wizard.aws.template_bucket import bucket_name_problem

    assert bucket_name_problem(name) is None


def test_a_bad_name_given_to_the_bucket_resolution_makes_no_call(canned_endpoint: CannedEndpoint) -> None:
    from wizard.aws import make_session

    session = make_session(region=REGION, endpoint_url=canned_endpoint.url, max_attempts=1)
    with pytest.raises(InputError, match="--template-bucket: 'Acme' is not an S3 bucket name"):
        resolve_template_bucket(session, given="Acme")
    with pytest.raises(InputError, match="template_bucket: 'acme..t' is not an S3 bucket name: .*two dots"):
        resolve_template_bucket(session, profile_bucket="acme..t")
    assert canned_endpoint.requests == []


@pytest.mark.parametrize("name", ["acme..templates", "192.168.5.4", "acme-s3alias", "x"])
def test_a_bad_template_bucket_option_stops_before_any_call_and_writes_nothing(
        name: str, canned_endpoint: CannedEndpoint, tmp_path, capsys) -> None:
    out = tmp_path / "p.json"
    code = main(["--answers", GOOD, "--out", str(out), "--preflight", "--create-change-set",
                 "--template-bucket", name, "--endpoint-url", canned_endpoint.url])
    err = capsys.readouterr().err
    assert code == 2, err
    assert err == f"quilt-wizard: --template-bucket: {name!r} is not an S3 bucket name: {bucket_problem(name)}\n"
    assert canned_endpoint.requests == [] and not out.exists()


def test_a_bad_bucket_in_the_profile_stops_before_any_call_and_writes_nothing(
        canned_endpoint: CannedEndpoint, tmp_path, capsys) -> None:
    from wizard.commands.aws_steps import check_profile_template_buckets
    from wizard.flow.profiles import user_profiles_dir

    folder = user_profiles_dir()
    folder.mkdir(parents=True, exist_ok=True)
    profile = folder / "acme.yaml"
    profile.write_text("name: acme\nextends: standard\naccounts:\n  '111122223333':\n"
                       "    template_bucket: xn--acme-templates\n  '444455556666':\n    template_bucket: acme-ok\n")
    expected = (f"{profile}:5: /accounts/111122223333/template_bucket: 'xn--acme-templates' is not an S3 bucket "
                "name: S3 reserves the prefix 'xn--'")
    out = tmp_path / "p.json"
    for account in ([], ["--account-id", "111122223333"]):  # the answers' account, or the one given
        code = main(["--answers", GOOD, "--profile", "acme", *account, "--out", str(out), "--create-change-set",
                     "--endpoint-url", canned_endpoint.url])
        err = capsys.readouterr().err
        assert code == 2, err
        assert err == f"quilt-wizard: {expected}\n"
        assert canned_endpoint.requests == [] and not out.exists()
    check_profile_template_buckets("acme", "444455556666")  # another account's bucket is its own affair
    with pytest.raises(InputError) as caught:  # the account known only from the credentials: every one
        check_profile_template_buckets("acme", None)
    assert str(caught.value) == expected


def test_fleet_deploy_refuses_a_bad_bucket_before_any_call(canned_endpoint: CannedEndpoint, capsys) -> None:
    code = main(["fleet", "deploy", "--profile", "acme", "--stack-set-name", "quilt-fleet", "--yes",
                 "--template-bucket", "acme--ol-s3", "--endpoint-url", canned_endpoint.url])
    assert code == 2
    assert "--template-bucket: 'acme--ol-s3' is not an S3 bucket name" in capsys.readouterr().err
    assert canned_endpoint.requests == []


def bucket_problem(name: str) -> str:
    from wizard.aws.template_bucket import bucket_name_problem

    return bucket_name_problem(name) or ""
