"""Hardenings kept across runs: the overlay's work on a template is not done twice.

Hardening the vendor's template takes a large part of a second, and the embedded one, which
has every option, gains nothing from it. So each outcome is kept in the cache folder under a
digest of the template's text, of the overlay's rules and code, and of a stamp of every file of
the installed code and data (name, size and time), so an upgrade never reads back what other
code made: a template the overlay adds nothing to is a verdict (``wizard.verdicts``); a
template it hardened is its hardened text, what a summary reads of the hardening (the overlay's
name, version and digest, the parameters added, the warnings, the notes, the options that need a
change by the vendor) and each rule's outcome. It is read back (the text through the parse
cache) as a ``KeptHardening``: what the summary reads is there as written, and the overlay and
the rules' outcomes are built the first time they are asked for, so a run that only shows the
summary loads neither the overlay's rules nor the modules that model them. A cache that cannot
be read or written only costs time, and an entry that cannot be read back whole is made again.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import TYPE_CHECKING, Any

from wizard import verdicts
from wizard.atomic import write_atomic
from wizard.cfn.template import Template, parse_template
from wizard.errors import TemplateError
from wizard.paths import cache_dir

if TYPE_CHECKING:  # imported when a template is hardened, or a kept hardening's outcomes are asked for
    from wizard.overlay.outcome import Hardening, RuleOutcome
    from wizard.overlay.rules import Overlay


def hardened(template: Template) -> Hardening | KeptHardening | None:
    """The overlay applied to a template that lacks the promised options; None when it adds
    nothing. Read back when an earlier run with the same template, overlay and installed files
    made it; made and kept otherwise."""
    digest = _digest(template)
    if verdicts.known(_ADDS_NOTHING, digest):
        return None
    hardening: Hardening | KeptHardening | None = _remembered_hardening(template, digest)
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
#: The cache folder's subfolder of hardenings made before, one file a digest: a line of JSON (what
#: a summary reads, and the outcomes), then the hardened text as it is, which is read without a
#: JSON decoder's work (the folder's name changes with the entries' format, so an entry of
#: another format is never read).
_HARDENED = "hardened-2"


class KeptHardening:
    """A hardening an earlier run kept, read back: it reads as the ``Hardening``
    (``wizard.overlay.outcome``) that run made, property for property.

    The hardened template and what a summary shows (the overlay's name and version, the
    parameters added, the warnings, the notes, the options that need a change by the vendor) are
    read from the entry; the overlay and the rules' outcomes (and what is made of them: the
    needs-vendor outcomes, ``to_json``) are built from the overlay's rules the first time they
    are asked for. An entry whose outcomes do not fit the installed overlay is hardened again.
    """

    __slots__ = ("vendor", "template", "vendor_sha256", "overlay_name", "overlay_version", "_overlay_digest",
                 "_added_parameters", "_warnings", "_notes", "_vendor_changes", "_outcomes", "_digest", "_made")

    def __init__(self, vendor: Template, template: Template, vendor_sha256: str, entry: dict[str, Any],
                 digest: str) -> None:
        """``entry``: the kept JSON line (as ``_remember_hardening`` writes it); a ``ValueError``
        when a value a summary reads is not of its kind."""
        overlay = entry["overlay"]
        if not isinstance(overlay, dict) or not isinstance(entry["outcomes"], list):
            raise ValueError("a kept hardening's overlay is a mapping and its outcomes a list")
        self.vendor = vendor
        self.template = template
        self.vendor_sha256 = vendor_sha256
        self.overlay_name, self.overlay_version, self._overlay_digest = _strings(
            [overlay["name"], overlay["version"], overlay["digest"]])
        self._added_parameters = _strings(entry["added_parameters"])
        self._warnings = _strings(entry["warnings"])
        self._notes = _strings(entry["notes"])
        self._vendor_changes = [(parameter, title) for parameter, title in map(_strings, entry["vendor_changes"])]
        self._outcomes: list = entry["outcomes"]
        self._digest = digest
        self._made: Hardening | None = None

    @property
    def text(self) -> str:
        return self.template.text

    @property
    def added_parameters(self) -> list[str]:
        return list(self._added_parameters)

    @property
    def warnings(self) -> list[str]:
        return list(self._warnings)

    @property
    def notes(self) -> list[str]:
        return list(self._notes)

    @property
    def vendor_changes(self) -> list[tuple[str, str]]:
        """(parameter, title) of each rule that needs a change by the vendor."""
        return list(self._vendor_changes)

    @property
    def overlay(self) -> Overlay:
        return self._hardening().overlay

    @property
    def outcomes(self) -> tuple[RuleOutcome, ...]:
        return self._hardening().outcomes

    @property
    def needs_vendor(self) -> list[RuleOutcome]:
        return self._hardening().needs_vendor

    def to_json(self) -> dict:
        return self._hardening().to_json()

    def _hardening(self) -> Hardening:
        """The whole hardening: the kept outcomes, built on the installed overlay; made again
        (and kept anew) when they do not fit it (a damaged entry, or one of other rules)."""
        if self._made is None:
            made = self._built()
            if made is None:
                from wizard.overlay import apply

                made = apply.harden(self.vendor)
                _remember_hardening(made, self._digest)
            self._made = made
        return self._made

    def _built(self) -> Hardening | None:
        """The kept outcomes, built on the installed overlay; None when they do not fit it."""
        from wizard.overlay.match import Match, MatchKind
        from wizard.overlay.outcome import Hardening, RuleOutcome, RuleStatus, StepOutcome
        from wizard.overlay.rules import load_overlay

        overlay = load_overlay()
        if overlay.digest != self._overlay_digest:
            return None
        try:
            outcomes = tuple(
                RuleOutcome(overlay.rule(o["rule"]), RuleStatus(o["status"]), tuple(
                    StepOutcome(s["name"], tuple(Match(MatchKind(kind), tuple(path), label, tuple(holders),
                                                       tuple(detail))
                                                 for kind, path, label, holders, detail in s["matches"]),
                                tuple(s["says"]), tuple(s["skipped"]))
                    for s in o["steps"]))
                for o in self._outcomes)
        except (KeyError, TypeError, ValueError):
            return None
        return Hardening(self.vendor, self.template, overlay, outcomes, self.vendor_sha256)


def _strings(value: Any) -> list[str]:
    """``value``, a list of strings; a ``ValueError`` otherwise."""
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise ValueError("expected a list of strings")
    return value


def _digest(template: Template) -> str:
    """The key of what the overlay does to ``template``: its text, and a stamp of every file of
    the installed code and data (the overlay's rules and code, the IAM catalog its boundaries
    read, the engine that reads the template), so an upgrade never reads back other code's work."""
    return verdicts.installed_digest(template.text)


