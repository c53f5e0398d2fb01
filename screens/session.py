"""The run in progress: what the operator chose so far, and the core calls that answer the screens.

A screen never merges layers, resolves answers or diffs grants itself; it asks the session,
and the session asks the core (``wizard.flow.answers.resolve``, ``wizard.iam.analysis.compare``,
``wizard.flow.headless.plan_deployment`` and ``deployed_values``). The session holds no Textual
object, so the previews it computes can run in a worker thread and be tested without a terminal.

Layers, weakest first: the mode or saved profile (with its account overrides), the ``--set``
values of typed questions' parameters, the operator's answers, the other ``--set`` values, then
the values typed in the parameters form. ``--set`` prefills the answers and the form; what the
operator types wins.

After the parameter file is written, the optional AWS steps go through the session too: the
preflight (whose report it keeps, for the security report, and whose deployed-stack
parameters become the diff baseline, as in the headless run), the change set of the first
phase's parameters, and its execution. These run in worker threads and change nothing in the
session; the screen adopts a preflight report on the UI thread.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Callable, Mapping

from wizard.iam.analysis import analyse, compare, freeze
from wizard.flow.answers import Layer, Plan, resolve
from wizard.flow.catalog import MULTI, Catalog, GenericQuestion, Question, load_catalog
from wizard.iam.diff import PermissionDiff
from wizard.flow.draft import Draft, recorded_path, template_sha256
from wizard.errors import InputError
from wizard.flow.headless import (DEFAULT_BASELINE, Deployment, baseline_values, deployed_values, layers_for,
                                  hardened_for, phase_one, plan_deployment)
from wizard.flow.risk import RiskChange, change, findings_of, headline, risk_between
from wizard.flow.stops import stopped_features
from wizard.cfn.parameters import resolve_parameters
from wizard.paths import DEFAULT_TEMPLATE
from wizard.flow.checks import value_problem
from wizard.flow.profiles import load_profile, requirements
from wizard.cfn.pseudo import Pseudo
from wizard.flow.stack import pseudo_for
from wizard.cfn.template import Template, load_template

if TYPE_CHECKING:
    import threading

    from wizard.aws import AwsSession, ChangeSetResult, PreflightReport
    from wizard.fleet.plan import FleetPlan
    from wizard.overlay import Hardening

START, PARAMETERS, REVIEW, WRITE = "start", "parameters", "review", "write"
TIMELINE = "timeline"
"""The question whose "after" answer deploys in two phases (``plan_deployment``)."""


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
    expected_account: str | None = None
    """The account id the operator typed: AWS credentials for another account are refused."""
    preflight: "PreflightReport | None" = None
    deployed_parameters: dict[str, str] | None = None
    """The deployed stack's parameters, when a preflight found the stack to update."""
    hardening: "Hardening | None" = None
    """The overlay applied to a template without the promised options (the vendor's): the
    questions act on the hardened template, which is what the parameter file, the preflight and
    the change set use."""
    template_sha256: str | None = None
    """The digest of the chosen template's text (before any hardening), recorded in the draft."""
    _mode_layers: dict = field(default_factory=dict, repr=False, compare=False)
    _against: dict = field(default_factory=dict, repr=False, compare=False)
    _previews: dict = field(default_factory=dict, repr=False, compare=False)

    @classmethod
    def open(cls, template_path: str | None, *, account_id: str | None, region: str | None,
             stack_name: str | None, **options: Any) -> "WizardSession":
        """Load the template (the embedded one when no path), check the target and the ``--set`` values.

        Raises InputError (a bad account id, template, profile or parameter value)."""
        pseudo = pseudo_for(None, stack_name or None, region or None, account_id or None)
        template = load_template(template_path or DEFAULT_TEMPLATE)
        digest = template_sha256(template.text)
        hardening = hardened_for(template)
        if hardening is not None:
            template = hardening.template
        settings = dict(options.pop("settings", None) or {})
        session = cls(template=template, pseudo=pseudo, template_path=template_path or None,
                      settings=settings, expected_account=account_id or None, hardening=hardening,
                      template_sha256=digest, **options)
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
        operator = [Layer("wizard answers", dict(self.answers if answers is None else answers), {}),
                    Layer("parameters form", {}, dict(self.parameters))]
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

    # -- what choices change --------------------------------------------------------------

    def _preview_key(self, question: Question, candidate: Any, title: str) -> tuple:
        """Everything a preview depends on: the candidate, and the session's state that decides
        the answers in force and the baseline."""
        return (question.id, _hashable(candidate), title, _hashable(self.answers), _hashable(self.parameters),
                _hashable(self.settings), self.profile, self.baseline, _hashable(self.deployed_parameters),
                self.pseudo, id(self.template))

    def known_preview(self, question: Question, candidate: Any, title: str) -> Preview | None:
        """The preview already computed for this candidate in this state of the session, or None:
        a screen shows it at once, in the frame that moves the highlight."""
        return self._previews.get(self._preview_key(question, candidate, title))

    def preview(self, question: Question, candidate: Any, title: str) -> Preview:
        """The permission diff of ``candidate`` against the answers in force (thread-safe), kept
        for ``known_preview``."""
        key = self._preview_key(question, candidate, title)
        found = self._previews.get(key)
        if found is None:
            found = self._compute_preview(question, candidate, title)
            if len(self._previews) > 512:
                self._previews.clear()
            self._previews[key] = found
        return found

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
            changes = compare(self.template, dict(old), dict(new), self.pseudo)
            posture = change(self.findings(old), self.findings(new))
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
            if len(self._against) > 256:
                self._against.clear()
            self._against[key] = found
        return found

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

    # -- AWS (worker threads; raise AwsError or InputError) --------------------------------------

    def aws_session(self, profile: str | None, endpoint_url: str | None,
                    deadline: float | None = None) -> "AwsSession":
        """A session in the deployment's region, from the standard credential chain; ``deadline``
        bounds each call (``--aws-deadline``; default 30 s)."""
        from wizard.aws import make_session

        return make_session(profile=profile or None, region=self.pseudo.region, endpoint_url=endpoint_url or None,
                            deadline=deadline)

    def run_preflight(self, aws: "AwsSession", on_progress: Callable[[str], None], *,
                      access_analyzer: bool = False) -> "PreflightReport":
        """The preflight of the final parameter values (the session is not changed: see ``adopt``);
        ``access_analyzer`` adds IAM Access Analyzer's checks of every policy (calls that reach AWS)."""
        from wizard.aws import run_preflight
        from wizard.commands.aws_steps import policy_check_request
        from wizard.iam.managed_policies import attached

        deployment = self.deployment()
        values = dict(deployment.values.raw)
        policies = attached(analyse(self.template, values, self.pseudo).grants)
        return run_preflight(aws, values, stack_name=self.pseudo.stack_name,
                             expected_account=self.expected_account, target_account=self.pseudo.account_id,
                             on_progress=on_progress, managed_policy_arns=policies,
                             access_analyzer=policy_check_request(deployment) if access_analyzer else None,
                             parameter_types={name: spec.type for name, spec in self.template.parameters.items()})

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

    def create_change_set(self, aws: "AwsSession", *, stack_name: str, change_set_name: str | None,
                          template_bucket: str | None, on_progress: Callable[[str], None],
                          cancel: "threading.Event", capabilities: tuple[str, ...] | None = None) -> "ChangeSetResult":
        """Create (never execute) the change set of the first phase's parameters, as the headless run does."""
        from wizard.aws import create_change_set, require_account

        deployment = self.deployment()
        if self.expected_account:
            require_account(aws, self.expected_account)
        body = self.hardening.text if self.hardening else self.template.text
        return create_change_set(aws, stack_name=stack_name, template_body=body,
                                 parameters=dict(deployment.phases[0].values.raw),
                                 change_set_name=change_set_name or None, template_bucket=template_bucket or None,
                                 tags=dict(deployment.tags) or None, on_progress=on_progress, cancel=cancel,
                                 secret_parameters=self.secret_parameters, capabilities=capabilities)

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
        notice = (f"The template lacks the promised security options: the {self.hardening.overlay.name} overlay "
                  f"adds {', '.join(self.hardening.added_parameters)}; the hardened template is written beside "
                  "the parameter file and is what the change set deploys.")
        vendor = [outcome.rule.parameter for outcome in self.hardening.needs_vendor]
        if vendor:
            notice += f" Needs a change by the vendor: {', '.join(vendor)}."
        return notice

    def account_gaps(self) -> dict[str, list[str]]:
        """Values the profile keeps for other accounts but not for this one (asked, never borrowed)."""
        from wizard.flow.headless import account_gaps

        return account_gaps(self.profile, self.pseudo.account_id)

    # -- the fleet: the profile's accounts through a stack set -------------------------------------

    def fleet_accounts(self) -> tuple[str, ...]:
        """The accounts of the profile's ``accounts:`` section (none for a mode, or a profile that
        cannot be read)."""
        if not self.profile:
            return ()
        try:
            return tuple(load_profile(self.profile).accounts)
        except InputError:
            return ()

    def plan_fleet(self, stack_set_name: str) -> "tuple[FleetPlan, tuple[str, ...]]":
        """The fleet's plan (``wizard.fleet.plan``) of the profile as saved, on this run's template,
        refused instances kept; and the parameters this run sets otherwise for its own account
        (answers not saved in the profile; none when the run is not complete)."""
        from wizard.fleet.plan import not_in_profile, plan_fleet

        assert self.profile is not None
        plan = plan_fleet(self.profile, self.template, stack_name=stack_set_name, hardening=self.hardening,
                          strict=False)
        try:
            values = self.deployment().values.raw
        except InputError:
            return plan, ()
        return plan, not_in_profile(plan, values, self.pseudo.account_id, self.pseudo.region)

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
        known = {q.id for q in session.catalog.for_template(session.template)}
        session.answers = {k: v for k, v in draft.answers.items() if k in known}
        names = set(session.template.parameters)
        session.parameters.update({k: v for k, v in draft.parameters.items() if k in names})
        return session


def _hashable(value: Any) -> Any:
    """A hashable form of an answer or a mapping of answers (lists stay ordered, mappings not)."""
    if isinstance(value, Mapping):
        return ("{}", tuple(sorted((str(k), _hashable(v)) for k, v in value.items())))
    if isinstance(value, (list, tuple, set, frozenset)):
        items = tuple(_hashable(v) for v in value)
        return ("[]", tuple(sorted(items, key=repr)) if isinstance(value, (set, frozenset)) else items)
    return value
