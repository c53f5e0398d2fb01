"""Change sets: created against moto's CloudFormation, never executed unless asked.

moto finishes a change set at once, so the wait (several polls, progress, cancel, timeout)
and CloudFormation's own failure reasons are driven through a botocore Stubber on the
session's CloudFormation client; everything else runs against moto's server.
"""

from __future__ import annotations

import json
import re
import threading
from datetime import datetime

import pytest
from botocore.stub import ANY, Stubber

from tests.moto import REGION, TOPIC_TEMPLATE, free_port
from wizard.aws import (AwsSession, Backoff, ChangeSetFailed, ChangeSetResult, ResourceChange,
                        create_change_set, execute_change_set, read_stack, render_change_set,
                        run_preflight)
from wizard.aws.changeset import TEMPLATE_BODY_LIMIT, default_change_set_name, template_url
from wizard.errors import AwsError, InputError


TOPIC_AND_BUCKET = TOPIC_TEMPLATE + """\
  Bucket:
    Type: AWS::S3::Bucket
"""

FAST = Backoff(first=0.01, factor=1.0, longest=0.01, timeout=60)


def _describe(session: AwsSession, result: ChangeSetResult) -> dict:
    return session.client("cloudformation").describe_change_set(
        ChangeSetName=result.change_set_id, StackName=result.stack_name)


def _create_stack(session: AwsSession, topic: str = "quilt-events") -> None:
    session.client("cloudformation").create_stack(
        StackName="quilt", TemplateBody=TOPIC_TEMPLATE,
        Parameters=[{"ParameterKey": "TopicName", "ParameterValue": topic}])


def test_default_name_is_dated() -> None:
    assert default_change_set_name(datetime(2026, 1, 2, 3, 4, 5)) == "quilt-wizard-20260102-030405"
    assert re.fullmatch(r"quilt-wizard-\d{8}-\d{6}", default_change_set_name())


def test_template_urls_are_regional_and_path_style_for_dotted_buckets() -> None:
    assert (template_url("acme-templates", "quilt wizard/t.template", "eu-west-1")
            == "https://acme-templates.s3.eu-west-1.amazonaws.com/quilt%20wizard/t.template")
    assert (template_url("acme.templates", "k", "cn-north-1")
            == "https://s3.cn-north-1.amazonaws.com.cn/acme.templates/k")


def test_a_new_stack_gets_a_create_change_set(session: AwsSession) -> None:
    progress: list[str] = []
    result = create_change_set(session, stack_name="quilt", template_body=TOPIC_TEMPLATE,
                               parameters={"TopicName": "quilt-events"},
                               tags={"project": "quilt"}, on_progress=progress.append,
                               backoff=FAST)
    assert result.change_set_type == "CREATE"
    assert re.fullmatch(r"quilt-wizard-\d{8}-\d{6}", result.change_set_name)
    assert result.status == "CREATE_COMPLETE" and result.executable and not result.empty
    assert result.changes == (ResourceChange("Add", "Topic", "AWS::SNS::Topic"),)
    assert any("CREATE_COMPLETE" in line for line in progress)
    assert _describe(session, result)["Parameters"] == [
        {"ParameterKey": "TopicName", "ParameterValue": "quilt-events"}]
    stack = session.client("cloudformation").describe_stacks(StackName="quilt")["Stacks"][0]
    assert stack["Tags"] == [{"Key": "project", "Value": "quilt"}]
    # created, never executed
    assert stack["StackStatus"] == "REVIEW_IN_PROGRESS"
    text = render_change_set(result)
    assert f"Change set {result.change_set_name} (CREATE) for stack quilt" in text
    assert "Not executed." in text
    assert re.search(r"Add\s+Topic\s+AWS::SNS::Topic\s+-", text)


def test_an_existing_stack_gets_an_update_with_its_parameters_as_baseline(
        session: AwsSession) -> None:
    _create_stack(session)
    baseline = run_preflight(session, {}, stack_name="quilt").baseline_parameters
    assert baseline == {"TopicName": "quilt-events"}

    result = create_change_set(session, stack_name="quilt", template_body=TOPIC_AND_BUCKET,
                               parameters=baseline, change_set_name="add-bucket",
                               backoff=FAST)
    assert result.change_set_type == "UPDATE" and result.change_set_name == "add-bucket"
    assert ResourceChange("Add", "Bucket", "AWS::S3::Bucket") in result.changes
    assert _describe(session, result)["Parameters"] == [
        {"ParameterKey": "TopicName", "ParameterValue": "quilt-events"}]
    assert read_stack(session, "quilt").status == "CREATE_COMPLETE"  # untouched


