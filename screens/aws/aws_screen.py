"""What the two AWS screens share: the AWS profile and endpoint, progress lines, one status line.

The preflight and the change set come after the parameter file is written, and both are
optional. boto3 blocks, so every AWS call runs in a thread worker
(``@work(thread=True, exclusive=True)``) while the screen keeps drawing progress and answering
Escape. The worker reports back with messages (``Progress``, ``Done``, ``Failed``) that carry
the number of the run they belong to: the result of a run the operator cancelled, or started
again, is ignored. An AWS or input error is one line on the screen, never a traceback.
"""

from __future__ import annotations

import threading
from typing import TYPE_CHECKING, Any, Callable, Iterable

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.content import Content
from textual.message import Message
from textual.reactive import reactive
from textual.screen import Screen
from textual.widget import Widget
from textual.widgets import Button, Footer, Input, Label, Static

from screens.step import OnTheWizard
from screens.widgets.step_header import StepHeader
from wizard.errors import WizardError

if TYPE_CHECKING:
    from screens.aws.session import DeploySession
    from wizard.aws import AwsSession

    AwsCall = Callable[[AwsSession, Callable[[str], None], threading.Event], Any]

PROGRESS_LINES = 8
"""How many progress lines stay on screen (the latest)."""


def one_line(text: str) -> str:
    """An error message on one line, whatever AWS put in it."""
    return " ".join(text.split())


