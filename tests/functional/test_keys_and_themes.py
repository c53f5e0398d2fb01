"""Themes, small terminals, the command palette's commands and the full grants screen."""

from __future__ import annotations

from textual.widgets import Footer, Input

from screens.app import build_app
from screens.dialogs import NameDialog, ProfileDialog
from screens.review.grants import GrantsScreen
from screens.questions.question import QuestionScreen
from screens.widgets.choice_list import ChoiceList
from screens.widgets.diff_panel import DiffPanel
from tests.functional.helpers import EMBEDDED_REQUIRED, advance_to, press, settle
from wizard.flow.profiles import load_profile, user_profiles_dir


async def test_ctrl_t_toggles_light_and_dark(tmp_path):
    app = build_app(out=tmp_path / "p.json")
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot)
        assert app.theme == "textual-dark"
        await press(pilot, "ctrl+t")
        assert app.theme == "textual-light"
        await press(pilot, "enter")  # the theme holds on the next screen
        assert app.theme == "textual-light"
        await press(pilot, "ctrl+t")
        assert app.theme == "textual-dark"


def _inside(widget, screen) -> bool:
    region = widget.region
    return region.width > 0 and region.height > 0 and screen.region.contains_region(region)


async def test_the_wizard_works_at_80x24(tmp_path):
    out = tmp_path / "p.json"
    app = build_app(out=out, settings={**EMBEDDED_REQUIRED,  # the walk picks manual approval: an approver
                                       "ApproverPrincipalArn": "arn:aws:iam::123456789012:role/quilt-approver"})
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        assert _inside(app.screen.query_one("#mode"), app.screen)
        await press(pilot, "enter", "down")
        screen = app.screen
        assert isinstance(screen, QuestionScreen)
        for selector in ("#question-title", "#choices", "#panel", Footer):
            assert _inside(screen.query_one(selector), screen), selector
        assert screen.query_one(DiffPanel).region.width >= 30
        assert "BROADENING" in screen.query_one(DiffPanel).plain
        await advance_to(pilot, "write")
        await press(pilot, "enter")
        assert app.screen.written == [str(out)]
    assert out.is_file()


async def test_show_full_grants_lists_every_principal(tmp_path):
    app = build_app(out=tmp_path / "p.json")
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot)
        await press(pilot, "enter")
        app.action_show_grants()
        await settle(pilot)
        assert isinstance(app.screen, GrantsScreen)
        text = str(app.screen.query_one("#grants-text").render())
        assert "IAM grants:" in text and "RegistryRole" in text and "Network:" in text
        await press(pilot, "escape")
        assert isinstance(app.screen, QuestionScreen)


async def test_the_palette_offers_the_wizard_commands(tmp_path):
    app = build_app(out=tmp_path / "p.json")
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot)
        await press(pilot, "enter")
        await pilot.press("ctrl+p")
        await settle(pilot)
        await pilot.press(*"full grants")
        await settle(pilot)
        await press(pilot, "enter")
        assert isinstance(app.screen, GrantsScreen)


async def test_save_and_load_a_profile(tmp_path):
    app = build_app(out=tmp_path / "p.json", account_id="111122223333",
                    settings={**EMBEDDED_REQUIRED, "AdminPassword": "correct-horse-battery"})
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot)
        await press(pilot, "enter", "3", "enter")  # pre-created policies
        app.action_save_profile()
        await settle(pilot)
        assert isinstance(app.screen, NameDialog)
        await pilot.press(*"acme-prod")
        await press(pilot, "enter")
        saved = load_profile("acme-prod")
        assert saved.answers["policy_creation"] == "precreated"
        assert saved.accounts["111122223333"]["parameters"]["VPC"] == EMBEDDED_REQUIRED["VPC"]
        assert "correct-horse-battery" not in (user_profiles_dir() / "acme-prod.yaml").read_text()

        app.action_load_profile()
        await settle(pilot)
        assert isinstance(app.screen, ProfileDialog)
        await press(pilot, "down", "enter")  # restricted
        assert app.session.profile == "restricted"
        assert app.session.answers == {}
        assert isinstance(app.screen, QuestionScreen)
        assert app.screen.step == "tighter_security"  # the same question, under the new profile
        assert app.screen.query_one(ChoiceList).current == "yes"


async def test_change_baseline(tmp_path):
    app = build_app(out=tmp_path / "p.json")
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot)
        await press(pilot, "enter")
        app.action_change_baseline()
        await settle(pilot)
        await press(pilot, "end", "enter")  # enterprise (the last; no saved profiles here)
        assert app.session.baseline == "enterprise"
        assert "against the baseline (enterprise)" in app.screen.query_one(DiffPanel).plain
        assert isinstance(app.screen.query_one("#choices"), ChoiceList)


async def test_text_questions_submit_with_enter(tmp_path):
    app = build_app(out=tmp_path / "p.json")
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot)
        await advance_to(pilot, "athena_scope")
        assert app.screen.query_one("#answer", Input).has_focus
        await pilot.press(*"primary")
        await press(pilot, "enter")
        assert app.session.answers["athena_scope"] == "primary"
        assert app.screen.step == "cloudtrail_kms"


async def test_a_profile_that_cannot_be_written_is_one_line(tmp_path, monkeypatch):
    (tmp_path / "file.txt").write_text("not a folder")
    app = build_app(out=tmp_path / "p.json", settings=EMBEDDED_REQUIRED)
    notes: list[tuple[str, str]] = []
    monkeypatch.setattr(app, "notify", lambda message, **kw: notes.append((kw.get("severity", "information"), message)))
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot)
        await press(pilot, "enter")
        monkeypatch.setenv("QUILT_WIZARD_HOME", str(tmp_path / "file.txt" / "home"))
        app.action_save_profile()
        await settle(pilot)
        await pilot.press(*"acme-prod")
        await press(pilot, "enter")
        assert isinstance(app.screen, QuestionScreen) and app.is_running
    [(severity, message)] = notes
    assert severity == "error" and message.startswith("Profile not saved: ") and "\n" not in message
    assert str(tmp_path / "file.txt") in message
