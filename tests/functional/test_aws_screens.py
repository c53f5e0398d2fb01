"""The optional AWS steps after the write screen, against moto's server on loopback.

The preflight and the change set run in thread workers; the tests wait for the workers
(``settle``) instead of sleeping. Cancelling is tested with a fake AWS session whose first
call blocks on a ``threading.Event`` until the test releases it, so the screen is caught
mid-call without any timing.
"""

from __future__ import annotations

import asyncio
import re
import threading

from textual.widgets import DataTable, Input

from screens.app import build_app
from screens.aws.change_set import ChangeSetScreen
from screens.dialogs import TypedConfirmDialog
from screens.aws.preflight import PreflightScreen
from screens.questions.question import QuestionScreen
from screens.review.review import ReviewScreen
from screens.aws.session import DeploySession
from screens.widgets.diff_panel import DiffPanel
from screens.review.write import WriteScreen
from tests.functional.helpers import EMBEDDED_REQUIRED, advance_to, press, settle, text_of, write_parameter_file
from tests.moto import TOPIC_TEMPLATE, free_port, import_certificate
from wizard.aws.events import FollowResult
from wizard.aws import (ChangeSetResult, CheckStatus, EndpointUnreachable, PreflightCheck, PreflightReport,
                        RequestInvalid, ResourceChange, StackState)

BUCKET = "acme-cfn-templates"


def _topic_app(tmp_path, **options):
    """The wizard on a one-topic template: a short walk, for tests where the template does not matter."""
    template = tmp_path / "topic.yaml"
    template.write_text(TOPIC_TEMPLATE)
    return build_app(template_path=template, out=tmp_path / "p.json", settings={"TopicName": "quilt-events"},
                     **options)


def _row(screen, table: str, key: str) -> list[str]:
    return [str(cell) for cell in screen.query_one(table, DataTable).get_row(key)]


def _stack_events(aws) -> list[str]:
    events = aws.client("cloudformation").describe_stack_events(StackName="quilt")["StackEvents"]
    return [e["ResourceStatus"] for e in events if e["LogicalResourceId"] == "quilt"]


async def _create_change_set(pilot, name: str = "quilt-review") -> ChangeSetScreen:
    await press(pilot, "c")
    screen = pilot.app.screen
    assert isinstance(screen, ChangeSetScreen)
    screen.query_one("#change-set-name", Input).value = name
    screen.query_one("#run").focus()
    await press(pilot, "enter")
    return screen


async def test_the_aws_keys_appear_once_the_file_is_written(tmp_path):
    app = _topic_app(tmp_path)
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot)
        await advance_to(pilot, "write")
        keys = {b.binding.key for b in app.screen.active_bindings.values()}
        assert "p" not in keys and "c" not in keys  # nothing written yet: "p" is typed into the path
        await press(pilot, "enter")
        keys = {b.binding.key for b in app.screen.active_bindings.values()}
        assert {"p", "c"} <= keys
        await press(pilot, "p")
        assert isinstance(app.screen, PreflightScreen)
        await press(pilot, "escape")  # skipping the AWS steps is fine
        assert isinstance(app.screen, WriteScreen)


async def test_preflight_shows_each_check_with_its_fix(tmp_path, endpoint, moto_session):
    arn = import_certificate(moto_session, "quilt.example.com")
    settings = {**EMBEDDED_REQUIRED, "CertificateArnELB": arn, "KMSKeyId": "alias/quilt-missing"}
    app = build_app(out=tmp_path / "p.json", settings=settings)
    async with app.run_test(size=(120, 40)) as pilot:
        await write_parameter_file(pilot)
        await press(pilot, "p")
        screen = app.screen
        assert isinstance(screen, PreflightScreen)
        screen.query_one("#endpoint-url", Input).value = endpoint
        await press(pilot, "enter")  # the Run button has the focus
        assert "Checking subnets" in screen.progress_lines  # the latest lines of progress
        assert screen.status_text.startswith("Not ready")
        assert _row(screen, "#checks", "certificate")[0] == "PASS"
        assert _row(screen, "#checks", "certificate-host")[0] == "PASS"
        status, name, detail, fix = _row(screen, "#checks", "kms-key")
        assert (status, name) == ("FAIL", "kms-key") and "alias/quilt-missing" in detail
        assert fix.startswith("Check the key id")
        assert "will create it" in text_of(screen.query_one("#preflight-baseline"))
        assert app.session.preflight is screen.report  # kept for the security report
    paths, _ = app.session.write_security_report(str(tmp_path / "report"))
    assert "alias/quilt-missing" in paths[0].read_text()


