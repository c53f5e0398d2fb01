"""The whole audit on a hand-made snapshot: template, principals, policies, bucket policy."""

from __future__ import annotations

from dataclasses import replace

from wizard.audit.holdings import (DeployedStack, HeldPolicy, HeldPrincipal, HeldResourcePolicy, Holdings,
                                   PolicyVersion, StackResource, path_prefix)
from wizard.audit.verdict import audit

ACCOUNT, REGION = "111122223333", "eu-west-1"
POLICY = f"arn:aws:iam::{ACCOUNT}:policy/quilt/q/{REGION}/q-Read-ABC"
ROLE_ARN = f"arn:aws:iam::{ACCOUNT}:role/q-Role-XYZ"

TEMPLATE = """\
Parameters:
  CustomerBucketPrefix: {Type: String, Default: ''}
Resources:
  Bucket: {Type: AWS::S3::Bucket}
  BucketPolicy:
    Type: AWS::S3::BucketPolicy
    Properties:
      Bucket: !Ref Bucket
      PolicyDocument:
        Statement:
          - {Effect: Allow, Principal: {AWS: !GetAtt Role.Arn}, Action: s3:GetObject, Resource: !Sub '${Bucket.Arn}/*'}
  Read:
    Type: AWS::IAM::ManagedPolicy
    Properties:
      Path: !Sub /quilt/${AWS::StackName}/${AWS::Region}/
      Roles: [!Ref Role]
      PolicyDocument:
        Statement:
          - {Effect: Allow, Action: [s3:GetObject, s3:ListBucket], NotResource: '*'}
  Role:
    Type: AWS::IAM::Role
    Properties:
      AssumeRolePolicyDocument:
        Statement:
          - {Effect: Allow, Principal: {Service: lambda.amazonaws.com}, Action: sts:AssumeRole}
      Policies:
        - PolicyName: own
          PolicyDocument:
            Statement:
              - {Effect: Allow, Action: s3:PutObject, Resource: !Sub '${Bucket.Arn}/out/*'}
"""


def snapshot(**changes) -> Holdings:
    stack = DeployedStack(
        name="q", stack_id=f"arn:aws:cloudformation:{REGION}:{ACCOUNT}:stack/q/1", region=REGION,
        account_id=ACCOUNT, status="UPDATE_COMPLETE", template_body=TEMPLATE,
        parameters={"CustomerBucketPrefix": "acme-"},
        resources=(StackResource("Bucket", "AWS::S3::Bucket", "q-bucket-1"),
                   StackResource("Read", "AWS::IAM::ManagedPolicy", POLICY),
                   StackResource("Role", "AWS::IAM::Role", "q-Role-XYZ")))
    role = HeldPrincipal(
        "Role", "role", "q-Role-XYZ", ROLE_ARN, attached=(POLICY,),
        inline={"own": {"Statement": [{"Effect": "Allow", "Action": "s3:PutObject",
                                       "Resource": "arn:aws:s3:::q-bucket-1/out/*"}]}},
        trust={"Statement": {"Effect": "Allow", "Principal": {"Service": "lambda.amazonaws.com"},
                             "Action": "sts:AssumeRole"}})
    placeholder = HeldPolicy(POLICY, "q-Read-ABC", f"/quilt/q/{REGION}/", "v1", (
        PolicyVersion("v1", True, "2026-01-01", {"Statement": [
            {"Effect": "Allow", "Action": ["s3:ListBucket", "s3:GetObject"], "NotResource": "*"}]}),),
        attached_to=(("role", "q-Role-XYZ"),))
    bucket = HeldResourcePolicy("Bucket", "AWS::S3::Bucket", "q-bucket-1", {"Statement": [
        {"Effect": "Allow", "Principal": {"AWS": ROLE_ARN}, "Action": "s3:GetObject",
         "Resource": "arn:aws:s3:::q-bucket-1/*"}]})
    holdings = Holdings(stack, path_prefix("q", REGION), (role,), {POLICY: placeholder}, (bucket,))
    return replace(holdings, **changes)


def test_an_account_that_holds_what_the_template_says_is_clean() -> None:
    result = audit(snapshot())
    assert result.findings == [] and result.drift == []
    assert sum(len(c.comparison.matched) for c in result.comparisons) == 4  # inline, trust, placeholder, bucket


def test_a_filled_placeholder_is_judged_not_called_drift() -> None:
    holdings = snapshot()
    policy = holdings.policies[POLICY]
    filled = replace(policy, default_version="v2", versions=policy.versions[:1] + (PolicyVersion(
        "v2", True, "2026-02-01", {"Statement": [
            {"Effect": "Allow", "Action": "s3:GetObject", "Resource": "arn:aws:s3:::acme-data/*"},
            {"Effect": "Allow", "Action": "s3:DeleteObject", "Resource": "arn:aws:s3:::other/*"}]},
        created_by="arn:aws:sts::111122223333:assumed-role/q-Role-XYZ/registry"),))
    result = audit(replace(holdings, policies={POLICY: filled}))
    assert result.drift == []
    assert sorted(f.rule_id for f in result.findings) == ["QW-AUD-001", "QW-AUD-004"]
    assert all(dict(f.facts)["created_by"].endswith("/registry") for f in result.findings)


def test_a_bucket_policy_and_trust_changed_by_hand_are_drift() -> None:
    holdings = snapshot()
    role = holdings.principals[0]
    wider_trust = replace(role, trust={"Statement": [
        {"Effect": "Allow", "Principal": {"Service": "lambda.amazonaws.com"}, "Action": "sts:AssumeRole"},
        {"Effect": "Allow", "Principal": {"AWS": "444455556666"}, "Action": "sts:AssumeRole"}]})
    public = replace(holdings.resource_policies[0], document={"Statement": [
        {"Effect": "Allow", "Principal": "*", "Action": "s3:GetObject", "Resource": "arn:aws:s3:::q-bucket-1/*"}]})
    result = audit(replace(holdings, principals=(wider_trust,), resource_policies=(public,)))
    found = sorted((f.rule_id, f.subject) for f in result.findings)
    assert found == [("QW-AUD-006", "BucketPolicy (AWS::S3::BucketPolicy) on q-bucket-1"),
                     ("QW-AUD-006", "Role trust policy"),
                     ("QW-AUD-007", "BucketPolicy (AWS::S3::BucketPolicy) on q-bucket-1")]
    trust_drift = [s for label, kind, s in result.drift if label == "Role trust policy"]
    assert trust_drift[0].principals == ("AWS:arn:aws:iam::444455556666:root",)
