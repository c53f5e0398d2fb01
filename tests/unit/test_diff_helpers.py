"""The set arithmetic under the verdicts: overlap and inclusion of action and ARN patterns,
their complements (NotAction, NotResource), port widths, and the verdict line."""

from __future__ import annotations

import pytest

from wizard.iam import coverage
from wizard.iam import diff as d
from wizard.iam.diff import GrantChange, PermissionDiff, RuleChange
from wizard.iam.grants import Grant, Source
from wizard.iam.network import NetworkRule, default_egress
from wizard.iam.posture import Control, PostureChange


@pytest.mark.parametrize("a, b, overlap", [
    ("s3:Get*", "s3:GetObject", True),
    ("s3:GetObject", "s3:Get*", True),           # the literal on either side
    ("s3:Put*", "s3:GetObject", False),
    ("s3:GetObject", "s3:Put*", False),
    ("s3:GetObject", "s3:GetObject", True),
    ("s3:GetObject", "s3:PutObject", False),
    ("s3:Get*", "s3:G*", True),
    ("s3:G*", "s3:Get*", True),
    ("s3:Get*", "s3:Put*", False),               # the heads disagree
    ("*Object", "*Policy", False),               # the tails disagree
    ("*Object", "s3:*", True),
    ("s3:*", "*Object", True),
    ("s3:Get*", "s3:*Object", True),             # one tail is empty
    ("s3:*Object", "s3:Get*", True),
    ("x*y*z", "x*z", True),                      # heads and tails of several stars
    ("x*z", "x*y*z", True),
    ("x*y*z", "x*w", False),
    ("x*w", "x*y*z", False),
    ("a*y*z", "b*z", False),
    ("b*z", "a*y*z", False),
])
def test_may_overlap(a, b, overlap):
    assert coverage.may_overlap(a, b, case_sensitive=True) is overlap


def test_may_overlap_case():
    assert coverage.may_overlap("S3:GET*", "s3:getobject", case_sensitive=False)
    assert coverage.may_overlap("s3:getobject", "S3:GET*", case_sensitive=False)
    assert coverage.may_overlap("S3:GET*", "s3:g*", case_sensitive=False)
    assert not coverage.may_overlap("S3:GET*", "s3:getobject", case_sensitive=True)
    assert not coverage.may_overlap("s3:getobject", "S3:GET*", case_sensitive=True)
    assert not coverage.may_overlap("arn:aws:s3:::Acme-*", "arn:aws:s3:::acme-1", case_sensitive=True)


@pytest.mark.parametrize("general, general_not, specific, specific_not, covered", [
    (("s3:*",), (), ("s3:GetObject",), (), True),
    (("s3:Get*",), (), ("s3:PutObject",), (), False),
    ((), ("iam:*",), ("s3:GetObject",), (), True),        # everything but iam includes s3
    ((), ("iam:*",), ("iam:PassRole",), (), False),
    (("*",), (), (), ("iam:*",), True),                   # everything includes everything but iam
    (("s3:*",), (), (), ("iam:*",), False),
    ((), ("iam:*",), (), ("iam:*", "s3:*"), True),        # excluding more is a subset
    ((), ("iam:*", "s3:*"), (), ("iam:*",), False),
    (("XX*",), (), (), ("iam:*",), False),                 # only a pattern matching everything will do
])
def test_covers_set(general, general_not, specific, specific_not, covered):
    assert coverage.covers_set(general, general_not, specific, specific_not, case_sensitive=False) is covered


def test_covers_set_case():
    for general, general_not, specific, specific_not in [
            (("arn:aws:s3:::Acme-*",), (), ("arn:aws:s3:::acme-1",), ()),
            ((), ("arn:aws:s3:::acme-*",), ("arn:aws:s3:::Acme-1",), ()),
            ((), ("arn:aws:s3:::acme-*",), (), ("arn:aws:s3:::ACME-*",))]:
        insensitive = coverage.covers_set(general, general_not, specific, specific_not, case_sensitive=False)
        sensitive = coverage.covers_set(general, general_not, specific, specific_not, case_sensitive=True)
        assert insensitive != sensitive, (general, general_not, specific, specific_not)


def _rule(protocol="tcp", from_port=443, to_port=443, kind="ingress", peer="10.0.0.0/8") -> NetworkRule:
    return NetworkRule(kind=kind, resource="Sg", protocol=protocol, from_port=from_port, to_port=to_port, peer=peer)


def test_width_and_transport():
    assert d._width(_rule()) == 1
    assert d._width(_rule(from_port=400, to_port=500)) == 101
    assert d._width(_rule(to_port=None)) == 1
    assert d._width(_rule(protocol="all", from_port=443)) == 65536
    assert d._width(_rule(protocol="-1", from_port=443)) == 65536
    assert d._width(_rule(from_port=None, to_port=None)) == 65536
    assert d._width(_rule(from_port=-1, to_port=-1)) == 65536
    assert [d._transport(_rule(protocol=p)) for p in ("HTTP", "https", "TLS", "tcp", "UDP", "all")] == \
        ["tcp", "tcp", "tcp", "tcp", "udp", "all"]


