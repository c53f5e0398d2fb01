"""The command line's edges as real processes: a reader of standard output that goes away early."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

PIPE_CLOSED = 141
"""128 + SIGPIPE: what a shell reports for ``yes | head``."""

COMMAND = [sys.executable, "-m", "wizard"]


def _quiet(err: bytes) -> None:
    text = err.decode(errors="replace")
    assert "Traceback" not in text and "Exception ignored" not in text and "BrokenPipe" not in text, text
    assert text == "", text


@pytest.mark.parametrize("command", [["render", "--json"], ["render"], ["grants", "--json"]])
def test_a_reader_gone_before_the_first_byte_ends_the_command_quietly(command) -> None:
    read, write = os.pipe()
    os.close(read)  # nobody will ever read: the first write finds the pipe closed
    try:
        proc = subprocess.run([*COMMAND, *command], stdout=write, stderr=subprocess.PIPE, timeout=120)
    finally:
        os.close(write)
    assert proc.returncode == PIPE_CLOSED
    _quiet(proc.stderr)


@pytest.mark.skipif(sys.platform != "linux", reason="needs a pipe whose size can be set (Linux)")
def test_head_reading_a_little_and_closing_ends_the_command_quietly() -> None:
    import fcntl

    read, write = os.pipe()
    fcntl.fcntl(write, fcntl.F_SETPIPE_SZ, 4096)  # far smaller than the output: the writer must wait for us
    try:
        process = subprocess.Popen([*COMMAND, "render", "--json"], stdout=write, stderr=subprocess.PIPE)
    finally:
        os.close(write)
    with os.fdopen(read, "rb") as reader:
        first = reader.read(100)
    # closed, as `| head -c 100` does
    err = process.stderr.read()
    process.wait(timeout=120)
    assert first.startswith(b"{")
    assert process.returncode == PIPE_CLOSED
    _quiet(err)
