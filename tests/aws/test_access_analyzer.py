"""The preflight's IAM Access Analyzer step, with AWS's answers recorded (botocore's Stubber).

moto has no IAM Access Analyzer, so its answers are stubbed on the session's client; the rest of
the preflight runs against moto's server. Each outcome has its case: findings of every type and
their template lines, the pages of ValidatePolicy, PASS and FAIL of both custom checks, and AWS
refusing (denied, throttled, no answer), which is a warning naming the action.
"""

from __future__ import annotations

import json

import pytest
from botocore.stub import ANY, Stubber

from tests.moto import ACCOUNT, REGION, free_port
from wizard.aws import AwsSession, CheckStatus, render_preflight, run_preflight
from wizard.aws.access_analyzer import PolicyCheckRequest, analyse_policies
from wizard.aws.security import planned_evaluation
from wizard.cfn.template import parse_template
from wizard.findings.access_analyzer import analyzer_findings

TEMPLATE = """\
Resources:
  Bucket:
    Type: AWS::S3::Bucket
  Key:
    Type: AWS::KMS::Key
    Properties:
      KeyPolicy:
        Statement:
          - Effect: Allow
            Principal: {AWS: !Sub 'arn:aws:iam::${AWS::AccountId}:root'}
            Action: kms:*
            Resource: '*'
  Role:
    Type: AWS::IAM::Role
    Properties:
      AssumeRolePolicyDocument:
        Statement:
          - Effect: Allow
            Principal: {Service: ecs-tasks.amazonaws.com}
            Action: sts:AssumeRole
      Policies:
        - PolicyName: reader
          PolicyDocument:
            Version: '2012-10-17'
            Statement:
              - Effect: Allow
                Action: s3:GetObject
                Resource: !Sub '${Bucket.Arn}/*'
              - Effect: Allow
                Action:
                  - iam:PassRole
                  - kms:ScheduleKeyDeletion
                Resource: '*'
  BucketPolicy:
    Type: AWS::S3::BucketPolicy
    Properties:
      Bucket: !Ref Bucket
      PolicyDocument:
        Statement:
          - Effect: Allow
            Principal: {AWS: !GetAtt Role.Arn}
            Action: s3:GetObject
            Resource: !Sub '${Bucket.Arn}/*'
"""
#: The same stack before: the role's policy read only, and no second statement.
BEFORE = TEMPLATE.replace("""              - Effect: Allow
                Action:
                  - iam:PassRole
                  - kms:ScheduleKeyDeletion
                Resource: '*'
""", "")

ORDER = [("Key", "KeyPolicy"), ("Role", "reader"), ("Role", "AssumeRolePolicyDocument"),
         ("BucketPolicy", "PolicyDocument")]
"""The documents in template order: each call below is made in this order."""
IDENTITY_CHECKS = 6
"""Entries of assets/access-analyzer.yaml's critical_access that apply to identity policies."""
RESOURCE_CHECKS = 2
"""The key policy and the bucket policy, each against the one entry that applies to resource policies."""


class Sent:
    """Matches any policy document sent, and keeps it (parsed) to be read afterwards."""

    def __init__(self, into: list[dict]) -> None:
        self.into = into

    def __eq__(self, other: object) -> bool:
        self.into.append(json.loads(str(other)))
        return True


def evaluation(text: str = TEMPLATE):
    return planned_evaluation(parse_template(text, "t.yaml"), {}, "quilt", REGION, ACCOUNT)


@pytest.fixture
def stubbed(session: AwsSession):
    stub = Stubber(session.client("accessanalyzer"))
    stub.activate()
    yield session, stub
    stub.deactivate()


def no_findings(stub: Stubber, count: int = len(ORDER)) -> None:
    for _ in range(count):
        stub.add_response("validate_policy", {"findings": []})


def all_pass(stub: Stubber, count: int = IDENTITY_CHECKS + RESOURCE_CHECKS) -> None:
    for _ in range(count):
        stub.add_response("check_access_not_granted", {"result": "PASS", "message": "not granted"})


def finding(kind: str, code: str, path: list[dict]) -> dict:
    return {"findingDetails": f"{code} details", "findingType": kind, "issueCode": code,
            "learnMoreLink": f"https://docs.aws.amazon.com/{code}",
            "locations": [{"path": path, "span": {"start": {"line": 1, "column": 1, "offset": 1},
                                                  "end": {"line": 1, "column": 9, "offset": 9}}}]}