def test_a_stack_under_review_still_gets_a_create(session: AwsSession) -> None:
    session.client("cloudformation").create_change_set(
        StackName="quilt", ChangeSetName="earlier", ChangeSetType="CREATE",
        TemplateBody=TOPIC_TEMPLATE, Parameters=[{"ParameterKey": "TopicName", "ParameterValue": "t"}])
    result = create_change_set(session, stack_name="quilt", template_body=TOPIC_TEMPLATE,
                               parameters={"TopicName": "t"}, change_set_name="again",
                               backoff=FAST)
    assert result.change_set_type == "CREATE"


def test_unchanged_template_and_parameters_are_an_empty_change_set(
        session: AwsSession) -> None:
    # moto refuses this at CreateChangeSet with "No updates are to be performed."
    _create_stack(session)
    result = create_change_set(session, stack_name="quilt", template_body=TOPIC_TEMPLATE,
                               parameters={"TopicName": "quilt-events"}, backoff=FAST)
    assert result.empty and not result.executable
    assert "No updates are to be performed" in (result.status_reason or "")
    assert "no changes" in render_change_set(result)


def test_an_equivalent_template_is_an_empty_change_set(session: AwsSession) -> None:
    # moto accepts this one and marks the change set FAILED, "didn't contain changes".
    _create_stack(session)
    result = create_change_set(session, stack_name="quilt", template_body=TOPIC_TEMPLATE + "\n\n",
                               parameters={"TopicName": "quilt-events"}, backoff=FAST)
    assert result.empty and result.status == "FAILED"
    assert "didn't contain changes" in (result.status_reason or "")
    assert result.change_set_id is not None
    with pytest.raises(AwsError, match="no changes"):
        execute_change_set(session, result)


def test_executing_is_a_separate_explicit_step(session: AwsSession) -> None:
    result = create_change_set(session, stack_name="quilt", template_body=TOPIC_TEMPLATE,
                               parameters={"TopicName": "quilt-events"}, backoff=FAST)
    assert read_stack(session, "quilt").status == "REVIEW_IN_PROGRESS"
    execute_change_set(session, result)
    assert read_stack(session, "quilt").status == "CREATE_COMPLETE"


def _padded(size: int) -> str:
    body = TOPIC_TEMPLATE + "# "
    return body + "x" * (size - len(body.encode()))


def test_a_large_template_goes_through_the_bucket(session: AwsSession) -> None:
    session.client("s3").create_bucket(Bucket="acme-templates")
    body = _padded(TEMPLATE_BODY_LIMIT + 1)
    result = create_change_set(session, stack_name="quilt", template_body=body,
                               parameters={"TopicName": "t"}, change_set_name="big",
                               template_bucket="acme-templates", backoff=FAST)
    key = "quilt-wizard/quilt/big.template"
    assert result.template_url == f"https://acme-templates.s3.{REGION}.amazonaws.com/{key}"
    stored = session.client("s3").get_object(Bucket="acme-templates", Key=key)["Body"].read()
    assert stored == body.encode()
    assert result.status == "CREATE_COMPLETE"
    assert result.changes == (ResourceChange("Add", "Topic", "AWS::SNS::Topic"),)
    assert f"Template: {result.template_url}" in render_change_set(result)


def test_a_large_template_without_a_bucket_asks_for_one(session: AwsSession) -> None:
    with pytest.raises(AwsError, match="Give a template bucket") as caught:
        create_change_set(session, stack_name="quilt",
                          template_body=_padded(TEMPLATE_BODY_LIMIT + 1),
                          parameters={"TopicName": "t"}, backoff=FAST)
    assert caught.value.exit_code == 3
    assert "51,201 bytes" in str(caught.value)
    assert read_stack(session, "quilt") is None


def test_a_template_at_the_limit_goes_inline(session: AwsSession) -> None:
    result = create_change_set(session, stack_name="quilt",
                               template_body=_padded(TEMPLATE_BODY_LIMIT),
                               parameters={"TopicName": "t"}, backoff=FAST)
    assert result.template_url is None and result.status == "CREATE_COMPLETE"


def test_cancel_before_creating_creates_nothing(session: AwsSession) -> None:
    cancel = threading.Event()
    cancel.set()
    result = create_change_set(session, stack_name="quilt", template_body=TOPIC_TEMPLATE,
                               parameters={"TopicName": "t"}, cancel=cancel, backoff=FAST)
    assert result.cancelled and result.change_set_id is None and not result.executable
    assert read_stack(session, "quilt") is None
    assert "it was not created" in render_change_set(result)


def test_a_bad_change_set_name_is_bad_input(session: AwsSession) -> None:
    with pytest.raises(InputError, match="not a valid change set name"):
        create_change_set(session, stack_name="quilt", template_body=TOPIC_TEMPLATE,
                          parameters={}, change_set_name="9 lives")


