"""Loading an overlay: its manifest and its rules, validated, in the manifest's order.

An overlay is a folder under ``assets/overlays/``: ``overlay.yaml`` names it, gives its version
and lists its rules in the order they apply; each rule is ``<id>.yaml``. Both kinds of file are
checked against ``assets/schemas/overlay.schema.json``, and then against what a schema cannot
say (a step's edits name conditions the rule defines or requires, a required rule comes
earlier, an option offered for a later rule is required by that rule). Bad overlay data is an ``InputError``: one line, exit 2.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from wizard.errors import InputError
from wizard.paths import ASSETS
from wizard.schemas import validate
from wizard.cfn.yamlsource import parse_yaml
from wizard.memo import memo

#: The overlay for the Quilt stack, applied by ``harden`` and ``--harden``.
DEFAULT_OVERLAY = ASSETS / "overlays" / "quilt"

#: The file that names an overlay and lists its rules in order.
_MANIFEST = "overlay.yaml"


@dataclass(frozen=True)
class Step:
    """What one step matches and the edits it makes to each match."""

    name: str
    match: dict | None
    edits: tuple[dict, ...]


@dataclass(frozen=True)
class Rule:
    """One promised option: its parameter, the concerns it answers and how it is applied."""

    id: str
    title: str
    concerns: tuple[int, ...]
    promise: str
    option: dict
    source: str
    steps: tuple[Step, ...] = ()
    conditions: dict = field(default_factory=dict)
    template_rules: dict = field(default_factory=dict)
    requires: tuple[str, ...] = ()
    needs_vendor: str = ""
    preflight: str = ""
    more_options: tuple[dict, ...] = ()
    option_of: str = ""
    """The earlier rule whose parameter is this rule's option (this rule adds none of its own)."""

    @property
    def parameter(self) -> str:
        return self.option["parameter"]

    def parameter_specs(self) -> dict[str, dict]:
        """The CloudFormation ``Parameters`` entries this rule adds, its own option first."""
        options = self.more_options if self.option_of else (self.option, *self.more_options)
        return {o["parameter"]: {k: v for k, v in o.items() if k != "parameter"} for o in options}


@dataclass(frozen=True)
class Overlay:
    """A named, versioned list of rules."""

    name: str
    version: str
    description: str
    rules: tuple[Rule, ...]
    digest: str

    def rule(self, rule_id: str) -> Rule:
        """The rule ``rule_id``; a ``KeyError`` naming the overlay's rules when it has none of that id."""
        for rule in self.rules:
            if rule.id == rule_id:
                return rule
        raise KeyError(f"the overlay {self.name} has no rule {rule_id!r}; its rules: "
                       f"{', '.join(r.id for r in self.rules)}")


def _read(path: Path, check: bool = True) -> Any:
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise InputError("no such file", file=str(path)) from None
    except (OSError, UnicodeDecodeError) as exc:
        raise InputError(f"cannot read: {getattr(exc, 'strerror', None) or exc}", file=str(path)) from None
    if check:
        data = parse_yaml(text, str(path))
        validate(data, "overlay", str(path))
        return data
    from wizard.cfn import parsecache

    return parsecache.read_shipped(text, str(path))  # the shipped overlay, read on every run that hardens


def _rule(data: dict, source: str) -> Rule:
    steps = tuple(Step(s["name"], s.get("match"), tuple(s["edits"])) for s in data.get("steps") or ())
    return Rule(id=data["id"], title=data["title"], concerns=tuple(data["concerns"]), promise=data["promise"],
                option=dict(data["option"]), source=source, steps=steps,
                conditions=dict(data.get("conditions") or {}),
                template_rules=dict(data.get("template_rules") or {}),
                requires=tuple(data.get("requires") or ()), needs_vendor=data.get("needs_vendor", ""),
                preflight=data.get("preflight", ""), more_options=tuple(data.get("more_options") or ()),
                option_of=data.get("option_of", ""))


def _check(rules: list[Rule]) -> None:
    defined: dict[str, str] = {}
    seen: set[str] = set()
    for rule in rules:
        for required in rule.requires:
            if required not in seen:
                raise InputError(f"rule {rule.id} requires {required}, which must come earlier in "
                                 f"{_MANIFEST}", file=rule.source, where="/requires")
        if rule.option_of:
            owner = next((r for r in rules if r.id == rule.option_of), None)
            if rule.option_of not in rule.requires or owner is None or rule.parameter not in owner.parameter_specs():
                raise InputError(f"rule {rule.id}'s option is {rule.parameter} of rule {rule.option_of}: that rule "
                                 "must declare it and be required", file=rule.source, where="/option_of")
        for name in rule.conditions:
            if name in defined:
                raise InputError(f"condition {name} is already defined by rule {defined[name]}",
                                 file=rule.source, where=f"/conditions/{name}")
            defined[name] = rule.id
        usable = set(rule.conditions) | {c for r in rules if r.id in rule.requires for c in r.conditions}
        later = {r.id: r for r in rules[rules.index(rule) + 1:]}
        for s, step in enumerate(rule.steps):
            for e, edit in enumerate(step.edits):
                served = edit.get("for_rule")
                if served and (served not in later or rule.id not in later[served].requires):
                    raise InputError(f"the option is offered for rule {served}, which must come later and require "
                                     f"{rule.id}", file=rule.source, where=f"/steps/{s}/edits/{e}/for_rule")
                if edit.get("condition") and edit["condition"] not in usable:
                    raise InputError(f"edit uses condition {edit['condition']}, which neither this rule "
                                     "nor a rule it requires defines", file=rule.source,
                                     where=f"/steps/{s}/edits/{e}/condition")
        seen.add(rule.id)


def load_overlay(folder: str | Path = DEFAULT_OVERLAY) -> Overlay:
    """The overlay in ``folder`` (the Quilt overlay by default), validated (the shipped one's
    files are checked against the schema by the tests, not on every run)."""
    folder = Path(folder).resolve()
    return _load(str(folder), folder != Path(DEFAULT_OVERLAY).resolve())


@memo(maxsize=8)
def _load(folder: str, check: bool = True) -> Overlay:
    root = Path(folder)
    manifest = _read(root / _MANIFEST, check)
    if "rules" not in manifest:
        raise InputError("expected an overlay manifest (overlay, version, description, rules)",
                         file=str(root / _MANIFEST))
    digest = hashlib.sha256()
    rules = []
    for rule_id in manifest["rules"]:
        path = root / f"{rule_id}.yaml"
        data = _read(path, check)
        if "id" not in data:
            raise InputError("expected a rule, found a manifest", file=str(path))
        if data["id"] != rule_id:
            raise InputError(f"the rule's id is {data['id']!r}; the manifest names it {rule_id!r}",
                             file=str(path), where="/id")
        digest.update(path.read_bytes())
        rules.append(_rule(data, str(path)))
    _check(rules)
    return Overlay(manifest["overlay"], str(manifest["version"]), manifest["description"], tuple(rules),
                   digest.hexdigest())
