"""Whole-process benchmarks: what a CI job or an operator waits for.

Run: ``.venv/bin/python benchmarks/bench_cli.py [--no-peers]``. Prints median seconds of:
``quilt-wizard grants`` on the real template, the headless run on the embedded template,
and, for comparison, cfn-lint on the same real template (once; it is slow). Also checks that
neither path imports Textual or boto3.
"""

from __future__ import annotations

import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks._timing import REAL, ROOT, report  # noqa: E402

ANSWERS = ROOT / "tests" / "data" / "answers" / "good-standard.yaml"
HEAVY = ("textual", "boto3", "botocore")


def wizard(*args: str) -> list[str]:
    return [sys.executable, "-m", "wizard", *args]


def median_seconds(command: list[str], repeat: int = 7, check: bool = True) -> float:
    samples = []
    for _ in range(repeat):
        start = time.perf_counter()
        proc = subprocess.run(command, capture_output=True, text=True)
        samples.append(time.perf_counter() - start)
        if check and proc.returncode != 0:
            sys.exit(f"{' '.join(command)} failed: {proc.stderr.strip()}")
    return statistics.median(samples)


def heavy_imports(args: list[str]) -> list[str]:
    code = ("import sys, contextlib, io\nfrom wizard.cli import main\n"
            "with contextlib.redirect_stdout(io.StringIO()):\n    main(sys.argv[1:])\n"
            f"print(' '.join(m for m in {HEAVY!r} if m in sys.modules))")
    proc = subprocess.run([sys.executable, "-c", code, *args], capture_output=True, text=True)
    return proc.stdout.split()


def main() -> None:
    os.environ.setdefault("QUILT_WIZARD_HOME", tempfile.mkdtemp(prefix="qw-bench-"))
    out = Path(tempfile.mkdtemp(prefix="qw-bench-out-")) / "params.json"
    headless = wizard("--answers", str(ANSWERS), "--out", str(out), "--force")
    report("headless run, embedded template (whole process)", median_seconds(headless), "s", "< 1 s")
    print(f"{'  heavy modules imported on that path':<58} {heavy_imports(headless[3:]) or 'none'}")
    if REAL.is_file():
        grants = wizard("grants", "--template", str(REAL), "--json")
        report("quilt-wizard grants, real template (whole process)", median_seconds(grants), "s", "< 1 s")
        print(f"{'  heavy modules imported on that path':<58} {heavy_imports(grants[3:]) or 'none'}")
        cfn_lint = shutil.which("cfn-lint", path=str(Path(sys.executable).parent)) or shutil.which("cfn-lint")
        if cfn_lint and "--no-peers" not in sys.argv:
            # cfn-lint exits non-zero when it finds problems: time it whatever its verdict.
            report("cfn-lint on the same real template (for comparison)",
                   median_seconds([cfn_lint, str(REAL)], repeat=1, check=False), "s")
    else:
        print(f"the real template is not at {REAL}; skipped its benchmarks")


if __name__ == "__main__":
    main()
