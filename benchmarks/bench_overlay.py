"""Overlay benchmarks on the real Quilt template: hardening in-process, and its analysis.

Run: ``.venv/bin/python benchmarks/bench_overlay.py``. Prints median milliseconds.
"""

from __future__ import annotations

import os
import statistics
import sys
import tempfile
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

    from wizard.iam import analysis
    from wizard.iam.analysis import _analyse, _compare

    def option_diff() -> None:
        _analyse.cache_clear()  # measure the work, not the cache
        _compare.cache_clear()
        compare(hardened, REAL_REQUIRED, enhanced)

    def option_diff_alone() -> None:
        analysis._LAST.clear()  # and no earlier analysis of the template to read over
        option_diff()

    report("hardened template: both sides + grants + network + diff, each side read from scratch",
           median_ms(option_diff_alone), target="< 20 ms")
    report("  the same, each side read over the last analysis (the live panel's case)", median_ms(option_diff),
           target="< 20 ms")

    from wizard.overlay import costs as costs_module
    from wizard.paths import CACHE_ENV

    chosen = {**REAL_REQUIRED, "EnableEnhancedSecurity": "true", "CustomerBucketPrefix": "acme-",
              "PolicyCreationMode": "ManualApproval", "ApproverPrincipalArn": "arn:aws:iam::123456789012:role/a",
              "TrustExternalPrincipals": "Remove", "UseVPCEndpoints": "true", "EnableCloudWatchIntegration": "true"}
    chosen = {k: v for k, v in chosen.items() if k in hardened.parameters}

    def causes_worked_out() -> None:
        os.environ[CACHE_ENV] = tempfile.mkdtemp(prefix="qw-bench-costs-")  # nothing kept to read back
        _analyse.cache_clear()
        analysis._LAST.clear()
        costs_module.costs(hardened, REAL_REQUIRED, chosen)

    def causes_read_back() -> None:
        costs_module.costs(hardened, REAL_REQUIRED, chosen)

    saved = os.environ.get(CACHE_ENV)
    try:
        report(f"what each choice costs Quilt, {len(chosen) - len(REAL_REQUIRED)} options changed: causes worked out",
               median_ms(causes_worked_out, repeat=5))
        report("  the same, read back from an earlier run", median_ms(causes_read_back))
    finally:
        if saved is None:
            os.environ.pop(CACHE_ENV, None)
        else:
            os.environ[CACHE_ENV] = saved


if __name__ == "__main__":
    main()
