"""The first screen: which template, which mode or profile, which account, region and stack.

It offers to resume an unfinished run when a draft exists (or to discard it); a draft made on
another template than the one in the form asks which of the two to resume on. Nothing is
decided here that the core does not check: the account id and the template are validated by
``DeploySession.open`` and a refusal is shown under the form.
"""

from __future__ import annotations

import time
from typing import Iterable

from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.content import Content
from textual.widget import Widget
from textual.widgets import Button, Input, Label, Static

from screens.aws.session import DeploySession
from wizard.flow.session import START
from screens.step import WizardStep
from screens.widgets.choice_list import ChoiceItem, ChoiceList
from wizard.flow.draft import Draft, discard_draft, load_draft, sha256_now, template_label, template_mismatch
from wizard.errors import InputError
from wizard.flow.headless import DEFAULT_BASELINE
from wizard.flow.profiles import list_profiles


def _draft_text(draft: Draft) -> Content:
    when = time.strftime("%Y-%m-%d %H:%M", time.localtime(draft.saved_at)) if draft.saved_at else "earlier"
    where = draft.step or "the start"
    answers = f"{len(draft.answers)} answer{'' if len(draft.answers) == 1 else 's'}"
    on = f", made on {template_label(draft.template)}" if draft.template_sha256 else ""
    return Content.assemble(("An unfinished run was saved ", ""), (when, "bold"), (": ", ""),
                            (f"mode {draft.profile or 'none'}, {answers}{on}, stopped at {where}.", ""))


class StartScreen(WizardStep):
    """Template, mode or profile, target; resume or discard a draft."""

    step = START
    section = "start"

    def __init__(self) -> None:
        super().__init__()
        self.draft = load_draft()

    def compose_body(self) -> Iterable[Widget]:
        options = self.wizard.options
        session = self.wizard.session
        template = (session.template_path if session else options.template_path) or ""
        mode = (session.profile if session else options.profile) or DEFAULT_BASELINE
        pseudo = session.pseudo if session else None
        with VerticalScroll(id="start-form"):
            yield Static(Content.styled("Deploy the Quilt stack", "bold $text-accent"), id="start-title")
            yield Static("Choose the template and a starting point; every later screen shows what its choice "
                         "changes in IAM and the network.", id="start-help")
            if self.draft is not None:
                with Horizontal(id="draft-box"):
                    yield Static(_draft_text(self.draft), id="draft-text")
                    yield Button("Resume", variant="primary", id="resume")
                    yield Button("Discard", id="discard")
            yield Label("Template (empty: the embedded hardened model of the Quilt stack)", classes="field-label")
            yield Input(template, placeholder="embedded quilt.yaml, or a path to the vendor's template",
                        id="template")
            yield Label("Start from a deployment mode or a saved profile", classes="field-label")
            profiles = list_profiles()
            yield ChoiceList([ChoiceItem(p.name, p.name, p.description) for p in profiles],
                             current=mode, current_note="chosen", id="mode")
            with Horizontal(id="target"):
                with Vertical(classes="target-field"):
                    yield Label("AWS account id", classes="field-label")
                    yield Input(pseudo.account_id if pseudo else options.account_id or "",
                                placeholder="123456789012", id="account-id", max_length=12)
                with Vertical(classes="target-field"):
                    yield Label("Region", classes="field-label")
                    yield Input(pseudo.region if pseudo else options.region or "us-east-1", id="region")
                with Vertical(classes="target-field"):
                    yield Label("Stack name", classes="field-label")
                    yield Input(pseudo.stack_name if pseudo else options.stack_name or "quilt", id="stack-name")
            yield Static("", id="start-error")

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        """Nothing comes before the start: no Back here."""
        return action != "back"

    def on_mount(self) -> None:
        if self.draft is not None:
            self.query_one("#resume", Button).focus()
        else:
            self.query_one("#mode", ChoiceList).focus()

    def on_button_pressed(self, event: Button.Pressed) -> None:
        event.stop()
        if event.button.id == "resume" and self.draft is not None:
            self.resume(self.draft)
        elif event.button.id == "discard":
            discard_draft()
            self.draft = None
            self.query_one("#draft-box").remove()
            self.query_one("#mode", ChoiceList).focus()

    def resume(self, draft: Draft) -> None:
        """Resume the draft; made on another template than the form's, ask which one first."""
        current = self.query_one("#template", Input).value.strip() or None
        mismatch = template_mismatch(draft, current, sha256_now(current))
        if mismatch is None:
            self._resume(draft)
            return
        from screens.dialogs import TemplateChoiceDialog

        def chosen(choice: str | None) -> None:
            if choice == "draft":
                self._resume(draft)
            elif choice == "current":
                self._resume(draft.on_template(current))

        self.app.push_screen(TemplateChoiceDialog(mismatch), chosen)

    def _resume(self, draft: Draft) -> None:
        try:
            self.wizard.resume(draft)
        except InputError as exc:
            self._error(f"cannot resume: {exc}")

    def on_input_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        self.action_next()

    def _error(self, text: str) -> None:
        self.query_one("#start-error", Static).update(Content.styled(text, "bold $text-error"))

    def confirm(self) -> bool:
        mode = self.query_one("#mode", ChoiceList).highlighted_value
        template = self.query_one("#template", Input).value.strip() or None
        account = self.query_one("#account-id", Input).value.strip() or None
        region = self.query_one("#region", Input).value.strip() or None
        stack = self.query_one("#stack-name", Input).value.strip() or None
        previous = self.wizard.session
        options = self.wizard.options
        try:
            session = DeploySession.open(template, account_id=account, region=region, stack_name=stack,
                                         profile=mode, baseline=options.baseline, settings=options.settings,
                                         out=options.out or "quilt-parameters.json", fmt=options.fmt)
        except InputError as exc:
            self._error(str(exc))
            return False
        if previous is not None and previous.template_path == session.template_path:
            session.parameters.update(previous.parameters)
            session.baseline = previous.baseline
            if previous.profile == session.profile:
                session.answers = previous.answers
        self.wizard.adopt(session)
        return True
