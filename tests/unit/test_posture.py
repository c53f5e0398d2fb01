"""The security controls read from an evaluated template, and the weakenings and gains
between two: every control, with its exact one-line reasons."""

from __future__ import annotations

from wizard.cfn.evaluate import Evaluation
from wizard.cfn.parameters import resolve_parameters
from wizard.cfn.template import parse_template
from wizard.iam.posture import TRAILS, Control, Posture, compare_postures, posture

KEY = "arn:aws:kms:us-east-1:123456789012:key/k1"

HARDENED = f"""
Resources:
  Logs:
    Type: AWS::S3::Bucket
    Properties:
      BucketEncryption:
        ServerSideEncryptionConfiguration:
          - BucketKeyEnabled: true
          - ServerSideEncryptionByDefault: {{SSEAlgorithm: 'aws:kms:dsse', KMSMasterKeyID: {KEY}}}
      LoggingConfiguration: {{DestinationBucketName: access-logs}}
  Plain:
    Type: AWS::S3::Bucket
    Properties:
      BucketEncryption:
        ServerSideEncryptionConfiguration: [{{ServerSideEncryptionByDefault: {{SSEAlgorithm: AES256}}}}]
      LoggingConfiguration: {{}}
  Trail:
    Type: AWS::CloudTrail::Trail
    Properties:
      IsLogging: true
      S3BucketName: !Ref Logs
      KMSKeyId: {KEY}
      CloudWatchLogsLogGroupArn: !GetAtt Audit.Arn
      IsMultiRegionTrail: 'true'
      EnableLogFileValidation: true
  Second:
    Type: AWS::CloudTrail::Trail
    Properties: {{IsLogging: 'TRUE', S3BucketName: !Ref Logs, KMSKeyId: alias/other, IsMultiRegionTrail: 'no'}}
  Audit:
    Type: AWS::Logs::LogGroup
    Properties: {{KmsKeyId: {KEY}}}
  Topic:
    Type: AWS::SNS::Topic
    Properties: {{KmsMasterKeyId: alias/aws/sns}}
  Queue:
    Type: AWS::SQS::Queue
    Properties: {{KmsMasterKeyId: alias/aws/sqs}}
  Key:
    Type: AWS::KMS::Key
    Properties: {{EnableKeyRotation: true, KeyPolicy: {{}}}}
  Lb:
    Type: AWS::ElasticLoadBalancingV2::LoadBalancer
    Properties:
      LoadBalancerAttributes:
        - {{Key: deletion_protection.enabled, Value: 'true'}}
        - {{Key: access_logs.s3.enabled, Value: 'true'}}
        - {{Key: access_logs.s3.bucket, Value: !Ref Logs}}
  Inside:
    Type: AWS::ElasticLoadBalancingV2::LoadBalancer
    Properties: {{Scheme: internal, LoadBalancerAttributes: [{{Key: access_logs.s3.enabled, Value: 'false'}}]}}
  Quiet:
    Type: AWS::ElasticLoadBalancingV2::LoadBalancer
    Properties: {{Scheme: internal, LoadBalancerAttributes: [{{Key: access_logs.s3.enabled, Value: true}}]}}
  Managed:
    Type: AWS::S3::Bucket
    Properties:
      BucketEncryption:
        ServerSideEncryptionConfiguration: [{{ServerSideEncryptionByDefault: {{SSEAlgorithm: 'aws:kms'}}}}]
  Http:
    Type: AWS::ElasticLoadBalancingV2::Listener
    Properties: {{LoadBalancerArn: !Ref Lb, Port: 80, Protocol: HTTP, DefaultActions: [{{Type: forward, TargetGroupArn: !Ref Tasks}}]}}
  Redirect:
    Type: AWS::ElasticLoadBalancingV2::Listener
    Properties:
      LoadBalancerArn: !Ref Inside
      Port: 80
      Protocol: http
      DefaultActions: [{{Type: redirect, RedirectConfig: {{Protocol: HTTPS, Port: '443', StatusCode: HTTP_301}}}}]
  HalfRedirect:
    Type: AWS::ElasticLoadBalancingV2::Listener
    Properties:
      LoadBalancerArn: !Ref Inside
      Port: 8080
      Protocol: HTTP
      DefaultActions:
        - {{Type: redirect, RedirectConfig: {{Protocol: HTTP, Port: '80'}}}}
  Tls:
    Type: AWS::ElasticLoadBalancingV2::Listener
    Properties: {{LoadBalancerArn: !Ref Inside, Port: 443, Protocol: HTTPS, DefaultActions: [{{Type: forward}}]}}
  Tasks:
    Type: AWS::ElasticLoadBalancingV2::TargetGroup
    Properties: {{Port: 80, Protocol: http}}
  Secure:
    Type: AWS::ElasticLoadBalancingV2::TargetGroup
    Properties: {{Port: 443, Protocol: HTTPS}}
"""


