"""Deployments in a real terminal (tmux) against moto's server: a change set in the wizard, where the
stack's events are seen on the screen; at the headless run's own prompt (``--execute`` without
``--yes``), where a wrong stack name leaves the change set unexecuted and the right one executes
it and follows its events to the end; and a profile's fleet deployed from the wizard's review
through a stack set, ending with its instances."""

from __future__ import annotations

import shlex
import shutil
from pathlib import Path

import pytest

from tests.functional import tmux
from tests.aws.test_fleet import A, B, SMALL, TRUST, write_profile
from tests.moto import TOPIC_TEMPLATE, publisher_stack
from wizard.aws.outputs import read_outputs, render_outputs
from wizard.aws.stacksets import ADMINISTRATION_ROLE

pytestmark = [pytest.mark.slow, pytest.mark.skipif(shutil.which("tmux") is None, reason="tmux is not installed")]

PROMPT = "Type the stack name to confirm: "
EXITED = "[exit code "


def test_a_change_set_executed_in_the_wizard_shows_the_events(tmp_path, endpoint, moto_session):
    template = tmp_path / "topic.yaml"
    template.write_text(TOPIC_TEMPLATE)
    session = tmux.start(tmp_path, [*tmux.command(), "--template", str(template), "--set", "TopicName=quilt-events",
                                    "--out", str(tmp_path / "p.json"), "--endpoint-url", endpoint],
                         width=110, height=40, prefix="qw-deploy")
    try:
        tmux.enter_until_the_write_screen(session, tmux.wait_for(session, "quilt-wizard"))
        tmux.tmux("send-keys", "-t", session, "Enter")
        tmux.wait_for(session, "Wrote")
        tmux.tmux("send-keys", "-t", session, "c")
        tmux.wait_for(session, "Create change set")
        tmux.tmux("send-keys", "-t", session, "Enter")  # the Create button has the focus
        tmux.wait_for(session, "Press x to execute")
        tmux.tmux("send-keys", "-t", session, "x")
        tmux.wait_for(session, "Type quilt to confirm")
        tmux.tmux("send-keys", "-t", session, "quilt", "Enter")
        shown = tmux.wait_for(session, "Stack quilt: CREATE_COMPLETE", timeout=tmux.TIMEOUT)
        assert "Events (" in shown
        events = [line for line in shown.splitlines() if "AWS::CloudFormation::Stack" in line]
        assert any("CREATE_IN_PROGRESS" in line for line in events)
        assert any("CREATE_COMPLETE" in line for line in events)
        assert "REVIEW_IN_PROGRESS" not in "\n".join(events)  # only what the execution did
    finally:
        tmux.kill(session)
    stack = moto_session.client("cloudformation").describe_stacks(StackName="quilt")["Stacks"][0]
    assert stack["StackStatus"] == "CREATE_COMPLETE"


# -- the headless run's prompt ----------------------------------------------------------------

def _prompted(tmp_path: Path, endpoint: str) -> tuple[str, str]:
    """The headless run with ``--execute`` and no ``--yes``, stopped at its prompt; the session and
    what it shows. The pane stays after the run, with its exit code."""
    template, answers = publisher_stack(tmp_path)
    command = [*tmux.command(), "--answers", answers, "--template", template, "--out", str(tmp_path / "p.json"),
               "--create-change-set", "--change-set-name", "review-1", "--execute", "--endpoint-url", endpoint]
    wrapped = ["sh", "-c", f'{shlex.join(command)}; echo "{EXITED}$?]"; exec sleep 600']
    session = tmux.start(tmp_path, wrapped, width=160, height=50, prefix="qw-deploy")
    return session, tmux.wait_for(session, PROMPT, read=tmux.history)


def _answer(session: str, typed: str) -> str:
    tmux.tmux("send-keys", "-t", session, "-l", typed)
    tmux.tmux("send-keys", "-t", session, "Enter")
    return tmux.wait_for(session, EXITED, read=tmux.history)


def _check_the_prompt(shown: str) -> None:
    """The table with its security column, and the capability with the role that needs it,
    stand before the question, which names the change set, the stack and the capability."""
    before = shown[:shown.index(PROMPT)]
    assert "Change set review-1 (CREATE) for stack quilt: 2 changes (2 add). Not executed." in before
    assert "Security" in before and "+ Publisher Allow sns:Publish" in before
    assert "CAPABILITY_IAM: the template creates IAM resources (Publisher)" in before
    assert ("Execute change set review-1 on stack quilt, acknowledging CAPABILITY_IAM? " + PROMPT) in shown


def test_a_wrong_stack_name_at_the_prompt_leaves_the_change_set_unexecuted(tmp_path, endpoint, moto_session):
    session, shown = _prompted(tmp_path, endpoint)
    try:
        _check_the_prompt(shown)
        shown = _answer(session, "quil")
    finally:
        tmux.kill(session)
    after = shown[shown.index(PROMPT):]
    assert "Not executed." in after.splitlines() and f"{EXITED}0]" in after  # declined is not a failure
    assert "Following stack" not in after
    assert "Change set review-1 (CREATE) for stack quilt: 2 changes (2 add). Not executed." in after  # the summary
    cloudformation = moto_session.client("cloudformation")
    assert cloudformation.describe_stacks(StackName="quilt")["Stacks"][0]["StackStatus"] == "REVIEW_IN_PROGRESS"
    [change_set] = cloudformation.list_change_sets(StackName="quilt")["Summaries"]
    assert (change_set["ChangeSetName"], change_set["ExecutionStatus"]) == ("review-1", "AVAILABLE")


