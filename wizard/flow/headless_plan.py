"""The headless run's plan: answers in, the validated parameter values and the phases to write out.

``quilt-wizard --answers FILE`` merges the layers (mode or profile < account overrides <
answers file < ``--set``), validates the result against the template and diffs it against a
baseline (the standard mode by default). Everything is checked here, before anything is written
(``wizard.flow.headless_write``), so bad input leaves no file behind.

Given a template without the promised options (the vendor's own), the run applies the hardening
overlay first (``wizard.overlay``; ``--no-harden`` opts out): the answers then act on the
hardened template. What an earlier run's hardening found is read back, not worked out again
(``wizard.overlay.kept``).

With the "harden after" timeline the plan has two phases: phase 1 (security options at their
standard values) and phase 2 (the chosen hardening). The same ``Deployment`` is what the line
prompts and the TUI build and write.
"""
from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Iterable, Mapping

from wizard.iam.analysis import analyse, compare
from wizard.flow.answers import AnswersFile, Layer, Plan, resolve, stack_layers
from wizard.flow.catalog import Catalog, load_catalog
from wizard.iam.diff import PermissionDiff
from wizard.errors import InputError
from wizard.cfn.pseudo import Pseudo
from wizard.flow.stack import pseudo_for, template_for
from wizard.flow.paramfile import FORMATS, check_path, default_path, read_parameter_file
from wizard.cfn.parameters import MASK, ParameterValues, resolve_parameters
from wizard.flow.accounts import missing_for_account
from wizard.flow.checks import value_problems
from wizard.flow.risk import findings_of, headline, name_of, risk_between, serious
from wizard.flow.profiles import BUILTIN_MODES, load_profile, question_parameters, user_profiles_dir
from wizard.cfn.template import Template
from wizard.cfn.yamlsource import line_at

if TYPE_CHECKING:  # imported when a template is hardened: a run on the embedded one never is
    from wizard.overlay import Hardening
    from wizard.overlay.costs import Costs
DEFAULT_BASELINE = "standard"


@dataclass(frozen=True)
class Phase:
    """One parameter file to write: its values and its diff against the previous state."""

    path: Path
    values: ParameterValues
    diff: PermissionDiff
    label: str


@dataclass(frozen=True)
class Deployment:
    """Everything a run decided: template, stack, answers, parameter values, phases."""

    template: Template
    pseudo: Pseudo
    plan: Plan
    values: ParameterValues
    baseline_name: str
    baseline: ParameterValues
    phases: tuple[Phase, ...]
    fmt: str = "cfn"
    tags: Mapping[str, str] = field(default_factory=dict)
    mode: str | None = None
    hardening: Hardening | None = None

    @property
    def template_path(self) -> Path | None:
        """Where the hardened template is written: beside the (first) parameter file."""
        if self.hardening is None:
            return None
        first = self.phases[0].path
        return first.with_name(first.name + ".template.yaml")

    @property
    def diff(self) -> PermissionDiff:
        """The whole change against the baseline (what the final phase deploys)."""
        return compare(self.template, self.baseline.raw, self.values.raw, self.pseudo)

    def costs(self) -> "Costs":
        """What stops working: the accesses the answers take away from the vendor's template
        (or the baseline), with cause, features and collateral (``wizard.flow.stops``)."""
        from wizard.flow.stops import deployment_costs

        return deployment_costs(self)

    def headline(self) -> str:
        """The whole change against the baseline, the change in findings first, then the grants."""
        return headline(risk_between(self.template, self.baseline.raw, self.values.raw, self.pseudo), self.diff)

    def _phase_findings(self, findings: list | None) -> list:
        """The findings of each phase (None each when the findings were not computed)."""
        if findings is None:
            return [None] * len(self.phases)
        return [found for _, found in phase_findings(self, findings)]

    def summary_json(self, findings: list | None = None) -> dict[str, Any]:
        return {
            "template": self.template.source,
            "stack": {"name": self.pseudo.stack_name, "region": self.pseudo.region,
                      "account_id": self.pseudo.account_id},
            "mode": self.mode,
            "answers": self.plan.given(),
            "not_applied": {k: n.to_json() for k, n in self.plan.not_applied.items()},
            "parameters": self.values.display(),
            "baseline": self.baseline_name,
            "diff": self.diff.to_json(),
            **self.costs().to_json(),
            "files": [{"path": str(p.path), "phase": p.label, "format": self.fmt,
                       "diff": p.diff.to_json() if len(self.phases) > 1 else None,
                       "findings": _counts(found) if found is not None else None}
                      for p, found in zip(self.phases, self._phase_findings(findings))],
            "findings": [f.to_json() for f in findings] if findings is not None else None,
            "hardening": ({**self.hardening.to_json(), "template_file": str(self.template_path)}
                          if self.hardening else None),
        }