def _posture(text: str) -> Posture:
    template = parse_template(text)
    return posture(Evaluation(template, resolve_parameters(template, {})))


def test_every_control_is_read_from_the_resources():
    found = _posture(HARDENED)
    assert sorted(found.controls, key=repr) == sorted([
        Control("trail-logging", TRAILS, "", ("Trail", "Second")),
        Control("trail-kms", TRAILS, KEY, ("Trail", "Second")),
        Control("trail-cloudwatch", TRAILS, "Audit", ("Trail",)),
        Control("trail-multi-region", TRAILS, "", ("Trail",)),
        Control("trail-validation", TRAILS, "", ("Trail",)),
        Control("kms", "Logs", KEY),
        Control("access-logs", "Logs", "access-logs"),
        Control("access-logs", "Plain", "its own bucket"),
        Control("kms", "Audit", KEY),
        Control("kms", "Topic", "alias/aws/sns"),
        Control("kms", "Queue", "alias/aws/sqs"),
        Control("key-rotation", "Key"),
        Control("internet-facing", "Lb"),
        Control("access-logs", "Lb", "Logs"),
        Control("plaintext-listener", "Lb", "HTTP/80", ("Http",)),
        Control("plaintext-listener", "Inside", "HTTP/8080", ("HalfRedirect",)),
        Control("plaintext-target", "Tasks", "HTTP/80"),
        Control("access-logs", "Quiet", "a bucket"),
        Control("kms", "Managed", "the AWS managed key"),
    ], key=repr)
    assert found.resources == frozenset(parse_template(HARDENED).resources)


NOTHING = """
Resources:
  Logs: {Type: AWS::S3::Bucket}
  Plain: {Type: AWS::S3::Bucket}
  Trail:
    Type: AWS::CloudTrail::Trail
    Properties: {IsLogging: false, S3BucketName: !Ref Logs, IsMultiRegionTrail: false, EnableLogFileValidation: 'false'}
  Audit: {Type: AWS::Logs::LogGroup}
  Topic: {Type: AWS::SNS::Topic}
  Queue: {Type: AWS::SQS::Queue}
  Key: {Type: AWS::KMS::Key, Properties: {EnableKeyRotation: false, KeyPolicy: {}}}
  Lb:
    Type: AWS::ElasticLoadBalancingV2::LoadBalancer
    Properties: {Scheme: internal}
  Inside:
    Type: AWS::ElasticLoadBalancingV2::LoadBalancer
    Properties: {Scheme: internal}
  Quiet:
    Type: AWS::ElasticLoadBalancingV2::LoadBalancer
    Properties: {Scheme: internal}
  Managed: {Type: AWS::S3::Bucket}
  Tasks:
    Type: AWS::ElasticLoadBalancingV2::TargetGroup
    Properties: {Port: 443, Protocol: HTTPS}
"""


def test_no_control_where_none_is_set():
    assert _posture(NOTHING).controls == ()


