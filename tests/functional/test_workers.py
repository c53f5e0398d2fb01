"""Thread workers compute off the UI thread and never touch a widget there.

The previews, the findings count, the security report and the AWS calls run in thread
workers; their results reach the screens on the UI thread, and a result that arrives after
its screen was left is ignored. A stand-in findings count that waits on a
``threading.Event`` catches the review screen mid-count without any timing.
"""

from __future__ import annotations

import asyncio
import threading

import pytest
from textual.dom import DOMNode
from textual.widgets import Input

import screens.review.review as review_module
from screens.app import build_app
from screens.questions.parameters import ParametersScreen
from screens.aws.preflight import PreflightScreen
from screens.review.review import ReviewScreen
from screens.aws.session import DeploySession
from screens.step import OnTheWizard
from tests.functional.helpers import EMBEDDED_REQUIRED, advance_to, press, settle, text_of, write_parameter_file
from wizard.aws import EndpointUnreachable


@pytest.fixture
def off_thread(monkeypatch) -> list[str]:
    """Record every widget query and every look-up of the app made outside the UI thread."""
    ui = threading.get_ident()
    touched: list[str] = []
    query_one, wizard = DOMNode.query_one, OnTheWizard.wizard

    def guarded_query_one(self, *args, **kwargs):
        if threading.get_ident() != ui:
            touched.append(f"{type(self).__name__}.query_one{args}")
        return query_one(self, *args, **kwargs)

    def guarded_wizard(self):
        if threading.get_ident() != ui:
            touched.append(f"{type(self).__name__}.wizard")
        return wizard.fget(self)

    monkeypatch.setattr(DOMNode, "query_one", guarded_query_one)
    monkeypatch.setattr(OnTheWizard, "wizard", property(guarded_wizard))
    return touched


class FailingAws:
    """A stand-in AWS session whose every call fails at once."""

    region = "us-east-1"

    def call(self, service: str, method: str, **params):
        raise EndpointUnreachable("Cannot reach the AWS endpoint")


async def test_workers_touch_no_widget_off_the_ui_thread(tmp_path, monkeypatch, off_thread):
    monkeypatch.setattr(DeploySession, "aws_session", lambda self, profile, endpoint, deadline=None: FailingAws())
    # The second choice of the first question is manual approval, which names its approvers.
    app = build_app(out=tmp_path / "p.json", settings={
        **EMBEDDED_REQUIRED, "ApproverPrincipalArn": "arn:aws:iam::123456789012:role/quilt-approver"})
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot)
        await press(pilot, "enter", "down")  # a question's preview, then another choice's
        await advance_to(pilot, "review")
        assert "Findings:" in text_of(app.screen.query_one("#review-findings"))
        app.write_report(str(tmp_path / "report"))
        await settle(pilot)
        await write_parameter_file(pilot)
        await press(pilot, "p", "enter")
        assert isinstance(app.screen, PreflightScreen)
        assert app.screen.status_text.startswith("Failed: Cannot reach the AWS endpoint")
    assert (tmp_path / "report" / "security-report.md").is_file()
    assert off_thread == []


async def test_leaving_the_review_while_the_findings_are_counted(tmp_path, monkeypatch, off_thread):
    entered, release = threading.Event(), threading.Event()

    def slow_count(deployment) -> str:
        entered.set()
        release.wait(timeout=30)
        return "Findings: 1 (1 high)"

    monkeypatch.setattr(review_module, "findings_count", slow_count)
    app = build_app(out=tmp_path / "p.json", settings=EMBEDDED_REQUIRED)
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot)
        await advance_to(pilot, "parameters")
        await pilot.press("enter")
        assert await asyncio.to_thread(entered.wait, 30)
        review = app.screen
        assert isinstance(review, ReviewScreen)
        await pilot.press("escape")  # back to the parameters while the count runs
        await pilot.pause()
        assert isinstance(app.screen, ParametersScreen) and not review.is_attached
        release.set()
        await settle(pilot)  # the count ends; its result is ignored
        assert isinstance(app.screen, ParametersScreen) and app.is_running
        app.screen.query_one(Input).focus()
        await press(pilot, "enter")  # the app still answers
        assert isinstance(app.screen, ReviewScreen)
        assert "Findings: 1 (1 high)" in text_of(app.screen.query_one("#review-findings"))
    assert app.return_code in (None, 0)
    assert off_thread == []
