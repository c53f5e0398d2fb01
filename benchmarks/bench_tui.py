"""Textual wizard benchmarks: launch to the first interactive screen, and highlight to panel.

Run: ``.venv/bin/python benchmarks/bench_tui.py``. Prints median milliseconds.

- launch: a fresh interpreter imports the app, builds it and runs it headless until the
  start screen is mounted (what a person waits for after typing ``quilt-wizard``);
- first panel: from Enter on the start screen to the first question's panel showing its
  preview, pressed at once or once the start screen's idle-time work is done, with a fresh
  home and a warmed one;
- panel: from a highlight move (or a typed value) on a question screen to the panel showing
  its diff, measured inside the app, cold (caches cleared) and warm (the choice seen before).
  On the embedded template and on the real one when it is present.
"""

from __future__ import annotations

import asyncio
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from benchmarks._timing import REAL, report  # noqa: E402

LAUNCH = """
import time
start = time.perf_counter()
import asyncio
from screens.app import build_app
from screens.questions.start import StartScreen

async def main():
    app = build_app()
    async with app.run_test(size=(100, 30)) as pilot:
        while not (isinstance(app.screen, StartScreen) and app.screen.is_mounted):
            await asyncio.sleep(0)
        print((time.perf_counter() - start) * 1000)

asyncio.run(main())
"""


def launch_ms(runs: int = 5) -> float:
    env = {**os.environ, "QUILT_WIZARD_HOME": tempfile.mkdtemp(prefix="qw-bench-")}
    samples = []
    for _ in range(runs):
        proc = subprocess.run([sys.executable, "-c", LAUNCH], cwd=ROOT, env=env, capture_output=True, text=True,
                              check=True, timeout=120)
        samples.append(float(proc.stdout.strip().splitlines()[-1]))
    return statistics.median(samples)


def _time_panel_shows(panel_class) -> tuple[list[float], object]:
    """Record when the panel shows a preview: (the times, filled as it shows; the original method,
    which the caller puts back)."""
    shown: list[float] = []
    original = panel_class.show_preview

    def timed(self, preview):
        original(self, preview)
        shown.append(time.perf_counter())

    panel_class.show_preview = timed
    return shown, original


async def panel_ms(template: str | None, settings: dict[str, str], question: str,
                   moves: list[tuple[str, object]]) -> tuple[float, float]:
    """(cold, warm) median ms from a candidate change to the panel updated."""
    from screens.app import build_app
    from screens.questions.question import QuestionScreen
    from screens.widgets.choice_list import ChoiceList
    from screens.widgets.diff_panel import DiffPanel
    from wizard.iam import analysis

    QuestionScreen.DEBOUNCE_SECONDS = 0
    shown, original = _time_panel_shows(DiffPanel)
    os.environ["QUILT_WIZARD_HOME"] = tempfile.mkdtemp(prefix="qw-bench-")  # no draft from an earlier run
    app = build_app(template_path=template, settings=settings)
    cold, warm = [], []
    try:
        async with app.run_test(size=(100, 30)) as pilot:
            await pilot.pause()
            for _ in range(40):
                if getattr(app.screen, "step", None) == question:
                    break
                previous = app.screen
                await pilot.press("enter")
                deadline = time.monotonic() + 30
                while (app.screen is previous or not app.screen.is_mounted) and time.monotonic() < deadline:
                    await asyncio.sleep(0.005)
                await app.workers.wait_for_complete()
                await pilot.pause()
            screen = app.screen
            assert screen.step == question, screen
            for round_ in range(10):
                is_cold = round_ % 2 == 0
                if is_cold:
                    analysis._analyse.cache_clear()
                    analysis._compare.cache_clear()
                    app.session._against.clear()
                for kind, value in moves:
                    before = len(shown)
                    start = time.perf_counter()
                    if kind == "highlight":
                        screen.query_one(ChoiceList).highlighted = value
                    else:
                        screen.query_one("#answer").value = value
                    deadline = time.monotonic() + 30
                    while len(shown) == before and time.monotonic() < deadline:
                        await asyncio.sleep(0)
                    (cold if is_cold else warm).append((shown[-1] - start) * 1000)
    finally:
        DiffPanel.show_preview = original
    return statistics.median(cold), statistics.median(warm)


