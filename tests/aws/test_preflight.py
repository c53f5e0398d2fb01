"""Preflight: each check against moto's server, plus the pure rules behind them."""

from __future__ import annotations

import json

import pytest
from botocore.stub import Stubber

from tests.moto import ACCOUNT, REGION, TOPIC_TEMPLATE, import_certificate
from wizard.aws import (AwsSession, CheckStatus, CredentialsError, PreflightReport,
                        StackState, make_session, render_preflight, run_preflight)
from wizard.aws.checks import (covering_name, name_covers, stack_check,
                               policy_lets_cloudtrail_encrypt)


CLOUDTRAIL_STATEMENT = {
    "Sid": "Allow CloudTrail to encrypt logs",
    "Effect": "Allow",
    "Principal": {"Service": "cloudtrail.amazonaws.com"},
    "Action": "kms:GenerateDataKey*",
    "Resource": "*",
    "Condition": {"StringLike": {
        "kms:EncryptionContext:aws:cloudtrail:arn": f"arn:aws:cloudtrail:*:{ACCOUNT}:trail/*"}},
}
ROOT_STATEMENT = {"Sid": "Root", "Effect": "Allow",
                  "Principal": {"AWS": f"arn:aws:iam::{ACCOUNT}:root"},
                  "Action": "kms:*", "Resource": "*"}


# --- pure rules -------------------------------------------------------------------------------

@pytest.mark.parametrize(("name", "host", "covered"), [
    ("quilt.example.com", "quilt.example.com", True),
    ("Quilt.Example.com.", "quilt.example.COM", True),
    ("other.example.com", "quilt.example.com", False),
    ("*.example.com", "a.example.com", True),
    ("*.example.com", "a.b.example.com", False),
    ("*.example.com", "example.com", False),
    ("*.example.com", ".example.com", False),
    ("*.a.example.com", "x.a.example.com", True),
    ("*.example.com", "a.example.org", False),
    ("", "example.com", False),
])
def test_certificate_names_cover_hosts_like_acm(name: str, host: str, covered: bool) -> None:
    assert name_covers(name, host) is covered


def test_covering_name_reports_which_name_matched() -> None:
    names = ["example.com", "*.example.com"]
    assert covering_name("quilt.example.com", names) == "*.example.com"
    assert covering_name("example.com", names) == "example.com"
    assert covering_name("a.quilt.example.com", names) is None


@pytest.mark.parametrize(("statements", "allowed"), [
    ([ROOT_STATEMENT, CLOUDTRAIL_STATEMENT], True),
    ([CLOUDTRAIL_STATEMENT | {"Principal": {"Service": ["cloudtrail.amazonaws.com",
                                                        "logs.amazonaws.com"]}}], True),
    ([CLOUDTRAIL_STATEMENT | {"Action": ["kms:Decrypt", "kms:*"]}], True),
    ([CLOUDTRAIL_STATEMENT | {"Action": "kms:generatedatakey"}], True),
    ([CLOUDTRAIL_STATEMENT | {"Effect": "Deny"}], False),
    ([CLOUDTRAIL_STATEMENT | {"Action": "kms:Decrypt"}], False),
    ([CLOUDTRAIL_STATEMENT | {"Principal": {"Service": "config.amazonaws.com"}}], False),
    ([ROOT_STATEMENT], False),
])
def test_key_policy_must_let_cloudtrail_generate_data_keys(statements: list,
                                                           allowed: bool) -> None:
    assert policy_lets_cloudtrail_encrypt({"Statement": statements}) is allowed


def test_a_single_statement_object_is_read_too() -> None:
    assert policy_lets_cloudtrail_encrypt({"Statement": CLOUDTRAIL_STATEMENT})


