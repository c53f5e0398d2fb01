"""What a person sees in a real terminal: the wizard driven in a pseudo-terminal, timed from the
key pressed to the frame that shows the answer.

Run: ``.venv/bin/python benchmarks/bench_terminal.py``. Prints medians in milliseconds, each
beside the largest peak RSS of the wizard processes it was measured in. ``bench_tui.py`` times
the same screens inside a headless app, where nothing is drawn; here ``python -m wizard`` runs
on a 100x30 pseudo-terminal (xterm-256color, true colour) that answers the query for
synchronized output, so a frame counts once its end has been read.

On the embedded template, and on the vendor's (``--template``, with the overlay's hardening)
when its fixture is present:

- launch: from starting the process to the start screen on screen, with a fresh home (no cache
  folder: a fresh install) and with a home warmed by an earlier run;
- first question, Enter at once: Enter pressed as soon as the start screen shows, to the
  question's title and to its panel showing the preview ("If you choose …"), each sample in a
  fresh process with a fresh home (target under 500 ms for the panel on the embedded template);
- first question, after reading the start screen: Enter pressed ``READING`` seconds after the
  start screen shows (the start screen computes the first question's panel meanwhile), with a
  fresh home and a warmed one (targets on the vendor's template: 1 s and 0.5 s);
- live panel, warm: on the first question, once its panel is shown and the other choices had a
  second to be computed, Down and Up move the highlight; timed to the panel's new title on
  screen, against the first frame the key made on that screen (the highlight moved: the
  panel's target is 1.3x of it, and it is 1x when the panel comes in that very frame), and
  against the repaint floor: Down and Up on the start screen's mode list (once its idle-time
  work is done, and with no draft to resume, whose box would take the focus), where moving the
  highlight repaints two choices and nothing else (about 2.5 KB written, against the 20 KB of
  two choices and a whole panel). Beside the median: the slowest tenth of the moves (a full
  collection or a missed frame shows there), and how many moves showed the panel in the
  highlight's first frame. ctrl+t (the theme) is timed too, as a repaint of the whole screen.

``--vendor-cold`` measures the vendor's fresh home with Enter at once alone, with the processor time
the wizard spent from Enter to the panel (which the machine's other work does not stretch, as it
does the wait); ``--embedded-only``
leaves the vendor's rows out. Exits 1, printing the last screen, when the wizard does not show an expected text within 30 s.
"""

from __future__ import annotations

import os
import statistics
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks._terminal import Stuck, Terminal  # noqa: E402
from benchmarks._timing import REAL, ROOT, report  # noqa: E402
from tests.functional.helpers import EMBEDDED_REQUIRED  # noqa: E402

COLUMNS, ROWS = 100, 30
COLD_RUNS, WARM_RUNS = 5, 5
MOVES_PER_RUN, THEMES_PER_RUN = 6, 2
READING = 4.0
"""Seconds a person reads the start screen before pressing Enter (the idle time the wizard uses)."""
START = "Deploy the Quilt stack"
QUESTION = "How should IAM policies be created"
PANEL = "If you choose"
#: A highlight move and the start of the panel's title it leads to (the title's first line).
MOVES = (("down", "If you choose “Manual approval"), ("up", "If you choose “Automatic"))


def wizard_command(template: Path | None = None) -> list[str]:
    from tests.conftest import REAL_REQUIRED

    required = REAL_REQUIRED if template else EMBEDDED_REQUIRED
    settings = [arg for name, value in required.items() for arg in ("--set", f"{name}={value}")]
    return [sys.executable, "-m", "wizard", *(["--template", str(template)] if template else []), *settings]


class Samples:
    """Milliseconds per figure, and the peak RSS (MiB) of the processes behind each group."""

    def __init__(self) -> None:
        self.ms: dict[str, list[float]] = {}
        self.peaks: dict[str, list[float]] = {}
        self.held: dict[str, list[bool]] = {}

    def add(self, figure: str, seconds: float) -> None:
        self.ms.setdefault(figure, []).append(seconds * 1000)

    def median(self, figure: str) -> float:
        return statistics.median(self.ms[figure])

    def slowest_tenth(self, figure: str) -> float:
        """The 90th percentile: where the slow tail starts (a collection, a frame missed)."""
        return statistics.quantiles(self.ms[figure], n=10)[-1]

    def note(self, figure: str, held: bool) -> None:
        self.held.setdefault(figure, []).append(held)

    def share(self, figure: str) -> str:
        """``28 of 30``: how many samples held ``figure``."""
        return f"{sum(self.held[figure])} of {len(self.held[figure])}"

    def count(self, figure: str) -> int:
        return len(self.ms[figure])


def read_start_screen(terminal: Terminal) -> None:
    """Wait as a person reading the start screen does: ``READING`` seconds after it showed."""
    terminal.quiet(at_least=READING)