def test_each_document_is_validated_as_its_policy_type(stubbed) -> None:
    session, stub = stubbed
    sent: list[dict] = []
    for policy_type, resource_type in (("RESOURCE_POLICY", None), ("IDENTITY_POLICY", None),
                                       ("RESOURCE_POLICY", "AWS::IAM::AssumeRolePolicyDocument"),
                                       ("RESOURCE_POLICY", "AWS::S3::Bucket")):
        expected = {"policyDocument": Sent(sent), "policyType": policy_type}
        if resource_type:
            expected["validatePolicyResourceType"] = resource_type
        stub.add_response("validate_policy", {"findings": []}, expected)
    all_pass(stub)
    analysis = analyse_policies(session, evaluation(), None, "")
    stub.assert_no_pending_responses()
    assert analysis.policies == 4 and not analysis.findings
    # Deployment-time values became placeholders of the right form in the stack's account and region.
    key, reader, _trust, bucket = sent
    assert key["Statement"][0]["Principal"]["AWS"] == f"arn:aws:iam::{ACCOUNT}:root"
    assert reader["Statement"][0]["Resource"] == "arn:aws:s3:::quilt-bucket/*"
    assert bucket["Statement"][0]["Principal"]["AWS"] == f"arn:aws:iam::{ACCOUNT}:role/quilt-role"
    assert {c.name: c.status for c in analysis.checks} == {
        "access-analyzer-validate": CheckStatus.PASS, "access-analyzer-no-new-access": CheckStatus.SKIP,
        "access-analyzer-not-granted": CheckStatus.PASS}


def test_findings_of_every_type_name_the_policy_and_the_template_line(stubbed) -> None:
    session, stub = stubbed
    action = [{"value": "Statement"}, {"index": 1}, {"value": "Action"}, {"index": 0}]
    stub.add_response("validate_policy", {"findings": [finding("SUGGESTION", "EMPTY_ARRAY", [])]})
    stub.add_response("validate_policy", {"findings": [
        finding("SECURITY_WARNING", "PASS_ROLE_WITH_STAR_IN_RESOURCE", action),
        finding("WARNING", "MISSING_VERSION", [{"value": "Statement"}, {"index": 0}, {"value": "Resource"}]),
        finding("ERROR", "INVALID_ACTION", [{"value": "Statement"}, {"index": 1}, {"value": "Action"}, {"index": 1}])]})
    no_findings(stub, 2)
    all_pass(stub)
    analysis = analyse_policies(session, evaluation(), None, "")
    found = {(r.outcome, r.issue_code): r for r in analysis.findings}
    assert set(found) == {("SUGGESTION", "EMPTY_ARRAY"), ("SECURITY_WARNING", "PASS_ROLE_WITH_STAR_IN_RESOURCE"),
                          ("WARNING", "MISSING_VERSION"), ("ERROR", "INVALID_ACTION")}
    lines = TEMPLATE.splitlines()
    pass_role = found[("SECURITY_WARNING", "PASS_ROLE_WITH_STAR_IN_RESOURCE")]
    assert (pass_role.resource, pass_role.policy, pass_role.kind) == ("Role", "reader", "identity")
    assert pass_role.location == "Statement[1].Action[0]"
    assert lines[pass_role.line - 1].strip() == "- iam:PassRole"
    assert lines[found[("ERROR", "INVALID_ACTION")].line - 1].strip() == "- kms:ScheduleKeyDeletion"
    assert lines[found[("WARNING", "MISSING_VERSION")].line - 1].strip().startswith("Resource: !Sub")
    key = found[("SUGGESTION", "EMPTY_ARRAY")]
    assert (key.resource, key.kind) == ("Key", "resource") and lines[key.line - 1].strip() == "KeyPolicy:"
    check = next(c for c in analysis.checks if c.name == "access-analyzer-validate")
    assert check.status is CheckStatus.WARN and "1 ERROR" in check.detail

    # They join the findings, marked as AWS's, each with its severity from the asset.
    findings = {f.rule_id: f for f in analyzer_findings({"access_analyzer": analysis.to_json()})}
    assert {f.source for f in findings.values()} == {"IAM Access Analyzer"}
    assert findings["AWS-AA-PASS_ROLE_WITH_STAR_IN_RESOURCE"].severity == "high"
    assert findings["AWS-AA-MISSING_VERSION"].severity == "medium"
    assert findings["AWS-AA-EMPTY_ARRAY"].severity == "low"
    assert findings["AWS-AA-PASS_ROLE_WITH_STAR_IN_RESOURCE"].lines == (pass_role.line,)
    assert findings["AWS-AA-PASS_ROLE_WITH_STAR_IN_RESOURCE"].to_json()["source"] == "IAM Access Analyzer"