@pytest.mark.parametrize(("status", "outcome"), [
    ("CREATE_COMPLETE", CheckStatus.PASS),
    ("UPDATE_COMPLETE", CheckStatus.PASS),
    ("UPDATE_ROLLBACK_COMPLETE", CheckStatus.WARN),
    ("REVIEW_IN_PROGRESS", CheckStatus.WARN),
    ("ROLLBACK_COMPLETE", CheckStatus.FAIL),
    ("ROLLBACK_FAILED", CheckStatus.FAIL),
    ("DELETE_FAILED", CheckStatus.FAIL),
    ("UPDATE_ROLLBACK_FAILED", CheckStatus.FAIL),
    ("CREATE_FAILED", CheckStatus.WARN),
    ("CREATE_IN_PROGRESS", CheckStatus.FAIL),
    ("UPDATE_COMPLETE_CLEANUP_IN_PROGRESS", CheckStatus.FAIL),
    ("DELETE_IN_PROGRESS", CheckStatus.FAIL),
])
def test_every_stack_status_is_explained(status: str, outcome: CheckStatus) -> None:
    stack = StackState("quilt", "arn:stack", status, None, {"A": "1"})
    check = stack_check("quilt", stack, REGION)
    assert check.status is outcome
    assert status in check.detail
    if outcome is not CheckStatus.PASS:
        assert check.hint


def test_rolled_back_first_deployment_says_to_delete_it() -> None:
    check = stack_check("quilt", StackState("quilt", "id", "ROLLBACK_COMPLETE", None), REGION)
    assert "delete-stack --stack-name quilt" in check.hint


# --- against moto -----------------------------------------------------------------------------

def _key(session: AwsSession, *statements: dict, **options: str) -> str:
    policy = json.dumps({"Version": "2012-10-17", "Statement": list(statements)})
    return session.client("kms").create_key(Policy=policy, **options)["KeyMetadata"]["KeyId"]


def trail_bucket_policy(bucket: str) -> dict:
    """The two statements the report's checklist gives for the trail's bucket."""
    service = {"Service": "cloudtrail.amazonaws.com"}
    return {"Version": "2012-10-17", "Statement": [
        {"Sid": "QuiltTrailAclCheck", "Effect": "Allow", "Principal": service, "Action": "s3:GetBucketAcl",
         "Resource": f"arn:aws:s3:::{bucket}"},
        {"Sid": "QuiltTrailWrite", "Effect": "Allow", "Principal": service, "Action": "s3:PutObject",
         "Resource": f"arn:aws:s3:::{bucket}/AWSLogs/{ACCOUNT}/*",
         "Condition": {"StringEquals": {"s3:x-amz-acl": "bucket-owner-full-control"}}}]}


def test_the_trail_bucket_must_admit_the_new_trail(session: AwsSession) -> None:
    s3 = session.client("s3")
    s3.create_bucket(Bucket="acme-trail")
    key = f"arn:aws:kms:{REGION}:{ACCOUNT}:key/1234abcd-12ab-34cd-56ef-1234567890ab"
    check = _run(session, CloudTrailBucket="acme-trail", KMSKeyId=key).check("trail-bucket-policy")
    assert check.status is CheckStatus.FAIL and "no bucket policy" in check.detail and "s3:PutObject" in check.hint
    other = trail_bucket_policy("acme-trail")
    other["Statement"][1]["Resource"] = "arn:aws:s3:::acme-trail/AWSLogs/999999999999/*"
    s3.put_bucket_policy(Bucket="acme-trail", Policy=json.dumps(other))
    assert _run(session, CloudTrailBucket="acme-trail", RecordS3DataEvents="true").check(
        "trail-bucket-policy").status is CheckStatus.FAIL
    s3.put_bucket_policy(Bucket="acme-trail", Policy=json.dumps(trail_bucket_policy("acme-trail")))
    assert _run(session, CloudTrailBucket="acme-trail", EnableCloudWatchIntegration="true").check(
        "trail-bucket-policy").status is CheckStatus.PASS
    assert _run(session, CloudTrailBucket="acme-trail").check("trail-bucket-policy").status is CheckStatus.SKIP


