"""Condition implication, clause by clause, from the IAM policy reference."""

from __future__ import annotations

import pytest

from wizard.iam.conditions import condition_implies, parts, peer_within


@pytest.mark.parametrize("strong, weak, implied", [
    # positive operators: fewer or narrower values are stronger
    ({"StringEquals": {"k": ["x"]}}, {"StringEquals": {"k": ["x", "y"]}}, True),
    ({"StringEquals": {"k": ["x", "y"]}}, {"StringEquals": {"k": ["x"]}}, False),
    ({"StringLike": {"k": "acme-1*"}}, {"StringLike": {"k": "acme-*"}}, True),
    ({"StringLike": {"k": "acme-*"}}, {"StringLike": {"k": "acme-1*"}}, False),
    ({"StringEquals": {"k": "acme-1"}}, {"StringEquals": {"k": "acme-*"}}, False),   # literals
    ({"ArnLike": {"k": "arn:aws:s3:::acme-1"}}, {"ArnLike": {"k": "arn:aws:s3:::acme-*"}}, True),
    ({"ArnLike": {"k": "arn:aws:s3:::Acme-1"}}, {"ArnLike": {"k": "arn:aws:s3:::acme-*"}}, False),
    ({"IpAddress": {"k": "10.1.0.0/16"}}, {"IpAddress": {"k": "10.0.0.0/8"}}, True),
    ({"IpAddress": {"k": "10.0.0.0/8"}}, {"IpAddress": {"k": "10.1.0.0/16"}}, False),
    ({"StringEqualsIgnoreCase": {"k": "ABC"}}, {"StringEqualsIgnoreCase": {"k": "abc"}}, True),
    ({"StringEquals": {"k": "ABC"}}, {"StringEquals": {"k": "abc"}}, False),
    # negated operators: more exclusions are stronger
    ({"StringNotEquals": {"k": ["x", "y"]}}, {"StringNotEquals": {"k": ["x"]}}, True),
    ({"StringNotEquals": {"k": ["x"]}}, {"StringNotEquals": {"k": ["x", "y"]}}, False),
    ({"StringNotLike": {"k": "acme-*"}}, {"StringNotLike": {"k": "acme-1*"}}, True),
    ({"StringNotLike": {"k": "acme-1*"}}, {"StringNotLike": {"k": "acme-*"}}, False),
    ({"NotIpAddress": {"k": "10.0.0.0/8"}}, {"NotIpAddress": {"k": "10.1.0.0/16"}}, True),
    ({"NotIpAddress": {"k": "10.1.0.0/16"}}, {"NotIpAddress": {"k": "10.0.0.0/8"}}, False),
    # one family compares across operators: a value without a wildcard is the same test
    ({"StringEquals": {"k": "home/a"}}, {"StringLike": {"k": "home/a"}}, True),
    ({"StringLike": {"k": "home/a"}}, {"StringEquals": {"k": "home/a"}}, True),
    ({"StringEquals": {"k": "home/*"}}, {"StringLike": {"k": "home/*"}}, True),   # the literal
    ({"StringLike": {"k": "home/*"}}, {"StringEquals": {"k": "home/*"}}, False),  # the pattern
    ({"StringEquals": {"k": "home/a"}}, {"StringLike": {"k": "home/*"}}, True),
    ({"StringEquals": {"k": "Home/a"}}, {"StringLike": {"k": "home/*"}}, False),
    ({"StringEquals": {"k": "ABC"}}, {"StringEqualsIgnoreCase": {"k": "abc"}}, True),
    ({"StringEqualsIgnoreCase": {"k": "abc"}}, {"StringEquals": {"k": "abc"}}, False),
    ({"StringEqualsIgnoreCase": {"k": "123"}}, {"StringEquals": {"k": "123"}}, True),
    ({"StringNotLike": {"k": "home/*"}}, {"StringNotEquals": {"k": "home/a"}}, True),
    ({"StringNotEquals": {"k": "home/a"}}, {"StringNotLike": {"k": "home/*"}}, False),
    ({"StringNotEquals": {"k": "home/a"}}, {"StringNotLike": {"k": "home/a"}}, True),
    ({"ArnEquals": {"k": "arn:aws:s3:::acme-1"}}, {"ArnLike": {"k": "arn:aws:s3:::acme-*"}}, True),
    ({"StringEquals": {"k": "a"}}, {"StringNotEquals": {"k": "b"}}, False),  # not proven
    ({"StringLike": {"k": "a"}}, {"ArnLike": {"k": "a"}}, False),
    ({"StringEquals": {"k": "a"}}, {"StringEqualsIfExists": {"k": "a"}}, True),
    ({"StringLikeIfExists": {"k": "a"}}, {"StringEquals": {"k": "a"}}, False),
    # other operators: the same values only
    ({"Bool": {"k": True}}, {"Bool": {"k": "true"}}, True),
    ({"Bool": {"k": False}}, {"Bool": {"k": "true"}}, False),
    ({"NumericLessThan": {"k": "3600"}}, {"NumericLessThan": {"k": "3600"}}, True),
    ({"NumericLessThan": {"k": "60"}}, {"NumericLessThan": {"k": "3600"}}, False),  # not proven
    # keys are case-insensitive; clauses must name the same key
    ({"StringEquals": {"AWS:SourceVPC": "v"}}, {"StringEquals": {"aws:sourcevpc": "v"}}, True),
    ({"StringEquals": {"aws:SourceVpc": "v"}}, {"StringEquals": {"aws:SourceVpce": "v"}}, False),
    # IfExists is weaker than the plain operator
    ({"StringEquals": {"k": "v"}}, {"StringEqualsIfExists": {"k": "v"}}, True),
    ({"StringEqualsIfExists": {"k": "v"}}, {"StringEquals": {"k": "v"}}, False),
    ({"StringEqualsIfExists": {"k": "v"}}, {"StringEqualsIfExists": {"k": ["v", "w"]}}, True),
    # set qualifiers: only the same qualifier, values as for the plain operator
    ({"ForAllValues:StringEquals": {"k": ["a"]}}, {"ForAllValues:StringEquals": {"k": ["a", "b"]}}, True),
    ({"ForAllValues:StringEquals": {"k": ["a", "b"]}}, {"ForAllValues:StringEquals": {"k": ["a"]}}, False),
    ({"ForAnyValue:StringLike": {"k": ["a1*"]}}, {"ForAnyValue:StringLike": {"k": ["a*"]}}, True),
    ({"ForAnyValue:StringEquals": {"k": ["a"]}}, {"ForAllValues:StringEquals": {"k": ["a"]}}, False),
    ({"StringEquals": {"k": "a"}}, {"ForAnyValue:StringEquals": {"k": "a"}}, False),
    ({"ForAllValues:StringNotEquals": {"k": ["a", "b"]}}, {"ForAllValues:StringNotEquals": {"k": ["a"]}}, True),
    # a conjunction: every weak clause needs a strong one; extra strong clauses only narrow
    ({"StringEquals": {"k": "v", "j": "w"}}, {"StringEquals": {"k": "v"}}, True),
    ({"StringEquals": {"k": "v"}}, {"StringEquals": {"k": "v", "j": "w"}}, False),
    ({"StringEquals": {"k": "v"}}, {}, True),
    ({}, {"Bool": {"k": "true"}}, False),
])
def test_condition_implies(strong, weak, implied):
    assert condition_implies(strong, weak) is implied


def test_operator_parts():
    assert parts("ForAllValues:StringLikeIfExists") == ("ForAllValues:", "StringLike", True)
    assert parts("ForAnyValue:StringEquals") == ("ForAnyValue:", "StringEquals", False)
    assert parts("ArnNotLikeIfExists") == ("", "ArnNotLike", True)


def test_peer_within():
    assert peer_within("10.1.0.0/16", "10.0.0.0/8") and peer_within("sg-1", "sg-1")
    assert not peer_within("10.0.0.0/8", "10.1.0.0/16")
    assert peer_within("10.1.2.3/16", "10.0.0.5/8")  # host bits set, as in many templates
    assert not peer_within("10.0.0.5/8", "10.1.2.3/16")
    assert not peer_within("::/0", "0.0.0.0/0") and not peer_within("sg-1", "0.0.0.0/0")