def test_every_page_of_findings_is_read(stubbed) -> None:
    session, stub = stubbed
    stub.add_response("validate_policy", {"findings": [finding("WARNING", "FIRST_PAGE", [])], "nextToken": "t2"})
    stub.add_response("validate_policy", {"findings": [finding("WARNING", "SECOND_PAGE", [])]},
                      {"policyDocument": ANY, "policyType": "RESOURCE_POLICY", "nextToken": "t2"})
    no_findings(stub, 3)
    all_pass(stub)
    analysis = analyse_policies(session, evaluation(), None, "")
    stub.assert_no_pending_responses()
    assert [r.issue_code for r in analysis.findings] == ["FIRST_PAGE", "SECOND_PAGE"]
    assert analysis.calls["ValidatePolicy"] == 5


def test_only_changed_policies_are_checked_for_new_access(stubbed) -> None:
    session, stub = stubbed
    no_findings(stub)
    stub.add_response("check_no_new_access", {"result": "FAIL", "message": "The policy grants new access.",
                                              "reasons": [{"description": "iam:PassRole is new", "statementIndex": 1}]},
                      {"newPolicyDocument": ANY, "existingPolicyDocument": ANY, "policyType": "IDENTITY_POLICY"})
    all_pass(stub)
    analysis = analyse_policies(session, evaluation(), evaluation(BEFORE), "the deployed stack quilt")
    stub.assert_no_pending_responses()
    [new] = analysis.findings
    assert (new.check, new.outcome, new.resource, new.policy) == ("CheckNoNewAccess", "FAIL", "Role", "reader")
    assert new.against == "the deployed stack quilt" and "iam:PassRole is new" in new.message
    assert TEMPLATE.splitlines()[new.line - 1].strip() == "- Effect: Allow"
    assert TEMPLATE.splitlines()[new.line].strip() == "Action:"
    check = next(c for c in analysis.checks if c.name == "access-analyzer-no-new-access")
    assert check.status is CheckStatus.WARN and "1 changed policies" in check.detail
    [joined] = analyzer_findings({"access_analyzer": analysis.to_json()})
    assert joined.severity == "medium" and "the deployed stack quilt" in joined.why


def test_an_unchanged_stack_passes_the_new_access_check_without_a_call(stubbed) -> None:
    session, stub = stubbed
    no_findings(stub)
    all_pass(stub)
    analysis = analyse_policies(session, evaluation(), evaluation(), "the vendor's template")
    stub.assert_no_pending_responses()
    check = next(c for c in analysis.checks if c.name == "access-analyzer-no-new-access")
    assert check.status is CheckStatus.PASS and "CheckNoNewAccess" not in analysis.calls


def test_critical_access_granted_is_a_finding_on_its_statement(stubbed) -> None:
    session, stub = stubbed
    no_findings(stub)
    all_pass(stub, 1)  # the key policy, first in the template, against the entry for resource policies
    # The role's policy against each identity entry: the third (key deletion) fails.
    for n in range(IDENTITY_CHECKS):
        if n == 2:
            stub.add_response("check_access_not_granted", {
                "result": "FAIL", "message": "The policy document grants access to perform one or more of the listed actions.",
                "reasons": [{"description": "kms:ScheduleKeyDeletion", "statementIndex": 1}]},
                {"policyDocument": ANY, "policyType": "IDENTITY_POLICY",
                 "access": [{"actions": ["kms:ScheduleKeyDeletion", "kms:DisableKey", "kms:PutKeyPolicy"]}]})
        elif n == 1:
            stub.add_response("check_access_not_granted", {"result": "PASS", "message": "ok"},
                              {"policyDocument": ANY, "policyType": "IDENTITY_POLICY",
                               "access": [{"actions": ["sts:AssumeRole"], "resources": ["arn:aws:iam::*:role/*"]}]})
        else:
            stub.add_response("check_access_not_granted", {"result": "PASS", "message": "ok"})
    all_pass(stub, 1)  # the bucket policy
    analysis = analyse_policies(session, evaluation(), None, "")
    stub.assert_no_pending_responses()
    [granted] = analysis.findings
    assert (granted.check, granted.outcome, granted.issue_code) == ("CheckAccessNotGranted", "FAIL", "key-deletion")
    assert TEMPLATE.splitlines()[granted.line].strip() == "Action:"
    [joined] = analyzer_findings({"access_analyzer": analysis.to_json()})
    assert joined.severity == "high" and joined.rule_id == "AWS-AA-key-deletion"
    assert analysis.to_json()["billed_calls"] == IDENTITY_CHECKS + RESOURCE_CHECKS