def test_the_workgroups_results_must_lie_in_the_prefix(session: AwsSession) -> None:
    athena = session.client("athena")
    athena.create_work_group(Name="outside", Configuration={
        "ResultConfiguration": {"OutputLocation": "s3://shared-results/"}, "EnforceWorkGroupConfiguration": True})
    athena.create_work_group(Name="loose", Configuration={
        "ResultConfiguration": {"OutputLocation": "s3://acme-results/"}, "EnforceWorkGroupConfiguration": False})
    athena.create_work_group(Name="good", Configuration={
        "ResultConfiguration": {"OutputLocation": "s3://acme-results/"}, "EnforceWorkGroupConfiguration": True})
    check = _run(session, CustomerBucketPrefix="acme-", AllowedAthenaWorkgroups="good,outside").check(
        "athena-primary-workgroup")
    assert check.status is CheckStatus.FAIL and "outside (s3://shared-results/)" in check.detail
    assert _run(session, CustomerBucketPrefix="acme-", AllowedAthenaWorkgroups="good,loose").check(
        "athena-primary-workgroup").status is CheckStatus.WARN
    assert _run(session, CustomerBucketPrefix="acme-", AllowedAthenaWorkgroups="good").check(
        "athena-primary-workgroup").status is CheckStatus.PASS


def _run(session: AwsSession, **parameters: str) -> PreflightReport:
    return run_preflight(session, parameters, stack_name="quilt")


def test_a_ready_account_passes_every_check(session: AwsSession) -> None:
    arn = import_certificate(session, "quilt.example.com")
    key = _key(session, ROOT_STATEMENT, CLOUDTRAIL_STATEMENT)
    session.client("logs").create_log_group(logGroupName="CloudTrail/quilt")
    for bucket in ("acme-raw", "acme-curated", "other"):
        session.client("s3").create_bucket(Bucket=bucket)
    session.client("athena").create_work_group(Name="quilt-analysts", Configuration={
        "ResultConfiguration": {"OutputLocation": "s3://acme-curated/athena/"}, "EnforceWorkGroupConfiguration": True})
    session.client("s3").create_bucket(Bucket="acme-trail")
    session.client("s3").put_bucket_policy(Bucket="acme-trail", Policy=json.dumps(trail_bucket_policy("acme-trail")))
    progress: list[str] = []

    report = run_preflight(session, {
        "CertificateArnELB": arn,
        "QuiltWebHost": "quilt.example.com",
        "KMSKeyId": key,
        "CloudWatchLogGroupArn":
            f"arn:aws:logs:{REGION}:{ACCOUNT}:log-group:CloudTrail/quilt:*",
        "CustomerBucketPrefix": "acme-",
        "AllowedAthenaWorkgroups": "quilt-analysts",
        "CloudTrailBucket": "acme-trail",
    }, stack_name="quilt", on_progress=progress.append)

    assert [(c.name, c.status.value) for c in report.checks] == [
        ("identity", "pass"), ("stack", "pass"), ("certificate", "pass"),
        ("certificate-host", "pass"), ("kms-key", "pass"), ("kms-key-cloudtrail", "pass"),
        ("log-group", "pass"), ("customer-buckets", "pass"), ("athena-workgroups", "pass"),
        ("athena-primary-workgroup", "pass"), ("trail-bucket-policy", "pass")]
    assert report.ok and report.account == ACCOUNT
    assert report.change_set_type == "CREATE" and report.baseline_parameters == {}
    assert "acme-curated" in report.check("customer-buckets").detail
    assert "other" not in report.check("customer-buckets").detail
    assert progress and all(isinstance(line, str) for line in progress)
    text = render_preflight(report)
    assert text.startswith("Preflight for stack quilt in us-east-1, account 123456789012")
    assert "Ready: 11 pass." in text and "CREATE of quilt" in text


