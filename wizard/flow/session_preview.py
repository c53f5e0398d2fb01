"""What a candidate answer would change, for the wizard's live panel and the line prompts.

``Previews`` is the part of the interactive session (``wizard.flow.session``) that compares
answers: a candidate against the answers in force (grants, network rules and findings), and
the whole run against the baseline. Both faces call ``change_between`` for the change an answer
makes, so a rule of what an answer changes reaches both by one change. Results are remembered
per state of the session; everything here is thread-safe, so the wizard computes it in workers.
"""

from __future__ import annotations

import copy
import threading
from dataclasses import dataclass
from typing import Any, Mapping

from wizard.cfn.parameters import resolve_parameters
from wizard.errors import InputError
from wizard.flow.answers import Plan
from wizard.flow.catalog import Question
from wizard.flow.headless import DEFAULT_BASELINE, baseline_values, deployed_values, phase_one
from wizard.flow.risk import RiskChange, change, findings_of, headline, risk_between
from wizard.flow.stops import stopped_features
from wizard.iam.analysis import compare, freeze
from wizard.iam.diff import PermissionDiff

TIMELINE = "timeline"
"""The question whose "after" answer deploys in two phases (``plan_deployment``)."""
#: Previews a session keeps (a choice's panel in one state of the answers), least recently used out.
PREVIEWS_KEPT = 512
#: Comparisons with the baseline a session keeps, one per set of answers.
BASELINES_KEPT = 256


@dataclass(frozen=True)
class PhaseView:
    """One phase of "deploy now, harden after": what it deploys against the baseline, its findings."""

    label: str
    against_baseline: str
    """The whole change from the baseline, the change in findings first, then the grants."""
    findings: tuple = ()


@dataclass(frozen=True)
class Preview:
    """What a candidate answer would change, for the live panel: the risk first, then the grants."""

    title: str
    diff: PermissionDiff | None = None
    problem: str | None = None
    is_current: bool = False
    baseline_name: str = DEFAULT_BASELINE
    against_baseline: str | None = None
    """All answers against the baseline, the change in findings first, then the grants."""
    frameworks: tuple[str, ...] = ()
    posture: RiskChange | None = None
    """How the findings change if this answer is chosen (None: the findings rules are not installed)."""
    phases: tuple[PhaseView, ...] = ()
    """With "harden after": each phase against the baseline, with its findings."""
    stops: tuple[tuple[str, bool], ...] = ()
    """The Quilt features this answer stops, compared with the answers in force, each with whether
    the loss is collateral (no option means it): the core's ``wizard.flow.stops``."""


