"""Where the shipped data lives, in a source checkout and in an installed wheel.

A wheel carries ``assets/`` and ``profiles/`` inside the package as ``wizard/_assets`` and
``wizard/_profiles``; a source checkout (or an editable install) has them at the repository
root. Every reader of shipped data goes through this module.
"""

from __future__ import annotations

from pathlib import Path

_PACKAGE = Path(__file__).resolve().parent


def _shipped(installed: str, checkout: str) -> Path:
    inside = _PACKAGE / installed
    return inside if inside.is_dir() else _PACKAGE.parent / checkout


ASSETS: Path = _shipped("_assets", "assets")
PROFILES: Path = _shipped("_profiles", "profiles")
SCHEMAS: Path = ASSETS / "schemas"
DEFAULT_TEMPLATE: Path = ASSETS / "templates" / "quilt.yaml"
