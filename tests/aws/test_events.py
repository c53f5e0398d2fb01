"""Following a stack to the end: moto for the success path and the outputs, a Stubber for the
rollbacks moto cannot produce (it raises at ExecuteChangeSet instead of rolling back)."""

from __future__ import annotations

import threading
from datetime import datetime, timedelta

import pytest
from botocore.stub import Stubber

from tests.moto import REGION, TOPIC_TEMPLATE, free_port
from wizard.aws import AwsSession, Backoff, create_change_set, execute_change_set
from wizard.aws.events import (EXPLANATIONS, FollowResult, event_ids, first_failure, follow_stack,
                               render_follow)
from wizard.aws.outputs import StackOutput, catalog_url, read_outputs

FAST = Backoff(first=0.01, factor=1.0, longest=0.01, timeout=60)

WITH_OUTPUTS = """\
AWSTemplateFormatVersion: '2010-09-09'
Parameters:
  QuiltWebHost:
    Type: String
Resources:
  Topic:
    Type: AWS::SNS::Topic
Outputs:
  TopicArn:
    Value: !Ref Topic
  QuiltWebHost:
    Value: !Ref QuiltWebHost
"""


def test_following_an_execution_until_create_complete(session: AwsSession) -> None:
    result = create_change_set(session, stack_name="quilt", template_body=TOPIC_TEMPLATE,
                               parameters={"TopicName": "quilt-events"}, backoff=FAST)
    before = event_ids(session, "quilt")
    assert before  # REVIEW_IN_PROGRESS already happened, and must not be shown again
    execute_change_set(session, result)
    shown: list[str] = []
    followed = follow_stack(session, "quilt", seen=before, on_event=lambda e: shown.append(e.status),
                            backoff=FAST, after_execution=True)
    assert followed.status == "CREATE_COMPLETE" and followed.succeeded and followed.finished
    assert shown[-1] == "CREATE_COMPLETE" and "REVIEW_IN_PROGRESS" not in shown
    assert [e.status for e in followed.events] == shown
    assert followed.first_failure is None and followed.explanation is None
    assert "Stack quilt: CREATE_COMPLETE" in render_follow(followed)


def test_the_outputs_come_with_the_catalog_url_first(session: AwsSession) -> None:
    session.client("cloudformation").create_stack(
        StackName="quilt", TemplateBody=WITH_OUTPUTS,
        Parameters=[{"ParameterKey": "QuiltWebHost", "ParameterValue": "quilt.example.com"}])
    followed = follow_stack(session, "quilt", backoff=FAST)
    keys = [o.key for o in followed.outputs]
    assert keys[0] == "CatalogUrl"
    assert followed.outputs[0].value == "https://quilt.example.com"
    assert {"TopicArn", "QuiltWebHost"} <= set(keys)
    text = render_follow(followed)
    assert text.index("https://quilt.example.com") < text.index("TopicArn")


def test_the_catalog_url_from_the_parameter_when_no_output_names_it() -> None:
    outputs = (StackOutput("LoadBalancerDNSName", "lb-1.elb.amazonaws.com"),)
    assert catalog_url(outputs, {"QuiltWebHost": "data.acme.com"}) == "https://data.acme.com"
    assert catalog_url(outputs, {}) is None
    assert catalog_url((StackOutput("CatalogURL", "https://x.acme.com"),), {}) == "https://x.acme.com"


def test_outputs_of_a_stack_without_any(session: AwsSession) -> None:
    session.client("cloudformation").create_stack(
        StackName="quilt", TemplateBody=TOPIC_TEMPLATE,
        Parameters=[{"ParameterKey": "TopicName", "ParameterValue": "t"}])
    assert read_outputs(session, "quilt") == ()


# --- rollbacks, through a Stubber -------------------------------------------------------------

STACK_ID = f"arn:aws:cloudformation:{REGION}:123456789012:stack/quilt/1"
T0 = datetime(2026, 1, 1, 12, 0, 0)


@pytest.fixture
def stubbed(boto_session: object) -> tuple[AwsSession, Stubber]:
    session = AwsSession(boto_session, region=REGION,
                         endpoint_url=f"http://127.0.0.1:{free_port()}", max_attempts=1)
    stub = Stubber(session.client("cloudformation"))
    stub.activate()
    return session, stub


def _status(stub: Stubber, status: str, reason: str | None = None) -> None:
    stack = {"StackName": "quilt", "StackId": STACK_ID, "StackStatus": status, "CreationTime": T0}
    if reason:
        stack["StackStatusReason"] = reason
    stub.add_response("describe_stacks", {"Stacks": [stack]}, {"StackName": "quilt"})


def _events(stub: Stubber, *events: tuple[int, str, str, str, str | None]) -> None:
    """Events newest first, as CloudFormation lists them: (id, logical id, type, status, reason)."""
    items = []
    for number, logical_id, kind, status, reason in events:
        item = {"StackId": STACK_ID, "EventId": f"e{number}", "StackName": "quilt",
                "LogicalResourceId": logical_id, "ResourceType": kind, "ResourceStatus": status,
                "Timestamp": T0 + timedelta(seconds=number)}
        if reason:
            item["ResourceStatusReason"] = reason
        items.append(item)
    stub.add_response("describe_stack_events", {"StackEvents": items}, {"StackName": "quilt"})


STACK = "AWS::CloudFormation::Stack"
ROLE = "AWS::IAM::Role"