def test_the_reasons_of_every_weakening_and_gain():
    hardened, bare = _posture(HARDENED), _posture(NOTHING)
    weakenings, gains = compare_postures(hardened, bare)
    assert sorted(c.reason for c in weakenings) == sorted([
        "no CloudTrail trail records API activity any more",
        f"CloudTrail log files are no longer encrypted with a KMS key (was {KEY})",
        "CloudTrail no longer delivers to CloudWatch Logs (was Audit)",
        "no trail covers every region any more",
        "CloudTrail log-file validation is turned off",
        f"Logs is no longer encrypted with a KMS key (was {KEY})",
        "Logs no longer writes access logs",
        "Plain no longer writes access logs",
        f"Audit is no longer encrypted with a KMS key (was {KEY})",
        "Topic is no longer encrypted with a KMS key (was alias/aws/sns)",
        "Queue is no longer encrypted with a KMS key (was alias/aws/sqs)",
        "KMS key Key no longer rotates",
        "Lb no longer writes access logs",
        "Quiet no longer writes access logs",
        "Managed is no longer encrypted with a KMS key (was the AWS managed key)",
    ])
    assert sorted(c.reason for c in gains) == sorted([
        "load balancer Lb is no longer reachable from the internet",
        "load balancer Lb no longer serves unencrypted HTTP/80",
        "load balancer Inside no longer serves unencrypted HTTP/8080",
        "target group Tasks reaches its targets over TLS now (was HTTP/80)",
    ])
    weakenings, gains = compare_postures(bare, hardened)
    assert sorted(c.reason for c in weakenings) == sorted([
        "load balancer Lb becomes reachable from the internet",
        "load balancer Lb serves unencrypted HTTP/80 (listener Http)",
        "load balancer Inside serves unencrypted HTTP/8080 (listener HalfRedirect)",
        "target group Tasks reaches its targets over unencrypted HTTP/80",
    ])
    assert sorted(c.reason for c in gains) == sorted([
        "trail Trail, Second records API activity",
        f"trail Trail, Second encrypted with key {KEY}",
        "trail Trail delivers to CloudWatch Logs Audit",
        "trail Trail covers every region",
        "trail Trail validates its log files",
        f"Logs encrypted with key {KEY}",
        "Logs writes access logs to access-logs",
        "Plain writes access logs to its own bucket",
        f"Audit encrypted with key {KEY}",
        "Topic encrypted with key alias/aws/sns",
        "Queue encrypted with key alias/aws/sqs",
        "KMS key Key rotates yearly",
        "Lb writes access logs to Logs",
        "Quiet writes access logs to a bucket",
        "Managed encrypted with key the AWS managed key",
    ])
    assert weakenings[0].to_json() == {"control": weakenings[0].control.name,
                                       "category": weakenings[0].control.category,
                                       "resource": weakenings[0].control.subject,
                                       "where": list(weakenings[0].control.where),
                                       "detail": weakenings[0].control.detail, "reason": weakenings[0].reason}


def test_categories():
    assert {Control(n, "x").category for n in ("trail-kms", "kms", "key-rotation")} == {"encryption at rest"}
    assert {Control(n, "x").category for n in ("trail-logging", "trail-cloudwatch", "trail-multi-region",
                                               "trail-validation", "access-logs")} == {"logging"}
    assert {Control(n, "x").category for n in ("plaintext-listener", "plaintext-target")} == {"encryption in transit"}
    assert Control("internet-facing", "x").category == "exposure"


def test_a_control_of_a_deleted_resource_is_neither_lost_nor_gained():
    hardened = _posture(HARDENED)
    gone = Posture(hardened.controls, frozenset())
    weakenings, gains = compare_postures(hardened, Posture((), frozenset()))
    assert {c.control.subject for c in weakenings} == {TRAILS}
    assert {c.control.name for c in gains} == {"internet-facing", "plaintext-listener", "plaintext-target"}
    weakenings, gains = compare_postures(Posture((), frozenset()), gone)
    assert {c.control.subject for c in gains} == {TRAILS}


