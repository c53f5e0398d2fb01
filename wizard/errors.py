"""The errors a user can cause, each with the exit status the command line gives it.

Every one is caught at the edge of the command and printed as one line; a traceback means
a bug. ``InputError`` is bad input (exit 2), ``GateTripped`` a policy gate such as
``--fail-on-broadening`` (exit 1), ``AwsError`` a failed AWS call (exit 3).
"""

from __future__ import annotations

from typing import Iterable


class WizardError(Exception):
    """Base of every error the user can cause."""

    exit_code = 2

    def __init__(self, message: str, *, file: str | None = None, where: str | None = None,
                 line: int | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.file = file
        self.where = where
        self.line = line

    def __str__(self) -> str:
        place = []
        if self.file:
            place.append(f"{self.file}:{self.line}" if self.line else self.file)
        elif self.line:
            place.append(f"line {self.line}")
        if self.where:
            place.append(self.where)
        return f"{': '.join(place)}: {self.message}" if place else self.message


class InputError(WizardError):
    """Bad input: usage, template, parameters, answers file or profile (exit 2)."""

    exit_code = 2


class TemplateError(InputError):
    """The template cannot be read or evaluated."""


class ParameterError(InputError):
    """A parameter value the template refuses, or a parameter it does not have."""


class GateTripped(WizardError):
    """A policy gate asked for by the user tripped, e.g. ``--fail-on-broadening`` (exit 1)."""

    exit_code = 1


class AwsError(WizardError):
    """An AWS call failed (exit 3)."""

    exit_code = 3


def suggestion(name: str, candidates: Iterable[str]) -> str:
    """``; did you mean X?`` for the closest candidate to a misspelt name, or ``''``."""
    import difflib

    close = difflib.get_close_matches(name, list(candidates), n=1, cutoff=0.6)
    return f"; did you mean {close[0]!r}?" if close else ""


def write_failure(exc: WizardError | OSError, target: str | None = None) -> str:
    """A failed write as one line: the core's message, or what could not be written and why."""
    if isinstance(exc, WizardError):
        text = str(exc)
    else:
        reason = exc.strerror or str(exc)
        where = target or (str(exc.filename) if exc.filename else None)
        aside = f" ({exc.filename})" if exc.filename and str(exc.filename) != where else ""
        text = f"cannot write {where}: {reason}{aside}" if where else f"cannot write: {reason}"
    return " ".join(text.split())