def _hardened_file(digest: str) -> Path:
    return cache_dir() / _HARDENED / f"{digest}.json"


def _remember_hardening(hardening: Hardening, digest: str) -> None:
    """Keep the hardened text, what a summary reads of the hardening and the rules' outcomes for
    the next runs (a cache that cannot be written only costs time)."""
    outcomes = [{"rule": o.rule.id, "status": o.status.value,
                 "steps": [{"name": s.name, "says": list(s.says), "skipped": list(s.skipped),
                            "matches": [[m.kind.value, list(m.path), m.label, list(m.holders), list(m.detail)]
                                        for m in s.matches]} for s in o.steps]}
                for o in hardening.outcomes]
    overlay = hardening.overlay
    entry = {"overlay": {"name": overlay.name, "version": overlay.version, "digest": overlay.digest},
             "added_parameters": hardening.added_parameters, "warnings": hardening.warnings,
             "notes": hardening.notes, "vendor_changes": [list(c) for c in hardening.vendor_changes],
             "outcomes": outcomes}
    body = b"%s\n%s" % (json.dumps(entry, ensure_ascii=False).encode("utf-8", "surrogatepass"),
                        hardening.template.text.encode("utf-8", "surrogatepass"))
    try:
        write_atomic(_hardened_file(digest), body, mode=0o600, durable=False)
    except OSError:
        pass


def _remembered_hardening(template: Template, digest: str) -> KeptHardening | None:
    """The hardening of ``template`` an earlier run kept, or None (none kept, or a damaged entry:
    hardened again)."""
    try:
        head, newline, text = _hardened_file(digest).read_bytes().partition(b"\n")
        entry = json.loads(head.decode("utf-8", "surrogatepass"))
        hardened_text = text.decode("utf-8", "surrogatepass")
    except (OSError, ValueError):
        return None
    if not newline or not isinstance(entry, dict):
        return None
    try:
        hardened_template = parse_template(hardened_text, f"{template.source} (hardened)")
    except TemplateError:
        return None
    vendor_sha256 = hashlib.sha256(template.text.encode("utf-8")).hexdigest()
    try:
        return KeptHardening(template, hardened_template, vendor_sha256, entry, digest)
    except (KeyError, TypeError, ValueError):
        return None
