"""The draft: an interactive run's answers, saved after every answer so nothing is lost.

The Textual wizard writes the draft after each confirmed answer; quitting, a crash or a closed
terminal leaves it behind, and the next start offers to resume it (or discard it). Writing
the parameter file completes the run and removes the draft.

A draft is a small YAML file in the user's data folder (``QUILT_WIZARD_HOME`` moves it). It
holds what the operator chose (template path, mode or profile, account, answers, parameter
values, where they were) but never a NoEcho parameter or anything named like a credential:
those are asked again on resume. It is written atomically and readable by its owner only.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, Mapping

from wizard.errors import InputError
from wizard.atomic import write_atomic
from wizard.paths import user_dir
from wizard.flow.profiles import scrub
from wizard.cfn.serialize import to_yaml
from wizard.cfn.yamlsource import parse_yaml

DRAFT_VERSION = 1


@dataclass(frozen=True)
class Draft:
    """An unfinished interactive run."""

    template: str | None = None
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
        for key in ("template", "profile", "account_id", "region", "stack_name", "baseline", "step", "out",
                    "fmt"):
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

        return cls(template=text("template"), profile=text("profile"), account_id=text("account_id"),
                   region=text("region"), stack_name=text("stack_name"), baseline=text("baseline"),
                   answers={str(k): list(v) if isinstance(v, list) else v for k, v in answers.items()},
                   parameters={str(k): "" if v is None else str(v) for k, v in parameters.items()},
                   step=text("step"), out=text("out"), fmt=text("fmt"),
                   saved_at=float(data.get("saved_at") or 0.0))


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
