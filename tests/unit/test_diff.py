"""The semantic permission diff: every broadening rule, in both directions."""

from __future__ import annotations

from wizard.iam.diff import condition_implies, diff_evaluations
from wizard.cfn.evaluate import Evaluation
from wizard.cfn.parameters import resolve_parameters
from wizard.cfn.template import parse_template

ROLE = """
Parameters:
  Resource: {{Type: String, Default: '*'}}
Resources:
  Role:
    Type: AWS::IAM::Role
    Properties:
      AssumeRolePolicyDocument:
        Statement: [{{Effect: Allow, Principal: {{Service: {trusted}}}, Action: sts:AssumeRole}}]
      Policies:
        - PolicyName: p
          PolicyDocument:
            Statement:
{statements}
"""


def evaluation(statements: str, trusted: str = "lambda.amazonaws.com", **given) -> Evaluation:
    text = ROLE.format(statements=statements, trusted=trusted)
    template = parse_template(text)
    return Evaluation(template, resolve_parameters(template, given))


def verdict(before: str, after: str, **kw):
    return diff_evaluations(evaluation(before, **kw.get("a", {})), evaluation(after, **kw.get("b", {})))


S3_STAR = "              - {Effect: Allow, Action: 's3:GetObject', Resource: '*'}"
S3_ACME = "              - {Effect: Allow, Action: 's3:GetObject', Resource: 'arn:aws:s3:::acme-*'}"


def test_no_change_is_empty():
    result = verdict(S3_STAR, S3_STAR)
    assert result.empty and not result.broadening
    assert result.summary().endswith("no change")


def test_scoping_a_resource_to_a_prefix_is_narrowing_and_the_reverse_broadening():
    narrowing = verdict(S3_STAR, S3_ACME)
    assert len(narrowing.added) == 1 and len(narrowing.removed) == 1
    assert not narrowing.broadening
    widening = verdict(S3_ACME, S3_STAR)
    assert widening.broadening
    assert "s3:GetObject on *" in widening.added[0].reason


def test_adding_a_condition_is_narrowing_and_removing_it_broadening():
    conditioned = ("              - {Effect: Allow, Action: 's3:GetObject', Resource: '*', "
                   "Condition: {StringEquals: {aws:SourceVpc: vpc-1}}}")
    assert not verdict(S3_STAR, conditioned).broadening
    assert verdict(conditioned, S3_STAR).broadening


def test_adding_actions_is_broadening_and_removing_them_is_not():
    more = "              - {Effect: Allow, Action: ['s3:GetObject', 's3:PutObject'], Resource: '*'}"
    assert verdict(S3_STAR, more).broadening
    assert not verdict(more, S3_STAR).broadening


def test_action_wildcards_cover_their_members():
    star = "              - {Effect: Allow, Action: 's3:Get*', Resource: '*'}"
    assert not verdict(star, S3_STAR).broadening
    assert verdict(S3_STAR, star).broadening
    question = "              - {Effect: Allow, Action: 's3:GetObjec?', Resource: '*'}"
    assert not verdict(question, S3_STAR).broadening


def test_a_new_trusted_principal_is_broadening():
    result = diff_evaluations(evaluation(S3_STAR),
                              evaluation(S3_STAR, trusted="[lambda.amazonaws.com, ec2.amazonaws.com]"))
    assert result.broadening
    assert [c.grant.principal for c in result.added] == ["Service:ec2.amazonaws.com"]
    reverse = diff_evaluations(evaluation(S3_STAR, trusted="[lambda.amazonaws.com, ec2.amazonaws.com]"),
                               evaluation(S3_STAR))
    assert not reverse.broadening


def test_a_placeholder_turning_into_a_grant_is_broadening():
    placeholder = "              - {Effect: Allow, Action: 's3:GetObject', NotResource: '*'}"
    assert verdict(placeholder, S3_STAR).broadening
    assert not verdict(S3_STAR, placeholder).broadening


