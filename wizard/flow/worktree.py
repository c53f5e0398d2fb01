"""Whether a file about to be written would be committed by accident.

A parameter file holding a NoEcho value (the admin password) is written in plaintext, readable
by its owner only; inside a git work tree where no ``.gitignore`` rule covers it, the next
``git add .`` publishes the secret. ``exposure`` asks git itself (``git rev-parse`` and
``git check-ignore``) and says so; without git, or outside a work tree, it says nothing. Git is
only started for a folder with a ``.git`` entry in it or above it (where git looks for a work
tree), or when ``GIT_DIR`` names one.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path
from typing import TYPE_CHECKING, Iterable

if TYPE_CHECKING:
    import subprocess


def _maybe_in_work_tree(folder: Path) -> bool:
    """Whether git could find a work tree from ``folder``: a ``.git`` entry there or above, or
    ``GIT_DIR`` set. Without either, git would find none."""
    if os.environ.get("GIT_DIR"):
        return True
    return any((parent / ".git").exists() for parent in (folder, *folder.parents))


def _git(folder: Path, *args: str) -> "subprocess.CompletedProcess | None":
    git = shutil.which("git")
    if git is None:
        return None
    import subprocess  # only a file that may land in a work tree pays for it

    try:
        return subprocess.run([git, "-C", str(folder), *args], capture_output=True, text=True, timeout=10)
    except (OSError, subprocess.TimeoutExpired):
        return None


def work_tree_of(path: str | Path) -> Path | None:
    """The git work tree ``path`` would land in, or None."""
    folder = Path(path).expanduser().absolute().parent
    while not folder.is_dir() and folder != folder.parent:
        folder = folder.parent
    if not _maybe_in_work_tree(folder):
        return None
    found = _git(folder, "rev-parse", "--show-toplevel")
    if found is None or found.returncode != 0 or not found.stdout.strip():
        return None
    return Path(found.stdout.strip())


def exposure(path: str | Path, secrets: Iterable[str]) -> str | None:
    """A warning when ``path`` holds ``secrets`` (parameter names) and lands in a git work tree
    where it is not ignored; None otherwise."""
    secrets = list(secrets)
    if not secrets:
        return None
    tree = work_tree_of(path)
    if tree is None:
        return None
    target = Path(path).expanduser().absolute()
    ignored = _git(tree, "check-ignore", "-q", "--no-index", str(target))
    if ignored is not None and ignored.returncode == 0:
        return None
    return (f"{target} is inside the git work tree {tree} and not ignored: it holds the plaintext "
            f"{', '.join(secrets)}. Write it outside the work tree or add it to .gitignore.")
