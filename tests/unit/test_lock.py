"""The lock (requirements/dev.txt) and pyproject.toml agree.

Development and CI install from the lock alone (`scripts/install-dev.sh`), so a requirement
added to or narrowed in `pyproject.toml` without re-locking would go untested: every direct
requirement of the package, of its `dev` extra and of its build must be pinned in the lock at
a version its range admits, and every pin must carry hashes.
"""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

import pytest
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

ROOT = Path(__file__).resolve().parents[2]
LOCK = ROOT / "requirements" / "dev.txt"
PIN = re.compile(r"^([A-Za-z0-9][A-Za-z0-9._-]*)==([^\s\\;]+)")


def read_lock(text: str) -> dict[str, tuple[str, int]]:
    """Each pinned package of a pip-compile lock: its version and how many hashes it carries."""
    pins: dict[str, tuple[str, int]] = {}
    name = None
    for line in text.splitlines():
        match = PIN.match(line)
        if match:
            name = canonicalize_name(match.group(1))
            pins[name] = (match.group(2), 0)
        elif name and line.strip().startswith("--hash=sha256:"):
            version, hashes = pins[name]
            pins[name] = (version, hashes + 1)
        elif line and not line.startswith((" ", "#")):
            name = None
    return pins


def disagreements(pyproject: dict, pins: dict[str, tuple[str, int]]) -> list[str]:
    """Every direct requirement the lock misses or pins outside its range."""
    project = pyproject["project"]
    wanted = [*project["dependencies"], *project["optional-dependencies"]["dev"],
              *pyproject["build-system"]["requires"]]
    problems = []
    for text in wanted:
        requirement = Requirement(text)
        if requirement.marker and not requirement.marker.evaluate({"extra": "dev"}):
            continue
        name = canonicalize_name(requirement.name)
        if name not in pins:
            problems.append(f"{requirement.name} is not in the lock")
        elif not requirement.specifier.contains(pins[name][0], prereleases=True):
            problems.append(f"{requirement.name}=={pins[name][0]} is outside {requirement.specifier}")
    return problems


@pytest.fixture(scope="module")
def pins() -> dict[str, tuple[str, int]]:
    return read_lock(LOCK.read_text(encoding="utf-8"))


def test_every_direct_requirement_is_locked_within_its_range(pins):
    pyproject = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    assert disagreements(pyproject, pins) == []


def test_every_pin_carries_hashes(pins):
    assert pins, "the lock pins nothing"
    assert [name for name, (_, hashes) in pins.items() if hashes == 0] == []


def test_the_lock_names_no_local_index_or_path():
    text = LOCK.read_text(encoding="utf-8")
    assert not re.search(r"file:|--(extra-)?index-url|--find-links|^-e ", text, re.MULTILINE)


def test_a_range_the_lock_leaves_is_a_disagreement():
    """The check itself can fail: a narrowed range, a new requirement and a dropped pin."""
    pyproject = {
        "project": {"dependencies": ["textual>=9", "newlib"],
                    "optional-dependencies": {"dev": ["pytest>=8"]}},
        "build-system": {"requires": ["hatchling"]},
    }
    pins = {"textual": ("8.2.8", 2), "pytest": ("8.4.2", 2)}
    assert disagreements(pyproject, pins) == [
        "textual==8.2.8 is outside >=9",
        "newlib is not in the lock",
        "hatchling is not in the lock",
    ]


def test_install_and_ci_install_from_the_lock():
    script = (ROOT / "scripts" / "install-dev.sh").read_text(encoding="utf-8")
    assert 'lock=${1:-requirements/dev.txt}' in script and '--require-hashes -r "$lock"' in script
    assert "--no-deps --no-build-isolation -e ." in script
    assert "bash scripts/install-dev.sh requirements/dev.txt" in (ROOT / ".ci" / "run").read_text(encoding="utf-8")
    readme_head = (ROOT / "README.md").read_text(encoding="utf-8").splitlines()[:6]
    assert any(line.startswith("bash scripts/install-dev.sh") for line in readme_head)