DENY = ("              - Effect: Deny\n                Action: 's3:*'\n                Resource: '*'\n"
        "                Condition: {{StringNotEquals: {{aws:PrincipalArn: {arns}}}}}")


def test_removing_a_deny_is_broadening_and_adding_one_is_not():
    deny = DENY.format(arns="[arn:aws:iam::1:role/A]")
    assert verdict(S3_STAR + "\n" + deny, S3_STAR).broadening
    assert not verdict(S3_STAR, S3_STAR + "\n" + deny).broadening


def test_adding_arns_to_a_deny_exception_list_is_broadening_and_removing_them_is_not():
    one = DENY.format(arns="[arn:aws:iam::1:role/A]")
    two = DENY.format(arns="[arn:aws:iam::1:role/A, arn:aws:iam::1:role/B]")
    assert verdict(one, two).broadening
    assert not verdict(two, one).broadening


def test_narrowing_a_deny_is_broadening():
    wide = "              - {Effect: Deny, Action: 's3:*', Resource: '*'}"
    narrow = "              - {Effect: Deny, Action: 's3:DeleteObject', Resource: '*'}"
    assert verdict(wide, narrow).broadening
    assert not verdict(narrow, wide).broadening


def test_a_new_managed_policy_attachment_is_broadening():
    text = ROLE.format(statements=S3_STAR, trusted="lambda.amazonaws.com")
    attached = text.replace("      Policies:", "      ManagedPolicyArns: [arn:aws:iam::aws:policy/AdministratorAccess]\n      Policies:")
    a, b = parse_template(text), parse_template(attached)
    result = diff_evaluations(Evaluation(a, resolve_parameters(a, {})), Evaluation(b, resolve_parameters(b, {})))
    assert result.broadening
    # The policy's text is bundled: its statement is judged, and it grants everything.
    assert [c.reason for c in result.added if c.broadening] == ["grants * on * to Role"]


def test_a_new_attachment_of_an_unknown_policy_is_broadening_by_name():
    text = ROLE.format(statements=S3_STAR, trusted="lambda.amazonaws.com")
    arn = "arn:aws:iam::111122223333:policy/Foreign"
    attached = text.replace("      Policies:", f"      ManagedPolicyArns: [{arn}]\n      Policies:")
    a, b = parse_template(text), parse_template(attached)
    result = diff_evaluations(Evaluation(a, resolve_parameters(a, {})), Evaluation(b, resolve_parameters(b, {})))
    assert result.broadening
    assert result.added[0].reason == f"attaches {arn}"


def test_condition_implication():
    assert condition_implies({"StringEquals": {"a": ["x"]}}, {"StringEquals": {"a": ["x", "y"]}})
    assert not condition_implies({"StringEquals": {"a": ["x", "y"]}}, {"StringEquals": {"a": ["x"]}})
    assert condition_implies({"StringNotEquals": {"a": ["x", "y"]}}, {"StringNotEquals": {"a": ["x"]}})
    assert condition_implies({"ArnLike": {"a": "arn:aws:s3:::acme-1"}}, {"ArnLike": {"a": "arn:aws:s3:::acme-*"}})
    assert condition_implies({"Bool": {"a": "true"}}, {})
    assert not condition_implies({}, {"Bool": {"a": "true"}})


NETWORK = """
Parameters:
  Scheme: {{Type: String, Default: internal}}
Resources:
  Sg:
    Type: AWS::EC2::SecurityGroup
    Properties:
      GroupDescription: x
      SecurityGroupIngress:
{ingress}
  Lb:
    Type: AWS::ElasticLoadBalancingV2::LoadBalancer
    Properties: {{Scheme: !Ref Scheme}}
{listener}
"""
RULE_443 = "        - {IpProtocol: tcp, FromPort: 443, ToPort: 443, CidrIp: 10.0.0.0/8}"
RULE_80 = "        - {IpProtocol: tcp, FromPort: 80, ToPort: 80, CidrIp: 0.0.0.0/0}"
LISTENER = """  L444:
    Type: AWS::ElasticLoadBalancingV2::Listener
    Properties: {LoadBalancerArn: !Ref Lb, Port: 444, Protocol: HTTPS, DefaultActions: [{Type: forward, TargetGroupArn: x}]}"""