def test_loopback_opens_nothing_only_for_egress():
    assert d._opens_nothing(_rule(kind="egress", peer="127.0.0.1/32"))
    assert d._opens_nothing(_rule(kind="egress", peer="127.0.0.1/8"))   # host bits set, still loopback
    assert d._opens_nothing(_rule(kind="egress", peer="::1/128"))
    assert not d._opens_nothing(_rule(kind="ingress", peer="127.0.0.1/32"))
    assert not d._opens_nothing(_rule(kind="egress", peer="10.0.0.0/8"))
    assert not d._opens_nothing(_rule(kind="egress", peer="sg-123"))


def test_tokens():
    assert d._is_token("${Bucket}") and d._is_token("${Bucket.Arn}")
    assert not d._is_token("existing-bucket")
    assert not d._is_token("arn:aws:s3:::home/${aws:username}")
    assert not d._is_token("${aws:username}-home")


def _grant(effect="Allow") -> Grant:
    return Grant(principal="Role", kind="identity", source=Source("Role"), effect=effect, actions=("s3:GetObject",),
                 resources=("*",))


def _posture_change() -> PostureChange:
    return PostureChange(Control("trail-kms", "CloudTrail", "k"), "lost")


def test_summary_line():
    grant, rule = _grant(), _rule()
    assert PermissionDiff().summary() == "+0 grants  -0  no change"
    assert PermissionDiff(added=(GrantChange(grant, False),)).summary() == "+1 grants  -0  not broadening"
    assert PermissionDiff(added=(GrantChange(grant, True),), removed=(GrantChange(grant, False),)).summary() == \
        "+1 grants  -1  BROADENING"
    assert PermissionDiff(network_added=(RuleChange(rule, False),)).summary() == \
        "+0 grants  -0  +1 network  -0  not broadening"
    assert PermissionDiff(network_removed=(RuleChange(rule, False),)).summary() == \
        "+0 grants  -0  +0 network  -1  not broadening"
    assert PermissionDiff(weakenings=(_posture_change(),)).summary() == "+0 grants  -0  WEAKENING"
    assert PermissionDiff(added=(GrantChange(grant, True),), weakenings=(_posture_change(),)).summary() == \
        "+1 grants  -0  WEAKENING  BROADENING"
    assert PermissionDiff(gains=(_posture_change(),)).summary() == "+0 grants  -0  +1 security gain  not broadening"
    assert PermissionDiff(gains=(_posture_change(),) * 2).summary() == \
        "+0 grants  -0  +2 security gains  not broadening"


def test_empty_counts_every_kind_of_change():
    grant, rule = _grant(), _rule()
    assert PermissionDiff().empty
    for changed in (PermissionDiff(added=(GrantChange(grant, False),)),
                    PermissionDiff(removed=(GrantChange(grant, False),)),
                    PermissionDiff(network_added=(RuleChange(rule, False),)),
                    PermissionDiff(network_removed=(RuleChange(rule, False),)),
                    PermissionDiff(weakenings=(_posture_change(),)),
                    PermissionDiff(gains=(_posture_change(),))):
        assert not changed.empty


def test_broadening_counts_every_kind_of_change():
    grant, rule = _grant(), _rule()
    for changed in (PermissionDiff(added=(GrantChange(grant, True),)),
                    PermissionDiff(removed=(GrantChange(grant, True),)),
                    PermissionDiff(network_added=(RuleChange(rule, True),)),
                    PermissionDiff(network_removed=(RuleChange(rule, True),))):
        assert changed.broadening and not changed.weakening


def test_grouped_by_holder_removed_first():
    kept, gone = _grant(), _grant("Deny")
    groups = PermissionDiff(added=(GrantChange(kept, True),), removed=(GrantChange(gone, False),)).grouped()
    assert groups == {"Role": [("-", GrantChange(gone, False)), ("+", GrantChange(kept, True))]}


# -- the whole diff, exactly: which statements and rules, with which verdict and reason ----

from wizard.cfn.evaluate import Evaluation  # noqa: E402
from wizard.cfn.parameters import resolve_parameters  # noqa: E402
from wizard.cfn.template import parse_template  # noqa: E402

POLICY = """
Resources:
  Data: {{Type: AWS::S3::Bucket}}
  Policy:
    Type: AWS::S3::BucketPolicy
    Properties:
      Bucket: !Ref Data
      PolicyDocument:
        Statement:
{statements}
  Sg:
    Type: AWS::EC2::SecurityGroup
    Properties:
      GroupDescription: x
      SecurityGroupIngress:
{ingress}
      SecurityGroupEgress: [{{IpProtocol: tcp, FromPort: 443, ToPort: 443, CidrIp: 10.0.0.0/8}}]
  Lb:
    Type: AWS::ElasticLoadBalancingV2::LoadBalancer
    Properties: {{Scheme: {scheme}}}
"""
READ = "          - {Sid: Read, Effect: Allow, Principal: {AWS: 'arn:aws:iam::1:root'}, Action: s3:GetObject, Resource: '*'}"
WRITE = "          - {Sid: Write, Effect: Allow, Principal: {AWS: 'arn:aws:iam::1:root'}, Action: s3:PutObject, Resource: '*'}"
TLS = "          - {Sid: Tls, Effect: Deny, Principal: '*', Action: 's3:*', Resource: '*', Condition: {Bool: {aws:SecureTransport: 'false'}}}"
P443 = "        - {IpProtocol: tcp, FromPort: 443, ToPort: 443, CidrIp: 10.0.0.0/8}"
P8443 = "        - {IpProtocol: tcp, FromPort: 8443, ToPort: 8443, CidrIp: 10.0.0.0/8}"


