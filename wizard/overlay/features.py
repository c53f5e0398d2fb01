"""What of Quilt each part of the vendor's template serves, and what each option means to remove.

``assets/quilt-features.yaml`` (checked by ``assets/schemas/quilt-features.schema.json``) lists
Quilt's features (catalog and registry, search indexing, packaging, access counts, tabulator,
iceberg, canaries, ...), each with the roles that serve it (by logical id, ``*`` and ``?``
matching vendor names that vary), the resources it owns and the outside principals it is for;
and, for each hardening option, the accesses it is meant to remove (``removes``). An access
lost to an option that none of its ``removes`` describes is collateral
(``wizard.overlay.costs``).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from fnmatch import fnmatchcase
from pathlib import Path

from wizard.cfn.yamlsource import parse_yaml
from wizard.errors import InputError
from wizard.iam import actions as iam_actions
from wizard.iam import resource_types
from wizard.iam.effective import Access
from wizard.iam.grants import TRUST
from wizard.paths import ASSETS
from wizard.schemas import validate
from wizard.memo import memo

CATALOG = ASSETS / "quilt-features.yaml"


@dataclass(frozen=True)
class Feature:
    id: str
    name: str
    description: str
    roles: tuple[str, ...] = ()
    resources: tuple[str, ...] = ()
    principals: tuple[str, ...] = ()


@dataclass(frozen=True)
class Removal:
    """Accesses an option means to remove: of these kinds, actions (and principals, resources)."""

    kinds: tuple[str, ...]
    actions: tuple[str, ...]
    principals: tuple[str, ...] = ()
    resources: tuple[re.Pattern[str], ...] = ()
    accepting: str = ""

    def describes(self, access: Access) -> bool:
        if access.kind not in self.kinds:
            return False
        if not any(fnmatchcase(access.action.lower(), p.lower()) for p in self.actions):
            return False
        if self.principals and not any(fnmatchcase(access.principal, p) for p in self.principals):
            return False
        if self.resources and not any(p.fullmatch(access.resource) for p in self.resources):
            return False
        return not self.accepting or _accepts(access.action, self.accepting)


def _accepts(action: str, text: str) -> bool:
    """Whether ``action`` (every action of a pattern) accepts an ARN containing ``text``; an
    action the catalog does not know is taken to."""
    names = iam_actions.expand(action) if any(c in action for c in "*?") else [action]
    for name in names or [action]:
        forms = resource_types.accepted(name)
        if forms is not None and not any(text in form for form in forms):
            return False
    return True


@dataclass(frozen=True)
class OptionClaim:
    parameter: str
    values: tuple[str, ...]
    claims: str
    removes: tuple[Removal, ...]

    def applies(self, value: str) -> bool:
        return not self.values or value in self.values


@dataclass(frozen=True)
class FeatureCatalog:
    features: tuple[Feature, ...]
    options: tuple[OptionClaim, ...]
    source: str = ""

    def of_role(self, logical_id: str) -> tuple[Feature, ...]:
        return tuple(f for f in self.features if any(fnmatchcase(logical_id, p) for p in f.roles))

    def of_resource(self, logical_id: str) -> tuple[Feature, ...]:
        return tuple(f for f in self.features if any(fnmatchcase(logical_id, p) for p in f.resources))

    def of_principal(self, principal: str) -> tuple[Feature, ...]:
        return tuple(f for f in self.features if any(fnmatchcase(principal, p) for p in f.principals))

    def affects(self, access: Access) -> tuple[Feature, ...]:
        """The features an access serves: those of the outside principal it is for, else those
        owning the resource it is on, else those of the role holding it."""
        if access.kind == TRUST:
            found = self.of_principal(access.principal)
            if found:
                return found
            return tuple(dict.fromkeys(f for on in access.on for f in self.of_role(on)))
        owned = tuple(dict.fromkeys(f for target in access.target for f in self.of_resource(target)))
        if owned:
            return owned
        return self.of_role(access.holder) or self.of_principal(access.principal)

    def claimed(self, parameter: str, value: str, access: Access) -> bool:
        """Whether option ``parameter`` at ``value`` means to remove ``access``."""
        return any(o.parameter == parameter and o.applies(value) and any(r.describes(access) for r in o.removes)
                   for o in self.options)


def _feature(data: dict) -> Feature:
    return Feature(data["id"], data["name"], data["description"], tuple(data.get("roles", ())),
                   tuple(data.get("resources", ())), tuple(data.get("principals", ())))


def _option(data: dict, source: str, index: int) -> OptionClaim:
    removes = []
    for r, entry in enumerate(data["removes"]):
        patterns = []
        for p, text in enumerate(entry.get("resources", ())):
            try:
                patterns.append(re.compile(text))
            except re.error as exc:
                raise InputError(f"not a regular expression: {exc}", file=source,
                                 where=f"/options/{index}/removes/{r}/resources/{p}") from None
        removes.append(Removal(tuple(entry["kinds"]), tuple(entry["actions"]), tuple(entry.get("principals", ())),
                               tuple(patterns), entry.get("accepting", "")))
    return OptionClaim(data["parameter"], tuple(str(v) for v in data.get("values", ())), data["claims"],
                       tuple(removes))


def load_features(path: str | Path = CATALOG) -> FeatureCatalog:
    """The feature catalog at ``path`` (the shipped one by default), checked by its schema (the
    shipped one by the tests, not on every run: the live panel reads it)."""
    resolved = Path(path).resolve()
    return _load(str(resolved), resolved != CATALOG.resolve())


@memo(maxsize=4)
def _load(path: str, check: bool = True) -> FeatureCatalog:
    try:
        text = Path(path).read_text(encoding="utf-8")
    except FileNotFoundError:
        raise InputError("no such file", file=path) from None
    except (OSError, UnicodeDecodeError) as exc:
        raise InputError(f"cannot read: {getattr(exc, 'strerror', None) or exc}", file=path) from None
    data = parse_yaml(text, path)
    if check:
        validate(data, "quilt-features", path)
    ids = [f["id"] for f in data["features"]]
    for index, name in enumerate(ids):
        if name in ids[:index]:
            raise InputError(f"feature {name!r} is listed twice", file=path, where=f"/features/{index}/id")
    return FeatureCatalog(tuple(_feature(f) for f in data["features"]),
                          tuple(_option(o, path, i) for i, o in enumerate(data["options"])), path)