async def test_a_deployed_stack_becomes_the_diff_baseline(tmp_path, endpoint, moto_session):
    moto_session.client("cloudformation").create_stack(
        StackName="quilt", TemplateBody=TOPIC_TEMPLATE.replace("TopicName", "InternalApiPort"),
        Parameters=[{"ParameterKey": "InternalApiPort", "ParameterValue": "443"}])
    app = build_app(out=tmp_path / "p.json", settings=EMBEDDED_REQUIRED, endpoint_url=endpoint)
    async with app.run_test(size=(120, 40)) as pilot:
        await write_parameter_file(pilot)
        await press(pilot, "p", "enter")
        screen = app.screen
        assert "UPDATE it" in _row(screen, "#checks", "stack")[2]
        assert "now compares against its deployed parameters" in text_of(screen.query_one("#preflight-baseline"))
        assert app.session.deployed_parameters == {"InternalApiPort": "443"}
        await press(pilot, "escape", "escape")  # back to the write screen, then the review
        assert isinstance(app.screen, ReviewScreen)
        assert "Against the baseline (the deployed stack quilt)" in app.screen.query_one("#review-diff", DiffPanel).plain


async def test_an_unreachable_endpoint_is_one_line(tmp_path, aws_environment):
    url = f"http://127.0.0.1:{free_port()}"
    app = _topic_app(tmp_path, endpoint_url=url)
    async with app.run_test(size=(120, 40)) as pilot:
        await write_parameter_file(pilot)
        await press(pilot, "p", "enter")
        screen = app.screen
        assert isinstance(screen, PreflightScreen)
        assert screen.status_text.startswith("Failed: Cannot reach the AWS endpoint " + url)
        assert "\n" not in screen.status_text and "Traceback" not in screen.status_text
        assert not screen.running and screen.check_action("close", ()) is True


async def test_a_bad_change_set_name_is_one_line_and_the_form_stays(tmp_path, aws_environment):
    app = _topic_app(tmp_path)
    async with app.run_test(size=(120, 40)) as pilot:
        await write_parameter_file(pilot)
        screen = await _create_change_set(pilot, "1-not-a-name")
        assert screen.status_text == ("Failed: change set name: '1-not-a-name' is not a valid change set name: a "
                                      "letter, then letters, digits and hyphens, at most 128 characters.")
        assert screen.query_one("#aws-form").display and screen.result is None


async def test_a_change_set_is_listed_and_not_executed_without_the_typed_name(tmp_path, endpoint, moto_session):
    moto_session.client("s3").create_bucket(Bucket=BUCKET)
    app = build_app(out=tmp_path / "p.json", settings=EMBEDDED_REQUIRED, endpoint_url=endpoint,
                    template_bucket=BUCKET)
    async with app.run_test(size=(120, 40)) as pilot:
        await write_parameter_file(pilot)
        screen = await _create_change_set(pilot)
        result = screen.result
        assert result is not None and result.executable and result.change_set_type == "CREATE"
        assert screen.status_text.startswith(f"Change set quilt-review (CREATE) for stack quilt: "
                                             f"{len(result.changes)} changes")
        table = screen.query_one("#changes", DataTable)
        assert table.row_count == len(result.changes) > 10
        assert _row(screen, "#changes", "LoadBalancer") == [
            "Add", "LoadBalancer", "AWS::ElasticLoadBalancingV2::\nLoadBalancer", "-", "+1 -0 rules\nBROADENING"]
        table.move_cursor(row=table.get_row_index("LoadBalancer"))
        await pilot.pause()
        security = text_of(screen.query_one("#change-set-security"))
        assert "Security change against nothing (a new stack); capabilities: CAPABILITY_IAM: " in security
        assert "LoadBalancer:\n  + load balancer LoadBalancer is internet-facing" in security
        key = "quilt-wizard/quilt/quilt-review.template"
        assert moto_session.client("s3").head_object(Bucket=BUCKET, Key=key)["ContentLength"] > 51_200
        assert _stack_events(moto_session) == ["REVIEW_IN_PROGRESS"]  # created, not executed

        await press(pilot, "x")
        assert isinstance(app.screen, TypedConfirmDialog)
        await pilot.press(*"quil")
        await press(pilot, "enter")  # not the stack name: refused
        assert isinstance(app.screen, TypedConfirmDialog)
        assert "type it exactly" in text_of(app.screen.query_one("#dialog-problem"))
        await press(pilot, "escape")
        assert app.screen is screen and not screen.executed
    assert _stack_events(moto_session) == ["REVIEW_IN_PROGRESS"]