def _counts(findings: list) -> dict[str, Any]:
    """Findings of one phase by severity, the critical and high ones named."""
    return {"total": len(findings), "by_severity": dict(Counter(f.severity for f in findings)),
            "serious": [name_of(f) for f in serious(findings)]}


def layers_for(mode: str | None, account_id: str, answers: AnswersFile | None,
               settings: Mapping[str, str], operator: Iterable[Layer] = (),
               profile_layers: list[Layer] | None = None) -> list[Layer]:
    """Mode/profile < its account overrides < answers file < ``--set`` < the operator's typing.

    Every face (headless, ``--plain``, the wizard) builds its layers here (``profile_layers``:
    the profile's layers when the caller keeps them already read)."""
    layers: list[Layer] = []
    if profile_layers is not None:
        layers = list(profile_layers)
    elif mode:
        try:
            layers = load_profile(mode).layers(account_id)
        except InputError as exc:
            if answers is None or answers.mode != mode or exc.file:
                raise
            raise InputError(exc.message, file=answers.source, where="/mode",
                             line=line_at(answers.data, ["mode"])) from None
    return stack_layers(layers, answers, settings, operator)


def hardened_for(template: Template) -> Hardening | None:
    """The overlay applied to a template that lacks the promised options; None when it adds
    nothing. An earlier run's work is read back rather than done again (``wizard.overlay.kept``)."""
    from wizard.overlay.kept import hardened

    return hardened(template)


def plan_arguments(answers: AnswersFile, *, template: str | None = None, profile: str | None = None,
                   stack_name: str | None = None, region: str | None = None, account_id: str | None = None,
                   settings: Mapping[str, str] | None = None, out: str | None = None, fmt: str | None = None,
                   baseline: str | None = None, harden: bool = True) -> dict[str, Any]:
    """The arguments of ``plan_deployment`` for an answers file and the command line's overrides.

    With ``harden`` (the default) a template without the promised options is hardened first.
    """
    chosen = template_for(template, answers)
    hardening = hardened_for(chosen) if harden else None
    if hardening is not None:
        chosen = hardening.template
    pseudo = pseudo_for(answers, stack_name, region, account_id)
    mode = profile or answers.mode
    settings = settings or {}
    layers = layers_for(mode, pseudo.account_id, answers, settings)
    gaps = account_gaps(mode, pseudo.account_id)
    given = set(settings) | set(answers.parameters)
    given |= {q.parameter or q.id for q in load_catalog().questions if q.id in answers.answers}
    missing = [name for name in gaps if name not in given and name in chosen.parameters]
    if missing:
        kept = sorted({account for name in missing for account in gaps[name]})
        raise InputError(f"profile {mode} keeps {', '.join(missing)} for account {', '.join(kept)} but has no "
                         f"values for account {pseudo.account_id}; give them in the answers file or with --set",
                         where="--account-id")
    return dict(
        template=chosen, pseudo=pseudo, mode=mode, hardening=hardening,
        layers=layers,
        out=out or (answers.relative(answers.output["path"]) if answers.output.get("path")
                    else default_path(fmt or answers.output.get("format", "cfn"))),
        fmt=fmt or answers.output.get("format", "cfn"),
        baseline=baseline or answers.baseline, tags=answers.tags)


