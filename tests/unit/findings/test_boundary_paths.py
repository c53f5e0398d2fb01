"""The escalation search reads permissions boundaries: a rewritten policy takes effect only within
the boundary, so a bounded role that can rewrite its policies reaches its boundary, not "any
permission" (QW-ESC-007, medium), unless what the boundary admits still leads further."""

from __future__ import annotations

from tests.unit.findings.test_paths import LAMBDA, findings, role

REWRITER = """
- Effect: Allow
  Action: iam:CreatePolicyVersion
  Resource: !Ref Placeholder
"""
PLACEHOLDER = """
  Placeholder:
    Type: AWS::IAM::ManagedPolicy
    Properties:
      PolicyDocument:
        Version: '2012-10-17'
        Statement:
          - {Effect: Allow, Action: 's3:*', NotResource: '*'}
"""


def boundary(statements: str) -> str:
    return f"""
  Boundary:
    Type: AWS::IAM::ManagedPolicy
    Properties:
      PolicyDocument:
        Version: '2012-10-17'
        Statement:
{statements}"""


def stack(boundary_statements: str | None, extra_roles: str = "") -> str:
    capped = "      PermissionsBoundary: !Ref Boundary\n" if boundary_statements is not None else ""
    body = role("Registry", LAMBDA, REWRITER, "      ManagedPolicyArns: [!Ref Placeholder]\n" + capped) + PLACEHOLDER
    if boundary_statements is not None:
        body += boundary(boundary_statements)
    return body + extra_roles


ENVELOPE = """
          - {Effect: Allow, Action: iam:CreatePolicyVersion, Resource: !Ref Placeholder}
          - {Effect: Allow, Action: 's3:*', Resource: ['arn:aws:s3:::acme-*', 'arn:aws:s3:::acme-*/*']}
"""


def severities(body: str) -> dict[str, str]:
    return {f.rule_id: f.severity for f in findings(body) if f.rule_id.startswith("QW-ESC")}


def test_without_a_boundary_a_self_rewriting_role_is_critical():
    assert severities(stack(None)) == {"QW-ESC-002": "critical"}


def test_a_boundary_caps_the_rewrite_and_the_finding_says_what_it_can_really_reach():
    assert severities(stack(ENVELOPE)) == {"QW-ESC-007": "medium"}
    (finding,) = findings(stack(ENVELOPE), "QW-ESC-007")
    assert "s3:* on arn:aws:s3:::acme-*, arn:aws:s3:::acme-*/*" in finding.message
    assert "iam:CreatePolicyVersion" not in finding.message.split("at most it adds")[1], "what it holds is not news"


def test_a_boundary_that_admits_everything_caps_nothing():
    everything = "          - {Effect: Allow, Action: '*', Resource: '*'}\n"
    (finding,) = findings(stack(everything), "QW-ESC-002")
    assert finding.severity == "critical" and "still leads to any permission" in finding.message
    assert any("every action on every resource" in step.text for step in finding.steps)


def test_a_boundary_that_lets_the_role_rewrite_an_unbounded_role_it_assumes_still_escalates():
    other = role("Worker", "{AWS: !GetAtt Registry.Arn}", "", "      ManagedPolicyArns: [!Ref WorkerPolicy]\n") + """
  WorkerPolicy:
    Type: AWS::IAM::ManagedPolicy
    Properties:
      PolicyDocument:
        Version: '2012-10-17'
        Statement:
          - {Effect: Allow, Action: 's3:GetObject', Resource: 'arn:aws:s3:::acme-data/*'}
"""
    envelope = ENVELOPE + "          - {Effect: Allow, Action: ['iam:CreatePolicyVersion', 'sts:AssumeRole'], Resource: '*'}\n"
    found = severities(stack(envelope, other))
    assert found.get("QW-ESC-002") == "critical", found
    capped = severities(stack(ENVELOPE, other))
    assert "QW-ESC-002" not in capped and "QW-ESC-001" not in capped


def test_the_boundary_of_an_assumed_role_caps_what_its_rewriter_reaches():
    worker = role("Worker", "{AWS: !GetAtt Registry.Arn}", "",
                  "      ManagedPolicyArns: [!Ref Placeholder]\n      PermissionsBoundary: !Ref WorkerBoundary\n") + """
  WorkerBoundary:
    Type: AWS::IAM::ManagedPolicy
    Properties:
      PolicyDocument:
        Version: '2012-10-17'
        Statement:
          - {Effect: Allow, Action: 's3:GetObject', Resource: 'arn:aws:s3:::acme-*/*'}
"""
    assert severities(stack(ENVELOPE, worker)) == {"QW-ESC-007": "medium"}
    (finding,) = findings(stack(ENVELOPE, worker), "QW-ESC-007")
    assert "Worker: s3:GetObject on arn:aws:s3:::acme-*/*" in finding.message
    unbounded = worker.replace("      PermissionsBoundary: !Ref WorkerBoundary\n", "")
    assert severities(stack(ENVELOPE, unbounded)).get("QW-ESC-001") == "high"
