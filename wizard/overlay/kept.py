"""Hardenings kept across runs: the overlay's work on a template is not done twice.

Hardening the vendor's template takes a large part of a second, and the embedded one, which
has every option, gains nothing from it. So each outcome is kept in the cache folder under a
digest of the template's text, of the overlay's rules and code, and of a stamp of every file of
the installed code and data (name, size and time), so an upgrade never reads back what other
code made: a template the overlay adds nothing to is a verdict (``wizard.verdicts``); a
template it hardened is its hardened text and each rule's outcome, read back (the text through
the parse cache) as the very hardening a new run would make. A cache that cannot be read or
written only costs time.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import TYPE_CHECKING

from wizard import verdicts
from wizard.atomic import write_atomic
from wizard.cfn.template import Template, parse_template
from wizard.errors import TemplateError
from wizard.paths import cache_dir

if TYPE_CHECKING:  # imported when a template is hardened or read back
    from wizard.overlay.outcome import Hardening


def hardened(template: Template) -> Hardening | None:
    """The overlay applied to a template that lacks the promised options; None when it adds
    nothing. Read back when an earlier run with the same template, overlay and installed files
    made it; made and kept otherwise."""
    digest = _digest(template)
    if verdicts.known(_ADDS_NOTHING, digest):
        return None
    hardening = _remembered_hardening(template, digest)
    if hardening is None:
        from wizard.overlay import apply

        hardening = apply.harden(template)
        if hardening.added_parameters:
            _remember_hardening(hardening, digest)
    if hardening.added_parameters:
        return hardening
    verdicts.remember(_ADDS_NOTHING, digest)
    return None


#: The verdicts' kind: templates the overlay added nothing to (keyed with the installed stamp).
_ADDS_NOTHING = "overlay-adds-nothing-2"
#: The cache folder's subfolder of hardenings made before, one JSON file a digest.
_HARDENED = "hardened-1"


def _digest(template: Template) -> str:
    """The key of what the overlay does to ``template``: its text, and a stamp of every file of
    the installed code and data (the overlay's rules and code, the IAM catalog its boundaries
    read, the engine that reads the template), so an upgrade never reads back other code's work."""
    return verdicts.installed_digest(template.text)


def _hardened_file(digest: str) -> Path:
    return cache_dir() / _HARDENED / f"{digest}.json"


def _remember_hardening(hardening: Hardening, digest: str) -> None:
    """Keep the hardened text and the rules' outcomes for the next runs (a cache that cannot be
    written only costs time)."""
    outcomes = [{"rule": o.rule.id, "status": o.status.value,
                 "steps": [{"name": s.name, "says": list(s.says), "skipped": list(s.skipped),
                            "matches": [[m.kind.value, list(m.path), m.label, list(m.holders), list(m.detail)]
                                        for m in s.matches]} for s in o.steps]}
                for o in hardening.outcomes]
    body = json.dumps({"text": hardening.template.text, "outcomes": outcomes}, ensure_ascii=False)
    try:
        write_atomic(_hardened_file(digest), body.encode("utf-8", "surrogatepass"), mode=0o600, durable=False)
    except OSError:
        pass


def _remembered_hardening(template: Template, digest: str) -> Hardening | None:
    """The hardening of ``template`` an earlier run kept, or None (none kept, or unreadable)."""
    try:
        data = json.loads(_hardened_file(digest).read_bytes().decode("utf-8", "surrogatepass"))
    except (OSError, ValueError):
        return None
    from wizard.overlay.match import Match, MatchKind
    from wizard.overlay.outcome import Hardening, RuleOutcome, RuleStatus, StepOutcome
    from wizard.overlay.rules import load_overlay
    overlay = load_overlay()
    try:
        outcomes = tuple(
            RuleOutcome(overlay.rule(o["rule"]), RuleStatus(o["status"]), tuple(
                StepOutcome(s["name"], tuple(Match(MatchKind(kind), tuple(path), label, tuple(holders), tuple(detail))
                                             for kind, path, label, holders, detail in s["matches"]),
                            tuple(s["says"]), tuple(s["skipped"]))
                for s in o["steps"]))
            for o in data["outcomes"])
        text = data["text"]
        if not isinstance(text, str):
            return None
    except (KeyError, TypeError, ValueError):
        return None
    try:
        hardened_template = parse_template(text, f"{template.source} (hardened)")
    except TemplateError:
        return None  # a damaged entry: hardened again
    vendor_sha256 = hashlib.sha256(template.text.encode("utf-8")).hexdigest()
    return Hardening(template, hardened_template, overlay, outcomes, vendor_sha256)
