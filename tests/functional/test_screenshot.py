"""The command palette's Screenshot: saved into a folder that exists, and the notification says
where, or why it could not be saved."""

from __future__ import annotations

import pytest

from screens.app import build_app
from tests.functional.helpers import press, settle


@pytest.fixture
def home(tmp_path, monkeypatch):
    """A home folder without Downloads (and no XDG setting naming another)."""
    folder = tmp_path / "home"
    folder.mkdir()
    monkeypatch.setenv("HOME", str(folder))
    for name in ("XDG_DOWNLOAD_DIR", "XDG_CONFIG_HOME"):
        monkeypatch.delenv(name, raising=False)
    return folder


async def _screenshot_from_the_palette(app, monkeypatch) -> list[tuple[str, str]]:
    """Run the palette's Screenshot on the start screen; the notifications as (severity, message)."""
    notes: list[tuple[str, str]] = []
    async with app.run_test(size=(100, 30)) as pilot:
        monkeypatch.setattr(app, "notify", lambda message, **kw: notes.append((kw.get("severity", "information"),
                                                                               message)))
        await settle(pilot)
        await pilot.press("ctrl+p")
        await settle(pilot)
        await pilot.press(*"screenshot")
        await settle(pilot)
        await press(pilot, "enter")
    return notes


async def test_without_downloads_the_screenshot_goes_to_the_current_folder(tmp_path, home, monkeypatch):
    work = tmp_path / "work"
    work.mkdir()
    monkeypatch.chdir(work)
    notes = await _screenshot_from_the_palette(build_app(out=tmp_path / "p.json"), monkeypatch)
    [saved] = list(work.glob("*.svg"))
    assert notes == [("information", f"Saved the screenshot to {saved}")]
    picture = saved.read_text()
    assert "Deploy&#160;the&#160;Quilt&#160;stack" in picture  # the start screen...
    assert "Search&#160;for&#160;commands" not in picture  # ...with the palette closed
    assert not (home / "Downloads").exists()


async def test_the_screenshot_goes_to_downloads_when_it_exists(tmp_path, home, monkeypatch):
    (home / "Downloads").mkdir()
    monkeypatch.chdir(tmp_path)
    notes = await _screenshot_from_the_palette(build_app(out=tmp_path / "p.json"), monkeypatch)
    [saved] = list((home / "Downloads").glob("*.svg"))
    assert notes == [("information", f"Saved the screenshot to {saved}")]


async def test_a_screenshot_that_cannot_be_saved_says_why(tmp_path, home, monkeypatch):
    gone = tmp_path / "gone"
    gone.mkdir()
    monkeypatch.chdir(gone)
    gone.rmdir()  # the folder the wizard was started in is removed
    taken = tmp_path / "taken"
    taken.write_text("")
    monkeypatch.setenv("QUILT_WIZARD_HOME", str(taken))  # a file where the data folder should be
    notes = await _screenshot_from_the_palette(build_app(out=tmp_path / "p.json"), monkeypatch)
    assert notes == [("error", f"Screenshot not saved: neither {home / 'Downloads'} nor the current folder can be "
                               f"written to, and cannot write {taken / 'data'}: Not a directory")]
