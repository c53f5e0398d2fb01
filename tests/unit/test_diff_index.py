"""The diff compares a new grant only with the baseline Allows its index offers (same holder or
everyone, same service or any): the verdicts must be exactly those of comparing it with every
Allow, which is what this file checks on generated grants."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from wizard.iam import coverage
from wizard.iam import diff as d
from wizard.iam.grants import IDENTITY, RESOURCE, Grant, Source

ACTIONS = ["s3:GetObject", "S3:getobject", "s3:Get*", "s3:*", "*", "s3*:Get*", "*:GetObject",
           "ec2:RunInstances", "ec2:*", "iam:PassRole", "iam:*Role", "kms:Decrypt", "?3:GetObject",
           "sqs:SendMessage", "s3:Put?bject"]
RESOURCES = ["*", "arn:aws:s3:::b", "arn:aws:s3:::b/*", "arn:aws:s3:::*", "arn:aws:iam::1:role/r"]
PRINCIPALS = ["RoleA", "RoleB", "*", "AWS:*"]
CONDITIONS = ["", '{"Bool": {"aws:SecureTransport": "true"}}']

grants = st.builds(
    lambda principal, kind, on, actions, not_actions, resources, not_resources, condition, effect:
        Grant(principal=principal, kind=kind, source=Source("R"), effect=effect,
              actions=() if not_actions else tuple(actions), not_actions=tuple(not_actions),
              resources=tuple(resources), not_resources=() if resources else tuple(not_resources),
              condition_json=condition,
              grants_nothing=effect == "Allow" and not actions and not not_actions),
    st.sampled_from(PRINCIPALS), st.sampled_from([IDENTITY, RESOURCE]), st.sampled_from([(), ("Bucket",)]),
    st.lists(st.sampled_from(ACTIONS), max_size=3), st.lists(st.sampled_from(ACTIONS), max_size=2),
    st.lists(st.sampled_from(RESOURCES), max_size=2), st.lists(st.sampled_from(RESOURCES), max_size=1),
    st.sampled_from(CONDITIONS), st.sampled_from(["Allow", "Allow", "Deny"]))


def against_every_allow(new: Grant, baseline: list[Grant]) -> str:
    """The verdict without the index: every Allow of the baseline is a candidate."""
    if new.grants_nothing or new.attachment:
        return d._allow_broadens(new, coverage.BaselineAllows(baseline))
    if new.not_actions or new.not_resources:
        covered = any(coverage.allow_covers_whole(old, new) for old in baseline)
        return "" if covered else "grants everything except a list (NotAction/NotResource)"
    for action in new.actions:
        for resource in new.resources or (None,):
            if not any(coverage.allow_covers(old, new, action, resource) for old in baseline):
                target = f" on {resource}" if resource else ""
                return f"grants {action}{target} to {new.principal or '?'}"
    return ""


@settings(max_examples=400, derandomize=True, deadline=None, database=None)
@given(st.lists(grants, max_size=8), grants)
def test_the_index_gives_the_verdict_of_every_allow(baseline, new):
    assert d._allow_broadens(new, coverage.BaselineAllows(baseline)) == against_every_allow(new, baseline)


def test_a_literal_service_is_looked_up_with_its_own_and_any_service():
    by_s3 = Grant(principal="RoleA", kind=IDENTITY, source=Source("R"), actions=("s3:Get*",), resources=("*",))
    by_ec2 = Grant(principal="RoleA", kind=IDENTITY, source=Source("R"), actions=("ec2:*",), resources=("*",))
    by_any = Grant(principal="RoleA", kind=IDENTITY, source=Source("R"), actions=("*:Get*",), resources=("*",))
    other = Grant(principal="RoleB", kind=IDENTITY, source=Source("R"), actions=("s3:*",), resources=("*",))
    index = coverage.BaselineAllows([by_s3, by_ec2, by_any, other])
    new = Grant(principal="RoleA", kind=IDENTITY, source=Source("R"), actions=("S3:GetObject",), resources=("*",))
    assert index.for_action(new, "S3:GetObject") == [by_s3, by_any]
    assert set(map(id, index.for_action(new, "*"))) == {id(by_s3), id(by_ec2), id(by_any)}