def _side(statements, ingress, scheme="internal"):
    template = parse_template(POLICY.format(statements="\n".join(statements), ingress="\n".join(ingress),
                                            scheme=scheme))
    return Evaluation(template, resolve_parameters(template, {}))


def _outcome(before, after):
    result = d.diff_evaluations(before, after)
    return ([(c.grant.sid, c.grant.principal, c.broadening, c.reason) for c in result.added],
            [(c.grant.sid, c.grant.principal, c.broadening, c.reason) for c in result.removed],
            [(c.rule.kind, c.rule.from_port, c.broadening, c.reason) for c in result.network_added],
            [(c.rule.kind, c.rule.from_port, c.broadening, c.reason) for c in result.network_removed])


def test_statements_and_rules_count_as_multisets():
    twice = _side([READ, READ, TLS, TLS], [P443, P443])
    once = _side([READ, TLS], [P443])
    assert _outcome(twice, once) == (
        [], [("Read", "AWS:arn:aws:iam::1:root", False, ""), ("Tls", "*", False, "")],
        [], [("ingress", 443, False, "")])
    assert _outcome(once, twice) == (
        [("Read", "AWS:arn:aws:iam::1:root", False, ""), ("Tls", "*", False, "a new Deny")],
        [], [("ingress", 443, False, "the same opening as before, once more")], [])
    thrice = _side([READ, READ, READ, TLS, TLS, TLS], [P443, P443, P443])
    assert [len(part) for part in _outcome(thrice, once)] == [0, 4, 0, 2]
    assert [len(part) for part in _outcome(once, thrice)] == [4, 0, 2, 0]
    assert _outcome(twice, twice) == ([], [], [], [])


def test_the_exact_verdicts_and_reasons():
    before = _side([READ, TLS], [P443])
    after = _side([READ, WRITE], [P443, P8443], scheme="internet-facing")
    assert _outcome(before, after) == (
        [("Write", "AWS:arn:aws:iam::1:root", True, "grants s3:PutObject on * to AWS:arn:aws:iam::1:root")],
        [("Tls", "*", True, "a Deny on * applies less often or not at all")],
        [("ingress", 8443, True, "opens ingress Sg tcp/8443 from 10.0.0.0/8"),
         ("scheme", None, True, "the load balancer becomes reachable from the internet")],
        [("scheme", None, False, "")])
    assert _outcome(after, before) == (
        [("Tls", "*", False, "a new Deny")],
        [("Write", "AWS:arn:aws:iam::1:root", False, "")],
        [("scheme", None, False, "")],
        [("ingress", 8443, False, ""), ("scheme", None, False, "")])


def test_a_port_beside_a_kept_one_is_a_new_opening():
    kept = _side([READ], [P443])
    both = _side([READ], [P443, P8443])
    assert _outcome(kept, both)[2] == [("ingress", 8443, True, "opens ingress Sg tcp/8443 from 10.0.0.0/8")]
    moved = _side([READ], [P8443])
    assert _outcome(kept, moved)[2] == [("ingress", 8443, False, "replaces ingress Sg tcp/443 from 10.0.0.0/8")]


def test_a_deny_of_a_resource_policy_names_its_resource_when_it_has_no_principal():
    deny = Grant(principal="", kind="resource", source=Source("Policy"), effect="Deny", actions=("s3:*",),
                 resources=("*",), on=("existing-bucket",))
    object.__setattr__(deny, "key", ("deny",))
    added, removed = d.diff_grants([deny], [])
    assert removed == (GrantChange(deny, True, "a Deny on its resource applies less often or not at all"),)


def test_every_change_carries_a_boolean_verdict():
    before, after = _side([READ, TLS], [P443]), _side([WRITE], [P8443], scheme="internet-facing")
    for result in (d.diff_evaluations(before, after), d.diff_evaluations(after, before)):
        for change in (*result.added, *result.removed, *result.network_added, *result.network_removed):
            assert isinstance(change.broadening, bool) and isinstance(change.reason, str)


def test_default_egress_and_a_diff_without_posture():
    assert default_egress("Sg") == NetworkRule(kind="egress", resource="Sg", protocol="all", peer="0.0.0.0/0",
                                               detail="default allow-all egress")
    # no line of the template holds it: its description says where it comes from
    assert default_egress("Sg").describe() == "egress Sg all traffic to 0.0.0.0/0 (default allow-all egress)"
    assert default_egress("Sg").is_default_egress
    result = d.diff([], [], [], [])
    assert result.weakenings == () and result.gains == () and result.empty
