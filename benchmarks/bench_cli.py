"""Whole-process benchmarks: what a CI job or an operator waits for, in CPU seconds beside the
peak memory (RSS) of each process.

Run: ``.venv/bin/python benchmarks/bench_cli.py [--no-peers]``. Measures, in the same run:
``python -c "import wizard.cli"`` (the floor), ``quilt-wizard --help``, ``quilt-wizard grants`` on
the real template (warm caches, as every run after the first; and cold, a fresh cache folder),
the headless run on the embedded template, and cfn-lint on the same real template; then prints
the ratios the performance goals are stated in. Also checks that neither path imports Textual
or boto3.
"""

from __future__ import annotations

import os
import shutil
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks._timing import REAL, ROOT, process_cost, report_cost  # noqa: E402

ANSWERS = ROOT / "tests" / "data" / "answers" / "good-standard.yaml"
HEAVY = ("textual", "boto3", "botocore")


def wizard(*args: str) -> list[str]:
    return [sys.executable, "-m", "wizard", *args]


def heavy_imports(args: list[str]) -> list[str]:
    code = ("import sys, contextlib, io\nfrom wizard.cli import main\n"
            "with contextlib.redirect_stdout(io.StringIO()):\n    main(sys.argv[1:])\n"
            f"print(' '.join(m for m in {HEAVY!r} if m in sys.modules))")
    proc = subprocess.run([sys.executable, "-c", code, *args], capture_output=True, text=True)
    return proc.stdout.split()


def cold_cost(command: list[str], repeat: int = 3) -> tuple[float, float]:
    """Like ``process_cost``, each run with an empty cache folder (a fresh install's first run)."""
    runs = []
    for _ in range(repeat):
        with tempfile.TemporaryDirectory(prefix="qw-bench-cold-") as home:
            runs.append(process_cost(command, repeat=1, env={**os.environ, "QUILT_WIZARD_HOME": home}))
    return statistics.median(cpu for cpu, _ in runs), max(rss for _, rss in runs)


def main() -> None:
    os.environ.setdefault("QUILT_WIZARD_HOME", tempfile.mkdtemp(prefix="qw-bench-"))
    out = Path(tempfile.mkdtemp(prefix="qw-bench-out-")) / "params.json"
    floor = process_cost([sys.executable, "-c", "import wizard.cli"], repeat=9)
    report_cost('python -c "import wizard.cli" (the floor)', floor)
    helped = process_cost(wizard("--help"), repeat=9)
    report_cost("quilt-wizard --help", helped)
    headless = wizard("--answers", str(ANSWERS), "--out", str(out), "--force")
    process_cost(headless, repeat=1)  # warm the caches
    headless_cost = process_cost(headless, repeat=7)
    report_cost("headless run, embedded template", headless_cost, "< 0.25 s CPU")
    print(f"{'  heavy modules imported on that path':<58} {heavy_imports(headless[3:]) or 'none'}")
    grants_cost = peer = None
    if REAL.is_file():
        grants = wizard("grants", "--template", str(REAL), "--json")
        report_cost("quilt-wizard grants, real template, cold caches", cold_cost(grants))
        process_cost(grants, repeat=1)
        grants_cost = process_cost(grants, repeat=7)
        report_cost("quilt-wizard grants, real template, warm caches", grants_cost)
        print(f"{'  heavy modules imported on that path':<58} {heavy_imports(grants[3:]) or 'none'}")
        cfn_lint = shutil.which("cfn-lint", path=str(Path(sys.executable).parent)) or shutil.which("cfn-lint")
        if cfn_lint and "--no-peers" not in sys.argv:
            # cfn-lint exits non-zero when it finds problems: measure it whatever its verdict.
            peer = process_cost([cfn_lint, str(REAL)], repeat=3, check=False)
            report_cost("cfn-lint on the same real template (for comparison)", peer)
    else:
        print(f"the real template is not at {REAL}; skipped its benchmarks")
    print("ratios, measured in this run:")
    print(f"  --help / import floor (CPU)                              {helped[0] / floor[0]:6.2f}x   (target <= 2x)")
    print(f"  headless run CPU                                         {headless_cost[0]:6.3f} s  (target < 0.25 s)")
    if grants_cost and peer:
        print(f"  grants / cfn-lint (CPU)                                 1/{peer[0] / grants_cost[0]:5.1f}    "
              f"(target <= 1/35); memory {grants_cost[1]:.0f} vs {peer[1]:.0f} MiB")


if __name__ == "__main__":
    main()
