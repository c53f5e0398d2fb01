"""``quilt-wizard --plain``: the question catalog as line prompts, for terminals without a TUI.

The run is the core's interactive session (``wizard.flow.session``), the one the Textual screens
use: it asks the same questions in the same order, checks typed values with the same rules,
prints after each answer what that answer changes (the session's ``change_between``, the live
panel's comparison), then asks for the template parameters no question covers and ends with
the same parameter file as the headless run. Like the wizard it asks for the stack, region and
account the command line did not give, keeps a draft after every answer (resumed on the next
start; a draft made on another template asks which of the two to resume on, never mixing
them), and ends by offering the optional AWS steps (through the ``after`` hook the command line
gives). This module holds only the prompts' I/O: they go through an ``Asker`` so tests can
script the answers; the real one uses questionary, imported only when the plain face runs.
"""

from __future__ import annotations

import argparse
import sys
from typing import Any, Callable, Protocol, Sequence, TextIO

from wizard.flow.catalog import CHOICE, MULTI, Catalog, GenericQuestion, Question, load_catalog
from wizard.errors import InputError, WizardError

Choices = Sequence[tuple[str, str]]  # (value, label)


class Asker(Protocol):
    """What the prompt flow needs from a prompt library."""

    def select(self, message: str, choices: Choices, default: str | None) -> str: ...

    def checkbox(self, message: str, choices: Choices, default: Sequence[str]) -> list[str]: ...

    def text(self, message: str, default: str, validate: Any = None, secret: bool = False) -> str: ...

    def confirm(self, message: str, default: bool) -> bool: ...


class QuestionaryAsker:
    """Prompts with questionary; Ctrl-C or end of input stops the run with nothing written."""

    def __init__(self) -> None:
        import questionary

        self.q = questionary

    @staticmethod
    def _answer(value: Any) -> Any:
        if value is None:
            raise KeyboardInterrupt
        return value

    def select(self, message: str, choices: Choices, default: str | None) -> str:
        options = [self.q.Choice(title=label, value=value) for value, label in choices]
        chosen = next((o for o in options if o.value == default), None)
        return self._answer(self.q.select(message, choices=options, default=chosen).ask())

    def checkbox(self, message: str, choices: Choices, default: Sequence[str]) -> list[str]:
        options = [self.q.Choice(title=label, value=value, checked=value in default) for value, label in choices]
        return self._answer(self.q.checkbox(message, choices=options).ask())

    def text(self, message: str, default: str, validate: Any = None, secret: bool = False) -> str:
        ask = self.q.password if secret else self.q.text
        return self._answer(ask(message, default=default, validate=validate).ask())

    def confirm(self, message: str, default: bool) -> bool:
        return self._answer(self.q.confirm(message, default=default).ask())


