"""Run every benchmark and print their numbers: ``.venv/bin/python -m benchmarks``."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
SCRIPTS = ("bench_engine.py", "bench_actions.py", "bench_overlay.py", "bench_cli.py", "bench_scale.py", "bench_fleet.py",
           "bench_tui.py", "bench_terminal.py")


def main() -> int:
    status = 0
    for script in SCRIPTS:
        print(f"== {script}", flush=True)
        status |= subprocess.call([sys.executable, str(HERE / script), *sys.argv[1:]])
        print(flush=True)
    return status


if __name__ == "__main__":
    raise SystemExit(main())