def test_a_failed_creation_names_the_first_failure_and_explains_the_rollback(
        stubbed: tuple[AwsSession, Stubber]) -> None:
    session, stub = stubbed
    _status(stub, "CREATE_IN_PROGRESS")
    _events(stub, (2, "RegistryRole", ROLE, "CREATE_IN_PROGRESS", None),
            (1, "quilt", STACK, "CREATE_IN_PROGRESS", "User Initiated"))
    _status(stub, "ROLLBACK_IN_PROGRESS")
    _events(stub, (5, "quilt", STACK, "ROLLBACK_IN_PROGRESS", "The following resource(s) failed to create: "
                                                              "[RegistryRole, Bucket]."),
            (4, "Bucket", "AWS::S3::Bucket", "CREATE_FAILED", "Resource creation cancelled"),
            (3, "RegistryRole", ROLE, "CREATE_FAILED", "Policy arn:aws:iam::aws:policy/Nope does not exist"),
            (2, "RegistryRole", ROLE, "CREATE_IN_PROGRESS", None))
    _status(stub, "ROLLBACK_COMPLETE")
    _events(stub, (6, "quilt", STACK, "ROLLBACK_COMPLETE", None),
            (5, "quilt", STACK, "ROLLBACK_IN_PROGRESS", None))
    shown: list[str] = []
    followed = follow_stack(session, "quilt", on_event=lambda e: shown.append(f"{e.event_id}"),
                            backoff=FAST)
    stub.assert_no_pending_responses()
    assert shown == ["e1", "e2", "e3", "e4", "e5", "e6"]  # each once, oldest first
    assert followed.status == "ROLLBACK_COMPLETE" and followed.finished and not followed.succeeded
    assert followed.first_failure.logical_id == "RegistryRole"
    assert "does not exist" in followed.first_failure.reason
    assert followed.outputs == ()  # not read after a failure
    text = render_follow(followed)
    assert "First failure: RegistryRole (AWS::IAM::Role) CREATE_FAILED: Policy" in text
    assert "delete-stack --stack-name quilt" in text


def test_an_update_rollback_is_explained_as_the_stack_still_running() -> None:
    result = FollowResult("quilt", "UPDATE_ROLLBACK_COMPLETE")
    assert result.finished and not result.succeeded
    assert "back as it was before" in render_follow(result)
    assert "continue-update-rollback --stack-name quilt" in FollowResult(
        "quilt", "UPDATE_ROLLBACK_FAILED").explanation
    assert set(EXPLANATIONS) >= {"ROLLBACK_COMPLETE", "UPDATE_ROLLBACK_COMPLETE", "ROLLBACK_FAILED"}


def test_the_first_failure_skips_cancelled_resources_and_the_stack_line() -> None:
    from wizard.aws.events import StackEvent

    events = [StackEvent("1", T0, "quilt", STACK, "UPDATE_FAILED", "failed"),
              StackEvent("2", T0, "A", ROLE, "UPDATE_FAILED", "Resource update cancelled"),
              StackEvent("3", T0, "B", ROLE, "UPDATE_FAILED", "AccessDenied")]
    assert first_failure(events, "quilt").logical_id == "B"


def test_right_after_execution_a_settled_status_is_not_the_end(stubbed: tuple[AwsSession, Stubber]) -> None:
    session, stub = stubbed
    _status(stub, "UPDATE_COMPLETE")  # the update has not shown up yet
    _events(stub, (1, "quilt", STACK, "UPDATE_COMPLETE", None))
    _status(stub, "UPDATE_IN_PROGRESS")
    _events(stub, (2, "quilt", STACK, "UPDATE_IN_PROGRESS", "User Initiated"),
            (1, "quilt", STACK, "UPDATE_COMPLETE", None))
    _status(stub, "UPDATE_COMPLETE")
    _events(stub, (3, "quilt", STACK, "UPDATE_COMPLETE", None),
            (2, "quilt", STACK, "UPDATE_IN_PROGRESS", None))
    stub.add_response("describe_stacks", {"Stacks": [{
        "StackName": "quilt", "StackId": STACK_ID, "StackStatus": "UPDATE_COMPLETE", "CreationTime": T0,
        "Outputs": [{"OutputKey": "QuiltWebHost", "OutputValue": "q.acme.com"}]}]}, {"StackName": "quilt"})
    followed = follow_stack(session, "quilt", seen={"e1"}, backoff=FAST, after_execution=True)
    stub.assert_no_pending_responses()
    assert [e.event_id for e in followed.events] == ["e2", "e3"]
    assert followed.succeeded and followed.outputs[0].value == "https://q.acme.com"


def test_stopping_leaves_the_operation_running(stubbed: tuple[AwsSession, Stubber]) -> None:
    session, stub = stubbed
    _status(stub, "UPDATE_IN_PROGRESS")
    _events(stub, (1, "quilt", STACK, "UPDATE_IN_PROGRESS", "User Initiated"))
    cancel = threading.Event()
    followed = follow_stack(session, "quilt", on_event=lambda e: cancel.set(), cancel=cancel,
                            backoff=Backoff(first=30, timeout=600))
    stub.assert_no_pending_responses()  # nothing but reads: no cancel-update-stack call
    assert followed.stopped and not followed.finished
    assert "quilt-wizard status --stack-name quilt --follow" in render_follow(followed)


def test_a_stack_still_running_says_how_to_follow_it() -> None:
    text = render_follow(FollowResult("quilt", "UPDATE_IN_PROGRESS"))
    assert "Still running; follow it with: quilt-wizard status --stack-name quilt --follow" in text
    assert "Still running" not in render_follow(FollowResult("quilt", "UPDATE_COMPLETE"))
