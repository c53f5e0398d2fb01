"""The detection half of every rule: one function per rule id, registered by decorator.

A detector reads a ``RuleContext`` and yields ``Hit`` records; it holds no prose. Its title,
severity, explanation and fix live under the same id in ``assets/findings.yaml``, and a test
keeps the two sides in step (every id has a detector and a text, and two fixtures under
``tests/data/findings/<id>/``). Modules group detectors by theme; importing them registers
them.
"""

from __future__ import annotations

import importlib
from typing import Callable, Iterable

from wizard.findings.context import RuleContext
from wizard.findings.model import Hit

Detector = Callable[[RuleContext], Iterable[Hit]]

DETECTORS: dict[str, Detector] = {}

_MODULES = ("placeholders", "wildcards", "policy_creation", "athena", "trust", "escalation_catalog",
            "cloudtrail", "network", "escalation", "resource_types", "coverage", "logs", "secrets",
            "deputy", "instances", "kms")


def detector(rule_id: str) -> Callable[[Detector], Detector]:
    """Register ``function`` as the detector of ``rule_id``."""

    def register(function: Detector) -> Detector:
        if rule_id in DETECTORS:
            raise RuntimeError(f"two detectors for {rule_id}")
        DETECTORS[rule_id] = function
        return function

    return register


_loaded = False


def detectors() -> dict[str, Detector]:
    """Every registered detector, importing the rule modules on first use."""
    global _loaded
    if not _loaded:
        for name in _MODULES:
            importlib.import_module(f"{__name__}.{name}")
        _loaded = True
    return DETECTORS