def test_missing_parameters_are_skipped_with_the_reason(session: AwsSession) -> None:
    report = _run(session)
    skipped = {c.name: c.detail for c in report.checks if c.status is CheckStatus.SKIP}
    assert set(skipped) == {"certificate", "certificate-host", "kms-key", "kms-key-cloudtrail",
                            "log-group", "customer-buckets", "athena-workgroups", "athena-primary-workgroup",
                            "trail-bucket-policy"}
    assert "CertificateArnELB is not set" in skipped["certificate"]
    assert "KMSKeyId" in skipped["kms-key"]
    assert report.ok


def test_a_certificate_that_does_not_exist_fails(session: AwsSession) -> None:
    arn = f"arn:aws:acm:{REGION}:{ACCOUNT}:certificate/00000000-0000-0000-0000-000000000000"
    report = _run(session, CertificateArnELB=arn, QuiltWebHost="quilt.example.com")
    assert report.check("certificate").status is CheckStatus.FAIL
    assert "No certificate" in report.check("certificate").detail
    assert report.check("certificate-host").status is CheckStatus.SKIP
    assert not report.ok
    assert "fix: Check the ARN" in render_preflight(report)


def test_a_certificate_from_another_region_fails_without_asking(session: AwsSession) -> None:
    arn = f"arn:aws:acm:eu-west-1:{ACCOUNT}:certificate/00000000-0000-0000-0000-000000000000"
    report = _run(session, CertificateArnELB=arn)
    check = report.check("certificate")
    assert check.status is CheckStatus.FAIL
    assert check.detail == (f"The certificate is in eu-west-1, but the stack deploys to {REGION}: a load "
                            "balancer only takes an ACM certificate from its own region.")
    assert check.hint == f"Request or import a certificate for the web host in {REGION} and use its ARN."
    assert report.check("certificate-host").status is CheckStatus.SKIP


def test_not_an_acm_arn_fails(session: AwsSession) -> None:
    check = _run(session, CertificateArnELB="quilt.example.com").check("certificate")
    assert check.status is CheckStatus.FAIL and "not an ACM certificate ARN" in check.detail


def test_a_certificate_for_another_name_does_not_cover_the_host(session: AwsSession) -> None:
    arn = import_certificate(session, "www.example.org")
    report = _run(session, CertificateArnELB=arn, QuiltWebHost="quilt.example.com")
    assert report.check("certificate").status is CheckStatus.PASS
    host = report.check("certificate-host")
    assert host.status is CheckStatus.FAIL
    assert "www.example.org" in host.detail and "quilt.example.com" in host.detail


@pytest.mark.parametrize(("host", "covered"), [
    ("quilt.example.com", True), ("a.b.example.com", False), ("example.com", False)])
def test_a_wildcard_certificate_covers_one_label(session: AwsSession, host: str,
                                                 covered: bool) -> None:
    arn = import_certificate(session, "*.example.com")
    check = _run(session, CertificateArnELB=arn, QuiltWebHost=host).check("certificate-host")
    assert check.status is (CheckStatus.PASS if covered else CheckStatus.FAIL)


def test_a_subject_alternative_name_covers_the_host(session: AwsSession) -> None:
    arn = import_certificate(session, "example.com", "quilt.example.com")
    check = _run(session, CertificateArnELB=arn,
                 QuiltWebHost="quilt.example.com").check("certificate-host")
    assert check.status is CheckStatus.PASS


def test_a_certificate_pending_validation_is_not_issued(session: AwsSession) -> None:
    arn = session.client("acm").request_certificate(
        DomainName="quilt.example.com", ValidationMethod="DNS")["CertificateArn"]
    report = _run(session, CertificateArnELB=arn, QuiltWebHost="quilt.example.com")
    check = report.check("certificate")
    assert check.status is CheckStatus.FAIL
    assert "PENDING_VALIDATION" in check.detail and "CNAME" in check.hint
    assert report.check("certificate-host").status is CheckStatus.PASS