class AwsScreen(OnTheWizard, Screen):
    """Base of the preflight and change-set screens."""

    BINDINGS = [
        Binding("escape", "cancel", "Cancel"),
        Binding("escape", "close", "Back"),
    ]
    """Escape cancels what is running (not an execution, which cannot be withdrawn); otherwise it
    returns to the written parameter file."""

    section = ""
    title_text = ""
    help_text = ""
    run_label = "Run"

    running: reactive[str] = reactive("", init=False)
    """What is running now ("" when nothing), so Escape and the buttons know what to offer."""

    class Progress(Message):
        """One line of progress from the worker."""

        def __init__(self, run: int, line: str) -> None:
            super().__init__()
            self.run = run
            self.line = line

    class Done(Message):
        """The worker's result, and the AWS session it used (to act on the result later)."""

        def __init__(self, run: int, kind: str, result: Any, aws: "AwsSession") -> None:
            super().__init__()
            self.run = run
            self.kind = kind
            self.result = result
            self.aws = aws

    class Failed(Message):
        """The one-line message of an AWS or input error."""

        def __init__(self, run: int, message: str) -> None:
            super().__init__()
            self.run = run
            self.message = message

    def __init__(self) -> None:
        super().__init__()
        self.run_number = 0
        self.cancel_event = threading.Event()
        self.progress_lines: list[str] = []
        self.status_text = ""

    # -- layout ---------------------------------------------------------------------------

    def compose(self) -> ComposeResult:
        options = self.wizard.options
        yield StepHeader(f"AWS · {self.section}", self.wizard.target_line(), id="step-header")
        with VerticalScroll(id="aws"):
            yield Static(Content.styled(self.title_text, "bold $text-accent"), id="aws-title")
            with Vertical(id="aws-form"):
                yield Static(self.help(), id="aws-help", markup=False)
                yield from self.compose_fields()
                with Horizontal(classes="aws-row"):
                    with Vertical(classes="aws-field"):
                        yield Label("AWS profile", classes="field-label")
                        yield Input(options.aws_profile or "", placeholder="empty: AWS_PROFILE or the default chain",
                                    id="aws-profile")
                    with Vertical(classes="aws-field"):
                        yield Label("Endpoint URL", classes="field-label")
                        yield Input(options.endpoint_url or "", placeholder="empty: AWS itself", id="endpoint-url")
            with Horizontal(id="aws-actions"):
                yield Button(self.run_label, variant="primary", id="run")
            yield Static("", id="aws-progress", markup=False)
            yield Static("", id="aws-status")
            yield from self.compose_notes()
        yield from self.compose_results()
        yield Footer()

    def help(self) -> str:
        """The paragraph under the title."""
        return self.help_text

    def compose_fields(self) -> Iterable[Widget]:
        """Inputs above the AWS profile and endpoint."""
        return ()

    def compose_notes(self) -> Iterable[Widget]:
        """Text under the status line, filled by ``show_result``."""
        return ()

    def compose_results(self) -> Iterable[Widget]:
        """The results table under the form, taking the rest of the screen (it scrolls itself)."""
        return ()

    def on_mount(self) -> None:
        self.query_one("#run", Button).focus()

    # -- running ----------------------------------------------------------------------------

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "cancel":
            return self.running not in ("", "execute")
        if action == "close":
            return not self.running
        return True

    def watch_running(self, running: str) -> None:
        self.query_one("#run", Button).disabled = bool(running)
        self.refresh_bindings()

    def on_input_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        self.action_run()

    @on(Button.Pressed, "#run")
    def run_pressed(self, event: Button.Pressed) -> None:
        event.stop()
        self.action_run()

    def action_run(self) -> None:
        """Start the screen's AWS call with the profile and endpoint typed."""
        if self.running:
            return
        call = self.prepare()
        if call is None:
            return
        profile = self.query_one("#aws-profile", Input).value.strip()
        endpoint = self.query_one("#endpoint-url", Input).value.strip()
        self.start("run", call, profile=profile, endpoint=endpoint)

    def prepare(self) -> "AwsCall | None":
        """Read the form (on the UI thread) and return the call to make, or None to stay."""
        raise NotImplementedError

    def start(self, kind: str, call: "AwsCall", *, profile: str = "", endpoint: str = "",
              aws: "AwsSession | None" = None) -> None:
        self.run_number += 1
        self.cancel_event = threading.Event()
        self.progress_lines = []
        self.query_one("#aws-progress", Static).display = True
        self._show_progress()
        self.set_status(Content.styled("Working… (escape cancels)" if kind != "execute" else "Working…",
                                       "$text-muted"))
        self.running = kind
        self.query_one("#aws", VerticalScroll).anchor()  # progress and the outcome stay in view
        self.call_aws(self.session, self.run_number, kind, call, self.cancel_event, profile, endpoint, aws,
                      self.wizard.options.aws_deadline)

    @work(thread=True, exclusive=True, group="aws")
    def call_aws(self, session: "DeploySession", run: int, kind: str, call: "AwsCall", cancel: threading.Event,
                 profile: str, endpoint: str, aws: "AwsSession | None", deadline: float | None = None) -> None:
        """The blocking part: make the session, make the call, report back.

        Everything it needs comes as arguments (read on the UI thread); it touches no widget
        and reports only with ``post_message``, which is safe from a thread and does nothing
        once the screen has been closed."""
        def progress(line: str) -> None:
            self.post_message(self.Progress(run, line))

        try:
            aws = aws or session.aws_session(profile, endpoint, deadline)
            result = call(aws, progress, cancel)
        except WizardError as exc:
            self.post_message(self.Failed(run, one_line(str(exc))))
            return
        self.post_message(self.Done(run, kind, result, aws))

    def _current(self, run: int) -> bool:
        return run == self.run_number and not self.cancel_event.is_set()

    @on(Progress)
    def progress_arrived(self, message: Progress) -> None:
        if self._current(message.run):
            self.progress_lines = (self.progress_lines + [message.line])[-PROGRESS_LINES:]
            self._show_progress()

    @on(Done)
    def done(self, message: Done) -> None:
        if self._current(message.run):
            self.running = ""
            self.query_one("#aws-progress", Static).display = False
            self._show_form(False)
            self.show_result(message.kind, message.result, message.aws)

    @on(Failed)
    def failed(self, message: Failed) -> None:
        if self._current(message.run):
            self.running = ""
            self.query_one("#aws-progress", Static).display = False  # no stale "Checking ..." above it
            self._show_form(True)
            self.set_status(Content.assemble(("Failed: ", "bold $text-error"), (message.message, "$text-error")))

    def _show_form(self, show: bool) -> None:
        """The form gives way to the results; it comes back when a call failed, to fix a field."""
        self.query_one("#aws-form").display = show
        self.query_one("#aws-actions").display = show

    def show_result(self, kind: str, result: Any, aws: "AwsSession") -> None:
        raise NotImplementedError

    def action_cancel(self) -> None:
        """Stop listening to the running call; its result, when it comes, is ignored.

        An execution cannot be cancelled: the request may already be with CloudFormation, so
        Escape then changes nothing and the outcome is still shown when it comes."""
        if not self.running:
            return
        if self.running == "execute":
            self.set_status(Content.styled("Working… the execution request was sent and cannot be withdrawn "
                                           "from here.", "$text-muted"))
            return
        self.cancel_event.set()
        self.running = ""
        self.query_one("#aws-progress", Static).display = False
        self.set_status(Content.assemble(("Cancelled", "bold $text-warning"), self.cancelled_note()))

    def cancelled_note(self) -> str:
        return ""

    def action_close(self) -> None:
        self.dismiss()

    # -- showing ------------------------------------------------------------------------------

    def _show_progress(self) -> None:
        self.query_one("#aws-progress", Static).update("\n".join(f"… {line}" for line in self.progress_lines))

    def table_width(self) -> int:
        """The width of a results table inside its margins and scrollbar; the caller subtracts
        its cells' padding (2 a column) so that nothing scrolls sideways."""
        return max(60, self.size.width - 5)

    def set_status(self, content: Content) -> None:
        self.status_text = content.plain
        self.query_one("#aws-status", Static).update(content)
