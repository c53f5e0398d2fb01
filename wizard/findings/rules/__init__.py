"""The detection half of every rule: one function per rule id, registered by decorator.

A detector reads a ``RuleContext`` and yields ``Hit`` records; it holds no prose. Its title,
severity, explanation and fix live under the same id in ``assets/findings.yaml``, the one place
a rule's texts are written; a test keeps the two sides in step (every id has a detector and a
text, and two fixtures under ``tests/data/findings/<id>/``). Modules group detectors by theme;
every module of this folder is found and imported on first use (sorted by name), so adding a
rule is a module here plus its entry in the catalog. A detector whose id the catalog lacks is
refused: a ``RuleBug``, the program's fault, not the user's.
"""

from __future__ import annotations

import importlib
import pkgutil
import sys
from typing import Callable, Collection, Iterable

from wizard.findings.context import RuleContext
from wizard.findings.model import Hit

Detector = Callable[[RuleContext], Iterable[Hit]]

DETECTORS: dict[str, Detector] = {}


class RuleBug(RuntimeError):
    """A shipped rule the program cannot run: two detectors for one id, or a detector without
    its texts in the catalog."""


def detector(rule_id: str) -> Callable[[Detector], Detector]:
    """Register ``function`` as the detector of ``rule_id``."""

    def register(function: Detector) -> Detector:
        if rule_id in DETECTORS:
            raise RuleBug(f"two detectors for {rule_id}: {_where(DETECTORS[rule_id])} and {_where(function)}")
        DETECTORS[rule_id] = function
        return function

    return register


def rule_modules() -> list[str]:
    """The modules of this folder, sorted by name (a name starting with ``_`` is skipped)."""
    return sorted(info.name for info in pkgutil.iter_modules(sys.modules[__name__].__path__)
                  if not info.name.startswith("_"))


def load(texts: Collection[str]) -> dict[str, Detector]:
    """Import every rule module and return the detectors by rule id, sorted; ``texts`` are the
    ids the catalog gives texts for, and a detector outside them is a ``RuleBug``."""
    for name in rule_modules():
        importlib.import_module(f"{__name__}.{name}")
    for rule_id, function in sorted(DETECTORS.items()):
        if rule_id not in texts:
            raise RuleBug(f"{_where(function)}: rule {rule_id} has no entry in assets/findings.yaml "
                          "(its severity, category, title, why and fix)")
    return {rule_id: DETECTORS[rule_id] for rule_id in sorted(DETECTORS)}


_loaded: dict[str, Detector] | None = None


def detectors() -> dict[str, Detector]:
    """Every registered detector, sorted by rule id, importing the rule modules on first use."""
    global _loaded
    if _loaded is None:
        from wizard.findings.catalog import catalog

        _loaded = load(catalog().rules)
    return _loaded


def _where(function: Detector) -> str:
    code = getattr(function, "__code__", None)
    name = f"{function.__module__}.{getattr(function, '__qualname__', function)}"
    return f"{name} ({code.co_filename}:{code.co_firstlineno})" if code else name