def test_a_certificate_about_to_expire_is_a_warning(session: AwsSession) -> None:
    arn = import_certificate(session, "quilt.example.com", days=10)
    report = _run(session, CertificateArnELB=arn, QuiltWebHost="quilt.example.com")
    assert report.check("certificate").status is CheckStatus.WARN
    assert "expires" in report.check("certificate").detail
    assert report.ok


def test_a_disabled_key_fails(session: AwsSession) -> None:
    key = _key(session, ROOT_STATEMENT, CLOUDTRAIL_STATEMENT)
    session.client("kms").disable_key(KeyId=key)
    report = _run(session, KMSKeyId=key)
    assert report.check("kms-key").status is CheckStatus.FAIL
    assert "Disabled" in report.check("kms-key").detail
    assert "enable-key" in report.check("kms-key").hint
    assert report.check("kms-key-cloudtrail").status is CheckStatus.SKIP


def test_a_key_without_a_cloudtrail_statement_is_a_warning(session: AwsSession) -> None:
    key = _key(session, ROOT_STATEMENT)
    report = _run(session, KMSKeyId=key)
    assert report.check("kms-key").status is CheckStatus.PASS
    check = report.check("kms-key-cloudtrail")
    assert check.status is CheckStatus.WARN
    assert "cloudtrail.amazonaws.com" in check.detail and "GenerateDataKey" in check.hint
    assert report.ok


def test_a_key_is_found_by_alias(session: AwsSession) -> None:
    key = _key(session, ROOT_STATEMENT, CLOUDTRAIL_STATEMENT)
    session.client("kms").create_alias(AliasName="alias/quilt-trail", TargetKeyId=key)
    report = _run(session, KMSKeyId="alias/quilt-trail")
    assert report.check("kms-key").status is CheckStatus.PASS
    assert report.check("kms-key-cloudtrail").status is CheckStatus.PASS


def test_a_missing_key_fails(session: AwsSession) -> None:
    check = _run(session, KMSKeyId="1234abcd-12ab-34cd-56ef-1234567890ab").check("kms-key")
    assert check.status is CheckStatus.FAIL and "No KMS key" in check.detail


def test_a_key_from_another_region_fails(session: AwsSession) -> None:
    key = _key(session, ROOT_STATEMENT)
    arn = f"arn:aws:kms:eu-west-1:{ACCOUNT}:key/{key}"
    report = _run(session, KMSKeyId=arn)
    check = report.check("kms-key")
    assert check.status is CheckStatus.FAIL
    assert check.detail == f"The key is in eu-west-1, but the stack deploys to {REGION}."
    assert check.hint == f"Use a KMS key in {REGION} (a multi-Region replica works)."
    assert report.check("kms-key-cloudtrail").status is CheckStatus.SKIP


def test_an_asymmetric_key_fails(session: AwsSession) -> None:
    key = _key(session, ROOT_STATEMENT, KeySpec="RSA_2048", KeyUsage="SIGN_VERIFY")
    check = _run(session, KMSKeyId=key).check("kms-key")
    assert check.status is CheckStatus.FAIL and "symmetric" in check.detail


def test_a_missing_log_group_fails(session: AwsSession) -> None:
    session.client("logs").create_log_group(logGroupName="CloudTrail/quilt-other")
    arn = f"arn:aws:logs:{REGION}:{ACCOUNT}:log-group:CloudTrail/quilt:*"
    check = _run(session, CloudWatchLogGroupArn=arn).check("log-group")
    assert check.status is CheckStatus.FAIL
    assert "No log group CloudTrail/quilt in us-east-1" in check.detail
    assert "create-log-group" in check.hint


def test_an_existing_log_group_passes_with_or_without_the_star(session: AwsSession) -> None:
    session.client("logs").create_log_group(logGroupName="CloudTrail/quilt")
    session.client("logs").put_retention_policy(logGroupName="CloudTrail/quilt",
                                                retentionInDays=365)
    for arn in (f"arn:aws:logs:{REGION}:{ACCOUNT}:log-group:CloudTrail/quilt:*",
                f"arn:aws:logs:{REGION}:{ACCOUNT}:log-group:CloudTrail/quilt"):
        check = _run(session, CloudWatchLogGroupArn=arn).check("log-group")
        assert check.status is CheckStatus.PASS and "365 days" in check.detail


