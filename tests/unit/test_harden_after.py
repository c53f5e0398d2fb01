""""Deploy now, harden after": phase 1 is deployed too, so the summary and the report show it."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from wizard.cli import main

EXAMPLE = Path("examples/answers.yaml")


def _after(tmp_path) -> Path:
    answers = tmp_path / "after.yaml"
    answers.write_text(EXAMPLE.read_text().replace("timeline: before ", "timeline: after "))
    return answers


def test_the_summary_shows_phase_one_against_the_baseline_and_its_findings(tmp_path, capsys):
    assert main(["--answers", str(_after(tmp_path)), "--out", str(tmp_path / "p.json")]) == 0
    out = capsys.readouterr().out
    assert "Phase 1 (deployed first) against the baseline (standard)" in out
    assert re.search(r"Findings of phase 1 \(deployed first\): \d+ \(\d+ critical", out)
    assert "CRITICAL QW-ESC-002" in out
    phase2 = re.search(r"Findings of phase 2 \(harden\): \d+ \(([^)]*)\)", out)
    assert phase2 and "critical" not in phase2.group(1)


def test_the_json_summary_counts_each_phase(tmp_path, capsys):
    assert main(["--answers", str(_after(tmp_path)), "--out", str(tmp_path / "p.json"), "--json"]) == 0
    files = json.loads(capsys.readouterr().out)["files"]
    assert files[0]["findings"]["by_severity"]["critical"] == 1
    assert "critical" not in files[1]["findings"]["by_severity"]
    assert any("QW-ESC-002" in name for name in files[0]["findings"]["serious"])


def test_the_report_writes_phase_one_too_and_gates_on_it(tmp_path, capsys):
    out = tmp_path / "report"
    assert main(["report", "--answers", str(_after(tmp_path)), "--out", str(out), "--fail-on", "critical"]) == 1
    text = capsys.readouterr().out
    assert "phase 1 (deployed first)" in text and "1 critical" in text
    assert (out / "phase-1" / "security-report.md").is_file() and (out / "security-report.md").is_file()
    assert "QW-ESC-002" in (out / "phase-1" / "security-report.md").read_text()


def test_the_summary_warns_when_a_secret_lands_unignored_in_a_git_work_tree(tmp_path, capsys):
    import subprocess

    subprocess.run(["git", "init", "-q", str(tmp_path)], check=True)
    out = tmp_path / "p.json"
    assert main(["--answers", str(EXAMPLE), "--out", str(out), "--set", "AdminPassword=correct-horse-battery"]) == 0
    assert "not ignored: it holds the plaintext AdminPassword" in capsys.readouterr().out
    (tmp_path / ".gitignore").write_text("*.json\n")
    assert main(["--answers", str(EXAMPLE), "--out", str(out), "--force",
                 "--set", "AdminPassword=correct-horse-battery"]) == 0
    assert "not ignored" not in capsys.readouterr().out


def _tree(folder: Path) -> dict[str, str]:
    return {str(p.relative_to(folder)): (p.read_text() if p.is_file() else "/") for p in sorted(folder.rglob("*"))}


@pytest.mark.parametrize("phase_one,force", [("file", False), ("file", True), ("old report", False)])
def test_a_phase_one_that_cannot_be_written_leaves_the_folder_untouched(tmp_path, capsys, phase_one, force):
    out = tmp_path / "report"
    out.mkdir()
    (out / "security-report.md").write_text("the last report")
    if phase_one == "file":
        (out / "phase-1").write_text("not a folder")
    else:
        (out / "phase-1").mkdir()
        (out / "phase-1" / "security-report.md").write_text("the last phase 1")
    if not force:
        (out / "security-report.md").unlink()  # only phase 1 stands in the way
    before = _tree(out)
    code = main(["report", "--answers", str(_after(tmp_path)), "--out", str(out), *(["--force"] if force else [])])
    assert code == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "phase-1" in err, err
    assert _tree(out) == before  # no report, no .bak, no folder made
