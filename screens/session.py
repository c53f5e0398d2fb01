"""The run in progress: what the operator chose so far, and the core calls that answer the screens.

A screen never merges layers, resolves answers or diffs grants itself; it asks the session,
and the session asks the core (``wizard.answers.resolve``, ``wizard.analysis.compare``,
``wizard.headless.plan_deployment``). The session holds no Textual object, so the previews
it computes can run in a worker thread and be tested without a terminal.

Layers, weakest first, as in the headless run: the mode or saved profile (with its account
overrides), the operator's answers, ``--set`` values, then the values typed in the parameters
form (prefilled from ``--set``, so a typed value wins).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Mapping

from wizard.analysis import analyse, compare, freeze
from wizard.answers import Layer, Plan, resolve
from wizard.catalog import MULTI, Catalog, GenericQuestion, Question, load_catalog
from wizard.diff import PermissionDiff
from wizard.draft import Draft
from wizard.errors import InputError
from wizard.pseudo import Pseudo
from wizard.headless import DEFAULT_BASELINE, Deployment, baseline_values, plan_deployment, pseudo_for
from wizard.parameters import resolve_parameters
from wizard.paths import DEFAULT_TEMPLATE
from wizard.profiles import load_profile
from wizard.template import Template, load_template

START, PARAMETERS, REVIEW, WRITE = "start", "parameters", "review", "write"


@dataclass(frozen=True)
class Preview:
    """What a candidate answer would change, for the live panel."""

    title: str
    diff: PermissionDiff | None = None
    problem: str | None = None
    is_current: bool = False
    baseline_name: str = DEFAULT_BASELINE
    against_baseline: str | None = None
    frameworks: tuple[str, ...] = ()


@dataclass
class WizardSession:
    """One interactive run: template, target, mode, answers and parameter values."""

    template: Template
    pseudo: Pseudo
    template_path: str | None = None
    profile: str | None = DEFAULT_BASELINE
    baseline: str | None = None
    answers: dict[str, Any] = field(default_factory=dict)
    parameters: dict[str, str] = field(default_factory=dict)
    settings: dict[str, str] = field(default_factory=dict)
    out: str = "quilt-parameters.json"
    fmt: str = "cfn"
    catalog: Catalog = field(default_factory=load_catalog)
    _mode_layers: dict = field(default_factory=dict, repr=False, compare=False)
    _against: dict = field(default_factory=dict, repr=False, compare=False)

    @classmethod
    def open(cls, template_path: str | None, *, account_id: str | None, region: str | None,
             stack_name: str | None, **options: Any) -> "WizardSession":
        """Load the template (the embedded one when no path), check the target and the ``--set`` values.

        Raises InputError (a bad account id, template, profile or parameter value)."""
        pseudo = pseudo_for(None, stack_name or None, region or None, account_id or None)
        template = load_template(template_path or DEFAULT_TEMPLATE)
        settings = dict(options.pop("settings", None) or {})
        session = cls(template=template, pseudo=pseudo, template_path=template_path or None,
                      settings=settings, **options)
        generic = {g.id for g in session.generic()}
        session.parameters = {k: v for k, v in settings.items() if k in generic} | session.parameters
        resolve_parameters(template, dict(session.plan().parameters), origin={k: "--set" for k in settings})
        return session

    # -- answers and parameters ---------------------------------------------------------

    def mode_layers(self) -> list[Layer]:
        """The mode or profile's layers for the account (read once per profile)."""
        key = (self.profile, self.pseudo.account_id)
        if key not in self._mode_layers:
            self._mode_layers[key] = load_profile(self.profile).layers(self.pseudo.account_id) if self.profile else []
        return list(self._mode_layers[key])

    def layers(self, answers: Mapping[str, Any] | None = None) -> list[Layer]:
        layers = self.mode_layers()
        layers.append(Layer("wizard answers", dict(self.answers if answers is None else answers), {}))
        if self.settings:
            layers.append(Layer("--set", {}, dict(self.settings)))
        if self.parameters:
            layers.append(Layer("parameters form", {}, dict(self.parameters)))
        return layers

    def plan(self, answers: Mapping[str, Any] | None = None) -> Plan:
        return resolve(self.catalog, self.template, self.layers(answers))

    def steps(self) -> list[str]:
        """Every screen of the run, in order, for the answers given so far."""
        return [START, *(q.id for q in self.plan().asked), PARAMETERS, REVIEW, WRITE]

    def question(self, question_id: str) -> Question:
        return self.catalog.question(question_id)

    def current(self, question: Question) -> Any:
        """The answer in force (the operator's, the mode's or the default), or a ``--set`` value."""
        plan = self.plan()
        if question.id in plan.answers:
            return plan.answers[question.id]
        if question.parameter and question.parameter in plan.parameters:
            return plan.parameters[question.parameter]
        return [] if question.kind == MULTI else None

    def answer(self, question: Question, value: Any) -> None:
        self.answers[question.id] = list(value) if isinstance(value, (list, tuple)) else value

    def text_problem(self, question: Question, value: str) -> str | None:
        """Why the template would refuse this typed answer, or None."""
        problem = question.problem(value)
        if problem:
            return problem
        for name, text in question.parameter_values(value).items():
            spec = self.template.parameters.get(name)
            problem = spec.problem(text) if spec else None
            if problem:
                return problem
        return None

    def generic(self) -> tuple[GenericQuestion, ...]:
        return self.catalog.generic(self.template)

    @property
    def secret_parameters(self) -> frozenset[str]:
        return frozenset(name for name, spec in self.template.parameters.items() if spec.no_echo)

    def frameworks(self, answers: Mapping[str, Any]) -> tuple[str, ...]:
        chosen = answers.get("frameworks") or ()
        try:
            question = self.catalog.question("frameworks")
        except KeyError:
            return tuple(chosen)
        return tuple(question.choice(v).label if question.choice(v) else v for v in chosen)

    # -- what choices change --------------------------------------------------------------

    def preview(self, question: Question, candidate: Any, title: str) -> Preview:
        """The permission diff of ``candidate`` against the answers in force (thread-safe)."""
        try:
            before = self.plan()
            answers = {**self.answers, question.id: candidate}
            after = self.plan(answers)
            problem = self.text_problem(question, candidate) if isinstance(candidate, str) else None
            if problem:
                return Preview(title, problem=problem, frameworks=self.frameworks(after.answers))
            changes = compare(self.template, dict(before.parameters), dict(after.parameters), self.pseudo)
            return Preview(title, diff=changes, is_current=self.current(question) == candidate,
                           baseline_name=self.baseline_name,
                           against_baseline=self.against_baseline(after.parameters).summary(),
                           frameworks=self.frameworks(after.answers))
        except InputError as exc:
            return Preview(title, problem=exc.message if exc.where is None else str(exc))

    @property
    def baseline_name(self) -> str:
        return self.baseline or DEFAULT_BASELINE

    def against_baseline(self, parameters: Mapping[str, str]) -> PermissionDiff:
        """The whole change from the baseline to these parameter values (remembered per answer set)."""
        key = (self.baseline_name, freeze(parameters))
        found = self._against.get(key)
        if found is None:
            values = resolve_parameters(self.template, dict(parameters))
            base = baseline_values(self.template, self.catalog, self.baseline_name, self.pseudo.account_id,
                                   values.raw)
            found = compare(self.template, base.raw, values.raw, self.pseudo)
            if len(self._against) > 256:
                self._against.clear()
            self._against[key] = found
        return found

    def current_grants(self):
        """The analysis (grants, network rules) of the answers in force."""
        plan = self.plan()
        values = resolve_parameters(self.template, dict(plan.parameters))
        return analyse(self.template, values.raw, self.pseudo), values.unresolved

    def deployment(self, *, out: str | None = None, fmt: str | None = None) -> Deployment:
        """The validated deployment (InputError when a value is missing or refused)."""
        return plan_deployment(template=self.template, pseudo=self.pseudo, layers=self.layers(),
                               out=Path(out or self.out), fmt=fmt or self.fmt, baseline=self.baseline,
                               mode=self.profile, catalog=self.catalog)

    # -- drafts ------------------------------------------------------------------------------

    def draft(self, step: str | None) -> Draft:
        return Draft(template=self.template_path, profile=self.profile, account_id=self.pseudo.account_id,
                     region=self.pseudo.region, stack_name=self.pseudo.stack_name, baseline=self.baseline,
                     answers=dict(self.answers), parameters=dict(self.parameters), step=step,
                     out=self.out, fmt=self.fmt)

    @classmethod
    def from_draft(cls, draft: Draft, settings: Mapping[str, str] | None = None) -> "WizardSession":
        session = cls.open(draft.template, account_id=draft.account_id, region=draft.region,
                           stack_name=draft.stack_name, profile=draft.profile, baseline=draft.baseline,
                           settings=dict(settings or {}), out=draft.out or "quilt-parameters.json",
                           fmt=draft.fmt or "cfn")
        known = {q.id for q in session.catalog.questions}
        session.answers = {k: v for k, v in draft.answers.items() if k in known}
        names = set(session.template.parameters)
        session.parameters.update({k: v for k, v in draft.parameters.items() if k in names})
        return session
