"""The wizard in a real terminal (tmux, 100x30), driven with keys as a person would.

Standard mode is walked to the end with enter on every screen; the required parameters come
from ``--set``. The test reads the screen with ``capture-pane`` (polling with a deadline, no
fixed sleeps) and checks the parameter file. The tmux session is always killed.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import time
import uuid
from pathlib import Path

import pytest

from tests.functional.helpers import EMBEDDED_REQUIRED

pytestmark = pytest.mark.slow

TIMEOUT = 60.0


def _command() -> list[str]:
    script = Path(sys.executable).with_name("quilt-wizard")
    return [str(script)] if script.is_file() else [sys.executable, "-m", "wizard"]


def _tmux(*args: str) -> str:
    return subprocess.run(["tmux", *args], capture_output=True, text=True, timeout=30, check=True).stdout


def _screen(session: str) -> str:
    return _tmux("capture-pane", "-p", "-t", session)


def _wait_for(session: str, text: str, timeout: float = TIMEOUT) -> str:
    deadline = time.monotonic() + timeout
    shown = ""
    while time.monotonic() < deadline:
        shown = _screen(session)
        if text in shown:
            return shown
        time.sleep(0.1)
    raise AssertionError(f"{text!r} never appeared; the screen shows:\n{shown}")


def _alive(session: str) -> bool:
    return subprocess.run(["tmux", "has-session", "-t", session], capture_output=True, timeout=30).returncode == 0


def _header(shown: str) -> str:
    return shown.splitlines()[0] if shown else ""


def _enter_until_the_write_screen(session: str, shown: str) -> str:
    """Accept every screen's default with Enter until the write screen shows; its screen text."""
    for _ in range(40):
        if "Write the parameter file" in shown:
            return shown
        header = _header(shown)
        _tmux("send-keys", "-t", session, "Enter")
        shown = _wait_for_change_of_header(session, header)
    raise AssertionError(f"never reached the write screen:\n{shown}")


@pytest.mark.skipif(shutil.which("tmux") is None, reason="tmux is not installed")
def test_standard_mode_to_the_end_in_tmux(tmp_path):
    out = tmp_path / "quilt-parameters.json"
    home = tmp_path / "home"
    sets = [part for name, value in EMBEDDED_REQUIRED.items() for part in ("--set", f"{name}={value}")]
    command = [*_command(), "--out", str(out), *sets]
    session = f"qw-e2e-{uuid.uuid4().hex[:8]}"
    env = {"QUILT_WIZARD_HOME": str(home), "TERM": "xterm-256color"}
    environment = [part for key, value in env.items() for part in ("-e", f"{key}={value}")]
    _tmux("new-session", "-d", "-s", session, "-x", "100", "-y", "30", *environment,
          "-c", str(tmp_path), subprocess.list2cmdline(command))
    try:
        shown = _wait_for(session, "Deploy the Quilt stack")
        shown = _enter_until_the_write_screen(session, shown)
        _tmux("send-keys", "-t", session, "Enter")
        shown = _wait_for(session, "Wrote")
        assert out.name in "".join(line.strip() for line in shown.splitlines())  # the path may wrap
        assert "Template:" in shown and "Parameters" in shown  # the summary follows
        assert out.is_file()
        values = {item["ParameterKey"]: item["ParameterValue"] for item in json.loads(out.read_text())}
        assert values["PolicyCreationMode"] == "Automatic"
        assert values["QuiltWebHost"] == EMBEDDED_REQUIRED["QuiltWebHost"]
        _tmux("send-keys", "-t", session, "Enter")  # enter closes the wizard
        deadline = time.monotonic() + TIMEOUT
        while time.monotonic() < deadline and _alive(session):
            time.sleep(0.1)
        assert not _alive(session)
        assert not (home / "data" / "draft.yaml").exists()
    finally:
        subprocess.run(["tmux", "kill-session", "-t", session], capture_output=True, timeout=30)


def _wait_for_change_of_header(session: str, header: str, timeout: float = TIMEOUT) -> str:
    """Wait until the step line at the top changes (the next screen is up), then until it is still."""
    deadline = time.monotonic() + timeout
    shown = _screen(session)
    while time.monotonic() < deadline and _header(shown) == header:
        time.sleep(0.1)
        shown = _screen(session)
    if _header(shown) == header:
        raise AssertionError(f"enter did not move on from {header!r}:\n{shown}")
    return shown
