"""The end of ``--plain`` against moto: the preflight, then a change set created and shown."""

from __future__ import annotations

from types import SimpleNamespace

from tests.moto import ACCOUNT, publisher_stack
from wizard.cli import build_parser
from wizard.commands.deploy import offer_aws_steps
from wizard.flow.answers import load_answers_file
from wizard.flow.headless import plan_arguments, plan_deployment


class Asker:
    """Yes to each offer, ``override`` to a failed preflight."""

    def confirm(self, question: str, default: bool) -> bool:
        return True

    def text(self, question: str, default: str) -> str:
        return "override"


def test_the_change_set_offered_at_the_end_is_created_and_shown(session, endpoint, tmp_path) -> None:
    template, answers = publisher_stack(tmp_path)
    args = build_parser().parse_args(["--plain", "--template", template, "--account-id", ACCOUNT,
                                      "--endpoint-url", endpoint])
    plan = plan_arguments(load_answers_file(answers), template=template, account_id=ACCOUNT,
                          out=str(tmp_path / "p.json"))
    said: list[str] = []
    flow = SimpleNamespace(deployment=plan_deployment(**plan), asker=Asker(), say=said.append)
    offer_aws_steps(args, flow)
    text = "\n".join(said)
    assert "Change set" in text and "Publisher" in text and "AWS::IAM::Role" in text, text
    assert said[-1].startswith("Not executed")
    [summary] = session.client("cloudformation").list_stacks()["StackSummaries"]
    assert summary["StackName"] == "quilt" and summary["StackStatus"] == "REVIEW_IN_PROGRESS"


def test_the_preflight_offered_with_access_analyzer_runs_it_and_shows_aws_findings(session, endpoint, tmp_path,
                                                                                  monkeypatch) -> None:
    from botocore.stub import Stubber

    from wizard.commands import aws_steps

    template, answers = publisher_stack(tmp_path)
    args = build_parser().parse_args(["--plain", "--template", template, "--account-id", ACCOUNT,
                                      "--endpoint-url", endpoint, "--access-analyzer"])
    plan = plan_arguments(load_answers_file(answers), template=template, account_id=ACCOUNT,
                          out=str(tmp_path / "p.json"))
    monkeypatch.setattr(aws_steps, "session_for", lambda args, region: session)
    stub = Stubber(session.client("accessanalyzer"))
    stub.add_response("validate_policy", {"findings": [{
        "findingDetails": "Add a Version element.", "findingType": "SUGGESTION", "issueCode": "EMPTY_OBJECT_PRINCIPAL",
        "learnMoreLink": "https://docs.aws.amazon.com/", "locations": []}]})
    stub.add_response("validate_policy", {"findings": []})
    for _ in range(6):
        stub.add_response("check_access_not_granted", {"result": "PASS", "message": "not granted"})
    questions: list[str] = []

    class Preflight:
        def confirm(self, question: str, default: bool) -> bool:
            questions.append(question)
            return question.startswith("Run the preflight")

    said: list[str] = []
    with stub:
        offer_aws_steps(args, SimpleNamespace(deployment=plan_deployment(**plan), asker=Preflight(), say=said.append))
    stub.assert_no_pending_responses()
    assert "IAM Access Analyzer" in questions[0] and "billed per call" in questions[0]
    text = "\n".join(said)
    assert "IAM Access Analyzer (AWS) reported 1" in text
    assert "ValidatePolicy SUGGESTION EMPTY_OBJECT_PRINCIPAL: Publisher/publish (identity, line" in text
    assert "access-analyzer-not-granted" in text
