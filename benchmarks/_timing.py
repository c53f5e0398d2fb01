"""Small timing helpers shared by the benchmarks (median of repeated runs, CPU and peak memory
of whole processes)."""

from __future__ import annotations

import os
import statistics
import subprocess
import time
from pathlib import Path
from typing import Callable

ROOT = Path(__file__).resolve().parent.parent
#: The vendor fixtures sit in a "shared" folder beside the checkout (or beside a folder of checkouts);
#: ``QUILT_WIZARD_REAL_TEMPLATE`` points elsewhere.
REAL = Path(os.environ.get("QUILT_WIZARD_REAL_TEMPLATE") or next(
    (p / "shared" / "fixtures" / "quilt-real" / "stable.yaml" for p in ROOT.parents
     if (p / "shared" / "fixtures" / "quilt-real").is_dir()),
    ROOT.parent / "shared" / "fixtures" / "quilt-real" / "stable.yaml"))


def median_ms(action: Callable[[], object], repeat: int = 30, warmup: int = 2) -> float:
    """Median wall time of ``action`` in milliseconds."""
    for _ in range(warmup):
        action()
    samples = []
    for _ in range(repeat):
        start = time.perf_counter()
        action()
        samples.append((time.perf_counter() - start) * 1000)
    return statistics.median(samples)


def report(name: str, value: float, unit: str = "ms", target: str = "", peak: float | None = None) -> None:
    """Print one benchmark line with the peak RSS in MiB of the process measured: ``peak`` when
    given (a child process), else this process's so far (a figure measured in process)."""
    if peak is None and unit == "ms":
        import resource

        peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    memory = f"  {peak:7.1f} MiB peak" if peak is not None else ""
    suffix = f"   (target {target})" if target else ""
    print(f"{name:<58} {value:10.2f} {unit}{memory}{suffix}")


def process_cost(command: list[str], repeat: int = 5, check: bool = True,
                 env: dict | None = None) -> tuple[float, float]:
    """(median CPU seconds, user + system, and the largest peak RSS in MiB) of running ``command``."""
    runs = [one_run(command, check=check, env=env) for _ in range(repeat)]
    return statistics.median(cpu for cpu, _ in runs), max(rss for _, rss in runs)


def one_run(command: list[str], check: bool = True, env: dict | None = None,
            cwd: str | None = None) -> tuple[float, float]:
    """(CPU seconds, user + system, and peak RSS in MiB) of one run of ``command``."""
    proc = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, env=env, cwd=cwd)
    _, status, usage = os.wait4(proc.pid, 0)
    proc.returncode = os.waitstatus_to_exitcode(status)
    stderr = proc.stderr.read().decode() if proc.stderr else ""
    if proc.stderr:
        proc.stderr.close()
    if check and proc.returncode != 0:
        raise SystemExit(f"{' '.join(command)} failed: {stderr.strip()}")
    return usage.ru_utime + usage.ru_stime, usage.ru_maxrss / 1024


def report_cost(name: str, cost: tuple[float, float], target: str = "") -> None:
    """Print one whole-process line: CPU seconds and peak RSS."""
    suffix = f"   (target {target})" if target else ""
    print(f"{name:<58} {cost[0]:8.3f} s CPU  {cost[1]:7.1f} MiB peak{suffix}")
