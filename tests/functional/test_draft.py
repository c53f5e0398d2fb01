"""Interrupted runs: the draft is saved after every answer and resumed (or discarded) on the next start,
on the template it was made on or, when the run has another one, on the template the operator chooses."""

from __future__ import annotations

import threading
from pathlib import Path

import pytest
from textual.widgets import Button, Input

from screens.app import build_app
from screens.aws.session import DeploySession
from screens.dialogs import TemplateChoiceDialog
from screens.questions.parameters import ParametersScreen
from screens.questions.question import QuestionScreen
from wizard.flow.session import WizardSession
from screens.questions.start import StartScreen
from screens.widgets.choice_list import ChoiceList
from screens.widgets.diff_panel import DiffPanel
from tests.conftest import DATA
from tests.functional.helpers import EMBEDDED_REQUIRED, advance_to, press, settle, text_of
from wizard.flow.draft import draft_path, load_draft
from wizard.errors import InputError

SMALL = str(DATA / "templates" / "fleet-small.yaml")


async def test_an_interrupted_run_is_resumed_with_its_answers(tmp_path):
    first = build_app(out=tmp_path / "p.json", stack_name="quilt-prod", region="eu-west-1")
    async with first.run_test(size=(100, 30)) as pilot:
        await settle(pilot)
        await press(pilot, "enter")  # start -> policy_creation
        await press(pilot, "2", "enter")  # manual approval
        await press(pilot, "1", "enter")  # tighter security: yes
        assert first.screen.step == "frameworks"
        await pilot.press("ctrl+q")  # quit in the middle
    assert draft_path().is_file()

    second = build_app(out=tmp_path / "p.json")
    async with second.run_test(size=(100, 30)) as pilot:
        await settle(pilot)
        start = second.screen
        assert isinstance(start, StartScreen)
        assert start.query_one("#resume", Button).has_focus
        assert "2 answers" in str(start.query_one("#draft-text").render())
        await press(pilot, "enter")  # Resume
        assert isinstance(second.screen, QuestionScreen)
        assert second.screen.step == "frameworks"
        assert second.session.answers == {"policy_creation": "manual", "tighter_security": "yes"}
        assert second.session.pseudo.stack_name == "quilt-prod"
        assert second.session.pseudo.region == "eu-west-1"
        await press(pilot, "escape")  # back: the confirmed answer is shown as in force
        assert second.screen.query_one(ChoiceList).current == "yes"


async def test_a_draft_can_be_discarded(tmp_path):
    first = build_app(out=tmp_path / "p.json")
    async with first.run_test(size=(100, 30)) as pilot:
        await settle(pilot)
        await press(pilot, "enter", "enter")
    assert draft_path().is_file()
    second = build_app(out=tmp_path / "p.json")
    async with second.run_test(size=(100, 30)) as pilot:
        await settle(pilot)
        await pilot.click("#discard")
        await settle(pilot)
        assert not draft_path().exists()
        assert not second.screen.query("#draft-box")
        assert second.screen.query_one("#mode", ChoiceList).has_focus


async def test_the_draft_never_holds_a_noecho_value(tmp_path):
    settings = {k: v for k, v in EMBEDDED_REQUIRED.items()}
    app = build_app(out=tmp_path / "p.json", settings=settings)
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot)
        await advance_to(pilot, "parameters")
        assert isinstance(app.screen, ParametersScreen)
        app.screen.query_one("#param-AdminPassword", Input).value = "correct-horse-battery"
        await settle(pilot)
        await press(pilot, "enter")
        assert app.screen.step == "review"
        assert app.session.parameters["AdminPassword"] == "correct-horse-battery"
    text = draft_path().read_text()
    assert "correct-horse-battery" not in text
    assert "AdminPassword" not in text
    assert "admin@example.com" in text
    draft = load_draft()
    assert draft is not None and draft.step == "review"
    assert (draft_path().stat().st_mode & 0o777) == 0o600


def _numbers(template: str | None, answers: dict) -> list[str]:
    """The panel's numbers on the timeline question (its answer in force highlighted) for a run on
    ``template`` with ``answers``, as a session opened afresh on that template computes them."""
    session = WizardSession.open(template, account_id=None, region=None, stack_name=None)
    session.answers = dict(answers)
    question = session.question("timeline")
    preview = session.preview(question, session.current(question), "")
    return [f"Findings: {preview.posture.text()}",
            f"All answers against the baseline ({preview.baseline_name}): {preview.against_baseline}"]


