"""The headless run: answers in, parameter file(s) and a summary out, for CI.

``quilt-wizard --answers FILE`` merges the layers (mode or profile < account overrides <
answers file < ``--set``), validates the result against the template, diffs it against a
baseline (the standard mode by default), and writes the parameter file atomically: it refuses
to overwrite without ``--force`` and keeps ``PATH.bak`` when it does. Everything is checked
before anything is written, so bad input leaves no file behind.

Given a template without the promised options (the vendor's own), the run applies the hardening
overlay first (``wizard.overlay``; ``--no-harden`` opts out): the answers then act on the
hardened template, which is written beside the parameter file (``PATH.template.yaml``) and is
what preflight and the change set use.

With the "harden after" timeline it writes phase 1 (``PATH``, security options at their
standard values) and phase 2 (``PATH.phase2``, the chosen hardening) and shows what phase 2
changes. The same ``Deployment`` is what the line prompts and the TUI build and write.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterable, Mapping

from wizard.iam.analysis import analyse, compare
from wizard.flow.answers import AnswersFile, Layer, Plan, resolve, stack_layers
from wizard.flow.catalog import Catalog, load_catalog
from wizard.iam.diff import PermissionDiff
from wizard.errors import InputError
from wizard.cfn.pseudo import Pseudo
from wizard.flow.stack import pseudo_for, template_for
from wizard.atomic import check_output, write_output
from wizard.flow.paramfile import FORMATS, check_path, default_path, read_parameter_file, render_parameter_file
from wizard.cfn.parameters import MASK, ParameterValues, resolve_parameters
from wizard.flow.accounts import missing_for_account
from wizard.flow.checks import value_problems
from wizard.flow.risk import findings_of, headline, name_of, posture_text, risk_between, serious
from wizard.flow.profiles import BUILTIN_MODES, load_profile, question_parameters, user_profiles_dir
from wizard.cfn.template import Template
from wizard.cfn.yamlsource import line_at
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
    """The overlay applied to a template that lacks the promised options; None when it adds nothing."""
    from wizard.overlay import harden

    hardening = harden(template)
    return hardening if hardening.added_parameters else None


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


def file_values(values: ParameterValues) -> dict[str, str]:
    """What a parameter file carries: every parameter, in template order."""
    return {name: values.raw[name] for name in values.specs if name in values.raw}


def template_file(deployment: Deployment) -> str:
    """The template to deploy, as the parameter file names it (the ``tfvars`` format): the
    hardened one written beside the parameter file when there is one, else the template read;
    relative to the parameter file's folder when it is inside it."""
    beside = deployment.template_path  # the hardened template, when the overlay wrote one
    chosen = Path(beside or deployment.template.source).resolve()
    folder = deployment.phases[0].path.resolve().parent
    return str(chosen.relative_to(folder)) if chosen.is_relative_to(folder) else str(chosen)


def write_deployment(deployment: Deployment, *, force: bool = False) -> list[Path]:
    """Write every phase's parameter file, and the hardened template beside the first when the
    overlay was applied; refuse to overwrite unless ``force`` (keeping .bak)."""
    texts = []
    beside = deployment.template_path
    if beside is not None:
        check_output(beside, force=force)
    for phase in deployment.phases:
        check_output(phase.path, force=force)
        texts.append((phase, render_parameter_file(
            file_values(phase.values), deployment.fmt, deployment.tags, template_file=template_file(deployment),
            secrets=frozenset(name for name, spec in phase.values.specs.items() if spec.no_echo))))
    written = []
    for phase, text in texts:
        secret = any(spec.no_echo and phase.values.raw.get(name) for name, spec in phase.values.specs.items())
        try:
            write_output(phase.path, text, mode=0o600 if secret else 0o644, force=force)
        except OSError as exc:
            raise InputError(f"cannot write: {exc.strerror or exc}", file=str(phase.path)) from None
        written.append(phase.path)
    if beside is not None:
        try:
            write_output(beside, deployment.hardening.text, force=force)
        except OSError as exc:
            raise InputError(f"cannot write: {exc.strerror or exc}", file=str(beside)) from None
        written.append(beside)
    return written


def exposures(deployment: Deployment) -> list[str]:
    """A warning for each file that holds a NoEcho value in plaintext and lands, not ignored, in
    a git work tree (``wizard.flow.worktree``)."""
    from wizard.flow.worktree import exposure

    found = []
    for phase in deployment.phases:
        values = phase.values
        secrets = [name for name, spec in values.specs.items() if spec.no_echo and values.raw.get(name)]
        warning = exposure(phase.path, secrets)
        if warning:
            found.append(warning)
    return found