# --- the wait, through a Stubber --------------------------------------------------------------

@pytest.fixture
def stubbed(boto_session: object) -> tuple[AwsSession, Stubber]:
    """A session whose endpoint is closed: only stubbed CloudFormation answers can arrive."""
    session = AwsSession(boto_session, region=REGION,
                         endpoint_url=f"http://127.0.0.1:{free_port()}", max_attempts=1)
    stub = Stubber(session.client("cloudformation"))
    stub.activate()
    return session, stub


CHANGE_SET_ID = f"arn:aws:cloudformation:{REGION}:123456789012:changeSet/cs/1"
STACK_ID = f"arn:aws:cloudformation:{REGION}:123456789012:stack/quilt/1"


def _existing_stack(stub: Stubber) -> None:
    stub.add_response("describe_stacks", {"Stacks": [{
        "StackName": "quilt", "StackId": STACK_ID, "StackStatus": "UPDATE_COMPLETE",
        "CreationTime": datetime(2026, 1, 1),
        "Parameters": [{"ParameterKey": "TopicName", "ParameterValue": "old"},
                       {"ParameterKey": "Secret", "ParameterValue": "****"}]}]},
        {"StackName": "quilt"})


def _created(stub: Stubber, expected: dict | None = None) -> None:
    stub.add_response("create_change_set", {"Id": CHANGE_SET_ID, "StackId": STACK_ID},
                      expected)


def _status(stub: Stubber, status: str, reason: str | None = None,
            changes: list | None = None) -> None:
    answer = {"ChangeSetName": "cs", "ChangeSetId": CHANGE_SET_ID, "StackName": "quilt",
              "Status": status, "ExecutionStatus":
                  "AVAILABLE" if status == "CREATE_COMPLETE" else "UNAVAILABLE",
              "Changes": changes or []}
    if reason:
        answer["StatusReason"] = reason
    stub.add_response("describe_change_set", answer,
                      {"ChangeSetName": CHANGE_SET_ID, "StackName": "quilt"})


def test_the_request_sends_every_parameter_and_both_iam_capabilities(
        stubbed: tuple[AwsSession, Stubber]) -> None:
    session, stub = stubbed
    _existing_stack(stub)
    _created(stub, {
        "StackName": "quilt", "ChangeSetName": "cs", "ChangeSetType": "UPDATE",
        "TemplateBody": TOPIC_TEMPLATE, "Capabilities": ["CAPABILITY_IAM", "CAPABILITY_NAMED_IAM"],
        "Parameters": [{"ParameterKey": "TopicName", "ParameterValue": "new"},
                       {"ParameterKey": "Secret", "ParameterValue": "s3cret"}],
        "Description": ANY, "ClientToken": ANY})
    _status(stub, "CREATE_COMPLETE")
    result = create_change_set(session, stack_name="quilt", template_body=TOPIC_TEMPLATE,
                               parameters={"TopicName": "new", "Secret": "s3cret"},
                               change_set_name="cs", backoff=FAST)
    stub.assert_no_pending_responses()
    assert result.change_set_type == "UPDATE"
    assert result.parameter_keys == ("TopicName", "Secret")
    assert "s3cret" not in json.dumps(result.to_json()) + render_change_set(result)


def test_an_update_keeps_a_secret_nobody_typed_again(stubbed: tuple[AwsSession, Stubber]) -> None:
    session, stub = stubbed
    _existing_stack(stub)
    _created(stub, {
        "StackName": "quilt", "ChangeSetName": "cs", "ChangeSetType": "UPDATE",
        "TemplateBody": TOPIC_TEMPLATE, "Capabilities": ["CAPABILITY_IAM", "CAPABILITY_NAMED_IAM"],
        "Parameters": [{"ParameterKey": "TopicName", "ParameterValue": "new"},
                       {"ParameterKey": "Secret", "UsePreviousValue": True}],
        "Description": ANY, "ClientToken": ANY})
    _status(stub, "CREATE_COMPLETE")
    create_change_set(session, stack_name="quilt", template_body=TOPIC_TEMPLATE,
                      parameters={"TopicName": "new", "Secret": ""}, change_set_name="cs", backoff=FAST,
                      secret_parameters=frozenset({"Secret"}))
    stub.assert_no_pending_responses()


