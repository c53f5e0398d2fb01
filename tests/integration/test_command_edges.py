"""The command line's edges as real processes: a reader of standard output that goes away early,
and Ctrl-C while the installed command starts."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

import wizard

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


# -- Ctrl-C while the installed command starts -----------------------------------------------------

SCRIPT = Path(sys.executable).with_name("quilt-wizard")
PACKAGE = str(Path(wizard.__file__).resolve().parent)
INTERRUPTED = "quilt-wizard: interrupted; nothing was written\n"

#: Put on PYTHONPATH, it sends the process a SIGINT the moment the module named in
#: QW_TEST_INTERRUPT_AT is first looked for: a Ctrl-C landing inside that import, every time.
SITECUSTOMIZE = '''
import _signal, os, sys

class InterruptAt:
    @staticmethod
    def find_spec(name, path=None, target=None):
        if name == os.environ.get("QW_TEST_INTERRUPT_AT"):
            sys.meta_path.remove(InterruptAt)
            os.kill(os.getpid(), _signal.SIGINT)
        return None

sys.meta_path.insert(0, InterruptAt)
'''

needs_script = pytest.mark.skipif(not SCRIPT.exists() or os.name != "posix",
                                  reason="the installed quilt-wizard script, on POSIX")


@needs_script
@pytest.mark.parametrize("module", ["wizard.cli", "argparse", "threading", "typing", "wizard.errors",
                                    "wizard.commands.deploy", "wizard.commands.aws_steps"])
def test_ctrl_c_inside_any_import_of_the_installed_command_is_130_and_one_line(module, tmp_path) -> None:
    (tmp_path / "sitecustomize.py").write_text(SITECUSTOMIZE)
    env = {**os.environ, "PYTHONPATH": str(tmp_path), "QW_TEST_INTERRUPT_AT": module}
    proc = subprocess.run([str(SCRIPT), "--help"], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                          env=env, timeout=120)
    assert proc.returncode == 130, proc.stderr.decode()
    assert proc.stderr.decode() == INTERRUPTED


@needs_script
def test_a_command_started_with_ctrl_c_ignored_keeps_ignoring_it(tmp_path) -> None:
    """As Python does (and ``nohup``, or ``&`` in a script, expect): a Ctrl-C the command was
    started to ignore, even one landing inside its imports, changes nothing."""
    (tmp_path / "sitecustomize.py").write_text(SITECUSTOMIZE)
    env = {**os.environ, "PYTHONPATH": str(tmp_path), "QW_TEST_INTERRUPT_AT": "wizard.cli"}
    proc = subprocess.run([str(SCRIPT), "--help"], stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env,
                          timeout=120, preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_IGN))
    assert (proc.returncode, proc.stderr.decode()) == (0, "")
    assert b"usage: quilt-wizard" in proc.stdout


@needs_script
@pytest.mark.parametrize("delay", [0, 0.005, 0.01, 0.02, 0.03, 0.05, 0.1, 0.2])
def test_ctrl_c_at_any_moment_of_the_start_is_never_a_traceback_of_the_command(delay) -> None:
    """Whenever the signal lands, the command says one line and exits 130, or had finished (0).

    Two outcomes belong to Python rather than to the command, and are accepted: the process killed
    by the signal before Python installs its handler or after it removed it at exit (-SIGINT, as
    the shell's 130, nothing printed), and a traceback of Python's own start (``site``, the search
    for the package) that shows no line of the package, as the code that prints it runs before the
    package's first line can."""
    process = subprocess.Popen([str(SCRIPT), "--help"], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    time.sleep(delay)
    process.send_signal(signal.SIGINT)
    err = process.communicate(timeout=120)[1].decode(errors="replace")
    assert PACKAGE not in err, err  # no traceback ever passes through the command's code
    if "Traceback" in err:
        return  # Python's own start, before the package runs (see above)
    assert (process.returncode, err) in {(130, INTERRUPTED), (0, ""), (-signal.SIGINT, "")}, \
        (process.returncode, err)
