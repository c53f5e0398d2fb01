"""The first screen: which template, which mode or profile, which account, region and stack.

It offers to resume an unfinished run when a draft exists (or to discard it); a draft made on
another template than the one in the form asks which of the two to resume on. The draft's run
is opened in a worker too (its template read and hardened), the screen saying "Reading the
template…" and answering meanwhile. Nothing is
decided here that the core does not check: the account id and the template are validated by
``DeploySession.open`` and a refusal is shown under the form.

The screen's idle time is used: as soon as it is mounted, and again when the form changes, a
worker opens the run the form describes (reading and hardening the template) and computes the
first question's panels (``prepare_first_question``). Enter adopts that run when it is ready;
otherwise it says "Reading the template…" and goes on when the worker is done, the screen
answering meanwhile: no frame waits for the analysis.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Iterable

from textual import work
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.content import Content
from textual.timer import Timer
from textual.widget import Widget
from textual.widgets import Button, Input, Label, Static
from textual.worker import get_current_worker

from screens.aws.session import DeploySession
from wizard.flow.session import START
from screens.questions.question import prepare_first_question
from screens.step import WizardStep
from screens.widgets.choice_list import ChoiceItem, ChoiceList
from wizard.gcpause import collect_at_rest
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
    SETTLE_SECONDS = 0.4
    """How long the form must rest before its run is prepared ahead."""
    KEPT = 4
    """How many runs prepared ahead are kept (moving back to a mode finds its run ready)."""

    def __init__(self) -> None:
        super().__init__()
        self.draft = load_draft()
        self._wanted: Opening | None = None
        self._preparing: Opening | None = None
        self._waiting: Opening | None = None
        """What Enter asked for and waits for (the worker opening it)."""
        self._opened: dict[Opening, DeploySession] = {}
        self._refused: dict[Opening, InputError] = {}
        self._settle: Timer | None = None
        self._resuming: Draft | None = None
        """The draft whose run a worker is opening (Resume pressed)."""

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
        self.call_after_refresh(self.prepare_ahead)  # the screen drawn first, then the idle-time work

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
        """Open the draft's run in a worker (its template read and hardened, as the form's run
        is), the screen answering and saying so; go on to its step when it is open."""
        if self._resuming is not None:
            return  # one is being opened already
        self._resuming = draft
        self._status("Reading the template…")
        self.open_draft(draft, self.wizard.options.settings)

    @work(thread=True, group="resume")
    def open_draft(self, draft: Draft, settings: dict[str, str]) -> None:
        """Off the UI thread: the session the draft saved (``DeploySession.from_draft``); the
        screen goes on with it, or shows why not, on the UI thread."""
        try:
            session, error = DeploySession.from_draft(draft, settings=settings), None
        except InputError as exc:
            session, error = None, exc
        try:
            self.app.call_from_thread(self._draft_opened, draft, session, error)
        except RuntimeError:
            return  # the app closed meanwhile

    def _draft_opened(self, draft: Draft, session: DeploySession | None, error: InputError | None) -> None:
        """On the UI thread: continue the resumed run, or say why it cannot be."""
        self._resuming = None
        if not self.is_attached:
            return
        if session is None:
            self._error(f"cannot resume: {error}")
            return
        self._status("")
        self.wizard.resume(draft, session)

    def on_input_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        self.action_next()

    def _error(self, text: str) -> None:
        self.query_one("#start-error", Static).update(Content.styled(text, "bold $text-error"))

    # -- the idle time: the run opened and the first question's panel computed ahead -----------

    def _opening(self) -> Opening:
        """What the form asks to open, as it stands."""
        options = self.wizard.options

        def value(selector: str) -> str | None:
            return self.query_one(selector, Input).value.strip() or None

        return Opening(template=value("#template"), account=value("#account-id"), region=value("#region"),
                       stack=value("#stack-name"), mode=self.query_one("#mode", ChoiceList).highlighted_value,
                       baseline=options.baseline, settings=tuple(sorted(options.settings.items())),
                       out=options.out or "quilt-parameters.json", fmt=options.fmt)

    def on_input_changed(self, event: Input.Changed) -> None:
        if self.is_mounted and event.input.id in ("template", "account-id", "region", "stack-name"):
            self._form_changed()

    def on_option_list_option_highlighted(self, event) -> None:
        if self.is_mounted:
            self._form_changed()

    def _form_changed(self) -> None:
        """Prepare the form's run once it rests (``SETTLE_SECONDS``), not for every key or highlight."""
        if self._settle is not None:
            self._settle.stop()
        self._settle = self.set_timer(self.SETTLE_SECONDS, self.prepare_ahead)

    def prepare_ahead(self) -> None:
        """Open the run the form describes and compute its first question's panel in a worker
        (one at a time; the latest form wins), so Enter finds them ready."""
        self._wanted = self._opening()
        if self._preparing is None and self._wanted not in self._opened and self._wanted not in self._refused:
            self._preparing = self._wanted
            self.prepare(self._wanted, self.wizard.options.settings)

    @work(thread=True, group="prepare")
    def prepare(self, opening: Opening, settings: dict[str, str]) -> None:
        """Off the UI thread: open the session (the template read and hardened), hand it to the
        screen, then compute the first question's previews. The screen adopts it on the UI thread."""
        worker = get_current_worker()
        try:
            session = DeploySession.open(opening.template, account_id=opening.account, region=opening.region,
                                         stack_name=opening.stack, profile=opening.mode, baseline=opening.baseline,
                                         settings=dict(settings), out=opening.out, fmt=opening.fmt)
        except InputError as exc:
            session, error = None, exc
        else:
            error = None
        try:
            self.app.call_from_thread(self._prepared, opening, session, error)
        except RuntimeError:
            return  # the app closed meanwhile
        if session is not None:
            # Not for a form changed since (another mode, template or target): its own worker runs.
            prepare_first_question(session.snapshot(), lambda: worker.is_cancelled or self._wanted != opening)
        # The garbage of this work collected now, while the operator reads the screen, and what
        # stays (the template, its catalogs, the first question's analyses, the modules) set aside,
        # so that the collections of the run's later rests walk only what comes after.
        collect_at_rest(set_aside=True)

    def _prepared(self, opening: Opening, session: DeploySession | None, error: InputError | None) -> None:
        """On the UI thread: keep what the worker opened (or why not); go on when Enter waits for it."""
        self._preparing = None
        if session is not None:
            self._opened = {**dict(list(self._opened.items())[-(self.KEPT - 1):]), opening: session}
        else:
            self._refused = {opening: error}
        if self._waiting == opening and self.is_attached:
            self._waiting = None
            if self.confirm():
                self.wizard.go_next(self.step)
        elif self.is_attached and self._wanted is not None and self._wanted != opening:
            self.prepare_ahead()

    @property
    def is_prepared(self) -> bool:
        """Whether the run the form describes is opened ahead (Enter adopts it at once)."""
        return self._opening() in self._opened

    def _status(self, text: str) -> None:
        """A note under the form (where a refusal shows): what Enter waits for."""
        self.query_one("#start-error", Static).update(Content.styled(text, "italic $text-muted"))

    def confirm(self) -> bool:
        """Adopt the run the form describes, opened ahead when it could be; else open it in a
        worker (the screen says so and stays responsive) and go on when it is done."""
        opening = self._opening()
        if opening in self._refused:
            self._error(str(self._refused[opening]))
            return False
        session = self._opened.pop(opening, None)
        if session is None:
            self._waiting = opening
            self._status("Reading the template…")
            self.prepare_ahead()
            return False
        previous = self.wizard.session
        if previous is not None and previous.template_path == session.template_path:
            session.parameters.update(previous.parameters)
            session.baseline = previous.baseline
            if previous.profile == session.profile:
                session.answers = previous.answers
        self.wizard.adopt(session)
        return True


@dataclass(frozen=True)
class Opening:
    """The start form's values: what a session is opened with."""

    template: str | None
    account: str | None
    region: str | None
    stack: str | None
    mode: str | None
    baseline: str | None
    settings: tuple[tuple[str, str], ...]
    out: str
    fmt: str | None
