"""Overlay benchmarks on the real Quilt template: hardening in-process, and its analysis.

Run: ``.venv/bin/python benchmarks/bench_overlay.py``. Prints median milliseconds.
"""

from __future__ import annotations

import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks._timing import REAL, median_ms, report  # noqa: E402
from tests.conftest import REAL_REQUIRED  # noqa: E402
from wizard.cfn.template import parse_template  # noqa: E402


def median_cpu_ms(action, repeat: int = 10) -> float:
    """Median processor time of ``action``: what the work costs on a machine others share."""
    action()
    samples = []
    for _ in range(repeat):
        start = time.process_time()
        action()
        samples.append((time.process_time() - start) * 1000)
    return statistics.median(samples)


def main() -> None:
    if not REAL.is_file():
        sys.exit(f"the real template is not at {REAL}")
    from wizard.overlay import harden, load_overlay
    from wizard.iam.analysis import compare

    text = REAL.read_text()
    overlay = load_overlay()
    print(f"real template: {REAL.name}, {len(text):,} bytes; overlay {overlay.name} {overlay.version}, "
          f"{len(overlay.rules)} rules")

    def harden_fresh() -> None:
        harden(parse_template(text), overlay)  # a new Template each time: no cache helps

    template = parse_template(text)
    report("parse the vendor template (for reference)", median_ms(lambda: parse_template(text), repeat=10))
    report("parse + harden (match, edit, write YAML, parse again)", median_ms(harden_fresh, repeat=10),
           target="well under 1000 ms")
    report("  the same, processor time", median_cpu_ms(harden_fresh), target="well under 1000 ms")
    hardened = harden(template, overlay).template
    enhanced = {**REAL_REQUIRED, "EnableEnhancedSecurity": "true", "CustomerBucketPrefix": "acme-"}

    from wizard.iam.analysis import _analyse, _compare

    def option_diff() -> None:
        _analyse.cache_clear()  # measure the work, not the cache
        _compare.cache_clear()
        compare(hardened, REAL_REQUIRED, enhanced)

    report("hardened template: both sides + grants + network + diff", median_ms(option_diff), target="< 20 ms")


if __name__ == "__main__":
    main()
