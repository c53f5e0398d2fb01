"""The command line's output, byte for byte, on the embedded and the vendor's template.

Each case runs ``quilt-wizard`` as a real process in an empty working folder (so a written file
has the same relative path on every machine) and compares what it printed (standard output,
standard error, the exit status) and the files it wrote with ``tests/data/golden/CASE.txt``.
Only what truly varies from one checkout to another is replaced: the repository's folder by
``<repo>`` and the vendor template's folder by ``<vendor>``. A file made of the vendor's template
itself (its rendering, its hardened form) is kept as its sha256 and size, never copied here.

A change of output on purpose is one command away from its new goldens (review the diff)::

    QUILT_WIZARD_GOLDEN=update .venv/bin/python -m pytest -q tests/integration/test_golden_output.py
"""

from __future__ import annotations

import hashlib
import os
from pathlib import Path

import pytest

from tests.cli_run import run_cli
from tests.conftest import REAL, REAL_REQUIRED

ROOT = Path(__file__).resolve().parents[2]
GOLDEN = ROOT / "tests" / "data" / "golden"
UPDATE = os.environ.get("QUILT_WIZARD_GOLDEN") == "update"
ANSWERS = str(ROOT / "examples" / "answers.yaml")
VENDOR = str(REAL)
REQUIRED = [a for k, v in REAL_REQUIRED.items() for a in ("--set", f"{k}={v}")]
REQUIRED_FROM = [a for k, v in REAL_REQUIRED.items() for a in ("--from", f"{k}={v}")]

#: name: (argv, files kept whole, files kept as a digest)
CASES: dict[str, tuple[list[str], list[str], list[str]]] = {
    "embedded-render": (["render"], [], []),
    "embedded-grants": (["grants"], [], []),
    "embedded-grants-json": (["grants", "--json"], [], []),
    "embedded-diff": (["diff", "--from", "CustomerBucketPrefix=", "--set", "CustomerBucketPrefix=acme-",
                       "--from", "LoadBalancerScheme=internal", "--set", "LoadBalancerScheme=internet-facing"],
                      [], []),
    "embedded-harden": (["harden", "--out", "hardened.yaml"], [], ["hardened.yaml"]),
    "embedded-headless": (["--answers", ANSWERS, "--out", "params.json"], ["params.json"], []),
    "embedded-headless-json": (["--answers", ANSWERS, "--out", "params.json", "--json"], ["params.json"], []),
    "embedded-headless-overrides": (["--answers", ANSWERS, "--out", "params.txt", "--format", "overrides"],
                                    ["params.txt"], []),
    "vendor-render": (["render", "-t", VENDOR, *REQUIRED], [], ["<stdout>"]),
    "vendor-grants": (["grants", "-t", VENDOR, *REQUIRED], [], []),
    "vendor-harden": (["harden", "-t", VENDOR, "--out", "hardened.yaml"], [], ["hardened.yaml"]),
    "vendor-diff-hardened": (["diff", "-t", VENDOR, "--harden", *REQUIRED_FROM, *REQUIRED,
                              "--set", "CustomerBucketPrefix=acme-"], [], []),
}


def _digest(data: bytes) -> str:
    return f"sha256 {hashlib.sha256(data).hexdigest()}, {len(data):,} bytes\n"


def _masked(text: str) -> str:
    return text.replace(str(REAL.parent), "<vendor>").replace(str(ROOT), "<repo>")


def transcript(name: str, folder: Path) -> str:
    """What one case printed and wrote, as the golden file holds it."""
    argv, whole, digested = CASES[name]
    result = run_cli(*argv, cwd=folder, env={"COLUMNS": "100", "LINES": "40", "NO_COLOR": "1"})
    shown_argv = " ".join(_masked(a) for a in argv)
    out = _digest(result.out.encode()) if "<stdout>" in digested else result.out
    parts = [f"$ quilt-wizard {shown_argv}\n", f"--- exit {result.code}\n", "--- stdout\n", out,
             "--- stderr\n", result.err]
    for path in whole:
        parts += [f"--- file {path}\n", (folder / path).read_text(encoding="utf-8")]
    for path in digested:
        if path != "<stdout>":
            parts += [f"--- file {path}\n", _digest((folder / path).read_bytes())]
    written = sorted(p.relative_to(folder).as_posix() for p in folder.rglob("*") if p.is_file())
    parts.append(f"--- files written: {', '.join(written) or 'none'}\n")
    return _masked("".join(parts))


@pytest.mark.parametrize("name", list(CASES))
def test_the_output_is_unchanged(name, tmp_path):
    if name.startswith("vendor-") and not REAL.is_file():
        pytest.skip("the real Quilt template fixture (../shared/fixtures/quilt-real) is absent")
    folder = tmp_path / "cwd"
    folder.mkdir()
    actual = transcript(name, folder)
    golden = GOLDEN / f"{name}.txt"
    if UPDATE:
        golden.write_text(actual, encoding="utf-8")
        return
    assert golden.is_file(), f"no golden for {name}: run with QUILT_WIZARD_GOLDEN=update"
    expected = golden.read_text(encoding="utf-8")
    assert actual == expected, (f"{name}: the output changed; if on purpose, regenerate the goldens "
                                "with QUILT_WIZARD_GOLDEN=update and review their diff")


def test_every_golden_belongs_to_a_case():
    assert {p.stem for p in GOLDEN.glob("*.txt")} == set(CASES)
