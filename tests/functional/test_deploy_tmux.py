"""A change set executed in the wizard in a real terminal (tmux, 110x40), against moto's server:
the stack's events are seen on the screen, and the final status after them."""

from __future__ import annotations

import os
import shutil
import subprocess
import uuid

import pytest

from tests.functional.test_terminal_e2e import TIMEOUT, _command, _enter_until_the_write_screen, _tmux, _wait_for
from tests.moto import TOPIC_TEMPLATE

pytestmark = pytest.mark.slow


@pytest.mark.skipif(shutil.which("tmux") is None, reason="tmux is not installed")
def test_a_change_set_executed_in_the_wizard_shows_the_events(tmp_path, endpoint, moto_session):
    template = tmp_path / "topic.yaml"
    template.write_text(TOPIC_TEMPLATE)
    command = [*_command(), "--template", str(template), "--set", "TopicName=quilt-events",
               "--out", str(tmp_path / "p.json"), "--endpoint-url", endpoint]
    session = f"qw-deploy-{uuid.uuid4().hex[:8]}"
    env = {"QUILT_WIZARD_HOME": str(tmp_path / "home"), "TERM": "xterm-256color",
           **{k: v for k, v in os.environ.items()
              if k.startswith("AWS_") or k.lower() == "no_proxy" or k == "PYTHONPATH"}}
    environment = [part for key, value in env.items() for part in ("-e", f"{key}={value}")]
    _tmux("new-session", "-d", "-s", session, "-x", "110", "-y", "40", *environment,
          "-c", str(tmp_path), subprocess.list2cmdline(command))
    try:
        _enter_until_the_write_screen(session, _wait_for(session, "quilt-wizard"))
        _tmux("send-keys", "-t", session, "Enter")
        _wait_for(session, "Wrote")
        _tmux("send-keys", "-t", session, "c")
        _wait_for(session, "Create change set")
        _tmux("send-keys", "-t", session, "Enter")  # the Create button has the focus
        _wait_for(session, "Press x to execute")
        _tmux("send-keys", "-t", session, "x")
        _wait_for(session, "Type quilt to confirm")
        _tmux("send-keys", "-t", session, "quilt", "Enter")
        shown = _wait_for(session, "Stack quilt: CREATE_COMPLETE", timeout=TIMEOUT)
        assert "Events (" in shown
        events = [line for line in shown.splitlines() if "AWS::CloudFormation::Stack" in line]
        assert any("CREATE_IN_PROGRESS" in line for line in events)
        assert any("CREATE_COMPLETE" in line for line in events)
        assert "REVIEW_IN_PROGRESS" not in "\n".join(events)  # only what the execution did
    finally:
        subprocess.run(["tmux", "kill-session", "-t", session], capture_output=True, timeout=30)
    stack = moto_session.client("cloudformation").describe_stacks(StackName="quilt")["Stacks"][0]
    assert stack["StackStatus"] == "CREATE_COMPLETE"
