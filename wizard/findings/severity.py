"""The severities of findings, least serious first, and their rank: what ``--fail-on`` offers
and compares, read without the findings' model."""

from __future__ import annotations

SEVERITIES: tuple[str, ...] = ("info", "low", "medium", "high", "critical")
"""Severities from least to most serious."""


def severity_rank(severity: str) -> int:
    """0 for info up to 4 for critical; ValueError for anything else."""
    try:
        return SEVERITIES.index(severity)
    except ValueError:
        raise ValueError(f"unknown severity {severity!r}; expected one of {', '.join(SEVERITIES)}") from None