def net(ingress: str, listener: str = "", **given) -> Evaluation:
    template = parse_template(NETWORK.format(ingress=ingress, listener=listener))
    return Evaluation(template, resolve_parameters(template, given))


def test_a_new_ingress_rule_or_listener_is_broadening_and_removing_it_is_not():
    assert diff_evaluations(net(RULE_443), net(RULE_443 + "\n" + RULE_80)).broadening
    assert not diff_evaluations(net(RULE_443 + "\n" + RULE_80), net(RULE_443)).broadening
    with_listener = diff_evaluations(net(RULE_443), net(RULE_443, LISTENER))
    assert with_listener.broadening and with_listener.network_added[0].rule.from_port == 444
    assert not diff_evaluations(net(RULE_443, LISTENER), net(RULE_443)).broadening


def test_turning_internet_facing_is_broadening():
    assert diff_evaluations(net(RULE_443), net(RULE_443, Scheme="internet-facing")).broadening
    assert not diff_evaluations(net(RULE_443, Scheme="internet-facing"), net(RULE_443)).broadening




def test_real_qurator_on_is_broadening_and_off_is_not(real_evaluation):
    on = diff_evaluations(real_evaluation(), real_evaluation(Qurator="Enabled"))
    assert on.broadening
    assert {(c.grant.actions, c.grant.resources) for c in on.added} == {(("bedrock:InvokeModel",), ("*",))}
    assert not diff_evaluations(real_evaluation(Qurator="Enabled"), real_evaluation()).broadening


def test_real_port_444_rule_from_the_private_accessor_group(real_evaluation):
    from wizard.iam.network import network_rules

    rules = [r for r in network_rules(real_evaluation()) if r.from_port == 444 and r.kind == "ingress"]
    assert [(r.resource, r.peer) for r in rules] == [("ElbPrivateSecurityGroup", "ElbPrivateAccessorSecurityGroup")]


def test_real_groups_without_inline_egress_keep_the_default(real_evaluation):
    """The vendor's ElbPrivate* groups get their egress from separate SecurityGroupEgress
    resources, which leave AWS's allow-all egress in place; inline egress removes it."""
    from wizard.iam.network import network_rules

    evaluation = real_evaluation()
    rules = network_rules(evaluation)
    defaults = {r.resource for r in rules if r.is_default_egress}
    assert {"ElbPrivateAccessorSecurityGroup", "ElbPrivateSecurityGroup"} <= defaults
    assert not {"OutboundSecurityGroup", "ElbTargetSecurityGroup"} & defaults
    inline = {g for g, r in evaluation.resources("AWS::EC2::SecurityGroup").items()
              if (r.get("Properties") or {}).get("SecurityGroupEgress")}
    assert defaults == set(evaluation.resources("AWS::EC2::SecurityGroup")) - inline
    # the standalone rule stays a rule of its own, beside the default
    assert [(r.resource, r.peer) for r in rules if r.kind == "egress" and r.from_port == 444] == [
        ("ElbPrivateAccessorSecurityGroup", "ElbPrivateSecurityGroup")]


def test_real_excluding_arns_from_the_bucket_deny_is_broadening(real_evaluation):
    result = diff_evaluations(real_evaluation(), real_evaluation(S3BucketPolicyExcludeArnsFromDeny="arn:aws:iam::123456789012:role/X"))
    assert result.broadening
    assert all(c.grant.effect == "Deny" for c in result.removed)