def test_a_log_group_of_another_account_fails(session: AwsSession) -> None:
    arn = f"arn:aws:logs:{REGION}:999999999999:log-group:CloudTrail/quilt:*"
    check = _run(session, CloudWatchLogGroupArn=arn).check("log-group")
    assert check.status is CheckStatus.FAIL and "999999999999" in check.detail


def test_no_bucket_matching_the_prefix_is_a_warning(session: AwsSession) -> None:
    session.client("s3").create_bucket(Bucket="other-bucket")
    report = _run(session, CustomerBucketPrefix="acme-")
    assert report.check("customer-buckets").status is CheckStatus.WARN
    assert report.ok


def test_a_wildcard_prefix_is_refused(session: AwsSession) -> None:
    check = _run(session, CustomerBucketPrefix="*").check("customer-buckets")
    assert check.status is CheckStatus.FAIL and "wildcard" in check.detail


def test_missing_workgroups_are_named(session: AwsSession) -> None:
    session.client("athena").create_work_group(Name="quilt-analysts")
    check = _run(session, AllowedAthenaWorkgroups="quilt-analysts,quilt-admins, ,finance"
                 ).check("athena-workgroups")
    assert check.status is CheckStatus.FAIL
    assert "quilt-admins, finance" in check.detail and "quilt-analysts" not in check.detail


def test_a_workgroup_pattern_matches_existing_workgroups(session: AwsSession) -> None:
    session.client("athena").create_work_group(Name="quilt-analysts")
    assert _run(session, AllowedAthenaWorkgroups="quilt-*").check(
        "athena-workgroups").status is CheckStatus.PASS
    assert _run(session, AllowedAthenaWorkgroups="acme-*").check(
        "athena-workgroups").status is CheckStatus.FAIL


def test_a_disabled_workgroup_is_a_warning(session: AwsSession) -> None:
    # moto has no UpdateWorkGroup, so the workgroup's state is stubbed.
    athena = session.client("athena")
    with Stubber(athena) as stub:
        stub.add_response("list_work_groups", {"WorkGroups": [
            {"Name": "primary", "State": "ENABLED"}, {"Name": "legacy", "State": "DISABLED"}]})
        check = _run(session, AllowedAthenaWorkgroups="primary,legacy").check(
            "athena-workgroups")
    assert check.status is CheckStatus.WARN and "legacy" in check.detail


def test_an_existing_stack_means_update_with_its_parameters_as_baseline(
        session: AwsSession) -> None:
    session.client("cloudformation").create_stack(
        StackName="quilt", TemplateBody=TOPIC_TEMPLATE,
        Parameters=[{"ParameterKey": "TopicName", "ParameterValue": "quilt-events"}])
    report = _run(session)
    assert report.check("stack").status is CheckStatus.PASS
    assert report.change_set_type == "UPDATE"
    assert report.baseline_parameters == {"TopicName": "quilt-events"}
    assert report.to_json()["stack"]["status"] == "CREATE_COMPLETE"
    assert "UPDATE of quilt (CREATE_COMPLETE)" in render_preflight(report)


def test_a_stack_under_review_is_still_a_create(session: AwsSession) -> None:
    session.client("cloudformation").create_change_set(
        StackName="quilt", ChangeSetName="earlier", ChangeSetType="CREATE",
        TemplateBody=TOPIC_TEMPLATE,
        Parameters=[{"ParameterKey": "TopicName", "ParameterValue": "t"}])
    report = _run(session)
    assert report.check("stack").status is CheckStatus.WARN
    assert "REVIEW_IN_PROGRESS" in report.check("stack").detail
    assert report.change_set_type == "CREATE" and report.baseline_parameters == {}