def test_an_exposure_that_moves_is_neither_lost_nor_gained():
    before = Posture((Control("plaintext-listener", "Lb", "HTTP/80", ("A",)),
                      Control("internet-facing", "Old")), frozenset({"Lb", "Old"}))
    port = Posture((Control("plaintext-listener", "Lb", "HTTP/8080", ("B",)),
                    Control("internet-facing", "New")), frozenset({"Lb", "New"}))
    assert compare_postures(before, port) == ((), ())
    elsewhere = Posture((Control("plaintext-listener", "Other", "HTTP/80", ("C",)),), frozenset({"Other"}))
    weakenings, gains = compare_postures(before, elsewhere)
    assert weakenings == () and [c.control.name for c in gains] == ["internet-facing"]
    # Another kind of exposure on the same resource is not a move.
    public = Posture((Control("internet-facing", "Lb"),), frozenset({"Lb"}))
    plain = Posture((Control("plaintext-listener", "Lb", "HTTP/80", ("A",)),), frozenset({"Lb"}))
    weakenings, gains = compare_postures(public, plain)
    assert [c.control.name for c in weakenings] == ["plaintext-listener"]
    assert [c.control.name for c in gains] == ["internet-facing"]
    both = Posture((Control("plaintext-listener", "Lb", "HTTP/80", ("A",)),
                    Control("plaintext-listener", "Lb", "HTTP/8080", ("B",))), frozenset({"Lb"}))
    weakenings, gains = compare_postures(before, both)
    assert [c.control.detail for c in weakenings] == ["HTTP/8080"]
    assert [c.control.name for c in gains] == ["internet-facing"]


# --- S3 object-level events and the guards of a trail and its key ---------------------------

GUARDED = f"""
Parameters:
  Key: {{Type: String, Default: {KEY}}}
  Selectors: {{Type: String, Default: advanced}}
Conditions:
  Advanced: !Equals [!Ref Selectors, advanced]
  Basic: !Equals [!Ref Selectors, basic]
Resources:
  Trail:
    Type: AWS::CloudTrail::Trail
    Properties:
      IsLogging: true
      S3BucketName: logs
      KMSKeyId: !Ref Key
      AdvancedEventSelectors: !If
        - Advanced
        - - Name: management
            FieldSelectors: [{{Field: eventCategory, Equals: [Management]}}]
          - Name: objects
            FieldSelectors:
              - {{Field: eventCategory, Equals: [Data]}}
              - {{Field: resources.type, Equals: ['AWS::S3::Object']}}
              - {{Field: resources.ARN, StartsWith: ['arn:aws:s3:::acme-']}}
          - Name: tables
            FieldSelectors:
              - {{Field: eventCategory, Equals: [Data]}}
              - {{Field: resources.type, Equals: ['AWS::DynamoDB::Table']}}
        - !Ref AWS::NoValue
      EventSelectors: !If
        - Basic
        - [{{DataResources: [{{Type: 'AWS::S3::Object', Values: ['arn:aws:s3:::acme-data/']}}]}}]
        - !Ref AWS::NoValue
  Role:
    Type: AWS::IAM::Role
    Properties:
      AssumeRolePolicyDocument: {{Statement: [{{Effect: Allow, Principal: {{Service: ecs-tasks.amazonaws.com}}, Action: sts:AssumeRole}}]}}
      Policies:
        - PolicyName: inline
          PolicyDocument:
            Statement:
              - {{Effect: Deny, Action: 'cloudtrail:Stop*', Resource: !GetAtt Trail.Arn}}
  Guardrail:
    Type: AWS::IAM::ManagedPolicy
    Properties:
      Roles: [!Ref Role]
      PolicyDocument:
        Statement:
          - {{Effect: Deny, Action: cloudtrail:DeleteTrail, Resource: !GetAtt Trail.Arn}}
          - {{Effect: Deny, Action: [kms:ScheduleKeyDeletion, kms:DisableKey], Resource: 'arn:aws:kms:us-east-1:123456789012:key/*'}}
"""


def _edit(old: str, new: str, text: str = GUARDED) -> str:
    assert old in text, old
    return text.replace(old, new)


def _guarded(text: str = GUARDED, **values: str) -> Posture:
    template = parse_template(text)
    return posture(Evaluation(template, resolve_parameters(template, values)))


def _named(found: Posture, *names: str) -> list[Control]:
    return sorted((c for c in found.controls if c.name in names), key=repr)


