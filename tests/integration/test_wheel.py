"""A plain, non-editable install works: the wheel carries assets and profiles inside the package."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from tests.conftest import DATA, ROOT


@pytest.fixture(scope="module")
def wheel(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("wheel")
    proc = subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "-q", "-w", str(out), str(ROOT)],
                          capture_output=True, text=True, timeout=600)
    if proc.returncode != 0:
        pytest.skip(f"cannot build a wheel here (no build backend installed? scripts/install-dev.sh installs the locked one): {proc.stderr.strip()[-300:]}")
    [built] = out.glob("quilt_wizard-*.whl")
    return built


@pytest.mark.slow
def test_the_wheel_ships_the_data_inside_the_package(wheel):
    names = set(zipfile.ZipFile(wheel).namelist())
    for shipped in ("wizard/_assets/questions.yaml", "wizard/_assets/templates/quilt.yaml",
                    "wizard/_assets/schemas/answers.schema.json", "wizard/_profiles/standard.yaml",
                    "wizard/_profiles/enterprise.yaml", "screens/__init__.py", "wizard/cli.py"):
        assert shipped in names, shipped
    entry_points = next(n for n in names if n.endswith("entry_points.txt"))
    text = zipfile.ZipFile(wheel).read(entry_points).decode()
    assert "quilt-wizard = wizard.cli:main" in text and "tui = screens.app:run_app" in text


@pytest.mark.slow
def test_an_installed_copy_runs_headless_outside_the_checkout(wheel, tmp_path):
    target = tmp_path / "site"
    subprocess.run([sys.executable, "-m", "pip", "install", "--no-deps", "-q", "--target", str(target), str(wheel)],
                   check=True, capture_output=True, timeout=600)
    env = {**os.environ, "PYTHONPATH": str(target)}
    code = ("import sys, wizard, wizard.paths as p; from wizard.cli import main; "
            "print(wizard.__file__, p.ASSETS, file=sys.stderr); sys.exit(main(sys.argv[1:]))")
    out = tmp_path / "params.json"
    proc = subprocess.run([sys.executable, "-c", code, "--answers", str(DATA / "answers" / "good-standard.yaml"),
                           "--out", str(out), "--json"], capture_output=True, text=True, cwd=tmp_path, env=env,
                          timeout=120)
    assert proc.returncode == 0, proc.stderr
    assert str(target) in proc.stderr and "_assets" in proc.stderr
    assert json.loads(out.read_text())