def test_the_stack_name_at_the_prompt_executes_and_follows_to_the_end(tmp_path, endpoint, moto_session):
    session, shown = _prompted(tmp_path, endpoint)
    try:
        _check_the_prompt(shown)
        shown = _answer(session, "quilt")
    finally:
        tmux.kill(session)
    after = shown[shown.index(PROMPT):]
    assert "Not executed." not in after.splitlines() and f"{EXITED}0]" in after
    assert "Change set review-1 (CREATE) for stack quilt: 2 changes (2 add). Executed." in after  # the summary
    following = after[after.index("Following stack quilt (Ctrl-C stops following, not the deployment)"):]
    events = [line for line in following.splitlines() if "AWS::CloudFormation::Stack" in line]
    assert any("CREATE_IN_PROGRESS" in line for line in events)
    assert any("CREATE_COMPLETE" in line for line in events)
    end = following[following.index("Stack quilt: CREATE_COMPLETE\n"):]
    cloudformation = moto_session.client("cloudformation")
    assert cloudformation.describe_stacks(StackName="quilt")["Stacks"][0]["StackStatus"] == "CREATE_COMPLETE"
    [change_set] = cloudformation.list_change_sets(StackName="quilt")["Summaries"]
    assert change_set["ExecutionStatus"] == "EXECUTE_COMPLETE"
    # the outputs printed are the stack's, as CloudFormation holds them
    outputs = render_outputs(read_outputs(moto_session, "quilt")).splitlines()
    assert end.splitlines()[1:1 + len(outputs)] == outputs


# -- the fleet, from the review -----------------------------------------------------------------

def _enter_until(session: str, shown: str, text: str) -> str:
    """Accept every screen's default with Enter until ``text`` shows; the screen's text."""
    for _ in range(40):
        if text in shown:
            return shown
        header = tmux.header(shown)
        tmux.tmux("send-keys", "-t", session, "Enter")
        shown = tmux.wait_for_change_of_header(session, header)
    raise AssertionError(f"{text!r} never appeared:\n{shown}")


def test_the_fleet_deployed_from_the_review_in_a_terminal(tmp_path, endpoint, moto_session, monkeypatch):
    """A two-account profile: from the review, the fleet screen shows account B's broadening
    override, the typed stack-set name deploys both accounts, and the table of instances ends it."""
    monkeypatch.setenv("QUILT_WIZARD_HOME", str(tmp_path / "home"))  # the wizard's home (``tmux.start``)
    write_profile()
    moto_session.client("iam").create_role(RoleName=ADMINISTRATION_ROLE, AssumeRolePolicyDocument=TRUST)
    session = tmux.start(tmp_path, [*tmux.command(), "--template", SMALL, "--profile", "teams", "--account-id", A,
                                    "--out", str(tmp_path / "p.json"), "--endpoint-url", endpoint],
                         width=110, height=40, prefix="qw-deploy")
    try:
        shown = _enter_until(session, tmux.wait_for(session, "quilt-wizard"), "Deploy to the fleet")
        assert "Profile teams lists 2 accounts" in shown
        tmux.tmux("send-keys", "-t", session, "f")
        tmux.wait_for(session, "Fleet of profile teams")
        shown = tmux.wait_for(session, "Overrides of the stack set's values")  # the panels follow the summary
        rows = {line.split()[0]: line.split()[1:] for line in shown.splitlines()
                if line.split() and line.split()[0] in (A, B)}
        assert rows[A][:4] == ["us-east-1", "1", "no", "change"] and rows[B][:3] == ["us-east-1", "2", "BROADENING"]
        # Tab to the plan, End to its last panel: account B's override and what it broadens.
        tmux.tmux("send-keys", "-t", session, "Tab", "End")
        broadening = "+ Allow s3:GetObject, s3:PutObject on * [R W]  broadening"
        shown = tmux.wait_for(session, broadening)
        panel = shown[shown.index(f"{B} · us-east-1 · BROADENING"):]
        assert "* CustomerBucketPrefix = (empty)" in panel and broadening in panel
        tmux.tmux("send-keys", "-t", session, "BTab", "Enter")  # back to the Check button, and press it
        tmux.wait_for(session, "Press x to deploy")
        tmux.tmux("send-keys", "-t", session, "x")
        tmux.wait_for(session, "Type quilt-fleet to confirm")
        tmux.tmux("send-keys", "-t", session, "quilt-fleet", "Enter")
        shown = tmux.wait_for(session, "Deployed stack set quilt-fleet", timeout=tmux.TIMEOUT)
        table = [line.split() for line in shown.splitlines() if line.split() and line.split()[0] in (A, B)]
        assert [row[:4] for row in table] == [[A, "us-east-1", "CURRENT", "SUCCEEDED"],
                                              [B, "us-east-1", "CURRENT", "SUCCEEDED"]]
    finally:
        tmux.kill(session)
    instance = moto_session.client("cloudformation").describe_stack_instance(
        StackSetName="quilt-fleet", StackInstanceAccount=B, StackInstanceRegion="us-east-1")["StackInstance"]
    assert {p["ParameterKey"]: p["ParameterValue"] for p in instance["ParameterOverrides"]} == {
        "CustomerBucketPrefix": "", "VPC": "vpc-0123456789abcdef1"}