async def test_the_change_set_is_executed_after_the_stack_name_is_typed(tmp_path, endpoint, moto_session):
    app = _topic_app(tmp_path, endpoint_url=endpoint)
    cloudformation = moto_session.client("cloudformation")
    async with app.run_test(size=(120, 40)) as pilot:
        await write_parameter_file(pilot)
        screen = await _create_change_set(pilot, "add-topic")
        assert _row(screen, "#changes", "Topic") == ["Add", "Topic", "AWS::SNS::Topic", "-", "-"]
        assert cloudformation.describe_stacks(StackName="quilt")["Stacks"][0]["StackStatus"] == "REVIEW_IN_PROGRESS"
        await press(pilot, "x")
        await pilot.press(*"quilt")
        await press(pilot, "enter")
        await settle(pilot)  # the execution, then the following
        assert app.screen is screen and screen.executed
        assert screen.status_text.startswith("Stack quilt: CREATE_COMPLETE")
        assert screen.deployment_result.succeeded
        assert screen.check_action("execute", ()) is False  # once only
    assert cloudformation.describe_stacks(StackName="quilt")["Stacks"][0]["StackStatus"] == "CREATE_COMPLETE"
    topics = moto_session.client("sns").list_topics()["Topics"]
    assert [t["TopicArn"].rsplit(":", 1)[1] for t in topics] == ["quilt-events"]


class BlockingAws:
    """A stand-in AWS session whose calls wait until the test releases them, then fail as told."""

    region = "us-east-1"

    def __init__(self, error: Exception) -> None:
        self.error = error
        self.calls: list[str] = []
        self.entered = threading.Event()
        self.release = threading.Event()

    def call(self, service: str, method: str, **params):
        self.calls.append(method)
        self.entered.set()
        self.release.wait(timeout=30)
        raise self.error


async def _cancel_mid_call(pilot, fake: BlockingAws, key: str):
    await press(pilot, key)
    screen = pilot.app.screen
    screen.query_one("#run").focus()
    await pilot.press("enter")
    assert await asyncio.to_thread(fake.entered.wait, 30)
    await pilot.pause()
    assert screen.running == "run" and screen.check_action("cancel", ()) is True
    await pilot.press("escape")
    await pilot.pause()
    assert screen.status_text.startswith("Cancelled") and not screen.running
    fake.release.set()
    await settle(pilot)  # the worker ends; its result is ignored
    assert pilot.app.screen is screen and screen.status_text.startswith("Cancelled")
    return screen


async def test_escape_cancels_a_change_set_being_created(tmp_path, monkeypatch):
    missing = RequestInvalid("refused", code="ValidationError", action="cloudformation:DescribeStacks",
                             aws_message="Stack with id quilt does not exist")
    fake = BlockingAws(missing)
    monkeypatch.setattr(DeploySession, "aws_session", lambda self, profile, endpoint, deadline=None: fake)
    app = _topic_app(tmp_path)
    async with app.run_test(size=(120, 40)) as pilot:
        await write_parameter_file(pilot)
        screen = await _cancel_mid_call(pilot, fake, "c")
        assert screen.progress_lines == ["Looking up stack quilt in us-east-1"]
        assert screen.result is None and not screen.query_one("#changes", DataTable).display
        assert screen.check_action("execute", ()) is False
    assert fake.calls == ["describe_stacks"]  # the core saw the cancel and never created it