def account_gaps(mode: str | None, account_id: str) -> dict[str, list[str]]:
    """Values a saved profile keeps for other accounts but not for this one: parameter -> accounts.

    A headless run refuses to go on without them; the wizard and the prompts ask for them."""
    if not mode or mode in BUILTIN_MODES:
        return {}
    return missing_for_account(load_profile(mode).accounts, account_id, question_parameters())


def _names_a_file(baseline: str) -> bool:
    """A baseline is a parameter file when it looks like a path; otherwise a mode or profile
    (so a stray file called ``standard`` in the current folder changes nothing)."""
    return baseline not in BUILTIN_MODES and ("/" in baseline or "." in baseline or Path(baseline).exists()
                                              and not (user_profiles_dir() / f"{baseline}.yaml").is_file())


def baseline_values(template: Template, catalog: Catalog, baseline: str, account_id: str,
                    operator_values: Mapping[str, str]) -> ParameterValues:
    """The parameters the diff compares against: a mode, a saved profile, or a parameter file.

    The baseline keeps the operator's own deployment details (the parameters with no Default:
    host, certificate, network...), so the diff shows only what the choices change.
    """
    details = {k: v for k, v in operator_values.items()
               if k in template.parameters and template.parameters[k].default is None}
    if _names_a_file(baseline):
        values = read_parameter_file(baseline)
        return resolve_parameters(template, {**details, **values}, origin={k: baseline for k in values})
    plan = resolve(catalog, template, load_profile(baseline).layers(account_id))
    kept = {k: v for k, v in details.items() if k not in plan.parameters}
    return resolve_parameters(template, {**plan.parameters, **kept})


def deployed_values(template: Template, deployed: Mapping[str, str],
                    operator_values: Mapping[str, str]) -> ParameterValues:
    """A deployed stack's parameters as a baseline.

    CloudFormation shows NoEcho values as ``****``: those (and parameters the template no
    longer has) are taken from the operator's values instead, so the baseline neither fails
    validation nor pretends a secret changed.
    """
    known = {k: v for k, v in deployed.items()
             if k in template.parameters and not (template.parameters[k].no_echo and v == MASK)}
    return resolve_parameters(template, {**operator_values, **known})


def plan_deployment(*, template: Template, pseudo: Pseudo, layers: list[Layer], out: str | Path,
                    fmt: str = "cfn", baseline: str | None = None, tags: Mapping[str, str] | None = None,
                    mode: str | None = None, catalog: Catalog | None = None,
                    require_complete: bool = True,
                    baseline_parameters: Mapping[str, str] | None = None,
                    hardening: Hardening | None = None) -> Deployment:
    """Resolve answers into validated parameter values and the phases to write.

    ``baseline_parameters`` (the parameters of the deployed stack, from preflight) replace the
    baseline mode: an update is compared with what runs now.
    """
    if fmt not in FORMATS:
        raise InputError(f"expected one of {', '.join(FORMATS)}, found {fmt!r}", where="--format")
    catalog = catalog or load_catalog()
    plan = resolve(catalog, template, layers)
    try:
        values = resolve_parameters(template, plan.parameters, origin=plan.origin)
    except InputError as exc:
        raise plan.blame(exc) from None
    if require_complete and values.unresolved:
        missing = ", ".join(values.unresolved)
        raise InputError(f"no value for {missing}; give them under 'parameters:' in the answers file "
                         "or with --set KEY=VALUE", where="parameters")
    check_rules(template, values, pseudo)
    problems = value_problems(values.raw, pseudo, mode, template.parameters)
    if problems:
        name, problem = problems[0]
        raise plan.blame(InputError(problem, where=name)) from None
    if baseline_parameters is not None:
        baseline_name = f"the deployed stack {pseudo.stack_name}"
        base = deployed_values(template, baseline_parameters, values.raw)
    else:
        baseline_name = baseline or DEFAULT_BASELINE
        base = baseline_values(template, catalog, baseline_name, pseudo.account_id, values.raw)
    check_path(str(out), fmt)
    path = Path(out)
    if plan.answers.get("timeline") == "after":
        first = phase_one(catalog, template, layers, pseudo.account_id, plan)
        phase1 = resolve_parameters(template, first.parameters, origin=first.origin)
        phases = (
            Phase(path, phase1, compare(template, base.raw, phase1.raw, pseudo), "phase 1: deploy now"),
            Phase(path.with_name(path.name + ".phase2"), values,
                  compare(template, phase1.raw, values.raw, pseudo), "phase 2: harden"),
        )
    else:
        phases = (Phase(path, values, compare(template, base.raw, values.raw, pseudo), "deployment"),)
    return Deployment(template, pseudo, plan, values, baseline_name, base, phases, fmt, dict(tags or {}), mode,
                      hardening)