def test_everything_but_iam_does_not_cover_everything():
    all_but_iam = "              - {Effect: Allow, NotAction: 'iam:*', Resource: '*'}"
    everything = "              - {Effect: Allow, Action: '*', Resource: '*'}"
    assert verdict(all_but_iam, everything).broadening
    assert not verdict(everything, all_but_iam).broadening
    s3_read = "              - {Effect: Allow, NotAction: 'iam:*', Resource: '*'}"
    assert not verdict(s3_read, S3_STAR).broadening  # s3:GetObject is outside iam:*


def test_every_resource_but_secrets_does_not_cover_every_resource():
    but_secret = "              - {Effect: Allow, Action: 's3:GetObject', NotResource: 'arn:aws:s3:::secret*'}"
    assert verdict(but_secret, S3_STAR).broadening
    assert not verdict(but_secret, S3_ACME).broadening  # acme-* cannot be secret*


def test_string_equals_values_are_literals_not_patterns():
    literal = ("              - {Effect: Allow, Action: 's3:GetObject', Resource: '*', "
               "Condition: {StringEquals: {aws:PrincipalTag/team: 'a*'}}}")
    other = literal.replace("'a*'", "'ab'")
    assert verdict(literal, other).broadening
    like = literal.replace("StringEquals", "StringLike")
    assert not verdict(like, like.replace("'a*'", "'ab'")).broadening


def test_an_ip_condition_narrowed_to_a_subnet_is_narrowing():
    wide = ("              - {Effect: Allow, Action: 's3:GetObject', Resource: '*', "
            "Condition: {IpAddress: {aws:SourceIp: 10.0.0.0/8}}}")
    narrow = wide.replace("10.0.0.0/8", "10.1.0.0/16")
    assert not verdict(wide, narrow).broadening
    assert verdict(narrow, wide).broadening


RULE_ALL = "        - {IpProtocol: '-1', CidrIp: 10.0.0.0/8}"
RULE_444_WIDE = "        - {IpProtocol: tcp, FromPort: 400, ToPort: 500, CidrIp: 10.0.0.0/8}"


def test_opening_more_ports_from_the_same_peer_is_broadening():
    assert diff_evaluations(net(RULE_443), net(RULE_ALL)).broadening
    assert diff_evaluations(net(RULE_443), net(RULE_444_WIDE)).broadening
    moved = diff_evaluations(net(RULE_443), net(RULE_443.replace("443", "8443")))
    assert not moved.broadening


def test_one_removed_rule_excuses_one_added_rule_only():
    two = RULE_443.replace("443", "8443") + "\n" + RULE_443.replace("443", "9443")
    assert diff_evaluations(net(RULE_443), net(two)).broadening


BUCKET_DENY = """
Parameters:
  Bucket: {Type: String, Default: existing-bucket}
  Strict: {Type: String, Default: 'yes'}
Conditions:
  IsStrict: !Equals [!Ref Strict, 'yes']
Resources:
  Policy:
    Type: AWS::S3::BucketPolicy
    Properties:
      Bucket: !Ref Bucket
      PolicyDocument:
        Statement:
          - Effect: Allow
            Principal: {AWS: arn:aws:iam::111122223333:root}
            Action: s3:GetObject
            Resource: !Sub 'arn:aws:s3:::${Bucket}/*'
          - !If
            - IsStrict
            - {Effect: Deny, Principal: '*', Action: 's3:*', Resource: '*', Condition: {Bool: {aws:SecureTransport: 'false'}}}
            - !Ref AWS::NoValue
"""


def test_removing_a_deny_on_a_bucket_given_by_parameter_is_broadening():
    template = parse_template(BUCKET_DENY)
    strict = Evaluation(template, resolve_parameters(template, {}))
    loose = Evaluation(template, resolve_parameters(template, {"Strict": "no"}))
    result = diff_evaluations(strict, loose)
    assert result.broadening and result.removed[0].grant.effect == "Deny"