def test_report_to_json_is_plain_data(session: AwsSession) -> None:
    data = _run(session, CustomerBucketPrefix="acme-").to_json()
    assert json.loads(json.dumps(data)) == data
    assert data["ok"] is True and data["region"] == REGION
    assert data["checks"][0] == {"name": "identity", "status": "pass",
                                 "detail": data["checks"][0]["detail"], "hint": ""}
    assert data["counts"] == {"pass": 2, "warn": 1, "fail": 0, "skip": 8}


def test_credentials_for_another_account_stop_the_preflight(session: AwsSession) -> None:
    report = run_preflight(session, {"CustomerBucketPrefix": "acme-"}, stack_name="quilt",
                           expected_account="999999999999")
    assert report.check("identity").status is CheckStatus.FAIL
    assert not report.ok
    assert all(c.status is CheckStatus.SKIP for c in report.checks[1:])
    assert report.change_set_type is None and report.baseline_parameters == {}
    assert "the stack could not be read" in render_preflight(report)


def test_a_denied_check_is_a_warning_naming_the_action(
        session: AwsSession, endpoint: str, monkeypatch: pytest.MonkeyPatch,
        request: pytest.FixtureRequest) -> None:
    # moto answers denials of JSON-protocol services (ACM, KMS, Logs, Athena) with an XML
    # body botocore cannot read, so the denied call here is S3's ListBuckets.
    iam = session.client("iam")
    iam.create_user(UserName="operator")
    iam.put_user_policy(UserName="operator", PolicyName="most", PolicyDocument=json.dumps({
        "Version": "2012-10-17",
        "Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"},
                      {"Effect": "Deny", "Action": "s3:ListAllMyBuckets", "Resource": "*"}]}))
    key = iam.create_access_key(UserName="operator")["AccessKey"]
    session.client("athena").create_work_group(Name="quilt-analysts")
    request.getfixturevalue("iam_enforced")
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", key["AccessKeyId"])
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", key["SecretAccessKey"])
    operator = make_session(region=REGION, endpoint_url=endpoint, max_attempts=1)

    report = run_preflight(operator, {"CustomerBucketPrefix": "acme-",
                                      "AllowedAthenaWorkgroups": "quilt-analysts"},
                           stack_name="quilt")
    check = report.check("customer-buckets")
    assert check.status is CheckStatus.WARN
    assert "s3:ListAllMyBuckets" in check.detail and "Allow s3:ListAllMyBuckets" in check.hint
    assert report.check("athena-workgroups").status is CheckStatus.PASS
    assert report.ok


