"""Interrupted runs: the draft is saved after every answer and resumed (or discarded) on the next start."""

from __future__ import annotations

from textual.widgets import Button, Input

from screens.app import build_app
from screens.parameters import ParametersScreen
from screens.question import QuestionScreen
from screens.start import StartScreen
from screens.widgets.choice_list import ChoiceList
from tests.functional.helpers import EMBEDDED_REQUIRED, advance_to, press, settle
from wizard.flow.draft import draft_path, load_draft


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
