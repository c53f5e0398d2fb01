"""The headless run's files: a parameter file holding a NoEcho value inside a git work tree that does
not ignore it is warned about, and a run with no NoEcho value starts no git to ask."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap

import pytest

from tests.conftest import ROOT
from wizard.flow.answers import load_answers_file
from wizard.flow.headless import exposures, plan_arguments, plan_deployment

ANSWERS = ROOT / "examples" / "answers.yaml"


def _deployment(folder, settings=None):
    subprocess.run(["git", "init", "-q", str(folder)], check=True)
    arguments = plan_arguments(load_answers_file(ANSWERS), out=str(folder / "params.json"), settings=settings)
    return plan_deployment(**arguments)


def test_a_noecho_value_in_a_work_tree_that_does_not_ignore_it_is_warned_about(tmp_path):
    (warning,) = exposures(_deployment(tmp_path, {"AdminPassword": "s3cret-Passw0rd"}))
    assert "AdminPassword" in warning and "s3cret" not in warning
    (tmp_path / ".gitignore").write_text("params.json\n")
    assert exposures(_deployment(tmp_path, {"AdminPassword": "s3cret-Passw0rd"})) == []


def test_without_a_noecho_value_no_git_is_asked(tmp_path):
    code = textwrap.dedent(f"""
        import subprocess, sys
        from tests.unit.test_headless_write import _deployment
        from wizard.flow.headless import exposures
        deployment = _deployment(__import__("pathlib").Path({str(tmp_path)!r}))
        started = []
        subprocess.Popen.__init__ = lambda self, *a, **k: started.append(a)
        print(exposures(deployment), started, "wizard.flow.worktree" in sys.modules)
    """)
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True,
                         env={**os.environ, "PYTHONPATH": str(ROOT)})
    assert out.stdout.strip() == "[] [] False", out.stderr


def test_outside_any_work_tree_no_git_is_asked_even_for_a_noecho_value(tmp_path, monkeypatch):
    from wizard.flow import worktree

    folder = tmp_path / "plain"
    folder.mkdir()
    asked = []
    monkeypatch.setattr(worktree, "_git", lambda *a: asked.append(a))
    monkeypatch.delenv("GIT_DIR", raising=False)
    if any((parent / ".git").exists() for parent in tmp_path.parents):
        pytest.skip("the temporary folder lies in a git work tree")
    assert worktree.exposure(folder / "params.json", ["AdminPassword"]) is None and asked == []
    monkeypatch.setenv("GIT_DIR", str(tmp_path / "elsewhere.git"))
    worktree.exposure(folder / "params.json", ["AdminPassword"])
    assert asked  # a GIT_DIR may name a repository anywhere: git is asked
