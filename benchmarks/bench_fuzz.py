"""A long search for inputs that end in a traceback: the fuzz suite with many fresh examples.

``python benchmarks/bench_fuzz.py [EXAMPLES]`` runs ``tests/unit/test_fuzz_inputs.py`` with
``QUILT_WIZARD_FUZZ_EXAMPLES`` (default 3000 a test) and random seeds, and prints how long it
took; CI runs the same suite with a fixed seed and 60 examples a test.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def main() -> int:
    examples = sys.argv[1] if len(sys.argv) > 1 and sys.argv[1].isdigit() else "3000"
    env = {**os.environ, "QUILT_WIZARD_FUZZ_EXAMPLES": examples}
    started = time.perf_counter()
    status = subprocess.call([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider",
                              str(ROOT / "tests" / "unit" / "test_fuzz_inputs.py")], cwd=ROOT, env=env)
    print(f"fuzz: {examples} examples a test, {time.perf_counter() - started:.0f} s, "
          f"{'no traceback' if status == 0 else 'FAILED'}")
    return status


if __name__ == "__main__":
    raise SystemExit(main())
