"""The core never imports the UI: checked in a fresh interpreter, module by module."""

from __future__ import annotations

import os
import subprocess
import sys

CHECK = """
import importlib, pkgutil, sys
import wizard
for module in pkgutil.walk_packages(wizard.__path__, 'wizard.'):
    importlib.import_module(module.name)
bad = [m for m in ('textual', 'screens', 'questionary') if m in sys.modules]
print(' '.join(bad))
"""


def test_importing_every_core_module_loads_no_ui():
    proc = subprocess.run([sys.executable, "-c", CHECK], capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip() == ""


def test_the_analysis_path_loads_neither_textual_nor_boto3():
    code = ("import sys; from wizard.cli import main; import wizard.cfn.evaluate, wizard.cfn.template; "
            "print(' '.join(m for m in ('textual', 'boto3', 'botocore') if m in sys.modules))")
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip() == ""


def test_the_import_linter_contract_holds():
    import shutil
    from pathlib import Path

    linter = Path(sys.executable).with_name("lint-imports")
    command = str(linter) if linter.exists() else shutil.which("lint-imports")
    if command is None:
        import pytest

        pytest.skip("import-linter is not installed")
    root = Path(__file__).resolve().parents[2]
    proc = subprocess.run([command], capture_output=True, text=True, cwd=root, timeout=300)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    import tomllib

    contracts = tomllib.loads((root / "pyproject.toml").read_text())["tool"]["importlinter"]["contracts"]
    assert " 0 broken" in proc.stdout and f"{len(contracts)} kept" in proc.stdout


def test_render_and_profiles_do_not_load_the_iam_definitions(tmp_path):
    template = tmp_path / "t.yaml"
    template.write_text("Resources:\n  T: {Type: AWS::SNS::Topic}\n")
    code = ("import contextlib, io, sys\nfrom wizard.cli import main\nimport wizard.iam.actions as a\n"
            "with contextlib.redirect_stdout(io.StringIO()):\n"
            f"    main(['render', '--template', {str(template)!r}])\n"
            "    main(['profiles', 'list'])\n"
            "print(not a.catalog.loaded(), 'textual' in sys.modules, 'boto3' in sys.modules)")
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120,
                          env={**os.environ, "QUILT_WIZARD_HOME": str(tmp_path)})
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.split() == ["True", "False", "False"]