def cold_run(home: Path, samples: Samples, template: Path | None = None, reading: bool = False) -> None:
    """A fresh home: launch, then Enter (at once, or after reading), to the first question and its panel."""
    face = "vendor " if template else ""
    when = "read" if reading else "cold"
    terminal = Terminal(wizard_command(template), ROOT, home, COLUMNS, ROWS)
    try:
        samples.add(f"{face}{when} launch", terminal.shown(START, terminal.started))
        if reading:
            read_start_screen(terminal)
        enter, cpu = terminal.press("enter"), terminal.cpu_seconds()
        samples.add(f"{face}{when} title", terminal.shown(QUESTION, enter))
        samples.add(f"{face}{when} panel", terminal.shown(PANEL, enter))
        if cpu is not None:
            samples.add(f"{face}{when} panel cpu", terminal.cpu_seconds() - cpu)
        terminal.quiet(at_least=1.0)  # the caches written, for the warm runs
    except BaseException:
        terminal.kill()
        raise
    samples.peaks.setdefault(f"{face}{when}", []).append(terminal.close())


def without_draft(home: Path) -> None:
    """Remove the draft an earlier run of ``home`` left: its box on the start screen would take
    the focus, and the floor's keys would move the focus between its buttons instead of the mode
    list's highlight (a repaint of several widgets, five to ten times the list's)."""
    (home / "data" / "draft.yaml").unlink(missing_ok=True)