@pytest.mark.parametrize(("code", "status", "says"), [
    ("AccessDeniedException", 403, "access-analyzer:ValidatePolicy denied"),
    ("ThrottlingException", 400, "access-analyzer:ValidatePolicy throttled after retries"),
])
def test_aws_refusing_an_action_is_a_warning_naming_it(stubbed, code: str, status: int, says: str) -> None:
    session, stub = stubbed
    stub.add_client_error("validate_policy", code, "no", http_status_code=status)
    all_pass(stub)
    analysis = analyse_policies(session, evaluation(), None, "")
    checks = {c.name: c for c in analysis.checks}
    assert checks["access-analyzer-validate"].status is CheckStatus.WARN
    assert says in checks["access-analyzer-validate"].detail
    # The other checks still ran.
    assert checks["access-analyzer-not-granted"].status is CheckStatus.PASS


def test_an_endpoint_that_does_not_answer_is_a_warning_for_each_action(boto_session) -> None:
    session = AwsSession(boto_session, region=REGION, endpoint_url=f"http://127.0.0.1:{free_port()}",
                         max_attempts=1)
    analysis = analyse_policies(session, evaluation(), evaluation(BEFORE), "the baseline")
    checks = {c.name: c for c in analysis.checks}
    for name, action in (("access-analyzer-validate", "ValidatePolicy"),
                         ("access-analyzer-no-new-access", "CheckNoNewAccess"),
                         ("access-analyzer-not-granted", "CheckAccessNotGranted")):
        assert checks[name].status is CheckStatus.WARN
        assert f"access-analyzer:{action}" in checks[name].detail
    assert "no answer" in checks["access-analyzer-validate"].detail
    # Found once: the other actions are not tried, each of which would wait for the whole deadline.
    assert "did not answer access-analyzer:ValidatePolicy" in checks["access-analyzer-not-granted"].detail
    assert analysis.calls == {"ValidatePolicy": 1}


def test_the_preflight_runs_the_checks_and_reports_them(stubbed) -> None:
    session, stub = stubbed
    no_findings(stub)
    stub.add_response("check_no_new_access", {"result": "PASS", "message": "no new access"})
    all_pass(stub)
    template = parse_template(TEMPLATE, "t.yaml")
    request = PolicyCheckRequest(template, {}, parse_template(BEFORE, "vendor.yaml"), {}, "the vendor's template")
    report = run_preflight(session, {}, stack_name="quilt", access_analyzer=request)
    stub.assert_no_pending_responses()
    statuses = {c.name: c.status for c in report.checks}
    assert statuses["access-analyzer-validate"] is CheckStatus.PASS
    assert statuses["access-analyzer-no-new-access"] is CheckStatus.PASS
    data = report.to_json()["access_analyzer"]
    assert data["reference"] == "the vendor's template" and data["calls"]["CheckNoNewAccess"] == 1
    assert report.ok  # AWS's findings warn; they never fail the preflight


def test_the_preflight_names_aws_findings_in_its_text(stubbed) -> None:
    session, stub = stubbed
    stub.add_response("validate_policy", {"findings": []})
    stub.add_response("validate_policy", {"findings": [finding(
        "SECURITY_WARNING", "PASS_ROLE_WITH_STAR_IN_RESOURCE",
        [{"value": "Statement"}, {"index": 1}, {"value": "Action"}, {"index": 0}])]})
    no_findings(stub, 2)
    all_pass(stub)
    request = PolicyCheckRequest(parse_template(TEMPLATE, "t.yaml"), {})
    report = run_preflight(session, {}, stack_name="quilt", access_analyzer=request)
    text = render_preflight(report)
    assert "IAM Access Analyzer (AWS) reported 1" in text
    assert "PASS_ROLE_WITH_STAR_IN_RESOURCE: Role/reader (identity, Statement[1].Action[0], line" in text
    assert report.check("access-analyzer-validate").status is CheckStatus.WARN