async def test_escape_cancels_a_preflight(tmp_path, monkeypatch):
    fake = BlockingAws(EndpointUnreachable("Cannot reach the AWS endpoint"))
    monkeypatch.setattr(DeploySession, "aws_session", lambda self, profile, endpoint, deadline=None: fake)
    app = _topic_app(tmp_path)
    async with app.run_test(size=(120, 40)) as pilot:
        await write_parameter_file(pilot)
        screen = await _cancel_mid_call(pilot, fake, "p")
        assert "Failed" not in screen.status_text and screen.report is None
        assert app.session.preflight is None
        await press(pilot, "escape")  # not running: back to the written file
        assert isinstance(app.screen, WriteScreen)


def _ready_change_set(*_args, **_kwargs) -> ChangeSetResult:
    return ChangeSetResult(stack_name="quilt", change_set_name="add-topic", change_set_type="CREATE",
                           parameter_keys=("TopicName",), change_set_id="arn:aws:cloudformation:add-topic",
                           status="CREATE_COMPLETE", execution_status="AVAILABLE",
                           changes=(ResourceChange("Add", "Topic", "AWS::SNS::Topic"),))


async def test_escape_during_an_execution_claims_no_cancel(tmp_path, monkeypatch):
    entered, release = threading.Event(), threading.Event()
    executed = []

    def slow_execute(aws, result):
        entered.set()
        release.wait(timeout=30)
        executed.append(result.change_set_name)

    monkeypatch.setattr(DeploySession, "aws_session", lambda self, profile, endpoint, deadline=None: object())
    monkeypatch.setattr(DeploySession, "create_change_set", _ready_change_set)
    monkeypatch.setattr("wizard.aws.execute_change_set", slow_execute)
    monkeypatch.setattr("wizard.aws.events.event_ids", lambda aws, stack: set())
    monkeypatch.setattr("wizard.aws.events.follow_stack",
                        lambda aws, stack, **_kwargs: FollowResult(stack, "CREATE_COMPLETE"))
    app = _topic_app(tmp_path)
    async with app.run_test(size=(120, 40)) as pilot:
        await write_parameter_file(pilot)
        screen = await _create_change_set(pilot, "add-topic")
        await press(pilot, "x")
        await pilot.press(*"quilt")
        await pilot.press("enter")  # confirmed: the execution request goes out
        assert await asyncio.to_thread(entered.wait, 30)
        await pilot.pause()
        assert app.screen is screen and screen.running == "execute"
        assert screen.check_action("cancel", ()) is False and screen.check_action("close", ()) is False
        await pilot.press("escape")
        await pilot.pause()
        screen.action_cancel()  # however it is reached, it claims no cancel
        assert "Cancelled" not in screen.status_text and "cannot be withdrawn" in screen.status_text
        assert screen.running == "execute" and not screen.cancel_event.is_set() and app.screen is screen
        release.set()
        await settle(pilot)  # the outcome is still shown
        assert screen.executed and screen.status_text.startswith("Stack quilt: CREATE_COMPLETE")
    assert executed == ["add-topic"]


async def test_a_masked_noecho_value_of_the_deployed_stack_keeps_the_review(tmp_path, monkeypatch):
    stack = StackState(name="quilt", stack_id="arn:aws:cloudformation:us-east-1:123456789012:stack/quilt/1",
                       status="UPDATE_COMPLETE", status_reason=None,
                       parameters={"AdminPassword": "****", "InternalApiPort": "443"})
    report = PreflightReport(stack_name="quilt", region="us-east-1", account="123456789012", stack=stack,
                             checks=(PreflightCheck("stack", CheckStatus.PASS, "Stack quilt is UPDATE_COMPLETE"),))
    monkeypatch.setattr(DeploySession, "aws_session", lambda self, profile, endpoint, deadline=None: object())
    monkeypatch.setattr(DeploySession, "run_preflight", lambda self, aws, on_progress: report)
    app = build_app(out=tmp_path / "p.json", settings=EMBEDDED_REQUIRED)
    async with app.run_test(size=(120, 40)) as pilot:
        await write_parameter_file(pilot)
        await press(pilot, "p", "enter")
        note = text_of(app.screen.query_one("#preflight-baseline"))
        assert "now compares against its deployed parameters" in note
        assert re.search(r"Against the deployed stack: findings [^;]+; \+\d+ grants", note), note  # the risk first
        assert app.session.deployed_parameters == {"AdminPassword": "****", "InternalApiPort": "443"}
        await press(pilot, "escape", "escape")  # back to the write screen, then the review
        review = app.screen
        assert isinstance(review, ReviewScreen) and review.deployment is not None
        assert not review.query("#review-problem")
        diff = review.query_one("#review-diff", DiffPanel).plain
        assert "Against the baseline (the deployed stack quilt)" in diff
        await press(pilot, "escape", "escape")  # the parameters, then the last question
        assert isinstance(app.screen, QuestionScreen)
        panel = app.screen.query_one(DiffPanel).plain
        assert "Refused" not in panel
        assert "All answers against the baseline (the deployed stack quilt)" in panel


