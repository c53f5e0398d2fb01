"""Grants and network rules for one answer set, computed once and reused.

The live panel asks "what would this choice change?" on every highlight move; the answer is
two analyses and a diff. An ``Analysis`` is cached by template, parameter values and pseudo
parameters, and a diff by its two sides, so moving back and forth over choices costs nothing
after the first visit. A new analysis is made like the last one of the same template
(``wizard.cfn.evaluate``, ``wizard.iam.grants.extract``): only the resources that read a
parameter whose value differs are resolved and read again, with the same result.
"""

from __future__ import annotations

import weakref
from dataclasses import dataclass
from typing import Mapping

from wizard.iam.diff import PermissionDiff, diff_evaluations
from wizard.cfn.evaluate import Evaluation
from wizard.cfn.pseudo import Pseudo
from wizard.iam.grants import Grant, extract
from wizard.iam.network import NetworkRule, network_rules
from wizard.cfn.parameters import ParameterValues, resolve_parameters
from wizard.cfn.template import Template
from wizard.memo import memo

Values = tuple[tuple[str, str], ...]


@dataclass(frozen=True, eq=False)
class Analysis:
    """One evaluation and everything extracted from it."""

    evaluation: Evaluation
    grants: tuple[Grant, ...]
    rules: tuple[NetworkRule, ...]

    @property
    def parameters(self) -> ParameterValues:
        return self.evaluation.parameters


def freeze(values: Mapping[str, str]) -> Values:
    """A hashable, order-independent form of parameter values."""
    return tuple(sorted((str(k), str(v)) for k, v in values.items()))


#: The last evaluation analysed of each template, which the next one is made like (held weakly:
#: the analyses' memo keeps it, and it keeps its template, which must not outlive its users here).
_LAST: "weakref.WeakKeyDictionary[Template, weakref.ref[Evaluation]]" = weakref.WeakKeyDictionary()


@memo(maxsize=256)
def _analyse(template: Template, values: Values, pseudo: Pseudo) -> Analysis:
    last = _LAST.get(template)
    evaluation = Evaluation(template, resolve_parameters(template, dict(values)), pseudo,
                            like=None if last is None else last())
    grants = tuple(extract(evaluation))
    _LAST[template] = weakref.ref(evaluation)
    return Analysis(evaluation, grants, tuple(network_rules(evaluation)))


def analyse(template: Template, values: Mapping[str, str], pseudo: Pseudo | None = None) -> Analysis:
    """The (cached) analysis of ``template`` for these parameter values."""
    return _analyse(template, freeze(values), pseudo or Pseudo())


@memo(maxsize=512)
def _compare(template: Template, before: Values, after: Values, pseudo: Pseudo) -> PermissionDiff:
    a = _analyse(template, before, pseudo)
    b = _analyse(template, after, pseudo)
    return diff_evaluations(a.evaluation, b.evaluation, grants=(a.grants, b.grants), rules=(a.rules, b.rules))


def compare(template: Template, before: Mapping[str, str], after: Mapping[str, str],
            pseudo: Pseudo | None = None) -> PermissionDiff:
    """The (cached) permission diff from ``before`` to ``after``."""
    return _compare(template, freeze(before), freeze(after), pseudo or Pseudo())
