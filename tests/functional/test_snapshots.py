"""Snapshots of each screen at 100x30 (and the question screen at 80x24 and in the light theme);
the change-set screen's after a change set was created on moto's server, named so nothing varies.

Regenerate after a deliberate change with ``pytest --snapshot-update`` and look at the SVGs
before accepting them. Cursor blink is off so the pictures are stable.
"""

from __future__ import annotations

import pytest
from textual.widgets import Input

from screens.app import build_app
from tests.functional.helpers import EMBEDDED_REQUIRED, advance_to, press, settle

SIZE = (100, 30)


@pytest.fixture(autouse=True)
def colour(monkeypatch):
    """Snapshots in colour (the shared fixtures set NO_COLOR for plain command output)."""
    monkeypatch.delenv("NO_COLOR", raising=False)


def _app():
    return build_app(out="quilt-parameters.json", settings=EMBEDDED_REQUIRED)


async def _still(pilot) -> None:
    await settle(pilot)
    for field in pilot.app.screen.query(Input):
        field.cursor_blink = False
    await pilot.pause()


def _walk(step: str, *keys: str, theme: str | None = None):
    async def run_before(pilot) -> None:
        await settle(pilot)
        if theme:
            pilot.app.theme = theme
        await advance_to(pilot, step)
        await press(pilot, *keys)
        await _still(pilot)

    return run_before


def test_start_screen(snap_compare):
    assert snap_compare(_app(), terminal_size=SIZE, run_before=_walk("start"))


def test_question_screen_with_the_panel(snap_compare):
    assert snap_compare(_app(), terminal_size=SIZE, run_before=_walk("policy_creation", "down"))


def test_question_screen_light_theme(snap_compare):
    assert snap_compare(_app(), terminal_size=SIZE,
                        run_before=_walk("cloudwatch", "1", theme="textual-light"))


def test_question_screen_at_80x24(snap_compare):
    assert snap_compare(_app(), terminal_size=(80, 24), run_before=_walk("internal_port", "3"))


def test_text_question_refusing_a_wildcard(snap_compare):
    assert snap_compare(_app(), terminal_size=SIZE, run_before=_walk("bucket_scope", "a", "c", "m", "e", "*"))


def test_parameters_screen(snap_compare):
    assert snap_compare(_app(), terminal_size=SIZE, run_before=_walk("parameters"))


def test_review_screen(snap_compare):
    assert snap_compare(_app(), terminal_size=SIZE, run_before=_walk("review"))


def test_change_set_screen_with_its_changes(snap_compare, endpoint, moto_session, tmp_path):
    moto_session.client("s3").create_bucket(Bucket="acme-cfn-templates")
    app = build_app(out=tmp_path / "quilt-parameters.json", settings=EMBEDDED_REQUIRED, endpoint_url=endpoint,
                    template_bucket="acme-cfn-templates")

    async def run_before(pilot) -> None:
        await settle(pilot)
        await advance_to(pilot, "write")
        await press(pilot, "enter", "c")
        pilot.app.screen.query_one("#change-set-name", Input).value = "quilt-review"
        pilot.app.screen.query_one("#run").focus()
        await press(pilot, "enter")
        await _still(pilot)

    assert snap_compare(app, terminal_size=SIZE, run_before=run_before)
