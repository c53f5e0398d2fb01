"""The live panel: what the highlighted answer adds and removes, before anything is confirmed."""

from __future__ import annotations

from textual.widgets import Input

from screens.app import build_app
from screens.widgets.choice_list import ChoiceList
from screens.widgets.diff_panel import DiffPanel
from tests.functional.helpers import EMBEDDED_REQUIRED, advance_to, press, settle


def _signed(text: str, sign: str) -> list[str]:
    return [line for line in text.splitlines() if line.startswith(f"  {sign} ")]


async def test_moving_the_highlight_changes_the_panel_before_confirming(tmp_path):
    app = build_app(out=tmp_path / "p.json")
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot)
        await advance_to(pilot, "policy_creation")
        panel = app.screen.query_one(DiffPanel)
        assert "no change" in panel.plain
        assert not _signed(panel.plain, "+") and not _signed(panel.plain, "-")
        shown = app.screen.previews_shown

        await press(pilot, "down")  # Manual approval, not confirmed
        assert app.screen.previews_shown > shown
        manual = panel.plain
        assert "Manual approval" in manual.splitlines()[0]
        assert _signed(manual, "+") and _signed(manual, "-")
        assert "RegistryRole" in manual
        assert "iam:CreatePolicy" in "\n".join(_signed(manual, "-"))
        assert "+8 grants  -2  BROADENING" in manual
        assert "policy_creation" not in app.session.answers  # nothing confirmed yet

        await press(pilot, "down")  # Pre-created
        precreated = panel.plain
        assert precreated != manual
        assert "not broadening" in precreated

        await press(pilot, "up", "up")  # back on the answer in force
        assert "no change" in panel.plain
        assert "policy_creation" not in app.session.answers


async def test_number_keys_pick_a_choice_and_network_changes_are_listed(tmp_path):
    app = build_app(out=tmp_path / "p.json")
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot)
        await advance_to(pilot, "internal_port")
        await press(pilot, "3")
        choices = app.screen.query_one(ChoiceList)
        assert choices.highlighted_value == "disabled"
        plain = app.screen.query_one(DiffPanel).plain
        assert "Network" in plain
        assert any("444" in line for line in _signed(plain, "-"))
        await press(pilot, "enter")
        assert app.session.answers["internal_port"] == "disabled"


async def test_broadening_is_marked_on_the_panel(tmp_path):
    app = build_app(out=tmp_path / "p.json")
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot)
        await advance_to(pilot, "cloudwatch")
        await press(pilot, "1")
        panel = app.screen.query_one(DiffPanel)
        assert "BROADENING" in panel.plain
        assert "broadening" in "\n".join(_signed(panel.plain, "+"))
        assert panel.has_class("-broadening")
        await press(pilot, "2")
        assert not panel.has_class("-broadening")


async def test_chosen_frameworks_head_the_panel(tmp_path):
    app = build_app(out=tmp_path / "p.json")
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot)
        await advance_to(pilot, "frameworks")
        await press(pilot, "1", "2")  # tick SOC 2 and HIPAA
        assert app.screen.query_one(ChoiceList).checked_values == ["soc2", "hipaa"]
        await press(pilot, "enter")
        assert app.session.answers["frameworks"] == ["soc2", "hipaa"]
        assert app.screen.step == "timeline"
        assert "Frameworks: SOC 2, HIPAA" in app.screen.query_one(DiffPanel).plain


async def test_typing_a_bucket_prefix_scopes_the_s3_grants_live(tmp_path):
    app = build_app(out=tmp_path / "p.json", settings=EMBEDDED_REQUIRED)
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot)
        await advance_to(pilot, "bucket_scope")
        app.screen.query_one("#answer", Input).value = "acme-quilt-"
        await settle(pilot)
        plain = app.screen.query_one(DiffPanel).plain
        assert "arn:aws:s3:::acme-quilt-*" in "\n".join(_signed(plain, "+"))
        assert _signed(plain, "-")
        assert "bucket_scope" not in app.session.answers


async def test_a_click_on_a_choice_moves_the_highlight_and_the_panel(tmp_path):
    app = build_app(out=tmp_path / "p.json")
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot)
        await advance_to(pilot, "policy_creation")
        choices = app.screen.query_one(ChoiceList)
        await pilot.click(ChoiceList, offset=(6, choices.region.height - 1))  # the last line: pre-created
        await settle(pilot)
        assert choices.highlighted_value == "precreated"
        assert "Pre-created" in app.screen.query_one(DiffPanel).plain.splitlines()[0]
        assert "policy_creation" not in app.session.answers


async def test_a_prefetched_choice_reaches_the_panel_with_the_highlight_and_no_worker(tmp_path):
    """After the first preview the screen computes every choice's ahead; moving the highlight
    then shows it at once (the list tells the screen directly, not through a message that
    arrives after the frame), with no worker started, and what it shows is what a worker
    computes for that choice in that state."""
    app = build_app(out=tmp_path / "p.json")
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot)
        await advance_to(pilot, "policy_creation")
        screen = app.screen
        panel = screen.query_one(DiffPanel)
        choices = screen.query_one(ChoiceList)
        started: list[str] = []
        original = screen.compute_preview
        screen.compute_preview = lambda *args: started.append(args[2]) or original(*args)
        choices.highlighted = 1  # no await: the panel follows before the next frame can be painted
        assert "Manual approval" in panel.plain.splitlines()[0] and "+8 grants  -2  BROADENING" in panel.plain
        await pilot.pause()
        assert not started and "Manual approval" in panel.plain.splitlines()[0]
        # A new state of the session (another answer in force) is not served from what was kept.
        question = app.session.question("policy_creation")
        title = screen.title_for("manual")
        kept = app.session.known_preview(question, "manual", title)
        assert kept is not None and kept == app.session._compute_preview(question, "manual", title)
        app.session.answers["policy_creation"] = "manual"
        assert app.session.known_preview(question, "manual", title) is None
