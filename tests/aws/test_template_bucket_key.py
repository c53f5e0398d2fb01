"""``--template-bucket-kms-key`` against moto: checked before anything is written or created (its
form, its region and account against the stack's, what KMS says of it), an existing bucket's other
encryption said rather than ignored, and what a run that fails later leaves behind said too."""

from __future__ import annotations

import pytest

from tests.aws.conftest import CannedEndpoint
from tests.conftest import DATA
from tests.moto import ACCOUNT, REGION, import_certificate
from wizard.aws import AwsSession
from wizard.aws.template_bucket import (TemplateBucket, bucket_encryption, create_template_bucket,
                                        find_template_bucket, kms_key_problem, managed_bucket_name)
from wizard.cli import main
from wizard.errors import AwsError, InputError

GOOD = str(DATA / "answers" / "good-standard.yaml")
MANAGED = managed_bucket_name(ACCOUNT, REGION)
UUID = "0f1e2d3c-4b5a-6978-8796-a5b4c3d2e1f0"


def run(session: AwsSession, endpoint: str, out, *extra: str) -> int:
    """A headless change set of the embedded template (over the inline limit: it needs the bucket)."""
    certificate = import_certificate(session, "quilt.example.com")
    return main(["--answers", GOOD, "--account-id", ACCOUNT, "--set", f"CertificateArnELB={certificate}",
                 "--out", str(out), "--create-change-set", "--endpoint-url", endpoint, *extra])


def buckets(session: AwsSession) -> list[str]:
    return [b["Name"] for b in session.client("s3").list_buckets()["Buckets"]]


def encryption(session: AwsSession, bucket: str) -> dict:
    return session.client("s3").get_bucket_encryption(Bucket=bucket)[
        "ServerSideEncryptionConfiguration"]["Rules"][0]["ApplyServerSideEncryptionByDefault"]


@pytest.mark.parametrize("key", [UUID, f"mrk-{'0' * 32}", "alias/quilt-templates", "alias/aws/s3",
                                 f"arn:aws:kms:{REGION}:{ACCOUNT}:key/{UUID}",
                                 f"arn:aws:kms:{REGION}:{ACCOUNT}:alias/quilt-templates",
                                 f"arn:aws-cn:kms:cn-north-1:{ACCOUNT}:key/{UUID}"])
def test_the_forms_s3_accepts(key: str) -> None:
    assert kms_key_problem(key) is None


@pytest.mark.parametrize("key, said", [("", "found an empty value (leave the option out for S3's own encryption"),
                                       ("  ", "found an empty value"), ("not-a-key", "found 'not-a-key'"),
                                       (f"key/{UUID}", "found 'key/"), ("alias/", "found 'alias/'"),
                                       (f"arn:aws:kms:{REGION}:{ACCOUNT}:key/nope", "expected a key id"),
                                       (f"arn:aws:s3:::{MANAGED}", "expected a key id")])
def test_a_key_of_no_form_s3_accepts_stops_before_any_call(key: str, said: str, canned_endpoint: CannedEndpoint,
                                                           tmp_path, capsys) -> None:
    out = tmp_path / "p.json"
    code = main(["--answers", GOOD, "--out", str(out), "--create-change-set", "--create-template-bucket",
                 "--template-bucket-kms-key", key, "--endpoint-url", canned_endpoint.url])
    err = capsys.readouterr().err
    assert code == 2, err
    assert err.startswith("quilt-wizard: --template-bucket-kms-key: ") and said in err and err.count("\n") == 1
    assert canned_endpoint.requests == [] and not out.exists()


def test_a_key_for_a_bucket_used_as_it_is_is_refused(canned_endpoint: CannedEndpoint, tmp_path, capsys) -> None:
    code = main(["--answers", GOOD, "--out", str(tmp_path / "p.json"), "--create-change-set",
                 "--create-template-bucket", "--template-bucket", "acme-cfn-templates",
                 "--template-bucket-kms-key", UUID, "--endpoint-url", canned_endpoint.url])
    assert code == 2
    assert "--template-bucket names a bucket used as it is" in capsys.readouterr().err
    assert canned_endpoint.requests == []


@pytest.mark.parametrize("key, said", [
    (f"arn:aws:kms:eu-west-1:{ACCOUNT}:key/{UUID}", "the key is in eu-west-1, but the stack and its template bucket "
                                                    "are in us-east-1"),
    (f"arn:aws:kms:{REGION}:999999999999:key/{UUID}", "the key belongs to account 999999999999, but the template "
                                                      f"bucket is created in account {ACCOUNT}"),
    (UUID, f"no KMS key {UUID} in account {ACCOUNT}, region {REGION}"),
    ("alias/nobody", f"no KMS key alias/nobody in account {ACCOUNT}"),
])
def test_a_key_of_another_region_or_account_or_none_creates_and_writes_nothing(key: str, said: str, session, endpoint,
                                                                              tmp_path, capsys) -> None:
    out = tmp_path / "p.json"
    code = run(session, endpoint, out, "--create-template-bucket", "--template-bucket-kms-key", key)
    err = capsys.readouterr().err
    assert code == 2, err
    assert err.splitlines()[-1].startswith(f"quilt-wizard: --template-bucket-kms-key: {said}")
    assert buckets(session) == [] and not out.exists()