def test_a_deployed_stack_is_what_a_changed_policy_is_compared_with(stubbed) -> None:
    from tests.moto import PUBLISHER_TEMPLATE

    session, stub = stubbed
    session.client("cloudformation").create_stack(
        StackName="quilt", TemplateBody=PUBLISHER_TEMPLATE, Capabilities=["CAPABILITY_IAM"],
        Parameters=[{"ParameterKey": "TopicName", "ParameterValue": "quilt-events"}])
    new = PUBLISHER_TEMPLATE.replace("Action: sns:Publish", "Action: [sns:Publish, sns:Subscribe]")
    sent_new: list[dict] = []
    sent_old: list[dict] = []
    no_findings(stub, 2)
    stub.add_response("check_no_new_access", {"result": "FAIL", "message": "New access.",
                                              "reasons": [{"description": "sns:Subscribe", "statementIndex": 0}]},
                      {"newPolicyDocument": Sent(sent_new), "existingPolicyDocument": Sent(sent_old),
                       "policyType": "IDENTITY_POLICY"})
    all_pass(stub, IDENTITY_CHECKS)
    values = {"TopicName": "quilt-events"}
    # The fallback (a vendor's version) is not used: the stack exists.
    request = PolicyCheckRequest(parse_template(new, "new.yaml"), values, parse_template(new, "vendor.yaml"), values,
                                 "the vendor's template")
    report = run_preflight(session, values, stack_name="quilt", access_analyzer=request)
    stub.assert_no_pending_responses()
    assert report.change_set_type == "UPDATE"
    assert report.to_json()["access_analyzer"]["reference"].startswith("the deployed stack quilt")
    assert sent_old[0]["Statement"][0]["Action"] == "sns:Publish"
    assert sent_new[0]["Statement"][0]["Action"] == ["sns:Publish", "sns:Subscribe"]
    # `!Ref Topic`, known only once deployed: a topic ARN of the stack's account and region.
    assert sent_new[0]["Statement"][0]["Resource"] == f"arn:aws:sns:{REGION}:{ACCOUNT}:quilt-topic"
    [new_access] = report.access_analysis.findings
    assert new_access.against.startswith("the deployed stack quilt") and new_access.line is not None


def test_the_vendor_template_is_the_reference_of_a_hardened_one(real_template_path, tmp_path) -> None:
    from tests.unit.overlay.test_headless_overlay import ANSWERS
    from wizard.commands.aws_steps import policy_check_request
    from wizard.flow.answers import load_answers_file
    from wizard.flow.headless import plan_arguments, plan_deployment
    from wizard.iam.policy_documents import document_text, policy_documents

    plan = plan_arguments(load_answers_file(str(ANSWERS)), template=str(real_template_path),
                          out=str(tmp_path / "p.json"))
    deployment = plan_deployment(**plan)
    request = policy_check_request(deployment)
    assert request.fallback_template is deployment.hardening.vendor
    assert request.fallback_label == f"the vendor's template {real_template_path.name}"
    after = planned_evaluation(request.template, request.values, "quilt", REGION, ACCOUNT)
    before = planned_evaluation(request.fallback_template, request.fallback_values, "quilt", REGION, ACCOUNT)
    vendor = {d.key: document_text(d, before) for d in policy_documents(before)}
    changed = [d.key for d in policy_documents(after) if d.key in vendor and document_text(d, after) != vendor[d.key]]
    assert changed  # the hardening changed policies: each is checked for new access against the vendor's


def test_a_statement_written_without_a_list_is_found_on_its_line(stubbed) -> None:
    session, stub = stubbed
    text = """\
Resources:
  Role:
    Type: AWS::IAM::Role
    Properties:
      AssumeRolePolicyDocument:
        Statement:
          Effect: Allow
          Principal: {AWS: '*'}
          Action: sts:AssumeRole
"""
    stub.add_response("validate_policy", {"findings": [finding(
        "SECURITY_WARNING", "TRUST_ANYONE", [{"value": "Statement"}, {"index": 0}, {"value": "Principal"}])]})
    analysis = analyse_policies(session, evaluation(text), None, "")
    [found] = analysis.findings
    assert text.splitlines()[found.line - 1].strip().startswith("Principal:")