async def first_panel_ms(template: str | None, settings: dict[str, str], home: str, idle: bool) -> float:
    """Ms from Enter on the start screen to the first question's panel showing its preview:
    Enter pressed once the start screen's idle-time work is done (``idle``) or at once."""
    from screens.app import build_app
    from screens.questions.start import StartScreen
    from screens.widgets.diff_panel import DiffPanel

    shown, original = _time_panel_shows(DiffPanel)
    os.environ["QUILT_WIZARD_HOME"] = home
    app = build_app(template_path=template, settings=settings)
    try:
        async with app.run_test(size=(100, 30)) as pilot:
            while not (isinstance(app.screen, StartScreen) and app.screen.is_mounted):
                await asyncio.sleep(0)
            while idle and not (app.screen.is_prepared and not any(w.is_running for w in app.workers)):
                await app.workers.wait_for_complete()
                await pilot.pause()
            start = time.perf_counter()
            await pilot.press("enter")
            deadline = time.monotonic() + 60
            while not shown and time.monotonic() < deadline:
                await asyncio.sleep(0.001)
            elapsed = (shown[0] - start) * 1000
            await app.workers.wait_for_complete()
    finally:
        DiffPanel.show_preview = original
    return elapsed


def first_panel(template: str | None, settings: dict[str, str], runs: int = 3) -> dict[str, float]:
    """Medians of ``first_panel_ms``: a fresh home each time (a fresh install) at once and after
    the idle time, and a home warmed by a first run after the idle time."""
    warm_home = tempfile.mkdtemp(prefix="qw-bench-")
    asyncio.run(first_panel_ms(template, settings, warm_home, idle=True))
    figures: dict[str, list[float]] = {"fresh, at once": [], "fresh, after idle": [], "warm, after idle": []}
    for _ in range(runs):
        for name, home, idle in (("fresh, at once", tempfile.mkdtemp(prefix="qw-bench-"), False),
                                 ("fresh, after idle", tempfile.mkdtemp(prefix="qw-bench-"), True),
                                 ("warm, after idle", warm_home, True)):
            for draft in Path(home).rglob("draft*"):
                draft.unlink()  # no unfinished run offered: Enter goes to the first question
            figures[name].append(asyncio.run(first_panel_ms(template, settings, home, idle)))
    return {name: statistics.median(values) for name, values in figures.items()}


def main() -> None:
    from tests.conftest import REAL_REQUIRED
    from tests.functional.helpers import EMBEDDED_REQUIRED

    report("launch to the start screen (fresh interpreter)", launch_ms(), target="< 1500 ms")
    cold, warm = asyncio.run(panel_ms(None, EMBEDDED_REQUIRED, "tighter_security",
                                      [("highlight", 0), ("highlight", 1)]))
    report("embedded: highlight -> panel, first visit (cold caches)", cold, target="< 50 ms")
    report("embedded: highlight -> panel, revisit", warm, target="< 50 ms")
    cold, warm = asyncio.run(panel_ms(None, EMBEDDED_REQUIRED, "bucket_scope",
                                      [("type", "acme-quilt-"), ("type", "")]))
    report("embedded: typed bucket prefix -> panel, first (cold)", cold, target="< 50 ms")
    report("embedded: typed bucket prefix -> panel, revisit", warm, target="< 50 ms")
    for name, value in first_panel(None, EMBEDDED_REQUIRED).items():
        report(f"embedded: Enter -> first panel, {name}", value, target="< 500 ms")
    if not REAL.is_file():
        print(f"real template absent ({REAL}); skipped")
        return
    targets = {"fresh, after idle": "<= 1000 ms", "warm, after idle": "<= 500 ms"}
    for name, value in first_panel(str(REAL), REAL_REQUIRED).items():
        report(f"real: Enter -> first panel, {name}", value, target=targets.get(name, ""))
    cold, warm = asyncio.run(panel_ms(str(REAL), REAL_REQUIRED, "timeline",
                                      [("highlight", 1), ("highlight", 0)]))
    report("real: highlight -> panel, first visit (cold caches)", cold, target="< 50 ms")
    report("real: highlight -> panel, revisit", warm, target="< 50 ms")
    cold, warm = asyncio.run(panel_ms(str(REAL), REAL_REQUIRED, "host",
                                      [("type", "quilt.acme.com"), ("type", "quilt.example.com")]))
    report("real: typed host name -> panel, first (cold)", cold, target="< 50 ms")
    report("real: typed host name -> panel, revisit", warm, target="< 50 ms")


if __name__ == "__main__":
    main()