def test_a_trail_records_s3_object_events_its_selectors_name():
    advanced, basic, none = _guarded(), _guarded(Selectors="basic"), _guarded(Selectors="none")
    assert _named(advanced, "trail-s3-data-events") == [
        Control("trail-s3-data-events", TRAILS, "arn:aws:s3:::acme-", ("Trail",))]
    assert _named(basic, "trail-s3-data-events")[0].detail == "arn:aws:s3:::acme-data/"
    assert _named(none, "trail-s3-data-events") == []
    every = _edit("              - {Field: resources.ARN, StartsWith: ['arn:aws:s3:::acme-']}\n", "")
    assert _named(_guarded(every), "trail-s3-data-events")[0].detail == "every bucket"
    weakenings, gains = compare_postures(advanced, none)
    assert [c.reason for c in weakenings] == ["no trail records S3 object-level events any more (was arn:aws:s3:::acme-)"]
    assert [c.reason for c in compare_postures(none, advanced)[1]] == [
        "trail Trail records S3 object-level events (arn:aws:s3:::acme-)"]


def test_a_deny_held_by_a_role_guards_the_trail_and_its_key():
    assert _named(_guarded(), "trail-guard", "trail-key-guard") == [
        Control("trail-guard", "Trail", "Guardrail, Role/inline"),
        Control("trail-key-guard", "Trail", KEY, ("Guardrail",))]
    key_id = _guarded(Key="1234abcd-12ab-34cd-56ef-1234567890ab")
    assert _named(key_id, "trail-key-guard")[0].detail == "1234abcd-12ab-34cd-56ef-1234567890ab"
    # an alias names no key: only a Deny on every key of the account guards it
    assert _named(_guarded(Key="alias/audit"), "trail-key-guard")[0].detail == "alias/audit"
    exact = _edit("'arn:aws:kms:us-east-1:123456789012:key/*'", f"'{KEY}'")
    assert _named(_guarded(exact), "trail-key-guard")[0].detail == KEY
    assert _named(_guarded(exact, Key="alias/audit"), "trail-key-guard") == []
    weakenings, gains = compare_postures(_guarded(), _guarded(exact, Key="alias/audit"))
    assert [c.reason for c in weakenings] == [
        f"nothing in the stack keeps its roles from deleting or disabling key {KEY} of trail Trail any more"]
    assert [c.reason for c in compare_postures(_guarded(exact, Key="alias/audit"), _guarded())[1]] == [
        f"Guardrail keeps the stack's roles from deleting or disabling key {KEY} of trail Trail"]


def test_what_does_not_guard_a_trail():
    # one of the two actions only
    half = _edit("          - {Effect: Deny, Action: cloudtrail:DeleteTrail, Resource: !GetAtt Trail.Arn}\n", "")
    assert _named(_guarded(half), "trail-guard") == []
    # a condition makes the Deny apply only sometimes
    conditional = _edit("DeleteTrail, Resource: !GetAtt Trail.Arn}",
                        "DeleteTrail, Resource: !GetAtt Trail.Arn, Condition: {Bool: {aws:ViaAWSService: 'false'}}}")
    assert _named(_guarded(conditional), "trail-guard") == []
    # a policy attached to no role guards nobody; another trail's ARN guards nothing
    loose = _edit("      Roles: [!Ref Role]\n", "")
    assert _named(_guarded(loose), "trail-guard", "trail-key-guard") == []
    by_arn = _edit("      Policies:\n", "      ManagedPolicyArns: [!Ref Guardrail]\n      Policies:\n", loose)
    assert [c.detail for c in _named(_guarded(by_arn), "trail-guard")] == ["Guardrail, Role/inline"]
    other = _edit("!GetAtt Trail.Arn", "'arn:aws:cloudtrail:us-east-1:123456789012:trail/other'")
    assert _named(_guarded(other), "trail-guard") == []
    anywhere = _edit("!GetAtt Trail.Arn", "'arn:aws:cloudtrail:us-east-1:123456789012:trail/*'")
    assert _named(_guarded(anywhere), "trail-guard")[0].detail == "Guardrail, Role/inline"
    weakenings, _gains = compare_postures(_guarded(), _guarded(half))
    assert [c.reason for c in weakenings] == [
        "nothing in the stack keeps its roles from stopping or deleting trail Trail any more (was Guardrail, Role/inline)"]
    assert Control("trail-guard", "x").category == Control("trail-s3-data-events", "x").category == "logging"
    assert Control("trail-key-guard", "x").category == "encryption at rest"
