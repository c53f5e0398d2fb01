"""The security report from the wizard: ``r`` on the review screen and the palette's command."""

from __future__ import annotations

from textual.widgets import Input

from screens.app import REPORT_FOLDER, build_app
from screens.dialogs import NameDialog
from screens.questions.question import QuestionScreen
from tests.functional.helpers import EMBEDDED_REQUIRED, advance_to, press, settle

SECRET = "correct-horse-battery"


def _notes(app, monkeypatch) -> list[tuple[str, str]]:
    """Record the app's notifications as (severity, message)."""
    notes: list[tuple[str, str]] = []
    monkeypatch.setattr(app, "notify", lambda message, **kw: notes.append((kw.get("severity", "information"), message)))
    return notes


async def test_r_on_the_review_writes_both_files_without_secrets(tmp_path, monkeypatch):
    app = build_app(out=tmp_path / "p.json", profile="restricted",  # restricted requires the prefix
                    settings={**EMBEDDED_REQUIRED, "AdminPassword": SECRET, "CustomerBucketPrefix": "acme-quilt-",
                              "ApproverPrincipalArn": "arn:aws:iam::123456789012:role/quilt-approver"})
    notes = _notes(app, monkeypatch)
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot)
        await advance_to(pilot, "review")
        await press(pilot, "r")
        dialog = app.screen
        assert isinstance(dialog, NameDialog)
        assert dialog.query_one("#dialog-input", Input).value == REPORT_FOLDER
        dialog.query_one("#dialog-input", Input).value = str(tmp_path / "report")
        await press(pilot, "enter")
    markdown = (tmp_path / "report" / "security-report.md").read_text()
    html = (tmp_path / "report" / "security-report.html").read_text()
    [(severity, message)] = notes
    folder = tmp_path / "report"
    assert severity == "information" and message.endswith(" findings)")
    assert message.startswith(f"Wrote {folder / 'security-report.md'} and {folder / 'security-report.html'} (")
    assert SECRET not in markdown and SECRET not in html
    assert "| AdminPassword | \\*\\*\\*\\* | NoEcho (masked) |" in markdown
    assert "| mode | restricted |" in markdown
    assert "| How should IAM policies be created when buckets are connected? | manual |" in markdown


async def test_the_palette_writes_the_report_into_the_default_folder(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    app = build_app(out=tmp_path / "p.json", settings=EMBEDDED_REQUIRED)
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot)
        await press(pilot, "enter")
        assert isinstance(app.screen, QuestionScreen)  # mid-run: the report is of the answers so far
        await pilot.press("ctrl+p")
        await settle(pilot)
        await pilot.press(*"security report")
        await settle(pilot)
        await press(pilot, "enter")
        assert isinstance(app.screen, NameDialog)
        await press(pilot, "enter")
        assert isinstance(app.screen, QuestionScreen)
    folder = tmp_path / "quilt-security-report"
    assert (folder / "security-report.md").is_file() and (folder / "security-report.html").is_file()


async def test_a_report_folder_that_is_a_file_is_one_clear_error(tmp_path, monkeypatch):
    taken = tmp_path / "taken"
    taken.write_text("")
    app = build_app(out=tmp_path / "p.json", settings=EMBEDDED_REQUIRED)
    notes = _notes(app, monkeypatch)
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot)
        await press(pilot, "enter")
        app.action_write_report()
        await settle(pilot)
        app.screen.query_one("#dialog-input", Input).value = str(taken)
        await press(pilot, "enter")
    assert notes == [("error", f"Security report not written: {taken}: exists and is not a folder")]
