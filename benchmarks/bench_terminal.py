"""What a person sees in a real terminal: the wizard driven in a pseudo-terminal, timed from the
key pressed to the frame that shows the answer.

Run: ``.venv/bin/python benchmarks/bench_terminal.py``. Prints medians in milliseconds, each
beside the largest peak RSS of the wizard processes it was measured in. ``bench_tui.py`` times
the same screens inside a headless app, where nothing is drawn; here ``python -m wizard`` runs
on a 100x30 pseudo-terminal (xterm-256color, true colour) that answers the query for
synchronized output, so a frame counts once its end has been read.

- launch: from starting the process to the start screen on screen, with a fresh home (no cache
  folder: a fresh install) and with a home warmed by an earlier run;
- first question, cold: Enter pressed as soon as the start screen shows, to the question's title
  and to its panel showing the preview ("If you choose …"), each sample in a fresh process
  with a fresh home (target under 500 ms for the panel);
- live panel, warm: on the first question, once its panel is shown and the other choices had a
  second to be computed, Down and Up move the highlight; timed to the panel's new title on
  screen, against the repaint floor: Down and Up on the start screen's mode list, where moving
  the highlight repaints the list and nothing else. The ratio's target is 1.5x. ctrl+t (the
  theme) is timed too, as a repaint of the whole screen.

Exits 1, printing the last screen, when the wizard does not show an expected text within 30 s.
"""

from __future__ import annotations

import os
import statistics
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks._terminal import Stuck, Terminal  # noqa: E402
from benchmarks._timing import ROOT, report  # noqa: E402
from tests.functional.helpers import EMBEDDED_REQUIRED  # noqa: E402

COLUMNS, ROWS = 100, 30
COLD_RUNS, WARM_RUNS = 5, 5
MOVES_PER_RUN, THEMES_PER_RUN = 6, 2
START = "Deploy the Quilt stack"
QUESTION = "How should IAM policies be created"
PANEL = "If you choose"
#: A highlight move and the start of the panel's title it leads to (the title's first line).
MOVES = (("down", "If you choose “Manual approval"), ("up", "If you choose “Automatic"))


def wizard_command() -> list[str]:
    settings = [arg for name, value in EMBEDDED_REQUIRED.items() for arg in ("--set", f"{name}={value}")]
    return [sys.executable, "-m", "wizard", *settings]


class Samples:
    """Milliseconds per figure, and the peak RSS (MiB) of the processes behind each group."""

    def __init__(self) -> None:
        self.ms: dict[str, list[float]] = {}
        self.peaks: dict[str, list[float]] = {}

    def add(self, figure: str, seconds: float) -> None:
        self.ms.setdefault(figure, []).append(seconds * 1000)

    def median(self, figure: str) -> float:
        return statistics.median(self.ms[figure])

    def count(self, figure: str) -> int:
        return len(self.ms[figure])


def cold_run(home: Path, samples: Samples) -> None:
    """A fresh home: launch, then Enter at once, to the first question and its panel."""
    terminal = Terminal(wizard_command(), ROOT, home, COLUMNS, ROWS)
    try:
        samples.add("cold launch", terminal.shown(START, terminal.started))
        enter = terminal.press("enter")
        samples.add("cold title", terminal.shown(QUESTION, enter))
        samples.add("cold panel", terminal.shown(PANEL, enter))
        terminal.quiet(at_least=1.0)  # the caches written, for the warm runs
    except BaseException:
        terminal.kill()
        raise
    samples.peaks.setdefault("cold", []).append(terminal.close())


def warm_run(home: Path, samples: Samples) -> None:
    """A warmed home: launch, the first question, then highlight moves and theme toggles."""
    terminal = Terminal(wizard_command(), ROOT, home, COLUMNS, ROWS)
    try:
        samples.add("warm launch", terminal.shown(START, terminal.started))
        terminal.quiet()
        for key in ("down", "up") * (MOVES_PER_RUN // 2):
            # The floor: the mode list on the start screen moves its highlight and nothing else.
            first_bytes, first_frame = terminal.first_output(terminal.press(key))
            samples.add("floor bytes", first_bytes)
            samples.add("floor frame", first_frame)
            terminal.quiet()
        enter = terminal.press("enter")
        samples.add("warm panel first", terminal.shown(PANEL, enter))
        terminal.quiet(at_least=1.0)  # the other choices prefetched
        for move in range(MOVES_PER_RUN):
            key, title = MOVES[move % len(MOVES)]
            pressed = terminal.press(key)
            samples.add("question frame", terminal.first_output(pressed)[1])
            samples.add("warm panel", terminal.shown(title, pressed))
            samples.add("warm settled", terminal.quiet() - pressed.clock)
        for _ in range(THEMES_PER_RUN):
            pressed = terminal.press("ctrl+t")
            first_bytes, first_frame = terminal.first_output(pressed)
            samples.add("theme frame", first_frame)
            samples.add("theme settled", terminal.quiet() - pressed.clock)
    except BaseException:
        terminal.kill()
        raise
    samples.peaks.setdefault("warm", []).append(terminal.close())


def print_report(samples: Samples) -> None:
    cold, warm = max(samples.peaks["cold"]), max(samples.peaks["warm"])
    print(f"wizard on a {COLUMNS}x{ROWS} pseudo-terminal; {samples.count('cold launch')} cold and "
          f"{samples.count('warm launch')} warm processes, {samples.count('warm panel')} highlight moves; "
          f"{os.cpu_count()} cores, load average {os.getloadavg()[0]:.2f}")
    report("terminal: launch -> start screen, fresh home", samples.median("cold launch"), peak=cold)
    report("terminal: launch -> start screen, warmed home", samples.median("warm launch"), peak=warm)
    report("terminal: cold Enter -> first question's title", samples.median("cold title"), peak=cold)
    report("terminal: cold Enter -> first question's panel", samples.median("cold panel"), peak=cold,
           target="< 500 ms")
    report("terminal: warm Enter -> first question's panel", samples.median("warm panel first"), peak=warm)
    report("terminal: floor, start list key -> first bytes", samples.median("floor bytes"),
           peak=warm)
    report("terminal: floor, start list key -> frame complete", samples.median("floor frame"), peak=warm)
    report("terminal: question highlight -> first frame", samples.median("question frame"),
           peak=warm)
    report("terminal: warm highlight -> panel's new title shown", samples.median("warm panel"), peak=warm)
    report("terminal: warm highlight -> last repaint (quiet after)", samples.median("warm settled"), peak=warm)
    report("terminal: ctrl+t theme -> first frame complete", samples.median("theme frame"), peak=warm)
    report("terminal: ctrl+t theme -> last repaint (quiet after)", samples.median("theme settled"), peak=warm)
    report("terminal: warm panel / repaint floor (frame)",
           samples.median("warm panel") / samples.median("floor frame"), unit="x", target="<= 1.5x")
    report("terminal: warm panel / a whole-screen repaint (theme)",
           samples.median("warm panel") / samples.median("theme frame"), unit="x")


def main() -> int:
    samples = Samples()
    with tempfile.TemporaryDirectory(prefix="qw-terminal-") as root:
        homes = [Path(tempfile.mkdtemp(dir=root)) for _ in range(COLD_RUNS)]
        try:
            for home in homes:
                cold_run(home, samples)
            for _ in range(WARM_RUNS):
                warm_run(homes[0], samples)
        except Stuck as stuck:
            print(f"bench_terminal: {stuck}", file=sys.stderr)
            return 1
    print_report(samples)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
