"""Small timing helpers shared by the benchmarks (median of repeated runs)."""

from __future__ import annotations

import statistics
import time
from pathlib import Path
from typing import Callable

ROOT = Path(__file__).resolve().parent.parent
#: The vendor fixtures sit in a "shared" folder beside the checkout (or beside a folder of checkouts).
REAL = next((p / "shared" / "fixtures" / "quilt-real" / "stable.yaml" for p in ROOT.parents
             if (p / "shared" / "fixtures" / "quilt-real").is_dir()),
            ROOT.parent / "shared" / "fixtures" / "quilt-real" / "stable.yaml")


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


def report(name: str, value: float, unit: str = "ms", target: str = "") -> None:
    """Print one benchmark line."""
    suffix = f"   (target {target})" if target else ""
    print(f"{name:<58} {value:10.2f} {unit}{suffix}")