def phase_one(catalog: Catalog, template: Template, layers: list[Layer], account_id: str,
              plan: Plan | None = None) -> Plan:
    """What "deploy now, harden after" deploys first: the answers with every hardening question
    put back on the standard mode's answer."""
    plan = plan or resolve(catalog, template, layers)
    standard = resolve(catalog, template, load_profile(DEFAULT_BASELINE).layers(account_id))
    postponed = {q.id: standard.answers[q.id] for q in plan.asked if q.hardening and q.id in standard.answers}
    return resolve(catalog, template, layers, final=postponed)


def check_rules(template: Template, values: ParameterValues, pseudo: Pseudo) -> None:
    """Refuse values that the template's own ``Rules`` would make CloudFormation reject."""
    violations = analyse(template, values.raw, pseudo).evaluation.rule_violations()
    if violations:
        rule, description = violations[0]
        raise InputError(description, file=template.source, where=f"Rules/{rule}",
                         line=template.line_of("Rules", rule))

def changes(deployment: Deployment) -> list[tuple[str, Mapping[str, str], Mapping[str, str], PermissionDiff]]:
    """(headline, values before, values after, diff) of each change a summary shows: the whole
    change against the baseline, or with "harden after" phase 1 against the baseline and then
    what phase 2 changes after it."""
    baseline = f"the baseline ({deployment.baseline_name})"
    if len(deployment.phases) == 1:
        return [(f"Against {baseline}", deployment.baseline.raw, deployment.values.raw, deployment.diff)]
    first, second = deployment.phases
    return [(f"Phase 1 (deployed first) against {baseline}", deployment.baseline.raw, first.values.raw, first.diff),
            ("What phase 2 (harden) changes after phase 1", first.values.raw, second.values.raw, second.diff)]

def unmet_recommendations(deployment: Deployment) -> list[tuple[Any, str]]:
    """(question, what is recommended) for each recommendation of the chosen answers (the
    frameworks) that the final answers do not follow."""
    catalog = load_catalog()
    asked = {q.id: q for q in deployment.plan.asked}
    found = []
    for question_id, recommendation in catalog.recommendations(deployment.plan.answers).items():
        question = asked.get(question_id)
        if question is not None and not recommendation.met(deployment.plan.in_force(question)):
            found.append((question, recommendation.describe(question).replace("Recommended for", "— for", 1)))
    return found


def phase_findings(deployment: Deployment, findings: list) -> list[tuple[str, list]]:
    """(label, findings) of each phase: phase 1 is deployed too, so its findings are shown."""
    if len(deployment.phases) == 1:
        return [("", findings)]
    first = list(findings_of(deployment.template, deployment.phases[0].values.raw, deployment.pseudo))
    return [(" of phase 1 (deployed first)", first), (" of phase 2 (harden)", findings)]


def findings_for(deployment: Deployment) -> list:
    """Findings of the final parameter values, the frameworks the answers chose first."""
    from wizard.findings import evaluate_findings

    analysis = analyse(deployment.template, deployment.values.raw, deployment.pseudo)
    frameworks = list(deployment.plan.answers.get("frameworks") or ()) or None
    return evaluate_findings(analysis.evaluation, list(analysis.grants), list(analysis.rules), frameworks)