def summary_text(deployment: Deployment, *, colour: bool = False, findings: list | None = None,
                 written: bool = True) -> str:
    """What a person reads after a headless run."""
    from wizard.flow.stops import stop_lines
    from wizard.flow.terminal import Painter, diff_text, headline_text

    paint = Painter(colour)
    lines = [paint(f"Template: {deployment.template.source}", "bold"),
             f"Stack {deployment.pseudo.stack_name} in {deployment.pseudo.region}, "
             f"account {deployment.pseudo.account_id}" + (f", mode {deployment.mode}" if deployment.mode else "")]
    lines += hardening_lines(deployment, paint)
    left_out = deployment.plan.left_out_warning()  # a profile saved on another template
    if left_out:
        lines.append(paint(f"Warning: {left_out}", "bold", "yellow"))
    lines += answer_lines(deployment, paint)
    lines += ["", paint("Parameters", "bold")]
    width = max((len(n) for n in deployment.values.specs), default=0)
    shown = deployment.values.display()
    for name in deployment.values.specs:
        value = shown[name]
        if deployment.values.specs[name].no_echo and not deployment.values.raw.get(name):
            value = "(empty)"  # no secret to hide: a mask would claim one is set
        marker = "" if value == MASK else ("  (default)" if deployment.values.specs[name].default == value else "")
        lines.append(f"  {name:<{width}}  {value}{paint(marker, 'dim')}")
    for title, before, after, diff in changes(deployment):
        # Each headline leads with the change in risk, as the wizard's panel does, then the grants.
        risk = risk_between(deployment.template, before, after, deployment.pseudo)
        lines.append("")
        lines.append(headline_text(title, risk, diff, colour).rstrip())
        lines.append(diff_text(diff, colour).rstrip())
    lines += stop_lines(deployment, paint)
    lines += approval_lines(deployment, paint)
    unmet = unmet_recommendations(deployment)
    if unmet:
        lines.append("")
        lines.append(paint("Recommended by the frameworks chosen, not followed", "bold", "yellow"))
        lines += [f"  {question.title} {text}" for question, text in unmet]
    if findings is not None:
        lines.append("")
        for label, found in phase_findings(deployment, findings):
            lines.append(paint(f"Findings{label}: {posture_text(found)}", "bold"))
            aws = [f for f in found if f.source]
            if aws:
                lines.append(f"  of which {posture_text(aws)} reported by AWS ({aws[0].source}), marked AWS-AA-")
            lines += [f"  {f.severity.upper()} {name_of(f)}" for f in serious(found)]
        lines.append(paint("See `quilt-wizard report` for every finding.", "dim"))
    lines.append("")
    for phase in deployment.phases:
        if written:
            lines.append(f"Wrote {phase.path} ({phase.label}, format {deployment.fmt})")
        else:
            lines.append(f"Not written: {phase.path} ({phase.label}): a gate tripped")
    if deployment.template_path is not None and written:
        lines.append(f"Wrote {deployment.template_path} (the hardened template: deploy this one with the "
                     "parameter file)")
    if written:
        lines += [paint(f"Warning: {warning}", "bold", "yellow") for warning in exposures(deployment)]
    return "\n".join(lines) + "\n"


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


def approval_lines(deployment: Deployment, paint) -> list[str]:
    """With manual approval: what the approver does when a bucket is connected, and what only
    the vendor can add (the application asking on the approval topic)."""
    from wizard.findings.connection import APPROVAL_STEPS

    if deployment.values.raw.get("PolicyCreationMode") != "ManualApproval":
        return []
    stack = deployment.pseudo.stack_name
    return ["", paint("Manual approval of IAM policies", "bold"),
            *(f"  {step.replace('STACK', stack).replace('`', '')}" for step in APPROVAL_STEPS)]


def hardening_lines(deployment: Deployment, paint) -> list[str]:
    """What the overlay did to the vendor's template, for the summary."""
    hardening = deployment.hardening
    if hardening is None:
        return []
    overlay = hardening.overlay
    lines = ["", paint(f"The template lacks the promised options: hardened with the {overlay.name} overlay "
                       f"{overlay.version} (--no-harden analyses it as is)", "bold"),
             f"  options added: {', '.join(hardening.added_parameters)}"]
    lines += [f"  needs a change by the vendor: {o.rule.parameter} ({o.rule.title})" for o in hardening.needs_vendor]
    lines += [f"  warning: {w}" for w in hardening.warnings]
    return lines


def answer_lines(deployment: Deployment, paint) -> list[str]:
    """Every answer given, as the question's choice or value; those the template in use does not
    apply marked, with the reason (nothing given is ever dropped without a word)."""
    catalog = load_catalog()
    plan = deployment.plan
    given = plan.given()
    if not given:
        return []
    width = max(len(k) for k in given)
    lines = ["", paint("Answers", "bold")]
    for key, value in given.items():
        question = catalog.question(key)
        choice = question.choice(value) if isinstance(value, str) and question.choices else None
        shown = choice.label if choice else (", ".join(value) if isinstance(value, (list, tuple)) else str(value))
        lines.append(f"  {key:<{width}}  {shown or '(empty)'}")
        if key in plan.not_applied:
            lines.append(paint(f"  {'':<{width}}  not applied: {plan.not_applied[key].reason}", "yellow"))
    return lines


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