class PromptFlow:
    """Walks the session's questions with an Asker, printing the change every answer makes.

    The run is the core's ``WizardSession`` (``wizard.flow.session``), as in the Textual wizard:
    its layers, the questions it asks, the checks of typed values, what an answer changes, the
    draft and the deployment are the session's; this class holds only the prompts."""

    def __init__(self, args: argparse.Namespace, asker: Asker, out: TextIO, catalog: Catalog | None = None):
        from wizard.flow.paramfile import parse_assignments

        self.args = args
        self.asker = asker
        self.out = out
        self._catalog = catalog or load_catalog()
        self._settings = parse_assignments(args.set_values)
        self.use_template(args.template)
        self.deployment = None
        """What was written, once it is."""
        self.after: Callable[["PromptFlow"], None] | None = None

    def use_template(self, path: str | None) -> None:
        """Open the run on the template at ``path`` (the embedded one when None); one without the
        promised options (the vendor's) is hardened, as in the headless run."""
        from wizard.flow.session import WizardSession

        self.args.template = path
        self.session = WizardSession.open(
            path, account_id=self.args.account_id, region=self.args.region, stack_name=self.args.stack_name,
            harden=not getattr(self.args, "no_harden", False), form_from_settings=False,
            settings=self._settings, profile=self.args.profile, baseline=self.args.baseline,
            out=self.args.out, fmt=self.args.format, catalog=self._catalog, operator_layers=("prompts", "prompts"))

    # The run's state is the session's.
    catalog = property(lambda self: self.session.catalog)
    template = property(lambda self: self.session.template)
    hardening = property(lambda self: self.session.hardening)
    pseudo = property(lambda self: self.session.pseudo)
    answers = property(lambda self: self.session.answers)
    parameters = property(lambda self: self.session.parameters)
    mode = property(lambda self: self.session.profile)

    def announce_template(self) -> None:
        self.say(f"quilt-wizard: {self.template.source}")
        if self.hardening:
            self.say(f"The template lacks the promised options: the {self.hardening.overlay_name} overlay adds "
                     f"{', '.join(self.hardening.added_parameters)} (--no-harden: as it is)")

    def say(self, text: str = "") -> None:
        self.out.write(text + "\n")
        self.out.flush()

    def current(self) -> dict[str, str]:
        return dict(self.session.plan().parameters)

    def show_change(self, before: dict[str, str]) -> None:
        from wizard.flow.risk import name_of
        from wizard.flow.terminal import diff_text, use_colour

        try:
            change, risk = self.session.change_between(before, self.current())
        except WizardError as exc:
            self.say(f"  (cannot show the permission change yet: {exc})")
            return
        # The risk first, as in the wizard's panel: findings by severity, critical and high named.
        self.say(f"  Findings: {risk.text()}")
        for sign, finding in risk.named():
            self.say(f"    {sign} {finding.severity.upper()} {name_of(finding)}")
        if change.empty:
            self.say("  No change to IAM or the network.")
        else:
            self.say(diff_text(change, use_colour(self.out), title="  What this answer changes").rstrip())

    def choose_mode(self) -> None:
        from wizard.flow.profiles import list_profiles

        if self.mode:
            return
        profiles = list_profiles()
        choices = [(p.name, f"{p.name}: {p.description}") for p in profiles]
        self.session.profile = self.asker.select("Start from which deployment mode or profile?", choices, "standard")

    def ask_question(self, question: Question) -> None:
        self.say("")
        self.say(f"{question.title}")
        self.say(f"  {question.help}")
        self.say(f"  Trade-off: {question.tradeoff}")
        recommended = self.session.recommendation(question)
        if recommended:
            self.say(f"  {recommended}")
        current = self.session.plan().in_force(question)  # what stronger layers (--set, the account) set
        if current is None:
            current = question.default
        if question.kind == CHOICE:
            choices = [(c.value, f"{c.label}  ({c.tradeoff})" if c.tradeoff else c.label) for c in question.choices]
            value: Any = self.asker.select(question.title, choices, current)
        elif question.kind == MULTI:
            choices = [(c.value, c.label) for c in question.choices]
            value = self.asker.checkbox(question.title, choices, list(current or ()))
        else:
            value = self.asker.text(question.title, str(current or ""), validate=self._validator(question))
        before = self.current()
        self.session.answer(question, value)
        self.show_change(before)
        self.keep_draft(question.id)

    def _validator(self, question: Question) -> Any:
        spec = self.template.parameters.get(question.parameter or "")
        if spec is None:
            return None

        def check(value: str) -> bool | str:
            if value == "" and spec.default is not None:
                return self._value_problem(spec.name, value) or True
            return spec.problem(value) or self._value_problem(spec.name, value) or True

        return check

    def _value_problem(self, name: str, value: str) -> str | None:
        """The core's checks beyond the template's: another region or account, the mode's needs."""
        return self.session.value_problem(name, value)

    def ask_parameter(self, generic: GenericQuestion, current: str | None) -> None:
        spec = generic.spec
        label = f"{spec.name}" + (f" ({spec.description})" if spec.description else "")
        if spec.allowed_values:
            value = self.asker.select(label, [(v, v) for v in spec.allowed_values], current or spec.default)
        else:
            value = self.asker.text(label, "" if spec.no_echo else (current or spec.default or ""),
                                    validate=lambda v: spec.problem(v) or self._value_problem(spec.name, v) or True,
                                    secret=spec.no_echo)
        self.parameters[spec.name] = value
        self.keep_draft("parameters")

    # -- the target and the draft, as the wizard's start screen has them ---------------------

    def choose_target(self) -> None:
        """Ask for the stack name, region and account the command line did not give."""
        from wizard.flow.stack import pseudo_for

        stack = self.args.stack_name or self.asker.text("Stack name", self.pseudo.stack_name)
        region = self.args.region or self.asker.text("Region", self.pseudo.region)

        def account_problem(value: str) -> bool | str:
            return True if value.isdigit() and len(value) == 12 else "expected a 12-digit AWS account id"

        account = self.args.account_id or self.asker.text("AWS account id", self.pseudo.account_id,
                                                          validate=account_problem)
        self.session.pseudo = pseudo_for(None, stack, region, account)

    def resume_or_start(self) -> None:
        """Offer to resume the unfinished run a draft keeps (the wizard's or this face's). A draft
        made on another template asks which of the two to resume on; the run then goes on with
        that template alone."""
        from wizard.flow.draft import discard_draft, load_draft, template_label, template_mismatch

        draft = load_draft()
        if draft is None:
            return
        mismatch = template_mismatch(draft, self.args.template, self.session.template_sha256)
        legacy = draft.template_sha256 is None
        if legacy and (draft.template or None) != (self.args.template or None):
            return  # a draft from before templates were recorded, of another template: as then
        run = (f"mode {draft.profile or 'none'}, {len(draft.answers)} answers, "
               f"stopped at {draft.step or 'the start'}")
        if mismatch is None:
            if not self.asker.confirm(f"Resume the unfinished run ({run})?", True):
                discard_draft()
                return
        else:
            self.say(mismatch.describe())
            choices = [("draft", f"Resume on the draft's template, {template_label(draft.template)}")] \
                if mismatch.draft_available else []
            choices += [("current", f"Resume on this run's template, {template_label(self.args.template)}, "
                                    "with the answers that apply to it"),
                        ("discard", "Start afresh (the draft is discarded)")]
            choice = self.asker.select(f"Resume the unfinished run ({run}) on which template?", choices,
                                       choices[0][0])
            if choice == "discard":
                discard_draft()
                return
            if choice == "draft":
                self.use_template(draft.template)
                self.announce_template()
        from wizard.flow.stack import pseudo_for

        self.session.pseudo = pseudo_for(None, draft.stack_name, draft.region, draft.account_id)
        self.args.stack_name = self.args.stack_name or draft.stack_name
        self.args.region = self.args.region or draft.region
        self.args.account_id = self.args.account_id or draft.account_id
        self.session.profile = self.mode or draft.profile
        self.session.take_draft(draft)

    def keep_draft(self, step: str) -> None:
        """Save the run so far (never a NoEcho value), as the wizard does after every screen."""
        from wizard.flow.draft import save_draft

        try:
            save_draft(self.session.draft(step), self.session.secret_parameters)
        except (OSError, InputError) as exc:
            self.say(f"  (could not save the draft: {exc})")

    def run(self) -> int:
        from wizard.flow.draft import discard_draft
        from wizard.flow.headless import summary_text, write_deployment
        from wizard.flow.paramfile import default_path
        from wizard.flow.terminal import use_colour

        self.announce_template()
        self.resume_or_start()
        self.choose_target()
        self.choose_mode()
        self.keep_draft("start")
        gaps = self.session.account_gaps()
        if gaps:
            self.say(f"Profile {self.mode} has no values for account {self.pseudo.account_id}: "
                     f"{', '.join(gaps)} (kept for {', '.join(sorted({a for v in gaps.values() for a in v}))}); "
                     "they are asked below.")
        for question in self.catalog.for_template(self.template):
            if self.session.asks(question):
                self.ask_question(question)
        current = self.current()
        generic = self.session.generic()
        missing = [g for g in generic if (g.required and g.id not in current) or g.id in gaps]
        if missing:
            self.say("")
            self.say("Values only you know:")
        for item in missing:
            self.ask_parameter(item, None)
        optional = [g for g in generic if g not in missing]
        if optional and self.asker.confirm(f"Review the {len(optional)} other template parameters?", False):
            for item in optional:
                self.ask_parameter(item, self.current().get(item.id))
        fmt = self.args.format or self.asker.select(
            "Format", [("cfn", "CloudFormation CLI list (create-stack --parameters)"),
                       ("overrides", "Key=Value lines (deploy --parameter-overrides)"),
                       ("codepipeline", "CodePipeline template configuration"),
                       ("tfvars", "Terraform variables for the vendor's module (*.auto.tfvars.json)")], "cfn")
        out = self.args.out or self.asker.text("Write the parameter file to", default_path(fmt))
        deployment = self.session.deployment(out=out, fmt=fmt)
        write_deployment(deployment, force=self.args.force)
        discard_draft()  # the file is written: the draft has done its job
        self.deployment = deployment
        self.say("")
        self.say(summary_text(deployment, colour=use_colour(self.out)).rstrip())
        if self.after is not None:
            self.after(self)
        return 0


def run_prompts(args: argparse.Namespace, asker: Asker | None = None, out: TextIO | None = None,
                after: Callable[[PromptFlow], None] | None = None) -> int:
    """Run the plain face; ``asker`` and ``out`` are for tests. ``after`` runs once the file is
    written (the command line offers the preflight and the change set there)."""
    if asker is None and not sys.stdin.isatty():
        raise InputError("--plain needs an interactive terminal; use --answers FILE for a headless run",
                         where="--plain")
    flow = PromptFlow(args, asker or QuestionaryAsker(), out or sys.stdout)
    flow.after = after
    return flow.run()