def test_a_disabled_or_asymmetric_key_is_refused(session: AwsSession, endpoint, tmp_path, capsys) -> None:
    kms = session.client("kms")
    disabled = kms.create_key()["KeyMetadata"]
    kms.disable_key(KeyId=disabled["KeyId"])
    disabled = disabled["Arn"]
    signing = kms.create_key(KeySpec="RSA_2048", KeyUsage="SIGN_VERIFY")["KeyMetadata"]["Arn"]
    for key, said in ((disabled, "is Disabled, not Enabled"), (signing, "is RSA_2048 for SIGN_VERIFY")):
        assert run(session, endpoint, tmp_path / "p.json", "--create-template-bucket",
                   "--template-bucket-kms-key", key) == 2
        assert said in capsys.readouterr().err
    assert buckets(session) == [] and not (tmp_path / "p.json").exists()


def test_an_existing_bucket_with_another_encryption_is_said_and_left_as_it_is(session: AwsSession, endpoint, tmp_path,
                                                                               capsys) -> None:
    session.client("s3").create_bucket(Bucket=MANAGED)  # S3's default: SSE-S3
    key = session.client("kms").create_key()["KeyMetadata"]["Arn"]
    out = tmp_path / "p.json"
    code = run(session, endpoint, out, "--create-template-bucket", "--template-bucket-kms-key", key)
    err = capsys.readouterr().err
    assert code == 2, err
    assert err.splitlines()[-1] == (
        f"quilt-wizard: --template-bucket-kms-key: the template bucket s3://{MANAGED} already exists, encrypted by "
        f"default with SSE-S3 (AES256), not with the key {key}: the wizard never changes an existing bucket. Leave "
        "the option out to use the bucket as it is, or set its default encryption yourself (aws s3api "
        "put-bucket-encryption)")
    assert not out.exists() and bucket_encryption(session, MANAGED, ACCOUNT) == ("AES256", None)
    other = session.client("kms").create_key()["KeyMetadata"]["Arn"]
    session.client("s3").put_bucket_encryption(Bucket=MANAGED, ServerSideEncryptionConfiguration={"Rules": [
        {"ApplyServerSideEncryptionByDefault": {"SSEAlgorithm": "aws:kms", "KMSMasterKeyID": other}}]})
    assert run(session, endpoint, out, "--create-template-bucket", "--template-bucket-kms-key", key) == 2
    assert f"encrypted by default with SSE-KMS with {other}, not with the key {key}" in capsys.readouterr().err


def test_an_existing_bucket_with_that_key_is_used(session: AwsSession, endpoint, tmp_path, capsys) -> None:
    kms = session.client("kms")
    key = kms.create_key()["KeyMetadata"]
    kms.create_alias(AliasName="alias/quilt-templates", TargetKeyId=key["KeyId"])
    session.client("s3").create_bucket(Bucket=MANAGED)
    session.client("s3").put_bucket_encryption(Bucket=MANAGED, ServerSideEncryptionConfiguration={"Rules": [
        {"ApplyServerSideEncryptionByDefault": {"SSEAlgorithm": "aws:kms", "KMSMasterKeyID": key["KeyId"]}}]})
    code = run(session, endpoint, tmp_path / "p.json", "--create-template-bucket",
               "--template-bucket-kms-key", "alias/quilt-templates")
    assert code == 0, capsys.readouterr().err
    assert f"Template bucket s3://{MANAGED} (managed)" in capsys.readouterr().err


def test_a_bucket_created_with_the_key_and_a_later_failure_say_what_is_left(session: AwsSession, endpoint, tmp_path,
                                                                            capsys) -> None:
    key = session.client("kms").create_key()["KeyMetadata"]
    session.client("kms").create_alias(AliasName="alias/quilt-templates", TargetKeyId=key["KeyId"])
    out = tmp_path / "p.json"
    # moto's S3 applies the new bucket's TLS-only Deny to our plain-HTTP upload: the step after
    # the bucket's creation fails, as a later step can in AWS.
    code = run(session, endpoint, out, "--create-template-bucket", "--template-bucket-kms-key", "alias/quilt-templates")
    err = capsys.readouterr().err
    assert code == 3, err
    assert encryption(session, MANAGED) == {"SSEAlgorithm": "aws:kms", "KMSMasterKeyID": key["Arn"]}
    assert out.exists()
    assert err.splitlines()[-1].endswith(
        f"; left behind: the parameter file {out}; the template bucket s3://{MANAGED} (created by this run, kept "
        "for later runs)")
    assert "s3:PutObject" in err.splitlines()[-1]


def test_a_bucket_that_cannot_be_protected_is_deleted_again(session: AwsSession, monkeypatch) -> None:
    real = AwsSession.call

    def refusing(self, service, method, **params):
        if method == "put_bucket_encryption":
            raise AwsError("s3:PutBucketEncryption failed (KMS.NotFoundException)")
        return real(self, service, method, **params)

    monkeypatch.setattr(AwsSession, "call", refusing)
    with pytest.raises(AwsError) as caught:
        create_template_bucket(session, MANAGED, account=ACCOUNT, kms_key=f"arn:aws:kms:{REGION}:{ACCOUNT}:key/{UUID}")
    assert str(caught.value) == ("s3:PutBucketEncryption failed (KMS.NotFoundException) (the bucket "
                                 f"s3://{MANAGED} created for it was deleted again)")
    assert buckets(session) == []


def test_finding_the_bucket_creates_nothing(session: AwsSession) -> None:
    key = session.client("kms").create_key()["KeyMetadata"]["Arn"]
    found = find_template_bucket(session, create=True, kms_key=key)
    assert found == TemplateBucket(MANAGED, "to create", key) and buckets(session) == []
    with pytest.raises(InputError, match="a bucket the wizard creates"):
        find_template_bucket(session, given="acme-cfn-templates", kms_key=key)
