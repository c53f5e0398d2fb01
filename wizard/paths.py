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

#: Environment variable that moves every user folder (config, data, cache) under one root.
HOME_ENV = "QUILT_WIZARD_HOME"
#: Environment variable that moves the cache folder alone (tests point it at a temporary one).
CACHE_ENV = "QUILT_WIZARD_CACHE"


def user_dir(kind: str) -> Path:
    """The user's ``config``, ``data`` or ``cache`` folder for quilt-wizard.

    ``$QUILT_WIZARD_HOME/<kind>`` when that variable is set (tests, portable setups),
    otherwise the platform's usual place (platformdirs).
    """
    import os

    root = os.environ.get(HOME_ENV)
    if root:
        return Path(root) / kind
    import platformdirs

    finder = {"config": platformdirs.user_config_dir, "data": platformdirs.user_data_dir,
              "cache": platformdirs.user_cache_dir}[kind]
    return Path(finder("quilt-wizard"))


def cache_dir() -> Path:
    """The folder where runs keep what they worked out (parsed templates, expanded action
    patterns, verdicts, kept hardenings): ``$QUILT_WIZARD_CACHE``, else the user's cache folder."""
    import os

    override = os.environ.get(CACHE_ENV)
    return Path(override) if override else user_dir("cache")
