"""Whole-process benchmarks: what a CI job or an operator waits for, in CPU seconds beside the
peak memory (RSS) of each process, and the command line's performance goals as ratios.

Run: ``.venv/bin/python benchmarks/bench_cli.py [--rounds N] [--no-peers]``. The commands are run
interleaved (one of each per round, ``--rounds`` rounds, 7 by default), so a busy moment of a shared
machine weighs on every figure alike; each figure is the median CPU seconds (user + system) of its
runs, beside the largest peak RSS. The ratios are computed from the figures of this same run:

- ``grants --json`` on the vendor's template, warm caches, against cfn-lint on the same template;
- ``grants`` on a fresh, empty ``QUILT_WIZARD_HOME`` (a first run) against a warm one;
- the headless run of ``examples/answers.yaml`` against ``python -c pass``;
- the headless run on the vendor's template (hardened, ``benchmarks/answers-vendor.yaml``) against
  the embedded one.

Every child runs the code of this checkout (``PYTHONPATH``), whatever the environment installed.
Also checks that neither path imports Textual or boto3.
"""

from __future__ import annotations

import compileall
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks._timing import REAL, ROOT, one_run, report_cost  # noqa: E402

ANSWERS = ROOT / "examples" / "answers.yaml"
VENDOR_ANSWERS = ROOT / "benchmarks" / "answers-vendor.yaml"
HEAVY = ("textual", "boto3", "botocore")
#: Each goal: (name, numerator row, denominator row, the ratio's limit, shown as 1/x when below 1).
GOALS = (
    ("grants --json, vendor template, warm / cfn-lint", "grants", "cfn-lint", 1 / 45),
    ("grants first run (empty home) / warm run", "grants-cold", "grants", 1.5),
    ("headless examples/answers.yaml / python -c pass", "headless", "floor", 15.0),
    ("headless on the vendor template (hardened) / embedded", "headless-vendor", "headless", 1.5),
    ("quilt-wizard --help / import floor", "help", "import", 2.0),
)


def wizard(*args: str) -> list[str]:
    return [sys.executable, "-m", "wizard", *args]


def heavy_imports(args: list[str], env: dict, cwd: str) -> list[str]:
    code = ("import sys, contextlib, io\nfrom wizard.cli import main\n"
            "with contextlib.redirect_stdout(io.StringIO()):\n"
            "    try:\n        main(sys.argv[1:])\n    except SystemExit:\n        pass\n"
            f"print(' '.join(m for m in {HEAVY!r} if m in sys.modules))")
    proc = subprocess.run([sys.executable, "-c", code, *args], capture_output=True, text=True, env=env, cwd=cwd)
    return proc.stdout.split()


def main() -> None:
    compileall.compile_dir(str(ROOT / "wizard"), quiet=1)  # as the set-up does: no run pays for bytecode
    rounds = int(sys.argv[sys.argv.index("--rounds") + 1]) if "--rounds" in sys.argv else 7
    home = tempfile.mkdtemp(prefix="qw-bench-")
    work = tempfile.mkdtemp(prefix="qw-bench-out-")
    env = {**os.environ, "QUILT_WIZARD_HOME": home,
           "PYTHONPATH": os.pathsep.join([str(ROOT), *filter(None, [os.environ.get("PYTHONPATH")])])}
    out = str(Path(work) / "params.json")
    rows: dict[str, tuple[str, list[str]]] = {
        "floor": ('python -c pass (a bare Python start)', [sys.executable, "-c", "pass"]),
        "import": ('python -c "import wizard.cli" (the import floor)', [sys.executable, "-c", "import wizard.cli"]),
        "help": ("quilt-wizard --help", wizard("--help")),
        "headless": ("headless run, examples/answers.yaml, embedded template",
                     wizard("--answers", str(ANSWERS), "--out", out, "--force")),
    }
    if REAL.is_file():
        rows["headless-vendor"] = ("headless run, the vendor's template (hardened)",
                                   wizard("--answers", str(VENDOR_ANSWERS), "--template", str(REAL),
                                          "--out", str(Path(work) / "vendor.json"), "--force"))
        rows["grants"] = ("quilt-wizard grants --json, vendor template, warm caches",
                          wizard("grants", "--template", str(REAL), "--json"))
        rows["grants-cold"] = ("quilt-wizard grants --json, vendor template, empty home",
                               wizard("grants", "--template", str(REAL), "--json"))
        cfn_lint = shutil.which("cfn-lint", path=str(Path(sys.executable).parent)) or shutil.which("cfn-lint")
        if cfn_lint and "--no-peers" not in sys.argv:
            rows["cfn-lint"] = ("cfn-lint on the vendor template (for comparison)", [cfn_lint, str(REAL)])
    else:
        print(f"the vendor template is not at {REAL}; skipped its benchmarks")
    for key, (_, command) in rows.items():  # warm every cache once (a cold row stays cold below)
        if key not in ("grants-cold", "cfn-lint"):
            one_run(command, env=env, cwd=work)
    samples: dict[str, list[tuple[float, float]]] = {key: [] for key in rows}
    for _ in range(rounds):
        for key, (_, command) in rows.items():
            if key == "grants-cold":
                with tempfile.TemporaryDirectory(prefix="qw-bench-cold-") as cold:
                    samples[key].append(one_run(command, env={**env, "QUILT_WIZARD_HOME": cold}, cwd=work))
            else:
                samples[key].append(one_run(command, env=env, cwd=work, check=key != "cfn-lint"))
    figures = {key: (statistics.median(cpu for cpu, _ in runs), max(rss for _, rss in runs))
               for key, runs in samples.items()}
    print(f"{rounds} interleaved rounds; median CPU seconds (user + system), largest peak RSS")
    for key, (name, _) in rows.items():
        report_cost(name, figures[key])
    for key in ("headless", "grants"):
        if key in rows:
            print(f"{'  heavy modules imported by ' + key:<58} "
                  f"{heavy_imports(rows[key][1][3:], env, work) or 'none'}")
    print("ratios, measured in this run (each from the medians above; per-round range in brackets):")
    for name, top, bottom, limit in GOALS:
        if top not in figures or bottom not in figures:
            continue
        ratio = figures[top][0] / figures[bottom][0]
        per_round = sorted(a[0] / b[0] for a, b in zip(samples[top], samples[bottom]))
        shown = (lambda r: f"1/{1 / r:.1f}") if limit < 1 else (lambda r: f"{r:.2f}x")
        verdict = "ok" if ratio <= limit else "over"
        print(f"  {name:<56} {shown(ratio):>8}  [{shown(per_round[0])} .. {shown(per_round[-1])}]  "
              f"(goal <= {shown(limit)}: {verdict}); peak {figures[top][1]:.0f} vs {figures[bottom][1]:.0f} MiB")


if __name__ == "__main__":
    main()