@pytest.mark.parametrize("choice", ["current", "draft"])
async def test_a_draft_of_another_template_asks_which_one_and_never_mixes_them(tmp_path, choice):
    first = build_app(out=tmp_path / "p.json")  # the embedded template
    async with first.run_test(size=(100, 30)) as pilot:
        await settle(pilot)
        await press(pilot, "enter", "2", "enter", "1", "enter", "enter")  # manual, tighter, no frameworks
        assert first.screen.step == "timeline"
        await pilot.press("ctrl+q")
    answers = {"policy_creation": "manual", "tighter_security": "yes", "frameworks": []}
    assert load_draft().answers == answers

    second = build_app(template_path=SMALL, out=tmp_path / "p.json")
    async with second.run_test(size=(100, 30)) as pilot:
        await settle(pilot)
        assert "on the embedded template" in text_of(second.screen.query_one("#draft-text"))
        await press(pilot, "enter")  # Resume
        dialog = second.screen
        assert isinstance(dialog, TemplateChoiceDialog)  # asked, not switched silently
        assert text_of(dialog.query_one("#template-mismatch")) == (
            f"The unfinished run was made on the embedded template; this run uses {SMALL}.")
        await pilot.click(f"#{choice}")
        await settle(pilot)
        screen = second.screen
        assert isinstance(screen, QuestionScreen) and screen.step == "timeline"
        if choice == "current":
            chosen, kept = SMALL, {"frameworks": []}  # the policy questions do not apply to it
        else:
            chosen, kept = None, answers
        assert second.session.template_path == chosen
        assert second.session.answers == kept
        shown = screen.query_one(DiffPanel).plain
        for line in _numbers(chosen, kept):
            assert line in shown.splitlines(), (line, shown)
    # The two templates' numbers differ, so the panel shows the chosen one's, not the other's.
    assert _numbers(SMALL, {"frameworks": []}) != _numbers(None, answers)
    assert load_draft().template == (None if choice == "draft" else str(Path(SMALL).resolve()))  # saved as resumed


async def _interrupted_at_the_second_question(tmp_path, template: str | None = None) -> None:
    first = build_app(template_path=template, out=tmp_path / "p.json")
    async with first.run_test(size=(100, 30)) as pilot:
        await settle(pilot)
        await press(pilot, "enter", "2", "enter")  # start -> policy_creation: manual
        assert first.screen.step == "tighter_security"
        await pilot.press("ctrl+q")
    assert load_draft().answers == {"policy_creation": "manual"}


async def test_resuming_opens_the_drafts_run_off_the_ui_thread_and_the_screen_answers_meanwhile(
        tmp_path, monkeypatch):
    await _interrupted_at_the_second_question(tmp_path)
    gate, threads = threading.Event(), []
    original = DeploySession.from_draft.__func__

    def held(cls, *args, **kwargs):
        threads.append(threading.current_thread())
        assert gate.wait(30)
        return original(cls, *args, **kwargs)

    monkeypatch.setattr(DeploySession, "from_draft", classmethod(held))
    second = build_app(out=tmp_path / "p.json")
    async with second.run_test(size=(100, 30)) as pilot:
        await pilot.pause()
        start = second.screen
        assert isinstance(start, StartScreen) and start.query_one("#resume", Button).has_focus
        await pilot.press("enter")  # Resume
        await pilot.pause()
        # The template is being read in a worker: the screen is drawn, says so, and answers keys.
        assert threads and threads[0] is not threading.main_thread()
        assert second.screen is start and "Reading the template" in text_of(start.query_one("#start-error"))
        await pilot.press("enter")  # a second Resume opens nothing more
        await pilot.press("ctrl+t")
        await pilot.pause()
        assert second.screen is start and len(threads) == 1 and second.session is None
        gate.set()
        await settle(pilot)
        assert isinstance(second.screen, QuestionScreen) and second.screen.step == "tighter_security"
        assert second.session.answers == {"policy_creation": "manual"}


async def test_a_draft_the_core_refuses_is_one_line_on_the_start_screen(tmp_path, monkeypatch):
    await _interrupted_at_the_second_question(tmp_path)

    def refused(cls, draft, settings=None):
        raise InputError("has changed since the unfinished run was saved on it", file="quilt.yaml")

    monkeypatch.setattr(DeploySession, "from_draft", classmethod(refused))
    second = build_app(out=tmp_path / "p.json")
    async with second.run_test(size=(100, 30)) as pilot:
        await settle(pilot)
        await press(pilot, "enter")  # Resume
        await settle(pilot)
        start = second.screen
        assert isinstance(start, StartScreen) and second.session is None
        shown = text_of(start.query_one("#start-error"))
        assert shown == "cannot resume: quilt.yaml: has changed since the unfinished run was saved on it"
        await press(pilot, "enter")  # Resume again: tried anew, refused again
        await settle(pilot)
        assert second.screen is start and text_of(start.query_one("#start-error")) == shown