class Previews:
    """The comparisons of a ``WizardSession`` (mixed into it; it keeps the two memos)."""

    def _preview_key(self, question: Question, candidate: Any, title: str) -> tuple:
        """Everything a preview depends on: the candidate, and the session's state that decides
        the answers in force and the baseline."""
        return (question.id, hashable(candidate), title, hashable(self.answers), hashable(self.parameters),
                hashable(self.settings), self.profile, self.baseline, hashable(self.deployed_parameters),
                self.pseudo, id(self.template))

    def known_preview(self, question: Question, candidate: Any, title: str) -> Preview | None:
        """The preview already computed for this candidate in this state of the session, or None:
        a screen shows it at once, in the frame that moves the highlight."""
        return self._previews.get(self._preview_key(question, candidate, title))

    def preview(self, question: Question, candidate: Any, title: str) -> Preview:
        """The permission diff of ``candidate`` against the answers in force, kept for
        ``known_preview``.

        Thread-safe: it is computed on a snapshot of the session taken with its key, so an answer
        recorded meanwhile (on the UI thread) never mixes into it; and a preview another thread
        is computing already is waited for, not computed twice (the start screen's idle-time
        work and the question screen ask for the same first preview)."""
        with self._memo_lock:
            key = self._preview_key(question, candidate, title)
            found = self._previews.get(key)
            if found is not None:
                return found
            running = self._computing.get(key)
            if running is None:
                running = self._computing[key] = threading.Event()
                snapshot = self.snapshot()
            else:
                snapshot = None
        if snapshot is None:
            running.wait()
            found = self._previews.get(key)
            if found is not None:
                return found
            return self.preview(question, candidate, title)  # the other thread failed: compute here
        try:
            found = snapshot._compute_preview(question, candidate, title)
            with self._memo_lock:
                self._previews.put(key, found)
            return found
        finally:
            with self._memo_lock:
                self._computing.pop(key, None)
            running.set()

    def snapshot(self):
        """A copy of the session's state (answers, parameter values, settings) sharing its memos:
        what a worker computes from, while the UI thread goes on changing the session."""
        copied = copy.copy(self)
        copied.answers = dict(self.answers)
        copied.parameters = dict(self.parameters)
        copied.settings = dict(self.settings)
        copied.deployed_parameters = dict(self.deployed_parameters) if self.deployed_parameters else None
        return copied

    def change_between(self, old: Mapping[str, str],
                       new: Mapping[str, str]) -> tuple[PermissionDiff, RiskChange]:
        """What going from the parameter values ``old`` to ``new`` changes: the grants and network
        rules, and the findings (InputError when a value is refused)."""
        return (compare(self.template, dict(old), dict(new), self.pseudo),
                change(self.findings(old), self.findings(new)))

    def _compute_preview(self, question: Question, candidate: Any, title: str) -> Preview:
        try:
            before = self.plan()
            answers = {**self.answers, question.id: candidate}
            after = self.plan(answers)
            problem = self.text_problem(question, candidate) if isinstance(candidate, str) else None
            if problem:
                return Preview(title, problem=problem, frameworks=self.frameworks(after.answers))
            old, new = before.parameters, after.parameters
            if question.id == TIMELINE:
                # The timeline changes what is deployed first, not what is deployed in the end.
                old, new = self.deployed_first(self.answers, before), self.deployed_first(answers, after)
            changes, posture = self.change_between(old, new)
            phases = self.phase_views(answers, after) if after.answers.get("timeline") == "after" else ()
            # The two analyses the diff just made are cached: this adds no evaluation. The
            # features are the vendor template's: none on a template the overlay did not harden.
            stops = (tuple(stopped_features(self.template, dict(old), dict(new), self.pseudo))
                     if self.hardening is not None else ())
            return Preview(title, diff=changes, is_current=self.current(question) == candidate,
                           baseline_name=self.baseline_label,
                           against_baseline=self.baseline_headline(after.parameters),
                           frameworks=self.frameworks(after.answers), posture=posture, phases=phases,
                           stops=stops)
        except InputError as exc:
            return Preview(title, problem=exc.message if exc.where is None else str(exc))

    def findings(self, parameters: Mapping[str, str]) -> tuple:
        """The findings of these parameter values (the core's cached posture)."""
        return findings_of(self.template, resolve_parameters(self.template, dict(parameters)).raw, self.pseudo)

    def deployed_first(self, answers: Mapping[str, Any], plan: Plan) -> Mapping[str, str]:
        """The parameters deployed first: phase 1's with "harden after", else the final ones."""
        if plan.answers.get(TIMELINE) != "after":
            return plan.parameters
        return phase_one(self.catalog, self.template, self.layers(answers), self.pseudo.account_id, plan).parameters

    def phase_views(self, answers: Mapping[str, Any], plan: Plan) -> tuple[PhaseView, ...]:
        """Phase 1 (the hardening postponed, as ``plan_deployment`` writes it) and phase 2, each
        against the baseline with its findings."""
        first = phase_one(self.catalog, self.template, self.layers(answers), self.pseudo.account_id, plan)
        return tuple(PhaseView(label, self.baseline_headline(values), self.findings(values))
                     for label, values in (("Phase 1, deployed first", first.parameters),
                                           ("Phase 2, after hardening", plan.parameters)))

    @property
    def baseline_name(self) -> str:
        return self.baseline or DEFAULT_BASELINE

    @property
    def deployed_baseline(self) -> dict[str, str] | None:
        """The deployed stack's parameters when they are the baseline: a preflight found the
        stack and the operator chose no baseline of their own (as in the headless run)."""
        return self.deployed_parameters if self.deployed_parameters and self.baseline is None else None

    @property
    def baseline_label(self) -> str:
        """What the diff compares against, as the screens name it."""
        return f"the deployed stack {self.pseudo.stack_name}" if self.deployed_baseline else self.baseline_name

    def against_baseline(self, parameters: Mapping[str, str]) -> PermissionDiff:
        """The whole change from the baseline to these parameter values (remembered per answer set)."""
        return self._against_baseline(parameters)[0]

    def baseline_headline(self, parameters: Mapping[str, str]) -> str:
        """The whole change from the baseline, the change in risk first, then the grants
        (``findings -1 critical; +3 grants  -1  BROADENING``: the core's ``headline``)."""
        diff, before, after = self._against_baseline(parameters)
        return headline(risk_between(self.template, before, after, self.pseudo), diff)

    def _against_baseline(self, parameters: Mapping[str, str]) -> tuple[PermissionDiff, dict, dict]:
        """(diff, baseline values, these values), remembered per answer set."""
        key = (self.baseline_label, freeze(parameters))
        found = self._against.get(key)
        if found is None:
            values = resolve_parameters(self.template, dict(parameters))
            deployed = self.deployed_baseline
            if deployed:
                base = deployed_values(self.template, deployed, values.raw)
            else:
                base = baseline_values(self.template, self.catalog, self.baseline_name, self.pseudo.account_id,
                                       values.raw)
            found = (compare(self.template, base.raw, values.raw, self.pseudo), dict(base.raw), dict(values.raw))
            self._against.put(key, found)
        return found


def hashable(value: Any) -> Any:
    """A hashable form of an answer or a mapping of answers (lists stay ordered, mappings not)."""
    if isinstance(value, Mapping):
        return ("{}", tuple(sorted((str(k), hashable(v)) for k, v in value.items())))
    if isinstance(value, (list, tuple, set, frozenset)):
        items = tuple(hashable(v) for v in value)
        return ("[]", tuple(sorted(items, key=repr)) if isinstance(value, (set, frozenset)) else items)
    return value
