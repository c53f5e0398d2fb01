"""Running the command line in-process or as a real subprocess, for tests."""

from __future__ import annotations

import os
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path


@dataclass
class Result:
    code: int
    out: str
    err: str


def run_cli(*args: str, cwd: Path | None = None, env: dict | None = None, stdin: str | None = None) -> Result:
    """Run ``quilt-wizard ARGS`` as a subprocess of this interpreter."""
    full_env = {**os.environ, **(env or {})}
    proc = subprocess.run([sys.executable, "-m", "wizard", *args], capture_output=True, text=True,
                          cwd=cwd, env=full_env, input=stdin, timeout=120)
    return Result(proc.returncode, proc.stdout, proc.stderr)
