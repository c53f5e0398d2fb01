"""Write the parameter file: choose the format and the path, then show what was written.

Writing goes through the core (``write_deployment``): atomic, refusing to overwrite unless
the operator confirms (a ``.bak`` copy is kept). When the file holds a secret (a NoEcho value)
and the path lands in a git work tree that does not ignore it, a warning says so as the path is
typed (``wizard.flow.worktree``). A path that cannot be written is one line
under the form, which stays for another path. With the "harden after" timeline two files
are written. After writing, the summary is the same text a headless run prints, and the
draft is removed. Enter then closes the wizard; ``p`` (preflight) and ``c`` (change set) open
the optional AWS steps, offered only once the file is written.
"""

from __future__ import annotations

from typing import Iterable

from textual.binding import Binding
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.content import Content
from textual.widget import Widget
from textual.widgets import Button, Input, Label, Select, Static

from screens.dialogs import ConfirmDialog
from wizard.flow.session import WRITE
from screens.step import WizardStep
from wizard.errors import InputError, WizardError, write_failure
from wizard.flow.headless import summary_text, write_deployment
from wizard.flow.paramfile import FORMATS
from wizard.flow.worktree import exposure

FORMAT_LABELS = {
    "cfn": "cfn — CloudFormation CLI list (create-stack --parameters file://)",
    "overrides": "overrides — Key=Value lines (deploy --parameter-overrides)",
    "codepipeline": "codepipeline — template configuration (Parameters, Tags)",
    "tfvars": "tfvars — Terraform variables for the vendor's module (*.auto.tfvars.json)",
}


class WriteScreen(WizardStep):
    """Format, path, write; then the summary."""

    BINDINGS = [Binding("p", "preflight", "Preflight"), Binding("c", "change_set", "Change set"),
                Binding("s", "save_profile", "Save as profile")]
    """The optional AWS steps and saving the answers as a profile, once the parameter file is written."""

    step = WRITE
    section = "write the parameter file"

    def __init__(self) -> None:
        super().__init__()
        self.written: list[str] = []
        self.secrets: list[str] = []
        """The NoEcho parameters with a value: what the file holds in plaintext."""

    def compose_body(self) -> Iterable[Widget]:
        session = self.session
        with VerticalScroll(id="write"):
            yield Static(Content.styled("Write the parameter file", "bold $text-accent"), id="write-title")
            with Vertical(id="write-form"):
                yield Label("Format", classes="field-label")
                yield Select([(FORMAT_LABELS[f], f) for f in FORMATS], value=session.fmt, allow_blank=False,
                             id="format")
                yield Label("Path", classes="field-label")
                with Horizontal(id="write-row"):
                    yield Input(session.out, placeholder="quilt-parameters.json", id="path")
                    yield Button("Write", variant="primary", id="write-button")
            yield Static("", id="write-warning")
            yield Static("", id="write-result")
            yield Static("", id="write-summary")

    def on_mount(self) -> None:
        self.secrets = self.session.secrets_to_write()
        self.query_one("#path", Input).focus()
        self._warn(self.query_one("#path", Input).value)

    def on_input_changed(self, event: Input.Changed) -> None:
        if event.input.id == "path":
            # Kept as typed: leaving the screen (Tab to the button, then left or escape) and coming
            # back shows the same path.
            self.session.out = event.value.strip() or "quilt-parameters.json"
            self._warn(event.value)

    def on_select_changed(self, event: Select.Changed) -> None:
        if event.select.id == "format" and event.value is not Select.NULL:
            self.session.fmt = str(event.value)

    def _warn(self, path: str) -> None:
        """Say, as the path is typed, when a file holding a secret would land unignored in git."""
        warning = exposure(path.strip() or "quilt-parameters.json", self.secrets)
        self.query_one("#write-warning", Static).update(
            Content.assemble(("Warning: ", "bold $text-warning"), (warning, "$text-warning")) if warning else "")

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action in ("preflight", "change_set", "save_profile"):
            return bool(self.written)
        return True

    def action_save_profile(self) -> None:
        """Offer, at the end, to keep these answers as a profile (as guided deploys offer to
        save their configuration); the app asks for the name."""
        if self.written:
            self.app.action_save_profile()  # type: ignore[attr-defined]

    def action_preflight(self) -> None:
        from screens.aws.preflight import PreflightScreen

        if self.written:
            self.app.push_screen(PreflightScreen())

    def action_change_set(self) -> None:
        from screens.aws.change_set import ChangeSetScreen

        if self.written:
            self.app.push_screen(ChangeSetScreen())

    def on_input_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        self.action_next()

    def on_button_pressed(self, event: Button.Pressed) -> None:
        event.stop()
        self.action_next()

    def action_next(self) -> None:
        if self.written:
            self.wizard.exit(0)
            return
        self.write(force=self.wizard.options.force)

    def write(self, *, force: bool) -> None:
        session = self.session
        session.out = self.query_one("#path", Input).value.strip() or "quilt-parameters.json"
        session.fmt = str(self.query_one("#format", Select).value)
        try:
            deployment = session.deployment()
            paths = write_deployment(deployment, force=force)
        except (WizardError, OSError) as exc:
            if isinstance(exc, InputError) and "already exists" in exc.message and not force:
                self.app.push_screen(
                    ConfirmDialog(f"{exc.file} already exists. Overwrite it? A .bak copy is kept.", "Overwrite"),
                    lambda yes: self.write(force=True) if yes else None)
                return
            self._result(Content.assemble(("Not written: ", "bold $text-error"),
                                          (write_failure(exc, session.out), "$text-error")))
            return
        self.written = [str(p) for p in paths]
        self.wizard.finished()
        lines = [Content.assemble(("Wrote ", "bold $text-success"), (str(p), "bold"),
                                  f"  ({phase.label}, format {deployment.fmt})")
                 for p, phase in zip(paths, deployment.phases)]
        lines.append(Content.styled("Enter closes the wizard. s saves these answers as a profile for other "
                                    "accounts (this account's certificate, key and network kept under it). "
                                    "Optional AWS steps: p runs the preflight, c creates a change set (never "
                                    "executed without your typed confirmation). The summary follows.",
                                    "$text-muted"))
        self._result(Content("\n").join(lines))
        self.query_one("#write-summary", Static).update(Content(summary_text(deployment)))
        self.query_one("#write-form").display = False
        self.query_one("#write").focus()
        self.refresh_bindings()

    def _result(self, content: Content) -> None:
        self.query_one("#write-result", Static).update(content)
