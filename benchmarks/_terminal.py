"""The wizard in a pseudo-terminal, seen from the terminal's side: keys go in as bytes, and every
read of the output is kept with the instant it arrived, so a benchmark can tell when a text
reached the screen rather than when the app decided to draw it.

The terminal answers Textual's query for synchronized output (mode 2026) as most current
terminals do, so each frame arrives between ``ESC[?2026h`` and ``ESC[?2026l`` and is shown when
its end arrives. A text is searched in the bytes read after a given instant with the escape
sequences (CSI, OSC, DCS and the short ones) taken out: Textual writes a changed region line by
line, with cursor moves and colours between the segments, so a marker must lie within one line.
"""

from __future__ import annotations

import bisect
import fcntl
import os
import pty
import re
import select
import signal
import struct
import sys
import termios
import time
import unicodedata
from dataclasses import dataclass
from pathlib import Path

SYNC_QUERY = b"\x1b[?2026$p"
SYNC_SUPPORTED = b"\x1b[?2026;2$y"
SYNC_START = b"\x1b[?2026h"
SYNC_END = b"\x1b[?2026l"
ALT_SCREEN = b"\x1b[?1049h"
ESCAPE = re.compile(rb"\x1b(?:\[[0-?]*[ -/]*[@-~]|\][^\x07\x1b]*(?:\x07|\x1b\\)|P[^\x1b]*\x1b\\"
                    rb"|[()][0-9A-Za-z]|[=>78DEHMNOZc])")
CURSOR_TO = re.compile(rb"\x1b\[(\d*)(?:;(\d*))?H")
#: Variables of the calling terminal that would change what the wizard draws.
FOREIGN = ("TERM_PROGRAM", "TERM_PROGRAM_VERSION", "TMUX", "STY", "COLUMNS", "LINES", "NO_COLOR",
           "TEXTUAL", "TEXTUAL_FPS", "TEXTUAL_DRIVER")
KEYS = {"enter": b"\r", "down": b"\x1b[B", "up": b"\x1b[A", "ctrl+q": b"\x11", "ctrl+t": b"\x14"}


class Stuck(Exception):
    """The wizard did not show the expected text in time (or exited first)."""

    def __init__(self, marker: str, seconds: float, screen: str, exited: str = "") -> None:
        why = f"it exited first, {exited}" if exited else f"within {seconds:g} s"
        super().__init__(f"the wizard did not show “{marker}” ({why}); last screen:\n{screen}")


@dataclass(frozen=True)
class Mark:
    """An instant of the run: how many bytes had been read then, and the clock."""

    offset: int
    clock: float


def visible(raw: bytes) -> bytes:
    """The bytes without their escape sequences."""
    return ESCAPE.sub(b"", raw)


def visible_end(raw: bytes, marker: bytes) -> int | None:
    """The offset in ``raw`` just after the first ``marker`` of its visible text, or None."""
    kept: list[tuple[int, int]] = []  # (visible offset, raw offset) at the start of each kept run
    text = bytearray()
    position = 0
    for escape in ESCAPE.finditer(raw):
        if escape.start() > position:
            kept.append((len(text), position))
            text += raw[position:escape.start()]
        position = escape.end()
    if position < len(raw):
        kept.append((len(text), position))
        text += raw[position:]
    found = text.find(marker)
    if found < 0:
        return None
    last = found + len(marker) - 1
    run = bisect.bisect_right([start for start, _ in kept], last) - 1
    return kept[run][1] + (last - kept[run][0]) + 1


def screen_text(raw: bytes, rows: int, columns: int) -> str:
    """The last screen drawn in ``raw``, rebuilt from its cursor moves (for error messages)."""
    start = raw.rfind(ALT_SCREEN)
    if start < 0:  # it never drew a screen: what it wrote
        return visible(raw[-4000:]).decode("utf-8", "replace").strip()
    tail = raw[start + len(ALT_SCREEN):]
    grid = [[" "] * columns for _ in range(rows)]
    row = column = 0
    position = 0
    for escape in [*ESCAPE.finditer(tail), None]:
        text = tail[position:escape.start() if escape else len(tail)].decode("utf-8", "replace")
        for char in text:
            if char == "\r":
                column = 0
            elif char == "\n":
                row = min(row + 1, rows - 1)
            elif char.isprintable() and column < columns:
                grid[row][column] = char
                column += 2 if unicodedata.east_asian_width(char) in "WF" else 1
        if escape is None:
            break
        move = CURSOR_TO.fullmatch(escape.group())
        if move:
            row = min(max(int(move.group(1) or 1), 1), rows) - 1
            column = min(max(int(move.group(2) or 1), 1), columns) - 1
        elif escape.group() == b"\x1b[2J":
            grid = [[" "] * columns for _ in range(rows)]
        position = escape.end()
    shown = "\n".join("".join(line).rstrip() for line in grid).strip("\n")
    left = raw.rfind(b"\x1b[?1049l")
    if left > start:
        after = visible(raw[left:]).decode("utf-8", "replace").strip()
        shown += f"\n-- written after leaving the full screen --\n{after}"
    return shown


