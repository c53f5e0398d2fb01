"""The interactive run in progress, for both interactive faces: the Textual wizard and ``--plain``.

A face never merges layers, resolves answers or diffs grants itself; it asks the session, and
the session asks the core (``wizard.flow.answers.resolve``, ``wizard.iam.analysis.compare``,
``wizard.flow.headless.plan_deployment`` and ``deployed_values``). A new question, check or rule
of what an answer changes reaches both faces by one change here. The session holds no UI
object, so what it computes can run in a worker thread and be tested without a terminal.

Layers, weakest first: the mode or saved profile (with its account overrides), the ``--set``
values of typed questions' parameters, the operator's answers, the other ``--set`` values, then
the values typed in the parameters form. ``--set`` prefills the answers and the form; what the
operator types wins.

What candidate answers change (the live panel, the change printed after a prompt) is
``wizard.flow.session_preview``. The AWS steps and the fleet, which this layer may not reach,
are the wizard's ``screens.aws.session``; a preflight's report is adopted here (for the
security report, and its deployed-stack parameters become the diff baseline, as in the
headless run).
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Mapping

from wizard.cfn.parameters import resolve_parameters
from wizard.cfn.pseudo import Pseudo
from wizard.cfn.template import Template
from wizard.errors import InputError
from wizard.flow.answers import Layer, Plan, resolve
from wizard.flow.catalog import MULTI, Catalog, GenericQuestion, Question, load_catalog
from wizard.flow.checks import value_problem
from wizard.flow.draft import Draft, recorded_path, template_sha256
from wizard.flow.headless import DEFAULT_BASELINE, Deployment, hardened_for, layers_for, plan_deployment
from wizard.flow.profiles import load_profile, requirements
from wizard.flow.session_preview import BASELINES_KEPT, PREVIEWS_KEPT, TIMELINE, PhaseView, Preview, Previews
from wizard.flow.stack import pseudo_for, template_for
from wizard.iam.analysis import analyse
from wizard.memo import Memo
from wizard.paths import DEFAULT_TEMPLATE

if TYPE_CHECKING:
    from wizard.overlay import Hardening

__all__ = ["START", "PARAMETERS", "REVIEW", "WRITE", "TIMELINE", "PhaseView", "Preview", "WizardSession"]

START, PARAMETERS, REVIEW, WRITE = "start", "parameters", "review", "write"


@dataclass
class WizardSession(Previews):
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
    expected_account: str | None = None
    """The account id the operator typed: AWS credentials for another account are refused."""
    preflight: Any = None
    """The preflight's report (``wizard.aws.PreflightReport``) once the operator ran one."""
    deployed_parameters: dict[str, str] | None = None
    """The deployed stack's parameters, when a preflight found the stack to update."""
    hardening: "Hardening | None" = None
    """The overlay applied to a template without the promised options (the vendor's): the
    questions act on the hardened template, which is what the parameter file, the preflight and
    the change set use."""
    template_sha256: str | None = None
    """The digest of the chosen template's text (before any hardening), recorded in the draft."""
    operator_layers: tuple[str, str] = ("wizard answers", "parameters form")
    """The names of the operator's two layers (the answers, the typed parameter values), which
    name where a refused value came from."""
    _mode_layers: dict = field(default_factory=dict, repr=False, compare=False)
    _against: Memo = field(default_factory=lambda: Memo(maxsize=BASELINES_KEPT), repr=False, compare=False)
    _previews: Memo = field(default_factory=lambda: Memo(maxsize=PREVIEWS_KEPT), repr=False, compare=False)
    _computing: dict = field(default_factory=dict, repr=False, compare=False)
    _memo_lock: Any = field(default_factory=threading.Lock, repr=False, compare=False)

    @classmethod
    def open(cls, template_path: str | None, *, account_id: str | None, region: str | None,
             stack_name: str | None, harden: bool = True, form_from_settings: bool = True,
             **options: Any) -> "WizardSession":
        """Load the template (the embedded one when no path), check the target and the ``--set`` values.

        A template without the promised options is hardened unless ``harden`` is false
        (``--no-harden``). With ``form_from_settings`` the ``--set`` values of the parameters no
        question covers prefill the parameters form (the wizard's); without, they stay the
        ``--set`` layer (the line prompts ask only what is missing).

        Raises InputError (a bad account id, template, profile or parameter value)."""
        pseudo = pseudo_for(None, stack_name or None, region or None, account_id or None)
        template = template_for(template_path or None)
        digest = template_sha256(template.text)
        hardening = hardened_for(template) if harden else None
        if hardening is not None:
            template = hardening.template
        settings = dict(options.pop("settings", None) or {})
        session = cls(template=template, pseudo=pseudo, template_path=template_path or None,
                      settings=settings, expected_account=account_id or None, hardening=hardening,
                      template_sha256=digest, **options)
        if form_from_settings:
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
        """The run's layers, in the one order every face uses (``layers_for``): the mode or
        profile with its account overrides, ``--set``, then the operator's answers and form."""
        answers_layer, form_layer = self.operator_layers
        operator = [Layer(answers_layer, dict(self.answers if answers is None else answers), {}),
                    Layer(form_layer, {}, dict(self.parameters))]
        return layers_for(self.profile, self.pseudo.account_id, None, self.settings, operator,
                          profile_layers=self.mode_layers())

    def plan(self, answers: Mapping[str, Any] | None = None) -> Plan:
        return resolve(self.catalog, self.template, self.layers(answers))

    def steps(self) -> list[str]:
        """Every screen of the run, in order, for the answers given so far."""
        return [START, *(q.id for q in self.plan().asked), PARAMETERS, REVIEW, WRITE]

    def question(self, question_id: str) -> Question:
        """The question, its texts filled with the facts of the template in use."""
        return self.catalog.question_for(question_id, self.template)

    def current(self, question: Question) -> Any:
        """The answer in force (the core's ``Plan.in_force``): the operator's; else what the
        stronger layers set (``--set``, the profile's account overrides); else the mode's."""
        value = self.plan().in_force(question)
        if value is None and question.kind == MULTI:
            return []
        return value

    def recommendation(self, question: Question) -> str | None:
        """What the chosen frameworks recommend for this question, as one line, or None."""
        found = self.catalog.recommendations(self.plan().answers).get(question.id)
        return found.describe(question) if found else None

    def answer(self, question: Question, value: Any) -> None:
        self.answers[question.id] = list(value) if isinstance(value, (list, tuple)) else value

    def text_problem(self, question: Question, value: str) -> str | None:
        """Why the template would refuse this typed answer, or None."""
        problem = question.problem(value)
        if problem:
            return problem
        for name, text in question.parameter_values(value).items():
            spec = self.template.parameters.get(name)
            problem = (spec.problem(text) if spec else None) or self.value_problem(name, text)
            if problem:
                return problem
        return None

    def value_problem(self, name: str, value: str | None) -> str | None:
        """What the core refuses in a value beyond the template's constraints: an ARN of another
        region or account, a value the mode requires left empty (``wizard.flow.checks``)."""
        if name not in self.template.parameters:
            return None
        try:
            required = requirements(self.profile)
        except InputError:
            required = {}
        return value_problem(name, value, self.pseudo, required)

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

    def current_grants(self):
        """The analysis (grants, network rules) of the answers in force."""
        plan = self.plan()
        values = resolve_parameters(self.template, dict(plan.parameters))
        return analyse(self.template, values.raw, self.pseudo), values.unresolved

    def deployment(self, *, out: str | None = None, fmt: str | None = None,
                   require_complete: bool = True) -> Deployment:
        """The validated deployment (InputError when a value is missing or refused)."""
        return plan_deployment(template=self.template, pseudo=self.pseudo, layers=self.layers(),
                               out=Path(out or self.out), fmt=fmt or self.fmt, baseline=self.baseline,
                               mode=self.profile, catalog=self.catalog, require_complete=require_complete,
                               baseline_parameters=self.deployed_baseline, hardening=self.hardening)

    # -- after the file is written ----------------------------------------------------------

    def adopt_preflight(self, report: "PreflightReport") -> bool:
        """Keep the report (for the security report) and the deployed stack's parameters;
        True when they are now the diff baseline."""
        self.preflight = report
        self.deployed_parameters = dict(report.baseline_parameters) or None
        return self.deployed_baseline is not None

    def secrets_to_write(self) -> list[str]:
        """The NoEcho parameters the parameter file will hold a value for (in plaintext)."""
        try:
            values = self.deployment().values
        except InputError:
            return []
        return [name for name, spec in values.specs.items() if spec.no_echo and values.raw.get(name)]

    def change_set_refusal(self) -> str | None:
        """Why a change set should not be created: the preflight of this run failed (None: go on).
        The headless run refuses outright; the wizard asks for a typed override."""
        if self.preflight is not None and not self.preflight.ok:
            return f"the preflight failed ({', '.join(self.preflight.failed)})"
        return None

    def write_security_report(self, folder: str) -> tuple[list[Path], list]:
        """Write the security documentation package of the answers in force: (paths, findings).

        The report records the mode, the answers and the frameworks, and the preflight's checks
        when one was run; NoEcho values are masked by the core."""
        from wizard.flow.report import deployment_context, write_package

        deployment = self.deployment(require_complete=False)
        analysis = analyse(deployment.template, deployment.values.raw, deployment.pseudo)
        context = deployment_context(deployment)
        preflight = self.preflight.to_json() if self.preflight is not None else None
        paths, findings = write_package(folder, analysis.evaluation, list(analysis.grants), list(analysis.rules),
                                        frameworks=context["frameworks"], context=context, preflight=preflight)
        return list(paths), findings

    # -- profiles ------------------------------------------------------------------------------

    def hardening_notice(self) -> str | None:
        """What the overlay did to the chosen template, in one sentence; None when nothing."""
        if self.hardening is None:
            return None
        notice = (f"The template lacks the promised security options: the {self.hardening.overlay_name} overlay "
                  f"adds {', '.join(self.hardening.added_parameters)}; the hardened template is written beside "
                  "the parameter file and is what the change set deploys.")
        vendor = [parameter for parameter, _ in self.hardening.vendor_changes]
        if vendor:
            notice += f" Needs a change by the vendor: {', '.join(vendor)}."
        return notice

    def account_gaps(self) -> dict[str, list[str]]:
        """Values the profile keeps for other accounts but not for this one (asked, never borrowed)."""
        from wizard.flow.headless import account_gaps

        return account_gaps(self.profile, self.pseudo.account_id)

    def save_profile(self, name: str) -> Path:
        """Save the answers in force as a profile; values tied to the account go under it."""
        from wizard.flow.profiles import account_profile, save_profile

        account = self.pseudo.account_id
        types = {n: spec.type for n, spec in self.template.parameters.items()}
        profile = account_profile(name, answers=dict(self.plan().answers), parameters=dict(self.parameters),
                                  account_id=account, types=types,
                                  description=f"Saved from the wizard for account {account}")
        return save_profile(profile, self.secret_parameters, types)

    # -- drafts ------------------------------------------------------------------------------

    def draft(self, step: str | None) -> Draft:
        return Draft(template=recorded_path(self.template_path), template_sha256=self.template_sha256,
                     profile=self.profile, account_id=self.pseudo.account_id,
                     region=self.pseudo.region, stack_name=self.pseudo.stack_name, baseline=self.baseline,
                     answers=dict(self.answers), parameters=dict(self.parameters), step=step,
                     out=self.out, fmt=self.fmt)

    @classmethod
    def from_draft(cls, draft: Draft, settings: Mapping[str, str] | None = None) -> "WizardSession":
        """The run ``draft`` saved, on its template (``Draft.on_template`` moves it to another):
        only the answers and parameter values that template has are kept. A template that changed
        since the draft recorded its digest is refused (InputError), never mixed."""
        session = cls.open(draft.template, account_id=draft.account_id, region=draft.region,
                           stack_name=draft.stack_name, profile=draft.profile, baseline=draft.baseline,
                           settings=dict(settings or {}), out=draft.out or "quilt-parameters.json",
                           fmt=draft.fmt or "cfn")
        if draft.template_sha256 is not None and draft.template_sha256 != session.template_sha256:
            raise InputError("has changed since the unfinished run was saved on it", file=draft.template or
                             str(DEFAULT_TEMPLATE))
        session.answers = {}
        session.take_draft(draft)
        return session

    def take_draft(self, draft: Draft) -> None:
        """Adopt the answers and parameter values of ``draft`` that this template has (the others
        are dropped, never mixed in)."""
        known = {q.id for q in self.catalog.for_template(self.template)}
        self.answers.update({k: v for k, v in draft.answers.items() if k in known})
        names = set(self.template.parameters)
        self.parameters.update({k: v for k, v in draft.parameters.items() if k in names})

    def asks(self, question: Question) -> bool:
        """Whether the run asks ``question`` for the answers given so far (``steps``)."""
        return any(asked.id == question.id for asked in self.plan().asked)
