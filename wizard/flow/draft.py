"""The draft: an interactive run's answers, saved after every answer so nothing is lost.

The Textual wizard writes the draft after each confirmed answer; quitting, a crash or a closed
terminal leaves it behind, and the next start offers to resume it (or discard it). Writing
the parameter file completes the run and removes the draft.

A draft is a small YAML file in the user's data folder (``QUILT_WIZARD_HOME`` moves it). It
holds what the operator chose (template path, mode or profile, account, answers, parameter
values, where they were) but never a NoEcho parameter or anything named like a credential:
those are asked again on resume. It is written atomically and readable by its owner only.

A draft records the template it was made on: its absolute path (none for the embedded
template) and the sha256 of its text. A run on another template (another path, or the same
file changed since) gets a ``TemplateMismatch`` from ``template_mismatch``: the faces ask which
template to resume on and never mix the two. A draft from before templates were recorded
resumes on its path as it did then.
"""

from __future__ import annotations

import hashlib
import time
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, Mapping

from wizard.errors import InputError
from wizard.atomic import read_text, write_atomic
from wizard.paths import DEFAULT_TEMPLATE, user_dir
from wizard.flow.profiles import scrub
from wizard.cfn.serialize import to_yaml
from wizard.cfn.template import MAX_TEMPLATE_BYTES
from wizard.cfn.yamlsource import parse_yaml

DRAFT_VERSION = 1


@dataclass(frozen=True)
class Draft:
    """An unfinished interactive run."""

    template: str | None = None
    """The template's path; None: the embedded template."""
    template_sha256: str | None = None
    """The sha256 of the template's text when the draft was saved (None: a draft from before
    templates were recorded)."""
    profile: str | None = None
    account_id: str | None = None
    region: str | None = None
    stack_name: str | None = None
    baseline: str | None = None
    answers: Mapping[str, Any] = field(default_factory=dict)
    parameters: Mapping[str, str] = field(default_factory=dict)
    step: str | None = None
    out: str | None = None
    fmt: str | None = None
    saved_at: float = 0.0

    def to_document(self) -> dict[str, Any]:
        document: dict[str, Any] = {"version": DRAFT_VERSION}
        for key in ("template", "template_sha256", "profile", "account_id", "region", "stack_name", "baseline",
                    "step", "out", "fmt"):
            value = getattr(self, key)
            if value is not None:
                document[key] = value
        document["answers"] = {k: list(v) if isinstance(v, (list, tuple)) else v for k, v in self.answers.items()}
        document["parameters"] = dict(self.parameters)
        document["saved_at"] = self.saved_at
        return document

    @classmethod
    def from_document(cls, data: Any, source: str) -> "Draft":
        if not isinstance(data, dict) or data.get("version") != DRAFT_VERSION:
            raise InputError("not a quilt-wizard draft (or one from another version)", file=source)
        answers = data.get("answers") or {}
        parameters = data.get("parameters") or {}
        if not isinstance(answers, dict) or not isinstance(parameters, dict):
            raise InputError("answers and parameters must be mappings", file=source)

        def text(key: str) -> str | None:
            value = data.get(key)
            return None if value is None else str(value)

        return cls(template=text("template"), template_sha256=text("template_sha256"), profile=text("profile"),
                   account_id=text("account_id"), region=text("region"), stack_name=text("stack_name"),
                   baseline=text("baseline"),
                   answers={str(k): list(v) if isinstance(v, list) else v for k, v in answers.items()},
                   parameters={str(k): "" if v is None else str(v) for k, v in parameters.items()},
                   step=text("step"), out=text("out"), fmt=text("fmt"),
                   saved_at=float(data.get("saved_at") or 0.0))

    def on_template(self, path: str | None) -> "Draft":
        """The same run on another template (None: the embedded one): the faces keep the answers
        and parameters that template has."""
        return replace(self, template=path, template_sha256=None)


# -- the template a draft was made on --------------------------------------------------------

def template_sha256(text: str) -> str:
    """The digest a draft records for a template's text."""
    return hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest()


def recorded_path(path: str | None) -> str | None:
    """How a draft names a template: None for the embedded one, else its absolute path."""
    if not path:
        return None
    absolute = Path(path).expanduser().resolve()
    return None if absolute == DEFAULT_TEMPLATE.resolve() else str(absolute)


def template_label(path: str | None) -> str:
    """A template as the faces name it."""
    return "the embedded template" if recorded_path(path) is None else str(path)


def sha256_now(path: str | None) -> str | None:
    """The digest of the template at ``path`` (the embedded one when None) as it is now; None
    when it cannot be read (gone, not a file, too large)."""
    try:
        return template_sha256(read_text(Path(path) if path else DEFAULT_TEMPLATE, MAX_TEMPLATE_BYTES))
    except (InputError, OSError):
        return None


@dataclass(frozen=True)
class TemplateMismatch:
    """A draft made on another template than the run about to resume it."""

    draft_template: str | None
    """The draft's template (None: the embedded one)."""
    current_template: str | None
    """The template of this run (None: the embedded one)."""
    draft_available: bool
    """The draft's template is still there with the digest the draft recorded."""
    changed: bool
    """The same file as this run's, changed since the draft was saved."""

    def describe(self) -> str:
        """What differs, in a sentence or two, for the faces."""
        made_on = template_label(self.draft_template)
        if self.changed:
            return (f"The unfinished run was made on {made_on}, which has changed since it was saved: "
                    "it can only resume on the template as it is now.")
        text = f"The unfinished run was made on {made_on}; this run uses {template_label(self.current_template)}."
        if not self.draft_available:
            text += " That template is gone or has changed since: only this run's can be used."
        return text


def template_mismatch(draft: Draft, current: str | None, current_sha256: str | None) -> TemplateMismatch | None:
    """How ``draft``'s template differs from this run's (``current``: its path, None for the
    embedded one; ``current_sha256``: its digest now); None when they are the same, or when the
    draft is from before templates were recorded (it resumes on its own path)."""
    if draft.template_sha256 is None:
        return None
    same_path = recorded_path(draft.template) == recorded_path(current)
    if same_path and draft.template_sha256 == current_sha256:
        return None
    available = sha256_now(draft.template) == draft.template_sha256
    return TemplateMismatch(draft_template=draft.template, current_template=current, draft_available=available,
                            changed=same_path)


def draft_path() -> Path:
    """Where the draft lives."""
    return user_dir("data") / "draft.yaml"


def save_draft(draft: Draft, secret_parameters: frozenset[str] = frozenset()) -> Path:
    """Write the draft atomically (0600), without NoEcho values or credential-like names."""
    clean = replace(draft, parameters=scrub(draft.parameters, secret_parameters),
                    saved_at=draft.saved_at or time.time())
    path = draft_path()
    header = "# quilt-wizard draft: an unfinished run, resumed on the next start; secrets are never stored here.\n"
    write_atomic(path, header + to_yaml(clean.to_document()), mode=0o600)
    return path


def load_draft() -> Draft | None:
    """The saved draft, or None when there is none or it cannot be read (it is then ignored)."""
    path = draft_path()
    if not path.is_file():
        return None
    try:
        return Draft.from_document(parse_yaml(path.read_text(encoding="utf-8"), str(path)), str(path))
    except (InputError, OSError, UnicodeDecodeError, ValueError, TypeError):
        return None


def discard_draft() -> None:
    """Remove the draft, if any."""
    try:
        draft_path().unlink()
    except FileNotFoundError:
        pass
