"""The command palette's Screenshot: an SVG of the screen, saved into a folder that exists.

Textual saves it into the user's Downloads folder and, when there is none, only says that it
failed. The wizard saves it into Downloads when that folder exists, else into the current
folder, else into the quilt-wizard data folder (``$QUILT_WIZARD_HOME/data`` when that is set),
and says in a notification which file it wrote or why it could not.
"""

from __future__ import annotations

import os
from pathlib import Path

from platformdirs import user_downloads_path
from textual.app import App

from wizard.errors import write_failure
from wizard.paths import user_dir


def _writable_folder(path: Path | None) -> bool:
    return path is not None and path.is_dir() and os.access(path, os.W_OK | os.X_OK)


def _current_folder() -> Path | None:
    try:
        return Path.cwd()
    except OSError:  # the folder the wizard was started in was removed since
        return None


def screenshot_folder() -> Path:
    """Where a screenshot goes: Downloads, else the current folder, else the data folder
    (created). Raises OSError when not even the data folder can be made."""
    for folder in (user_downloads_path(), _current_folder()):
        if _writable_folder(folder):
            return folder
    data = user_dir("data")
    data.mkdir(parents=True, exist_ok=True)
    return data


def save_screenshot(app: App, filename: str | None = None, folder: str | None = None) -> tuple[str, str]:
    """Save an SVG of ``app``'s screen (into ``folder`` when given, else ``screenshot_folder()``):
    (severity, message) for the notification, naming the file written or why none was."""
    try:
        folder = folder or str(screenshot_folder())
    except OSError as exc:
        return "error", (f"Screenshot not saved: neither {user_downloads_path()} nor the current folder can be "
                         f"written to, and {write_failure(exc)}")
    try:
        written = app.save_screenshot(filename, path=folder)
    except OSError as exc:
        return "error", f"Screenshot not saved: {write_failure(exc)}"
    return "information", f"Saved the screenshot to {written}"