def test_no_credentials_stop_the_preflight_with_one_error(
        endpoint: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("AWS_ACCESS_KEY_ID")
    monkeypatch.delenv("AWS_SECRET_ACCESS_KEY")
    session = make_session(region=REGION, endpoint_url=endpoint)
    with pytest.raises(CredentialsError):
        _run(session, CustomerBucketPrefix="acme-")


# --- what AWS-specific parameters name ----------------------------------------------------------

TYPES = {"VpcId": "AWS::EC2::VPC::Id", "Subnets": "List<AWS::EC2::Subnet::Id>",
         "Groups": "List<AWS::EC2::SecurityGroup::Id>", "KeyName": "AWS::EC2::KeyPair::KeyName",
         "Ami": "AWS::SSM::Parameter::Value<AWS::EC2::Image::Id>", "Other": "String"}


def _network(session: AwsSession) -> dict[str, str]:
    ec2 = session.client("ec2")
    vpc = ec2.create_vpc(CidrBlock="10.0.0.0/16")["Vpc"]["VpcId"]
    subnets = [ec2.create_subnet(VpcId=vpc, CidrBlock=f"10.0.{i}.0/24")["Subnet"]["SubnetId"] for i in (1, 2)]
    group = ec2.create_security_group(GroupName="tasks", Description="tasks", VpcId=vpc)["GroupId"]
    ec2.create_key_pair(KeyName="quilt-admin")
    session.client("ssm").put_parameter(Name="/quilt/ami", Value="ami-0123456789abcdef0", Type="String")
    return {"VpcId": vpc, "Subnets": ",".join(subnets), "Groups": group, "KeyName": "quilt-admin",
            "Ami": "/quilt/ami", "Other": "vpc-00000000"}


def test_what_aws_specific_parameters_name_exists(session: AwsSession) -> None:
    values = _network(session)
    report = run_preflight(session, values, stack_name="quilt", parameter_types=TYPES)
    names = [c.name for c in report.checks]
    assert names[-5:] == ["vpc", "subnets", "security-groups", "key-pair", "ssm-parameters"]
    assert all(report.check(n).status is CheckStatus.PASS for n in names[-5:])
    assert values["VpcId"] in report.check("vpc").detail and report.ok
    assert "vpc" not in [c.name for c in _run(session, **values).checks]  # no types, no lookups


def test_a_missing_resource_fails_naming_its_parameter(session: AwsSession) -> None:
    values = _network(session)
    subnet = values["Subnets"].split(",")[0]
    values |= {"VpcId": "vpc-0123456789abcdef0", "Subnets": f"{subnet},subnet-0123456789abcdef0",
               "KeyName": "nobody", "Ami": "/quilt/missing"}
    report = run_preflight(session, values, stack_name="quilt", parameter_types=TYPES)
    assert not report.ok
    assert report.check("vpc").status is CheckStatus.FAIL
    assert report.check("vpc").detail == f"VpcId: no VPC vpc-0123456789abcdef0 in {REGION}."
    assert report.check("subnets").detail == f"Subnets: no subnet subnet-0123456789abcdef0 in {REGION}."
    assert report.check("key-pair").detail == f"KeyName: no key pair nobody in {REGION}."
    assert report.check("ssm-parameters").detail == f"Ami: no SSM parameter /quilt/missing in {REGION}."
    assert report.check("security-groups").status is CheckStatus.PASS
    assert set(report.failed) >= {"vpc", "subnets", "key-pair", "ssm-parameters"}


def test_a_parameter_without_a_value_is_not_looked_up(session: AwsSession) -> None:
    report = run_preflight(session, {"VpcId": "", "Subnets": "<Subnets>"}, stack_name="quilt",
                           parameter_types=TYPES)
    assert not {"vpc", "subnets"} & {c.name for c in report.checks}


def test_credentials_for_another_account_skip_the_lookups(session: AwsSession) -> None:
    report = run_preflight(session, {"VpcId": "vpc-0123456789abcdef0"}, stack_name="quilt",
                           expected_account="999999999999", parameter_types=TYPES)
    assert report.check("vpc").status is CheckStatus.SKIP


def test_a_denied_lookup_is_a_warning_naming_the_action(
        session: AwsSession, endpoint: str, monkeypatch: pytest.MonkeyPatch,
        request: pytest.FixtureRequest) -> None:
    values = _network(session)
    iam = session.client("iam")
    iam.create_user(UserName="operator")
    iam.put_user_policy(UserName="operator", PolicyName="most", PolicyDocument=json.dumps({
        "Version": "2012-10-17",
        "Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"},
                      {"Effect": "Deny", "Action": "ec2:DescribeKeyPairs", "Resource": "*"}]}))
    key = iam.create_access_key(UserName="operator")["AccessKey"]
    request.getfixturevalue("iam_enforced")
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", key["AccessKeyId"])
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", key["SecretAccessKey"])
    operator = make_session(region=REGION, endpoint_url=endpoint, max_attempts=1)

    report = run_preflight(operator, {k: values[k] for k in ("VpcId", "KeyName")}, stack_name="quilt",
                           parameter_types=TYPES)
    check = report.check("key-pair")
    assert check.status is CheckStatus.WARN
    assert "ec2:DescribeKeyPairs" in check.detail and "Allow ec2:DescribeKeyPairs" in check.hint
    assert report.check("vpc").status is CheckStatus.PASS