def test_the_wait_polls_until_ready_and_reports_progress(
        stubbed: tuple[AwsSession, Stubber]) -> None:
    session, stub = stubbed
    _existing_stack(stub)
    _created(stub)
    _status(stub, "CREATE_PENDING")
    _status(stub, "CREATE_IN_PROGRESS")
    _status(stub, "CREATE_COMPLETE", changes=[
        {"Type": "Resource", "ResourceChange": {
            "Action": "Modify", "LogicalResourceId": "Topic", "PhysicalResourceId": "arn:t",
            "ResourceType": "AWS::SNS::Topic", "Replacement": "True", "Scope": ["Properties"]}},
        {"Type": "Resource", "ResourceChange": {
            "Action": "Remove", "LogicalResourceId": "OldRole",
            "ResourceType": "AWS::IAM::Role"}}])
    progress: list[str] = []
    result = create_change_set(session, stack_name="quilt", template_body=TOPIC_TEMPLATE,
                               parameters={"TopicName": "new"}, change_set_name="cs",
                               on_progress=progress.append, backoff=FAST)
    stub.assert_no_pending_responses()
    statuses = [s for line in progress for s in ("CREATE_PENDING", "CREATE_IN_PROGRESS",
                                                 "CREATE_COMPLETE") if f": {s} (" in line]
    assert statuses == ["CREATE_PENDING", "CREATE_IN_PROGRESS", "CREATE_COMPLETE"]
    assert result.changes[0] == ResourceChange("Modify", "Topic", "AWS::SNS::Topic", "arn:t",
                                               "True", ("Properties",))
    text = render_change_set(result)
    assert "2 changes (1 modify, 1 remove, 1 replaced)" in text
    assert re.search(r"Modify\s+Topic\s+AWS::SNS::Topic\s+True", text)
    assert re.search(r"Remove\s+OldRole\s+AWS::IAM::Role\s+-", text)
    assert result.to_json()["changes"][0]["scope"] == ["Properties"]


def test_cancel_stops_the_wait_and_leaves_the_change_set(
        stubbed: tuple[AwsSession, Stubber]) -> None:
    session, stub = stubbed
    _existing_stack(stub)
    _created(stub)
    _status(stub, "CREATE_IN_PROGRESS")
    cancel = threading.Event()

    def progress(line: str) -> None:
        if "CREATE_IN_PROGRESS" in line:
            cancel.set()

    result = create_change_set(session, stack_name="quilt", template_body=TOPIC_TEMPLATE,
                               parameters={}, change_set_name="cs", on_progress=progress,
                               cancel=cancel, backoff=Backoff(first=30, timeout=600))
    stub.assert_no_pending_responses()
    assert result.cancelled and result.status == "CREATE_IN_PROGRESS"
    assert not result.executable
    assert "stays in CloudFormation" in render_change_set(result)


def test_a_change_set_cloudformation_rejects_raises_its_reason(
        stubbed: tuple[AwsSession, Stubber]) -> None:
    session, stub = stubbed
    _existing_stack(stub)
    _created(stub)
    _status(stub, "FAILED", reason="Template format error: Unresolved resource dependencies "
                                   "[Missing] in the Resources block of the template")
    with pytest.raises(ChangeSetFailed, match="Unresolved resource dependencies") as caught:
        create_change_set(session, stack_name="quilt", template_body=TOPIC_TEMPLATE, parameters={},
                          change_set_name="cs", backoff=FAST)
    assert caught.value.exit_code == 3 and caught.value.result.status == "FAILED"


def test_the_didnt_contain_changes_answer_is_empty_not_an_error(
        stubbed: tuple[AwsSession, Stubber]) -> None:
    session, stub = stubbed
    _existing_stack(stub)
    _created(stub)
    _status(stub, "FAILED", reason="The submitted information didn't contain changes. "
                                   "Submit different information to create a change set.")
    result = create_change_set(session, stack_name="quilt", template_body=TOPIC_TEMPLATE,
                               parameters={}, change_set_name="cs", backoff=FAST)
    assert result.empty and not result.executable


def test_a_wait_past_the_timeout_is_an_error(stubbed: tuple[AwsSession, Stubber]) -> None:
    session, stub = stubbed
    _existing_stack(stub)
    _created(stub)
    _status(stub, "CREATE_IN_PROGRESS")
    with pytest.raises(AwsError, match="still CREATE_IN_PROGRESS"):
        create_change_set(session, stack_name="quilt", template_body=TOPIC_TEMPLATE, parameters={},
                          change_set_name="cs", backoff=Backoff(timeout=0))


def test_a_missing_stack_reads_as_none(stubbed: tuple[AwsSession, Stubber]) -> None:
    session, stub = stubbed
    stub.add_client_error("describe_stacks", "ValidationError",
                          "Stack with id quilt does not exist")
    assert read_stack(session, "quilt") is None


def test_masked_parameters_are_named(stubbed: tuple[AwsSession, Stubber]) -> None:
    session, stub = stubbed
    _existing_stack(stub)
    assert read_stack(session, "quilt").masked_parameters == ("Secret",)