async def test_preflight_runs_iam_access_analyzer_when_ticked(tmp_path, endpoint, moto_session, monkeypatch):
    from botocore.stub import Stubber
    from textual.widgets import Checkbox

    from tests.moto import PUBLISHER_TEMPLATE

    template = tmp_path / "publisher.yaml"
    template.write_text(PUBLISHER_TEMPLATE)
    monkeypatch.setattr(DeploySession, "aws_session", lambda self, profile, endpoint, deadline=None: moto_session)
    stub = Stubber(moto_session.client("accessanalyzer"))
    stub.add_response("validate_policy", {"findings": [{
        "findingDetails": "Add a Version element.", "findingType": "WARNING", "issueCode": "MISSING_VERSION",
        "learnMoreLink": "https://docs.aws.amazon.com/", "locations": [
            {"path": [{"value": "Statement"}, {"index": 0}, {"value": "Resource"}],
             "span": {"start": {"line": 1, "column": 1, "offset": 1}, "end": {"line": 1, "column": 2, "offset": 2}}}]}]},
        {"policyDocument": ANY_DOCUMENT, "policyType": "IDENTITY_POLICY"})
    stub.add_response("validate_policy", {"findings": []},
                      {"policyDocument": ANY_DOCUMENT, "policyType": "RESOURCE_POLICY",
                       "validatePolicyResourceType": "AWS::IAM::AssumeRolePolicyDocument"})
    for _ in range(6):  # the identity policy against each critical access of the list
        stub.add_response("check_access_not_granted", {"result": "PASS", "message": "not granted"})
    stub.activate()
    app = build_app(template_path=template, out=tmp_path / "p.json", settings={"TopicName": "quilt-events"},
                    access_analyzer=True)
    async with app.run_test(size=(120, 40)) as pilot:
        await write_parameter_file(pilot)
        await press(pilot, "p")
        screen = app.screen
        assert isinstance(screen, PreflightScreen)
        assert screen.query_one("#access-analyzer", Checkbox).value  # --access-analyzer ticks it
        screen.query_one("#run").focus()
        await press(pilot, "enter")
        assert screen.status_text.startswith("Ready"), screen.status_text
        assert _row(screen, "#checks", "access-analyzer-validate")[0] == "WARN"
        assert _row(screen, "#checks", "access-analyzer-not-granted")[0] == "PASS"
        shown = text_of(screen.query_one("#access-analyzer-findings"))
        assert "MISSING_VERSION: Publisher/publish (identity, Statement[0].Resource, line" in shown
    stub.assert_no_pending_responses()
    # AWS's findings join the security report, marked as AWS's.
    paths, findings = app.session.write_security_report(str(tmp_path / "report"))
    assert [f.source for f in findings if f.rule_id == "AWS-AA-MISSING_VERSION"] == ["IAM Access Analyzer"]
    assert "**Source:** IAM Access Analyzer" in paths[0].read_text()


async def test_preflight_leaves_iam_access_analyzer_alone_unless_ticked(tmp_path, endpoint, moto_session):
    from textual.widgets import Checkbox

    app = _topic_app(tmp_path, endpoint_url=endpoint)
    async with app.run_test(size=(120, 40)) as pilot:
        await write_parameter_file(pilot)
        await press(pilot, "p")
        screen = app.screen
        assert not screen.query_one("#access-analyzer", Checkbox).value
        screen.query_one("#run").focus()
        await press(pilot, "enter")
        assert screen.report is not None and screen.report.access_analysis is None
        assert not any(c.name.startswith("access-analyzer") for c in screen.report.checks)


class _AnyDocument:
    """Any policy document sent (JSON text)."""

    def __eq__(self, other: object) -> bool:
        return isinstance(other, str) and other.startswith("{")


ANY_DOCUMENT = _AnyDocument()
