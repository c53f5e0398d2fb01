"""Permissions boundaries in the IAM model: read as ``boundary`` grants, judged by the diff, and
intersected with what the identity policies allow by the findings' ``can``."""

from __future__ import annotations

import pytest

from wizard.cfn.evaluate import Evaluation
from wizard.cfn.parameters import resolve_parameters
from wizard.cfn.template import parse_template
from wizard.findings.context import RuleContext, Target
from wizard.iam.diff import diff_grants
from wizard.iam.grants import BOUNDARY, IDENTITY, UNATTACHED, by_principal, extract

TEMPLATE = """
Parameters:
  Capped: {Type: String, AllowedValues: ['yes', 'no'], Default: 'yes'}
  Wider: {Type: String, AllowedValues: ['yes', 'no'], Default: 'no'}
Conditions:
  IsCapped: !Equals [!Ref Capped, 'yes']
  IsWider: !Equals [!Ref Wider, 'yes']
Resources:
  Role:
    Type: AWS::IAM::Role
    Properties:
      AssumeRolePolicyDocument:
        Statement:
          - {Effect: Allow, Principal: {Service: lambda.amazonaws.com}, Action: sts:AssumeRole}
      PermissionsBoundary: !If [IsCapped, !Ref Boundary, !Ref AWS::NoValue]
      Policies:
        - PolicyName: inline
          PolicyDocument:
            Statement:
              - {Effect: Allow, Action: ['s3:*', 'sts:AssumeRole'], Resource: '*'}
  Boundary:
    Type: AWS::IAM::ManagedPolicy
    Condition: IsCapped
    Properties:
      PolicyDocument:
        Statement:
          - {Effect: Allow, Action: 's3:GetObject', Resource: 'arn:aws:s3:::acme-*/*'}
          - !If [IsWider, {Effect: Allow, Action: 's3:PutObject', Resource: 'arn:aws:s3:::acme-*/*'},
                 !Ref AWS::NoValue]
          - {Effect: Deny, Action: 'iam:PutRolePermissionsBoundary', Resource: '*'}
"""


def evaluation(**values) -> Evaluation:
    template = parse_template(TEMPLATE, "boundary.yaml")
    return Evaluation(template, resolve_parameters(template, values))


def test_a_boundary_is_read_as_boundary_grants_of_its_role_not_as_a_policy_attached_to_none():
    found = extract(evaluation())
    boundary = [g for g in found if g.kind == BOUNDARY]
    assert {g.principal for g in boundary} == {"Role"}
    assert [(g.effect, g.actions) for g in boundary] == [("Allow", ("s3:GetObject",)),
                                                         ("Deny", ("iam:PutRolePermissionsBoundary",))]
    assert not [g for g in found if g.principal == UNATTACHED]
    assert "Role (boundary)" in by_principal(found)
    identity = [g for g in found if g.kind == IDENTITY and g.principal == "Role"]
    assert identity and identity[0].actions == ("s3:*", "sts:AssumeRole"), "the identity policy is read as before"


def test_without_the_boundary_nothing_is_read_for_it():
    assert not [g for g in extract(evaluation(Capped="no")) if g.kind == BOUNDARY]


def test_a_first_boundary_does_not_broaden_and_removing_it_does():
    without, capped = extract(evaluation(Capped="no")), extract(evaluation())
    added, removed = diff_grants(without, capped)
    assert added and not any(c.broadening for c in added)
    assert any("caps Role" in c.reason for c in added)
    added, removed = diff_grants(capped, without)
    assert any(c.broadening and "loses its permissions boundary" in c.reason for c in removed)


def test_a_statement_added_to_a_boundary_broadens_it_and_one_removed_does_not():
    narrow, wide = extract(evaluation()), extract(evaluation(Wider="yes"))
    added, _removed = diff_grants(narrow, wide)
    assert [c.broadening for c in added if c.grant.kind == BOUNDARY] == [True]
    _added, removed = diff_grants(wide, narrow)
    assert removed and not any(c.broadening for c in removed)


@pytest.mark.parametrize("action,resource,effective", [
    ("s3:GetObject", "arn:aws:s3:::acme-data/report.csv", True),
    ("s3:GetObject", "arn:aws:s3:::payroll/report.csv", False),   # the identity allows it, the boundary does not
    ("s3:DeleteBucket", "arn:aws:s3:::acme-data", False),
    ("sts:AssumeRole", "arn:aws:iam::123456789012:role/Admin", False),
])
def test_what_takes_effect_is_the_identity_within_the_boundary(action, resource, effective):
    ev = evaluation()
    ctx = RuleContext(ev, extract(ev), [])
    assert bool(ctx.can("Role", action, Target(frozenset(), resource))) is effective
    unbounded = evaluation(Capped="no")
    assert RuleContext(unbounded, extract(unbounded), []).can("Role", action, Target(frozenset(), resource))


def test_a_deny_in_the_boundary_applies_and_holding_the_boundary_gives_what_it_admits():
    ev = evaluation()
    ctx = RuleContext(ev, extract(ev), [])
    assert ctx.boundaries["Role"][1][0].actions == ("iam:PutRolePermissionsBoundary",)
    held = ctx.holding_boundaries(frozenset({"Role"}))
    assert [g.actions for g in held.allows["Role"]] == [("s3:GetObject",)]
    assert not held.can("Role", "sts:AssumeRole")


def test_holding_its_boundary_a_role_names_only_what_the_boundary_admits():
    """The context holding the boundary takes over the principals naming an action from the one
    it comes from, but for the roles that hold their boundary."""
    ev = evaluation()
    ctx = RuleContext(ev, extract(ev), [])
    assert "Role" in ctx.principals_naming("sts:AssumeRole") and ctx.can("Role", "s3:GetObject")
    held = ctx.holding_boundaries(frozenset({"Role"}))
    afresh = RuleContext(ev, held.grants, [])
    for action in ("sts:AssumeRole", "s3:GetObject", "s3:PutObject"):
        assert held.principals_naming(action) == afresh.principals_naming(action), action
    assert "Role" not in held.principals_naming("sts:AssumeRole")
    assert "Role" in held.principals_naming("s3:GetObject")


def test_the_reports_exact_policies_show_a_boundary_as_the_roles_boundary():
    from wizard.findings.policies import policies_by_principal

    (entry,) = [p for p in policies_by_principal(extract(evaluation())) if p.kind == BOUNDARY]
    assert entry.name == "Role (boundary)"
    (document,) = entry.documents
    assert document.title.startswith("Permissions boundary Boundary (grants nothing")
    assert all("Principal" not in statement for statement in document.statements)


def test_a_boundary_statement_reads_as_a_cap_wherever_a_grant_is_described():
    from wizard.iam.describe import describe_change_subject, describe_grant

    (admits, deny) = [g for g in extract(evaluation()) if g.kind == BOUNDARY]
    assert describe_grant(admits).startswith("boundary admits s3:GetObject on arn:aws:s3:::acme-*/*")
    assert describe_grant(deny).startswith("boundary Deny iam:PutRolePermissionsBoundary")
    assert describe_change_subject(admits).startswith("Role boundary admits")


def test_the_reports_list_of_what_an_option_changes_says_a_boundary_admits():
    from wizard.flow.posture import _details
    from wizard.iam.diff import PermissionDiff

    added, removed = diff_grants(extract(evaluation(Capped="no")), extract(evaluation()))
    lines = _details(PermissionDiff(added=added, removed=removed))
    assert "added: Role (boundary): admits `s3:GetObject` on `arn:aws:s3:::acme-*/*`" in lines
