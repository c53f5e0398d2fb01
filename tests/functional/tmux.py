"""Driving the wizard in a real terminal (tmux), for the end-to-end tests: start a command in a
pane of a given size, read the screen with ``capture-pane`` (polling with a deadline, no fixed
sleeps), press keys, and always kill the session.

A tmux server keeps the environment of whoever started it: ``COLUMNS`` and ``LINES`` there
would make the wizard lay itself out for that size instead of the pane's, so every command is
started without them; the paths on ``PYTHONPATH`` are made absolute, since the command runs in
the test's own folder.
"""

from __future__ import annotations

import os
import shlex
import subprocess
import sys
import time
import uuid
from pathlib import Path
from typing import Callable

TIMEOUT = 60.0


def command() -> list[str]:
    """The installed ``quilt-wizard``, or the module run by this interpreter."""
    script = Path(sys.executable).with_name("quilt-wizard")
    return [str(script)] if script.is_file() else [sys.executable, "-m", "wizard"]


def tmux(*args: str) -> str:
    return subprocess.run(["tmux", *args], capture_output=True, text=True, timeout=30, check=True).stdout


def start(folder: Path, argv: list[str], *, width: int, height: int, prefix: str = "qw") -> str:
    """Start ``argv`` in a new session of ``width`` x ``height`` in ``folder`` (the wizard's home
    under it), with this process's AWS environment; the session's name."""
    session = f"{prefix}-{uuid.uuid4().hex[:8]}"
    env = {"QUILT_WIZARD_HOME": str(folder / "home"), "TERM": "xterm-256color",
           **{k: v for k, v in os.environ.items() if k.startswith("AWS_") or k.lower() == "no_proxy"}}
    paths = [path for path in os.environ.get("PYTHONPATH", "").split(os.pathsep) if path]
    env["PYTHONPATH"] = os.pathsep.join(map(os.path.abspath, paths))
    environment = [part for key, value in env.items() for part in ("-e", f"{key}={value}")]
    tmux("new-session", "-d", "-s", session, "-x", str(width), "-y", str(height), *environment,
         "-c", str(folder), shlex.join(["env", "-u", "COLUMNS", "-u", "LINES", *argv]))
    return session


def kill(session: str) -> None:
    subprocess.run(["tmux", "kill-session", "-t", session], capture_output=True, timeout=30)


def alive(session: str) -> bool:
    return subprocess.run(["tmux", "has-session", "-t", session], capture_output=True, timeout=30).returncode == 0


def screen(session: str) -> str:
    return tmux("capture-pane", "-p", "-t", session)


def size(session: str) -> tuple[int, int]:
    """The pane's (columns, rows)."""
    columns, rows = tmux("display-message", "-p", "-t", session, "#{pane_width} #{pane_height}").split()
    return int(columns), int(rows)


def history(session: str) -> str:
    """Everything the pane has shown, its scrollback included, wrapped lines joined."""
    return tmux("capture-pane", "-p", "-J", "-S", "-", "-t", session)


def wait_for(session: str, text: str, timeout: float = TIMEOUT, *, read: Callable[[str], str] = screen) -> str:
    """What ``read`` (the screen, or the whole ``history``) shows once ``text`` is in it."""
    deadline = time.monotonic() + timeout
    shown = ""
    while time.monotonic() < deadline:
        shown = read(session)
        if text in shown:
            return shown
        time.sleep(0.1)
    raise AssertionError(f"{text!r} never appeared; the pane shows:\n{shown}")


def header(shown: str) -> str:
    return shown.splitlines()[0] if shown else ""


def wait_for_change_of_header(session: str, before: str, timeout: float = TIMEOUT) -> str:
    """Wait until the step line at the top changes (the next screen is up)."""
    deadline = time.monotonic() + timeout
    shown = screen(session)
    while time.monotonic() < deadline and header(shown) == before:
        time.sleep(0.1)
        shown = screen(session)
    if header(shown) == before:
        raise AssertionError(f"enter did not move on from {before!r}:\n{shown}")
    return shown


def enter_until_the_write_screen(session: str, shown: str) -> str:
    """Accept every screen's default with Enter until the write screen shows; its screen text."""
    for _ in range(40):
        if "Write the parameter file" in shown:
            return shown
        before = header(shown)
        tmux("send-keys", "-t", session, "Enter")
        shown = wait_for_change_of_header(session, before)
    raise AssertionError(f"never reached the write screen:\n{shown}")
