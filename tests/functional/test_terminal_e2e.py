"""The wizard in a real terminal (tmux, 100x30), driven with keys as a person would.

Standard mode is walked to the end with enter on every screen; the required parameters come
from ``--set``. The test reads the screen with ``capture-pane`` (``tests.functional.tmux``)
and checks the parameter file.
"""

from __future__ import annotations

import json
import shutil
import time

import pytest

from tests.functional import tmux
from tests.functional.helpers import EMBEDDED_REQUIRED

pytestmark = pytest.mark.slow


@pytest.mark.skipif(shutil.which("tmux") is None, reason="tmux is not installed")
def test_standard_mode_to_the_end_in_tmux(tmp_path):
    out = tmp_path / "quilt-parameters.json"
    home = tmp_path / "home"
    sets = [part for name, value in EMBEDDED_REQUIRED.items() for part in ("--set", f"{name}={value}")]
    session = tmux.start(tmp_path, [*tmux.command(), "--out", str(out), *sets], width=100, height=30, prefix="qw-e2e")
    try:
        shown = tmux.wait_for(session, "Deploy the Quilt stack")
        # Laid out for the pane, whatever size the terminal that started the tmux server had.
        widest = max(len(line.rstrip()) for line in shown.splitlines())
        assert tmux.size(session) == (100, 30) and widest > 95, shown
        shown = tmux.enter_until_the_write_screen(session, shown)
        tmux.tmux("send-keys", "-t", session, "Enter")
        shown = tmux.wait_for(session, "Wrote")
        assert out.name in "".join(line.strip() for line in shown.splitlines())  # the path may wrap
        shown = tmux.wait_for(session, "Template:")  # the summary follows, the answers first
        assert "Answers" in shown and "Internet-facing" in shown
        assert out.is_file()
        values = {item["ParameterKey"]: item["ParameterValue"] for item in json.loads(out.read_text())}
        assert values["PolicyCreationMode"] == "Automatic"
        assert values["QuiltWebHost"] == EMBEDDED_REQUIRED["QuiltWebHost"]
        tmux.tmux("send-keys", "-t", session, "Enter")  # enter closes the wizard
        deadline = time.monotonic() + tmux.TIMEOUT
        while time.monotonic() < deadline and tmux.alive(session):
            time.sleep(0.1)
        assert not tmux.alive(session)
        assert not (home / "data" / "draft.yaml").exists()
    finally:
        tmux.kill(session)