def warm_run(home: Path, samples: Samples, template: Path | None = None) -> None:
    """A warmed home (its caches, not its draft): launch, read the start screen, the first
    question, then highlight moves and theme toggles."""
    face = "vendor " if template else ""
    without_draft(home)
    terminal = Terminal(wizard_command(template), ROOT, home, COLUMNS, ROWS)
    try:
        samples.add(f"{face}warm launch", terminal.shown(START, terminal.started))
        read_start_screen(terminal)
        if "Resume" in terminal.screen():
            raise Stuck("the start screen without a draft", 0, terminal.screen())
        for key in ("down", "up") * (MOVES_PER_RUN // 2):
            # The floor: the mode list on the start screen moves its highlight and nothing else.
            first_bytes, first_frame = terminal.first_output(terminal.press(key))
            samples.add(f"{face}floor bytes", first_bytes)
            samples.add(f"{face}floor frame", first_frame)
            terminal.quiet()
        enter = terminal.press("enter")
        samples.add(f"{face}warm panel first", terminal.shown(PANEL, enter))
        terminal.quiet(at_least=1.0)  # the other choices prefetched
        for move in range(MOVES_PER_RUN):
            key, title = MOVES[move % len(MOVES)]
            pressed = terminal.press(key)
            first_frame = terminal.first_output(pressed)[1]
            panel = terminal.shown(title, pressed)
            samples.add(f"{face}question frame", first_frame)
            samples.add(f"{face}warm panel", panel)
            samples.note(f"{face}panel in first frame", panel <= first_frame)
            samples.add(f"{face}warm settled", terminal.quiet() - pressed.clock)
        for _ in range(THEMES_PER_RUN):
            pressed = terminal.press("ctrl+t")
            first_bytes, first_frame = terminal.first_output(pressed)
            samples.add(f"{face}theme frame", first_frame)
            samples.add(f"{face}theme settled", terminal.quiet() - pressed.clock)
    except BaseException:
        terminal.kill()
        raise
    samples.peaks.setdefault(f"{face}warm", []).append(terminal.close())


def print_report(samples: Samples, vendor: bool) -> None:
    cold, warm = max(samples.peaks["cold"]), max(samples.peaks["warm"])
    print(f"wizard on a {COLUMNS}x{ROWS} pseudo-terminal; {samples.count('cold launch')} cold and "
          f"{samples.count('warm launch')} warm processes, {samples.count('warm panel')} highlight moves; "
          f"{os.cpu_count()} cores, load average {os.getloadavg()[0]:.2f}")
    report("terminal: launch -> start screen, fresh home", samples.median("cold launch"), peak=cold)
    report("terminal: launch -> start screen, warmed home", samples.median("warm launch"), peak=warm)
    report("terminal: cold Enter -> first question's title", samples.median("cold title"), peak=cold)
    report("terminal: cold Enter -> first question's panel", samples.median("cold panel"), peak=cold,
           target="< 500 ms")
    report("terminal: cold, after reading: Enter -> first panel", samples.median("read panel"),
           peak=max(samples.peaks["read"]))
    report("terminal: warm Enter -> first question's panel", samples.median("warm panel first"), peak=warm)
    report("terminal: floor, start list key -> first bytes", samples.median("floor bytes"),
           peak=warm)
    report("terminal: floor, start list key -> frame complete", samples.median("floor frame"), peak=warm)
    report("terminal: question highlight -> first frame", samples.median("question frame"),
           peak=warm)
    report("terminal: warm highlight -> panel's new title shown", samples.median("warm panel"), peak=warm)
    report("  its slowest tenth (90th percentile)", samples.slowest_tenth("warm panel"), peak=warm)
    print(f"  the panel in the highlight's first frame: {samples.share('panel in first frame')} moves")
    report("terminal: warm highlight -> last repaint (quiet after)", samples.median("warm settled"), peak=warm)
    report("terminal: ctrl+t theme -> first frame complete", samples.median("theme frame"), peak=warm)
    report("terminal: ctrl+t theme -> last repaint (quiet after)", samples.median("theme settled"), peak=warm)
    report("terminal: warm panel / the key's first frame (question screen)",
           samples.median("warm panel") / samples.median("question frame"), unit="x", target="<= 1.3x")
    report("terminal: warm panel / start list move (repaint floor)",
           samples.median("warm panel") / samples.median("floor frame"), unit="x")
    report("terminal: warm panel / a whole-screen repaint (theme)",
           samples.median("warm panel") / samples.median("theme frame"), unit="x")
    if not vendor:
        print(f"vendor template absent ({REAL}); its rows skipped")
        return
    cold, read, warm = (max(samples.peaks[f"vendor {group}"]) for group in ("cold", "read", "warm"))
    report("vendor: launch -> start screen, warmed home", samples.median("vendor warm launch"), peak=warm)
    report("vendor: fresh home, Enter at once -> first panel", samples.median("vendor cold panel"), peak=cold)
    report("vendor: fresh home, after reading: Enter -> first panel", samples.median("vendor read panel"),
           peak=read, target="<= 1000 ms")
    report("vendor: warm, after reading: Enter -> first panel", samples.median("vendor warm panel first"),
           peak=warm, target="<= 500 ms")
    report("vendor: floor, start list key -> frame complete", samples.median("vendor floor frame"), peak=warm)
    report("vendor: warm highlight -> panel's new title shown", samples.median("vendor warm panel"), peak=warm)
    report("  its slowest tenth (90th percentile)", samples.slowest_tenth("vendor warm panel"), peak=warm)
    print(f"  the panel in the highlight's first frame: {samples.share('vendor panel in first frame')} moves")
    report("vendor: warm panel / the key's first frame (question screen)",
           samples.median("vendor warm panel") / samples.median("vendor question frame"), unit="x",
           target="<= 1.3x")
    report("vendor: warm panel / start list move (repaint floor)",
           samples.median("vendor warm panel") / samples.median("vendor floor frame"), unit="x")


def vendor_cold_only(runs: int = COLD_RUNS) -> int:
    """``--vendor-cold``: the vendor's row of a fresh home with Enter pressed at once, alone (each
    run a fresh process and home; the median beside each run's figure)."""
    if not REAL.is_file():
        print(f"vendor template absent ({REAL})", file=sys.stderr)
        return 1
    samples = Samples()
    with tempfile.TemporaryDirectory(prefix="qw-terminal-") as root:
        try:
            for _ in range(runs):
                cold_run(Path(tempfile.mkdtemp(dir=root)), samples, REAL)
        except Stuck as stuck:
            print(f"bench_terminal: {stuck}", file=sys.stderr)
            return 1
    print(f"vendor, fresh home, Enter at once: {runs} runs, {os.cpu_count()} cores, load average "
          f"{os.getloadavg()[0]:.2f}; panels at {', '.join(f'{ms:.0f}' for ms in samples.ms['vendor cold panel'])} ms")
    report("vendor: fresh home, Enter at once -> first question's title", samples.median("vendor cold title"),
           peak=max(samples.peaks["vendor cold"]))
    report("vendor: fresh home, Enter at once -> first panel", samples.median("vendor cold panel"),
           peak=max(samples.peaks["vendor cold"]), target="<= 1000 ms")
    if "vendor cold panel cpu" in samples.ms:
        report("  the wizard's CPU from Enter to the first panel", samples.median("vendor cold panel cpu"),
               peak=max(samples.peaks["vendor cold"]))
    return 0


def main() -> int:
    if "--vendor-cold" in sys.argv:
        return vendor_cold_only()
    samples = Samples()
    vendor = REAL.is_file() and "--embedded-only" not in sys.argv
    with tempfile.TemporaryDirectory(prefix="qw-terminal-") as root:
        try:
            for template in ((None, REAL) if vendor else (None,)):
                homes = [Path(tempfile.mkdtemp(dir=root)) for _ in range(COLD_RUNS)]
                for home in homes:
                    cold_run(home, samples, template)
                for _ in range(COLD_RUNS):
                    cold_run(Path(tempfile.mkdtemp(dir=root)), samples, template, reading=True)
                for _ in range(WARM_RUNS):
                    warm_run(homes[0], samples, template)
        except Stuck as stuck:
            print(f"bench_terminal: {stuck}", file=sys.stderr)
            return 1
    print_report(samples, vendor)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