class Terminal:
    """One wizard process on a pseudo-terminal of ``columns`` x ``rows``."""

    def __init__(self, argv: list[str], cwd: Path, home: Path, columns: int = 100, rows: int = 30,
                 timeout: float = 30.0) -> None:
        self.columns, self.rows, self.timeout = columns, rows, timeout
        self.raw = bytearray()
        self.ends: list[int] = []  # the offset after each read
        self.clocks: list[float] = []  # the instant of each read
        self.exited = False
        self.status, self.usage = 0, None
        env = {key: value for key, value in os.environ.items() if key not in FOREIGN}
        env.update(TERM="xterm-256color", COLORTERM="truecolor", QUILT_WIZARD_HOME=str(home))
        self.started = Mark(0, time.perf_counter())
        pid, fd = pty.fork()
        if pid == 0:  # the wizard's side: its terminal has the window size before it starts
            try:
                fcntl.ioctl(0, termios.TIOCSWINSZ, struct.pack("HHHH", rows, columns, 0, 0))
                os.chdir(cwd)
                os.execve(argv[0], argv, env)
            except OSError as error:
                os.write(2, f"cannot start {argv[0]}: {error}\n".encode())
            finally:
                os._exit(127)
        self.pid, self.fd = pid, fd

    def cpu_seconds(self) -> float | None:
        """The processor time the wizard has used so far (user + system, every thread), where
        ``/proc`` tells it: a figure the machine's other work does not stretch, as it does a wait."""
        try:
            with open(f"/proc/{self.pid}/stat") as stat:
                fields = stat.read().rsplit(")", 1)[1].split()
        except OSError:
            return None
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")

    # -- reading ---------------------------------------------------------------------------

    def _read(self, timeout: float) -> bool:
        """Read what is there within ``timeout`` seconds; False when nothing came."""
        if self.exited:
            return False
        ready, _, _ = select.select([self.fd], [], [], max(timeout, 0))
        if not ready:
            return False
        try:
            chunk = os.read(self.fd, 65536)
        except OSError:  # EIO: the wizard closed its terminal
            chunk = b""
        clock = time.perf_counter()
        if not chunk:
            self.exited = True
            return False
        before = len(self.raw)
        self.raw += chunk
        self.ends.append(len(self.raw))
        self.clocks.append(clock)
        if SYNC_QUERY in self.raw[max(0, before - len(SYNC_QUERY)):]:
            os.write(self.fd, SYNC_SUPPORTED)
        return True

    def drain(self) -> None:
        """Read every byte already written."""
        while self._read(0):
            pass

    def quiet(self, seconds: float = 0.3, at_least: float = 0.0, limit: float = 10.0) -> float:
        """Read until nothing came for ``seconds`` (and ``at_least`` has passed); the clock of
        the last read."""
        start = time.perf_counter()
        while time.perf_counter() - start < limit:
            if not self._read(seconds) and time.perf_counter() - start >= at_least:
                break
        return self.clocks[-1] if self.clocks else start

    def _clock_at(self, offset: int) -> float:
        """The instant the byte at ``offset`` was read."""
        return self.clocks[bisect.bisect_right(self.ends, offset)]

    def _wait(self, found, marker: str) -> int:
        """Read until ``found()`` gives an offset; that offset."""
        deadline = time.perf_counter() + self.timeout
        while True:
            offset = found()
            if offset is not None:
                return offset
            if self.exited or time.perf_counter() > deadline:
                raise Stuck(marker, self.timeout, self.screen(), self._end() if self.exited else "")
            self._read(min(0.1, deadline - time.perf_counter()))

    def _frame_end(self, offset: int, marker: str) -> float:
        """The instant the frame holding the byte at ``offset`` was complete."""
        if self.raw.rfind(SYNC_START, 0, offset + 1) < 0:  # no frames: drawn as the bytes come
            return self._clock_at(offset)

        def end() -> int | None:
            found = self.raw.find(SYNC_END, offset)
            return None if found < 0 else found + len(SYNC_END) - 1

        return self._clock_at(self._wait(end, f"{marker} (its frame's end)"))

    def shown(self, marker: str, since: Mark) -> float:
        """Seconds from ``since`` to the frame with ``marker`` written after it on screen."""
        wanted = marker.encode()
        offset = self._wait(lambda: visible_end(bytes(self.raw[since.offset:]), wanted), marker)
        return self._frame_end(since.offset + offset - 1, marker) - since.clock

    def first_output(self, since: Mark) -> tuple[float, float]:
        """Seconds from ``since`` to the first bytes after it, and to the end of their frame."""
        offset = self._wait(lambda: since.offset if len(self.raw) > since.offset else None, "any output")
        return self._clock_at(offset) - since.clock, self._frame_end(offset, "the first frame") - since.clock

    def screen(self) -> str:
        return screen_text(bytes(self.raw), self.rows, self.columns)

    # -- writing ---------------------------------------------------------------------------

    def press(self, key: str) -> Mark:
        """Send ``key`` (after reading what was already written); the instant it was sent."""
        self.drain()
        mark = Mark(len(self.raw), time.perf_counter())
        os.write(self.fd, KEYS[key])
        return mark

    def close(self) -> float:
        """Quit the wizard with ctrl+q (killed after ``timeout`` if it stays); its peak RSS in MiB."""
        try:
            if not self.exited:
                os.write(self.fd, KEYS["ctrl+q"])
        except OSError:
            pass
        deadline = time.perf_counter() + self.timeout
        while not self.exited and time.perf_counter() < deadline:
            self._read(0.1)
        if not self.exited:
            print(f"the wizard did not quit on ctrl+q within {self.timeout:g} s; killed", file=sys.stderr)
            os.kill(self.pid, signal.SIGKILL)
        self._end()
        os.close(self.fd)
        return self.usage.ru_maxrss / 1024

    def _end(self) -> str:
        """Wait for the process to end (once); how it ended."""
        if self.usage is None:
            _, status, self.usage = os.wait4(self.pid, 0)
            self.status = os.waitstatus_to_exitcode(status)
        return f"exit code {self.status}" if self.status >= 0 else f"signal {-self.status}"

    def kill(self) -> None:
        """End the wizard at once (after an error), without waiting for a clean exit."""
        try:
            if self.usage is None:
                os.kill(self.pid, signal.SIGKILL)
                self._end()
            os.close(self.fd)
        except OSError:
            pass
